//! supervise: start a service and restart it when it dies.
//!
//! `supervise DIR`; the logic lives in the `supervise` crate. Exit 0 after
//! `x` (or SIGTERM/SIGINT/SIGHUP) once the service is down, 100 on usage,
//! 111 on a startup failure (a second supervise on DIR included); with an
//! `essential` file, the service's own code once it ended unasked.

use std::ffi::OsStr;

pub fn main(args: &[&OsStr]) -> u8 {
    let [dir] = args else { return strerr::usage("supervise dir") };
    match supervise::supervise(dir) {
        Ok(code) => code,
        Err(supervise::Fatal(message)) => {
            strerr::fatal(&[&message]);
            strerr::EXIT_SYSTEM
        }
    }
}
