//! envdir: set environment variables from the files of a directory, then run a program.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use chainload::envdir::{self, DirError};
use chainload::Environment;
use strerr::{errstr, EXIT_SYSTEM};

pub fn main(args: &[&OsStr]) -> u8 {
    let [dir, child @ ..] = args else { return usage() };
    if child.is_empty() {
        return usage();
    }
    let dir_error = |what: &[u8], e: std::io::Error| {
        let e = errstr(&e);
        strerr::die(EXIT_SYSTEM, &[what, dir.as_bytes(), b": ", e.as_bytes()])
    };
    let entries = match envdir::read(dir) {
        Ok(entries) => entries,
        Err(DirError::Cwd(e)) => {
            return strerr::die(EXIT_SYSTEM, &[b"unable to switch to current directory: ", errstr(&e).as_bytes()])
        }
        Err(DirError::Switch(e)) => return dir_error(b"unable to switch to directory ", e),
        Err(DirError::Open(e) | DirError::List(e)) => return dir_error(b"unable to read directory ", e),
        Err(DirError::Return(e)) => {
            return strerr::die(EXIT_SYSTEM, &[b"unable to switch to starting directory: ", errstr(&e).as_bytes()])
        }
    };
    let mut env = Environment::current();
    for entry in entries {
        let (dir, name) = (dir.as_bytes(), entry.name.as_bytes());
        let value = match entry.value {
            Ok(v) => v,
            Err(e) => {
                let e = errstr(&e);
                return strerr::die(EXIT_SYSTEM, &[b"unable to read ", dir, b"/", name, b": ", e.as_bytes()]);
            }
        };
        // daemontools would set the variable named by what precedes the `=`.
        if name.contains(&b'=') {
            return strerr::die(EXIT_SYSTEM, &[b"invalid variable name ", dir, b"/", name, b": contains ="]);
        }
        env.set(name, value.as_deref());
    }
    let e = chainload::exec::run(child[0], child, &env);
    super::run_failed(child[0], &e)
}

/// daemontools' envdir exits 111, not 100, on a usage error.
fn usage() -> u8 {
    strerr::usage_as_given(b"envdir: usage: envdir dir child\n");
    EXIT_SYSTEM
}
