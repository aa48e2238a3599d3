//! Bytecode whose bytes depend on the code alone, not on the process that
//! compiled it.
//!
//! marshal marks an object for reference (`FLAG_REF`) when its reference
//! count is above one at the moment it is written, so an object another part
//! of the process happens to hold is marked although nothing in the file
//! refers to it, and the indices of every later reference shift with it
//! (CPython gh-98819, gh-129724). Normalizing keeps the mark only on objects
//! a reference names and renumbers the references to match: the flag is a
//! bit of the type byte and an index always takes four bytes, so no other
//! byte moves and the file unmarshals to the same objects.

use crate::header::{Header, HeaderError};
use crate::magic::PythonVersion;
use crate::marshal::{FLAG_REF, MarshalError, references};

/// Why a file was not normalized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    #[error(transparent)]
    Header(#[from] HeaderError),
    #[error(transparent)]
    Marshal(#[from] MarshalError),
    #[error("the marshal data ends {0} bytes before the file does")]
    TrailingBytes(usize),
}

/// A whole `.pyc` normalized: the header as it was, the marshal data by
/// [`normalize_marshal`]. `Ok(None)` when it is normalized already.
pub fn normalize_pyc(data: &[u8]) -> Result<Option<Vec<u8>>, NormalizeError> {
    let header = Header::parse(data)?;
    let (head, body) = data.split_at(header.len);
    Ok(normalize_marshal(body, header.magic.version)?.map(|body| [head, &body[..]].concat()))
}

/// `body` (marshal data, as after a pyc header) with `FLAG_REF` only on the
/// objects a reference names and the references renumbered in the order the
/// kept marks appear. `Ok(None)` when that is `body` already.
pub fn normalize_marshal(
    body: &[u8],
    version: PythonVersion,
) -> Result<Option<Vec<u8>>, NormalizeError> {
    let found = references(body, version)?;
    if found.end != body.len() {
        return Err(NormalizeError::TrailingBytes(body.len() - found.end));
    }
    let mut used = vec![false; found.flagged.len()];
    for &(_, index) in &found.uses {
        // The reader refuses a reference to an index not yet given.
        used[index as usize] = true;
    }
    let mut new_index = Vec::with_capacity(used.len());
    let mut kept = 0u32;
    for &is_used in &used {
        new_index.push(kept);
        kept += u32::from(is_used);
    }
    let mut out = body.to_vec();
    for (&offset, &is_used) in found.flagged.iter().zip(&used) {
        if !is_used {
            out[offset] &= !FLAG_REF;
        }
    }
    for &(offset, index) in &found.uses {
        let renumbered = new_index[index as usize].to_le_bytes();
        out[offset + 1..offset + 5].copy_from_slice(&renumbered);
    }
    Ok((out != body).then_some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    const V311: PythonVersion = PythonVersion::new(3, 11);

    #[test]
    fn marks_nothing_refers_to_are_dropped_and_references_renumbered() {
        // ("a" flagged #0 unused, "b" flagged #1, ref #1): "a" loses its mark, the reference becomes #0.
        let data = b")\x03\xda\x01a\xda\x01br\x01\x00\x00\x00";
        let normalized = normalize_marshal(data, V311)
            .expect("reads")
            .expect("changes");
        assert_eq!(normalized, b")\x03\x5a\x01a\xda\x01br\x00\x00\x00\x00");
        assert_eq!(normalize_marshal(&normalized, V311), Ok(None));
    }

    #[test]
    fn a_flagged_container_keeps_its_index_before_its_contents() {
        // A flagged tuple (#0) holding a flagged "a" (#1) that is referred to; the tuple is not.
        let data = b"\xa9\x02\xda\x01ar\x01\x00\x00\x00";
        let normalized = normalize_marshal(data, V311)
            .expect("reads")
            .expect("changes");
        assert_eq!(normalized, b")\x02\xda\x01ar\x00\x00\x00\x00");
    }

    #[test]
    fn bad_data_is_an_error_and_trailing_bytes_are_refused() {
        assert!(normalize_marshal(b"r\x00\x00\x00\x00", V311).is_err());
        assert_eq!(
            normalize_marshal(b"NN", V311),
            Err(NormalizeError::TrailingBytes(1))
        );
        assert_eq!(normalize_marshal(b"N", V311), Ok(None));
    }
}
