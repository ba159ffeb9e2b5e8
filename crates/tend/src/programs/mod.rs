//! One module per program, and the sorted list of names that dispatches to them.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

mod chpst;
mod clock;
mod clockwatch;
mod envdir;
mod envuidgid;
mod exporter;
mod fghack;
mod log;
mod multilog;
mod pgrphack;
mod readproctitle;
mod setlock;
mod setuidgid;
mod softlimit;
mod status;
mod supervise;
mod svc;
mod svok;
mod svscan;
mod svscanboot;
mod svstat;
mod svup;
mod svwait;
mod syslogd;
mod tai64n;
mod tai64nlocal;
mod top;
mod watch;

/// A program of the multicall binary, as [`find`] makes it.
pub struct Program {
    pub name: &'static str,
    /// Runs the program on its arguments (argv[0] excluded); the exit code.
    pub main: fn(&[&OsStr]) -> u8,
    pub start: Start,
    /// Whether `tend install` makes a symlink for it (not for `clock`,
    /// `exporter`, `log`, `status`, `syslogd`, `top` and `watch`, names too generic for a
    /// bin directory or taken by procps and syslog daemons; run them as
    /// `tend clock`, `tend log`, ...).
    pub link: bool,
    /// What it does, for `tend --list`.
    pub about: &'static str,
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

/// Every program's name, sorted. One string and a `match` in [`find`]
/// rather than a static table of programs: each `&str` or `fn` in a static
/// table is a relocated pointer, written by the loader into the RELRO pages
/// that every process (a hundred supervise) owns.
const NAMES: &str = "chpst clock clockwatch envdir envuidgid exporter fghack log multilog pgrphack readproctitle setlock \
                     setuidgid softlimit status supervise svc svok svscan svscanboot svstat svup svwait syslogd tai64n tai64nlocal top \
                     watch";

/// The names in [`NAMES`].
fn names() -> impl Iterator<Item = &'static str> {
    NAMES.split_ascii_whitespace()
}

/// The program called `name`: only a name in [`NAMES`] is found.
pub fn find(name: &[u8]) -> Option<Program> {
    let name = names().find(|n| n.as_bytes() == name)?;
    let p = |main, about| Program { name, main, start: Start::StdioOpen, link: true, about };
    let as_given = |main, about| Program { start: Start::AsGiven, ..p(main, about) };
    // Run as `tend NAME` only: no link (see `Program::link`).
    let tend_only = |main, about| Program { link: false, ..p(main, about) };
    Some(match name {
        "chpst" => as_given(chpst::main, "runit's chpst: change process state, then run a program"),
        "clock" => tend_only(clock::main, "check the clock, NTP, clocksource and hypervisor (tend clock)"),
        "clockwatch" => p(clockwatch::main, "log clock steps, sync changes and steal time as they happen"),
        "envdir" => as_given(envdir::main, "set environment variables from a directory, then run a program"),
        "envuidgid" => as_given(envuidgid::main, "set UID and GID from an account, then run a program"),
        "exporter" => {
            tend_only(exporter::main, "serve services' and the clock's metrics to Prometheus over HTTP (tend exporter)")
        }
        "fghack" => as_given(fghack::main, "keep a self-backgrounding daemon in the foreground"),
        "log" => tend_only(log::main, "print log directories in time order, local times, search, follow (tend log)"),
        "multilog" => p(multilog::main, "read a log from stdin, select lines, write rotated log directories"),
        "pgrphack" => as_given(pgrphack::main, "run a program in a new session and process group"),
        "readproctitle" => as_given(readproctitle::main, "show the tail of stdin in ps output"),
        "setlock" => as_given(setlock::main, "run a program holding a lock file"),
        "setuidgid" => as_given(setuidgid::main, "run a program as an account (uid, gid and only its primary group)"),
        "softlimit" => as_given(softlimit::main, "run a program with lower resource limits"),
        "status" => {
            tend_only(status::main, "show services: state, uptime, restarts, CPU, memory, processes, log (tend status)")
        }
        "supervise" => p(supervise::main, "start a service and restart it when it dies"),
        "svc" => p(svc::main, "control supervised services"),
        "svok" => p(svok::main, "tell whether supervise is running on a directory"),
        "svscan" => p(svscan::main, "start and watch a supervise for every service in a directory"),
        "svscanboot" => p(svscanboot::main, "start svscan on /etc/service with its errors in readproctitle"),
        "svstat" => p(svstat::main, "print the status of supervised services"),
        "svup" => p(svup::main, "tell whether a supervised service is up"),
        "svwait" => p(svwait::main, "wait until supervised services are up, ready, down or finished"),
        "syslogd" => tend_only(
            syslogd::main,
            "receive syslog messages (/dev/log, UDP, TCP) as lines for multilog (tend syslogd)",
        ),
        "tai64n" => as_given(tai64n::main, "prefix each line of stdin with a TAI64N label"),
        "tai64nlocal" => as_given(tai64nlocal::main, "turn TAI64N labels into local date and time"),
        "top" => tend_only(top::main, "a steady full-screen view of all services (tend top)"),
        "watch" => tend_only(watch::main, "log services' runaway CPU, memory, crash loops and downs (tend watch)"),
        _ => return None,
    })
}

