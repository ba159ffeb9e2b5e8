//! The property is `fuzzing::tai64nlocal_line` (crates/fuzzing), which the stable
//! toolchain builds and the corpus replay test runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::tai64nlocal_line(data));
