//! The status record codec (pure).
//!
//! Bytes 0..18 are daemontools 0.76's record, 18..20 runit's additions, and
//! 20..64 tend's [`Extras`] (20..44 first, 44..56 appended for the last
//! clock step, 56..64 for the health check). daemontools' svstat reads 18
//! bytes, runit's sv reads 20, so both ignore the rest; a 44-byte record (an
//! older tend) decodes without a clock step, a 56-byte one without a check.
//! The total avoids 40 bytes, which daemontools-encore's svstat takes for a
//! main record plus a log record.

use tai64::Label;

/// daemontools 0.76's record length.
pub const DAEMONTOOLS_LEN: usize = 18;
/// runit's record length.
pub const RUNIT_LEN: usize = 20;
/// tend's record length (runit's plus [`Extras`]).
pub const RECORD_LEN: usize = 64;
/// tend's record before the clock step was appended.
const EXTRAS_V1_LEN: usize = 44;

const EXTRAS_VERSION: u8 = 1;
const FLAG_READY: u8 = 1;
const FLAG_EXITED: u8 = 2;
const FLAG_SIGNALED: u8 = 4;
/// The service is a one-shot job (`type` holds `oneshot`).
const FLAG_ONESHOT: u8 = 8;
/// ... and its last run exited 0: done.
const FLAG_DONE: u8 = 16;
/// The service declares readiness (`notification-fd`, `check`,
/// `notify-socket`, a one-shot job): up alone does not make it ready.
const FLAG_DECLARES_READINESS: u8 = 32;
/// It is wanted up but waits for its `dependencies`.
const FLAG_WAITING: u8 = 64;
/// Bytes 56..64: the check.
const CHECK_AT: usize = 56;
const CHECK_RESTARTED: u8 = 1;

/// What the supervisor wants for the service (byte 17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Want {
    /// `'u'`: keep it up.
    #[default]
    Up,
    /// `'d'`: keep it down.
    Down,
    /// `0`: after `svc -o`, no want (daemontools); runit writes `'d'` instead.
    Once,
    /// Any other byte, kept as read.
    Other(u8),
}

impl Want {
    fn byte(self) -> u8 {
        match self {
            Want::Up => b'u',
            Want::Down => b'd',
            Want::Once => 0,
            Want::Other(b) => b,
        }
    }
    fn from_byte(b: u8) -> Want {
        match b {
            b'u' => Want::Up,
            b'd' => Want::Down,
            0 => Want::Once,
            other => Want::Other(other),
        }
    }
}

/// runit's state byte (19).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunState {
    #[default]
    Down,
    Run,
    Finish,
    Other(u8),
}

impl RunState {
    fn byte(self) -> u8 {
        match self {
            RunState::Down => 0,
            RunState::Run => 1,
            RunState::Finish => 2,
            RunState::Other(b) => b,
        }
    }
    fn from_byte(b: u8) -> RunState {
        match b {
            0 => RunState::Down,
            1 => RunState::Run,
            2 => RunState::Finish,
            other => RunState::Other(other),
        }
    }
    /// runit's word for it, as in `supervise/stat` and `sv status`.
    pub fn word(self) -> &'static str {
        match self {
            RunState::Down => "down",
            RunState::Run => "run",
            RunState::Finish => "finish",
            RunState::Other(_) => "unknown",
        }
    }
}

/// How the last `run` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastExit {
    Code(u8),
    Signal(u8),
}

/// tend's additions after byte 20.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Extras {
    /// The service said it is ready (notification-fd) since its last start.
    pub ready: bool,
    /// When it became ready (zero label if never).
    pub ready_stamp: Label,
    /// How the last run ended, if one has ended since supervise started.
    pub last_exit: Option<LastExit>,
    /// Starts of `run` after the first one since supervise started.
    pub restarts: u64,
    /// The last backward step of the wall clock supervise saw.
    pub last_clock_step: Option<ClockStep>,
    /// The health check (`check` in the service directory), if it has one.
    pub check: Option<Check>,
    /// A one-shot job (`type` holds `oneshot`): whether its last run
    /// exited 0 (done); None for a long-running service (byte 21's flags
    /// 8 and 16).
    pub oneshot: Option<bool>,
    /// The service declares readiness (byte 21's flag 32): its dependents
    /// wait for the ready flag, not only for it to be up.
    pub declares_readiness: bool,
    /// It is wanted up but waits for services its `dependencies` file
    /// lists (byte 21's flag 64); which ones, svstat works out.
    pub waiting: bool,
}

