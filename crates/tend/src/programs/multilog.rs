//! multilog: reads a log from stdin, selects lines, writes rotated log directories.
//!
//! Every argument is one action of the script (daemontools 0.76 syntax, see
//! doc/multilog.md). An argument 0.76 silently ignores still is ignored, but
//! now with a warning naming it. Startup failures (a directory that cannot be
//! opened or locked, an `=file` that cannot be created) exit 111 before any
//! input is read; later disk errors pause and retry. Names appear in messages
//! byte for byte as given, UTF-8 or not.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use tai64::SystemClock;

pub fn main(args: &[&OsStr]) -> u8 {
    multilog::set_umask();
    let script = multilog::parse(args);
    for arg in &script.ignored {
        strerr::warn(&[b"ignoring unknown action: ", arg.as_bytes()]);
    }
    match multilog::run(&script, &SystemClock) {
        Ok(()) => 0,
        Err(fatal) => strerr::die(strerr::EXIT_SYSTEM, &[&fatal.0]),
    }
}
