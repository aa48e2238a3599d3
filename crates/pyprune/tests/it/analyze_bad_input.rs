//! Bad trees: each problem is one warning naming the path, on stderr and in
//! JSON; the walk goes on, nothing outside the tree is counted, nothing panics.

use crate::harness::*;
use serde_json::{Value, json};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::{PermissionsExt as _, symlink};
use std::path::Path;

fn warnings(report: &Value) -> Vec<(String, String)> {
    report["warnings"]
        .as_array()
        .expect("warnings is a list")
        .iter()
        .map(|w| {
            (
                w["path"].as_str().expect("path").to_owned(),
                w["message"].as_str().expect("message").to_owned(),
            )
        })
        .collect()
}

fn message_for(warnings: &[(String, String)], path: &Path) -> String {
    let path = path.to_string_lossy();
    let found: Vec<_> = warnings.iter().filter(|(p, _)| *p == path).collect();
    assert_eq!(
        found.len(),
        1,
        "exactly one warning for {path}: {warnings:?}"
    );
    found[0].1.clone()
}

#[test]
fn symlinks_are_never_followed_and_problems_are_named() {
    let outside = TestEnv::new();
    outside.write("big/secret.py", vec![b'x'; 100_000]);
    let env = TestEnv::new();
    let root = env.path().canonicalize().expect("canonical");
    env.write("pkg/mod.py", "x = 1\n");
    symlink("loop-b", root.join("pkg/loop-a")).expect("symlink");
    symlink("loop-a", root.join("pkg/loop-b")).expect("symlink");
    symlink("self", root.join("pkg/self")).expect("symlink");
    symlink("missing.py", root.join("pkg/dangling.py")).expect("symlink");
    symlink(outside.path().join("big"), root.join("pkg/out-abs")).expect("symlink");
    symlink("../../..", root.join("pkg/out-rel")).expect("symlink");
    symlink("mod.py", root.join("pkg/alias.py")).expect("symlink");
    symlink(".", root.join("pkg/dir-loop")).expect("symlink");

    let (report, output) = analyze_json(&root, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let warnings = warnings(&report);
    assert!(message_for(&warnings, &root.join("pkg/loop-a")).contains("symlink loop"));
    assert!(message_for(&warnings, &root.join("pkg/loop-b")).contains("symlink loop"));
    assert!(message_for(&warnings, &root.join("pkg/self")).contains("symlink loop"));
    assert!(message_for(&warnings, &root.join("pkg/dangling.py")).contains("dangling"));
    assert!(message_for(&warnings, &root.join("pkg/out-abs")).contains("out of the tree"));
    assert!(message_for(&warnings, &root.join("pkg/out-rel")).contains("out of the tree"));
    assert_eq!(
        warnings.len(),
        6,
        "in-tree links raise nothing: {warnings:?}"
    );
    let stderr = stderr(&output);
    for (path, _) in &warnings {
        assert!(
            stderr.contains(path.as_str()),
            "stderr names {path}: {stderr}"
        );
    }
    // Every link counts as itself (its own lstat size); nothing behind one is counted.
    let files = report["totals"]["files"].as_u64().expect("u64");
    assert_eq!(files, 9);
    let apparent = report["totals"]["apparent_bytes"].as_u64().expect("u64");
    assert!(
        apparent < 1000,
        "the 100 kB file outside was not counted: {apparent}"
    );
    assert_eq!(report["totals"], expected_inventory(&root)["totals"]);

    let strict = pyprune()
        .args(["analyze", "--strict"])
        .arg(&root)
        .output()
        .expect("run");
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn non_utf8_names_are_counted_and_shown_escaped() {
    let env = TestEnv::new();
    let root = env.path().canonicalize().expect("canonical");
    let name = OsStr::from_bytes(b"caf\xe9.py");
    std::fs::create_dir_all(root.join("pkg")).expect("mkdir");
    std::fs::write(root.join("pkg").join(name), "x = 1\n").expect("write");
    std::fs::create_dir(root.join(OsStr::from_bytes(b"d\xff"))).expect("mkdir");
    std::fs::write(root.join(OsStr::from_bytes(b"d\xff/m.py")), "y = 2\n").expect("write");

    let (report, output) = analyze_json(&root, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let warnings = warnings(&report);
    let shown = format!("{}/pkg/caf\\xE9.py", root.display());
    assert!(message_for(&warnings, Path::new(&shown)).contains("not valid UTF-8"));
    let shown_dir = format!("{}/d\\xFF", root.display());
    assert!(message_for(&warnings, Path::new(&shown_dir)).contains("not valid UTF-8"));
    assert!(stderr(&output).contains(&shown));
    assert_eq!(report["by_kind"]["source"]["files"], json!(2));
    assert_eq!(report["totals"], expected_inventory(&root)["totals"]);
}

/// Runs `pyprune` as an unprivileged user when the tests run as root (root reads everything).
fn pyprune_unprivileged(args: &[&OsStr]) -> std::process::Output {
    let binary = assert_cmd::cargo::cargo_bin("pyprune");
    let is_root = python_print("import os; print(os.geteuid())") == "0";
    if !is_root {
        return std::process::Command::new(binary)
            .args(args)
            .output()
            .expect("run pyprune");
    }
    // The checkout may sit where `nobody` cannot enter: run a copy from a world-readable place.
    let place = TestEnv::new();
    std::fs::set_permissions(place.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let copy = place.path().join("pyprune");
    std::fs::copy(&binary, &copy).expect("copy the binary");
    std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(&copy)
        .args(args)
        .output()
        .expect("run pyprune")
}

#[test]
fn unreadable_directories_are_skipped_with_a_warning() {
    let env = TestEnv::new();
    let root = env.path().canonicalize().expect("canonical");
    env.write("ok/a.py", "a = 1\n");
    env.write("locked/b.py", "b = 2\n");
    env.write("ok/c.py", "c = 3\n");
    let open = std::fs::Permissions::from_mode(0o755);
    for dir in [&root, &root.join("ok")] {
        std::fs::set_permissions(dir, open.clone()).expect("chmod");
    }
    std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o000))
        .expect("chmod");
    let secret = env.write("ok/secret.py", "s = 4\n");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).expect("chmod");

    let output = pyprune_unprivileged(&[
        OsStr::new("analyze"),
        OsStr::new("--format"),
        OsStr::new("json"),
        root.as_os_str(),
    ]);
    std::fs::set_permissions(root.join("locked"), open).expect("chmod back");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let warnings = warnings(&report);
    assert!(message_for(&warnings, &root.join("locked")).contains("cannot read directory"));
    assert!(message_for(&warnings, &root.join("ok/secret.py")).contains("unreadable file"));
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    // Every file that could be read is counted; the unreadable one is left
    // out, as a FIFO is (no step, copy or worker may meet it).
    assert!(message_for(&warnings, &root.join("ok/secret.py")).ends_with("; left out"));
    assert_eq!(report["by_kind"]["source"]["files"], json!(2));
}

#[test]
fn an_unusable_root_is_a_fatal_error_naming_it() {
    let env = TestEnv::new();
    let file = env.write("file.py", "x = 1\n");
    let output = pyprune().arg("analyze").arg(&file).output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is not a directory"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains(&*file.to_string_lossy()));

    let missing = env.path().join("nope");
    let output = pyprune()
        .arg("analyze")
        .arg(&missing)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(&*missing.to_string_lossy()),
        "{}",
        stderr(&output)
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn a_missing_interpreter_is_a_fatal_error_naming_it() {
    let output = pyprune()
        .args(["analyze", "--python", "/nonexistent/python9"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr(&output);
    assert!(stderr.contains("/nonexistent/python9"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn control_characters_in_names_cannot_forge_output() {
    let env = TestEnv::new();
    let root = env.path().canonicalize().expect("canonical");
    let forged = "x\nwarning: all good\u{1b}[31m.py";
    std::os::unix::fs::symlink("/nowhere", root.join(forged)).expect("symlink");
    env.write("evil\u{1b}[2J/__init__.py", "x = 1\n");
    let output = pyprune()
        .args(["analyze", "--color", "never"])
        .arg(&root)
        .output()
        .expect("run");
    let stderr = stderr(&output);
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains("\nwarning: all good"),
        "{stderr:?}"
    );
    assert!(
        stderr.contains("x\\x0Awarning: all good\\x1B[31m.py"),
        "{stderr:?}"
    );
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
    assert!(stdout.contains("evil\\x1B[2J"), "{stdout}");
}

#[test]
fn absolute_links_through_the_roots_own_alias_stay_inside() {
    let env = TestEnv::new();
    let real = env.path().join("real");
    env.write("real/a.py", "a = 1\n");
    let alias = env.path().join("alias");
    symlink(&real, &alias).expect("symlink");
    // Spelled through the alias the user names the tree by, not its canonical path.
    symlink(alias.join("a.py"), real.join("b.py")).expect("symlink");
    let (report, output) = analyze_json(&alias, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(report["warnings"], json!([]));
    assert_eq!(report["by_kind"]["source"]["files"], json!(2));
}
