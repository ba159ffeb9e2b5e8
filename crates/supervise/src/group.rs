//! A service is all its processes: its own cgroup (cgroup v2, where
//! supervise can make one) or else its own process group. The mode is
//! decided once, at start; the group is killed by [`Group::kill`] when the
//! machine sweeps, watched until it is empty, stopped at start when an
//! earlier supervise left processes in it, and its cgroup removed at exit.

use std::ffi::CStr;
use std::io::Write;
use std::time::Duration;

use svstatus::ServiceDir;
use unix::cgroup::{self, Cgroup, Unavailable};
use unix::scratch::Scratch;

use crate::machine::SWEEP_PATIENCE;

/// Every service cgroup is named `tend-` and the service directory's
/// absolute path, escaped as systemd escapes paths.
const PREFIX: &[u8] = b"tend-";
/// The pid and start time of the last `run`'s process group (process-group mode).
const PGROUP: &CStr = c"supervise/pgroup";
/// How long processes left by an earlier supervise get after SIGTERM
/// when the service has no `timeout-kill`.
const LEFTOVER_GRACE: Duration = Duration::from_secs(2);
/// While waiting for a process group to empty (nothing to poll), look this often.
pub(crate) const RECHECK: Duration = Duration::from_millis(25);

/// The service's processes.
#[derive(Debug)]
pub(crate) enum Group {
    /// Its own cgroup, which `run` and `finish` join before exec.
    Cgroup(Cgroup),
    /// Its own process group, the one `run` leads (0 before the first start).
    Process { pgid: libc::pid_t },
}

impl Group {
    /// The service's cgroup, made or reused in the base (supervise's own
    /// cgroup, or its parent when that is svscan's leaf:
    /// [`cgroup::base_dir`]), named after the working directory (the
    /// service directory); else
    /// process-group mode, with supervise as the subreaper of its service.
    /// No cgroup2 hierarchy, or one supervise may not write to, is not
    /// warned about (svscan says it once for the tree); any other failure
    /// is, naming the service.
    pub(crate) fn open(name: &[u8]) -> Group {
        match open_cgroup() {
            Ok(Some(c)) => return Group::Cgroup(c),
            Ok(None) => {}
            Err(why) => strerr::warn(&[
                b"unable to make the cgroup of ",
                name,
                b": ",
                strerr::errstr(&why).as_bytes(),
                b"; its processes are stopped by process group",
            ]),
        }
        if let Err(e) = unix::process::become_subreaper() {
            strerr::warn(&[b"unable to become the subreaper of ", name, b": ", strerr::errstr(&e).as_bytes()]);
        }
        Group::Process { pgid: 0 }
    }

    /// The service's cgroup, if it has one (limits are written there).
    pub(crate) fn cgroup(&self) -> Option<&Cgroup> {
        match self {
            Group::Cgroup(c) => Some(c),
            Group::Process { .. } => None,
        }
    }

    /// Where `run` and `finish` go before exec.
    pub(crate) fn spawn_group(&self) -> unix::spawn::Group {
        match self {
            Group::Cgroup(c) => unix::spawn::Group::Cgroup(c.procs()),
            Group::Process { .. } => unix::spawn::Group::New,
        }
    }

    /// Where `./check` goes: in the service's cgroup, and in a process
    /// group of its own in either mode, so that a check that runs too long
    /// is killed with what it started, and nothing else.
    pub(crate) fn check_group(&self) -> unix::spawn::Group {
        match self {
            Group::Cgroup(c) => unix::spawn::Group::CgroupNew(c.procs()),
            Group::Process { .. } => unix::spawn::Group::New,
        }
    }

