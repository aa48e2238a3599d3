//! Issue 11: the module lists of `exclude-dev-modules` and
//! `exclude-dead-batteries` are those of the tree's release (3.8–3.14); `plan`
//! names what each removal takes away; a tree of a release pyprune does not
//! know is refused by `apply` (and `plan`/`analyze` warn); the stdlib is the
//! target, its site-packages left out unless named. Real stdlib files of
//! pyenv's interpreters (skipped, with a note, where pyenv lacks one), compiled
//! by those interpreters.

use crate::harness::{
    TestEnv, compileall_all_levels, copy_from_stdlib, du_bytes, pyenv_python, pyprune,
    remove_caches, stderr, tiny_stdlib,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// PREFIX/lib/python3.X holding `files` of pyenv's `stdlib` and `planted`
/// files (path, text), compiled by `python`.
fn reduced(
    python: &Path,
    stdlib: &Path,
    prefix: &Path,
    files: &[&str],
    planted: &[(&str, &str)],
) -> PathBuf {
    let lib = prefix
        .join("lib")
        .join(stdlib.file_name().expect("python3.X"));
    for file in files {
        let to = lib.join(file);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(stdlib.join(file), &to).expect("copy");
    }
    for (path, text) in planted {
        let to = lib.join(path);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::write(&to, text).expect("write");
    }
    remove_caches(&lib);
    let out = pyprune_python::clean_command(python.as_os_str())
        .args(["-m", "compileall", "-q"])
        .arg(&lib)
        .output()
        .expect("compileall");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    lib
}

/// `pyprune ARGS --format json`, which must succeed: the report and stderr.
fn json(args: &[&std::ffi::OsStr]) -> (Value, String) {
    let output = pyprune()
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("pyprune");
    assert!(output.status.success(), "{}", stderr(&output));
    (
        serde_json::from_slice(&output.stdout).expect("JSON"),
        stderr(&output),
    )
}

/// The `modules` of the plan row of `step`.
fn named<'a>(report: &'a Value, step: &str) -> &'a Value {
    let row = report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["name"] == step)
        .expect("the step's row");
    &row["modules"]
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("string").to_owned())
        .collect()
}

/// Every file below `root` (relative path → bytes).
fn files_below(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir").flatten() {
            let path = entry.path();
            if entry.file_type().expect("type").is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).expect("inside").to_path_buf();
                found.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    found
}

/// On 3.10 the dev modules are distutils and lib2to3, the dead batteries
/// asyncore, cgi, imp; on 3.12 distutils, asyncore and imp are gone from
/// CPython, so modules of those names in a 3.12 tree (planted here: a
/// setuptools-style `distutils`) are someone else's and stay.
#[test]
fn each_release_loses_what_it_ships_of_the_lists() {
    let env = TestEnv::new();
    let common = ["os.py", "stat.py", "cgi.py", "lib2to3/__init__.py"];
    let mut checked = 0;
    for (version, extra, planted) in [
        (
            "3.10.13",
            &["distutils/__init__.py", "asyncore.py", "imp.py"][..],
            &[][..],
        ),
        (
            "3.12.1",
            &[][..],
            &[
                ("distutils/__init__.py", "# setuptools' stand-in\n"),
                ("asyncore.py", "# a module of this name, not CPython's\n"),
                ("imp.py", "# a module of this name, not CPython's\n"),
            ][..],
        ),
    ] {
        let Some((python, stdlib)) = pyenv_python(version) else {
            eprintln!("note: pyenv has no Python {version}: its part is skipped");
            continue;
        };
        let prefix = env.path().join(version);
        let mut files = common.to_vec();
        files.extend_from_slice(extra);
        let lib = reduced(&python, &stdlib, &prefix, &files, planted);
        let (report, _) = json(&["plan".as_ref(), prefix.as_os_str()]);
        let dev = strings(&named(&report, "exclude-dev-modules")["removed"]);
        let dead = strings(&named(&report, "exclude-dead-batteries")["removed"]);
        if version.starts_with("3.10") {
            assert_eq!(dev, ["distutils", "lib2to3"], "{version}");
            assert_eq!(dead, ["asyncore", "cgi", "imp"], "{version}");
        } else {
            assert_eq!(dev, ["lib2to3"], "{version}");
            assert_eq!(dead, ["cgi"], "{version}");
            // Applied, the planted modules are still there, and the release's own are gone.
            let out = env.path().join(format!("{version}-out"));
            let output = pyprune()
                .args([
                    "apply",
                    "--no-verify",
                    "--steps",
                    "exclude-dev-modules,exclude-dead-batteries",
                    "--out",
                ])
                .arg(&out)
                .arg(&prefix)
                .output()
                .expect("apply");
            assert!(output.status.success(), "{}", stderr(&output));
            let result = out.join(lib.strip_prefix(&prefix).expect("inside"));
            for (path, _) in planted {
                assert!(result.join(path).is_file(), "{path} was removed");
            }
            assert!(!result.join("cgi.py").exists());
            assert!(!result.join("lib2to3").exists());
        }
        checked += 1;
    }
    eprintln!("checked {checked} releases");
}

