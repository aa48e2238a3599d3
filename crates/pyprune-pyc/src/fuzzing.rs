//! The entry point that the cargo-fuzz target `pyc` (in `fuzz/`) and the
//! property tests (`tests/robustness.rs`) both feed arbitrary bytes to, so a
//! long campaign and the short CI budget exercise the very same code. Not an
//! API: it panics when an invariant fails, which is what a fuzzer looks for.

use crate::{Header, Pyc, PythonVersion, marshal, normalize_marshal, rename_code_file};

/// The name the rename property gives every code object.
const NEW_NAME: &str = "/fuzz/renamed.py";

/// Reads `data` as a whole `.pyc` with every reader pyprune has: the header,
/// the full parse, the skimming file-name read, the `co_filename` rewrite and
/// normalization. Invariants: nothing panics; a rewrite of a file that parses
/// is a file that parses again, with the new name; normalized data reads as
/// the same objects and normalizes to itself.
pub fn pyc(data: &[u8]) {
    let parsed = Pyc::parse(data);
    let (version, body) = match Header::parse(data) {
        Ok(header) => (header.magic.version, &data[header.len..]),
        // A body read as the most common layout, so that bytes without a
        // valid header still reach the marshal reader.
        Err(_) => (
            PythonVersion::new(3, 11),
            data.get(16..).unwrap_or_default(),
        ),
    };
    let _ = marshal::read(body, version);
    let _ = marshal::first_filename(body, version);
    if let Ok(Some(normalized)) = normalize_marshal(body, version) {
        let objects = |data: &[u8]| format!("{:?}", marshal::read(data, version));
        assert_eq!(
            objects(&normalized),
            objects(body),
            "normalized, the same objects"
        );
        assert_eq!(
            normalize_marshal(&normalized, version),
            Ok(None),
            "a fixed point"
        );
    }
    let renamed = rename_code_file(body, version, |_| Some(NEW_NAME.to_owned()));
    if let (Ok(before), Ok(Some(new_body))) = (&parsed, renamed) {
        let header_len = data.len() - body.len();
        let rewritten = [&data[..header_len], &new_body[..]].concat();
        match Pyc::parse(&rewritten) {
            // A name that is not UTF-8 (read lossily) is kept as it is, by design.
            Ok(again) if before.code.filename.contains(char::REPLACEMENT_CHARACTER) => {
                assert!(
                    [NEW_NAME, before.code.filename.as_str()]
                        .contains(&again.code.filename.as_str()),
                    "renamed to {:?}",
                    again.code.filename
                );
            }
            Ok(again) => assert_eq!(again.code.filename, NEW_NAME, "the rename took"),
            Err(error) => panic!("a renamed pyc no longer parses: {error}"),
        }
    }
}