/// The health check's state (bytes 56..64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    pub phase: CheckPhase,
    /// How the last check ended, if one has since the service started.
    pub last: Option<CheckResult>,
    /// Failed checks in a row (reset by a success and at each start).
    pub failures: u32,
    /// The last run was stopped by supervise because its checks failed
    /// `check-failures` times in a row (until the next end of a run).
    pub restarted: bool,
}

/// What the check is doing now (byte 56).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckPhase {
    /// The service is starting: checks run until one passes (= ready).
    Starting,
    /// The service is ready and `check-failures` is set: checks run and N
    /// failures in a row restart it.
    Watching,
    /// No check runs: the service is down or stopping, is ready and has no
    /// `check-failures`, or declares readiness otherwise and is not ready yet.
    Idle,
    /// Any other byte, kept as read.
    Other(u8),
}

/// How one check ended (bytes 57..59).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckResult {
    /// It exited with this code (0: passed).
    Code(u8),
    /// It was killed by this signal, not by supervise.
    Signal(u8),
    /// It ran longer than `check-interval` and supervise killed it.
    TimedOut,
}

/// A backward step of the wall clock (bytes 44..56).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockStep {
    /// When it was seen: seconds since the Unix epoch, as the wall clock read
    /// right after the step (never 0: 0 in the record means "none").
    pub at_unix: u64,
    /// How far back it went, in milliseconds.
    pub back_ms: u32,
}

/// One status record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Status {
    /// Time of the last pid change (start or death).
    pub stamp: Label,
    /// Pid of `run` (or of `finish` while finishing); 0 when down.
    pub pid: u32,
    pub paused: bool,
    pub want: Want,
    /// runit's "got TERM": the down signal was sent and the process has not died yet.
    pub got_term: bool,
    pub state: RunState,
    /// None when the record came from a supervisor that does not write them.
    pub extras: Option<Extras>,
}

/// Why a record could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer than 18 bytes (daemontools' svstat: `bad format`).
    Short(usize),
}

impl Status {
    /// The 64-byte record.
    pub fn encode(&self) -> [u8; RECORD_LEN] {
        let mut b = [0u8; RECORD_LEN];
        b[..12].copy_from_slice(&self.stamp.pack());
        b[12..16].copy_from_slice(&self.pid.to_le_bytes());
        b[16] = u8::from(self.paused);
        b[17] = self.want.byte();
        b[18] = u8::from(self.got_term);
        b[19] = self.state.byte();
        let x = self.extras.unwrap_or_default();
        b[20] = EXTRAS_VERSION;
        let mut flags = 0;
        if x.ready {
            flags |= FLAG_READY;
        }
        if x.declares_readiness {
            flags |= FLAG_DECLARES_READINESS;
        }
        if x.waiting {
            flags |= FLAG_WAITING;
        }
        match x.oneshot {
            Some(true) => flags |= FLAG_ONESHOT | FLAG_DONE,
            Some(false) => flags |= FLAG_ONESHOT,
            None => {}
        }
        match x.last_exit {
            Some(LastExit::Code(c)) => {
                flags |= FLAG_EXITED;
                b[22] = c;
            }
            Some(LastExit::Signal(s)) => {
                flags |= FLAG_SIGNALED;
                b[23] = s;
            }
            None => {}
        }
        b[21] = flags;
        b[24..32].copy_from_slice(&x.restarts.to_be_bytes());
        b[32..44].copy_from_slice(&x.ready_stamp.pack());
        if let Some(step) = x.last_clock_step {
            b[44..52].copy_from_slice(&step.at_unix.max(1).to_be_bytes());
            b[52..56].copy_from_slice(&step.back_ms.to_be_bytes());
        }
        if let Some(check) = x.check {
            b[56..64].copy_from_slice(&check.encode());
        }
        b
    }

    /// Reads a record of 18 bytes (daemontools), 20 (runit), 44, 56 or 64 (tend).
    /// Only the length is checked, as daemontools' svstat does: any bytes
    /// decode, and unknown values are kept.
    pub fn decode(b: &[u8]) -> Result<Status, DecodeError> {
        if b.len() < DAEMONTOOLS_LEN {
            return Err(DecodeError::Short(b.len()));
        }
        let mut stamp = [0u8; 12];
        stamp.copy_from_slice(&b[..12]);
        let mut pid = [0u8; 4];
        pid.copy_from_slice(&b[12..16]);
        let runit = b.len() >= RUNIT_LEN;
        Ok(Status {
            stamp: Label::unpack(&stamp),
            pid: u32::from_le_bytes(pid),
            paused: b[16] != 0,
            want: Want::from_byte(b[17]),
            got_term: runit && b[18] != 0,
            state: if runit { RunState::from_byte(b[19]) } else { RunState::Down },
            extras: decode_extras(b),
        })
    }

