#![no_main]
//! See `ringbook_fuzz::phone_query` (fuzz/src/lib.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| ringbook_fuzz::phone_query(data));
