//! pgrphack: run a program in a new session (and so a new process group).

use std::ffi::OsStr;

use chainload::{process, Environment};

pub fn main(args: &[&OsStr]) -> u8 {
    let Some(child) = args.first() else { return strerr::usage("pgrphack child") };
    process::new_session();
    let e = chainload::exec::run(child, args, &Environment::current());
    super::run_failed(child, &e)
}
