//! The entry point the cargo-fuzz target `record` runs (fuzz/, docs/TESTING.md),
//! given a short budget in CI: a real RECORD mutated, and CSV-like text made of
//! the characters that RECORD's quoting turns on. Raise `PROPTEST_CASES` to
//! fuzz longer.

use proptest::prelude::*;
use std::process::Command;
use std::sync::OnceLock;

#[path = "../../pyprune-pyc/tests/common/mutation.rs"]
mod mutation;

/// The RECORD of the pip that the installed python3 carries (a real one, as a
/// wheel install wrote it: quoted paths, `../../../bin` rows, empty hashes).
fn real_record() -> &'static [u8] {
    static RECORD: OnceLock<Vec<u8>> = OnceLock::new();
    RECORD.get_or_init(|| {
        let out = Command::new("python3")
            .args([
                "-c",
                "import importlib.metadata as m, sys; sys.stdout.buffer.write(m.distribution('pip').read_text('RECORD').encode())",
            ])
            .output()
            .expect("python3");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(!out.stdout.is_empty(), "pip has a RECORD");
        out.stdout
    })
}

#[test]
fn the_real_record_parses_and_survives_the_round_trip() {
    let record = pyprune_dist::Record::parse(real_record()).expect("parses");
    assert!(record.rows.len() > 10, "{} rows", record.rows.len());
    pyprune_dist::fuzzing::record(real_record());
}

proptest! {
    #[test]
    fn a_mutated_real_record_never_panics(mutations in mutation::mutations()) {
        pyprune_dist::fuzzing::record(&mutation::mutated(real_record(), &mutations));
    }

    #[test]
    fn csv_like_text_round_trips(text in "[a,\"=\r\n1 é/]{0,80}") {
        pyprune_dist::fuzzing::record(text.as_bytes());
    }
}
