//! The header in front of the marshalled code: the magic number, then (PEP 552,
//! 3.7+) a flags word choosing timestamp or hash invalidation, then the source's
//! mtime and size or an 8-byte source hash. Older releases had shorter headers.

use crate::magic::{Magic, PythonVersion, UnknownMagic};
use serde::Serialize;

/// How a cache says it can be checked against its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum Invalidation {
    /// Flags 0: the source's mtime (seconds, modulo 2³²) and size (modulo 2³², absent before 3.3).
    Timestamp {
        mtime: u32,
        source_size: Option<u32>,
    },
    /// Flags 1: a source hash the import system does not check.
    UncheckedHash {
        #[serde(serialize_with = "hex")]
        hash: [u8; 8],
    },
    /// Flags 3: a source hash the import system checks on every import.
    CheckedHash {
        #[serde(serialize_with = "hex")]
        hash: [u8; 8],
    },
}

fn hex<S: serde::Serializer>(bytes: &[u8; 8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// A parsed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Header {
    pub magic: Magic,
    /// The raw flags word (3.7+), 0 before.
    pub flags: u32,
    pub invalidation: Invalidation,
    /// Where the marshalled code starts.
    pub len: usize,
}

/// Why the bytes are not a usable header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("too short for a .pyc header ({len} bytes, {need} needed)")]
    TooShort { len: usize, need: usize },
    #[error("not a .pyc file (no \\r\\n after the magic number)")]
    NotAPyc,
    #[error(transparent)]
    UnknownMagic(#[from] UnknownMagic),
    #[error(
        "invalid flags {flags} in the header (0: timestamp, 1: unchecked hash, 3: checked hash){note}",
        flags = .0,
        note = if *.0 == 2 { "; importlib would treat it as timestamp-based, but no CPython writes it" } else { "" }
    )]
    InvalidFlags(u32),
}

impl Header {
    /// The longest header of any release: reading this much of a file is
    /// enough to [`Header::parse`] it.
    pub const MAX_LEN: usize = 16;

    /// How long the header of `version` is.
    pub fn len_for(version: PythonVersion) -> usize {
        match version.minor {
            0..=2 => 8,
            3..=6 => 12,
            _ => Header::MAX_LEN,
        }
    }

    /// Parses the header at the start of `data`.
    pub fn parse(data: &[u8]) -> Result<Header, HeaderError> {
        let word = |at: usize| -> Option<u32> {
            let bytes = data.get(at..at + 4)?;
            Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
        };
        let magic_word = word(0).ok_or(HeaderError::TooShort {
            len: data.len(),
            need: 4,
        })?;
        if magic_word >> 16 != 0x0a0d {
            return Err(HeaderError::NotAPyc);
        }
        let magic =
            Magic::lookup((magic_word & 0xffff) as u16).map_err(HeaderError::UnknownMagic)?;
        let len = Header::len_for(magic.version);
        if data.len() < len {
            return Err(HeaderError::TooShort {
                len: data.len(),
                need: len,
            });
        }
        let field = |at| word(at).unwrap_or_default();
        let (flags, invalidation) = match len {
            8 => (
                0,
                Invalidation::Timestamp {
                    mtime: field(4),
                    source_size: None,
                },
            ),
            12 => (
                0,
                Invalidation::Timestamp {
                    mtime: field(4),
                    source_size: Some(field(8)),
                },
            ),
            _ => {
                let flags = field(4);
                let mut hash = [0u8; 8];
                hash.copy_from_slice(&data[8..16]);
                let invalidation = match flags {
                    0 => Invalidation::Timestamp {
                        mtime: field(8),
                        source_size: Some(field(12)),
                    },
                    1 => Invalidation::UncheckedHash { hash },
                    3 => Invalidation::CheckedHash { hash },
                    other => return Err(HeaderError::InvalidFlags(other)),
                };
                (flags, invalidation)
            }
        };
        Ok(Header {
            magic,
            flags,
            invalidation,
            len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(magic: u16, rest: &[u8]) -> Vec<u8> {
        let mut data = magic.to_le_bytes().to_vec();
        data.extend_from_slice(b"\r\n");
        data.extend_from_slice(rest);
        data
    }

    #[test]
    fn parses_every_layout() {
        let h = Header::parse(&header(3495, &[0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0])).expect("3.11");
        assert_eq!(h.len, 16);
        assert_eq!(
            h.invalidation,
            Invalidation::Timestamp {
                mtime: 1,
                source_size: Some(2)
            }
        );
        let h = Header::parse(&header(3495, &[3, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8])).expect("3.11");
        assert_eq!(
            h.invalidation,
            Invalidation::CheckedHash {
                hash: [1, 2, 3, 4, 5, 6, 7, 8]
            }
        );
        let h = Header::parse(&header(3379, &[9, 0, 0, 0, 7, 0, 0, 0])).expect("3.6");
        assert_eq!(
            (h.len, h.invalidation),
            (
                12,
                Invalidation::Timestamp {
                    mtime: 9,
                    source_size: Some(7)
                }
            )
        );
        let h = Header::parse(&header(3180, &[9, 0, 0, 0])).expect("3.2");
        assert_eq!(
            (h.len, h.invalidation),
            (
                8,
                Invalidation::Timestamp {
                    mtime: 9,
                    source_size: None
                }
            )
        );
    }

    #[test]
    fn rejects_bad_headers() {
        assert_eq!(
            Header::parse(b"\xa7\r"),
            Err(HeaderError::TooShort { len: 2, need: 4 })
        );
        assert_eq!(
            Header::parse(b"\xa7\x0d\x0d\x0b rest of it"),
            Err(HeaderError::NotAPyc)
        );
        assert!(matches!(
            Header::parse(&header(3495, &[0; 4])),
            Err(HeaderError::TooShort { need: 16, .. })
        ));
        assert!(matches!(
            Header::parse(&header(62211, &[0; 12])),
            Err(HeaderError::UnknownMagic(_))
        ));
        for flags in [2u8, 4, 255] {
            let err = Header::parse(&header(3495, &[flags, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))
                .expect_err("flags");
            assert_eq!(err, HeaderError::InvalidFlags(u32::from(flags)));
        }
    }
}