    /// Writes runit's `supervise/stat` line (at most 37 bytes): `run`,
    /// `, paused`, `, got TERM`, `, want down`.
    pub fn write_stat_line(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        out.write_all(self.state.word().as_bytes())?;
        if self.paused {
            out.write_all(b", paused")?;
        }
        if self.got_term {
            out.write_all(b", got TERM")?;
        }
        if self.state != RunState::Down && self.want != Want::Up {
            out.write_all(b", want down")?;
        }
        out.write_all(b"\n")
    }
}

fn decode_extras(b: &[u8]) -> Option<Extras> {
    if b.len() < EXTRAS_V1_LEN || b[20] != EXTRAS_VERSION {
        return None;
    }
    let flags = b[21];
    let last_exit = if flags & FLAG_SIGNALED != 0 {
        Some(LastExit::Signal(b[23]))
    } else if flags & FLAG_EXITED != 0 {
        Some(LastExit::Code(b[22]))
    } else {
        None
    };
    let mut restarts = [0u8; 8];
    restarts.copy_from_slice(&b[24..32]);
    let mut ready = [0u8; 12];
    ready.copy_from_slice(&b[32..44]);
    Some(Extras {
        ready: flags & FLAG_READY != 0,
        ready_stamp: Label::unpack(&ready),
        last_exit,
        restarts: u64::from_be_bytes(restarts),
        last_clock_step: decode_clock_step(b),
        check: b.get(CHECK_AT..CHECK_AT + 8).and_then(Check::decode),
        oneshot: (flags & FLAG_ONESHOT != 0).then_some(flags & FLAG_DONE != 0),
        declares_readiness: flags & FLAG_DECLARES_READINESS != 0,
        waiting: flags & FLAG_WAITING != 0,
    })
}

impl Check {
    /// Byte 56 the phase (0: no check, 1 starting, 2 watching, 3 idle), 57
    /// the last result (0 none, 1 exited with the code at 58, 2 killed by
    /// the signal at 58, 3 timed out), 59 flags (bit 0: restarted by the
    /// check), 60..64 the failures in a row, big-endian.
    fn encode(&self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[0] = match self.phase {
            CheckPhase::Starting => 1,
            CheckPhase::Watching => 2,
            CheckPhase::Idle => 3,
            CheckPhase::Other(p) => p,
        };
        (b[1], b[2]) = match self.last {
            None => (0, 0),
            Some(CheckResult::Code(c)) => (1, c),
            Some(CheckResult::Signal(s)) => (2, s),
            Some(CheckResult::TimedOut) => (3, 0),
        };
        b[3] = if self.restarted { CHECK_RESTARTED } else { 0 };
        b[4..].copy_from_slice(&self.failures.to_be_bytes());
        b
    }

    fn decode(b: &[u8]) -> Option<Check> {
        let &[phase, kind, value, flags, f0, f1, f2, f3] = b else { return None };
        let phase = match phase {
            0 => return None,
            1 => CheckPhase::Starting,
            2 => CheckPhase::Watching,
            3 => CheckPhase::Idle,
            p => CheckPhase::Other(p),
        };
        let last = match kind {
            1 => Some(CheckResult::Code(value)),
            2 => Some(CheckResult::Signal(value)),
            3 => Some(CheckResult::TimedOut),
            _ => None,
        };
        let failures = u32::from_be_bytes([f0, f1, f2, f3]);
        Some(Check { phase, last, failures, restarted: flags & CHECK_RESTARTED != 0 })
    }
}