    /// `run` started as `pid`: in process-group mode it leads the group,
    /// recorded in `supervise/pgroup` for a later supervise. Not inlined:
    /// its buffers would deepen the caller's frame, which spawns.
    #[inline(never)]
    pub(crate) fn started(&mut self, pid: libc::pid_t, dir: &ServiceDir, name: &[u8]) {
        let Group::Process { pgid } = self else { return };
        *pgid = pid;
        let mut line = [0u8; 2 * svstatus::DECIMAL_LEN + 2];
        let len = pgroup_line(pid, unix::process::start_time(pid).unwrap_or(0), &mut line);
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_NOFOLLOW;
        if let Err(e) = dir.open_file(PGROUP, flags, 0o644).and_then(|mut f| f.write_all(&line[..len])) {
            strerr::warn(&[b"unable to write ", name, b"/", PGROUP.to_bytes(), b": ", strerr::errstr(&e).as_bytes()]);
        }
    }

    /// SIGKILL to every process of the service; a failure is warned about
    /// naming `name` (None: again, quietly).
    pub(crate) fn kill(&self, name: Option<&[u8]>) {
        match self {
            Group::Cgroup(c) => {
                if let (Err(e), Some(name)) = (c.kill(), name) {
                    strerr::warn(&[b"unable to kill the cgroup of ", name, b": ", strerr::errstr(&e).as_bytes()]);
                }
            }
            Group::Process { pgid } if *pgid > 1 => unix::process::kill(-*pgid, libc::SIGKILL),
            Group::Process { .. } => {}
        }
    }

    /// Whether process `pid` belongs to the service: in its cgroup, or in
    /// its process group.
    pub(crate) fn holds(&self, pid: libc::pid_t) -> bool {
        match self {
            Group::Cgroup(c) => c.holds(pid),
            Group::Process { pgid } => *pgid > 1 && unix::process::group_of(pid) == Some(*pgid),
        }
    }

    /// Whether no process of the service is left (an unreadable cgroup
    /// counts as empty: nothing could be waited for).
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Group::Cgroup(c) => !c.populated().unwrap_or(false),
            Group::Process { pgid } => *pgid <= 1 || !unix::process::group_exists(*pgid),
        }
    }

    /// What to poll for a change of [`Group::is_empty`] (the cgroup's
    /// events; nothing for a process group, looked at every [`RECHECK`]).
    pub(crate) fn pollfd(&self) -> libc::pollfd {
        match self {
            Group::Cgroup(c) => c.pollfd(),
            Group::Process { .. } => libc::pollfd { fd: -1, events: 0, revents: 0 },
        }
    }

    /// Stops what an earlier supervise (killed) left running in the
    /// service's cgroup, or in its recorded process group: SIGTERM and
    /// SIGCONT, after `grace` (`timeout-kill`, else 2 s) SIGKILL, and waits
    /// until they are gone (at most [`SWEEP_PATIENCE`] more); says so.
    pub(crate) fn stop_leftovers(&mut self, name: &[u8], dir: &ServiceDir, grace: Option<Duration>) {
        let grace = grace.unwrap_or(LEFTOVER_GRACE);
        let mut digits = [0u8; svstatus::DECIMAL_LEN];
        let what: &[&[u8]] = match self {
            Group::Cgroup(c) => {
                if !c.populated().unwrap_or(false) {
                    return;
                }
                let n = c.signal(libc::SIGTERM).unwrap_or(0);
                let _ = c.signal(libc::SIGCONT);
                let noun: &[u8] = if n == 1 { b" process" } else { b" processes" };
                &[b"stopped ", svstatus::decimal(n as i64, &mut digits), noun]
            }
            Group::Process { pgid } => {
                let Some(left) = recorded_group(dir) else { return };
                *pgid = left;
                unix::process::kill(-left, libc::SIGTERM);
                unix::process::kill(-left, libc::SIGCONT);
                &[b"stopped process group ", svstatus::decimal(left.into(), &mut digits)]
            }
        };
        if !self.wait_empty(grace) {
            self.kill(Some(name));
        }
        let gone = self.wait_empty(SWEEP_PATIENCE);
        let tail: &[u8] = if gone { b"" } else { b" (some are still there)" };
        strerr::warn(&[name, b": ", what.concat().as_slice(), b" left by an earlier supervise", tail]);
        if let Group::Process { pgid } = self {
            *pgid = 0;
        }
    }

    /// Waits (polling the cgroup's events, or looking at the process group
    /// every [`RECHECK`]) until the group is empty or `limit` has passed.
    fn wait_empty(&self, limit: Duration) -> bool {
        let end = monotonic() + limit;
        loop {
            if self.is_empty() {
                return true;
            }
            let now = monotonic();
            if now >= end {
                return false;
            }
            let _ = unix::poll::poll(&mut [self.pollfd()], Some((end - now).min(RECHECK)));
        }
    }

    /// Removes the cgroup if it is empty (at exit).
    pub(crate) fn remove(&self) {
        if let Group::Cgroup(c) = self {
            c.remove();
        }
    }
}

