//! An install laid out on its own, for `split --check` to verify and measure:
//! its directories made anew, its files hardlinked from the tree (copied,
//! times kept, where the destination is on another filesystem: a source's
//! new mtime would make its cache stale, and Python would write one),
//! symlinks made again. Nothing of the tree is changed or followed.

use crate::install::{Install, directories_of};
use crate::split::Split;
use std::io;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

/// Why an install could not be laid out.
#[derive(Debug, thiserror::Error)]
#[error("cannot lay out `{}`: {source}", pyprune_fs::display_path(path))]
pub struct MaterializeError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// Lays out `install` at `dest` (a directory that must not exist yet),
/// the tree's root becoming `dest`, with the third-party packages left out
/// of the split too when `third_party` (what verify imports with the
/// stdlib). Returns how many files were copied rather than linked.
pub fn materialize(
    split: &Split,
    install: &Install,
    third_party: bool,
    dest: &Path,
) -> Result<u64, MaterializeError> {
    let fail = |path: &Path| {
        let path = path.to_path_buf();
        move |source| MaterializeError { path, source }
    };
    std::fs::create_dir(dest).map_err(fail(dest))?;
    for dir in directories_of(split, install) {
        let made = dest.join(dir);
        std::fs::create_dir_all(&made).map_err(fail(&made))?;
    }
    let mut copied = 0;
    let extra = split.third_party.iter().filter(|_| third_party);
    for file in split.files.iter().filter(|f| install.holds(f)).chain(extra) {
        pyprune_interrupt::check().map_err(|e| MaterializeError {
            path: dest.to_path_buf(),
            source: io::Error::other(e.to_string()),
        })?;
        let from = split.root.join(&file.path);
        let to = dest.join(&file.path);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(fail(parent))?;
        }
        if file.symlink {
            let target = std::fs::read_link(&from).map_err(fail(&from))?;
            std::os::unix::fs::symlink(&target, &to).map_err(fail(&to))?;
            continue;
        }
        match std::fs::hard_link(&from, &to) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::CrossesDevices => {
                pyprune_fs::copy_regular(&from, &to).map_err(fail(&to))?;
                copied += 1;
            }
            Err(error) => return Err(fail(&from)(error)),
        }
    }
    // Directories as the tree has them (permissions), deepest first so
    // that a read-only one does not stop the others.
    let mut dirs: Vec<&Path> = directories_of(split, install);
    dirs.reverse();
    for dir in dirs.into_iter().chain([Path::new("")]) {
        let from = split.root.join(dir);
        if let Ok(meta) = std::fs::symlink_metadata(&from) {
            let mode = meta.permissions().mode() & 0o7777;
            let to = dest.join(dir);
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode | 0o700))
                .map_err(fail(&to))?;
        }
    }
    Ok(copied)
}
