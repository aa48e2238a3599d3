//! `pyprune compile` against `python3 -m compileall` on copies of the real
//! standard library: the same bytes, modes and hardlink structure for every
//! level and invalidation mode, and for every option that has a compileall twin.

use crate::harness::*;
use std::path::{Path, PathBuf};

/// The test suite's modules kept in [`stdlib_copy`]: those whose source is
/// the compiler's own test matter (grammar, encodings, literals, f-strings,
/// pattern matching, syntax errors). Every other `test_*` module is left out:
/// half the stdlib's sources, and ordinary code the rest of the tree has
/// plenty of; everything else in `test` (support, data, the deliberately
/// broken `badsyntax_*` and `bad_coding*` files) is kept.
const COMPILER_TESTS: &[&str] = &[
    "test_grammar.py",
    "test_source_encoding.py",
    "test_unicode_identifiers.py",
    "test_string_literals.py",
    "test_fstring.py",
    "test_patma.py",
    "test_syntax.py",
    "test_compile.py",
    "test_coroutines.py",
    "test_tokenize.py",
    "test_type_comments.py",
    "test_utf8source.py",
];

/// A copy of the installed stdlib without caches, mtimes kept: site-packages
/// left out, the test suite reduced to what [`COMPILER_TESTS`] keeps.
fn stdlib_copy(env: &TestEnv) -> PathBuf {
    let root = env.path().join("lib");
    std::fs::create_dir(&root).expect("mkdir");
    // Left out by not copying it (it once was copied, then removed): it holds
    // hundreds of MB of third-party packages here.
    let mut entries: Vec<PathBuf> = std::fs::read_dir(stdlib())
        .expect("read the stdlib")
        .map(|entry| entry.expect("entry"))
        .filter(|entry| entry.file_name() != "site-packages")
        .map(|entry| entry.path())
        .collect();
    entries.sort();
    // One cp, so that hardlinks between entries stay links.
    let status = std::process::Command::new("cp")
        .arg("-a")
        .args(&entries)
        .arg(&root)
        .status()
        .expect("cp");
    assert!(status.success());
    for entry in std::fs::read_dir(root.join("test")).expect("the test suite") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_string_lossy();
        if name.starts_with("test_") && !COMPILER_TESTS.contains(&&*name) {
            if path.is_dir() {
                std::fs::remove_dir_all(&path).expect("remove a test package");
            } else {
                std::fs::remove_file(&path).expect("remove a test module");
            }
        }
    }
    remove_caches(&root);
    root
}

