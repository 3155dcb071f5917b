#![no_main]
//! See `ringbook_fuzz::http_propstack` (fuzz/src/lib.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| ringbook_fuzz::http_propstack(data));
