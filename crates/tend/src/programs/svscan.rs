//! svscan: start and watch a supervise for every service in a directory.

use std::ffi::OsString;
use std::process::ExitCode;

/// `svscan [DIR]`: like daemontools, further arguments are ignored and there are no options.
pub fn main(args: &[OsString]) -> ExitCode {
    match svscan::run(args.first().map(OsString::as_os_str), &tai64::SystemClock) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let line = [strerr::program().as_bytes(), b": fatal: ", &e.message(), b"\n"].concat();
            strerr::write_stderr(&line);
            ExitCode::from(strerr::EXIT_SYSTEM)
        }
    }
}
