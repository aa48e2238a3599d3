//! The disk space a directory adds beside a tree it shares hardlinks with:
//! what `du -s TREE DIR` says of DIR (its blocks, each inode once, less the
//! inodes TREE already holds). `plan --measure-import` states its peak
//! temporary space from it.

use std::collections::HashSet;
use std::io;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

/// What a directory holds beside a tree it may share hardlinks with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Beside {
    /// The bytes on disk (`st_blocks`) of everything under it, itself
    /// included, each inode once, none of the tree's.
    pub extra_bytes: u64,
    /// Its paths that are another name of one of the tree's files.
    pub shared_files: u64,
}

impl crate::Inventory {
    /// The `(st_dev, st_ino)` of the tree's files, for [`beside_tree`].
    pub fn file_inodes(&self) -> HashSet<(u64, u64)> {
        self.files.iter().map(|f| f.inode).collect()
    }
}

/// Measures `dir` beside the tree whose files' `(st_dev, st_ino)` are
/// `shared`. Nothing is followed.
pub fn beside_tree(dir: &Path, shared: &HashSet<(u64, u64)>) -> io::Result<Beside> {
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let mut beside = Beside::default();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        let meta = std::fs::symlink_metadata(&path)?;
        let inode = (meta.dev(), meta.ino());
        if shared.contains(&inode) {
            beside.shared_files += 1;
        } else if seen.insert(inode) {
            beside.extra_bytes += meta.blocks() * 512;
        }
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path)? {
                pending.push(entry?.path());
            }
        }
    }
    Ok(beside)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `du -s -B1 TREE DIR`'s figure for DIR.
    fn du_beside(tree: &Path, dir: &Path) -> u64 {
        let output = std::process::Command::new("du")
            .args(["-s", "-B1"])
            .arg(tree)
            .arg(dir)
            .output()
            .expect("du");
        let text = String::from_utf8_lossy(&output.stdout);
        let line = text.lines().nth(1).expect("a line for DIR");
        line.split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a number")
    }

    #[test]
    fn counts_what_du_counts_beside_the_tree() {
        let tmp = tempfile::tempdir().expect("tmp");
        let tree = tmp.path().join("tree");
        let dir = tmp.path().join("layout");
        std::fs::create_dir_all(tree.join("pkg")).expect("mkdir");
        std::fs::create_dir_all(dir.join("pkg/sub")).expect("mkdir");
        let mut shared = HashSet::new();
        for (name, len) in [("a.py", 10_000), ("pkg/b.py", 50_000), ("pkg/c.py", 3)] {
            let path = tree.join(name);
            std::fs::write(&path, vec![b'x'; len]).expect("write");
            let meta = std::fs::metadata(&path).expect("stat");
            shared.insert((meta.dev(), meta.ino()));
        }
        // Two files linked to the tree, one linked twice inside the layout, new bytes.
        std::fs::hard_link(tree.join("a.py"), dir.join("a.py")).expect("link");
        std::fs::hard_link(tree.join("pkg/b.py"), dir.join("pkg/b.py")).expect("link");
        std::fs::write(dir.join("pkg/new.py"), vec![b'y'; 70_000]).expect("write");
        std::fs::hard_link(dir.join("pkg/new.py"), dir.join("pkg/sub/again.py")).expect("link");
        std::os::unix::fs::symlink("../a.py", dir.join("pkg/sub/link.py")).expect("symlink");
        let beside = beside_tree(&dir, &shared).expect("measured");
        assert_eq!(beside.extra_bytes, du_beside(&tree, &dir));
        assert_eq!(beside.shared_files, 2);
        // Counting the tree's own files too would be the whole du of the layout.
        let alone = beside_tree(&dir, &HashSet::new()).expect("measured");
        assert!(
            alone.extra_bytes >= beside.extra_bytes + 60_000,
            "{alone:?} vs {beside:?}"
        );
        assert_eq!(alone.shared_files, 0);
    }
}
