//! A `.pyc`: header, marshal reader, skimming file-name read, `co_filename` rewrite.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| pyprune_pyc::fuzzing::pyc(data));
