//! Temporaries pyprune makes (a staging tree, scratch layouts): each is
//! registered while it exists, removed when its guard drops (as the work
//! unwinds after a failure or a signal), and named if pyprune has to exit
//! before it could remove it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

static REGISTRY: Mutex<Vec<(u64, PathBuf)>> = Mutex::new(Vec::new());
static NEXT: AtomicU64 = AtomicU64::new(0);

/// A file or directory tree that pyprune made and removes unless kept.
#[derive(Debug)]
pub struct Temporary {
    id: u64,
    path: PathBuf,
}

impl Temporary {
    /// Registers `path` (about to be made, or made) as pyprune's to remove.
    pub fn new(path: &Path) -> Temporary {
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        lock().push((id, path.to_path_buf()));
        Temporary {
            id,
            path: path.to_path_buf(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// It is not temporary after all (renamed into place, say): left as it is.
    pub fn keep(self) {
        forget(self.id);
        std::mem::forget(self);
    }

    /// Removes it now; an error names what could not be removed.
    pub fn remove(self) -> std::io::Result<()> {
        let result = remove(&self.path);
        forget(self.id);
        std::mem::forget(self);
        result
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if crate::interrupted().is_some() {
            crate::pause_point("cleanup");
        }
        let _ = remove(&self.path);
        forget(self.id);
    }
}

fn lock() -> std::sync::MutexGuard<'static, Vec<(u64, PathBuf)>> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

fn forget(id: u64) {
    lock().retain(|(other, _)| *other != id);
}

fn remove(path: &Path) -> std::io::Result<()> {
    match path.symlink_metadata() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
    }
}

/// The temporaries registered now.
pub(crate) fn registered() -> Vec<PathBuf> {
    lock().iter().map(|(_, path)| path.clone()).collect()
}

/// Removes every temporary still registered (a guard that never dropped: its
/// owner is on another thread, or leaked); returns those that could not be
/// removed, with why.
pub fn remove_left_behind() -> Vec<(PathBuf, std::io::Error)> {
    let left: Vec<(u64, PathBuf)> = std::mem::take(&mut *lock());
    left.into_iter()
        .filter_map(|(_, path)| remove(&path).err().map(|e| (path, e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temporary_goes_unless_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (gone, kept, later) = (
            dir.path().join("gone"),
            dir.path().join("kept"),
            dir.path().join("later"),
        );
        for made in [&gone, &kept, &later] {
            std::fs::create_dir_all(made.join("sub")).expect("made");
            std::fs::write(made.join("sub/f"), b"x").expect("written");
        }
        drop(Temporary::new(&gone));
        Temporary::new(&kept).keep();
        let leaked = Temporary::new(&later);
        assert!(registered().contains(&later));
        std::mem::forget(leaked);
        assert!(remove_left_behind().is_empty());
        assert!(!gone.exists() && kept.join("sub/f").exists() && !later.exists());
        assert!(!registered().contains(&later) && !registered().contains(&kept));
    }
}
