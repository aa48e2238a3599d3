//! Issue 11: after `fedora-default` (optimized caches dropped, a marker
//! against writing), no start of the result's Python at -O0, -O or -OO writes
//! a cache: not of the modules Python imports before pyprune's runtime loads
//! (os, site, io, codecs, ... on 3.8–3.10, which freeze none of them; the
//! codec site decodes `.pth` files with on 3.13), which are asked from the
//! interpreter and kept or compiled; and not on Debian's python3.11, whose
//! site reads dist-packages only, where the runtime's `.pth` must then go.
//! Each test copies a real interpreter and the part of its stdlib a start and
//! a few imports need into a temp prefix, and runs the copy (skipped, with a
//! note, where the interpreter is not installed).

use crate::harness::{TestEnv, pyprune, stderr};
use crate::harness::pyenv_python;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What each start imports after site: enough to touch modules of packages
/// and of lib-dynload.
const IMPORTS: &str = "import json, email.message, collections, decimal";

/// What pyprune itself runs with the tree's interpreter (discovery, the
/// compile workers) and what the reduced stdlib must hold to be one: those
/// and [`IMPORTS`] are copied.
const NEEDED: &str = "import site, sysconfig, json, importlib.machinery, importlib.util, py_compile, warnings, marshal, io; sysconfig.get_paths()";

/// `python` with nothing from the caller's environment, `HOME` in `home`
/// (no user site-packages of the machine's).
fn clean(python: &Path, home: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(python);
    command
        .env_clear()
        .env("HOME", home)
        .env("LANG", "C.UTF-8")
        .current_dir(home);
    command
}

/// Copies `python` (whose stdlib is `stdlib`) to `prefix/bin`, and to
/// `prefix/lib/python3.X` the stdlib files of every module it has imported
/// after [`NEEDED`] and [`IMPORTS`] (sources, packages' `__init__`, lib-dynload
/// extensions); symlinks are copied as symlinks (Debian's sitecustomize leads
/// out of the tree). Compiled at all three levels by the original interpreter,
/// as an installer does. Returns the copied interpreter.
fn reduced_copy(env: &TestEnv, python: &Path, stdlib: &Path, prefix: &Path) -> PathBuf {
    let code = format!("import sys; {NEEDED}; {IMPORTS}; print(*sys.modules)");
    let out = clean(python, env.path())
        .args(["-I", "-B", "-c", &code])
        .output()
        .expect("python");
    assert!(out.status.success(), "{}", stderr(&out));
    let modules = String::from_utf8(out.stdout).expect("utf-8");
    let lib = prefix
        .join("lib")
        .join(stdlib.file_name().expect("python3.X"));
    let dynload: Vec<String> = std::fs::read_dir(stdlib.join("lib-dynload"))
        .map(|d| {
            d.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    for module in modules.split_whitespace() {
        let rel = module.replace('.', "/");
        let mut candidates = vec![format!("{rel}.py"), format!("{rel}/__init__.py")];
        candidates.extend(
            dynload
                .iter()
                .filter(|n| n.split('.').next() == Some(module))
                .map(|n| format!("lib-dynload/{n}")),
        );
        for rel in candidates {
            let from = stdlib.join(&rel);
            if std::fs::symlink_metadata(&from).is_ok() {
                let to = lib.join(&rel);
                std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
                let status = std::process::Command::new("cp")
                    .arg("-P")
                    .arg(&from)
                    .arg(&to)
                    .status()
                    .expect("cp");
                assert!(status.success(), "cp {from:?}");
            }
        }
    }
    std::fs::create_dir_all(prefix.join("bin")).expect("mkdir");
    let copy = prefix.join("bin").join(python.file_name().expect("name"));
    std::fs::copy(python, &copy).expect("copy the interpreter");
    // 3.8 has no `compileall -o`: one run per level.
    for flags in [&[][..], &["-O"], &["-OO"]] {
        let out = clean(python, env.path())
            .args(flags)
            .args(["-I", "-m", "compileall", "-q"])
            .arg(&lib)
            .output()
            .expect("compileall");
        assert!(out.status.success(), "compileall: {}", stderr(&out));
    }
    copy
}

/// Every file under `root`.
fn files(root: &Path) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let entry = entry.expect("entry");
            let path = entry.path();
            if entry.file_type().expect("type").is_dir() {
                dirs.push(path);
            } else {
                found.insert(path.strip_prefix(root).expect("inside").to_path_buf());
            }
        }
    }
    found
}

