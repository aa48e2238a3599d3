//! `apply --in-place` killed with SIGKILL at many points: every kept module
//! still imports, and `pyprune undo` restores the tree byte for byte.

use crate::harness::*;
use crate::pythons::shared_reduced_tree;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Every entry under `root`: files by content and mode, symlinks by target, directories by mode.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (String, Vec<u8>, u32)> {
    let mut all = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("ls") {
            let path = entry.expect("entry").path();
            let meta = path.symlink_metadata().expect("lstat");
            let rel = path.strip_prefix(root).expect("inside").to_path_buf();
            let mode = meta.permissions().mode();
            if meta.is_dir() {
                all.insert(rel, ("dir".to_owned(), Vec::new(), mode));
                stack.push(path);
            } else if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).expect("readlink");
                all.insert(
                    rel,
                    (
                        "link".to_owned(),
                        target.as_os_str().as_encoded_bytes().to_vec(),
                        mode,
                    ),
                );
            } else {
                all.insert(
                    rel,
                    ("file".to_owned(), std::fs::read(&path).expect("read"), mode),
                );
            }
        }
    }
    all
}

#[test]
fn killed_at_any_moment_the_tree_works_and_undo_restores_it() {
    let env = TestEnv::new();
    // The shared reduced tree, a prefix with its own binary: PRISTINE/{bin,lib/python3.X}.
    // Only read (each run works on a copy); the libs tree cost about 20 s a run.
    let pristine = shared_reduced_tree().prefix.clone();
    let original = snapshot(&pristine);
    let original_modules = importable(&pristine);

    let binary = assert_cmd::cargo::cargo_bin("pyprune");
    let work = env.path().join("work");
    let copy = || {
        let _ = std::fs::remove_dir_all(&work);
        assert!(
            std::process::Command::new("cp")
                .arg("-a")
                .arg(&pristine)
                .arg(&work)
                .status()
                .expect("cp")
                .success()
        );
    };
    // How long an uninterrupted run takes, and how many actions it takes, per profile.
    let mut full = BTreeMap::new();
    let mut total_actions = BTreeMap::new();
    let mut log_sizes = BTreeMap::new();
    for profile in ["full-zip", "minimal"] {
        copy();
        let started = Instant::now();
        let output = std::process::Command::new(&binary)
            .args([
                "apply",
                "--in-place",
                "--format",
                "json",
                "--profile",
                profile,
            ])
            .arg(&work)
            .output()
            .expect("apply");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        full.insert(profile, started.elapsed());
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        total_actions.insert(profile, report["actions"].as_u64().expect("actions"));
        let log = work.join(".pyprune-journal/log");
        log_sizes.insert(
            profile,
            std::fs::metadata(&log)
                .expect("the journal is kept until commit")
                .len(),
        );
        let output = std::process::Command::new(&binary)
            .arg("undo")
            .arg(&work)
            .output()
            .expect("undo");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            snapshot(&work) == original,
            "{profile}: undo after a finished run restores the tree"
        );
    }

    // Kill points spread over each run (a fixed sequence, so a failure can be replayed).
    let fractions = [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.97];
    let mut killed_midway = 0;
    for (i, fraction) in fractions.iter().enumerate() {
        let profile = if i % 2 == 0 { "full-zip" } else { "minimal" };
        copy();
        // Killed once the journal's log is that far along: inside the change itself.
        let kill_at = (log_sizes[profile] as f64 * fraction) as u64;
        let log = work.join(".pyprune-journal/log");
        let mut child = std::process::Command::new(&binary)
            .args(["apply", "--in-place", "--profile", profile])
            .arg(&work)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        let deadline = Instant::now() + full[profile] * 4;
        while Instant::now() < deadline && std::fs::metadata(&log).map_or(0, |m| m.len()) < kill_at
        {
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::yield_now();
        }
        let delay = format!("{:.0}% of its journal", fraction * 100.0);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();

        let now = importable(&work);
        let lost: Vec<&String> = original_modules
            .difference(&now)
            .filter(|m| !(profile == "minimal" && removed_by_minimal(m)))
            .collect();
        assert!(
            lost.is_empty(),
            "{profile} killed after {delay:?}: lost {lost:?}"
        );

        let output = std::process::Command::new(&binary)
            .args(["undo", "--format", "json"])
            .arg(&work)
            .output()
            .expect("undo");
        // Killed while still planning: nothing was changed, so there is nothing to undo.
        let before_any_change = String::from_utf8_lossy(&output.stderr).contains("no journal");
        assert!(
            output.status.success() || before_any_change,
            "{profile} killed at {delay}: undo exited {:?}: {}{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout)
        );
        if !before_any_change {
            let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
            let undone = report["undone"].as_u64().expect("undone");
            if undone > 0 && undone < total_actions[profile] {
                killed_midway += 1;
            }
        }
        let restored = snapshot(&work);
        let differing: Vec<&PathBuf> = original
            .keys()
            .chain(restored.keys())
            .filter(|k| original.get(*k) != restored.get(*k))
            .take(5)
            .collect();
        assert!(
            differing.is_empty(),
            "{profile} killed at {delay}: undo left {differing:?} different"
        );
    }
    assert!(
        killed_midway >= fractions.len() / 2,
        "only {killed_midway} kills landed while the change was under way"
    );
}
