//! One module per program, and the one sorted table that dispatches to them.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

mod chpst;
mod clock;
mod clockwatch;
mod envdir;
mod envuidgid;
mod fghack;
mod multilog;
mod pgrphack;
mod readproctitle;
mod setlock;
mod setuidgid;
mod softlimit;
mod supervise;
mod svc;
mod svok;
mod svscan;
mod svscanboot;
mod svstat;
mod tai64n;
mod tai64nlocal;

/// A program of the multicall binary.
pub struct Program {
    pub name: &'static str,
    /// Runs the program on its arguments (argv[0] excluded); the exit code.
    pub main: fn(&[&OsStr]) -> u8,
    pub start: Start,
    /// Whether `tend install` makes a symlink for it (not for `clock`, whose
    /// name is too generic for a bin directory; run it as `tend clock`).
    pub link: bool,
}

/// What a program needs of the process state it was started with.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Exactly that state, as a C program gets it: a closed descriptor 0, 1
    /// or 2 stays closed. Chain-loaders hand it to the program they run, and
    /// tai64n and tai64nlocal exit 111 on a closed stdin or stdout, as
    /// daemontools' do.
    AsGiven,
    /// Descriptors 0-2 that are closed are opened on /dev/null first, so
    /// that a file a daemon or client opens never becomes its stderr.
    StdioOpen,
}

impl Program {
    pub fn run(&self, args: &[&OsStr]) -> u8 {
        strerr::set_program(self.name);
        if self.start == Start::StdioOpen {
            unix::fd::open_closed_stdio();
        }
        (self.main)(args)
    }
}

const fn p(name: &'static str, main: fn(&[&OsStr]) -> u8) -> Program {
    Program { name, main, start: Start::StdioOpen, link: true }
}

const fn as_given(name: &'static str, main: fn(&[&OsStr]) -> u8) -> Program {
    Program { start: Start::AsGiven, ..p(name, main) }
}

/// Sorted by name.
pub static PROGRAMS: &[Program] = &[
    as_given("chpst", chpst::main),
    Program { name: "clock", main: clock::main, start: Start::StdioOpen, link: false },
    p("clockwatch", clockwatch::main),
    as_given("envdir", envdir::main),
    as_given("envuidgid", envuidgid::main),
    as_given("fghack", fghack::main),
    p("multilog", multilog::main),
    as_given("pgrphack", pgrphack::main),
    as_given("readproctitle", readproctitle::main),
    as_given("setlock", setlock::main),
    as_given("setuidgid", setuidgid::main),
    as_given("softlimit", softlimit::main),
    p("supervise", supervise::main),
    p("svc", svc::main),
    p("svok", svok::main),
    p("svscan", svscan::main),
    p("svscanboot", svscanboot::main),
    p("svstat", svstat::main),
    as_given("tai64n", tai64n::main),
    as_given("tai64nlocal", tai64nlocal::main),
];

/// What `name` does, for `tend --list`. A match rather than a field of
/// [`Program`]: each `&str` in a static table is a relocated pointer, written
/// by the loader into the RELRO pages that every process (a hundred
/// supervise) owns.
fn about(name: &str) -> &'static str {
    match name {
        "chpst" => "runit's chpst: change process state, then run a program",
        "clock" => "check the clock, NTP, clocksource and hypervisor (tend clock)",
        "clockwatch" => "log clock steps, sync changes and steal time as they happen",
        "envdir" => "set environment variables from a directory, then run a program",
        "envuidgid" => "set UID and GID from an account, then run a program",
        "fghack" => "keep a self-backgrounding daemon in the foreground",
        "multilog" => "read a log from stdin, select lines, write rotated log directories",
        "pgrphack" => "run a program in a new session and process group",
        "readproctitle" => "show the tail of stdin in ps output",
        "setlock" => "run a program holding a lock file",
        "setuidgid" => "run a program as an account (uid, gid and only its primary group)",
        "softlimit" => "run a program with lower resource limits",
        "supervise" => "start a service and restart it when it dies",
        "svc" => "control supervised services",
        "svok" => "tell whether supervise is running on a directory",
        "svscan" => "start and watch a supervise for every service in a directory",
        "svscanboot" => "start svscan on /etc/service with its errors in readproctitle",
        "svstat" => "print the status of supervised services",
        "tai64n" => "prefix each line of stdin with a TAI64N label",
        "tai64nlocal" => "turn TAI64N labels into local date and time",
        _ => "",
    }
}

/// The program called `name`.
pub fn find(name: &[u8]) -> Option<&'static Program> {
    PROGRAMS.iter().find(|p| p.name.as_bytes() == name)
}

const TEND_USAGE: &str = "tend PROGRAM [ARGS...] | tend --list | tend install DIR";

/// `tend ...`: a program by name, `--list`, or `install DIR`.
pub fn tend(args: &[&OsStr]) -> u8 {
    if let Some(p) = args.first().and_then(|name| find(name.as_bytes())) {
        return p.run(&args[1..]);
    }
    strerr::set_program("tend");
    let Some(first) = args.first() else { return strerr::usage(TEND_USAGE) };
    match first.as_bytes() {
        b"--list" => {
            let mut out = String::new();
            for p in PROGRAMS {
                out.push_str(&format!("{:<14} {}\n", p.name, about(p.name)));
            }
            print!("{out}");
            0
        }
        b"--help" | b"-h" => {
            println!("usage: {TEND_USAGE}\nRun `tend --list` for the programs.");
            0
        }
        b"install" => match args.get(1..) {
            Some([dir]) => install(Path::new(dir)),
            _ => strerr::usage("tend install DIR"),
        },
        _ => strerr::die(strerr::EXIT_USAGE, &[b"unknown program ", first.as_bytes(), b" (tend --list shows them)"]),
    }
}

/// Creates `DIR/NAME -> tend` for every linkable program, replacing old links.
fn install(dir: &Path) -> u8 {
    let exe = match std::env::current_exe().and_then(|e| e.canonicalize()) {
        Ok(e) => e,
        Err(e) => {
            return strerr::die(strerr::EXIT_SYSTEM, &[b"unable to find my own path: ", strerr::errstr(&e).as_bytes()])
        }
    };
    for p in PROGRAMS.iter().filter(|p| p.link) {
        let link = dir.join(p.name);
        if link.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) {
            let _ = std::fs::remove_file(&link);
        }
        if let Err(e) = std::os::unix::fs::symlink(&exe, &link) {
            let what = link.as_os_str().as_bytes();
            return strerr::die(
                strerr::EXIT_SYSTEM,
                &[b"unable to create ", what, b": ", strerr::errstr(&e).as_bytes()],
            );
        }
    }
    0
}

/// daemontools' `PROG: fatal: unable to run PROGRAM: ERR` when a
/// chain-loader's exec fails, and its exit code 111.
pub fn run_failed(program: &OsStr, e: &std::io::Error) -> u8 {
    let e = strerr::errstr(e);
    strerr::die(strerr::EXIT_SYSTEM, &[b"unable to run ", program.as_bytes(), b": ", e.as_bytes()])
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_is_sorted_and_unique() {
        let names: Vec<_> = super::PROGRAMS.iter().map(|p| p.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn every_program_says_what_it_does() {
        for p in super::PROGRAMS {
            assert!(!super::about(p.name).is_empty(), "{} has no text for tend --list", p.name);
        }
    }
}
