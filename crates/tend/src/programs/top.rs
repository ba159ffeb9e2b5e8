//! top: every service of a tree, its state, CPU, memory and busiest
//! process, refreshed in place without flicker.
//!
//! `tend top [-d SECS] [-b] [-n N] [DIR...]`: `-d` the refresh interval
//! (2 s), `-b` batch mode (plain snapshots separated by a blank line; also
//! when stdout is not a terminal), `-n` the number of snapshots (or frames)
//! before exiting. DIR: service or scan directories (default `$SVDIR`, else
//! /etc/service). Keys: `c` CPU, `m` memory, `r` restarts, `n` name, `q`
//! quits. Exit 0, 100 usage, 111 when the terminal or stdout fails.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use strerr::{Getopt, Opt};

use crate::top::{self, Error, Options};

const USAGE: &str = "tend top [-d SECS] [-b] [-n N] [DIR...]";

pub fn main(args: &[&OsStr]) -> u8 {
    let mut o = Options { delay: Duration::from_secs(2), batch: false, count: None, dirs: Vec::new() };
    let mut opts = Getopt::new(args, "d:bn:");
    for opt in opts.by_ref() {
        match opt {
            Opt::Flag(b'b') => o.batch = true,
            Opt::Arg(b'd', secs) => match secs.to_str().and_then(|s| s.parse::<f64>().ok()) {
                Some(s) if (0.01..=1e6).contains(&s) => o.delay = Duration::from_secs_f64(s),
                _ => return strerr::usage(USAGE),
            },
            Opt::Arg(b'n', n) => match n.to_str().and_then(|s| s.parse::<u64>().ok()) {
                Some(n) if n > 0 => o.count = Some(n),
                _ => return strerr::usage(USAGE),
            },
            _ => return strerr::usage(USAGE),
        }
    }
    o.dirs = opts.operands().iter().map(|d| d.as_bytes().to_vec()).collect();
    if !unix::system::is_terminal(1) {
        o.batch = true;
    }
    match top::run(&o) {
        Ok(()) => 0,
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(Error::Output(e)) => {
            strerr::die(strerr::EXIT_SYSTEM, &[b"unable to write to stdout: ", strerr::errstr(&e).as_bytes()])
        }
        Err(Error::Terminal(e)) => {
            strerr::die(strerr::EXIT_SYSTEM, &[b"unable to set up the terminal: ", strerr::errstr(&e).as_bytes()])
        }
    }
}
