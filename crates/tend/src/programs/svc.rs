//! svc: control supervised services.
//!
//! `svc [-udopchaitkxq12w] DIR...`: the letters, in command-line order
//! without duplicates, are written in one write to each `DIR/supervise/control`.
//! Failures per directory are warnings; the exit code is 0 (daemontools').

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use strerr::{Getopt, Opt};
use svstatus::{SendError, ServiceDir};

const LETTERS: &str = "udopchaitkxq12w";
const USAGE: &[u8] = b"svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, \
i interrupt, t term, k kill, q quit, 1 SIGUSR1, 2 SIGUSR2, w SIGWINCH\n";

pub fn main(args: &[&OsStr]) -> u8 {
    // First, as daemontools' svc: a dead stderr pipe (a bad option's
    // message) or a supervise dying while we write must not kill svc.
    unix::signals::ignore(libc::SIGPIPE);
    let mut opts = Getopt::new(args, LETTERS);
    let mut letters = Vec::new();
    for opt in opts.by_ref() {
        match opt {
            Opt::Flag(c) if !letters.contains(&c) => letters.push(c),
            Opt::Flag(_) => {}
            Opt::Arg(..) | Opt::Bad(_) => {
                strerr::usage_as_given(USAGE);
                return strerr::EXIT_USAGE;
            }
        }
    }
    for dir in opts.operands() {
        let name = dir.as_bytes();
        let dir = match ServiceDir::open(name) {
            Ok(d) => d,
            Err(e) => {
                strerr::warn(&[b"unable to chdir to ", name, b": ", strerr::errstr(&e).as_bytes()]);
                continue;
            }
        };
        match svstatus::send_commands(&dir, &letters) {
            Ok(()) => {}
            Err(SendError::NotRunning) => strerr::warn(&[b"unable to control ", name, b": supervise not running"]),
            Err(SendError::NotFifo) => {
                strerr::warn(&[b"unable to control ", name, b": supervise/control is not a FIFO"])
            }
            Err(SendError::Open(e)) => {
                strerr::warn(&[b"unable to control ", name, b": ", strerr::errstr(&e).as_bytes()])
            }
            Err(SendError::Write(e)) => {
                strerr::warn(&[b"error writing commands to ", name, b": ", strerr::errstr(&e).as_bytes()])
            }
        }
    }
    0
}
