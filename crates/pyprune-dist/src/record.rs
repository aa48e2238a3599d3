//! A distribution's `RECORD` (PEP 376, as the wheel spec and pip use it):
//! one CSV row per installed file, `path,sha256=HASH,SIZE`, with the hash and
//! size empty for files whose bytes are not fixed at install (caches, the
//! RECORD itself). Read leniently as CSV, refused when a row is not three
//! fields or its path is empty; written exactly as pip writes it (rows sorted,
//! Python's minimal quoting, CRLF line ends), so that a rewritten RECORD is
//! one pip could have made.

use base64::Engine as _;
use sha2::Digest as _;

/// One row: the path as RECORD spells it (relative to the directory that
/// holds the `*.dist-info`, `/`-separated, `..` allowed), and the file's hash
/// (`sha256=…`) and size where they are recorded.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RecordRow {
    pub path: String,
    pub hash: Option<String>,
    pub size: Option<u64>,
}

/// The rows of one RECORD, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub rows: Vec<RecordRow>,
}

/// Why a RECORD cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordError {
    #[error("row {row}: not UTF-8 CSV ({reason})")]
    Csv { row: u64, reason: String },
    #[error("row {row}: {fields} fields where RECORD has 3 (path, hash, size)")]
    Fields { row: u64, fields: usize },
    #[error("row {row}: no path")]
    NoPath { row: u64 },
    #[error("row {row}: size `{size}` is not a number")]
    Size { row: u64, size: String },
    #[error("row {row}: hash `{hash}` is not `ALGORITHM=VALUE`")]
    Hash { row: u64, hash: String },
}

impl Record {
    /// Parses RECORD's bytes.
    pub fn parse(bytes: &[u8]) -> Result<Record, RecordError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut rows = Vec::new();
        for (index, result) in reader.records().enumerate() {
            let row = index as u64 + 1;
            let fields = result.map_err(|e| RecordError::Csv {
                row,
                reason: e.to_string(),
            })?;
            if fields.len() != 3 {
                return Err(RecordError::Fields {
                    row,
                    fields: fields.len(),
                });
            }
            let path = fields[0].to_owned();
            if path.is_empty() {
                return Err(RecordError::NoPath { row });
            }
            let hash = match &fields[1] {
                "" => None,
                hash if hash
                    .split_once('=')
                    .is_some_and(|(a, v)| !a.is_empty() && !v.is_empty()) =>
                {
                    Some(hash.to_owned())
                }
                hash => {
                    return Err(RecordError::Hash {
                        row,
                        hash: hash.to_owned(),
                    });
                }
            };
            let size = match &fields[2] {
                "" => None,
                size => Some(size.parse().map_err(|_| RecordError::Size {
                    row,
                    size: size.to_owned(),
                })?),
            };
            rows.push(RecordRow { path, hash, size });
        }
        Ok(Record { rows })
    }

    /// The bytes pip would write for these rows: sorted, each field quoted
    /// only where Python's csv module quotes it, `\r\n` after every row.
    pub fn to_pip_bytes(&self) -> Vec<u8> {
        let mut rows: Vec<&RecordRow> = self.rows.iter().collect();
        rows.sort();
        let mut out = String::new();
        for row in rows {
            let size = row.size.map(|s| s.to_string()).unwrap_or_default();
            let fields = [row.path.as_str(), row.hash.as_deref().unwrap_or(""), &size];
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_quoted(&mut out, field);
            }
            out.push_str("\r\n");
        }
        out.into_bytes()
    }
}

/// A field as Python's `csv.writer` (QUOTE_MINIMAL) writes it: quoted, with
/// quotes doubled, when it holds the delimiter, a quote or a line end.
fn push_quoted(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// The hash field RECORD gives `bytes`: `sha256=` and the digest in
/// URL-safe base64 without padding, as pip and the wheel spec write it.
pub fn record_hash(bytes: &[u8]) -> String {
    let digest = sha2::Sha256::digest(bytes);
    format!(
        "sha256={}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_with_and_without_hashes_and_quoted_paths() {
        let text = "\"pkg/a,b.py\",sha256=def,3\r\npkg/__init__.py,sha256=abc,12\r\npkg/__pycache__/x.pyc,,\n";
        let record = Record::parse(text.as_bytes()).expect("parse");
        assert_eq!(
            record.rows,
            [
                RecordRow {
                    path: "pkg/a,b.py".into(),
                    hash: Some("sha256=def".into()),
                    size: Some(3)
                },
                RecordRow {
                    path: "pkg/__init__.py".into(),
                    hash: Some("sha256=abc".into()),
                    size: Some(12)
                },
                RecordRow {
                    path: "pkg/__pycache__/x.pyc".into(),
                    hash: None,
                    size: None
                },
            ]
        );
        // Written back as pip writes it: sorted by path, the comma quoted, CRLF.
        assert_eq!(
            String::from_utf8(record.to_pip_bytes()).expect("utf-8"),
            "pkg/__init__.py,sha256=abc,12\r\npkg/__pycache__/x.pyc,,\r\n\"pkg/a,b.py\",sha256=def,3\r\n"
        );
    }

    #[test]
    fn malformed_rows_are_refused_with_their_row_number() {
        assert_eq!(
            Record::parse(b"a.py,sha256=x,1\nb.py,sha256=y\n"),
            Err(RecordError::Fields { row: 2, fields: 2 })
        );
        assert_eq!(
            Record::parse(b",sha256=x,1\n"),
            Err(RecordError::NoPath { row: 1 })
        );
        assert_eq!(
            Record::parse(b"a.py,sha256=x,big\n"),
            Err(RecordError::Size {
                row: 1,
                size: "big".into()
            })
        );
        assert_eq!(
            Record::parse(b"a.py,nohash,1\n"),
            Err(RecordError::Hash {
                row: 1,
                hash: "nohash".into()
            })
        );
        assert!(matches!(
            Record::parse(b"a.py,sha256=x,1\n\xff\xfe,,\n"),
            Err(RecordError::Csv { row: 2, .. })
        ));
    }

    #[test]
    fn the_hash_is_sha256_in_urlsafe_base64_without_padding() {
        // sha256("") = e3b0c442...; its URL-safe base64 without the trailing `=`.
        assert_eq!(
            record_hash(b""),
            "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
        );
    }
}
