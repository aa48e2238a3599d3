//! Whether a tree can be changed at all, asked before any work: a tree on a
//! read-only filesystem (a read-only mount, a container image's layer) is
//! refused with one clear error, not met at the first write half way through.

use rustix::fs::StatVfsMountFlags;
use std::io;
use std::path::Path;

/// Whether `path` is on a filesystem mounted read-only.
pub fn on_read_only_filesystem(path: &Path) -> io::Result<bool> {
    let stat = rustix::fs::statvfs(path)?;
    Ok(stat.f_flag.contains(StatVfsMountFlags::RDONLY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writable_directory_is_not_read_only() {
        // A read-only mount is tested for real in the integration tests (they mount one).
        let dir = tempfile::tempdir().expect("tmp");
        assert!(!on_read_only_filesystem(dir.path()).expect("statvfs"));
        assert!(on_read_only_filesystem(&dir.path().join("none")).is_err());
    }
}
