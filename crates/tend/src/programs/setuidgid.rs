//! setuidgid: run a program as an account (uid, gid and only its primary group).
//! PLACEHOLDER: not implemented yet (the owner of this program replaces this file).

use std::ffi::OsString;
use std::process::ExitCode;

pub fn main(_args: &[OsString]) -> ExitCode {
    strerr::die(strerr::EXIT_SYSTEM, &["not implemented yet"])
}
