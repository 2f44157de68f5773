//! Fuzz target `node`: see `esescope_fuzz::node`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| esescope_fuzz::node(data));