/// Starts `python` at each level with [`IMPORTS`]: it must run from `prefix`
/// (its own copy, not the original), load pyprune's runtime when `runtime`
/// says so, and write nothing into `prefix`. Returns what each level wrote.
fn starts_write(
    env: &TestEnv,
    python: &Path,
    prefix: &Path,
    runtime: bool,
) -> Vec<(&'static str, Vec<PathBuf>)> {
    let mut written = Vec::new();
    for (level, flags) in [("-O0", &[][..]), ("-O", &["-O"]), ("-OO", &["-OO"])] {
        let before = files(prefix);
        let code = format!(
            "{IMPORTS}; import sys; print(sys.prefix); print('pyprune_runtime' in sys.modules)"
        );
        let out = clean(python, env.path())
            .args(flags)
            .args(["-c", &code])
            .output()
            .expect("python");
        assert!(out.status.success(), "{level}: {}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut lines = text.lines();
        assert_eq!(
            lines.next().map(PathBuf::from),
            Some(prefix.canonicalize().expect("canonical")),
            "{level}: the copy must run from its own prefix"
        );
        assert_eq!(
            lines.next(),
            Some(if runtime { "True" } else { "False" }),
            "{level}: pyprune's runtime loaded"
        );
        let new: Vec<PathBuf> = files(prefix).difference(&before).cloned().collect();
        written.push((level, new));
    }
    written
}

/// `apply --profile fedora-default` to `out`, with the copied interpreter named.
fn fedora_default(python: &Path, tree: &Path, out: &Path) {
    let output = pyprune()
        .args(["apply", "--profile", "fedora-default", "--python"])
        .arg(python)
        .arg("--out")
        .arg(out)
        .arg(tree)
        .output()
        .expect("apply");
    assert!(output.status.success(), "{}", stderr(&output));
}

/// The copied interpreter at `--out`'s place.
fn moved(python: &Path, from: &Path, to: &Path) -> PathBuf {
    to.join(python.strip_prefix(from).expect("inside"))
}

/// pyenv's `version` copied into `TMP/usr/local` (Docker's prefix; pyenv's is
/// laid out the same), `fedora-default` applied, the result started at every
/// level: nothing written, the runtime loaded.
fn fedora_default_writes_nothing(version: &str) {
    let Some((python, stdlib)) = pyenv_python(version) else {
        eprintln!("note: pyenv has no Python {version}: issue 11's test skipped for it");
        return;
    };
    let env = TestEnv::new();
    let prefix = env.path().join("usr/local");
    let copy = reduced_copy(&env, &python, &stdlib, &prefix);
    // The copy itself runs from its prefix (and, compiled at every level, writes nothing).
    let before = starts_write(&env, &copy, &prefix, false);
    assert!(before.iter().all(|(_, w)| w.is_empty()), "{before:?}");
    let out = env.path().join("out");
    fedora_default(&copy, &prefix, &out);
    let after = starts_write(&env, &moved(&copy, &prefix, &out), &out, true);
    assert!(
        after.iter().all(|(_, w)| w.is_empty()),
        "{version}: the first starts after fedora-default wrote {after:?}"
    );
}

#[test]
fn fedora_default_writes_nothing_on_3_8() {
    fedora_default_writes_nothing("3.8.18");
}

#[test]
fn fedora_default_writes_nothing_on_3_9() {
    fedora_default_writes_nothing("3.9.18");
}

#[test]
fn fedora_default_writes_nothing_on_3_10() {
    fedora_default_writes_nothing("3.10.13");
}

#[test]
fn fedora_default_writes_nothing_on_3_12() {
    fedora_default_writes_nothing("3.12.1");
}

#[test]
fn fedora_default_writes_nothing_on_3_13() {
    fedora_default_writes_nothing("3.13.0");
}

/// Debian's python3.11 finds its prefix from where its binary is: copied to
/// `TMP/usr/bin` with a reduced `/usr/lib/python3.11` (its sitecustomize a
/// symlink to /etc, as shipped), it runs from the copy. Its site reads only
/// dist-packages: the runtime's `.pth` must go there for the runtime to load
/// and the markers to hold.
#[test]
fn fedora_default_on_debians_python_loads_the_runtime_and_writes_nothing() {
    let python = Path::new("/usr/bin/python3.11");
    let stdlib = Path::new("/usr/lib/python3.11");
    if !python.is_file() || !stdlib.join("os.py").is_file() {
        eprintln!("note: Debian's python3.11 is not installed: its test skipped");
        return;
    }
    let env = TestEnv::new();
    let prefix = env.path().join("usr");
    let copy = reduced_copy(&env, python, stdlib, &prefix);
    assert!(
        std::fs::symlink_metadata(prefix.join("lib/python3.11/sitecustomize.py"))
            .is_ok_and(|m| m.file_type().is_symlink()),
        "Debian's own sitecustomize is copied as the symlink it is"
    );
    let out = env.path().join("out");
    fedora_default(&copy, &prefix, &out);
    assert!(
        out.join("lib/python3.11/dist-packages/00-pyprune-runtime.pth")
            .is_file()
    );
    let after = starts_write(&env, &moved(&copy, &prefix, &out), &out, true);
    assert!(
        after.iter().all(|(_, w)| w.is_empty()),
        "Debian's python3.11: the first starts after fedora-default wrote {after:?}"
    );
}

/// The `.pth` of `site.getsitepackages([tree])` by `python`, computed here:
/// the first that exists, else the first inside the stdlib directory, else the first.
fn site_reads(python: &Path, tree: &Path, stdlib: &Path) -> PathBuf {
    let code = "import site, sys; print('\\n'.join(site.getsitepackages([sys.argv[1]])))";
    let out = std::process::Command::new(python)
        .env_clear()
        .args(["-I", "-c", code])
        .arg(tree)
        .output()
        .expect("python");
    assert!(out.status.success(), "{}", stderr(&out));
    let dirs: Vec<PathBuf> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(PathBuf::from)
        .collect();
    let dir = dirs
        .iter()
        .find(|d| d.is_dir())
        .or_else(|| dirs.iter().find(|d| d.starts_with(stdlib)))
        .or_else(|| dirs.first())
        .expect("site reads a directory");
    dir.strip_prefix(tree)
        .expect("in the tree")
        .join("00-pyprune-runtime.pth")
}

/// What `plan --format json --python PYTHON TREE` says of the runtime.
fn planned_runtime(python: &Path, tree: &Path) -> serde_json::Value {
    let output = pyprune()
        .args(["plan", "--format", "json", "--python"])
        .arg(python)
        .arg(tree)
        .output()
        .expect("plan");
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    report["runtime"].clone()
}

/// A `lib64/python3.X` stdlib (Fedora's layout) cannot be run by a
/// `lib`-built interpreter (it looks for `lib/python3.X`), so what is tested
/// is where `plan` puts the runtime: where the tree's interpreter's site reads
/// `.pth` files under the tree, as the interpreter says. Debian's, on a
/// prefix with a `lib/python3/dist-packages`, is that directory; on the same
/// stdlib alone, its `dist-packages`.
#[test]
fn plan_puts_the_runtime_where_the_interpreters_site_reads_it() {
    let Some((python, stdlib)) = pyenv_python("3.12.1") else {
        eprintln!("note: pyenv has no Python 3.12.1: the lib64 test skipped");
        return;
    };
    let env = TestEnv::new();
    let lib64 = env.path().join("fedora");
    let tree_stdlib = lib64.join("lib64/python3.12");
    for file in ["os.py", "stat.py", "colorsys.py"] {
        std::fs::create_dir_all(&tree_stdlib).expect("mkdir");
        std::fs::copy(stdlib.join(file), tree_stdlib.join(file)).expect("copy");
    }
    let runtime = planned_runtime(&python, &lib64);
    assert_eq!(runtime["module"], "lib64/python3.12/pyprune_runtime.py");
    let expected = site_reads(&python, &lib64, &tree_stdlib);
    assert_eq!(runtime["pth"], expected.to_string_lossy().as_ref());
    assert_eq!(runtime["pth_place_asked"], true);

    let debian = Path::new("/usr/bin/python3.11");
    if !debian.is_file() {
        return;
    }
    let prefix = env.path().join("usr");
    let debian_stdlib = prefix.join("lib/python3.11");
    std::fs::create_dir_all(&debian_stdlib).expect("mkdir");
    for file in ["os.py", "stat.py", "colorsys.py"] {
        std::fs::copy(
            Path::new("/usr/lib/python3.11").join(file),
            debian_stdlib.join(file),
        )
        .expect("copy");
    }
    std::fs::create_dir_all(prefix.join("lib/python3/dist-packages")).expect("mkdir");
    let runtime = planned_runtime(debian, &prefix);
    let expected = site_reads(debian, &prefix, &debian_stdlib);
    assert_eq!(
        expected,
        Path::new("lib/python3/dist-packages/00-pyprune-runtime.pth")
    );
    assert_eq!(runtime["pth"], expected.to_string_lossy().as_ref());
    let alone = planned_runtime(debian, &debian_stdlib);
    assert_eq!(alone["module"], "pyprune_runtime.py");
    assert_eq!(alone["pth"], "dist-packages/00-pyprune-runtime.pth");
}

/// An interpreter that cannot say what it imports at start (its `site`
/// planted to fail when imported after `-S`, as the question imports it;
/// discovery, which runs site as usual, still works; 3.10, whose site is not
/// frozen) gets a warning naming it
/// and why, and the plan goes on with the `encodings` modules assumed.
#[test]
fn an_interpreter_that_cannot_say_is_a_warning_not_a_failure() {
    let Some((python, stdlib)) = pyenv_python("3.10.13") else {
        eprintln!("note: pyenv has no Python 3.10.13: its test skipped");
        return;
    };
    let env = TestEnv::new();
    let prefix = env.path().join("usr/local");
    let copy = reduced_copy(&env, &python, &stdlib, &prefix);
    let site = prefix.join("lib/python3.10/site.py");
    let mut text = std::fs::read_to_string(&site).expect("site.py");
    text.push_str("\nif sys.flags.no_site:\n    raise RuntimeError('planted fault')\n");
    std::fs::write(&site, text).expect("plant");
    let output = pyprune()
        .args(["plan", "--format", "json", "--python"])
        .arg(&copy)
        .arg(&prefix)
        .output()
        .expect("plan");
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "`{}` did not say which modules it imports at start",
            copy.display()
        )) && err.contains("planted fault"),
        "{err}"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let fedora = report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["name"] == "fedora-default")
        .expect("fedora-default");
    // Not asked again at the other levels, nor for each row: said once.
    assert_eq!(err.matches("did not say").count(), 1, "{err}");
    assert!(fedora["disk_bytes"].as_u64().is_some());
}
