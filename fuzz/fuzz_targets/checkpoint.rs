//! Fuzz target `checkpoint`: see `esescope_fuzz::checkpoint`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| esescope_fuzz::checkpoint(data));
