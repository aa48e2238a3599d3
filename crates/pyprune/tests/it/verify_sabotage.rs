//! `verify` proves what it claims: in `apply --out` results of a CPython
//! prefix, of its stdlib directory and of a venv, each verified by the tree's
//! own interpreter, a planted broken pyc, a removed dependency and a module
//! imported from outside the tree each fail verification, named; the
//! unchanged results verify clean; and no run writes a file outside the tree
//! under test (the original and the interpreter's own prefix are listed
//! before and after). Runs on pyenv's 3.11 (copied), skipped with a note
//! where pyenv does not have it.

use crate::harness::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The release the trees are made of.
const RELEASE: &str = "python3.11";

/// What the interpreter reads from files at startup (the rest of it is
/// frozen in 3.11) and to describe itself to pyprune (`sysconfig`, `json`,
/// `importlib.util` and theirs; `_sysconfigdata_*` is found apart), and the
/// modules the tests judge.
const STDLIB_FILES: &[&str] = &[
    "warnings.py",
    "contextlib.py",
    "collections",
    "keyword.py",
    "operator.py",
    "reprlib.py",
    "functools.py",
    "types.py",
    "re",
    "enum.py",
    "copyreg.py",
    "sysconfig.py",
    "importlib/__init__.py",
    "importlib/_abc.py",
    "importlib/_bootstrap.py",
    "importlib/_bootstrap_external.py",
    "importlib/machinery.py",
    "importlib/util.py",
    "os.py",
    "stat.py",
    "site.py",
    "posixpath.py",
    "genericpath.py",
    "_collections_abc.py",
    "_sitebuiltins.py",
    "io.py",
    "abc.py",
    "codecs.py",
    "encodings",
    "colorsys.py",
    "json/__init__.py",
    "json/decoder.py",
    "json/encoder.py",
    "json/scanner.py",
];

/// pyenv's 3.11 prefix, if installed.
fn pyenv_prefix() -> Option<PathBuf> {
    let out = std::process::Command::new("pyenv")
        .arg("root")
        .output()
        .ok()?;
    let versions = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim()).join("versions");
    let mut found: Vec<PathBuf> = std::fs::read_dir(versions)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("bin").join(RELEASE).is_file())
        .collect();
    found.sort();
    let prefix = found.pop();
    if prefix.is_none() {
        eprintln!("note: pyenv has no {RELEASE}: skipped");
    }
    prefix
}

/// `dir/lib/python3.11/site-packages/demo`: a package whose `__init__`
/// imports `demo.util`.
fn demo_package(site_packages: &Path) {
    let demo = site_packages.join("demo");
    std::fs::create_dir_all(&demo).expect("mkdir");
    std::fs::write(demo.join("__init__.py"), "from demo.util import answer\n").expect("write");
    std::fs::write(demo.join("util.py"), "answer = 42\n").expect("write");
}

