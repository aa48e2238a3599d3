//! The entry point the cargo-fuzz target `zip` runs for verify's zip reader
//! (fuzz/, docs/TESTING.md), given a short budget in CI: a real zip mutated.
//! Raise `PROPTEST_CASES` to fuzz longer.

use proptest::prelude::*;

#[path = "../../pyprune-pyc/tests/common/mutation.rs"]
mod mutation;
#[path = "../../pyprune-pyc/tests/common/real_zip.rs"]
mod real_zip;

#[test]
fn the_real_zip_is_read() {
    pyprune_verify::fuzzing::zip_modules(real_zip::real_zip());
}

proptest! {
    #[test]
    fn a_mutated_real_zip_never_panics(mutations in mutation::mutations()) {
        pyprune_verify::fuzzing::zip_modules(&mutation::mutated(real_zip::real_zip(), &mutations));
    }
}