fn compileall(args: &[&str], root: &Path) {
    let out = python3()
        .args(["-m", "compileall", "-q"])
        .args(args)
        .arg(root)
        .output()
        .expect("compileall");
    // compileall exits 1 when a source does not compile (the test suite has some on purpose).
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn pyprune_compile(args: &[&str], root: &Path) -> std::process::Output {
    pyprune()
        .args(["compile", "-q"])
        .args(args)
        .arg(root)
        .output()
        .expect("pyprune compile")
}

/// compileall's result, then pyprune's on the same sources: they must be equal.
fn assert_same_as_compileall(
    root: &Path,
    compileall_args: &[&str],
    pyprune_args: &[&str],
) -> Caches {
    compileall(compileall_args, root);
    let reference = caches(root);
    assert!(!reference.files.is_empty(), "compileall wrote nothing");
    remove_caches(root);
    let output = pyprune_compile(pyprune_args, root);
    assert!(
        output.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr(&output)
    );
    let ours = caches(root);
    assert_same_caches(&ours, &reference);
    ours
}

#[test]
fn the_whole_stdlib_matches_compileall_with_identical_levels_skipped() {
    // The whole installed stdlib, its compiler tests included, in the default
    // invalidation mode: compileall compiles every level, pyprune skips the
    // levels whose syntax tree proves them identical. The bytes, modes and
    // links must be compileall's: the only whole-tree check that skipping
    // levels changes no byte (it once compared pyprune with itself run with
    // --compile-every-level, which cost a third compile of the whole tree).
    let env = TestEnv::new();
    let root = stdlib_copy(&env);
    compileall(&["-o0", "-o1", "-o2", "--hardlink-dupes", "-j0"], &root);
    let reference = caches(&root);
    assert!(
        reference.files.len() > 2500,
        "compileall wrote {} caches",
        reference.files.len()
    );
    remove_caches(&root);
    let output = pyprune()
        .args(["compile", "-o0", "-o1", "-o2", "--format", "json"])
        .arg(&root)
        .output()
        .expect("run");
    assert_eq!(
        output.status.code(),
        Some(1),
        "the test suite has sources that do not compile: {}",
        stderr(&output)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(report["levels_skipped"].as_u64() > Some(1000), "{report}");
    let ours = caches(&root);
    assert_same_caches(&ours, &reference);
    assert!(!ours.links.is_empty(), "duplicates were linked");
}

/// Packages and modules the hash modes are compared on: many tiny modules
/// whose levels are linked (encodings), docstrings and asserts that make the
/// levels differ (email, json, lib2to3, this.py), a package with data files
/// (lib2to3's grammars) and the modules the other tests here use.
const HASH_MODE_SAMPLE: &[&str] = &[
    "encodings",
    "email",
    "json",
    "lib2to3",
    "this.py",
    "colorsys.py",
];

#[test]
fn the_hash_invalidation_modes_and_every_level_compiled_match_compileall() {
    // A sample only: pyprune hands the mode to the same `py_compile.compile`
    // call for every file (compile_worker.py) and nothing on the Rust side
    // depends on it, so a mode can only go wrong in the header, the same way
    // for every file; the whole tree is compared in the default mode above.
    // --compile-every-level rides along with one of them.
    for (mode, every_level) in [("checked-hash", false), ("unchecked-hash", true)] {
        let env = TestEnv::new();
        let root = env.path().join("lib");
        copy_from_stdlib(&root, HASH_MODE_SAMPLE);
        let levels = ["-o0", "-o1", "-o2"];
        let mut compileall_args = levels.to_vec();
        compileall_args.extend(["--hardlink-dupes", "--invalidation-mode", mode]);
        let mut ours = levels.to_vec();
        ours.extend(["--invalidation-mode", mode]);
        if every_level {
            ours.push("--compile-every-level");
        }
        let result = assert_same_as_compileall(&root, &compileall_args, &ours);
        assert!(!result.links.is_empty(), "{mode}: duplicates were linked");
    }
}

#[test]
fn embedded_paths_and_pycache_prefix_match_compileall() {
    let env = TestEnv::new();
    let root = env.path().join("build/usr/lib/py");
    copy_from_stdlib(&root, &["json", "email", "this.py"]);
    let build = env.path().join("build");
    let (strip, prepend) = (build.to_string_lossy().into_owned(), "/".to_owned());
    assert_same_as_compileall(
        &root,
        &[
            "-o0",
            "-o2",
            "--hardlink-dupes",
            "-s",
            &strip,
            "-p",
            &prepend,
        ],
        &[
            "-o0",
            "-o2",
            "--strip-prefix",
            &strip,
            "--prepend-prefix",
            &prepend,
        ],
    );
    let pyc = root.join(format!("json/__pycache__/decoder.{}.pyc", cache_tag()));
    let shown = pyprune()
        .args(["inspect", "--format", "json"])
        .arg(&pyc)
        .output()
        .expect("inspect");
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).expect("JSON");
    assert_eq!(
        shown[0]["code"]["filename"],
        serde_json::json!("/usr/lib/py/json/decoder.py")
    );

    // A separate cache tree, as PYTHONPYCACHEPREFIX lays it out.
    remove_caches(&root);
    let prefix = env.path().join("cache");
    // -B: the interpreter must not also cache compileall's own imports under the prefix.
    let out = python3()
        .arg("-B")
        .arg("-X")
        .arg(format!("pycache_prefix={}", prefix.display()))
        .args(["-m", "compileall", "-q", "-o0", "-o1"])
        .arg(&root)
        .output()
        .expect("compileall");
    assert!(out.status.success());
    let reference = caches(&prefix);
    std::fs::remove_dir_all(&prefix).expect("rm");
    let output = pyprune_compile(
        &[
            "-o0",
            "-o1",
            "--no-dedupe",
            "--pycache-prefix",
            &prefix.to_string_lossy(),
        ],
        &root,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_same_caches(&caches(&prefix), &reference);
    assert!(
        caches(&root).files.is_empty(),
        "nothing written beside the sources"
    );
}

#[test]
fn errors_exclusions_freshness_and_copies() {
    let env = TestEnv::new();
    let root = env.path().join("lib");
    copy_from_stdlib(&root, &["json", "colorsys.py"]);
    env.write("lib/broken.py", "def f(:\n");
    env.write("lib/skipme/mod.py", "x = 1\n");

    let output = pyprune_compile(&["-o0", "-o1", "--exclude", "skip"], &root);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("broken.py") && err.contains("SyntaxError"),
        "{err}"
    );
    let tag = cache_tag();
    assert!(
        root.join(format!("json/__pycache__/decoder.{tag}.pyc"))
            .exists(),
        "the rest was compiled"
    );
    assert!(!root.join("skipme/__pycache__").exists(), "excluded");

    // A second run finds everything fresh, as compileall would; --force redoes it.
    let compile_json = |extra: &[&str]| -> serde_json::Value {
        let output = pyprune()
            .args([
                "compile",
                "-o0",
                "-o1",
                "--exclude",
                "skip",
                "--format",
                "json",
            ])
            .args(extra)
            .arg(&root)
            .output()
            .expect("run");
        serde_json::from_slice(&output.stdout).expect("JSON")
    };
    let report = compile_json(&[]);
    assert_eq!(report["compiled"], serde_json::json!(0));
    // Every source but the broken one, which has no cache to be fresh.
    assert_eq!(
        report["up_to_date"].as_u64(),
        report["sources"].as_u64().map(|n| n - 1)
    );
    let report = compile_json(&["-f"]);
    assert_eq!(report["up_to_date"], serde_json::json!(0));

    // --no-dedupe: the bytes of compileall without --hardlink-dupes, no links.
    remove_caches(&root);
    std::fs::remove_file(root.join("broken.py")).expect("rm");
    let ours = assert_same_as_compileall(
        &root,
        &["-o0", "-o1", "-x", "skip"],
        &["-o0", "-o1", "--no-dedupe", "--exclude", "skip"],
    );
    assert!(ours.links.is_empty());
}

#[test]
fn review_cases_match_compileall_and_stay_inside_the_tree() {
    let env = TestEnv::new();
    let root = env.path().join("lib");
    // A coding declaration that turns a comment into code: levels must not be skipped.
    env.write(
        "lib/escaped.py",
        "# -*- coding: unicode_escape -*-\n# \\nassert 1\nx = 1\n",
    );
    // A source inside a metadata directory, which compileall compiles too.
    env.write("lib/foo.egg-info/e.py", "y = 2\n");
    assert_same_as_compileall(
        &root,
        &["-o0", "-o1", "-o2", "--hardlink-dupes"],
        &["-o0", "-o1", "-o2"],
    );

    // A __pycache__ that is a symlink out of the tree is not written through.
    remove_caches(&root);
    let outside = TestEnv::new();
    std::os::unix::fs::symlink(outside.path(), root.join("__pycache__")).expect("symlink");
    let output = pyprune_compile(&["-o0", "-o1"], &root);
    assert!(
        stderr(&output).contains("__pycache__ is a symlink"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read_dir(outside.path()).expect("ls").count(),
        0,
        "nothing written outside"
    );
    std::fs::remove_file(root.join("__pycache__")).expect("rm");

    // A FIFO where a cache would be neither hangs the run nor counts as fresh.
    let fifo_dir = root.join("foo.egg-info/__pycache__");
    std::fs::create_dir_all(&fifo_dir).expect("mkdir");
    let fifo = fifo_dir.join(format!("e.{}.pyc", cache_tag()));
    let _ = std::fs::remove_file(&fifo);
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success()
    );
    let output = pyprune()
        .args(["compile", "-q", "-o0"])
        .arg(&root)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run");
    assert_eq!(
        output.status.code(),
        Some(1),
        "the FIFO is reported: {}",
        stderr(&output)
    );
}

/// A stdlib of another release than `python3`'s is compiled by its own
/// interpreter (a prefix's `bin/python3.X`, for the prefix or its stdlib
/// directory), and without one refused: `python3` would write caches that
/// release never reads.
#[test]
fn another_release_is_compiled_by_its_own_interpreter_or_refused() {
    let ours = python_print("import sys; print('%d.%d' % sys.version_info[:2])");
    let Some(other) = ["3.12", "3.13", "3.10"]
        .into_iter()
        .filter(|v| *v != ours)
        .find_map(|v| crate::pythons::find_or_note(v, "compile's own interpreter"))
    else {
        return;
    };
    let env = TestEnv::new();
    let prefix = env.path().join("prefix");
    let stdlib = prefix.join("lib").join(format!("python{}", other.short));
    std::fs::create_dir_all(&stdlib).expect("mkdir");
    for file in ["os.py", "colorsys.py"] {
        std::fs::copy(other.stdlib.join(file), stdlib.join(file)).expect("copy");
    }
    let tag = format!("cpython-{}", other.short.replace('.', ""));
    let cache = stdlib.join(format!("__pycache__/colorsys.{tag}.pyc"));

    // No interpreter in the prefix: refused, naming the release, nothing written.
    for root in [&prefix, &stdlib] {
        let out = pyprune_compile(&[], root);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let said = stderr(&out);
        assert!(
            said.contains(&format!("standard library of python{}", other.short))
                && said.contains("--python"),
            "{said}"
        );
        assert!(!stdlib.join("__pycache__").exists(), "{said}");
    }

    // With its interpreter beside it, that one compiles, for the prefix and its stdlib.
    std::fs::create_dir_all(prefix.join("bin")).expect("mkdir bin");
    std::os::unix::fs::symlink(
        &other.python,
        prefix.join("bin").join(format!("python{}", other.short)),
    )
    .expect("link the interpreter");
    for root in [&prefix, &stdlib] {
        let out = pyprune_compile(&[], root);
        assert!(out.status.success(), "{}", stderr(&out));
        let written: Vec<_> = std::fs::read_dir(stdlib.join("__pycache__"))
            .expect("__pycache__")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert!(cache.is_file(), "{written:?}");
        assert!(written.iter().all(|n| n.contains(&tag)), "{written:?}");
        std::fs::remove_dir_all(stdlib.join("__pycache__")).expect("clean");
    }
}