/// `plan` names, in text, what a removal keeps and who imports it; the list
/// is folded past a few names and whole with --verbose.
#[test]
fn plan_text_names_removed_and_kept_modules() {
    let env = TestEnv::new();
    let stdlib = tiny_stdlib(env.path());
    copy_from_stdlib(&stdlib, &["cgi.py", "xdrlib.py", "chunk.py", "uu.py"]);
    let mut names: Vec<String> = (0..10).map(|i| format!("test/test_m{i}.py")).collect();
    names.push("test/__init__.py".to_owned());
    names.push("ctypes/test/test_a.py".to_owned());
    for (i, name) in names.iter().enumerate() {
        env.write(stdlib.join(name), format!("x = {i}\n"));
    }
    // Ten test modules in ten packages: more than the text shows.
    for i in 0..10 {
        env.write(stdlib.join(format!("p{i}/tests/test_x.py")), "");
    }
    env.write(stdlib.join("colorsys.py"), "import uu\n");
    compileall_all_levels(&stdlib);
    let output = pyprune()
        .arg("plan")
        .arg(env.path())
        .output()
        .expect("plan");
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let section = text
        .split_once("What each removal takes away\n")
        .expect("the section")
        .1;
    assert!(
        section.contains(" exclude-dead-batteries: 3 modules: cgi, chunk, xdrlib\n"),
        "{section}"
    );
    assert!(
        section.contains("   and keeps 1 that kept modules import:\n     uu (by colorsys)\n"),
        "{section}"
    );
    assert!(
        section.contains(" exclude-tests: 12 modules: ctypes.test.test_a, p0.tests.test_x"),
        "{section}"
    );
    assert!(section.contains(", and 4 more\n"), "{section}");
    assert!(section.contains(" exclude-idle-tk: no module on this tree\n"));
    let verbose = pyprune()
        .args(["plan", "--verbose"])
        .arg(env.path())
        .output()
        .expect("plan");
    let verbose = String::from_utf8_lossy(&verbose.stdout).into_owned();
    assert!(
        verbose.contains("p9.tests.test_x, test\n"),
        "{}",
        verbose.split_once("What each").map_or("", |s| s.1)
    );
}

