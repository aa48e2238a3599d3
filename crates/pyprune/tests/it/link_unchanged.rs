//! `apply --out --link-unchanged`: the files no step changes are hardlinks to
//! the input's, the report says how many (counted here independently, by
//! inode), the result takes less new space than a copy, and the input keeps
//! every byte: the steps replace files, never write through them.

use crate::harness::*;
use std::collections::{BTreeMap, HashSet};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

/// Every regular file under `root`: its path, inode and bytes.
fn files(root: &Path) -> BTreeMap<PathBuf, ((u64, u64), Vec<u8>)> {
    let mut all = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(path) = pending.pop() {
        let meta = std::fs::symlink_metadata(&path).expect("lstat");
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path).expect("read_dir") {
                pending.push(entry.expect("entry").path());
            }
        } else if meta.is_file() {
            let bytes = std::fs::read(&path).expect("read");
            all.insert(path, ((meta.dev(), meta.ino()), bytes));
        }
    }
    all
}

#[test]
fn unchanged_files_are_linked_and_said_to_be_and_the_input_keeps_its_bytes() {
    let env = TestEnv::new();
    let prefix = env.path().join("prefix");
    tiny_stdlib(&prefix);
    let before = files(&prefix);
    let steps = ["--steps", "sources-compressed,drop-opt2", "--no-verify"];

    let linked = env.path().join("linked");
    let args = [&steps[..], &["--link-unchanged"]].concat();
    let report = apply_to(&prefix, &linked, &args);
    let inputs: HashSet<(u64, u64)> = before.values().map(|(inode, _)| *inode).collect();
    let result = files(&linked);
    let shared = result
        .values()
        .filter(|(inode, _)| inputs.contains(inode))
        .count();
    assert!(
        shared > 0 && shared < result.len(),
        "{shared} of {}",
        result.len()
    );
    let said = &report["shared_with_input"];
    assert_eq!(said["files"], serde_json::json!(shared), "{said}");
    assert_eq!(
        said["input"],
        serde_json::json!(prefix.display().to_string())
    );
    // The input is as it was: the same files, bytes and inodes.
    assert!(files(&prefix) == before, "the input changed");

    // A copy shares nothing and says nothing of it; it holds the same bytes.
    let copied = env.path().join("copied");
    let report = apply_to(&prefix, &copied, &steps);
    assert!(report.get("shared_with_input").is_none(), "{report}");
    let copy = files(&copied);
    assert!(copy.values().all(|(inode, _)| !inputs.contains(inode)));
    // The same files (their bytes may name where each result lives).
    let paths = |tree: &BTreeMap<PathBuf, ((u64, u64), Vec<u8>)>, root: &Path| {
        tree.keys()
            .map(|path| path.strip_prefix(root).expect("under").to_path_buf())
            .collect::<Vec<_>>()
    };
    assert_eq!(paths(&result, &linked), paths(&copy, &copied));
    // What the linked result adds beside the input (du counts each inode once) is
    // less than the copy's.
    let beside = |out: &Path| {
        let output = std::process::Command::new("du")
            .args(["-s", "-B1"])
            .arg(&prefix)
            .arg(out)
            .output()
            .expect("du");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let line = text.lines().nth(1).expect("second line").to_owned();
        line.split_whitespace()
            .next()
            .expect("n")
            .parse::<u64>()
            .expect("n")
    };
    assert!(
        beside(&linked) < beside(&copied),
        "{} vs {}",
        beside(&linked),
        beside(&copied)
    );

    // The text report says so.
    let output = pyprune()
        .args(["apply"])
        .args(&args)
        .arg("--out")
        .arg(env.path().join("text"))
        .arg(&prefix)
        .output()
        .expect("apply");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains(&format!(
            "{shared} files are hardlinks to {}'s (--link-unchanged)",
            prefix.display()
        )),
        "{text}"
    );
}

/// A venv's scripts and pyvenv.cfg are rewritten to name where the result
/// lands: over files that were links to the input's. The input's keep
/// naming the input.
#[test]
fn rewriting_a_linked_file_leaves_the_input_as_it_was() {
    let env = TestEnv::new();
    let venv = env.path().join("venv");
    let made = std::process::Command::new(python_binary())
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .expect("python -m venv");
    assert!(made.success());
    package_tree(&venv.join("lib/site"));
    let before = files(&venv);
    let out = env.path().join("out");
    let report = apply_to(
        &venv,
        &out,
        &["--steps", "drop-opt2", "--no-verify", "--link-unchanged"],
    );
    assert!(
        report["venv_paths"]["rewritten"] == serde_json::json!(true),
        "{report}"
    );
    assert!(files(&venv) == before, "the input changed");
    let activate = std::fs::read_to_string(venv.join("bin/activate")).expect("activate");
    assert!(activate.contains(&venv.display().to_string()), "{activate}");
    let inputs: HashSet<(u64, u64)> = before.values().map(|(inode, _)| *inode).collect();
    let shared = files(&out)
        .values()
        .filter(|(inode, _)| inputs.contains(inode))
        .count();
    assert!(shared > 0);
    assert_eq!(
        report["shared_with_input"]["files"],
        serde_json::json!(shared)
    );
}
