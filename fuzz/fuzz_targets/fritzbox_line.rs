#![no_main]
//! See `ringbook_fuzz::fritzbox_line` (fuzz/src/lib.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| ringbook_fuzz::fritzbox_line(data));
