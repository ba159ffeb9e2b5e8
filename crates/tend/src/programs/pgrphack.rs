//! pgrphack: run a program in a new session (and so a new process group).

use std::ffi::OsStr;

use chainload::{message, process, Environment};

pub fn main(args: &[&OsStr]) -> u8 {
    let Some(child) = args.first() else { return strerr::usage("pgrphack child") };
    process::new_session();
    let e = chainload::exec::run(child, args, &Environment::current());
    message::run_failed(child, &e)
}
