//! svok: tell whether supervise is running on a directory.
//!
//! `svok DIR`: exit 0 if a supervisor listens on `DIR/supervise/ok`, 100 if
//! not (or never started there), 111 with a message on other errors.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use svstatus::ServiceDir;

pub fn main(args: &[&OsStr]) -> u8 {
    let Some(dir) = args.first() else { return strerr::usage("svok dir") };
    let name = dir.as_bytes();
    let dir = match ServiceDir::open(name) {
        Ok(d) => d,
        Err(e) => {
            strerr::fatal(&[b"unable to chdir to ", name, b": ", strerr::errstr(&e).as_bytes()]);
            return strerr::EXIT_SYSTEM;
        }
    };
    match svstatus::probe_ok(&dir) {
        Ok(true) => 0,
        Ok(false) => strerr::EXIT_USAGE,
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => strerr::EXIT_USAGE,
        Err(e) => {
            strerr::fatal(&[b"unable to open ", name, b"/supervise/ok: ", strerr::errstr(&e).as_bytes()]);
            strerr::EXIT_SYSTEM
        }
    }
}
