//! Fuzz target `space`: see `esescope_fuzz::space`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| esescope_fuzz::space(data));
