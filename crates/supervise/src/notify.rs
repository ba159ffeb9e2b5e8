//! The sd_notify socket of a service with `notify-socket` (systemd's
//! protocol, sd_notify(3)): a datagram socket on the abstract name
//! `tend-notify/PID` (PID: supervise's), passed to `run` as
//! `NOTIFY_SOCKET=@tend-notify/PID`. An abstract name needs no path (none
//! of sun_path's 108 bytes, no `supervise/` that a `setuidgid` service may
//! not enter, nothing a `chroot` hides) and goes with supervise.
//!
//! Each datagram holds newline-separated `KEY=VALUE` lines: `READY=1`
//! ([`crate::Event::Ready`]), `STOPPING=1`, `STATUS=`, `MAINPID=`,
//! `WATCHDOG=1` (a ping), `WATCHDOG=trigger` and `WATCHDOG_USEC=` (a new
//! interval); other lines are ignored. Only datagrams from a process of the
//! service (the kernel's SCM_CREDENTIALS pid: in its cgroup or process
//! group, or its main process) are believed; at most [`PER_WAKE`] are read
//! per wake-up, so a flood cannot keep supervise from its other work.
//! Nothing here allocates.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Duration;

use svstatus::NotifyState;

/// Datagrams read per wake-up at most.
pub(crate) const PER_WAKE: usize = 16;
/// The longest datagram read (a longer one is ignored whole).
const DATAGRAM_MAX: usize = 4096;
const NAME_PREFIX: &[u8] = b"tend-notify/";
const VAR_LEN: usize = 48;

/// What one datagram says (each field as its last line said it).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Message<'a> {
    pub ready: bool,
    pub stopping: bool,
    pub status: Option<&'a [u8]>,
    pub mainpid: Option<u32>,
    pub watchdog: bool,
    pub trigger: bool,
    pub watchdog_usec: Option<u64>,
}

/// Reads a datagram; lines that are not `KEY=VALUE` with a known key and
/// a valid value are ignored.
pub(crate) fn parse(datagram: &[u8]) -> Message<'_> {
    let mut m = Message::default();
    for line in datagram.split(|&b| b == b'\n') {
        let number = |v: &[u8]| std::str::from_utf8(v).ok().and_then(|v| v.parse::<u64>().ok());
        let Some(eq) = line.iter().position(|&b| b == b'=') else { continue };
        let (key, value) = (&line[..eq], &line[eq + 1..]);
        match (key, value) {
            (b"READY", b"1") => m.ready = true,
            (b"STOPPING", b"1") => m.stopping = true,
            (b"STATUS", text) => m.status = Some(text),
            (b"MAINPID", pid) => m.mainpid = number(pid).and_then(|p| u32::try_from(p).ok()).filter(|&p| p > 0),
            (b"WATCHDOG", b"1") => m.watchdog = true,
            (b"WATCHDOG", b"trigger") => m.trigger = true,
            (b"WATCHDOG_USEC", usec) => m.watchdog_usec = number(usec).filter(|&u| u > 0),
            _ => {}
        }
    }
    m
}

/// A `NAME=VALUE` variable, NUL-terminated, on the stack.
#[derive(Debug)]
struct Var {
    bytes: [u8; VAR_LEN],
}

impl Var {
    fn new(parts: &[&[u8]]) -> Var {
        let mut bytes = [0; VAR_LEN];
        for (to, &from) in bytes.iter_mut().take(VAR_LEN - 1).zip(parts.iter().flat_map(|p| p.iter())) {
            *to = from;
        }
        Var { bytes }
    }
    fn as_cstr(&self) -> &CStr {
        CStr::from_bytes_until_nul(&self.bytes).unwrap_or_default()
    }
}

/// The socket and what the running service said through it.
#[derive(Debug)]
pub(crate) struct Notify {
    socket: OwnedFd,
    /// `NOTIFY_SOCKET=@tend-notify/PID`.
    socket_var: Var,
    /// `WATCHDOG_USEC=N` for the watchdog of the last start, if any.
    watchdog_var: Option<Var>,
    pub state: NotifyState,
    interval: Option<Duration>,
    deadline: Option<Duration>,
    warned_foreign: bool,
    /// `state` changed since it was last written.
    pub dirty: bool,
}

