//! Fuzz target `compression`: see `esescope_fuzz::compression`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| esescope_fuzz::compression(data));