/// A tree of a release pyprune does not know is refused by `apply`, naming
/// the release and the tree, and left as it was; `plan` and `analyze` warn.
#[test]
fn unknown_releases_are_refused_by_apply() {
    let env = TestEnv::new();
    let mut trees: Vec<(PathBuf, &str)> = Vec::new();
    if let Some((python, stdlib)) = pyenv_python("3.7.16") {
        let prefix = env.path().join("py37");
        reduced(&python, &stdlib, &prefix, &["os.py", "stat.py"], &[]);
        trees.push((prefix, "3.7"));
    } else {
        eprintln!("note: pyenv has no Python 3.7: its part is skipped");
    }
    // Caches of a release to come, beside the installed stdlib's files.
    let future = env.path().join("py315");
    copy_from_stdlib(&future, &["os.py", "stat.py"]);
    env.write(
        future.join("__pycache__/os.cpython-315.pyc"),
        b"\xff\x0d\x0d\x0a\0\0\0\0\0\0\0\0\0\0\0\0",
    );
    trees.push((future, "3.15"));
    for (tree, release) in trees {
        let before = files_below(&tree);
        let out = env.path().join(format!("out-{release}"));
        let output = pyprune()
            .args(["apply", "--profile", "minimal", "--no-verify", "--out"])
            .arg(&out)
            .arg(&tree)
            .output()
            .expect("apply");
        let error = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{error}");
        assert!(
            error.contains(&format!(
                "`{}` is for Python {release}, and pyprune knows Python 3.8 to 3.14 only",
                tree.canonicalize().expect("canonical").display()
            )),
            "{error}"
        );
        assert!(!out.exists());
        assert_eq!(files_below(&tree), before);
        let in_place = pyprune()
            .args([
                "apply",
                "--steps",
                "drop-caches",
                "--in-place",
                "--no-verify",
            ])
            .arg(&tree)
            .output()
            .expect("apply");
        assert_eq!(in_place.status.code(), Some(2), "{}", stderr(&in_place));
        assert_eq!(files_below(&tree), before);
        for command in ["plan", "analyze"] {
            let (_, warned) = json(&[command.as_ref(), tree.as_os_str()]);
            assert!(
                warned.contains(&format!("is for Python {release}, and pyprune knows")),
                "{command}: {warned}"
            );
        }
    }
    // The first release pyprune knows is not refused.
    if let Some((python, stdlib)) = pyenv_python("3.8.18") {
        let prefix = env.path().join("py38");
        reduced(&python, &stdlib, &prefix, &["os.py", "stat.py"], &[]);
        let output = pyprune()
            .args(["apply", "--steps", "drop-caches", "--no-verify", "--out"])
            .arg(env.path().join("out-3.8"))
            .arg(&prefix)
            .output()
            .expect("apply");
        assert!(output.status.success(), "{}", stderr(&output));
    }
}

