//! Fuzz target `page`: see `esescope_fuzz::page`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| esescope_fuzz::page(data));
