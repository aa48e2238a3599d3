//! One `.pyc` on disk, checked: header, embedded file name or whole code
//! summary, cache tag against magic, and freshness against the source beside
//! it. The full check serves `inspect`; the quick one, which reads only as far
//! as the first code object's file name, serves `analyze` over whole trees.

use crate::cache_name::{CacheFileName, source_of_cache, tag_agrees};
use crate::header::Header;
use crate::marshal::{self, MarshalError};
use crate::pyc::{Freshness, Pyc, PycError, SourceStat, freshness};
use pyprune_fs::{OpenError, display_path, open_regular};
use serde::Serialize;
use std::io::Read as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

/// Larger files are not read: no real module's bytecode comes close.
const MAX_PYC_BYTES: u64 = 256 * 1024 * 1024;
/// How much of a source is hashed at most (a larger one gets a wrong hash: stale).
const MAX_SOURCE_BYTES: u64 = 256 * 1024 * 1024;
/// The quick check's first read; the first file name lies within it in ~93% of
/// the 3.11 stdlib's pycs (median offset 830 bytes).
const QUICK_PREFIX: u64 = 4096;

/// A cache's relation to its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CacheContext {
    /// The cache tag in the file name (`cpython-311`), for caches in `__pycache__`.
    pub cache_tag: Option<String>,
    /// Whether that tag names the release the magic number says; `None` when not comparable.
    pub tag_agrees: Option<bool>,
    /// The source the cache belongs to, when it is named like a cache.
    #[serde(serialize_with = "pyprune_fs::serialize_optional_path")]
    pub source: Option<PathBuf>,
    pub freshness: Freshness,
}

/// What the full check of one `.pyc` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    #[serde(flatten)]
    pub pyc: Pyc,
    #[serde(flatten)]
    pub context: CacheContext,
}

/// What the quick check of one `.pyc` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuickReport {
    pub header: Header,
    /// `co_filename`; `None` if the file holds no code object.
    pub filename: Option<String>,
    #[serde(flatten)]
    pub context: CacheContext,
}

/// Why a file could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The `.pyc` itself could not be read (its path is the caller's to name).
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    /// The source beside the cache could not be read to judge freshness: named,
    /// since the caller names only the `.pyc`.
    #[error("cannot read its source `{}`: {error}", display_path(path))]
    Source {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A symlink or not a regular file: not opened.
    #[error("{0}; not read")]
    NotOpened(OpenError),
    #[error("larger than {} MiB; not read", MAX_PYC_BYTES >> 20)]
    TooLarge,
    #[error(transparent)]
    Pyc(#[from] PycError),
}

impl From<MarshalError> for FileError {
    fn from(error: MarshalError) -> FileError {
        FileError::Pyc(PycError::Marshal(error))
    }
}

/// Opens the `.pyc` at `path` the safe way (no symlink, no FIFO).
fn open_pyc(path: &Path) -> Result<std::fs::File, FileError> {
    match open_regular(path) {
        Ok((file, _)) => Ok(file),
        Err(OpenError::Io(e)) => Err(FileError::Io(e)),
        Err(refused) => Err(FileError::NotOpened(refused)),
    }
}

/// Reads the whole `.pyc` at `path` and checks it.
pub fn check_file(path: &Path) -> Result<FileReport, FileError> {
    let mut file = open_pyc(path)?;
    let mut data = Vec::new();
    read_more(&mut file, &mut data, MAX_PYC_BYTES + 1)?;
    if data.len() as u64 > MAX_PYC_BYTES {
        return Err(FileError::TooLarge);
    }
    let pyc = Pyc::parse(&data)?;
    let context = cache_context(path, &pyc.header)?;
    Ok(FileReport { pyc, context })
}

/// Reads the `.pyc` at `path` only as far as its header and first code
/// object's file name (more only when that lies further in) and checks that.
/// A file damaged beyond that point passes; [`check_file`] reads it all.
pub fn check_file_quick(path: &Path) -> Result<QuickReport, FileError> {
    let mut file = open_pyc(path)?;
    let mut data = Vec::with_capacity(QUICK_PREFIX as usize);
    let mut want = QUICK_PREFIX;
    let mut at_end = read_more(&mut file, &mut data, want)?;
    let header = Header::parse(&data).map_err(PycError::Header)?;
    let filename = loop {
        match marshal::first_filename(&data[header.len..], header.magic.version) {
            // In a prefix, a size larger than the bytes read so far means "read on" too.
            Err(MarshalError::Truncated(_) | MarshalError::BadSize { .. })
                if !at_end && want < MAX_PYC_BYTES =>
            {
                at_end = read_more(&mut file, &mut data, want)?;
                want *= 2;
            }
            result => break result?,
        }
    };
    let context = cache_context(path, &header)?;
    Ok(QuickReport {
        header,
        filename,
        context,
    })
}

/// Appends up to `limit` more bytes; true when the file ended.
fn read_more(file: &mut std::fs::File, data: &mut Vec<u8>, limit: u64) -> std::io::Result<bool> {
    let read = file.take(limit).read_to_end(data)?;
    Ok((read as u64) < limit)
}

/// Tag, source and freshness of the cache at `path`. The source is opened the
/// safe way too: a symlink (which may lead out of the tree), a FIFO or a
/// directory in its place is not checked.
fn cache_context(path: &Path, header: &Header) -> Result<CacheContext, FileError> {
    let source = source_of_cache(path);
    let cache_tag = source.as_ref().and_then(|_| {
        let name = path.file_name()?.to_str()?;
        CacheFileName::parse(name).map(|c| c.tag.to_owned())
    });
    let tag_agrees = cache_tag
        .as_deref()
        .and_then(|tag| tag_agrees(tag, &header.magic));
    let freshness = match &source {
        None => Freshness::NoSource,
        Some(source) => match open_regular(source) {
            Err(OpenError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                Freshness::NoSource
            }
            Err(OpenError::Io(error)) => {
                return Err(FileError::Source {
                    path: source.clone(),
                    error,
                });
            }
            Err(refused) => Freshness::NotChecked {
                reason: format!("the source {refused}"),
            },
            Ok((mut file, meta)) => {
                let stat = SourceStat::new(meta.mtime(), meta.mtime_nsec(), meta.len());
                // Reading the source is the only I/O `freshness` does.
                freshness(header, Some(stat), || {
                    let mut bytes = Vec::new();
                    read_more(&mut file, &mut bytes, MAX_SOURCE_BYTES)?;
                    Ok(bytes)
                })
                .map_err(|error| FileError::Source {
                    path: source.clone(),
                    error,
                })?
            }
        },
    };
    Ok(CacheContext {
        cache_tag,
        tag_agrees,
        source,
        freshness,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_that_cannot_be_read_is_named_escaped() {
        let error = FileError::Source {
            path: PathBuf::from("/t/x\n.py"),
            error: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        assert_eq!(
            error.to_string(),
            "cannot read its source `/t/x\\x0A.py`: permission denied"
        );
    }
}
