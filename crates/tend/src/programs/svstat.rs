//! svstat: print the status of supervised services.
//!
//! `svstat DIR...` prints daemontools' line per directory, byte for byte;
//! `svstat -j DIR...` prints one JSON object per directory instead, with
//! what tend's supervise records beyond daemontools (readiness, last exit,
//! restarts, the last clock step, the health check, a one-shot job's type and
//! whether it is done). While a `finish` script runs (runit's and tend's records say
//! so) the service is shown down, with the script's pid. Exit 0
//! (daemontools'), 111 only if stdout fails.

use std::ffi::OsStr;
use std::io::{self, ErrorKind, Write};
use std::os::unix::ffi::OsStrExt;

use emit::json::Json;
use svstatus::{Check, CheckPhase, CheckResult, LastExit, ReadError, RunState, ServiceDir, Status, Want};
use tai64::{Clock, Label, SystemClock};

/// What svstat found in one directory.
struct Found {
    status: Status,
    normally_up: bool,
    seconds: u64,
    /// `supervise/notify` (services with `notify-socket`).
    notify: Option<svstatus::NotifyState>,
    /// While it waits for its dependencies: those that do not let it
    /// start (none named when its `dependencies` cannot be read).
    waiting_for: Option<Vec<Vec<u8>>>,
}

pub fn main(args: &[&OsStr]) -> u8 {
    let (json, dirs) = match args.first() {
        Some(a) if a.as_bytes() == b"-j" => (true, &args[1..]),
        _ => (false, args),
    };
    let mut out = io::stdout().lock();
    for dir in dirs {
        let name = dir.as_bytes();
        let found = inspect(dir);
        let line = if json { json_line(name, &found) } else { text_line(name, &found) };
        if let Err(e) = out.write_all(&line).and_then(|()| out.flush()) {
            if e.kind() == ErrorKind::BrokenPipe {
                return 0;
            }
            strerr::fatal(&[b"unable to write output: ", strerr::errstr(&e).as_bytes()]);
            return strerr::EXIT_SYSTEM;
        }
    }
    0
}

/// daemontools' checks, in its order; the error text is what it prints.
fn inspect(path: &OsStr) -> Result<Found, Vec<u8>> {
    let with = |what: &str, e: io::Error| [what.as_bytes(), strerr::errstr(&e).as_bytes()].concat();
    let dir = ServiceDir::open(path.as_bytes()).map_err(|e| with("unable to chdir: ", e))?;
    let normally_up = !dir.exists(c"down").map_err(|e| with("unable to stat down: ", e))?;
    match svstatus::probe_ok(&dir) {
        Ok(true) => {}
        Ok(false) => return Err(b"supervise not running".to_vec()),
        Err(e) => return Err(with("unable to open supervise/ok: ", e)),
    }
    let status = svstatus::read_status(&dir).map_err(|e| match e {
        ReadError::Open(e) => with("unable to open supervise/status: ", e),
        ReadError::Read(e) => with("unable to read supervise/status: ", e),
        ReadError::BadFormat => b"unable to read supervise/status: bad format".to_vec(),
    })?;
    let now = Label::from_wall(SystemClock.wall()).secs;
    // daemontools prints the difference through a double (`tai_approx`):
    // exact below 2^53, rounded beyond (a garbage stamp of 0 shows it).
    let seconds = now.saturating_sub(status.stamp.secs) as f64 as u64;
    let notify = svstatus::NotifyState::read(&dir).ok().flatten();
    let waiting_for = status.extras.is_some_and(|x| x.waiting).then(|| {
        let listing = svstatus::read_listing(&dir).ok().flatten().unwrap_or_default();
        svstatus::waiting_for(path.as_bytes(), &listing)
    });
    Ok(Found { status, normally_up, seconds, notify, waiting_for })
}

fn text_line(name: &[u8], found: &Result<Found, Vec<u8>>) -> Vec<u8> {
    let mut s = [name, b": "].concat();
    match found {
        Err(why) => s.extend_from_slice(why),
        Ok(f) => {
            let st = &f.status;
            let up = is_up(st);
            if up {
                s.extend_from_slice(format!("up (pid {}) ", st.pid).as_bytes());
            } else {
                s.extend_from_slice(b"down ");
            }
            s.extend_from_slice(format!("{} seconds", f.seconds).as_bytes());
            let suffixes = [
                (up && !f.normally_up, ", normally down"),
                (!up && f.normally_up, ", normally up"),
                (up && st.paused, ", paused"),
                (!up && st.want == Want::Up, ", want up"),
                (up && st.want == Want::Down, ", want down"),
            ];
            for (on, text) in suffixes {
                if on {
                    s.extend_from_slice(text.as_bytes());
                }
            }
            if st.state == RunState::Finish && st.pid != 0 {
                s.extend_from_slice(format!(", finishing (pid {})", st.pid).as_bytes());
            }
        }
    }
    s.push(b'\n');
    s
}

