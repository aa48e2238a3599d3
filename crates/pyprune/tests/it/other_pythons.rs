//! Installations pyprune does not minimize are refused up front, by `plan`,
//! `apply`, `verify` and `split` (whose `--check` verifies, and whose default
//! layers ask the interpreter what it imports before pyprune's runtime loads),
//! with one clear error and nothing written or run:
//! PyPy (by its interpreter, its cache tags or its `lib/pypy3.X` layout), and
//! a tree with nothing Python could import, which `verify` must never call
//! "verified".

use crate::harness::*;
use std::path::Path;

/// Runs pyprune with `args`; it must fail with exit 2 and say `expected`.
fn refused(args: &[&std::ffi::OsStr], expected: &str) {
    let output = pyprune().args(args).output().expect("pyprune");
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {text}");
    assert!(text.contains(expected), "{args:?}: {text}");
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

/// Every command that plans, changes or verifies a tree refuses `tree` (with `extra` flags).
fn every_command_refuses(env: &TestEnv, tree: &Path, extra: &[&str], expected: &str) {
    let out = env.path().join("out");
    let lists = env.path().join("lists");
    let mut runs: Vec<Vec<&std::ffi::OsStr>> = vec![
        vec![os("plan")],
        vec![
            os("apply"),
            os("--profile"),
            os("compact"),
            os("--out"),
            out.as_os_str(),
        ],
        vec![
            os("apply"),
            os("--profile"),
            os("compact"),
            os("--in-place"),
        ],
        vec![os("verify")],
        vec![os("split"), os("--out"), lists.as_os_str(), os("--check")],
    ];
    for run in &mut runs {
        run.extend(extra.iter().map(|e| os(e)));
        run.push(tree.as_os_str());
        refused(run, expected);
    }
    assert!(!out.exists(), "apply wrote its result");
    assert!(!lists.exists(), "split wrote its lists");
    assert!(
        !tree.join(".pyprune-journal").exists(),
        "apply journaled the tree"
    );
}

#[test]
fn a_pypy_tree_is_refused_by_its_layout_and_its_caches() {
    let env = TestEnv::new();
    // Laid out as PyPy lays out its library, with CPython's files in it.
    let prefix = env.path().join("pypy");
    copy_from_stdlib(
        &prefix.join("lib/pypy3.9"),
        &["os.py", "stat.py", "colorsys.py"],
    );
    every_command_refuses(
        &env,
        &prefix,
        &[],
        "is for pypy, not CPython: pyprune minimizes and verifies CPython installations only (pypy finds its library its own way, ignoring PYTHONHOME, and does not load pyprune's runtime)\n",
    );
    // Caches tagged for PyPy, in a directory not named for it.
    let tagged = env.path().join("tagged");
    copy_from_stdlib(&tagged, &["colorsys.py"]);
    env.write(
        "tagged/__pycache__/colorsys.pypy39.pyc",
        b"\x50\x0d\x0d\x0a",
    );
    every_command_refuses(&env, &tagged, &[], "is for pypy, not CPython");
}

#[test]
fn a_pypy_interpreter_is_refused_before_it_runs() {
    let Ok(pypy) = which("pypy3") else {
        eprintln!(
            "note: pypy3 is not installed (scripts/install-test-deps.sh installs it): skipped"
        );
        return;
    };
    let env = TestEnv::new();
    let tree = env.path().join("tree");
    copy_from_stdlib(&tree, &["colorsys.py", "json"]);
    let python = format!("--python={}", pypy.display());
    every_command_refuses(&env, &tree, &[&python], "is for pypy, not CPython");
    // Its own library, found through it: planned by no command either.
    refused(&[os("plan"), os(&python)], "is for pypy, not CPython");
    refused(&[os("split"), os(&python)], "is for pypy, not CPython");
    // verify ran nothing there: the tree holds no cache PyPy would write.
    assert!(!tree.join("__pycache__").exists());
}

#[test]
fn verify_never_calls_an_empty_tree_verified() {
    let env = TestEnv::new();
    let empty = env.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    env.write("data/README.txt", "no modules here\n");
    for tree in [empty, env.path().join("data")] {
        refused(
            &[os("verify"), tree.as_os_str()],
            "holds no module Python could import",
        );
    }
}

fn which(name: &str) -> Result<std::path::PathBuf, ()> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .ok_or(())
}

