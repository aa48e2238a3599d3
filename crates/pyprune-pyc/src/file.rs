//! One `.pyc` on disk, checked: header, code summary, cache tag against magic,
//! and freshness against the source beside it. Shared by `inspect` and `analyze`.

use crate::cache_name::{CacheFileName, source_of_cache, tag_agrees};
use crate::pyc::{Freshness, Pyc, PycError, SourceStat, freshness};
use serde::Serialize;
use std::io::Read as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

/// Larger files are not read: no real module's bytecode comes close.
const MAX_PYC_BYTES: u64 = 256 * 1024 * 1024;

/// What checking one `.pyc` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    #[serde(flatten)]
    pub pyc: Pyc,
    /// The cache tag in the file name (`cpython-311`), for caches in `__pycache__`.
    pub cache_tag: Option<String>,
    /// Whether that tag names the release the magic number says; `None` when not comparable.
    pub tag_agrees: Option<bool>,
    /// The source the cache belongs to, when it is named like a cache.
    pub source: Option<PathBuf>,
    pub freshness: Freshness,
}

/// Why a file could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("larger than {} MiB; not read", MAX_PYC_BYTES >> 20)]
    TooLarge,
    #[error(transparent)]
    Pyc(#[from] PycError),
}

/// Reads and checks the `.pyc` at `path`. A source that is a symlink is not
/// followed (it may lead out of the tree): its freshness is not checked.
pub fn check_file(path: &Path) -> Result<FileReport, FileError> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() > MAX_PYC_BYTES {
        return Err(FileError::TooLarge);
    }
    let mut data = Vec::new();
    file.take(MAX_PYC_BYTES + 1).read_to_end(&mut data)?;
    let pyc = Pyc::parse(&data)?;

    let cache_tag = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(CacheFileName::parse)
        .filter(|_| source_of_cache(path).is_some())
        .map(|name| name.tag.to_owned());
    let tag_agrees = cache_tag
        .as_deref()
        .and_then(|tag| tag_agrees(tag, &pyc.header.magic));
    let source = source_of_cache(path);
    let freshness = match &source {
        None => Freshness::NoSource,
        Some(source) => match source.symlink_metadata() {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Freshness::NoSource,
            Err(e) => return Err(e.into()),
            Ok(meta) if meta.file_type().is_symlink() => Freshness::NotChecked {
                reason: "the source is a symlink, which pyprune does not follow".into(),
            },
            Ok(meta) => {
                let stat = SourceStat::new(meta.mtime(), meta.mtime_nsec(), meta.len());
                freshness(&pyc.header, Some(stat), || std::fs::read(source))?
            }
        },
    };
    Ok(FileReport {
        pyc,
        cache_tag,
        tag_agrees,
        source,
        freshness,
    })
}
