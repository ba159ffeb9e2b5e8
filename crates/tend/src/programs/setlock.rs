//! setlock: run a program holding an exclusive lock on a file.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use chainload::lock::{self, LockError};
use chainload::Environment;
use strerr::{errstr, Getopt, Opt, EXIT_SYSTEM};

const USAGE: &str = "setlock [ -nNxX ] file program [ arg ... ]";

pub fn main(args: &[&OsStr]) -> u8 {
    let mut nonblocking = false;
    let mut quiet_failure = false;
    let mut opts = Getopt::new(args, "nNxX");
    for opt in opts.by_ref() {
        match opt {
            Opt::Flag(b'n') => nonblocking = true,
            Opt::Flag(b'N') => nonblocking = false,
            Opt::Flag(b'x') => quiet_failure = true,
            Opt::Flag(b'X') => quiet_failure = false,
            _ => return strerr::usage(USAGE),
        }
    }
    let [file, child @ ..] = opts.operands() else { return strerr::usage(USAGE) };
    if child.is_empty() {
        return strerr::usage(USAGE);
    }
    if let Err(e) = lock::hold(file, nonblocking) {
        if quiet_failure {
            return 0;
        }
        let (what, e) = match e {
            LockError::Open(e) => (b"unable to open ".as_slice(), e),
            LockError::Lock(e) => (b"unable to lock ".as_slice(), e),
        };
        return strerr::die(EXIT_SYSTEM, &[what, file.as_bytes(), b": ", errstr(&e).as_bytes()]);
    }
    let e = chainload::exec::run(child[0], child, &Environment::current());
    super::run_failed(child[0], &e)
}
