#![no_main]
//! See `ringbook_fuzz::http_crmsenior` (fuzz/src/lib.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| ringbook_fuzz::http_crmsenior(data));
