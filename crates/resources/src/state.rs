//! What a service's supervisor says of it ([`ServiceState`]): its
//! `supervise/status` record (tend's 64 bytes, runit's 20, daemontools' 18:
//! svstatus decodes them all), whether a supervisor runs (`supervise/ok`),
//! and what it means (a [`Phase`]). What an older record does not hold is None.

use std::time::Duration;

use svstatus::{LastExit, ReadError, RunState, ServiceDir, Status, Want};

/// Within this time after its last start, a service that wants up, has been
/// restarted and whose last run failed is crash-looping.
pub const CRASH_LOOP_WINDOW: Duration = Duration::from_secs(10);

/// What a service is doing, as one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Up,
    Down,
    /// Its `finish` runs.
    Finishing,
    /// Up, and stopped by `svc -p`.
    Paused,
    /// Wanted up but down (between restarts, or waiting for its dependencies).
    WantsUp,
    /// Restarted, its last run failed, and up or wanted up for less than
    /// [`CRASH_LOOP_WINDOW`] since (tend's records only: the others keep no
    /// restarts or exit).
    CrashLoop,
    /// No supervisor runs (`supervise/ok` has no reader): the record may be stale.
    Unsupervised,
    /// The record could not be read (other than never written: unsupervised).
    Unknown,
}

impl Phase {
    /// `up`, `down`, `finish`, `paused`, `wants up`, `crash-loop`,
    /// `unsupervised`, `unknown`.
    pub fn word(self) -> &'static str {
        // Cut from one string: a `match` of string literals would become a
        // table of pointers in every tend process's RELRO pages.
        let i = match self {
            Phase::Up => 0,
            Phase::Down => 1,
            Phase::Finishing => 2,
            Phase::Paused => 3,
            Phase::WantsUp => 4,
            Phase::CrashLoop => 5,
            Phase::Unsupervised => 6,
            Phase::Unknown => 7,
        };
        "up|down|finish|paused|wants up|crash-loop|unsupervised|unknown".split('|').nth(i).unwrap_or_default()
    }
}

/// Which supervisor wrote the record, from its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// 18 bytes: daemontools' supervise (or another that writes its layout).
    Daemontools,
    /// 20 bytes: runit's runsv.
    Runit,
    /// 44 bytes or more: tend's supervise.
    Tend,
}

impl Writer {
    /// `daemontools`, `runit`, `tend`.
    pub fn word(self) -> &'static str {
        let i = match self {
            Writer::Daemontools => 0,
            Writer::Runit => 1,
            Writer::Tend => 2,
        };
        "daemontools runit tend".split(' ').nth(i).unwrap_or_default()
    }
}

/// The stamp of the record: when the pid last changed (start or end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Since {
    /// Wall-clock time, Unix seconds.
    pub unix: i64,
    /// How long ago, by the wall clock now (0 if the stamp is in the future).
    pub age: Duration,
}

/// A service's state, as its supervisor recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceState {
    pub phase: Phase,
    /// A supervisor answers on `supervise/ok`.
    pub supervised: bool,
    /// `run`'s pid while it runs.
    pub pid: Option<u32>,
    /// `finish`'s pid while it runs (runit's and tend's records only).
    pub finish_pid: Option<u32>,
    pub since: Option<Since>,
    /// No `down` file: it starts when its supervisor starts.
    pub normally_up: bool,
    pub want: Option<Want>,
    /// Starts after the first since the supervisor started (tend only).
    pub restarts: Option<u64>,
    /// How the last run ended (tend only; None too before the first end).
    pub last_exit: Option<LastExit>,
    /// Whether it said it is ready (tend only).
    pub ready: Option<bool>,
    /// Whether it declares readiness at all (tend only).
    pub declares_readiness: Option<bool>,
    pub writer: Option<Writer>,
    /// The record as decoded.
    pub status: Option<Status>,
    /// Why the directory or its record could not be read.
    pub error: Option<String>,
}

