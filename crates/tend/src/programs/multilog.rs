//! multilog: reads a log from stdin, selects lines, writes rotated log directories.
//!
//! Every argument is one action of the script (daemontools 0.76 syntax, see
//! doc/multilog.md). An argument 0.76 silently ignores still is ignored, but
//! now with a warning naming it. Startup failures (a directory that cannot be
//! opened or locked, an `=file` that cannot be created) exit 111 before any
//! input is read; later disk errors pause and retry.

use std::ffi::OsString;
use std::process::ExitCode;

use tai64::SystemClock;

pub fn main(args: &[OsString]) -> ExitCode {
    multilog::set_umask();
    let script = multilog::parse(args);
    for arg in &script.ignored {
        strerr::warn(&["ignoring unknown action: ", &arg.to_string_lossy()]);
    }
    match multilog::run(&script, &SystemClock) {
        Ok(()) => ExitCode::SUCCESS,
        Err(multilog::Fatal(message)) => strerr::die(strerr::EXIT_SYSTEM, &[&message]),
    }
}
