//! svscan: start and watch a supervise for every service in a directory.

use std::ffi::OsStr;

/// `svscan [DIR]`: like daemontools, further arguments are ignored and there
/// are no options; `TEND_STOP_TIMEOUT` sets the stop budget.
pub fn main(args: &[&OsStr]) -> u8 {
    let budget = svscan::budget_from_env();
    match svscan::run(args.first().copied(), &tai64::SystemClock, budget) {
        Ok(code) => code,
        Err(e) => {
            let line = [strerr::program().as_bytes(), b": fatal: ", &e.message(), b"\n"].concat();
            strerr::write_stderr(&line);
            strerr::EXIT_SYSTEM
        }
    }
}
