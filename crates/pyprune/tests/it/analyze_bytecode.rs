//! `analyze --bytecode`: stale caches, caches for another Python, leaked build
//! roots, tag/magic disagreements and unreadable pycs, on trees the real
//! `compileall` wrote and then damaged the way real trees get damaged.

use crate::harness::*;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

fn touch_later(path: &Path) {
    let status = Command::new("touch")
        .args(["-d", "@2000000000"])
        .arg(path)
        .status()
        .expect("touch");
    assert!(status.success());
}

fn listed(report: &Value, finding: &str) -> Vec<String> {
    report["bytecode"][finding]["files"]
        .as_array()
        .map(|files| {
            files
                .iter()
                .map(|f| f["path"].as_str().expect("path").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_healthy_tree_has_no_findings_and_the_checks_are_opt_in() {
    let env = TestEnv::new();
    let root = real_stdlib_tree(&env);
    let (report, _) = analyze_json(&root, &[]);
    assert_eq!(
        report["bytecode"],
        Value::Null,
        "not checked without --bytecode"
    );
    let (report, output) = analyze_json(&root, &["--bytecode"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let bytecode = &report["bytecode"];
    let expected_files = [
        "bytecode-opt0",
        "bytecode-opt1",
        "bytecode-opt2",
        "sourceless",
    ]
    .iter()
    .map(|k| report["by_kind"][k]["files"].as_u64().expect("u64"))
    .sum::<u64>();
    assert_eq!(bytecode["checked"], json!(expected_files));
    assert_eq!(
        bytecode["expected_version"],
        json!({"major": 3, "minor": 11})
    );
    for finding in [
        "stale",
        "other_version",
        "leaked_paths",
        "tag_mismatch",
        "unreadable",
    ] {
        assert_eq!(bytecode[finding]["count"], json!(0), "{finding}");
    }
}

#[test]
fn damaged_trees_are_reported_with_the_files_behind_each_count() {
    let env = TestEnv::new();
    let root = env.path().canonicalize().expect("canonical").join("lib");
    copy_from_stdlib(
        &root,
        &["json", "this.py", "colorsys.py", "keyword.py", "bisect.py"],
    );
    compileall_all_levels(&root);
    let tag = cache_tag();

    // A source edited after compiling: its three caches are stale.
    touch_later(&root.join("colorsys.py"));
    // A module compiled in a build root (`compileall -d`): its caches embed that path.
    compileall(
        &["-f", "-d", "/build/root/usr/lib/python3"],
        &root.join("keyword.py"),
    );
    // A cache renamed to another release's tag.
    std::fs::copy(
        root.join(format!("__pycache__/bisect.{tag}.pyc")),
        root.join("__pycache__/bisect.cpython-310.pyc"),
    )
    .expect("copy");
    // A cache cut short within what the quick check reads (its header and the
    // start of its code); `inspect` reads files whole and finds any cut.
    let cut = root.join(format!("json/__pycache__/decoder.{tag}.opt-2.pyc"));
    let bytes = std::fs::read(&cut).expect("read");
    std::fs::write(&cut, &bytes[..40]).expect("write");

    let (report, output) = analyze_json(&root, &["--list"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut stale = listed(&report, "stale");
    stale.sort();
    // The renamed cpython-310 cache belongs to bisect.py and records its mtime: fresh.
    assert_eq!(
        stale,
        [
            format!("__pycache__/colorsys.{tag}.opt-1.pyc"),
            format!("__pycache__/colorsys.{tag}.opt-2.pyc"),
            format!("__pycache__/colorsys.{tag}.pyc"),
        ]
    );
    assert_eq!(
        listed(&report, "leaked_paths"),
        [format!("__pycache__/keyword.{tag}.pyc")]
    );
    let leaked = &report["bytecode"]["leaked_paths"]["files"][0]["detail"];
    assert_eq!(leaked, &json!("/build/root/usr/lib/python3/keyword.py"));
    assert_eq!(
        listed(&report, "tag_mismatch"),
        ["__pycache__/bisect.cpython-310.pyc"]
    );
    assert_eq!(
        listed(&report, "unreadable"),
        [format!("json/__pycache__/decoder.{tag}.opt-2.pyc")]
    );
    assert_eq!(report["bytecode"]["other_version"]["count"], json!(0));
    // The truncated file is also a warning naming it.
    assert!(
        stderr(&output).contains(&format!("decoder.{tag}.opt-2.pyc")),
        "{}",
        stderr(&output)
    );

    // The text report shows the same counts and lists.
    let text = pyprune()
        .args(["analyze", "--list"])
        .arg(&root)
        .output()
        .expect("run");
    let text = String::from_utf8(text.stdout).expect("utf-8");
    assert!(
        text.contains("/build/root/usr/lib/python3/keyword.py"),
        "{text}"
    );
    let stale_row = text
        .lines()
        .find(|l| l.contains("stale (source changed since)"))
        .expect("row");
    assert!(stale_row.trim_end().ends_with(" 3"), "{stale_row}");
}

#[test]
fn bytecode_for_another_release_is_counted() {
    let env = TestEnv::new();
    let root = env.path().canonicalize().expect("canonical");
    env.write("mod.py", "x = 1\n");
    compileall_all_levels(&root);
    // A 3.10 cache built by hand in the 3.10 layout (no 3.10 interpreter here).
    let mut data = 3439u16.to_le_bytes().to_vec();
    data.extend_from_slice(b"\r\n");
    data.extend_from_slice(&[0; 12]);
    data.extend(crate::pyc_builder::code_310(
        "/elsewhere/old.py",
        "<module>",
        &[],
    ));
    std::fs::write(root.join("__pycache__/old.cpython-310.pyc"), data).expect("write");
    env.write("old.py", "y = 2\n");

    let (report, _) = analyze_json(&root, &["--list", "--python", "python3"]);
    assert_eq!(
        listed(&report, "other_version"),
        ["__pycache__/old.cpython-310.pyc"]
    );
    assert_eq!(
        report["bytecode"]["other_version"]["files"][0]["detail"],
        json!("written by CPython 3.10")
    );
    assert_eq!(
        listed(&report, "leaked_paths"),
        ["__pycache__/old.cpython-310.pyc"]
    );
    assert_eq!(report["bytecode"]["tag_mismatch"]["count"], json!(0));
}

#[test]
fn fifos_and_symlinks_named_like_bytecode_neither_hang_nor_are_followed() {
    let env = TestEnv::new();
    let root = env.path().canonicalize().expect("canonical");
    env.write("hashed.py", "x = 1\n");
    compileall(&["--invalidation-mode", "checked-hash"], &root);
    // The checked-hash cache's source becomes a FIFO; a FIFO and a symlink pose as caches.
    std::fs::remove_file(root.join("hashed.py")).expect("rm");
    let mkfifo = |path: &Path| {
        assert!(
            Command::new("mkfifo")
                .arg(path)
                .status()
                .expect("mkfifo")
                .success()
        )
    };
    mkfifo(&root.join("hashed.py"));
    mkfifo(&root.join("pipe.pyc"));
    let outside = TestEnv::new();
    let secret = outside.write("secret.pyc", b"not for reading");
    std::os::unix::fs::symlink(&secret, root.join("link.pyc")).expect("symlink");

    let output = pyprune()
        .args(["analyze", "--list", "--strict", "--format", "json"])
        .arg(&root)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run");
    assert_eq!(
        output.status.code(),
        Some(1),
        "findings fail --strict: {}",
        stderr(&output)
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    // The FIFOs are left out by the walk, each with a warning, never opened;
    // so they are no bytecode to check, unreadable or not.
    assert_eq!(listed(&report, "unreadable"), Vec::<String>::new());
    let fifos: Vec<String> = report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter(|w| w["message"].as_str().is_some_and(|m| m.contains("FIFO")))
        .map(|w| w["path"].as_str().expect("path").to_owned())
        .collect();
    assert_eq!(
        fifos,
        [root.join("hashed.py"), root.join("pipe.pyc")].map(|p| p.display().to_string())
    );
    // The symlink is a file of the tree but never opened; the FIFO source is not read.
    assert_eq!(report["bytecode"]["checked"], json!(1));
    assert_eq!(report["bytecode"]["stale"]["count"], json!(0));
}
