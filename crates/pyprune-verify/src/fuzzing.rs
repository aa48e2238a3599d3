//! The entry point that the cargo-fuzz target `zip` (in `fuzz/`) and the
//! property tests (`tests/fuzz_entries.rs`) both feed arbitrary bytes to, so a
//! long campaign and the short CI budget exercise the very same code. Not an
//! API: it panics when an invariant fails, which is what a fuzzer looks for.

use crate::modules::{is_identifier, zip_module_names};

/// Reads `data` as a `pythonXY.zip` whose modules verify imports. Invariant:
/// every name it yields is a dotted module name (identifiers joined by
/// dots), since each is handed to the worker to import.
pub fn zip_modules(data: &[u8]) {
    if let Ok(names) = zip_module_names(data) {
        for name in names {
            assert!(
                name.split('.').all(is_identifier),
                "{name:?} is not a module name"
            );
        }
    }
}
