//! The files of a tree with their size and modification time, to tell what a
//! run of Python created or changed. Symlinks are listed, never followed.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

/// `(size, mtime in ns)` of every non-directory, by path relative to the root.
pub type Snapshot = BTreeMap<PathBuf, (u64, i128)>;

pub fn snapshot(root: &Path) -> Snapshot {
    let mut files = Snapshot::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(root.join(&rel)) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let child = rel.join(entry.file_name());
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            if meta.is_dir() {
                stack.push(child);
            } else {
                let mtime =
                    i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec());
                files.insert(child, (meta.size(), mtime));
            }
        }
    }
    files
}

/// Paths created or changed between two snapshots.
pub fn changed(before: &Snapshot, after: &Snapshot) -> Vec<(PathBuf, bool)> {
    after
        .iter()
        .filter(|(path, stat)| before.get(*path) != Some(stat))
        .map(|(path, _)| (path.clone(), !before.contains_key(path)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(entries: &[(&str, u64, i128)]) -> Snapshot {
        entries
            .iter()
            .map(|&(path, size, mtime)| (PathBuf::from(path), (size, mtime)))
            .collect()
    }

    #[test]
    fn created_and_changed_files_are_told_apart_and_removed_ones_ignored() {
        let before = stat(&[
            ("same", 1, 10),
            ("grown", 1, 10),
            ("touched", 1, 10),
            ("gone", 1, 10),
        ]);
        let after = stat(&[
            ("same", 1, 10),
            ("grown", 2, 10),
            ("touched", 1, 11),
            ("new", 0, 12),
        ]);
        assert_eq!(
            changed(&before, &after),
            [
                (PathBuf::from("grown"), false),
                (PathBuf::from("new"), true),
                (PathBuf::from("touched"), false),
            ]
        );
        assert_eq!(changed(&after, &after), []);
    }

    #[test]
    fn every_non_directory_is_listed_and_symlinks_are_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("tree");
        std::fs::create_dir_all(root.join("pkg/__pycache__")).expect("mkdir");
        std::fs::write(root.join("pkg/__init__.py"), "x = 1\n").expect("write");
        std::fs::write(root.join("pkg/__pycache__/__init__.cpython-311.pyc"), b"c").expect("write");
        std::fs::create_dir(dir.path().join("outside")).expect("mkdir");
        std::fs::write(dir.path().join("outside/secret.py"), "").expect("write");
        std::os::unix::fs::symlink(dir.path().join("outside"), root.join("link")).expect("symlink");

        let found = snapshot(&root);
        let paths: Vec<&str> = found.keys().filter_map(|p| p.to_str()).collect();
        assert_eq!(
            paths,
            [
                "link",
                "pkg/__init__.py",
                "pkg/__pycache__/__init__.cpython-311.pyc"
            ]
        );
        assert_eq!(found[Path::new("pkg/__init__.py")].0, 6);
    }
}
