//! setuidgid: run a program as an account, with its primary group as the only
//! group (daemontools), or with its supplementary groups too (`-s`, as encore).

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

use chainload::account::{self, DropError, Supplementary};
use chainload::{message, Environment};
use strerr::{errstr, EXIT_SYSTEM};

const USAGE: &str = "setuidgid account child";

pub fn main(args: &[OsString]) -> ExitCode {
    chainload::startup::restore();
    let (supplementary, args) = match args.split_first() {
        Some((flag, rest)) if flag == "-s" => (Supplementary::FromDatabase, rest),
        _ => (Supplementary::None, args),
    };
    let [name, child @ ..] = args else { return strerr::usage(USAGE) };
    if child.is_empty() {
        return strerr::usage(USAGE);
    }
    let account = match account::lookup(name) {
        Ok(Some(a)) => a,
        Ok(None) => return message::die(EXIT_SYSTEM, &[b"unknown account ", name.as_bytes()]),
        Err(e) => return strerr::die(EXIT_SYSTEM, &["unable to read the account database: ", &errstr(&e)]),
    };
    if let Err(e) = account::become_account(&account, supplementary) {
        let (what, e) = match e {
            DropError::Groups(e) | DropError::Gid(e) => ("unable to setgid: ", e),
            DropError::Uid(e) => ("unable to setuid: ", e),
        };
        return strerr::die(EXIT_SYSTEM, &[what, &errstr(&e)]);
    }
    let e = chainload::exec::run(&child[0], child, &Environment::current());
    message::run_failed(&child[0], &e)
}
