#![no_main]
//! See `ringbook_fuzz::ami_frame` (fuzz/src/lib.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| ringbook_fuzz::ami_frame(data));
