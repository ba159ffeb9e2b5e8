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

/// `multilog: KIND: ` + `text` + newline, as one write.
fn message(kind: &[u8], text: &[u8]) {
    strerr::write_stderr(&[strerr::program().as_bytes(), b": ", kind, text, b"\n"].concat());
}

pub fn main(args: &[&OsStr]) -> u8 {
    multilog::set_umask();
    let script = multilog::parse(args);
    for arg in &script.ignored {
        message(b"warning: ignoring unknown action: ", arg.as_bytes());
    }
    match multilog::run(&script, &SystemClock) {
        Ok(()) => 0,
        Err(fatal) => {
            message(b"fatal: ", &fatal.to_bytes());
            strerr::EXIT_SYSTEM
        }
    }
}
