//! The third-party part of a tree that holds a standard library: its
//! `site-packages` and `dist-packages` directories. pyprune's commands work
//! on the standard library and leave these out (untouched, and counted apart)
//! unless the user names them.

use crate::inventory::{Inventory, Sizes};
use crate::layout::{LIB_DIRS, is_stdlib_dir};
use serde::Serialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The third-party directories a command left out, and their disk usage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    /// Relative to the tree root, as pyprune shows paths.
    pub dirs: Vec<String>,
    /// `du -s` of them together (each inode once, directories included).
    pub disk_bytes: u64,
}

impl LeftOut {
    pub fn new(dirs: &[PathBuf], disk_bytes: u64) -> LeftOut {
        LeftOut {
            dirs: dirs.iter().map(|d| pyprune_fs::display_path(d)).collect(),
            disk_bytes,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.dirs.is_empty()
    }
}

/// The names of the directories third-party packages are installed in.
pub const THIRD_PARTY_DIRS: [&str; 2] = ["site-packages", "dist-packages"];

/// The `site-packages` and `dist-packages` directories (relative to the
/// root) of a tree that holds a standard library: directly in the root when
/// it is the stdlib directory, or in a `lib/python3*` directory (Debian's
/// `lib/python3/dist-packages` too) of a prefix that holds one. None in a
/// tree without a stdlib (a venv, a site-packages named on its own).
/// `dirs` are the tree's directories; `is_file` answers for its files.
pub fn third_party_dirs<'a>(
    dirs: impl IntoIterator<Item = &'a Path>,
    is_file: impl Fn(&Path) -> bool,
) -> Vec<PathBuf> {
    let in_lib_python = |parent: &Path| {
        parent
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("python"))
            && parent
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|lib| LIB_DIRS.iter().any(|l| lib == *l))
            && parent.parent().and_then(Path::parent) == Some(Path::new(""))
    };
    let root_is_stdlib = is_stdlib_dir(Path::new(""), &is_file);
    let mut found = Vec::new();
    let mut prefix_has_stdlib = false;
    for dir in dirs {
        let Some(parent) = dir.parent() else {
            continue;
        };
        if in_lib_python(dir) && is_stdlib_dir(dir, &is_file) {
            prefix_has_stdlib = true;
        }
        let named = dir
            .file_name()
            .is_some_and(|n| THIRD_PARTY_DIRS.iter().any(|t| n == *t));
        if named && ((parent == Path::new("") && root_is_stdlib) || in_lib_python(parent)) {
            found.push(dir.to_path_buf());
        }
    }
    if !root_is_stdlib && !prefix_has_stdlib {
        return Vec::new();
    }
    found.retain(|d| root_is_stdlib == (d.parent() == Some(Path::new(""))));
    found.sort();
    found
}

impl Inventory {
    /// The `site-packages` and `dist-packages` of this tree, if it holds a
    /// standard library (see [`third_party_dirs`]).
    pub fn third_party_dirs(&self) -> Vec<PathBuf> {
        let files: HashSet<&Path> = self.files.iter().map(|f| f.path.as_path()).collect();
        third_party_dirs(
            self.directories_list.iter().map(|(d, _)| d.as_path()),
            |p| files.contains(p),
        )
    }

    /// Takes the tree's third-party directories ([`third_party_dirs`]) out
    /// of the inventory, unless `keep`: what commands do by default on a
    /// tree that holds a standard library.
    pub fn leave_out_third_party(&mut self, keep: bool) -> LeftOut {
        if keep {
            return LeftOut::default();
        }
        let dirs = self.third_party_dirs();
        let sizes = self.leave_out(&dirs);
        LeftOut::new(&dirs, sizes.disk_bytes)
    }

    /// Takes the files and directories below `dirs` (and the directories
    /// themselves) out of the inventory; returns what they held, each inode
    /// once, directories included.
    pub fn leave_out(&mut self, dirs: &[PathBuf]) -> Sizes {
        let under = |path: &Path| dirs.iter().any(|d| path.starts_with(d));
        let mut sizes = Sizes::default();
        let mut seen = HashSet::new();
        self.files.retain(|file| {
            if !under(&file.path) {
                return true;
            }
            sizes.files += 1;
            if seen.insert(file.inode) {
                sizes.apparent_bytes += file.apparent;
                sizes.disk_bytes += file.disk;
            }
            false
        });
        // The list keeps each directory's disk usage only: its apparent size
        // is asked again (an `lstat` per directory left out).
        let root = &self.root;
        let directories = &mut self.directories;
        self.directories_list.retain(|(dir, disk)| {
            if !under(dir) {
                return true;
            }
            let apparent = root.join(dir).symlink_metadata().map_or(0, |m| m.len());
            sizes.apparent_bytes += apparent;
            sizes.disk_bytes += disk;
            directories.files -= 1;
            directories.apparent_bytes = directories.apparent_bytes.saturating_sub(apparent);
            directories.disk_bytes -= disk;
            false
        });
        // A file kept whose other links were left out now holds its bytes.
        let mut first: HashSet<(u64, u64)> = HashSet::new();
        for file in self.files.iter_mut().filter(|f| f.nlink > 1) {
            file.first_link = first.insert(file.inode);
        }
        self.warnings.retain(|w| {
            !w.path
                .strip_prefix(&self.root)
                .is_ok_and(|rel| dirs.iter().any(|d| rel.starts_with(d)))
        });
        sizes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(dirs: &[&str], files: &[&str]) -> Vec<String> {
        third_party_dirs(dirs.iter().map(Path::new), |p| {
            files.iter().any(|f| Path::new(f) == p)
        })
        .iter()
        .map(|d| d.to_string_lossy().into_owned())
        .collect()
    }

    #[test]
    fn a_stdlib_dir_and_a_prefix_leave_out_their_site_packages() {
        assert_eq!(
            found(
                &["", "json", "site-packages", "site-packages/pip"],
                &["os.py"]
            ),
            ["site-packages"]
        );
        let prefix = [
            "",
            "bin",
            "lib",
            "lib/python3.11",
            "lib/python3.11/site-packages",
            "lib/python3.11/site-packages/pip",
            "lib/python3",
            "lib/python3/dist-packages",
        ];
        assert_eq!(
            found(&prefix, &["lib/python3.11/os.py"]),
            ["lib/python3/dist-packages", "lib/python3.11/site-packages"]
        );
        // Sourceless stdlibs count too.
        assert_eq!(
            found(&prefix, &["lib/python3.11/os.pyc"]),
            ["lib/python3/dist-packages", "lib/python3.11/site-packages"]
        );
    }

    #[test]
    fn trees_without_a_stdlib_leave_nothing_out() {
        // A venv: lib/python3.11 without os.py.
        let venv = ["", "lib", "lib/python3.11", "lib/python3.11/site-packages"];
        assert!(found(&venv, &["pyvenv.cfg"]).is_empty());
        // A site-packages named on its own, a test suite's own site-packages.
        assert!(found(&["", "pip", "site-packages"], &["pip/__init__.py"]).is_empty());
        assert!(
            found(
                &["", "test", "test/site-packages", "json"],
                &["os.py", "test/site-packages/x.py"]
            )
            .iter()
            .all(|d| d != "test/site-packages")
        );
    }
}