fn monotonic() -> Duration {
    unix::time::clock_gettime(libc::CLOCK_MONOTONIC)
}

/// The cgroup named after the working directory, in the base
/// ([`cgroup::base_dir`]): None when there is no cgroup2 hierarchy
/// supervise may write to. The
/// paths are built in a [`Scratch`] mapping, not on the stack: this frame
/// would be supervise's deepest, and its pages private for its life (8d).
fn open_cgroup() -> std::io::Result<Option<Cgroup>> {
    let mut scratch = Scratch::<{ cgroup::PATH_MAX + cgroup::NAME_MAX }>::new()?;
    let too_long = || std::io::Error::from_raw_os_error(libc::ENAMETOOLONG);
    let (path, name) = scratch.split_first_chunk_mut::<{ cgroup::PATH_MAX }>().ok_or_else(too_long)?;
    let cwd = unix::fs::getcwd(path)?;
    let leaf = cgroup::escape_path(PREFIX, cwd, name).ok_or_else(too_long)?;
    match cgroup::base_dir(path) {
        Ok(_) => {}
        Err(Unavailable::NotMounted | Unavailable::NotWritable { .. }) => return Ok(None),
    }
    // base_dir ends the path with a NUL; found rather than indexed (no panic location).
    let parent = CStr::from_bytes_until_nul(path).map_err(|_| too_long())?;
    Cgroup::open(parent, leaf).map(Some)
}

/// `PGID STARTTIME\n` into `buf`: its length.
fn pgroup_line(pgid: libc::pid_t, start: u64, buf: &mut [u8; 2 * svstatus::DECIMAL_LEN + 2]) -> usize {
    let mut a = [0u8; svstatus::DECIMAL_LEN];
    let mut b = [0u8; svstatus::DECIMAL_LEN];
    let mut n = 0;
    let start = i64::try_from(start).unwrap_or(0);
    for &byte in
        svstatus::decimal(pgid.into(), &mut a).iter().chain(b" ").chain(svstatus::decimal(start, &mut b)).chain(b"\n")
    {
        buf[n] = byte;
        n += 1;
    }
    n
}

/// The process group in `supervise/pgroup` if it still has processes and
/// is the one recorded: its leader, if alive, started when recorded (a pid
/// in use as a group id is not given to a new process, so a group without
/// its leader is still the one recorded). Never supervise's own group.
fn recorded_group(dir: &ServiceDir) -> Option<libc::pid_t> {
    let f = dir.open_file(PGROUP, libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK, 0).ok()?;
    let mut buf = [0u8; 64];
    let n = unix::fd::read_until_full(&mut &f, &mut buf).ok()?;
    let text = std::str::from_utf8(&buf[..n]).ok()?;
    let mut words = text.split_ascii_whitespace();
    let pgid: libc::pid_t = words.next()?.parse().ok()?;
    let start: u64 = words.next()?.parse().ok()?;
    // Never group 0 or 1 (kill(-1) is every process), never supervise's own.
    if pgid <= 1 || pgid == unix::process::own_group() || !unix::process::group_exists(pgid) {
        return None;
    }
    match unix::process::start_time(pgid) {
        Some(t) if t != start => None,
        _ => Some(pgid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pgroup_line() {
        let mut buf = [0u8; 2 * svstatus::DECIMAL_LEN + 2];
        let n = pgroup_line(1234, 98765, &mut buf);
        assert_eq!(&buf[..n], b"1234 98765\n");
    }
}