/// Is `run` running? daemontools' test is a pid in the record; runit's and
/// tend's records also say when that pid is `finish`'s (an 18-byte record
/// never does, so daemontools' trees read as daemontools shows them).
fn is_up(st: &Status) -> bool {
    st.pid != 0 && st.state != RunState::Finish
}

fn json_line(name: &[u8], found: &Result<Found, Vec<u8>>) -> Vec<u8> {
    let mut j = Json::new();
    j.object(|j| {
        j.field("directory", name);
        let f = match found {
            Err(why) => return j.field("error", why.as_slice()),
            Ok(f) => f,
        };
        let st = &f.status;
        let x = st.extras;
        j.field("up", is_up(st));
        j.field("pid", st.pid);
        j.field("seconds", f.seconds);
        j.field(
            "state",
            match (x, st.state) {
                (None, _) | (_, RunState::Other(_)) => None,
                (Some(_), s) => Some(s.word()),
            },
        );
        j.field(
            "want",
            match st.want {
                Want::Up => Some("up"),
                Want::Down => Some("down"),
                Want::Once => Some("once"),
                Want::Other(_) => None,
            },
        );
        j.field("paused", is_up(st) && st.paused);
        j.field("normally_up", f.normally_up);
        j.field("ready", x.map(|x| x.ready));
        match x.and_then(|x| x.last_exit) {
            Some(LastExit::Code(c)) => j.key("last_exit").object(|j| j.field("code", c)),
            Some(LastExit::Signal(s)) => j.key("last_exit").object(|j| j.field("signal", s)),
            None => j.field("last_exit", None::<u8>),
        }
        j.field("restarts", x.map(|x| x.restarts));
        match x.and_then(|x| x.last_clock_step) {
            Some(step) => j.key("last_clock_step").object(|j| {
                j.field("at", step.at_unix);
                j.field("back_ms", step.back_ms);
            }),
            None => j.field("last_clock_step", None::<u8>),
        }
        match x.and_then(|x| x.check) {
            Some(check) => j.key("check").object(|j| check_fields(j, &check)),
            None => j.field("check", None::<u8>),
        }
        match &f.notify {
            Some(n) => j.key("notify").object(|j| {
                j.field("status", n.status());
                j.field("mainpid", (n.mainpid != 0).then_some(n.mainpid));
                j.field("stopping", n.stopping);
                j.field("watchdog_ms", (n.watchdog_ms != 0).then_some(n.watchdog_ms));
                j.field("watchdog_timeouts", n.watchdog_timeouts);
                j.field("last_watchdog_timeout", (n.last_watchdog_timeout != 0).then_some(n.last_watchdog_timeout));
                j.field("foreign_datagrams", n.foreign);
            }),
            None => j.field("notify", None::<u8>),
        }
        j.field("type", x.map(|x| if x.oneshot.is_some() { "oneshot" } else { "longrun" }));
        j.field("done", x.and_then(|x| x.oneshot));
        match &f.waiting_for {
            Some(names) => j.key("waiting_for").array(|j| names.iter().for_each(|n| j.value(n.as_slice()))),
            None => j.field("waiting_for", None::<u8>),
        }
    });
    let mut line = j.into_string().into_bytes();
    line.push(b'\n');
    line
}

/// `"check":{"state":"watching","last":{"code":1},"failures":1,"restarted":false}`.
fn check_fields(j: &mut Json, check: &Check) {
    j.field(
        "state",
        match check.phase {
            CheckPhase::Starting => Some("starting"),
            CheckPhase::Watching => Some("watching"),
            CheckPhase::Idle => Some("idle"),
            CheckPhase::Other(_) => None,
        },
    );
    match check.last {
        Some(CheckResult::Code(c)) => j.key("last").object(|j| j.field("code", c)),
        Some(CheckResult::Signal(s)) => j.key("last").object(|j| j.field("signal", s)),
        Some(CheckResult::TimedOut) => j.key("last").object(|j| j.field("timed_out", true)),
        None => j.field("last", None::<u8>),
    }
    j.field("failures", check.failures);
    j.field("restarted", check.restarted);
}
