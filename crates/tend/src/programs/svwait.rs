//! svwait: wait until supervised services are up, ready, down or finished.
//!
//! `svwait [-u|-U|-d|-D] [-a|-o] [-t MS] DIR...`, s6-svwait's options: `-u`
//! up (the default), `-U` up and ready, `-d` down, `-D` down with `finish`
//! done; `-a` all of them (the default), `-o` one of them; `-t MS` gives up
//! after MS milliseconds (0: never). Waits on inotify events, never polls.
//! Exit 0 when reached, 1 on time out, 100 usage, 111 system error (naming
//! the directory).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use strerr::{Getopt, Opt};
use svstatus::Goal;

const USAGE: &str = "svwait [-u|-U|-d|-D] [-a|-o] [-t MS] dir...";
const EXIT_TIMEOUT: u8 = 1;

pub fn main(args: &[&OsStr]) -> u8 {
    let mut goal = Goal::Up;
    let mut any = false;
    let mut timeout = None;
    let mut opts = Getopt::new(args, "uUdDaot:");
    for opt in opts.by_ref() {
        match opt {
            Opt::Flag(b'u') => goal = Goal::Up,
            Opt::Flag(b'U') => goal = Goal::Ready,
            Opt::Flag(b'd') => goal = Goal::Down,
            Opt::Flag(b'D') => goal = Goal::Finished,
            Opt::Flag(b'a') => any = false,
            Opt::Flag(b'o') => any = true,
            Opt::Arg(b't', ms) => match ms.to_str().and_then(|s| s.parse::<u64>().ok()) {
                Some(0) => timeout = None,
                Some(ms) => timeout = Some(Duration::from_millis(ms)),
                None => return strerr::usage(USAGE),
            },
            _ => return strerr::usage(USAGE),
        }
    }
    let dirs: Vec<&[u8]> = opts.operands().iter().map(|d| d.as_bytes()).collect();
    match svstatus::wait_for(&dirs, goal, any, timeout) {
        Ok(true) => 0,
        Ok(false) => strerr::die(EXIT_TIMEOUT, &[b"timed out"]),
        Err(e) => {
            let dir = dirs.get(e.index).copied().unwrap_or_default();
            strerr::die(strerr::EXIT_SYSTEM, &[&e.message(dir)])
        }
    }
}
