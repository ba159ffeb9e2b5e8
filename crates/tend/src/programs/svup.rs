//! svup: tell whether a supervised service is up (daemontools-encore's).
//!
//! `svup [-L] [-l] DIR`: exit 0 if a supervisor runs on DIR and `run` runs,
//! 100 if not, 111 with a message on other errors. tend's log service is a
//! service directory of its own (`DIR/log`, its own supervise), so `-l`
//! (do not check the log) changes nothing and `-L` checks `DIR/log` instead.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use strerr::{Getopt, Opt};
use svstatus::{Goal, ServiceDir};

const USAGE: &str = "svup [-L] [-l] dir";
/// encore's exit code for a service that is not up (or not supervised).
const NOT_UP: u8 = 100;

pub fn main(args: &[&OsStr]) -> u8 {
    let mut log_only = false;
    let mut opts = Getopt::new(args, "Ll");
    for opt in opts.by_ref() {
        match opt {
            Opt::Flag(b'L') => log_only = true,
            Opt::Flag(b'l') => {}
            _ => return strerr::usage(USAGE),
        }
    }
    let [dir] = opts.operands() else { return strerr::usage(USAGE) };
    let name = if log_only { [dir.as_bytes(), b"/log"].concat() } else { dir.as_bytes().to_vec() };
    let dir = match ServiceDir::open(&name) {
        Ok(d) => d,
        Err(e) => {
            return strerr::die(
                strerr::EXIT_SYSTEM,
                &[b"unable to chdir to ", &name, b": ", strerr::errstr(&e).as_bytes()],
            )
        }
    };
    match svstatus::look(&dir) {
        Ok(seen) if Goal::Up.reached(&seen) => 0,
        Ok(_) => NOT_UP,
        Err(e) => strerr::die(strerr::EXIT_SYSTEM, &[&e.message(&name)]),
    }
}
