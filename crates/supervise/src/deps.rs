//! Waiting for the services a `dependencies` file lists: whether they let
//! this one start, the warnings about the file (once each), and an
//! inotify descriptor that wakes supervise when what it waits for may
//! have changed. A service without the file costs one failed open per
//! start and allocates nothing.

use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::time::Duration;

use svstatus::{Listing, ServiceDir};

/// What changes in a dependency's `supervise/` (svwait's events).
const STATE_EVENTS: u32 = libc::IN_MOVED_TO | libc::IN_CREATE | libc::IN_CLOSE_WRITE | libc::IN_CLOSE_NOWRITE;
/// A directory appearing (a dependency's, or its `supervise/`), or the
/// `dependencies` file written.
const ENTRY_EVENTS: u32 = libc::IN_MOVED_TO | libc::IN_CREATE | libc::IN_CLOSE_WRITE;
/// How often a wait looks again when inotify cannot see every change: a
/// dependency's `supervise/` that could not be watched (not made yet, or a
/// symlink to a place that does not exist yet), or no watch at all.
const RECHECK: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct Deps {
    /// The warnings given for what the files said at the last look: a
    /// warning is repeated only once it went away and came back.
    warned: Vec<Vec<u8>>,
    /// While waiting: the watch on what it waits for.
    watch: Option<OwnedFd>,
    /// While waiting with a watch that cannot see every change: when to
    /// look again (monotonic).
    recheck_at: Option<Duration>,
}

impl Deps {
    /// Whether the service `name` (in the working directory) must wait
    /// instead of starting: a dependency does not let it start, or its
    /// `dependencies` file cannot be used. Then its watch is armed (before
    /// looking, so that no change is missed). Not inlined: its frame stays
    /// out of the poll loop's.
    #[inline(never)]
    pub fn blocked(&mut self, dir: &ServiceDir, name: &[u8]) -> bool {
        self.watch = None;
        self.recheck_at = None;
        let listing = match svstatus::read_listing(dir) {
            Ok(None) => {
                self.warned.clear();
                return false;
            }
            Ok(Some(listing)) => Ok(listing),
            Err(e) => Err(e),
        };
        let (watch, complete) = match arm(listing.as_ref().ok()) {
            Ok((fd, complete)) => (Some(fd), complete),
            Err(e) => {
                strerr::warn(&[b"unable to watch the dependencies of ", name, b": ", strerr::errstr(&e).as_bytes()]);
                (None, false)
            }
        };
        self.watch = watch;
        self.recheck_at = (!complete).then(|| unix::time::clock_gettime(libc::CLOCK_MONOTONIC) + RECHECK);
        let me = name.rsplit(|&b| b == b'/').find(|c| !c.is_empty()).unwrap_or(name);
        let (waits, problems) = match &listing {
            Ok(l) => (!svstatus::waiting_for(b".", l).is_empty(), svstatus::problems(b".", me, l)),
            Err(e) => (true, vec![[&e.message(name)[..], b": ", name, b" waits"].concat()]),
        };
        for p in problems.iter().filter(|p| !self.warned.contains(p)) {
            strerr::warn(&[p]);
        }
        self.warned = problems;
        if !waits {
            self.watch = None;
            self.recheck_at = None;
        }
        waits
    }

    /// When a wait whose watch cannot see every change looks again.
    pub fn recheck_at(&self) -> Option<Duration> {
        self.recheck_at
    }

    /// The watch's descriptor (-1 when there is none).
    pub fn fd(&self) -> RawFd {
        self.watch.as_ref().map_or(-1, AsRawFd::as_raw_fd)
    }

    /// Reads the watch's events: whether one may change whether the
    /// service may start. Its own looks (reading a record, probing `ok`)
    /// do not count, so a service that depends on itself does not spin.
    /// Not inlined: the 4 KiB event buffer must stay out of the poll loop's
    /// frame, under which every supervise's calls run (it made each
    /// supervise's stack a page deeper, 8d).
    #[inline(never)]
    pub fn changed(&self) -> bool {
        let Some(fd) = &self.watch else { return false };
        let mut changed = false;
        let seen = unix::fs::watch_events(fd.as_fd(), |mask, entry| {
            changed |= match entry {
                b"status" | b"lock" | b"ok" => svstatus::matters(mask, entry),
                _ => mask & (ENTRY_EVENTS | libc::IN_ATTRIB | libc::IN_IGNORED) != 0,
            }
        });
        changed || seen.is_err()
    }
}

/// A watch on the service directory (its `dependencies` file: written, or
/// made readable) and on each dependency's `supervise/`, or the
/// dependency's directory until it has one, or the scan directory until
/// the dependency exists; and whether it sees every change (each
/// dependency's `supervise/` watched).
fn arm(listing: Option<&Listing>) -> std::io::Result<(OwnedFd, bool)> {
    let fd = unix::fs::watcher()?;
    unix::fs::watch_also(fd.as_fd(), b".", ENTRY_EVENTS | libc::IN_ATTRIB)?;
    let mut complete = listing.is_some();
    for name in listing.map_or(&[][..], |l| &l.names) {
        let dep = [b"../", &name[..]].concat();
        let state = [&dep[..], b"/supervise"].concat();
        if unix::fs::watch_also(fd.as_fd(), &state, STATE_EVENTS).is_ok() {
            continue;
        }
        complete = false;
        if unix::fs::watch_also(fd.as_fd(), &dep, ENTRY_EVENTS).is_err() {
            unix::fs::watch_also(fd.as_fd(), b"..", ENTRY_EVENTS)?;
        }
    }
    Ok((fd, complete))
}
