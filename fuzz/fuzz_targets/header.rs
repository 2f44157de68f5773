//! Fuzz target `header`: see `esescope_fuzz::header`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| esescope_fuzz::header(data));
