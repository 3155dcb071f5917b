#![no_main]
//! See `ringbook_fuzz::totp_input` (fuzz/src/lib.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| ringbook_fuzz::totp_input(data));
