#![no_main]
//! See `ringbook_fuzz::cti_form` (fuzz/src/lib.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| ringbook_fuzz::cti_form(data));
