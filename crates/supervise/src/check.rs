//! The health check's bookkeeping (no I/O): which `./check` runs, until
//! when, when the next one starts, and what the checks said. The
//! [`Machine`](crate::Machine) decides when checks run and what their results
//! mean; this keeps their timers and counts.

use std::time::Duration;

use svstatus::CheckResult;

use crate::timed::Timed;

/// The checks of one run of the service.
#[derive(Debug, Default)]
pub(crate) struct Checker {
    /// The `./check` that runs, killed (and counted as failed) at its deadline.
    running: Option<Timed>,
    /// When the next check starts; None: none is scheduled.
    next: Option<Duration>,
    pub(crate) last: Option<CheckResult>,
    /// Failed checks in a row.
    pub(crate) failures: u32,
    /// The service is being stopped because its checks failed.
    pub(crate) stopping: bool,
    /// The last run ended after [`Checker::stopping`] was set.
    pub(crate) restarted: bool,
}

/// What a step of the checks asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    Nothing,
    /// Start `./check`.
    Start,
    /// Kill the check's process group: it ran for the whole interval.
    Kill(u32),
}

impl Checker {
    /// A new run of the service: its checks start afresh (the first one at
    /// `first`, if given); `restarted` stays, it tells why the last run ended.
    pub(crate) fn restart(&mut self, first: Option<Duration>) {
        *self = Checker { next: first, restarted: self.restarted, ..Checker::default() };
    }

    /// When the checks need the machine's attention.
    pub(crate) fn deadline(&self) -> Option<Duration> {
        match &self.running {
            Some(r) => r.deadline(),
            None => self.next,
        }
    }

    /// What is due at `now`; a start is taken as done until
    /// [`Checker::started`] or [`Checker::not_started`] answers it.
    pub(crate) fn due(&mut self, now: Duration) -> Due {
        if let Some(r) = &mut self.running {
            return if r.expire(now) { Due::Kill(r.pid) } else { Due::Nothing };
        }
        match self.next {
            Some(at) if now >= at => {
                self.next = None;
                Due::Start
            }
            _ => Due::Nothing,
        }
    }

    pub(crate) fn started(&mut self, pid: u32, now: Duration, interval: Duration) {
        self.running = Some(Timed::new(pid, now, interval));
    }

    /// The fork failed: try again after the interval (not counted: the
    /// service is not at fault).
    pub(crate) fn not_started(&mut self, now: Duration, interval: Duration) {
        self.next = Some(now + interval);
    }

    /// Whether `pid` is the running check.
    pub(crate) fn is_running(&self, pid: u32) -> bool {
        self.running.is_some_and(|r| r.pid == pid)
    }

    /// The running check ended with `wstatus`: its result, counted. The
    /// next check is scheduled one `interval` after this one started (or
    /// now, if that has passed), so checks start at most once an interval
    /// whatever they do; the machine cancels it when no more are wanted.
    pub(crate) fn ended(&mut self, wstatus: i32, now: Duration, interval: Duration) -> CheckResult {
        let run = self.running.take();
        let result = match run {
            Some(Timed { killed: true, .. }) => CheckResult::TimedOut,
            _ if libc::WIFSIGNALED(wstatus) => CheckResult::Signal(libc::WTERMSIG(wstatus) as u8),
            _ => CheckResult::Code(libc::WEXITSTATUS(wstatus) as u8),
        };
        self.failures = if result == CheckResult::Code(0) { 0 } else { self.failures.saturating_add(1) };
        self.last = Some(result);
        self.next = Some(run.map_or(now, |r| r.since + interval).max(now));
        result
    }

    /// The first check of a watch (on readiness from `notification-fd`).
    pub(crate) fn schedule(&mut self, at: Duration) {
        if self.running.is_none() {
            self.next = Some(at);
        }
    }

    /// No more checks for this run: the running one (if any) is to be
    /// killed, and forgotten (its end is not counted).
    pub(crate) fn stop(&mut self) -> Option<u32> {
        self.next = None;
        self.running.take().map(|r| r.pid)
    }
}