impl Notify {
    /// Makes the socket, named after supervise's pid.
    pub(crate) fn open() -> io::Result<Notify> {
        let mut digits = [0; svstatus::DECIMAL_LEN];
        let pid = svstatus::decimal(i64::from(std::process::id()), &mut digits);
        let name = Var::new(&[NAME_PREFIX, pid]);
        let socket = unix::socket::bind_abstract_datagram(name.as_cstr().to_bytes())?;
        Ok(Notify {
            socket,
            socket_var: Var::new(&[b"NOTIFY_SOCKET=@", NAME_PREFIX, pid]),
            watchdog_var: None,
            state: NotifyState::default(),
            interval: None,
            deadline: None,
            warned_foreign: false,
            dirty: true,
        })
    }

    pub(crate) fn fd(&self) -> libc::c_int {
        self.socket.as_raw_fd()
    }

    /// A new `run` starts at `now` with the watchdog `interval`: what the
    /// last one sent and never had read is dropped, its state forgotten
    /// (not the watchdog's record), the watchdog armed.
    pub(crate) fn started(&mut self, now: Duration, interval: Option<Duration>) {
        let mut buf = [0u8; 64];
        while let Ok(Some(_)) = unix::socket::receive(&self.socket, &mut buf) {}
        let kept = self.state;
        self.state = NotifyState::default();
        self.state.watchdog_timeouts = kept.watchdog_timeouts;
        self.state.last_watchdog_timeout = kept.last_watchdog_timeout;
        self.state.foreign = kept.foreign;
        self.set_interval(now, interval);
        self.watchdog_var = interval.map(|i| {
            let mut digits = [0; svstatus::DECIMAL_LEN];
            let usec = i64::try_from(i.as_micros()).unwrap_or(i64::MAX);
            Var::new(&[b"WATCHDOG_USEC=", svstatus::decimal(usec, &mut digits)])
        });
        self.dirty = true;
    }

    fn set_interval(&mut self, now: Duration, interval: Option<Duration>) {
        self.interval = interval;
        self.deadline = interval.map(|i| now + i);
        self.state.watchdog_ms = interval.map_or(0, |i| u64::try_from(i.as_millis()).unwrap_or(u64::MAX));
    }

    /// The variables `run` gets: `NOTIFY_SOCKET`, and `WATCHDOG_USEC` if
    /// a watchdog is set (their number in the first slots).
    pub(crate) fn env(&self) -> ([&CStr; 2], usize) {
        match &self.watchdog_var {
            Some(w) => ([self.socket_var.as_cstr(), w.as_cstr()], 2),
            None => ([self.socket_var.as_cstr(), c""], 1),
        }
    }

    /// The service was continued (`svc -c`) at `now`: a whole interval
    /// again, if the watchdog is armed.
    pub(crate) fn rearm(&mut self, now: Duration) {
        if self.deadline.is_some() {
            self.deadline = self.interval.map(|i| now + i);
        }
    }

    /// When the watchdog bites, on the monotonic clock.
    pub(crate) fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The watchdog bit at `wall_secs`: recorded; disarmed until the next start.
    pub(crate) fn timed_out(&mut self, wall_secs: u64) {
        self.deadline = None;
        self.state.watchdog_timeouts = self.state.watchdog_timeouts.saturating_add(1);
        self.state.last_watchdog_timeout = wall_secs;
        self.dirty = true;
    }

    /// Reads up to [`PER_WAKE`] datagrams at `now` (monotonic); believes
    /// those whose sender `of_service` accepts, while the service runs
    /// (`running`); warns once (naming `name`) about the others. Returns
    /// whether one said `READY=1`.
    pub(crate) fn receive(
        &mut self,
        now: Duration,
        running: bool,
        of_service: impl Fn(libc::pid_t) -> bool,
        name: &[u8],
    ) -> bool {
        let mut ready = false;
        let mut buf = [0u8; DATAGRAM_MAX];
        for _ in 0..PER_WAKE {
            let d = match unix::socket::receive(&self.socket, &mut buf) {
                Ok(Some(d)) => d,
                Ok(None) => break,
                Err(e) => {
                    strerr::warn(&[
                        b"unable to read the notify socket of ",
                        name,
                        b": ",
                        strerr::errstr(&e).as_bytes(),
                    ]);
                    break;
                }
            };
            if !running {
                continue;
            }
            if d.pid <= 0 || !of_service(d.pid) {
                self.foreign(d.pid, name);
                continue;
            }
            let m = parse(buf.get(..d.len).unwrap_or_default());
            ready |= m.ready;
            self.believe(now, &m);
        }
        ready
    }