#[test]
fn bytecode_of_another_release_is_one_clear_error_not_a_regression_per_file() {
    let env = TestEnv::new();
    let tree = env.path().join("tree");
    copy_from_stdlib(&tree, &["colorsys.py", "json"]);
    compileall_all_levels(&tree);
    // The caches carry a release pyprune knows and no interpreter here has (one
    // it does not know, apply refuses before any interpreter: releases.rs).
    let tag = cache_tag();
    for dir in [tree.join("__pycache__"), tree.join("json/__pycache__")] {
        for entry in std::fs::read_dir(&dir).expect("caches") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            std::fs::rename(&path, dir.join(name.replace(&tag, "cpython-314"))).expect("rename");
        }
    }
    let expected = "is for cpython-314";
    refused(&[os("verify"), tree.as_os_str()], expected);
    let out = env.path().join("out");
    refused(
        &[
            os("apply"),
            os("--steps"),
            os("drop-opt2"),
            os("--out"),
            out.as_os_str(),
            tree.as_os_str(),
        ],
        expected,
    );
    refused(
        &[
            os("apply"),
            os("--steps"),
            os("drop-opt2"),
            os("--in-place"),
            tree.as_os_str(),
        ],
        expected,
    );
    assert!(!out.exists());
    assert!(!tree.join(".pyprune-journal").exists());
    // Without verification there is nothing to run: the steps go ahead.
    apply_to(&tree, &out, &["--steps", "drop-opt2", "--no-verify"]);
    // Caches of this interpreter among others' (left over from an upgrade,
    // even outnumbered): the tree is run and verified.
    compileall(&["-o0"], &tree);
    let mixed = env.path().join("mixed");
    let report = apply_to(&tree, &mixed, &["--steps", "drop-opt2"]);
    assert_eq!(
        report["verify"]["regressions"],
        serde_json::json!([]),
        "{report}"
    );
    let output = pyprune().arg("verify").arg(&tree).output().expect("verify");
    assert!(output.status.success(), "{}", stderr(&output));
}

/// Caches under this interpreter's own tag but with another magic number (an
/// alpha or a patched build of the release writes another): one clear error
/// naming both numbers, as for another tag, in verify and apply.
#[test]
fn bytecode_of_another_build_of_the_same_release_is_one_clear_error() {
    let env = TestEnv::new();
    let tree = env.path().join("tree");
    copy_from_stdlib(&tree, &["colorsys.py", "json"]);
    compileall_all_levels(&tree);
    let theirs = python_print(
        "import importlib.util as u; print(int.from_bytes(u.MAGIC_NUMBER[:2], 'little'))",
    );
    let other: u16 = theirs.trim().parse::<u16>().expect("magic") - 1;
    for dir in [tree.join("__pycache__"), tree.join("json/__pycache__")] {
        for entry in std::fs::read_dir(&dir).expect("caches") {
            let path = entry.expect("entry").path();
            let mut bytes = std::fs::read(&path).expect("read");
            bytes[..2].copy_from_slice(&other.to_le_bytes());
            std::fs::write(&path, bytes).expect("write");
        }
    }
    let expected = format!("starts with magic number {other}");
    refused(&[os("verify"), tree.as_os_str()], &expected);
    let out = env.path().join("out");
    refused(
        &[
            os("apply"),
            os("--steps"),
            os("drop-opt2"),
            os("--out"),
            out.as_os_str(),
            tree.as_os_str(),
        ],
        &expected,
    );
    assert!(!out.exists());
    // One cache of this build among them: the tree is this interpreter's, run.
    std::fs::remove_dir_all(tree.join("__pycache__")).expect("rm");
    compileall(&["-o0"], &tree.join("colorsys.py"));
    let output = pyprune().arg("verify").arg(&tree).output().expect("verify");
    assert_ne!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn a_cpython_prefix_beside_a_pypy_library_is_cpythons() {
    // `/usr/lib` holds python3.11 and pypy3.9 side by side.
    let env = TestEnv::new();
    let prefix = env.path().join("prefix");
    let stdlib = tiny_stdlib(&prefix);
    std::fs::create_dir_all(prefix.join("lib/pypy3.9")).expect("mkdir");
    for tree in [&prefix, &stdlib] {
        let rows = plan_rows(tree);
        assert!(!rows.is_empty());
    }
    // verify runs (whatever it finds in this tiny library), refusing nothing.
    let output = pyprune()
        .arg("verify")
        .arg(&prefix)
        .output()
        .expect("verify");
    assert_ne!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(!stderr(&output).contains("pypy"), "{}", stderr(&output));
}
