#![no_main]
//! See `ringbook_fuzz::import` (fuzz/src/lib.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| ringbook_fuzz::import(data));
