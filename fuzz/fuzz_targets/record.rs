//! Fuzz target `record`: see `esescope_fuzz::record`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| esescope_fuzz::record(data));
