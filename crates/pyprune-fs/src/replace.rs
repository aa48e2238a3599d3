//! Replacing a file without a moment in which it is missing or half written:
//! the new content is put under a temporary name in the same directory, then
//! renamed over the old one (atomic within a filesystem). A crash leaves the old
//! file or the new one, plus at worst a stray `.pyprune-*` temporary.
//!
//! Errors are the system's own `io::Error`s, without a path: every caller
//! names the file it was replacing, and dedupe reads their errno (`EXDEV`,
//! `EMLINK`), which a path-carrying wrapper such as `fs_err` would hide.

use std::fs::{File, OpenOptions, Permissions};
use std::io::{self, Write as _};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A temporary name beside `target`, unique within this process (pid and a
/// counter shared by all threads). Callers create it with `create_new`, so a
/// clash with another process is an error, never an overwrite.
pub fn temporary_beside(target: &Path) -> io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = target
        .parent()
        .ok_or_else(|| io::Error::other("a path without a parent directory"))?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    Ok(dir.join(format!(".pyprune-{}-{n}.tmp", std::process::id())))
}

/// Makes `target` another name of `existing` (a hardlink), atomically replacing
/// whatever `target` was. Fails, leaving `target` as it was, where links cannot
/// be made (another filesystem, too many links, a filesystem without them).
pub fn replace_with_link(existing: &Path, target: &Path) -> io::Result<()> {
    let temporary = temporary_beside(target)?;
    std::fs::hard_link(existing, &temporary)?;
    let renamed = std::fs::rename(&temporary, target);
    // Renaming onto another link of the same inode does nothing and succeeds,
    // leaving the temporary name: it is ours, remove it either way.
    if renamed.is_err() || temporary.symlink_metadata().is_ok() {
        let _ = std::fs::remove_file(&temporary);
    }
    renamed
}

/// Writes `bytes` to `target` with `mode` through a temporary file and a rename.
pub fn replace_with_bytes(target: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let temporary = temporary_beside(target)?;
    let result = (|| {
        let mut file: File = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&temporary)?;
        file.write_all(bytes)?;
        // `mode` passed at creation is masked by the umask; set it as asked.
        file.set_permissions(Permissions::from_mode(mode))?;
        std::fs::rename(&temporary, target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt as _;

    #[test]
    fn links_and_copies_replace_atomically() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::write(&a, b"same").expect("write");
        std::fs::write(&b, b"old").expect("write");
        replace_with_link(&a, &b).expect("link");
        assert_eq!(
            std::fs::metadata(&a).expect("a").ino(),
            std::fs::metadata(&b).expect("b").ino()
        );
        let c = dir.path().join("c");
        replace_with_bytes(&c, b"new", 0o640).expect("copy");
        assert_eq!(std::fs::read(&c).expect("c"), b"new");
        assert_eq!(std::fs::metadata(&c).expect("c").mode() & 0o777, 0o640);
        // Nothing temporary is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("e").file_name())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
        // A failed link leaves the target alone.
        assert!(replace_with_link(&dir.path().join("missing"), &c).is_err());
        assert_eq!(std::fs::read(&c).expect("c"), b"new");
    }
}

#[cfg(test)]
mod unique_names {
    use super::*;

    #[test]
    fn temporary_names_never_repeat_across_threads() {
        let names: Vec<PathBuf> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        (0..1000)
                            .map(|_| temporary_beside(Path::new("d/f")).expect("name"))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("thread"))
                .collect()
        });
        let unique: std::collections::HashSet<&PathBuf> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
    }
}
