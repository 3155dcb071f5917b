#![no_main]
//! See `ringbook_fuzz::http_phones` (fuzz/src/lib.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| ringbook_fuzz::http_phones(data));
