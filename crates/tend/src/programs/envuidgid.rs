//! envuidgid: put an account's GID and UID in the environment, then run a program.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

use chainload::{account, message, Environment};
use strerr::{errstr, EXIT_SYSTEM};

const USAGE: &str = "envuidgid account child";

pub fn main(args: &[OsString]) -> ExitCode {
    chainload::startup::restore();
    let [name, child @ ..] = args else { return strerr::usage(USAGE) };
    if child.is_empty() {
        return strerr::usage(USAGE);
    }
    let account = match account::lookup(name) {
        Ok(Some(a)) => a,
        Ok(None) => return message::die(EXIT_SYSTEM, &[b"unknown account ", name.as_bytes()]),
        Err(e) => return strerr::die(EXIT_SYSTEM, &["unable to read the account database: ", &errstr(&e)]),
    };
    let mut env = Environment::current();
    env.set(b"GID", Some(account.gid.to_string().as_bytes()));
    env.set(b"UID", Some(account.uid.to_string().as_bytes()));
    let e = chainload::exec::run(&child[0], child, &env);
    message::run_failed(&child[0], &e)
}
