//! Fuzz target `recovery`: see `esescope_fuzz::recovery`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| esescope_fuzz::recovery(data));
