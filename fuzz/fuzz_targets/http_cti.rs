#![no_main]
//! See `ringbook_fuzz::http_cti` (fuzz/src/lib.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| ringbook_fuzz::http_cti(data));
