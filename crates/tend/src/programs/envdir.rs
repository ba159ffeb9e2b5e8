//! envdir: set environment variables from a directory, then run a program.
//! PLACEHOLDER: not implemented yet (the owner of this program replaces this file).

use std::ffi::OsString;
use std::process::ExitCode;

pub fn main(_args: &[OsString]) -> ExitCode {
    strerr::die(strerr::EXIT_SYSTEM, &["not implemented yet"])
}
