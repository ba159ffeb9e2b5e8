//! The property is `fuzzing::syslog_message` (crates/fuzzing), which the stable
//! toolchain builds and the corpus replay test runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::syslog_message(data));
