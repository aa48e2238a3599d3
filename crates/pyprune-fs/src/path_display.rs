//! Paths shown to people: non-UTF-8 bytes are escaped as `\xNN` instead of being
//! replaced, so a warning still says exactly which file it is about.

use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;

/// Renders `path` as text; every byte that is not valid UTF-8 appears as `\xNN`.
pub fn display_path(path: &Path) -> String {
    let bytes = path.as_os_str().as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02X}");
        }
    }
    out
}

/// Serializes a path as [`display_path`] text (serde's own refuses non-UTF-8 paths).
pub fn serialize_path<S: serde::Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&display_path(path))
}

/// [`serialize_path`] for an optional path (`null` when absent).
pub fn serialize_optional_path<S: serde::Serializer>(
    path: &Option<std::path::PathBuf>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match path {
        Some(path) => serialize_path(path, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn escapes_invalid_bytes_only() {
        let path = Path::new(OsStr::from_bytes(b"pkg/caf\xc3\xa9-\xff.py"));
        assert_eq!(display_path(path), "pkg/café-\\xFF.py");
    }
}
