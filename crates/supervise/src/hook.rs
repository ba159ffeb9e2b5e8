//! daemontools-encore's `notify` hook (no I/O): the events it is told of
//! (`./notify SCRIPT EVENT PID CODE`: `run` or `finish`; `start`, `exit`
//! or `killed`; the process; 0, the exit code or the signal number), at
//! most one `./notify` at a time with a time limit ([`HOOK_LIMIT`]), and
//! the events waiting meanwhile in a fixed ring of [`QUEUED`] (supervise
//! allocates nothing): when it is full the oldest waiting event is dropped
//! and counted, and the count is warned about when the next one runs.

use std::time::Duration;

use crate::timed::Timed;

/// How long one `./notify` may run before its process group gets SIGKILL.
pub(crate) const HOOK_LIMIT: Duration = Duration::from_secs(10);
/// How many events wait while one `./notify` runs.
pub(crate) const QUEUED: usize = 8;

/// Which script an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Script {
    Run,
    Finish,
}

/// What happened to the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum What {
    Start,
    Exit,
    Killed,
}

/// One event, as `./notify`'s arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Event {
    pub(crate) script: Script,
    pub(crate) what: What,
    pub(crate) pid: u32,
    /// 0 for a start, the exit code, or the signal number.
    pub(crate) code: i32,
}

impl Event {
    pub(crate) fn start(script: Script, pid: u32) -> Event {
        Event { script, what: What::Start, pid, code: 0 }
    }

    /// `pid` ended with `wstatus` (as from waitpid).
    pub(crate) fn end(script: Script, pid: u32, wstatus: i32) -> Event {
        if libc::WIFSIGNALED(wstatus) {
            Event { script, what: What::Killed, pid, code: libc::WTERMSIG(wstatus) }
        } else {
            Event { script, what: What::Exit, pid, code: libc::WEXITSTATUS(wstatus) }
        }
    }

    pub(crate) fn script(&self) -> &'static std::ffi::CStr {
        match self.script {
            Script::Run => c"run",
            Script::Finish => c"finish",
        }
    }

    /// `start`, `exit` or `killed`.
    pub(crate) fn what(&self) -> &'static std::ffi::CStr {
        match self.what {
            What::Start => c"start",
            What::Exit => c"exit",
            What::Killed => c"killed",
        }
    }
}

/// The hook's state: the `./notify` that runs, the events that wait.
#[derive(Debug, Default)]
pub(crate) struct Hook {
    running: Option<Timed>,
    waiting: [Option<Event>; QUEUED],
    /// Index of the oldest waiting event, and how many wait.
    head: usize,
    len: usize,
    /// Events dropped since the last warning.
    dropped: u32,
}

impl Hook {
    /// Queues `event`; a full ring drops its oldest.
    pub(crate) fn push(&mut self, event: Event) {
        if self.len == QUEUED {
            self.pop();
            self.dropped = self.dropped.saturating_add(1);
        }
        if let Some(slot) = self.waiting.get_mut((self.head + self.len) % QUEUED) {
            *slot = Some(event);
            self.len += 1;
        }
    }

    /// The next event to run now: None while one runs or none waits.
    pub(crate) fn next(&mut self) -> Option<Event> {
        if self.running.is_some() {
            return None;
        }
        self.pop()
    }

    fn pop(&mut self) -> Option<Event> {
        if self.len == 0 {
            return None;
        }
        let event = self.waiting.get_mut(self.head).and_then(Option::take);
        self.head = (self.head + 1) % QUEUED;
        self.len -= 1;
        event
    }

    /// The events dropped since the last call.
    pub(crate) fn take_dropped(&mut self) -> u32 {
        std::mem::take(&mut self.dropped)
    }

    /// How many events wait.
    pub(crate) fn waiting(&self) -> usize {
        self.len
    }

    /// `./notify` started as `pid` at `now`.
    pub(crate) fn started(&mut self, pid: u32, now: Duration) {
        self.running = Some(Timed::new(pid, now, HOOK_LIMIT));
    }

    /// When the running `./notify` is due for SIGKILL.
    pub(crate) fn deadline(&self) -> Option<Duration> {
        self.running.as_ref().and_then(Timed::deadline)
    }

    /// The process group to kill at `now`, once, if its time is up.
    pub(crate) fn expire(&mut self, now: Duration) -> Option<u32> {
        let r = self.running.as_mut()?;
        r.expire(now).then_some(r.pid)
    }

    /// If `pid` is the running `./notify`: it is over; whether it was
    /// killed for its time limit.
    pub(crate) fn reaped(&mut self, pid: u32) -> Option<bool> {
        let r = self.running.filter(|r| r.pid == pid)?;
        self.running = None;
        Some(r.killed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(pid: u32) -> Event {
        Event::start(Script::Run, pid)
    }

    #[test]
    fn events_run_one_at_a_time_in_order() {
        let mut h = Hook::default();
        h.push(ev(1));
        h.push(ev(2));
        assert_eq!(h.next(), Some(ev(1)));
        h.started(100, Duration::ZERO);
        assert_eq!(h.next(), None, "one runs");
        assert_eq!(h.reaped(99), None, "not the hook");
        assert_eq!(h.reaped(100), Some(false));
        assert_eq!(h.next(), Some(ev(2)));
        assert_eq!(h.next(), None);
    }

    #[test]
    fn a_full_ring_drops_the_oldest_and_counts() {
        let mut h = Hook::default();
        h.started(100, Duration::ZERO);
        for pid in 1..=(QUEUED as u32 + 3) {
            h.push(ev(pid));
        }
        assert_eq!(h.waiting(), QUEUED);
        assert_eq!(h.take_dropped(), 3);
        assert_eq!(h.take_dropped(), 0);
        h.reaped(100);
        assert_eq!(h.next(), Some(ev(4)), "the oldest kept");
    }

    #[test]
    fn a_hook_past_its_limit_is_killed_once_and_reported_as_killed() {
        let mut h = Hook::default();
        h.started(100, Duration::from_secs(5));
        assert_eq!(h.deadline(), Some(Duration::from_secs(5) + HOOK_LIMIT));
        assert_eq!(h.expire(Duration::from_secs(14)), None);
        assert_eq!(h.expire(Duration::from_secs(15)), Some(100));
        assert_eq!(h.expire(Duration::from_secs(16)), None);
        assert_eq!(h.deadline(), None);
        assert_eq!(h.reaped(100), Some(true));
    }

    #[test]
    fn exits_and_signals_become_encores_words() {
        let exit3 = 3 << 8;
        assert_eq!(Event::end(Script::Run, 5, exit3), Event { script: Script::Run, what: What::Exit, pid: 5, code: 3 });
        let killed = libc::SIGKILL;
        let e = Event::end(Script::Finish, 6, killed);
        assert_eq!((e.script(), e.what(), e.code), (c"finish", c"killed", 9));
    }
}
