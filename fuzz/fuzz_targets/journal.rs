//! An in-place journal's log: parsed, and replayed by `undo` in a temporary tree.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| pyprune_steps::fuzzing::journal_log(data));
