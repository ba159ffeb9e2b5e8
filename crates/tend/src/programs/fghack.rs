//! fghack: run a daemon that puts itself in the background, and stay in the
//! foreground until every process it started has closed its copies of a pipe.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::fd::AsRawFd;

use chainload::process::{self, Exit};
use chainload::Environment;
use strerr::{errstr, EXIT_SYSTEM};

/// Duplicates of the pipe's write end the child gets besides the pipe itself,
/// as in daemontools, so that a daemon closing a few descriptors still keeps one open.
const COPIES: usize = 30;

pub fn main(args: &[&OsStr]) -> u8 {
    let Some(program) = args.first() else { return strerr::usage("fghack child") };
    let (read_end, write_end) = match process::pipe() {
        Ok(p) => p,
        Err(e) => return strerr::die(EXIT_SYSTEM, &[b"unable to create pipe: ", errstr(&e).as_bytes()]),
    };
    let env = Environment::current();
    let pid = match process::fork() {
        Err(e) => return strerr::die(EXIT_SYSTEM, &[b"unable to fork: ", errstr(&e).as_bytes()]),
        Ok(Some(pid)) => pid,
        Ok(None) => {
            // As daemontools' child: close the read end, keep the write end
            // across exec, duplicate it (so the descriptor numbers match too).
            drop(read_end);
            let _ = process::keep_on_exec(write_end.as_raw_fd());
            for _ in 0..COPIES {
                let _ = process::dup(write_end.as_raw_fd());
            }
            let e = chainload::exec::run(program, args, &env);
            return super::run_failed(program, &e);
        }
    };
    drop(write_end);
    drain(File::from(read_end));
    match process::wait(pid) {
        Ok(Exit::Code(code)) => code,
        Ok(Exit::Crashed) => strerr::die(EXIT_SYSTEM, &[b"child crashed"]),
        Err(e) => strerr::die(EXIT_SYSTEM, &[b"wait failed: ", errstr(&e).as_bytes()]),
    }
}

/// Reads and discards until end of file: every copy of the write end is closed.
fn drain(mut pipe: File) {
    let mut buf = [0u8; 256];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}
