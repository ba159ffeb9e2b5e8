//! setuidgid: run a program as an account, with its primary group as the only
//! group (daemontools), or with its supplementary groups too (`-s`, as encore).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use chainload::account::{self, DropError, Supplementary};
use chainload::Environment;
use strerr::{errstr, EXIT_SYSTEM};

const USAGE: &str = "setuidgid account child";

/// `ACCOUNT CHILD...` as setuidgid and envuidgid take them: the account from
/// the user database and the child's argv, or the exit daemontools gives.
pub(super) fn account_and_child<'a>(
    args: &'a [&'a OsStr],
    usage: &str,
) -> Result<(account::Account, &'a OsStr, &'a [&'a OsStr]), u8> {
    let [name, child @ ..] = args else { return Err(strerr::usage(usage)) };
    let [program, ..] = child else { return Err(strerr::usage(usage)) };
    match account::lookup(name) {
        Ok(Some(a)) => Ok((a, program, child)),
        Ok(None) => Err(strerr::die(EXIT_SYSTEM, &[b"unknown account ", name.as_bytes()])),
        Err(e) => Err(strerr::die(EXIT_SYSTEM, &[b"unable to read the account database: ", errstr(&e).as_bytes()])),
    }
}

pub fn main(args: &[&OsStr]) -> u8 {
    let (supplementary, args) = match args.split_first() {
        Some((flag, rest)) if *flag == "-s" => (Supplementary::FromDatabase, rest),
        _ => (Supplementary::None, args),
    };
    let (account, program, child) = match account_and_child(args, USAGE) {
        Ok(found) => found,
        Err(code) => return code,
    };
    if let Err(e) = account::become_account(&account, supplementary) {
        let (what, e) = match e {
            DropError::Groups(e) | DropError::Gid(e) => ("unable to setgid: ", e),
            DropError::Uid(e) => ("unable to setuid: ", e),
        };
        return strerr::die(EXIT_SYSTEM, &[what.as_bytes(), errstr(&e).as_bytes()]);
    }
    let e = chainload::exec::run(program, child, &Environment::current());
    super::run_failed(program, &e)
}
