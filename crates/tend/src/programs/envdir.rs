//! envdir: set environment variables from the files of a directory, then run a program.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

use chainload::envdir::{self, DirError};
use chainload::Environment;
use strerr::{errstr, EXIT_SYSTEM};

pub fn main(args: &[OsString]) -> ExitCode {
    chainload::startup::restore();
    let [dir, child @ ..] = args else { return usage() };
    if child.is_empty() {
        return usage();
    }
    let shown = dir.to_string_lossy();
    let entries = match envdir::read(dir) {
        Ok(entries) => entries,
        Err(DirError::Cwd(e)) => {
            return strerr::die(EXIT_SYSTEM, &["unable to switch to current directory: ", &errstr(&e)])
        }
        Err(DirError::Switch(e)) => {
            return strerr::die(EXIT_SYSTEM, &["unable to switch to directory ", &shown, ": ", &errstr(&e)])
        }
        Err(DirError::Open(e) | DirError::List(e)) => {
            return strerr::die(EXIT_SYSTEM, &["unable to read directory ", &shown, ": ", &errstr(&e)])
        }
        Err(DirError::Return(e)) => {
            return strerr::die(EXIT_SYSTEM, &["unable to switch to starting directory: ", &errstr(&e)])
        }
    };
    let mut env = Environment::current();
    for entry in entries {
        let name = entry.name.to_string_lossy();
        let value = match entry.value {
            Ok(v) => v,
            Err(e) => return strerr::die(EXIT_SYSTEM, &["unable to read ", &shown, "/", &name, ": ", &errstr(&e)]),
        };
        // daemontools would set the variable named by what precedes the `=`.
        if entry.name.as_bytes().contains(&b'=') {
            return strerr::die(EXIT_SYSTEM, &["invalid variable name ", &shown, "/", &name, ": contains ="]);
        }
        env.set(entry.name.as_bytes(), value.as_deref());
    }
    let e = chainload::exec::run(&child[0], child, &env);
    strerr::die(EXIT_SYSTEM, &["unable to run ", &child[0].to_string_lossy(), ": ", &errstr(&e)])
}

/// daemontools' envdir exits 111, not 100, on a usage error.
fn usage() -> ExitCode {
    strerr::write_stderr(b"envdir: usage: envdir dir child\n");
    ExitCode::from(EXIT_SYSTEM)
}