/// Compiles `dir` at all levels with `python` (of the same release as the
/// tree; run with -B so that its own stdlib gets nothing).
fn compile_with(python: &Path, dir: &Path) {
    let out = std::process::Command::new(python)
        .args(["-B", "-m", "compileall", "-q", "-o0", "-o1", "-o2"])
        .arg(dir)
        .env_clear()
        .output()
        .expect("compileall");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A small CPython prefix at `prefix`, copied from pyenv's `base`: its
/// interpreter, the stdlib files startup reads, `colorsys`, `json`, and
/// `demo` in site-packages, compiled at all levels. Returns its interpreter.
fn small_prefix(base: &Path, prefix: &Path) -> PathBuf {
    let from = base.join("lib").join(RELEASE);
    let stdlib = prefix.join("lib").join(RELEASE);
    for rel in STDLIB_FILES {
        let to = stdlib.join(rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        let status = std::process::Command::new("cp")
            .arg("-a")
            .arg(from.join(rel))
            .arg(&to)
            .status()
            .expect("cp");
        assert!(status.success(), "cp {rel}");
    }
    for entry in std::fs::read_dir(&from).expect("stdlib") {
        let name = entry.expect("entry").file_name();
        if name.to_string_lossy().starts_with("_sysconfigdata") {
            std::fs::copy(from.join(&name), stdlib.join(&name)).expect("copy");
        }
    }
    remove_caches(&stdlib);
    demo_package(&stdlib.join("site-packages"));
    let python = prefix.join("bin").join(RELEASE);
    std::fs::create_dir_all(python.parent().expect("bin")).expect("mkdir");
    std::fs::copy(base.join("bin").join(RELEASE), &python).expect("copy the interpreter");
    compile_with(&base.join("bin").join(RELEASE), &stdlib);
    python
}

/// A venv at `venv` on the prefix of `python`, as `python -m venv
/// --without-pip --symlinks` lays it out (the small prefix has no `venv`
/// module to make it), with `demo` in its site-packages.
fn small_venv(python: &Path, venv: &Path, compiler: &Path) {
    let bin = venv.join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    for name in ["python", "python3", RELEASE] {
        std::os::unix::fs::symlink(python, bin.join(name)).expect("symlink");
    }
    std::fs::write(
        venv.join("pyvenv.cfg"),
        format!(
            "home = {}\ninclude-system-site-packages = false\nversion = 3.11\n",
            python.parent().expect("bin").display()
        ),
    )
    .expect("write");
    let site_packages = venv.join("lib").join(RELEASE).join("site-packages");
    demo_package(&site_packages);
    compile_with(compiler, &site_packages);
}

/// `pyprune verify TREE --against ORIGINAL [ARGS] --format json`: exit code and report.
fn verify(tree: &Path, original: &Path, args: &[&std::ffi::OsStr]) -> (i32, Value) {
    let output = pyprune()
        .arg("verify")
        .arg(tree)
        .arg("--against")
        .arg(original)
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("verify");
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("no report: {}", stderr(&output)));
    (output.status.code().unwrap_or(-1), report)
}

/// `(check, subject, reason)` of each regression.
fn regressions(report: &Value) -> Vec<(String, String, String)> {
    report["regressions"]
        .as_array()
        .expect("regressions")
        .iter()
        .map(|f| {
            let text = |k: &str| f[k].as_str().expect("text").to_owned();
            (text("check"), text("subject"), text("reason"))
        })
        .collect()
}

/// A fault planted in a copy of a result.
enum Sabotage {
    /// `demo/__init__`'s cache replaced by valid bytecode that raises.
    BrokenPyc,
    /// `demo/util.py` and its caches removed: `demo` imports it.
    RemovedDependency,
    /// `module` (a file of the tree) made to import `leaky` from a directory outside.
    OutsideImport { module: &'static str },
}

/// Copies `result` to `dest` and plants `sabotage`; `site_packages` is
/// relative to the tree; `outside` is a directory outside it; `python`
/// (of the tree's release) makes the planted bytecode.
fn sabotaged(
    result: &Path,
    dest: &Path,
    site_packages: &Path,
    sabotage: &Sabotage,
    outside: &Path,
    python: &Path,
) {
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(result)
        .arg(dest)
        .status()
        .expect("cp");
    assert!(status.success());
    let demo = dest.join(site_packages).join("demo");
    match sabotage {
        Sabotage::BrokenPyc => {
            let pyc = demo.join("__pycache__/__init__.cpython-311.pyc");
            let header = std::fs::read(&pyc).expect("the cache")[..16].to_vec();
            // The header still matches the source: only importing it shows the fault.
            let code = std::process::Command::new(python)
                .args(["-B", "-c"])
                .arg("import marshal, sys; sys.stdout.buffer.write(marshal.dumps(compile(\"raise ImportError('planted in the cache')\", 'x', 'exec')))")
                .env_clear()
                .output()
                .expect("marshal");
            assert!(code.status.success());
            let mut bytes = header;
            bytes.extend(code.stdout);
            std::fs::write(&pyc, bytes).expect("write");
        }
        Sabotage::RemovedDependency => {
            std::fs::remove_file(demo.join("util.py")).expect("rm");
            for entry in std::fs::read_dir(demo.join("__pycache__")).expect("caches") {
                let path = entry.expect("entry").path();
                if path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("util."))
                {
                    std::fs::remove_file(path).expect("rm");
                }
            }
        }
        Sabotage::OutsideImport { module } => {
            std::fs::create_dir_all(outside).expect("mkdir");
            std::fs::write(outside.join("leaky.py"), "leak = True\n").expect("write");
            let file = dest.join(module);
            let mut text = std::fs::read_to_string(&file).expect("read");
            text.push_str(&format!(
                "\nimport sys\nsys.path.append({:?})\nimport leaky\n",
                outside.display().to_string()
            ));
            std::fs::write(&file, text).expect("write");
        }
    }
}

/// Runs the three sabotages on copies of `result` (verified against
/// `original`) and checks each fails, named.
fn each_sabotage_fails(
    env: &TestEnv,
    python: &Path,
    result: &Path,
    original: &Path,
    site_packages: &Path,
    outside_module: &'static str,
    args: &[&std::ffi::OsStr],
) {
    let outside = env.path().join("elsewhere");
    let cases = [
        (
            Sabotage::BrokenPyc,
            "imports",
            "demo",
            "planted in the cache",
        ),
        (
            Sabotage::RemovedDependency,
            "imports",
            "demo",
            "No module named 'demo.util'",
        ),
        (
            Sabotage::OutsideImport {
                module: outside_module,
            },
            "isolation",
            "leaky",
            "imported from outside the tree",
        ),
    ];
    for (index, (sabotage, check, subject, reason)) in cases.iter().enumerate() {
        let dest = env.path().join(format!("sabotaged-{index}"));
        sabotaged(result, &dest, site_packages, sabotage, &outside, python);
        let (code, report) = verify(&dest, original, args);
        let found = regressions(&report);
        assert_eq!(code, 1, "{dest:?} verified: {report}");
        assert!(
            found
                .iter()
                .any(|(c, s, r)| c == check && s == subject && r.contains(reason)),
            "{check} {subject} ({reason}) not among {found:#?}"
        );
    }
    // The outside module is named with where it came from.
    let leaked = outside.join("leaky.py");
    let (_, report) = verify(&env.path().join("sabotaged-2"), original, args);
    assert!(
        regressions(&report)
            .iter()
            .any(|(_, _, r)| r.ends_with(&leaked.display().to_string())),
        "{report}"
    );
}

/// `apply --profile lossless --out` on `tree`: it verifies clean with the
/// interpreter `python` (the result's own copy, where it has one).
fn lossless(tree: &Path, out: &Path, python: &Path) -> Value {
    let report = apply_to(tree, out, &["--profile", "lossless"]);
    let verify = &report["verify"];
    assert_eq!(verify["regressions"], serde_json::json!([]), "{report}");
    assert_eq!(verify["python"], python.display().to_string(), "{report}");
    verify.clone()
}

#[test]
fn sabotage_in_a_prefix_result_fails_verification_and_nothing_is_written_outside() {
    let Some(base) = pyenv_prefix() else { return };
    let env = TestEnv::new();
    let prefix = env.path().join("prefix");
    let python = small_prefix(&base, &prefix);
    let out = env.path().join("result");
    let before = paths_under(&prefix);
    // Without --python: the result's own bin/python3.11 runs it.
    let report = lossless(&prefix, &out, &out.join("bin").join(RELEASE));
    assert_eq!(report["placement"]["mode"], "home");
    let site_packages = Path::new("lib").join(RELEASE).join("site-packages");
    each_sabotage_fails(
        &env,
        &python,
        &out,
        &prefix,
        &site_packages,
        "lib/python3.11/colorsys.py",
        &[],
    );
    assert_eq!(
        paths_under(&prefix),
        before,
        "a run wrote into the original"
    );
}

#[test]
fn sabotage_in_a_stdlib_directory_result_fails_verification() {
    let Some(base) = pyenv_prefix() else { return };
    let env = TestEnv::new();
    let prefix = env.path().join("prefix");
    let python = small_prefix(&base, &prefix);
    let stdlib = prefix.join("lib").join(RELEASE);
    let before = paths_under(&prefix);
    let out = env.path().join("result");
    // The stdlib directory's own interpreter is PREFIX/bin/python3.11; the result has no bin/.
    lossless(&stdlib, &out, &python);
    let python_arg = [std::ffi::OsStr::new("--python"), python.as_os_str()];
    each_sabotage_fails(
        &env,
        &python,
        &out,
        &stdlib,
        &Path::new("lib").join(RELEASE).join("site-packages"),
        "lib/python3.11/colorsys.py",
        &python_arg,
    );
    assert_eq!(
        paths_under(&prefix),
        before,
        "a run wrote into the original"
    );
}

#[test]
fn sabotage_in_a_venv_result_fails_verification_and_its_interpreter_prefix_gets_nothing() {
    let Some(base) = pyenv_prefix() else { return };
    let env = TestEnv::new();
    let prefix = env.path().join("prefix");
    let python = small_prefix(&base, &prefix);
    let venv = env.path().join("venv");
    small_venv(&python, &venv, &base.join("bin").join(RELEASE));
    let (before_prefix, before_venv) = (paths_under(&prefix), paths_under(&venv));
    let out = env.path().join("result");
    // Run as the copy's bin/python (not resolved), so that its pyvenv.cfg applies.
    let report = lossless(&venv, &out, &out.join("bin/python"));
    assert_eq!(report["placement"]["mode"], "path");
    let site_packages = Path::new("lib").join(RELEASE).join("site-packages");
    each_sabotage_fails(
        &env,
        &python,
        &out,
        &venv,
        &site_packages,
        "lib/python3.11/site-packages/demo/util.py",
        &[],
    );
    assert_eq!(
        paths_under(&prefix),
        before_prefix,
        "a run wrote into the interpreter's prefix"
    );
    assert_eq!(
        paths_under(&venv),
        before_venv,
        "a run wrote into the original"
    );
}

#[test]
fn a_prefix_whose_interpreter_cannot_start_is_one_error_with_its_message() {
    let Some(base) = pyenv_prefix() else { return };
    let env = TestEnv::new();
    let prefix = env.path().join("prefix");
    small_prefix(&base, &prefix);
    // No encodings: CPython stops at startup, saying so.
    std::fs::remove_dir_all(prefix.join("lib").join(RELEASE).join("encodings")).expect("rm");
    let output = pyprune()
        .arg("verify")
        .arg(&prefix)
        .output()
        .expect("verify");
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("cannot start"), "{text}");
    assert!(
        text.contains(&prefix.join("bin").join(RELEASE).display().to_string()),
        "{text}"
    );
    assert!(
        text.contains("encodings"),
        "the interpreter's own message: {text}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn an_unreadable_root_is_an_error_never_verified() {
    let env = TestEnv::new();
    let tree = package_tree(&env.path().join("tree"));
    use std::os::unix::fs::PermissionsExt as _;
    // As root every directory is readable: the check runs as nobody (uid
    // 65534) through setpriv, and the parent is opened for it to reach the tree.
    let as_root = python_print("import os; print(os.getuid())") == "0";
    // An interpreter nobody may run (pyenv's lives under /root).
    let python = if as_root {
        PathBuf::from("/usr/bin/python3")
    } else {
        PathBuf::from(python_binary())
    };
    if as_root && !(Path::new("/usr/bin/setpriv").is_file() && python.is_file()) {
        eprintln!("note: running as root without setpriv or /usr/bin/python3: skipped");
        return;
    }
    std::fs::set_permissions(env.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::set_permissions(&tree, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let pyprune = assert_cmd::cargo::cargo_bin("pyprune");
    let mut command = if as_root {
        let mut command = std::process::Command::new("/usr/bin/setpriv");
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&pyprune);
        command
    } else {
        std::process::Command::new(&pyprune)
    };
    let output = command
        .arg("verify")
        .arg(&tree)
        .arg("--python")
        .arg(&python)
        .current_dir("/")
        .output()
        .expect("verify");
    std::fs::set_permissions(&tree, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains(&format!("cannot read `{}`", tree.display())),
        "{text}"
    );
    assert!(text.contains("Permission denied"), "{text}");
}

#[test]
fn a_prefix_with_caches_of_two_releases_runs_the_majoritys_interpreter_and_says_so() {
    let Some(base) = pyenv_prefix() else { return };
    let Some(other) = base
        .parent()
        .and_then(|versions| std::fs::read_dir(versions).ok())
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.join("bin/python3.10").is_file())
    else {
        eprintln!("note: pyenv has no python3.10: skipped");
        return;
    };
    let env = TestEnv::new();
    let prefix = env.path().join("prefix");
    small_prefix(&base, &prefix);
    // A 3.10 stdlib left beside it (os.py makes it one), with its own interpreter and caches.
    let old = prefix.join("lib/python3.10");
    std::fs::create_dir_all(&old).expect("mkdir");
    std::fs::copy(other.join("lib/python3.10/os.py"), old.join("os.py")).expect("copy");
    std::fs::copy(other.join("bin/python3.10"), prefix.join("bin/python3.10")).expect("copy");
    compile_with(&other.join("bin/python3.10"), &old);
    let output = pyprune()
        .arg("verify")
        .arg(&prefix)
        .args(["--format", "json"])
        .output()
        .expect("verify");
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("no report: {}", stderr(&output)));
    let python = prefix.join("bin").join(RELEASE);
    assert_eq!(report["python"], python.display().to_string(), "{report}");
    let notes = report["notes"].as_array().expect("notes");
    assert!(
        notes.iter().any(|n| n["check"] == "interpreter"
            && n["reason"]
                .as_str()
                .is_some_and(|r| r.contains("cpython-310")
                    && r.contains("cpython-311")
                    && r.contains("several releases"))),
        "{report}"
    );
}
