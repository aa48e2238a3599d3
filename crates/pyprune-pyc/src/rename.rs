//! Giving compiled code the file name of the place its module now lives in.
//!
//! A code object keeps the `co_filename` it was compiled with. importlib
//! corrects it when it loads a cache beside its source, but zipimport and
//! sourceless loading do not, so bytecode moved into a zip would name a file
//! that no longer exists. Marshal data has no offsets or byte lengths that
//! span objects, so replacing the one file-name string (the others are
//! references to it) leaves every other byte as the compiler wrote it: the
//! result is what compiling with the new name gives (the tests compare it
//! with `py_compile` given that name).

use crate::magic::PythonVersion;
use crate::marshal::{FLAG_REF, MarshalError, Object, filenames};

/// Why the file name could not be replaced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenameError {
    #[error(transparent)]
    Marshal(#[from] MarshalError),
    #[error("marshal data of Python {0} has no short strings; only 3.4 and later are rewritten")]
    TooOld(PythonVersion),
    #[error("a code object's file name is not a string")]
    NotAString,
    #[error(
        "the file name is the same object as another string of the code (a name, a constant): renaming one would rename both"
    )]
    Shared,
    #[error("the marshal data ends {0} bytes before the file does")]
    TrailingBytes(usize),
}

/// `body` (a module's marshal data, after the pyc header) with every file
/// name its code objects carry replaced by what `rename` makes of it (`None`:
/// keep it). `Ok(None)` when no code object names a file. A name that is not
/// strict UTF-8 is kept as it is (`rename` would only see its lossy text).
/// Refused when a file name is shared with another slot (`compile()` given an
/// identifier-like name interns it, and `co_name` may then refer to it).
pub fn rename_code_file(
    body: &[u8],
    version: PythonVersion,
    rename: impl Fn(&str) -> Option<String>,
) -> Result<Option<Vec<u8>>, RenameError> {
    // Short strings (the type CPython uses for most file names) came with marshal version 4.
    if version < PythonVersion::new(3, 4) {
        return Err(RenameError::TooOld(version));
    }
    let found = filenames(body, version)?;
    if found.end != body.len() {
        return Err(RenameError::TrailingBytes(body.len() - found.end));
    }
    // Every reference to a file name must come from a co_filename slot, and
    // every co_filename written as a reference must refer to a file name.
    let indices: Vec<u32> = found.spans.iter().filter_map(|s| s.2).collect();
    let uses = |refs: &[u32], index: u32| refs.iter().filter(|&&r| r == index).count();
    let shared = indices
        .iter()
        .any(|&i| uses(&found.referenced, i) != uses(&found.referenced_as_filename, i))
        || found
            .referenced_as_filename
            .iter()
            .any(|r| !indices.contains(r));
    if shared {
        return Err(RenameError::Shared);
    }
    if found.spans.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(body.len() + 64);
    let mut copied = 0;
    for (range, object, _) in found.spans {
        let Object::Str(old) = &object else {
            return Err(RenameError::NotAString);
        };
        // The text after the type byte and the length (one byte for short strings).
        let short = matches!(body[range.start] & !FLAG_REF, b'z' | b'Z');
        let payload = &body[range.start + if short { 2 } else { 5 }..range.end];
        if payload != old.as_bytes() {
            continue;
        }
        let Some(new) = rename(old) else {
            continue;
        };
        out.extend_from_slice(&body[copied..range.start]);
        write_str(&mut out, body[range.start], &new);
        copied = range.end;
    }
    out.extend_from_slice(&body[copied..]);
    Ok(Some(out))
}

/// `text` as marshal (version 4 on) writes a str, keeping the reference
/// flag and the interned state of the string it replaces (`code`).
fn write_str(out: &mut Vec<u8>, code: u8, text: &str) {
    let flag = code & FLAG_REF;
    let interned = matches!(code & !FLAG_REF, b'Z' | b'A' | b't');
    let bytes = text.as_bytes();
    match (text.is_ascii(), u8::try_from(bytes.len())) {
        (true, Ok(len)) => {
            out.push(flag | if interned { b'Z' } else { b'z' });
            out.push(len);
        }
        (ascii, _) => {
            let kind = match (ascii, interned) {
                (true, true) => b'A',
                (true, false) => b'a',
                (false, true) => b't',
                (false, false) => b'u',
            };
            out.push(flag | kind);
            // A str longer than 4 GiB is not a file name any interpreter made.
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        }
    }
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    const V311: PythonVersion = PythonVersion::new(3, 11);

    #[test]
    fn strings_keep_their_flag_and_take_the_type_their_length_needs() {
        let mut out = Vec::new();
        write_str(&mut out, b'z' | FLAG_REF, "a.py");
        assert_eq!(out, b"\xfa\x04a.py");
        let long = "x".repeat(300);
        out.clear();
        write_str(&mut out, b'z', &long);
        assert_eq!(&out[..5], b"a\x2c\x01\x00\x00");
        out.clear();
        write_str(&mut out, b'a' | FLAG_REF, "é.py");
        assert_eq!(out, b"\xf5\x05\x00\x00\x00\xc3\xa9.py");
    }

    #[test]
    fn hostile_data_is_an_error() {
        assert!(rename_code_file(b"c", V311, |_| Some("x".into())).is_err());
        assert_eq!(
            rename_code_file(b"NN", V311, |_| Some("x".into())),
            Err(RenameError::TrailingBytes(1))
        );
        assert_eq!(rename_code_file(b"N", V311, |_| Some("x".into())), Ok(None));
    }
}
