//! A distribution's RECORD: parsed, and written back as pip writes it.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| pyprune_dist::fuzzing::record(data));
