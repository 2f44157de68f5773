//! Fuzz target `catalog`: see `esescope_fuzz::catalog`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| esescope_fuzz::catalog(data));
