//! A zip, read by both readers pyprune has: the zip step's (which merges an
//! existing `pythonXY.zip`) and verify's (which lists its modules).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    pyprune_steps::fuzzing::zip_members(data);
    pyprune_verify::fuzzing::zip_modules(data);
});
