//! The entry point that the cargo-fuzz target `record` (in `fuzz/`) and the
//! property tests (`tests/fuzz_entries.rs`) both feed arbitrary bytes to, so a
//! long campaign and the short CI budget exercise the very same code. Not an
//! API: it panics when an invariant fails, which is what a fuzzer looks for.

use crate::Record;

/// Parses `data` as a RECORD. Invariants: a RECORD that parses, written as
/// pip writes it, parses back to the same rows (sorted), and writing that
/// again gives the same bytes.
pub fn record(data: &[u8]) {
    let Ok(record) = Record::parse(data) else {
        return;
    };
    let written = record.to_pip_bytes();
    let again = match Record::parse(&written) {
        Ok(again) => again,
        Err(error) => panic!("a written RECORD does not parse: {error}"),
    };
    let mut rows = record.rows.clone();
    rows.sort();
    assert_eq!(again.rows, rows, "rows changed when written and read back");
    assert_eq!(again.to_pip_bytes(), written, "writing is not stable");
}
