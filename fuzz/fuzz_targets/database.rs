//! Fuzz target `database`: see `esescope_fuzz::database`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| esescope_fuzz::database(data));
