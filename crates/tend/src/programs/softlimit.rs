//! softlimit: run a program with lower resource limits.
//! PLACEHOLDER: not implemented yet (the owner of this program replaces this file).

use std::ffi::OsString;
use std::process::ExitCode;

pub fn main(_args: &[OsString]) -> ExitCode {
    strerr::die(strerr::EXIT_SYSTEM, &["not implemented yet"])
}
