#![no_main]
//! See `ringbook_fuzz::number` (fuzz/src/lib.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| ringbook_fuzz::number(data));
