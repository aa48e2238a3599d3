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
