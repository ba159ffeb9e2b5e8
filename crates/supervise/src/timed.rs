//! A child with a time limit (no I/O): `./check` and `./notify` run under
//! one. It is due for SIGKILL once, at its deadline; the runner kills it
//! and reaps it as any child.

use std::time::Duration;

/// A running child and when it is killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timed {
    pub(crate) pid: u32,
    pub(crate) since: Duration,
    kill_at: Duration,
    /// Its deadline came: it was killed, its end is a time-out.
    pub(crate) killed: bool,
}

impl Timed {
    /// `pid` started at `now`, to be killed `limit` later.
    pub(crate) fn new(pid: u32, now: Duration, limit: Duration) -> Timed {
        Timed { pid, since: now, kill_at: now.saturating_add(limit), killed: false }
    }

    /// When it is due for SIGKILL; None once killed.
    pub(crate) fn deadline(&self) -> Option<Duration> {
        (!self.killed).then_some(self.kill_at)
    }

    /// Whether it is due for SIGKILL at `now`: true once, and it counts as killed.
    pub(crate) fn expire(&mut self, now: Duration) -> bool {
        let due = !self.killed && now >= self.kill_at;
        self.killed |= due;
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timed_child_is_due_once_at_its_deadline() {
        let s = Duration::from_secs;
        let mut t = Timed::new(7, s(100), s(10));
        assert_eq!(t.deadline(), Some(s(110)));
        assert!(!t.expire(s(109)));
        assert!(t.expire(s(110)));
        assert!(t.killed);
        assert_eq!(t.deadline(), None);
        assert!(!t.expire(s(200)), "due only once");
    }
}
