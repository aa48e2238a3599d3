//! The text reports of `apply` (to a copy, in place, then undone or
//! committed, and failing its verification) and of `verify`, as snapshots.

use super::{remove_module, sized};
use crate::harness::*;

#[test]
fn apply_out() {
    let env = TestEnv::new();
    let tree = package_tree(&env.path().join("tree"));
    // A test package, for the exclusion to remove.
    env.write("tree/tests/__init__.py", "");
    env.write("tree/tests/test_dumps.py", "import json\n");
    let plain = env.path().join("plain");
    let verified = env.path().join("verified");
    let excluded = env.path().join("excluded");
    let mut text = String::new();
    for args in [
        vec![
            "apply".as_ref(),
            "--profile".as_ref(),
            "compact".as_ref(),
            "--no-verify".as_ref(),
            "--out".as_ref(),
            plain.as_os_str(),
            tree.as_os_str(),
        ],
        vec![
            "apply".as_ref(),
            "--steps".as_ref(),
            "drop-optimized-caches,dedupe-caches".as_ref(),
            "-j2".as_ref(),
            "--out".as_ref(),
            verified.as_os_str(),
            tree.as_os_str(),
        ],
        vec![
            "apply".as_ref(),
            "--steps".as_ref(),
            "exclude-tests".as_ref(),
            "-j2".as_ref(),
            "--out".as_ref(),
            excluded.as_os_str(),
            tree.as_os_str(),
        ],
    ] {
        let (output, shown) = transcript(&args);
        assert!(output.status.success(), "{shown}");
        text.push_str(&shown);
        text.push('\n');
    }
    sized(&[env.path()]).bind(|| insta::assert_snapshot!("apply_out", text));
}

#[test]
fn apply_in_place_then_undo() {
    let env = TestEnv::new();
    let tree = package_tree(&env.path().join("tree"));
    let mut text = String::new();
    for (args, code) in [
        (
            vec![
                "apply".as_ref(),
                "--in-place".as_ref(),
                "--steps".as_ref(),
                "sourceless".as_ref(),
                "--no-verify".as_ref(),
                tree.as_os_str(),
            ],
            0,
        ),
        // Again over the uncommitted change: refused, the change kept for
        // the user to undo or commit (never undone on its own).
        (
            vec![
                "apply".as_ref(),
                "--in-place".as_ref(),
                "--steps".as_ref(),
                "drop-opt2".as_ref(),
                "--no-verify".as_ref(),
                tree.as_os_str(),
            ],
            2,
        ),
        (vec!["undo".as_ref(), tree.as_os_str()], 0),
    ] {
        let (output, shown) = transcript(&args);
        assert_eq!(output.status.code(), Some(code), "{shown}");
        text.push_str(&shown);
        text.push('\n');
    }
    sized(&[env.path()]).bind(|| insta::assert_snapshot!("apply_in_place_then_undo", text));
}

#[test]
fn apply_in_place_then_commit() {
    let env = TestEnv::new();
    let tree = package_tree(&env.path().join("tree"));
    let mut text = String::new();
    for args in [
        vec![
            "apply".as_ref(),
            "--in-place".as_ref(),
            "--profile".as_ref(),
            "lossless".as_ref(),
            "-j2".as_ref(),
            tree.as_os_str(),
        ],
        vec!["commit".as_ref(), tree.as_os_str()],
        vec![
            "apply".as_ref(),
            "--in-place".as_ref(),
            "--commit".as_ref(),
            "--steps".as_ref(),
            "drop-opt2".as_ref(),
            "-j2".as_ref(),
            tree.as_os_str(),
        ],
    ] {
        let (output, shown) = transcript(&args);
        assert!(output.status.success(), "{shown}");
        text.push_str(&shown);
        text.push('\n');
    }
    assert!(!tree.join(".pyprune-journal").exists());
    sized(&[env.path()]).bind(|| insta::assert_snapshot!("apply_in_place_then_commit", text));
}

#[test]
fn verify_passes_and_fails() {
    let env = TestEnv::new();
    let tree = package_tree(&env.path().join("tree"));
    let broken = package_tree(&env.path().join("broken"));
    // json.decoder imports json.scanner: both, and json, fail without it.
    remove_module(&broken, "json/scanner.py");
    let mut text = String::new();
    for (args, code) in [
        (vec!["verify".as_ref(), "-j2".as_ref(), tree.as_os_str()], 0),
        (
            vec![
                "verify".as_ref(),
                "-j2".as_ref(),
                "--against".as_ref(),
                tree.as_os_str(),
                broken.as_os_str(),
            ],
            1,
        ),
        (
            vec![
                "verify".as_ref(),
                "-j2".as_ref(),
                "--profile".as_ref(),
                "compact".as_ref(),
                broken.as_os_str(),
            ],
            0,
        ),
    ] {
        let (output, shown) = transcript(&args);
        assert_eq!(output.status.code(), Some(code), "{shown}");
        text.push_str(&shown);
        text.push('\n');
    }
    snapshot_settings(&[env.path()]).bind(|| insta::assert_snapshot!("verify", text));
}

/// A fault planted where `sourceless` breaks it: a module that reads its own
/// source file at import (as some packages do), which a sourceless layout no
/// longer has. The original imports; the result does not, and verify says so.
#[test]
fn apply_whose_verification_fails() {
    let env = TestEnv::new();
    let tree = env.path().join("tree");
    env.write("tree/good.py", "X = 1\n");
    env.write(
        "tree/bad.py",
        "import os\nwith open(os.path.splitext(__file__)[0] + '.py') as own:\n    SOURCE = own.read()\n",
    );
    compileall(&[], &tree);
    let copy = env.path().join("copy");
    assert!(
        std::process::Command::new("cp")
            .arg("-a")
            .arg(&tree)
            .arg(&copy)
            .status()
            .expect("cp")
            .success()
    );
    let out = env.path().join("out");
    let mut text = String::new();
    for (args, code) in [
        (
            vec![
                "apply".as_ref(),
                "--steps".as_ref(),
                "sourceless".as_ref(),
                "-j2".as_ref(),
                "--out".as_ref(),
                out.as_os_str(),
                tree.as_os_str(),
            ],
            1,
        ),
        (
            vec![
                "apply".as_ref(),
                "--in-place".as_ref(),
                "--commit".as_ref(),
                "--steps".as_ref(),
                "sourceless".as_ref(),
                "-j2".as_ref(),
                copy.as_os_str(),
            ],
            1,
        ),
        (vec!["undo".as_ref(), copy.as_os_str()], 0),
    ] {
        let (output, shown) = transcript(&args);
        assert_eq!(output.status.code(), Some(code), "{shown}");
        text.push_str(&shown);
        text.push('\n');
    }
    sized(&[env.path()]).bind(|| insta::assert_snapshot!("apply_whose_verification_fails", text));
}
