#![no_main]
//! See `ringbook_fuzz::backup_open` (fuzz/src/lib.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| ringbook_fuzz::backup_open(data));
