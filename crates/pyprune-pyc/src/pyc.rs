//! One `.pyc` file, read whole: header, code summary, and freshness against its source.

use crate::header::{Header, HeaderError, Invalidation};
use crate::marshal::{self, MarshalError};
use crate::source_hash::source_hash;
use crate::summary::CodeSummary;
use serde::Serialize;

/// Why a `.pyc` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PycError {
    #[error(transparent)]
    Header(#[from] HeaderError),
    #[error(transparent)]
    Marshal(#[from] MarshalError),
    #[error("the marshalled object is not a code object")]
    NotCode,
}

/// A parsed `.pyc`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pyc {
    pub header: Header,
    pub code: CodeSummary,
    /// Bytes after the marshalled code object (CPython ignores them).
    pub trailing_bytes: usize,
}

impl Pyc {
    /// Parses a whole `.pyc` file's bytes.
    pub fn parse(data: &[u8]) -> Result<Pyc, PycError> {
        let header = Header::parse(data)?;
        let body = &data[header.len..];
        let (object, used) = marshal::read_prefix(body, header.magic.version)?;
        let code = CodeSummary::of(&object, header.magic.version).ok_or(PycError::NotCode)?;
        Ok(Pyc {
            header,
            code,
            trailing_bytes: body.len() - used,
        })
    }
}

/// Whether a cache would be used for its source, decided as importlib decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Freshness {
    /// Its check passes: import uses it.
    Fresh,
    /// Its check fails: import recompiles from source.
    Stale { reason: String },
    /// An unchecked-hash cache: import uses it without looking at the source.
    /// `matches` says whether its hash is the source's anyway.
    Unchecked { matches: bool },
    /// No source beside it (sourceless bytecode, or an orphaned cache).
    NoSource,
    /// The source was not examined.
    NotChecked { reason: String },
}

/// The facts about a source file that importlib compares with a cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceStat {
    /// `int(os.stat(source).st_mtime)`: seconds, truncated toward zero.
    pub mtime: i64,
    pub size: u64,
}

impl SourceStat {
    /// From `st_mtime` and `st_mtime_nsec`, as importlib gets it: Python's
    /// `st_mtime` is the float `sec + nsec * 1e-9` (which rounds up to the next
    /// second when `nsec` is close to 1e9), and `int()` truncates it toward zero.
    pub fn new(mtime_sec: i64, mtime_nsec: i64, size: u64) -> SourceStat {
        let float_mtime = mtime_sec as f64 + mtime_nsec as f64 * 1e-9;
        SourceStat {
            mtime: float_mtime.trunc() as i64,
            size,
        }
    }
}

/// Checks `header` against its source as importlib does: timestamp caches by
/// mtime and size (both modulo 2³²), checked-hash caches by the source hash of
/// the file's own Python version. `read_source` is called only when the hash is needed.
pub fn freshness(
    header: &Header,
    source: Option<SourceStat>,
    read_source: impl FnOnce() -> std::io::Result<Vec<u8>>,
) -> std::io::Result<Freshness> {
    let Some(source) = source else {
        return Ok(Freshness::NoSource);
    };
    let hash_of = |bytes: &[u8]| {
        let magic = u32::from(header.magic.number) | 0x0a0d_0000;
        source_hash(header.magic.version, magic.to_le_bytes(), bytes)
    };
    Ok(match header.invalidation {
        Invalidation::Timestamp { mtime, source_size } => {
            let source_mtime = (source.mtime & 0xffff_ffff) as u32;
            let size = (source.size & 0xffff_ffff) as u32;
            if mtime != source_mtime {
                Freshness::Stale {
                    reason: format!("source mtime {source_mtime} differs from recorded {mtime}"),
                }
            } else if source_size.is_some_and(|s| s != size) {
                let recorded = source_size.unwrap_or_default();
                Freshness::Stale {
                    reason: format!("source size {size} differs from recorded {recorded}"),
                }
            } else {
                Freshness::Fresh
            }
        }
        Invalidation::CheckedHash { hash } => {
            if hash_of(&read_source()?) == hash {
                Freshness::Fresh
            } else {
                Freshness::Stale {
                    reason: "source hash differs from recorded".into(),
                }
            }
        }
        Invalidation::UncheckedHash { hash } => Freshness::Unchecked {
            matches: hash_of(&read_source()?) == hash,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtime_is_truncated_from_the_float_python_sees() {
        assert_eq!(
            SourceStat::new(1_700_000_000, 999_999_999, 0).mtime,
            1_700_000_001
        );
        assert_eq!(
            SourceStat::new(1_700_000_000, 500_000_000, 0).mtime,
            1_700_000_000
        );
        assert_eq!(SourceStat::new(-2, 500_000_000, 0).mtime, -1);
    }
}
