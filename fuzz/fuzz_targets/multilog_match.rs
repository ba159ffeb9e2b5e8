//! The property is `fuzzing::multilog_match` (crates/fuzzing), which the stable
//! toolchain builds and the corpus replay test runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::multilog_match(data));
