#![no_main]
//! See `ringbook_fuzz::times` (fuzz/src/lib.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| ringbook_fuzz::times(data));
