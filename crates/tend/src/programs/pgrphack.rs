//! pgrphack: run a program in a new session (and so a new process group).

use std::ffi::OsString;
use std::process::ExitCode;

use chainload::{process, Environment};
use strerr::{errstr, EXIT_SYSTEM};

pub fn main(args: &[OsString]) -> ExitCode {
    chainload::startup::restore();
    let Some(child) = args.first() else { return strerr::usage("pgrphack child") };
    process::new_session();
    let e = chainload::exec::run(child, args, &Environment::current());
    strerr::die(EXIT_SYSTEM, &["unable to run ", &child.to_string_lossy(), ": ", &errstr(&e)])
}
