//! djb's pause-and-retry: a disk error after input has started is reported
//! as `multilog: warning: WHAT, pausing: ERR`, then the same operation is
//! retried after 5 seconds on the monotonic clock, forever. Nothing accepted
//! is dropped; writers block once the pipe fills.

use std::io;
use std::time::Duration;

/// How long to wait before retrying.
pub const PAUSE: Duration = Duration::from_secs(5);

/// Runs `op` until it succeeds, warning with `what()` and pausing after each failure.
pub fn retry<T>(mut op: impl FnMut() -> io::Result<T>, what: impl Fn() -> String) -> T {
    loop {
        match op() {
            Ok(v) => return v,
            Err(e) => warn_pause(&what(), &e),
        }
    }
}

/// Prints `WHAT, pausing: ERR` and sleeps.
pub fn warn_pause(what: &str, e: &io::Error) {
    warn(&format!("{what}, pausing: {}", strerr::errstr(e)));
    unix::time::sleep_monotonic(PAUSE);
}

/// Prints `multilog: warning: MESSAGE`, file names in it byte for byte.
pub fn warn(message: &str) {
    let line = format!("{}: warning: {message}\n", strerr::program());
    strerr::write_stderr(&crate::names::to_bytes(&line));
}
