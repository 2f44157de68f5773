//! Fuzz target `txlog`: see `esescope_fuzz::txlog`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| esescope_fuzz::txlog(data));
