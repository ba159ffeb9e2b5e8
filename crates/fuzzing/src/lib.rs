//! The properties tend's fuzz targets check, one function per target: each
//! takes the fuzzer's bytes and panics when a property fails.
//!
//! `fuzz/fuzz_targets/NAME.rs` is only `fuzz_target!` around `fuzzing::NAME`,
//! so `cargo +nightly fuzz run NAME` explores new inputs with exactly the code
//! that the stable toolchain builds here and that `tests/corpus.rs` runs on
//! every committed input (`fuzz/corpus/NAME`, and the crashes kept in
//! `fuzz/artifacts/NAME`).
#![forbid(unsafe_code)]

mod envdir_value;
mod multilog_match;
mod multilog_script;
mod ntp_reply;
mod svstatus_decode;
mod syslog_message;
mod tai64nlocal_line;

pub use envdir_value::envdir_value;
pub use multilog_match::multilog_match;
pub use multilog_script::multilog_script;
pub use ntp_reply::ntp_reply;
pub use svstatus_decode::svstatus_decode;
pub use syslog_message::syslog_message;
pub use tai64nlocal_line::tai64nlocal_line;

/// A fuzz target: its name (of its file in `fuzz/fuzz_targets` and of its
/// corpus directory) and its check.
pub type Target = (&'static str, fn(&[u8]));

/// Every fuzz target.
pub const TARGETS: &[Target] = &[
    ("envdir_value", envdir_value),
    ("multilog_match", multilog_match),
    ("multilog_script", multilog_script),
    ("ntp_reply", ntp_reply),
    ("svstatus_decode", svstatus_decode),
    ("syslog_message", syslog_message),
    ("tai64nlocal_line", tai64nlocal_line),
];
