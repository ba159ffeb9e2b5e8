//! The property is `fuzzing::ntp_reply` (crates/fuzzing), which the stable
//! toolchain builds and the corpus replay test runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::ntp_reply(data));
