//! envuidgid: put an account's GID and UID in the environment, then run a program.

use std::ffi::OsStr;

use chainload::Environment;

const USAGE: &str = "envuidgid account child";

pub fn main(args: &[&OsStr]) -> u8 {
    let (account, program, child) = match super::setuidgid::account_and_child(args, USAGE) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let mut env = Environment::current();
    env.set(b"GID", Some(account.gid.to_string().as_bytes()));
    env.set(b"UID", Some(account.uid.to_string().as_bytes()));
    let e = chainload::exec::run(program, child, &env);
    super::run_failed(program, &e)
}