fn decode_clock_step(b: &[u8]) -> Option<ClockStep> {
    let at = u64::from_be_bytes(b.get(44..52)?.try_into().ok()?);
    let back_ms = u32::from_be_bytes(b.get(52..56)?.try_into().ok()?);
    (at != 0).then_some(ClockStep { at_unix: at, back_ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The LAB dump of daemontools' supervise (running, pid 12963, want up).
    const LAB: [u8; 18] = [0x40, 0, 0, 0, 0x6b, 0x02, 0x0d, 0x2d, 0x14, 0xe4, 0xd2, 0xd4, 0xa3, 0x32, 0, 0, 0, 0x75];

    #[test]
    fn decodes_daemontools_record() {
        let s = Status::decode(&LAB).unwrap();
        assert_eq!(s.pid, 12963);
        assert_eq!(s.want, Want::Up);
        assert!(!s.paused);
        assert_eq!(s.extras, None);
        assert_eq!(s.stamp.secs, 0x4000_0000_6b02_0d2d);
        assert_eq!(&s.encode()[..18], &LAB);
    }

    #[test]
    fn short_records_are_bad_format() {
        assert_eq!(Status::decode(&LAB[..17]), Err(DecodeError::Short(17)));
        assert_eq!(Status::decode(&[]), Err(DecodeError::Short(0)));
    }

    #[test]
    fn once_is_byte_zero_and_runit_bytes_follow() {
        let s = Status { want: Want::Once, got_term: true, state: RunState::Finish, ..Status::default() };
        let b = s.encode();
        assert_eq!(&b[16..20], &[0, 0, 1, 2]);
    }

    #[test]
    fn extras_round_trip() {
        let x = Extras {
            ready: true,
            ready_stamp: Label::from_unix(1_700_000_000, 5),
            last_exit: Some(LastExit::Signal(15)),
            restarts: 7,
            last_clock_step: Some(ClockStep { at_unix: 1_700_000_100, back_ms: 3_600_000 }),
            check: Some(Check {
                phase: CheckPhase::Watching,
                last: Some(CheckResult::TimedOut),
                failures: 70_000,
                restarted: true,
            }),
            oneshot: Some(true),
            declares_readiness: true,
            waiting: true,
        };
        let s = Status { pid: 42, extras: Some(x), ..Status::default() };
        assert_eq!(Status::decode(&s.encode()), Ok(s));
        let code = Status { extras: Some(Extras { last_exit: Some(LastExit::Code(3)), ..x }), ..s };
        assert_eq!(Status::decode(&code.encode()), Ok(code));
    }

    #[test]
    fn a_44_byte_record_has_no_clock_step() {
        let step = Some(ClockStep { at_unix: 9, back_ms: 1 });
        let s = Status {
            pid: 42,
            extras: Some(Extras { restarts: 3, last_clock_step: step, ..Extras::default() }),
            ..Status::default()
        };
        let old = Status::decode(&s.encode()[..44]).unwrap();
        assert_eq!(old.extras, Some(Extras { restarts: 3, last_clock_step: None, ..Extras::default() }));
    }

    #[test]
    fn a_56_byte_record_has_no_check_and_every_check_round_trips() {
        let check = Check { phase: CheckPhase::Starting, last: None, failures: 2, restarted: false };
        let s = Status {
            extras: Some(Extras { restarts: 3, check: Some(check), ..Extras::default() }),
            ..Status::default()
        };
        let old = Status::decode(&s.encode()[..56]).unwrap();
        assert_eq!(old.extras, Some(Extras { restarts: 3, check: None, ..Extras::default() }));
        for phase in [CheckPhase::Starting, CheckPhase::Watching, CheckPhase::Idle, CheckPhase::Other(9)] {
            for last in [None, Some(CheckResult::Code(1)), Some(CheckResult::Signal(9)), Some(CheckResult::TimedOut)] {
                let check = Some(Check { phase, last, failures: u32::MAX, restarted: last.is_some() });
                let s = Status { extras: Some(Extras { check, ..Extras::default() }), ..Status::default() };
                assert_eq!(Status::decode(&s.encode()), Ok(s));
            }
        }
    }

    #[test]
    fn runit_record_has_no_extras() {
        let s = Status { state: RunState::Run, pid: 9, ..Status::default() };
        let d = Status::decode(&s.encode()[..20]).unwrap();
        assert_eq!(d, Status { extras: None, ..s });
    }

    #[test]
    fn stat_text_like_runit() {
        let s = Status { state: RunState::Run, want: Want::Down, got_term: true, ..Status::default() };
        let line = |s: &Status| {
            let mut v = Vec::new();
            s.write_stat_line(&mut v).unwrap();
            String::from_utf8(v).unwrap()
        };
        assert_eq!(line(&s), "run, got TERM, want down\n");
        assert_eq!(line(&Status::default()), "down\n");
        let longest = Status { state: RunState::Finish, paused: true, ..s };
        assert_eq!(line(&longest), "finish, paused, got TERM, want down\n");
    }
}
