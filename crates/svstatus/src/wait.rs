//! Waiting until services reach a state (svwait): each directory's
//! `supervise/` watched with inotify, its record read again after every
//! event that can change what it says. No polling.
//!
//! A supervisor rewrites `status` by renaming a new file over it (daemontools,
//! runit) or swapping the two (tend): either is an `IN_MOVED_TO` of `status`.
//! A supervisor that exits closes its `lock` (held open for writing) and its
//! `ok` FIFO (held open for reading): those closes wake the waiter too, so
//! that a supervisor's death is seen. The waiter's own reads of `status`
//! and its probes of `ok` (opened for writing) make events it ignores.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Duration;

use crate::dir::ServiceDir;
use crate::files::{probe_ok, read_status, ReadError};
use crate::record::{RunState, Status};

/// The state waited for (s6-svwait's `-u`, `-U`, `-d`, `-D`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// `run` runs, or a one-shot job is done.
    Up,
    /// `run` runs and said it is ready, or a one-shot job is done; a record
    /// without readiness (daemontools', runit's) says up only, which counts
    /// as ready.
    Ready,
    /// `run` does not run (`finish` may).
    Down,
    /// Neither `run` nor `finish` runs.
    Finished,
}

/// What a service directory shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// No supervisor runs there: nothing runs `run` or `finish` (a record
    /// left by a killed supervisor is not believed).
    Unsupervised,
    /// A supervisor runs but has written no record yet.
    Starting,
    /// A supervisor runs and its record says this.
    Record(Status),
}

impl Goal {
    /// Whether a service seen as `seen` is in this state.
    pub fn reached(self, seen: &Seen) -> bool {
        let st = match seen {
            Seen::Unsupervised => return matches!(self, Goal::Down | Goal::Finished),
            Seen::Starting => return false,
            Seen::Record(st) => st,
        };
        let up = st.pid != 0 && st.state != RunState::Finish;
        let done = st.extras.is_some_and(|x| x.oneshot == Some(true));
        match self {
            Goal::Up => up || done,
            Goal::Ready => done || up && st.extras.is_none_or(|x| x.ready),
            Goal::Down => !up,
            Goal::Finished => st.pid == 0,
        }
    }
}

/// Why a directory could not be watched or read: `VERB DIR/FILE: ERR`
/// once the directory's name is added ([`WaitError::message`]).
#[derive(Debug)]
pub struct WaitError {
    /// Which of the directories given.
    pub index: usize,
    verb: &'static [u8],
    /// `""`, `/supervise`, `/supervise/status`, `/supervise/ok`.
    file: &'static [u8],
    reason: Reason,
}

#[derive(Debug)]
enum Reason {
    Io(io::Error),
    BadFormat,
}

impl WaitError {
    /// `unable to VERB DIR/FILE: ERR`, naming the directory `dir` as given.
    pub fn message(&self, dir: &[u8]) -> Vec<u8> {
        let reason = match &self.reason {
            Reason::Io(e) => strerr::errstr(e),
            Reason::BadFormat => String::from("bad format"),
        };
        [b"unable to ", self.verb, b" ", dir, self.file, b": ", reason.as_bytes()].concat()
    }
}

/// One service directory being watched.
struct Watched {
    dir: ServiceDir,
    events: OwnedFd,
    seen: Seen,
}

/// Opens `path`, watches its `supervise/`, then reads what it shows (in
/// that order: a change after the watch is armed is never missed).
fn watch(index: usize, path: &[u8]) -> Result<Watched, WaitError> {
    let fail = |verb, file| move |e| WaitError { index, verb, file, reason: Reason::Io(e) };
    let dir = ServiceDir::open(path).map_err(fail(b"chdir to", b""))?;
    let state_dir = [path, b"/supervise"].concat();
    let mask = libc::IN_MOVED_TO | libc::IN_CREATE | libc::IN_CLOSE_WRITE | libc::IN_CLOSE_NOWRITE;
    let events = unix::fs::watch(&state_dir, mask).map_err(fail(b"watch", b"/supervise"))?;
    let seen = look(&dir).map_err(|e| WaitError { index, ..e })?;
    Ok(Watched { dir, events, seen })
}

/// What `dir` shows now (svup's question).
pub fn look(dir: &ServiceDir) -> Result<Seen, WaitError> {
    let fail = |file, reason| WaitError { index: 0, verb: b"read", file, reason };
    match probe_ok(dir) {
        Ok(true) => {}
        Ok(false) => return Ok(Seen::Unsupervised),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Seen::Unsupervised),
        Err(e) => return Err(fail(b"/supervise/ok", Reason::Io(e))),
    }
    match read_status(dir) {
        Ok(st) => Ok(Seen::Record(st)),
        Err(ReadError::Open(e)) if e.kind() == io::ErrorKind::NotFound => Ok(Seen::Starting),
        Err(ReadError::Open(e) | ReadError::Read(e)) => Err(fail(b"/supervise/status", Reason::Io(e))),
        Err(ReadError::BadFormat) => Err(fail(b"/supervise/status", Reason::BadFormat)),
    }
}

