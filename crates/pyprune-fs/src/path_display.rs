//! Paths shown to people: non-UTF-8 bytes are escaped as `\xNN` instead of being
//! replaced, so a warning still says exactly which file it is about, and so are
//! control characters, so that a file named `x\nwarning: ...` or carrying
//! terminal escapes cannot forge lines or colors in pyprune's output.

use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;

/// Renders `path` as text; every byte that is not valid UTF-8, and every
/// control character, appears as `\xNN`.
pub fn display_path(path: &Path) -> String {
    let bytes = path.as_os_str().as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        push_escaped(&mut out, chunk.valid());
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02X}");
        }
    }
    out
}

/// Renders text taken from a file (an embedded file name, say) with its control
/// characters escaped as `\xNN`.
pub fn display_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_control() && (c as u32) < 0x100 {
            let _ = write!(out, "\\x{:02X}", c as u32);
        } else {
            out.push(c);
        }
    }
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
    fn escapes_invalid_bytes_and_control_characters_only() {
        let path = Path::new(OsStr::from_bytes(b"pkg/caf\xc3\xa9-\xff.py"));
        assert_eq!(display_path(path), "pkg/café-\\xFF.py");
        let forged = Path::new("x\nwarning: fine\x1b[31m\x7f.py");
        assert_eq!(display_path(forged), "x\\x0Awarning: fine\\x1B[31m\\x7F.py");
        assert_eq!(display_text("/b/\u{9b}x\tk"), "/b/\\x9Bx\\x09k");
    }
}