    fn believe(&mut self, now: Duration, m: &Message) {
        if m.stopping {
            self.state.stopping = true;
        }
        if let Some(text) = m.status {
            self.state.set_status(text);
        }
        if let Some(pid) = m.mainpid {
            self.state.mainpid = pid;
        }
        if let Some(usec) = m.watchdog_usec {
            self.set_interval(now, Some(Duration::from_micros(usec)));
        } else if m.watchdog {
            self.deadline = self.interval.map(|i| now + i);
        }
        if m.trigger && self.interval.is_some() {
            self.deadline = Some(now);
        }
        self.dirty |= m.stopping || m.status.is_some() || m.mainpid.is_some() || m.watchdog_usec.is_some();
    }

    fn foreign(&mut self, pid: libc::pid_t, name: &[u8]) {
        self.state.foreign = self.state.foreign.saturating_add(1);
        self.dirty = true;
        if !self.warned_foreign {
            self.warned_foreign = true;
            let mut digits = [0; svstatus::DECIMAL_LEN];
            let pid = svstatus::decimal(pid.into(), &mut digits);
            strerr::warn(&[
                b"ignoring a datagram on the notify socket of ",
                name,
                b" from pid ",
                pid,
                b", not a process of the service (said once)",
            ]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_protocol_lines_are_read_and_bad_ones_ignored() {
        let m = parse(b"READY=1\nSTATUS=Accepting connections\nMAINPID=4242\nWATCHDOG=1\nbogus\n=\nX=Y\nREADY=2");
        assert_eq!(
            m,
            Message {
                ready: true,
                status: Some(&b"Accepting connections"[..]),
                mainpid: Some(4242),
                watchdog: true,
                ..Message::default()
            }
        );
        assert_eq!(parse(b"MAINPID=0\nMAINPID=-3\nWATCHDOG_USEC=x"), Message::default());
        let m = parse(b"STOPPING=1\nWATCHDOG=trigger\nWATCHDOG_USEC=2500000\n");
        assert!(m.stopping && m.trigger);
        assert_eq!(m.watchdog_usec, Some(2_500_000));
        assert_eq!(parse(b""), Message::default());
    }

    #[test]
    fn pings_move_the_deadline_and_a_new_interval_replaces_it() {
        let mut n = Notify::open().unwrap();
        let s = Duration::from_secs;
        n.started(s(10), Some(s(2)));
        assert_eq!(n.deadline(), Some(s(12)));
        assert_eq!(n.env().0[1].to_bytes(), b"WATCHDOG_USEC=2000000");
        n.believe(s(11), &parse(b"WATCHDOG=1"));
        assert_eq!(n.deadline(), Some(s(13)));
        n.believe(s(11), &parse(b"WATCHDOG_USEC=5000000"));
        assert_eq!((n.deadline(), n.state.watchdog_ms), (Some(s(16)), 5000));
        n.believe(s(12), &parse(b"WATCHDOG=trigger"));
        assert_eq!(n.deadline(), Some(s(12)));
        n.timed_out(1_700_000_000);
        assert_eq!((n.deadline(), n.state.watchdog_timeouts), (None, 1));
        n.started(s(20), None);
        assert_eq!((n.deadline(), n.env().1, n.state.watchdog_timeouts), (None, 1, 1));
        n.believe(s(21), &parse(b"WATCHDOG=1\nWATCHDOG=trigger"));
        assert_eq!(n.deadline(), None, "no watchdog: pings mean nothing");
        let var = n.env().0[0].to_bytes();
        assert!(var.starts_with(b"NOTIFY_SOCKET=@tend-notify/"), "{var:?}");
    }
}
