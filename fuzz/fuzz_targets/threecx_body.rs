#![no_main]
//! See `ringbook_fuzz::threecx_body` (fuzz/src/lib.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| ringbook_fuzz::threecx_body(data));
