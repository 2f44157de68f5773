//! Fuzz target `checksum`: see `esescope_fuzz::checksum`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| esescope_fuzz::checksum(data));
