#![no_main]
//! See `ringbook_fuzz::raw_query` (fuzz/src/lib.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| ringbook_fuzz::raw_query(data));
