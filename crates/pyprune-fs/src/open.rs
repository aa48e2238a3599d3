//! Opening a file of an untrusted tree for reading: never through a symlink
//! (it may lead out of the tree, or have been swapped in since the walk), never
//! blocking (a FIFO named `x.pyc` must not hang the run), regular files only.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

/// Why a path was not opened.
#[derive(Debug)]
pub enum OpenError {
    /// The last component is a symlink.
    Symlink,
    /// A directory, FIFO, socket or device.
    NotRegular,
    /// The open or `fstat` failed. The system's error, without the path:
    /// callers name the file, escaped by [`crate::display_path`] (`fs_err`
    /// would show it unescaped, and the tree's names are not to be trusted).
    Io(io::Error),
}

impl std::error::Error for OpenError {}

impl OpenError {
    /// The system error's kind (`Other` for a symlink or a special file):
    /// what callers tell a full disk by.
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            OpenError::Io(e) => e.kind(),
            OpenError::Symlink | OpenError::NotRegular => io::ErrorKind::Other,
        }
    }
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Symlink => f.write_str("is a symlink, which pyprune does not follow"),
            OpenError::NotRegular => f.write_str("is not a regular file"),
            OpenError::Io(e) => write!(f, "cannot read: {e}"),
        }
    }
}

/// Opens `path` for reading if it is a regular file reached without following
/// a symlink in its last component; returns it with its `fstat`.
pub fn open_regular(path: &Path) -> Result<(File, Metadata), OpenError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => OpenError::Symlink,
            _ => OpenError::Io(e),
        })?;
    // Checked on the open file, so that nothing can be swapped in between.
    let metadata = file.metadata().map_err(OpenError::Io)?;
    if !metadata.is_file() {
        return Err(OpenError::NotRegular);
    }
    Ok((file, metadata))
}

/// Copies the regular file `from` (opened as [`open_regular`] opens it) to
/// `to`, which must not exist yet, with its permissions and its access and modification
/// times: a copied source keeps the mtime its cache records, so the cache
/// stays fresh and Python writes no new one. An error names the path it is
/// about and keeps its kind (a full disk is `StorageFull`).
pub fn copy_regular(from: &Path, to: &Path) -> io::Result<()> {
    let named = |path: &Path, kind: io::ErrorKind, why: String| {
        io::Error::new(kind, format!("`{}`: {why}", crate::display_path(path)))
    };
    let (mut input, meta) = open_regular(from).map_err(|e| named(from, e.kind(), e.to_string()))?;
    let written = |e: io::Error| named(to, e.kind(), e.to_string());
    let mut output = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)
        .map_err(written)?;
    io::copy(&mut input, &mut output).map_err(written)?;
    let times = std::fs::FileTimes::new()
        .set_modified(meta.modified().map_err(written)?)
        .set_accessed(meta.accessed().map_err(written)?);
    output
        .set_permissions(meta.permissions())
        .and_then(|()| output.set_times(times))
        .map_err(written)
}

/// The bytes of `path`, read as [`open_regular`] opens it: a FIFO, socket,
/// device or symlink in its place is an error, never a read that blocks.
pub fn read_regular(path: &Path) -> Result<Vec<u8>, OpenError> {
    let (mut file, metadata) = open_regular(path)?;
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    io::Read::read_to_end(&mut file, &mut bytes).map_err(OpenError::Io)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn refuses_symlinks_fifos_and_directories_without_blocking() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("f.pyc");
        std::fs::write(&file, b"data").expect("write");
        std::os::unix::fs::symlink(&file, dir.path().join("link.pyc")).expect("symlink");
        let fifo = dir.path().join("fifo.pyc");
        assert!(
            Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .expect("mkfifo")
                .success()
        );

        assert!(open_regular(&file).is_ok());
        assert_eq!(read_regular(&file).expect("read"), b"data");
        assert!(matches!(read_regular(&fifo), Err(OpenError::NotRegular)));
        assert!(matches!(
            open_regular(&dir.path().join("link.pyc")),
            Err(OpenError::Symlink)
        ));
        assert!(matches!(open_regular(&fifo), Err(OpenError::NotRegular)));
        assert!(matches!(
            open_regular(dir.path()),
            Err(OpenError::NotRegular)
        ));
        assert!(matches!(
            open_regular(&dir.path().join("none")),
            Err(OpenError::Io(_))
        ));
    }
}
