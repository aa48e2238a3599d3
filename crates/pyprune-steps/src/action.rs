//! What a step does to a tree, as data: the same list is applied to the
//! model (prediction) and performed on disk (the work).

use pyprune_fs::{replace_with_bytes, replace_with_link};
use pyprune_tree::Kind;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One change to a tree; paths are relative to its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Delete a file.
    Remove(PathBuf),
    /// Make `target` a hardlink of `existing` (replacing what `target` was).
    Link { existing: PathBuf, target: PathBuf },
    /// Create or replace a file with these bytes and this mode. (Shared:
    /// `plan` applies one step's writes to the model of every row after it.)
    Write {
        path: PathBuf,
        bytes: Arc<[u8]>,
        mode: u32,
        kind: Kind,
        module: String,
    },
    /// Rename a file (its kind may change: a cache becoming sourceless bytecode).
    Move {
        from: PathBuf,
        to: PathBuf,
        kind: Kind,
    },
    /// Delete a directory that is empty by then.
    RemoveDir(PathBuf),
}

impl Action {
    /// The paths it touches.
    pub fn paths(&self) -> Vec<&Path> {
        match self {
            Action::Remove(p) | Action::RemoveDir(p) | Action::Write { path: p, .. } => vec![p],
            Action::Link { existing, target } => vec![existing, target],
            Action::Move { from, to, .. } => vec![from, to],
        }
    }

    /// Whether it touches a path outside the tree (`..`, absolute): the zip
    /// steps write `../pythonXY.zip` when the tree is a stdlib directory.
    pub fn leaves_tree(&self) -> bool {
        self.paths().iter().any(|p| leaves_tree(p))
    }
}

/// Whether the relative path `path` leaves the tree it is relative to.
pub(crate) fn leaves_tree(path: &Path) -> bool {
    !path
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// An action that could not be performed.
#[derive(Debug, thiserror::Error)]
#[error("{what} `{}`", pyprune_fs::display_path(.path))]
pub struct ActionError {
    pub what: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// Performs `action` in the tree at `root`. Every replacement is atomic (a
/// temporary name in the same directory, then a rename); no path goes
/// outside the tree or through a symlink ([`check_paths`]).
pub fn perform(root: &Path, action: &Action) -> Result<(), ActionError> {
    check_paths(root, action)?;
    fn fail<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> ActionError + 'a {
        move |source| ActionError {
            what,
            path: path.to_path_buf(),
            source,
        }
    }
    match action {
        Action::Remove(path) => {
            std::fs::remove_file(root.join(path)).map_err(fail("cannot remove", path))
        }
        Action::Link { existing, target } => {
            replace_with_link(&root.join(existing), &root.join(target))
                .map_err(fail("cannot link", target))
        }
        Action::Write {
            path, bytes, mode, ..
        } => {
            let full = root.join(path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(fail("cannot create the directory of", path))?;
            }
            replace_with_bytes(&full, bytes, *mode).map_err(fail("cannot write", path))
        }
        Action::Move { from, to, .. } => {
            let target = root.join(to);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(fail("cannot create the directory of", to))?;
            }
            std::fs::rename(root.join(from), target).map_err(fail("cannot move", from))
        }
        Action::RemoveDir(path) => match std::fs::remove_dir(root.join(path)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other.map_err(fail("cannot remove the directory", path)),
        },
    }
}

/// The first directory above `rel` (under `root`) that is a symlink, if any;
/// directories that do not exist yet are made by the action, as directories.
fn symlinked_parent(root: &Path, rel: &Path) -> Option<PathBuf> {
    let mut at = root.to_path_buf();
    let parents: Vec<_> = rel.parent()?.components().collect();
    for component in parents {
        at.push(component);
        match at.symlink_metadata() {
            Ok(meta) if meta.file_type().is_symlink() => return Some(at),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

/// Refuses an action whose paths leave the tree (`..`, absolute) or go
/// through a symlink.
pub(crate) fn check_paths(root: &Path, action: &Action) -> Result<(), ActionError> {
    // Every path must stay inside the tree: no `..`, nothing absolute.
    let paths = action.paths();
    if let Some(outside) = paths.iter().find(|p| leaves_tree(p)) {
        return Err(ActionError {
            what: "refusing to touch a path outside the tree:",
            path: outside.to_path_buf(),
            source: io::Error::other("outside the tree"),
        });
    }
    // Nor through a symlink: a directory of the path that is one now (a
    // site-packages leading out of the tree, or a directory swapped since the
    // walk) would carry the change outside. The last component itself is
    // replaced or removed as a link, never followed.
    for path in &paths {
        if let Some(link) = symlinked_parent(root, path) {
            return Err(ActionError {
                what: "refusing to go through a symlink to",
                path: path.to_path_buf(),
                source: io::Error::other(format!(
                    "`{}` is a symlink",
                    pyprune_fs::display_path(&link)
                )),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Journal;

    #[test]
    fn paths_that_leave_the_tree_are_known_before_anything_is_done() {
        let zip = Action::Move {
            from: PathBuf::from("json/__init__.py"),
            to: PathBuf::from("../python311.zip"),
            kind: Kind::Data,
        };
        assert!(zip.leaves_tree());
        assert!(Action::Remove(PathBuf::from("/etc/passwd")).leaves_tree());
        assert!(!Action::RemoveDir(PathBuf::from("json/__pycache__")).leaves_tree());
        let root = tempfile::tempdir().expect("tempdir");
        let error = perform(root.path(), &zip).expect_err("refused");
        assert_eq!(
            error.to_string(),
            "refusing to touch a path outside the tree: `../python311.zip`"
        );
    }

    #[test]
    fn nothing_is_written_or_made_through_a_symlinked_directory() {
        let root = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        std::os::unix::fs::symlink(outside.path(), root.path().join("out")).expect("symlink");
        let write = |path: &str| Action::Write {
            path: PathBuf::from(path),
            bytes: b"x".to_vec().into(),
            mode: 0o644,
            kind: Kind::Data,
            module: String::new(),
        };
        for action in [write("out/file"), write("out/new/dir/file")] {
            let error = perform(root.path(), &action).expect_err("refused");
            assert!(error.to_string().contains("symlink"), "{error}");
            // The journal refuses before it records anything or makes a directory.
            let mut journal = Journal::begin(root.path()).expect("journal");
            assert!(journal.perform(&action).is_err());
            drop(journal);
            crate::undo(root.path()).expect("undo");
        }
        let left: Vec<_> = std::fs::read_dir(outside.path()).expect("read").collect();
        assert!(left.is_empty(), "{left:?}");
        // The link itself may be replaced: that follows nothing.
        perform(root.path(), &write("out")).expect("replaces the link");
        assert!(root.path().join("out").is_file());
    }
}