/// Every program, in the order of [`NAMES`].
fn programs() -> impl Iterator<Item = Program> {
    names().filter_map(|name| find(name.as_bytes()))
}

const TEND_USAGE: &str =
    "tend PROGRAM [ARGS...] | tend --list | tend --help | tend --version | tend install [--force] DIR";

/// `tend --help`'s text before the programs.
const HELP: &str = "usage: tend PROGRAM [ARGS...]    run PROGRAM (or run tend through a link named PROGRAM)
       tend install [--force] DIR  link DIR/PROGRAM -> tend for every program whose name is free
       tend --list                 the programs, one line each
       tend --version              tend's version (and git commit)

Programs:
";

/// `tend --help`'s text after the programs.
const HELP_END: &str = "
Each program's page: man tend-PROGRAM or doc/PROGRAM.md; tend's own: man tend or doc/tend.md.
";

/// `tend --version`: the package's version, and the git commit it was built
/// from when known (crates/tend/build.rs).
const VERSION: &str = concat!("tend ", env!("CARGO_PKG_VERSION"));
const COMMIT: &str = env!("GIT_COMMIT_OF_BUILD");

/// `tend ...`: a program by name, `--list`, `--help`, `--version` or `install DIR`.
pub fn tend(args: &[&OsStr]) -> u8 {
    if let Some(p) = args.first().and_then(|name| find(name.as_bytes())) {
        return p.run(&args[1..]);
    }
    strerr::set_program("tend");
    let Some(first) = args.first() else { return strerr::usage(TEND_USAGE) };
    match first.as_bytes() {
        b"--list" => print_out(&[&list("")]),
        b"--help" | b"-h" => print_out(&[HELP, &list("  "), HELP_END]),
        b"--version" | b"-V" if COMMIT.is_empty() => print_out(&[VERSION, "\n"]),
        b"--version" | b"-V" => print_out(&[VERSION, " (git ", COMMIT, ")\n"]),
        b"install" => {
            crate::install::main(args.get(1..).unwrap_or_default(), programs().filter(|p| p.link).map(|p| p.name))
        }
        _ => strerr::die(strerr::EXIT_USAGE, &[b"unknown program ", first.as_bytes(), b" (tend --list shows them)"]),
    }
}

/// Every program and what it does, a line each, after `indent`.
fn list(indent: &str) -> String {
    let mut out = String::new();
    for p in programs() {
        out.push_str(indent);
        out.push_str(&format!("{:<14} {}\n", p.name, p.about));
    }
    out
}

/// Writes `parts` to stdout; exit 0 (a broken pipe too: `tend --help | head`).
fn print_out(parts: &[&str]) -> u8 {
    let mut out = std::io::stdout().lock();
    let _ = parts.iter().try_for_each(|p| out.write_all(p.as_bytes()));
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
    use super::*;

    #[test]
    fn names_are_sorted_and_unique() {
        let names: Vec<_> = names().collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn every_name_is_a_program_that_says_what_it_does() {
        for name in names() {
            let p = find(name.as_bytes()).unwrap_or_else(|| panic!("{name} is not a program"));
            assert_eq!(p.name, name);
            assert!(!p.about.is_empty(), "{name} has no text for tend --list");
        }
        assert!(find(b"tend").is_none());
    }
}