/// The site-packages of a prefix are left out of plan's sizes and of every
/// step of apply (copied unchanged), said with their size; they still keep
/// the stdlib modules they import; `--site-packages` takes them in; a
/// site-packages named as the tree is worked on.
#[test]
fn site_packages_are_left_out_unless_named() {
    let env = TestEnv::new();
    // The prefix apart from the outputs: --out inside the tree is refused.
    let prefix = env.path().join("prefix");
    let stdlib = tiny_stdlib(&prefix);
    copy_from_stdlib(&stdlib, &["cgi.py", "xdrlib.py"]);
    let site = stdlib.join("site-packages");
    env.write(site.join("pkg/__init__.py"), "from . import _compat\n");
    env.write(site.join("pkg/_compat.py"), "import cgi\n");
    env.write(site.join("pkg/tests/test_pkg.py"), "import pkg\n");
    // A console script, as pip lists it: in the prefix's bin/, outside the stdlib directory.
    env.write(
        site.join("pkg-1.0.dist-info/RECORD"),
        "pkg/__init__.py,,\n../../../bin/pkg-tool,,\n",
    );
    compileall_all_levels(&stdlib);
    let prefix = prefix.as_path();
    let rel_site = site
        .strip_prefix(prefix)
        .expect("inside")
        .display()
        .to_string();

    let (report, _) = json(&["plan".as_ref(), prefix.as_os_str()]);
    assert_eq!(strings(&report["left_out"]["dirs"]), [rel_site.as_str()]);
    assert_eq!(report["left_out"]["disk_bytes"], du_bytes(&site, false));
    assert_eq!(
        report["disk_bytes"],
        du_bytes(prefix, false) - du_bytes(&site, false)
    );
    let dead = named(&report, "exclude-dead-batteries");
    assert_eq!(strings(&dead["removed"]), ["xdrlib"]);
    assert_eq!(dead["kept"][0]["module"], "cgi");
    assert_eq!(strings(&dead["kept"][0]["imported_by"]), ["pkg._compat"]);
    let tests = strings(&named(&report, "exclude-tests")["removed"]);
    assert!(!tests.iter().any(|m| m.starts_with("pkg")), "{tests:?}");

    // The stdlib directory alone: its site-packages left out, their RECORDs
    // (naming bin/ outside this tree) are no matter of this plan's.
    let (_, said) = json(&["plan".as_ref(), stdlib.as_os_str()]);
    assert!(!said.contains("RECORD"), "{said}");

    let (analyzed, _) = json(&["analyze".as_ref(), prefix.as_os_str()]);
    assert_eq!(analyzed["left_out"], report["left_out"]);
    let counted = analyzed["totals"]["disk_bytes"].as_u64().expect("u64")
        + analyzed["directories"]["disk_bytes"].as_u64().expect("u64");
    assert_eq!(counted, du_bytes(prefix, false) - du_bytes(&site, false));

    let before = files_below(&site);
    let out = env.path().join("out-prefix");
    let (applied, _) = json(&[
        "apply".as_ref(),
        "--profile".as_ref(),
        "minimal".as_ref(),
        "--no-verify".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        prefix.as_os_str(),
    ]);
    assert_eq!(applied["left_out"], report["left_out"]);
    let after = files_below(&out.join(&rel_site));
    for (path, bytes) in &before {
        assert_eq!(after.get(path), Some(bytes), "{}", path.display());
    }
    // minimal removes modules: the runtime that explains them puts its `.pth` there, and nothing else.
    let added: Vec<String> = after
        .keys()
        .filter(|p| !before.contains_key(*p))
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(added, [pyprune_steps::RUNTIME_PTH]);
    assert_eq!(after.len(), before.len() + 1);
    // A step that needs pyprune's runtime still puts its `.pth` there, and nothing else.
    let out_marked = env.path().join("out-marked");
    json(&[
        "apply".as_ref(),
        "--steps".as_ref(),
        "exclude-tests,no-write-marker".as_ref(),
        "--no-verify".as_ref(),
        "--out".as_ref(),
        out_marked.as_os_str(),
        prefix.as_os_str(),
    ]);
    let marked = files_below(&out_marked.join(&rel_site));
    let added: Vec<String> = marked
        .keys()
        .filter(|p| !before.contains_key(*p))
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(added, [pyprune_steps::RUNTIME_PTH]);
    for (path, bytes) in &before {
        assert_eq!(marked.get(path), Some(bytes), "{}", path.display());
    }
    let out_lib = out.join(stdlib.strip_prefix(prefix).expect("inside"));
    assert!(!out_lib.join("xdrlib.py").exists());

    // compile and dedupe leave them out too, and say so.
    env.write(site.join("pkg/fresh.py"), "X = 1\n");
    let fresh_cache = site.join(format!(
        "pkg/__pycache__/fresh.{}.pyc",
        crate::harness::cache_tag()
    ));
    let left_out = serde_json::json!({
        "dirs": [rel_site.as_str()],
        "disk_bytes": du_bytes(&site, false),
    });
    let (compiled, _) = json(&["compile".as_ref(), prefix.as_os_str()]);
    assert_eq!(compiled["left_out"], left_out);
    assert!(!fresh_cache.exists());
    let (deduped, _) = json(&["dedupe".as_ref(), "--dry-run".as_ref(), prefix.as_os_str()]);
    assert_eq!(deduped["left_out"], left_out);
    let (compiled, _) = json(&[
        "compile".as_ref(),
        "--site-packages".as_ref(),
        prefix.as_os_str(),
    ]);
    assert_eq!(compiled["left_out"]["dirs"], serde_json::json!([]));
    assert!(fresh_cache.is_file());

    // Named, they are worked on.
    let out = env.path().join("out-named");
    let (applied, _) = json(&[
        "apply".as_ref(),
        "--site-packages".as_ref(),
        "--steps".as_ref(),
        "exclude-tests".as_ref(),
        "--no-verify".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        prefix.as_os_str(),
    ]);
    assert_eq!(applied["left_out"]["dirs"], serde_json::json!([]));
    assert!(!out.join(&rel_site).join("pkg/tests").exists());
    assert!(out.join(&rel_site).join("pkg/_compat.py").is_file());
    let (report, _) = json(&["plan".as_ref(), site.as_os_str()]);
    assert_eq!(report["left_out"]["dirs"], serde_json::json!([]));
    assert_eq!(
        strings(&named(&report, "exclude-tests")["removed"]),
        ["pkg.tests.test_pkg"]
    );
}