impl ServiceState {
    /// Reads the service directory `path` (relative or absolute).
    pub fn read(path: &[u8]) -> ServiceState {
        let now = unix::time::clock_gettime(libc::CLOCK_REALTIME);
        let dir = match ServiceDir::open(path) {
            Ok(d) => d,
            Err(e) => return ServiceState::unreadable(format!("unable to open directory: {}", strerr::errstr(&e))),
        };
        let normally_up = !dir.exists(c"down").unwrap_or(false);
        let supervised = svstatus::probe_ok(&dir).unwrap_or(false);
        let status = svstatus::read_status_sized(&dir).map_err(|e| match e {
            ReadError::Open(e) => format!("unable to open supervise/status: {}", strerr::errstr(&e)),
            ReadError::Read(e) => format!("unable to read supervise/status: {}", strerr::errstr(&e)),
            ReadError::BadFormat => "unable to read supervise/status: bad format".to_string(),
        });
        let writer = |len| match len {
            ..=17 => None,
            18..=19 => Some(Writer::Daemontools),
            20..=43 => Some(Writer::Runit),
            _ => Some(Writer::Tend),
        };
        match status {
            Ok((s, len)) => ServiceState { writer: writer(len), ..ServiceState::of(&s, supervised, normally_up, now) },
            // Never supervised: no record yet, and nobody to write one.
            Err(why) if !supervised && why.ends_with(": file does not exist") => {
                ServiceState { phase: Phase::Unsupervised, normally_up, ..ServiceState::unreadable(why) }
            }
            Err(why) => ServiceState { supervised, normally_up, ..ServiceState::unreadable(why) },
        }
    }

    fn unreadable(why: String) -> ServiceState {
        ServiceState {
            phase: Phase::Unknown,
            supervised: false,
            pid: None,
            finish_pid: None,
            since: None,
            normally_up: true,
            want: None,
            restarts: None,
            last_exit: None,
            ready: None,
            declares_readiness: None,
            writer: None,
            status: None,
            error: Some(why),
        }
    }

    /// What the record `s` means at wall-clock time `now` (since the epoch).
    pub fn of(s: &Status, supervised: bool, normally_up: bool, now: Duration) -> ServiceState {
        let x = s.extras;
        let finishing = s.pid != 0 && s.state == RunState::Finish;
        let up = s.pid != 0 && !finishing;
        let unix = s.stamp.unix_secs();
        let age = u64::try_from(unix).ok().map_or(Duration::ZERO, |t| now.saturating_sub(Duration::from_secs(t)));
        let failed = matches!(x.and_then(|x| x.last_exit), Some(LastExit::Code(1..) | LastExit::Signal(_)))
            && !matches!(x.and_then(|x| x.last_exit), Some(LastExit::Signal(15)));
        let crash_loop = s.want == Want::Up
            && x.is_some_and(|x| x.restarts > 0 && x.oneshot.is_none())
            && failed
            && age < CRASH_LOOP_WINDOW;
        let phase = if !supervised {
            Phase::Unsupervised
        } else if crash_loop {
            Phase::CrashLoop
        } else if finishing {
            Phase::Finishing
        } else if up && s.paused {
            Phase::Paused
        } else if up {
            Phase::Up
        } else if s.want == Want::Up {
            Phase::WantsUp
        } else {
            Phase::Down
        };
        ServiceState {
            phase,
            supervised,
            pid: up.then_some(s.pid),
            finish_pid: finishing.then_some(s.pid),
            since: Some(Since { unix, age }),
            normally_up,
            want: Some(s.want),
            restarts: x.map(|x| x.restarts),
            last_exit: x.and_then(|x| x.last_exit),
            ready: x.map(|x| x.ready),
            declares_readiness: x.map(|x| x.declares_readiness),
            writer: None,
            status: Some(*s),
            error: None,
        }
    }