/// Whether an inotify event may change what a directory shows: a new
/// `status`, or a supervisor closing its `lock` or its `ok` (exiting).
pub fn matters(mask: u32, name: &[u8]) -> bool {
    match name {
        b"status" => mask & (libc::IN_MOVED_TO | libc::IN_CREATE | libc::IN_CLOSE_WRITE) != 0,
        b"lock" => mask & libc::IN_CLOSE_WRITE != 0,
        b"ok" => mask & libc::IN_CLOSE_NOWRITE != 0,
        _ => false,
    }
}

/// Waits until every directory of `paths` (or, with `any`, one of them)
/// has reached `goal`, or until `timeout` has passed on the monotonic
/// clock (`None`: no limit). `Ok(true)` when reached, `Ok(false)` on time
/// out. No directory: reached at once.
pub fn wait_for(paths: &[&[u8]], goal: Goal, any: bool, timeout: Option<Duration>) -> Result<bool, WaitError> {
    let deadline = timeout.map(|t| unix::time::clock_gettime(libc::CLOCK_MONOTONIC).saturating_add(t));
    let mut watched = Vec::with_capacity(paths.len());
    for (i, path) in paths.iter().enumerate() {
        watched.push(watch(i, path)?);
    }
    loop {
        let mut reached = watched.iter().map(|w| goal.reached(&w.seen));
        if paths.is_empty() || if any { reached.any(|r| r) } else { reached.all(|r| r) } {
            return Ok(true);
        }
        let left = match deadline {
            None => None,
            Some(d) => match d.checked_sub(unix::time::clock_gettime(libc::CLOCK_MONOTONIC)) {
                Some(left) if !left.is_zero() => Some(left),
                _ => return Ok(false),
            },
        };
        let mut fds: Vec<libc::pollfd> = watched.iter().map(|w| unix::poll::pollfd(w.events.as_raw_fd())).collect();
        let fail = |index| move |e| WaitError { index, verb: b"watch", file: b"/supervise", reason: Reason::Io(e) };
        unix::poll::poll(&mut fds, left).map_err(fail(0))?;
        for (i, (w, fd)) in watched.iter_mut().zip(&fds).enumerate() {
            if fd.revents == 0 {
                continue;
            }
            let mut changed = false;
            unix::fs::watch_events(w.events.as_fd(), |mask, name| changed |= matters(mask, name)).map_err(fail(i))?;
            if changed {
                w.seen = look(&w.dir).map_err(|e| WaitError { index: i, ..e })?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Extras;

    fn record(pid: u32, state: RunState, ready: Option<bool>) -> Seen {
        Seen::Record(Status {
            pid,
            state,
            extras: ready.map(|ready| Extras { ready, ..Extras::default() }),
            ..Status::default()
        })
    }

    /// A one-shot job's record after its run ended (`done`: exited 0).
    fn oneshot(done: Option<bool>) -> Seen {
        let ready = done == Some(true);
        Seen::Record(Status { extras: Some(Extras { ready, oneshot: done, ..Extras::default() }), ..Status::default() })
    }

    #[test]
    fn goals_of_each_record() {
        use Goal::*;
        let cases = [
            // (seen, [Up, Ready, Down, Finished])
            (Seen::Unsupervised, [false, false, true, true]),
            (Seen::Starting, [false, false, false, false]),
            (record(0, RunState::Down, Some(false)), [false, false, true, true]),
            (record(7, RunState::Run, Some(false)), [true, false, false, false]),
            (record(7, RunState::Run, Some(true)), [true, true, false, false]),
            (record(8, RunState::Finish, Some(false)), [false, false, true, false]),
            // daemontools' 18 bytes: no state byte, no readiness.
            (record(7, RunState::Down, None), [true, true, false, false]),
            (record(0, RunState::Down, None), [false, false, true, true]),
            // runit's 20 bytes, finish running.
            (record(9, RunState::Finish, None), [false, false, true, false]),
            // One-shot jobs: done (ready, down) and failed (down).
            (oneshot(Some(true)), [true, true, true, true]),
            (oneshot(Some(false)), [false, false, true, true]),
        ];
        for (seen, expected) in cases {
            let got = [Up, Ready, Down, Finished].map(|g| g.reached(&seen));
            assert_eq!(got, expected, "{seen:?}");
        }
    }

    #[test]
    fn only_a_new_status_or_a_closing_supervisor_matters() {
        assert!(matters(libc::IN_MOVED_TO, b"status"));
        assert!(matters(libc::IN_CLOSE_WRITE, b"lock"));
        assert!(matters(libc::IN_CLOSE_NOWRITE, b"ok"));
        // The waiter's own reads and probes.
        assert!(!matters(libc::IN_CLOSE_NOWRITE, b"status"));
        assert!(!matters(libc::IN_CLOSE_WRITE, b"ok"));
        assert!(!matters(libc::IN_MOVED_TO, b"status.new"));
    }

    #[test]
    fn a_directory_never_supervised_is_an_error_naming_it() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().to_str().unwrap().as_bytes();
        let e = wait_for(&[path], Goal::Down, false, None).unwrap_err();
        let expected = [b"unable to watch ", path, b"/supervise: file does not exist"].concat();
        assert_eq!(e.message(path), expected);
        assert!(wait_for(&[], Goal::Up, false, None).unwrap());
    }
}
