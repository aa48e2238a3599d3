//! A full disk and a read-only tree, for real: each test mounts a small
//! tmpfs of its own (the tests run as root here), unmounted by a guard, and
//! is skipped with a note where mounting is not allowed.
//!
//! - `apply --out` that runs out of space removes its partial tree and exits
//!   2 naming the path;
//! - `apply --in-place` that runs out of space at any point leaves the tree
//!   as it was (the journal rolls back);
//! - `apply --in-place`, `compile` and `dedupe` on a read-only tree stop
//!   before any work with one clear error.

use crate::harness::*;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted for one test; unmounted when dropped.
struct Tmpfs {
    at: PathBuf,
}

impl Tmpfs {
    /// A tmpfs of `bytes` at `at` (made if missing), or `None` with a note
    /// where this machine does not let the test mount one.
    fn mount(at: &Path, bytes: u64, test: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).expect("mkdir");
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "none"])
            .arg(at)
            .output();
        match output {
            Ok(output) if output.status.success() => Some(Tmpfs {
                at: at.to_path_buf(),
            }),
            Ok(output) => {
                eprintln!(
                    "note: {test} skipped: cannot mount a tmpfs here: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("note: {test} skipped: cannot run mount: {e}");
                None
            }
        }
    }

    fn remount_read_only(&self) {
        let status = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.at)
            .status()
            .expect("mount");
        assert!(status.success(), "remount read-only");
    }

    /// Fills the filesystem with one file until `leave` bytes are free; the
    /// file is returned, to be removed.
    fn fill_leaving(&self, leave: u64) -> PathBuf {
        let filler = self.at.join("filler");
        let mut file = std::fs::File::create(&filler).expect("filler");
        let chunk = vec![0u8; 4096];
        let mut written = 0u64;
        while file.write_all(&chunk).is_ok() {
            written += chunk.len() as u64;
        }
        file.set_len(written.saturating_sub(leave))
            .expect("truncate");
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount").arg(&self.at).status();
        if !unmounted.is_ok_and(|s| s.success()) {
            // Busy (a process of a failed test still in it): detach it anyway.
            let _ = Command::new("umount").arg("-l").arg(&self.at).status();
        }
    }
}

/// Every path under `root` with its bytes (a symlink's target, nothing for a
/// directory) and mode.
fn contents(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
    let mut all = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(path) = pending.pop() {
        let meta = std::fs::symlink_metadata(&path).expect("lstat");
        let bytes = if meta.is_dir() {
            for entry in std::fs::read_dir(&path).expect("read_dir") {
                pending.push(entry.expect("entry").path());
            }
            Vec::new()
        } else if meta.is_symlink() {
            std::fs::read_link(&path)
                .expect("readlink")
                .into_os_string()
                .into_encoded_bytes()
        } else {
            std::fs::read(&path).expect("read")
        };
        let rel = path.strip_prefix(root).expect("under root").to_path_buf();
        all.insert(rel, (bytes, meta.permissions().mode()));
    }
    all
}

#[test]
fn apply_out_that_runs_out_of_space_removes_its_partial_tree_and_names_the_path() {
    let env = TestEnv::new();
    let tree = package_tree(&env.path().join("tree"));
    // Room for half the copy.
    let room = (du_bytes(&tree, false) / 2).next_multiple_of(4096);
    let mnt = env.path().join("mnt");
    let Some(_mount) = Tmpfs::mount(&mnt, room, "apply --out on a full disk") else {
        return;
    };
    let out = mnt.join("out");
    let output = pyprune()
        .args(["apply", "--steps", "drop-opt2", "--no-verify", "--out"])
        .arg(&out)
        .arg(&tree)
        .output()
        .expect("apply");
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("No space left on device"), "{text}");
    assert!(
        text.contains(&mnt.display().to_string()),
        "no path named: {text}"
    );
    let left: Vec<_> = std::fs::read_dir(&mnt).expect("mnt").collect();
    assert!(left.is_empty(), "left on the full disk: {left:?}");
}

#[test]
fn apply_in_place_that_runs_out_of_space_leaves_the_tree_as_it_was() {
    let env = TestEnv::new();
    let mnt = env.path().join("mnt");
    let Some(mount) = Tmpfs::mount(&mnt, 2 << 20, "apply --in-place on a full disk") else {
        return;
    };
    let prefix = mnt.join("prefix");
    tiny_stdlib(&prefix);
    let original = contents(&prefix);
    // sources-compressed writes compressed sources and pyprune's runtime
    // beside the journal's records: from no room at all to enough, it runs
    // out of space at the start, half way, or not at all.
    let mut rolled_back = 0;
    let mut finished = false;
    for kib in [0, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 512] {
        let filler = mount.fill_leaving(kib << 10);
        let output = pyprune()
            .args([
                "apply",
                "--in-place",
                "--steps",
                "sources-compressed",
                "--no-verify",
            ])
            .arg(&prefix)
            .output()
            .expect("apply");
        std::fs::remove_file(&filler).expect("remove the filler");
        let text = stderr(&output);
        if output.status.success() {
            finished = true;
            break;
        }
        assert_eq!(output.status.code(), Some(2), "{kib} KiB free: {text}");
        assert!(
            text.contains("No space left on device"),
            "{kib} KiB free: {text}"
        );
        rolled_back += usize::from(text.contains("the change failed and was undone"));
        assert_eq!(
            contents(&prefix),
            original,
            "{kib} KiB free: not the original: {text}"
        );
    }
    assert!(rolled_back > 0, "no run failed half way");
    assert!(finished, "no run had room enough");
}

#[test]
fn a_read_only_tree_is_refused_before_any_work() {
    let env = TestEnv::new();
    let mnt = env.path().join("mnt");
    let Some(mount) = Tmpfs::mount(&mnt, 4 << 20, "read-only trees") else {
        return;
    };
    let tree = package_tree(&mnt.join("tree"));
    mount.remount_read_only();
    for args in [
        &["apply", "--in-place", "--steps", "drop-opt2"][..],
        &["compile"][..],
        &["dedupe"][..],
    ] {
        let output = pyprune().args(args).arg(&tree).output().expect("pyprune");
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {text}");
        let expected = format!(
            "error: `{}` is on a read-only filesystem: {} changes the tree in place, and nothing was changed",
            tree.display(),
            args[..args.len().min(2)].join(" ").replace(" --steps", "")
        );
        assert!(text.starts_with(&expected), "{args:?}: {text}");
        assert_eq!(text.lines().count(), 1, "{args:?}: {text}");
    }
    // Nor can a result be written there.
    let output = pyprune()
        .args(["apply", "--steps", "drop-opt2", "--out"])
        .arg(mnt.join("out"))
        .arg(&tree)
        .output()
        .expect("apply");
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert_eq!(
        text,
        format!(
            "error: `{}` is on a read-only filesystem: --out cannot write the result there, and nothing was done\n",
            mnt.display()
        )
    );
    // What only reads is not refused: apply --out elsewhere.
    let out = env.path().join("out");
    let output = pyprune()
        .args(["apply", "--steps", "drop-opt2", "--no-verify", "--out"])
        .arg(&out)
        .arg(&tree)
        .output()
        .expect("apply");
    assert!(output.status.success(), "{}", stderr(&output));
}