    /// The process whose tree is the service's now: `run`'s, or `finish`'s
    /// while it runs.
    pub fn main_pid(&self) -> Option<u32> {
        self.pid.or(self.finish_pid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use svstatus::Extras;
    use tai64::Label;

    const NOW: u64 = 1_800_000_000;

    fn record(pid: u32, ago: u64, extras: Option<Extras>) -> Status {
        Status {
            stamp: Label::from_unix(NOW - ago, 0),
            pid,
            want: Want::Up,
            state: if pid != 0 { RunState::Run } else { RunState::Down },
            extras,
            ..Status::default()
        }
    }

    fn at(s: &Status) -> ServiceState {
        ServiceState::of(s, true, true, Duration::from_secs(NOW))
    }

    #[test]
    fn daemontools_record_leaves_tend_fields_unknown() {
        let st = Status::decode(&record(42, 100, None).encode()[..18]).unwrap();
        let s = at(&st);
        assert_eq!((s.phase, s.pid, s.restarts, s.last_exit, s.ready), (Phase::Up, Some(42), None, None, None));
        assert_eq!(s.since.unwrap().age, Duration::from_secs(100));
        let down = at(&Status { want: Want::Down, ..record(0, 5, None) });
        assert_eq!(down.phase, Phase::Down);
        assert_eq!(at(&record(0, 5, None)).phase, Phase::WantsUp);
    }

    #[test]
    fn finishing_and_paused() {
        let mut st = record(77, 1, Some(Extras::default()));
        st.state = RunState::Finish;
        let s = at(&st);
        assert_eq!((s.phase, s.pid, s.finish_pid, s.main_pid()), (Phase::Finishing, None, Some(77), Some(77)));
        let s = at(&Status { paused: true, ..record(77, 1, Some(Extras::default())) });
        assert_eq!(s.phase, Phase::Paused);
    }

    #[test]
    fn crash_loop_rule() {
        let failing = Extras { restarts: 12, last_exit: Some(LastExit::Code(1)), ..Extras::default() };
        assert_eq!(at(&record(50, 0, Some(failing))).phase, Phase::CrashLoop);
        assert_eq!(at(&record(0, 1, Some(failing))).phase, Phase::CrashLoop, "between restarts");
        assert_eq!(at(&record(50, 11, Some(failing))).phase, Phase::Up, "up long enough");
        let stopped = Extras { last_exit: Some(LastExit::Signal(15)), ..failing };
        assert_eq!(at(&record(50, 0, Some(stopped))).phase, Phase::Up, "svc -t is no crash");
        let clean = Extras { last_exit: Some(LastExit::Code(0)), ..failing };
        assert_eq!(at(&record(50, 0, Some(clean))).phase, Phase::Up);
        let first = Extras { restarts: 0, ..failing };
        assert_eq!(at(&record(50, 0, Some(first))).phase, Phase::Up);
        let s = ServiceState::of(&record(50, 0, Some(failing)), false, true, Duration::from_secs(NOW));
        assert_eq!(s.phase, Phase::Unsupervised);
    }

    #[test]
    fn words() {
        assert_eq!(Phase::WantsUp.word(), "wants up");
        assert_eq!(Phase::Unknown.word(), "unknown");
        assert_eq!(Writer::Tend.word(), "tend");
    }

    #[test]
    fn a_stamp_in_the_future_is_age_zero() {
        let s = ServiceState::of(&record(1, 0, None), true, true, Duration::from_secs(NOW - 50));
        assert_eq!(s.since.unwrap().age, Duration::ZERO);
    }

    #[test]
    fn read_from_a_directory() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().as_os_str().as_encoded_bytes();
        assert_eq!(
            ServiceState::read(path).error.as_deref(),
            Some("unable to open supervise/status: file does not exist")
        );
        std::fs::create_dir(d.path().join("supervise")).unwrap();
        std::fs::write(d.path().join("supervise/status"), &record(9, 3, None).encode()[..20]).unwrap();
        std::fs::write(d.path().join("down"), "").unwrap();
        let s = ServiceState::read(path);
        assert_eq!(
            (s.phase, s.writer, s.normally_up, s.error),
            (Phase::Unsupervised, Some(Writer::Runit), false, None)
        );
        // Which supervisor wrote it, from the length read (no stat).
        for (len, writer) in [(18, Writer::Daemontools), (64, Writer::Tend)] {
            std::fs::write(d.path().join("supervise/status"), &record(9, 3, None).encode()[..len]).unwrap();
            assert_eq!(ServiceState::read(path).writer, Some(writer));
        }
        std::fs::write(d.path().join("supervise/status"), b"garbage").unwrap();
        let garbage = ServiceState::read(path);
        assert_eq!(garbage.error.as_deref(), Some("unable to read supervise/status: bad format"));
        assert_eq!(garbage.phase, Phase::Unknown);
    }
}
