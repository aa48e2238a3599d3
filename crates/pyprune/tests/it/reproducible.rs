//! Reproducible output (issue 15, point 6): with `SOURCE_DATE_EPOCH` set,
//! `compile --normalize --invalidation-mode unchecked-hash` and then `apply`
//! (normalize, the stdlib's bytecode zip, hardlinked levels) run twice on
//! the same files, copied to different temp dirs at different times and in
//! opposite orders, with one worker and with two, give trees equal byte for
//! byte: every path, file type, mode, content, symlink target and hardlink
//! group, and the zip inside. On a reduced copy of pyenv's 3.9, whose
//! compiler marks objects by reference count (gh-98819): one worker process
//! that compiled other modules first writes other bytes than a fresh one.

use crate::harness::*;
use crate::pythons::{find_or_note, reduced_copy};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::Path;

const EPOCH: &str = "1700000000";

/// Copies the tree at `from` to `to` file by file, in reverse name order, so
/// that directory entries are created in another order than `cp -a` makes
/// them, and with new modification times (modes and symlinks kept).
fn copy_reversed(from: &Path, to: &Path) {
    let mut paths: Vec<_> = paths_under(from).into_iter().collect();
    paths.sort();
    std::fs::create_dir_all(to).expect("mkdir");
    for dir in paths
        .iter()
        .filter(|p| p.symlink_metadata().expect("lstat").is_dir())
    {
        std::fs::create_dir_all(to.join(dir.strip_prefix(from).expect("inside"))).expect("mkdir");
    }
    for path in paths.iter().rev() {
        let dest = to.join(path.strip_prefix(from).expect("inside"));
        let meta = path.symlink_metadata().expect("lstat");
        if meta.file_type().is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(path).expect("readlink"), &dest)
                .expect("symlink");
        } else if meta.is_file() {
            std::fs::copy(path, &dest).expect("copy");
        }
    }
}

/// What a tree is, byte for byte: each path's type, mode and content (a
/// file's SHA-256, a symlink's target), and which files are one inode.
fn fingerprint(root: &Path) -> (BTreeMap<String, String>, Vec<Vec<String>>) {
    let mut entries = BTreeMap::new();
    let mut inodes: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for path in paths_under(root) {
        let rel = path
            .strip_prefix(root)
            .expect("inside")
            .display()
            .to_string();
        let meta = path.symlink_metadata().expect("lstat");
        let mode = meta.permissions().mode() & 0o7777;
        let what = if meta.file_type().is_symlink() {
            format!(
                "link -> {}",
                std::fs::read_link(&path).expect("readlink").display()
            )
        } else if meta.is_dir() {
            format!("dir {mode:o}")
        } else {
            inodes.entry(meta.ino()).or_default().push(rel.clone());
            let hash = Sha256::digest(std::fs::read(&path).expect("read"));
            let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
            format!("file {mode:o} {hex}")
        };
        entries.insert(rel, what);
    }
    let mut groups: Vec<Vec<String>> = inodes
        .into_values()
        .filter(|names| names.len() > 1)
        .map(|mut names| {
            names.sort();
            names
        })
        .collect();
    groups.sort();
    (entries, groups)
}

/// `compile` then `apply --out OUT` on the prefix `prefix`, with `jobs` workers.
fn build(prefix: &Path, out: &Path, jobs: &str) {
    let stdlib = prefix.join("lib/python3.9");
    let output = pyprune()
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .arg("--python")
        .arg(prefix.join("bin/python3.9"))
        .args([
            "compile",
            "-o0",
            "-o1",
            "-o2",
            "--normalize",
            "--force",
            "-j",
            jobs,
        ])
        .args(["--invalidation-mode", "unchecked-hash", "--strip-prefix"])
        .arg(prefix)
        .args(["--prepend-prefix", "/opt/python"])
        .arg(&stdlib)
        .output()
        .expect("compile");
    assert!(output.status.success(), "{}", stderr(&output));
    let output = pyprune()
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .args([
            "apply",
            "--steps",
            "normalize,zip-stdlib-bytecode,dedupe-caches",
        ])
        .args(["-j", jobs, "--out"])
        .arg(out)
        .arg(prefix)
        .output()
        .expect("apply");
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn compile_and_apply_twice_give_the_same_bytes() {
    let Some(installed) = find_or_note("3.9", "compile_and_apply_twice_give_the_same_bytes") else {
        return;
    };
    let env = TestEnv::new();
    let reduced = reduced_copy(&installed, &env.path().join("input"), &["json", "email"]);
    remove_caches(&reduced.stdlib);
    let first = env.path().join("one/build");
    std::fs::create_dir_all(first.parent().expect("parent")).expect("mkdir");
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(&reduced.prefix)
        .arg(&first)
        .status()
        .expect("cp");
    assert!(status.success(), "cp -a");
    // A second later, elsewhere, in the other order.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = env.path().join("two/elsewhere/build");
    copy_reversed(&reduced.prefix, &second);

    build(&first, &env.path().join("one/out"), "1");
    build(&second, &env.path().join("two/out"), "2");
    let (one, two) = (
        fingerprint(&env.path().join("one/out")),
        fingerprint(&env.path().join("two/out")),
    );
    let differ: Vec<_> = one
        .0
        .iter()
        .filter(|(path, what)| two.0.get(*path) != Some(what))
        .map(|(path, _)| path)
        .chain(two.0.keys().filter(|path| !one.0.contains_key(*path)))
        .collect();
    let zip_members = |out: &str| -> Vec<(String, Vec<u8>)> {
        let bytes =
            std::fs::read(env.path().join(out).join("lib/python39.zip")).unwrap_or_default();
        let Ok(mut archive) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
            return Vec::new();
        };
        (0..archive.len())
            .map(|i| {
                let mut member = archive.by_index(i).expect("member");
                let mut content = Vec::new();
                std::io::Read::read_to_end(&mut member, &mut content).expect("read");
                (member.name().expect("name").into_owned(), content)
            })
            .collect()
    };
    let (zip_one, zip_two) = (zip_members("one/out"), zip_members("two/out"));
    let zip_differ: Vec<&String> = zip_one
        .iter()
        .zip(&zip_two)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| &a.0)
        .collect();
    assert!(
        differ.is_empty(),
        "the two results differ at {differ:?}; zip members {} and {}, differing: {zip_differ:?}",
        zip_one.len(),
        zip_two.len()
    );
    assert_eq!(one.1, two.1, "hardlink groups");
    assert!(
        one.0.keys().any(|p| p.ends_with("python39.zip")),
        "the zip step ran"
    );
}
