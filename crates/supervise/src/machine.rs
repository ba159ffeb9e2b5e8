//! The supervision state machine of one service (no I/O).
//!
//! [`Machine::step`] takes the time and one [`Event`] and returns the
//! [`Action`]s the runner performs, in order (as [`Actions`], which never
//! allocates for the handful a step produces). All timers are deadlines on the
//! monotonic clock; [`Machine::deadline`] tells the runner when to call back
//! with [`Event::Timer`]. The wall clock is read only to stamp the status
//! record, and the stamp is derived from monotonic time, so a wall-clock step
//! never changes the uptime that svstat shows (see [`Event::Wake`]).

use std::time::Duration;

use svstatus::{Check, CheckPhase, CheckResult, ClockStep, Command, Extras, LastExit, RunState, Status, Want};
use tai64::{Clock, Label};

use crate::check::{Checker, Due};
use crate::config::Config;

const SECOND: Duration = Duration::from_secs(1);
/// How long to wait before retrying a failed fork (daemontools: 60 s).
pub const FORK_RETRY: Duration = Duration::from_secs(60);
/// A wall clock that moved this far against the monotonic clock since the
/// last status write gets the stamp rewritten.
const WALL_DRIFT: Duration = Duration::from_millis(500);
/// A finish script exiting with this code means "do not restart" (s6).
pub const FINISH_PERMANENT: i32 = 125;
/// How long a sweep waits for the service's last processes to go (one in
/// uninterruptible sleep may never) before supervise warns and goes on.
pub const SWEEP_PATIENCE: Duration = Duration::from_secs(5);
/// A service restarted because it is unhealthy (its checks failed, or its
/// watchdog expired: SIGABRT) gets SIGKILL this long after the signal when
/// it has no `timeout-kill`: a hung service must not stay hung.
pub const UNHEALTHY_KILL_AFTER: Duration = Duration::from_secs(5);

/// A reading of both clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub mono: Duration,
    pub wall: Duration,
}

impl Now {
    pub fn read(clock: &impl Clock) -> Now {
        Now { mono: clock.monotonic(), wall: clock.wall() }
    }
    /// The wall-clock time at monotonic instant `mono` (in the past), as the
    /// wall clock reads now: immune to steps in between.
    fn wall_at(&self, mono: Duration) -> Duration {
        self.wall.saturating_sub(self.mono.saturating_sub(mono))
    }
    /// wall - mono in nanoseconds: it changes only when the wall clock is
    /// set (both clocks follow NTP's frequency corrections alike).
    pub fn offset(&self) -> i128 {
        self.wall.as_nanos() as i128 - self.mono.as_nanos() as i128
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// supervise has started: announce, start `run` unless `down` exists.
    Boot,
    /// A control byte.
    Command(Command),
    /// The runner started the process the last [`Action::Spawn`] or
    /// [`Action::SpawnFinish`] asked for.
    Spawned(u32),
    /// ... or could not fork.
    SpawnFailed,
    /// ... or did not start it: services its `dependencies` lists do not
    /// let it start yet. It waits, wanted up, until [`Event::Retry`].
    Blocked,
    /// Something the waiting service depends on changed: try to start
    /// it again (the runner answers the [`Action::Spawn`] with
    /// [`Event::Blocked`] if it must wait on).
    Retry,
    /// A child died (`wstatus` as from waitpid).
    ChildExited { pid: u32, wstatus: i32 },
    /// The service wrote a newline on its notification fd.
    Ready,
    /// The deadline given by [`Machine::deadline`] has come.
    Timer,
    /// SIGTERM or SIGINT to supervise: stop the service, then exit.
    Terminate,
    /// The wall clock was set: `wall - monotonic` changed by `by_ns`
    /// (negative: back). A step back of at least `clock-step-restart`
    /// restarts the service.
    ClockStep { by_ns: i64 },
    /// Nothing of the service is left after an [`Action::Sweep`].
    Swept,
    /// The runner started the `./check` that [`Action::SpawnCheck`] asked for.
    CheckSpawned(u32),
    /// ... or could not fork (it warned; the next try is an interval later).
    CheckSpawnFailed,
    /// The service's watchdog (`watchdog`, sd_notify's `WATCHDOG=1`) was
    /// not pinged in time: abort it (SIGABRT, SIGKILL and the sweep after
    /// `timeout-kill` or [`UNHEALTHY_KILL_AFTER`]) and start it again.
    WatchdogTimeout,
    /// Any wake-up (the runner sends one per loop turn, and after the kernel
    /// reports a wall-clock step through timerfd): rewrite the stamp if the
    /// wall clock has moved against the monotonic clock.
    Wake,
}

/// What the runner must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Start `./run` (answer with Spawned or SpawnFailed).
    Spawn,
    /// Start `./finish EXITCODE SIGNAL` (answer with Spawned or SpawnFailed).
    SpawnFinish { code: i32, signal: i32 },
    /// Start `./check` in a process group of its own (answer with
    /// CheckSpawned or CheckSpawnFailed).
    SpawnCheck,
    /// SIGKILL to the process group of the check `pid`: it ran too long, or
    /// no check may run any more (the service stops, ends or is paused).
    KillCheck { pid: u32 },
    /// kill(pid, signal).
    Signal { pid: u32, signal: i32 },
    /// Kill every process of the service (its cgroup, or its process
    /// group) with SIGKILL; while [`Machine::sweeping`], answer with
    /// [`Event::Swept`] once none is left.
    Sweep,
    /// Processes of the service were still there [`SWEEP_PATIENCE`] after
    /// the sweep: warn; the service counts as down.
    WarnSweepStuck,
    /// Write the status files.
    WriteStatus(Status),
    /// Warn that fork failed; the retry is scheduled.
    WarnForkFailed,
    /// An essential service ended unasked with `code` (128 + signal number
    /// if killed): record it for svscan; supervise exits with it.
    EssentialEnded { code: u8 },
    /// Exit (0, or the code of an [`Action::EssentialEnded`] before it).
    Exit,
}

/// The actions of a step, first in first out. A step makes at most five (a
/// `Terminate` while running), so they are kept inline: supervising does not
/// touch the heap, whose pages would otherwise be private to every one of
/// hundreds of supervise processes. Pushes beyond the inline slots spill to
/// a heap queue, so nothing is ever lost.
#[derive(Debug, Default)]
pub struct Actions {
    inline: [Option<Action>; INLINE_ACTIONS],
    /// Next slot to pop / to push; `head <= tail`.
    head: usize,
    tail: usize,
    spill: std::collections::VecDeque<Action>,
}

const INLINE_ACTIONS: usize = 8;

impl Actions {
    pub fn push(&mut self, action: Action) {
        match self.inline.get_mut(self.tail) {
            Some(slot) if self.spill.is_empty() => {
                *slot = Some(action);
                self.tail += 1;
            }
            _ => self.spill.push_back(action),
        }
    }
}

impl Iterator for Actions {
    type Item = Action;
    fn next(&mut self) -> Option<Action> {
        if self.head < self.tail {
            self.head += 1;
            return self.inline[self.head - 1].take();
        }
        self.spill.pop_front()
    }
}

impl Extend<Action> for Actions {
    fn extend<I: IntoIterator<Item = Action>>(&mut self, actions: I) {
        for a in actions {
            self.push(a);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing runs; `next_start` is a pending start.
    Down {
        next_start: Option<Duration>,
    },
    /// Spawn asked for, answer awaited.
    Starting,
    Running {
        pid: u32,
        since: Duration,
        ready: bool,
        kill_at: Option<Duration>,
    },
    /// Finish asked for, answer awaited.
    StartingFinish,
    Finishing {
        pid: u32,
        kill_at: Option<Duration>,
    },
    /// The main process `pid` exited (`wstatus`) after a stop: the rest of
    /// the service is being killed, until `give_up_at`.
    Sweeping {
        pid: u32,
        wstatus: i32,
        give_up_at: Duration,
    },
}

/// One supervised service.
#[derive(Debug)]
pub struct Machine {
    pub config: Config,
    phase: Phase,
    want: Want,
    paused: bool,
    got_term: bool,
    exit_requested: bool,
    /// The running service was told to stop or restart (`svc -d`, `-t`,
    /// `-k`, runit's `r`): its death is no essential service's end.
    stop_asked: bool,
    /// The running service was told to stop (`svc -d`, `-k`, SIGTERM to
    /// supervise, a clock-step restart): once its main process has exited,
    /// whatever is left of it is killed ([`Action::Sweep`]).
    sweep: bool,
    /// An essential service ended unasked with this code; its finish runs, then supervise exits.
    essential_end: Option<u8>,
    /// Monotonic time of the last pid change (the status stamp).
    changed: Duration,
    /// wall - mono when the status was last written.
    written_offset: Option<i128>,
    /// No start before this (at most one per second while crash-looping).
    earliest_start: Duration,
    last_start: Option<Duration>,
    /// The last run was healthy (ran ≥ 1 s or became ready); decided at its death.
    last_run_healthy: bool,
    consecutive_failures: u32,
    ready_at: Option<Duration>,
    last_exit: Option<LastExit>,
    starts: u64,
    last_clock_step: Option<ClockStep>,
    /// The health check of the current (or last) run.
    checker: Checker,
    /// A one-shot job's last run exited 0 (until its next start).
    done: bool,
    /// Wanted up, it waits for its dependencies ([`Event::Blocked`]).
    waiting: bool,
}

impl Machine {
    /// A machine for a service that is normally up (`down` absent) or not.
    pub fn new(now: Now, normally_up: bool, config: Config) -> Machine {
        Machine {
            config,
            phase: Phase::Down { next_start: None },
            want: if normally_up { Want::Up } else { Want::Down },
            paused: false,
            got_term: false,
            exit_requested: false,
            stop_asked: false,
            sweep: false,
            essential_end: None,
            changed: now.mono,
            written_offset: None,
            earliest_start: now.mono,
            last_start: None,
            last_run_healthy: true,
            consecutive_failures: 0,
            ready_at: None,
            last_exit: None,
            starts: 0,
            last_clock_step: None,
            checker: Checker::default(),
            done: false,
            waiting: false,
        }
    }

    /// When the runner must send [`Event::Timer`], on the monotonic clock.
    pub fn deadline(&self) -> Option<Duration> {
        let phase = match self.phase {
            Phase::Down { next_start } => next_start,
            Phase::Running { kill_at, .. } | Phase::Finishing { kill_at, .. } => kill_at,
            Phase::Sweeping { give_up_at, .. } => Some(give_up_at),
            Phase::Starting | Phase::StartingFinish => None,
        };
        match (phase, self.checker.deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether a sweep waits for the service's last processes to go: the
    /// runner watches and sends [`Event::Swept`].
    pub fn sweeping(&self) -> bool {
        matches!(self.phase, Phase::Sweeping { .. })
    }

    /// Whether the running service is paused (`svc -p`).
    pub fn paused(&self) -> bool {
        self.paused && self.running().is_some()
    }

    /// Pid of the running service (not its finish), if any.
    pub fn running(&self) -> Option<u32> {
        match self.phase {
            Phase::Running { pid, .. } => Some(pid),
            _ => None,
        }
    }

    /// Whether it waits for its dependencies: the runner watches them and
    /// sends [`Event::Retry`] when one changes.
    pub fn waiting(&self) -> bool {
        self.waiting
    }

    /// Pid of the process supervise is waiting for, if any.
    pub fn pid(&self) -> Option<u32> {
        match self.phase {
            Phase::Running { pid, .. } | Phase::Finishing { pid, .. } => Some(pid),
            _ => None,
        }
    }

    /// Handles one event.
    pub fn step(&mut self, now: Now, event: Event) -> Actions {
        let mut out = Actions::default();
        if event == Event::Timer {
            self.check_timer(now, &mut out);
        }
        self.phase_step(now, event, &mut out);
        // No check runs while the service is not running, or stops.
        if !self.checks_run() {
            if let Some(pid) = self.checker.stop() {
                out.push(Action::KillCheck { pid });
            }
        }
        out
    }

    fn phase_step(&mut self, now: Now, event: Event, out: &mut Actions) {
        match (self.phase, event) {
            (_, Event::Boot) => {
                self.announce(now, out);
                if self.want == Want::Up {
                    self.start_when_allowed(now, out);
                }
            }
            (_, Event::Command(c)) => self.command(now, c, out),
            (_, Event::Terminate) => {
                self.command(now, Command::Down, out);
                self.command(now, Command::Exit, out);
            }
            (Phase::Starting, Event::Spawned(pid)) => {
                self.phase = Phase::Running { pid, since: now.mono, ready: false, kill_at: None };
                self.changed = now.mono;
                self.last_start = Some(now.mono);
                self.earliest_start = now.mono + SECOND;
                self.starts += 1;
                self.paused = false;
                self.got_term = false;
                self.stop_asked = false;
                self.sweep = false;
                self.ready_at = None;
                self.done = false;
                self.waiting = false;
                let first = self.checks_configured() && self.config.notification_fd.is_none();
                self.checker.restart(first.then_some(now.mono));
                self.announce(now, out);
            }
            (Phase::Starting, Event::SpawnFailed) => {
                self.phase = Phase::Down { next_start: Some(now.mono + FORK_RETRY) };
                out.push(Action::WarnForkFailed);
            }
            (Phase::Starting, Event::Blocked) => {
                self.phase = Phase::Down { next_start: None };
                // Once: the record changes when it starts waiting, not at
                // each look at its dependencies (one may be itself).
                if !self.waiting {
                    self.waiting = true;
                    self.announce(now, out);
                }
            }
            (Phase::Down { next_start: None }, Event::Retry) if self.waiting && self.want != Want::Down => {
                self.start_when_allowed(now, out);
            }
            (Phase::StartingFinish, Event::Spawned(pid)) => {
                let kill_at = self.config.timeout_finish.map(|t| now.mono + t);
                self.phase = Phase::Finishing { pid, kill_at };
                self.changed = now.mono;
                self.announce(now, out);
            }
            (Phase::StartingFinish, Event::SpawnFailed) => self.after_down(now, false, out),
            (_, Event::ChildExited { pid, wstatus }) if self.checker.is_running(pid) => {
                self.check_ended(now, wstatus, out)
            }
            (_, Event::CheckSpawned(pid)) => self.checker.started(pid, now.mono, self.config.check_interval),
            (_, Event::CheckSpawnFailed) => self.checker.not_started(now.mono, self.config.check_interval),
            (Phase::Running { pid, since, ready, .. }, Event::ChildExited { pid: dead, wstatus }) if pid == dead => {
                self.last_exit = Some(last_exit(wstatus));
                self.checker.restarted = self.checker.stopping;
                let job_done = self.config.oneshot && self.last_exit == Some(LastExit::Code(0));
                if self.config.essential
                    && self.want != Want::Down
                    && !self.exit_requested
                    && !self.stop_asked
                    && !job_done
                {
                    self.essential_end = Some(exit_code(wstatus));
                }
                self.got_term = false;
                self.paused = false;
                // A one-shot job's failure is never healthy, however long it ran.
                self.last_run_healthy =
                    if self.config.oneshot { job_done } else { ready || now.mono.saturating_sub(since) >= SECOND };
                if self.sweep {
                    self.phase = Phase::Sweeping { pid, wstatus, give_up_at: now.mono + SWEEP_PATIENCE };
                    out.push(Action::Sweep);
                } else {
                    self.main_down(now, wstatus, out);
                }
            }
            (Phase::Sweeping { wstatus, .. }, Event::Swept) => self.main_down(now, wstatus, out),
            (Phase::Sweeping { wstatus, give_up_at, .. }, Event::Timer) if now.mono >= give_up_at => {
                out.push(Action::WarnSweepStuck);
                self.main_down(now, wstatus, out);
            }
            (Phase::Finishing { pid, .. }, Event::ChildExited { pid: dead, wstatus }) if pid == dead => {
                let permanent = libc::WIFEXITED(wstatus) && libc::WEXITSTATUS(wstatus) == FINISH_PERMANENT;
                self.after_down(now, permanent, out);
            }
            (Phase::Running { pid, since, kill_at: Some(at), .. }, Event::Timer) if now.mono >= at => {
                out.push(Action::Signal { pid, signal: libc::SIGKILL });
                out.push(Action::Sweep);
                self.phase = Phase::Running { pid, since, ready: self.is_ready(), kill_at: None };
            }
            (Phase::Finishing { pid, kill_at: Some(at) }, Event::Timer) if now.mono >= at => {
                out.push(Action::Signal { pid, signal: libc::SIGKILL });
                self.phase = Phase::Finishing { pid, kill_at: None };
            }
            (Phase::Down { next_start: Some(at) }, Event::Timer) if now.mono >= at => {
                self.phase = Phase::Down { next_start: None };
                if self.want != Want::Down {
                    self.phase = Phase::Starting;
                    out.push(Action::Spawn);
                }
            }
            (Phase::Running { ready: false, .. }, Event::Ready) if !self.config.oneshot => {
                self.became_ready(now, out);
                // Watching starts with the first check an interval later.
                self.checker.schedule(now.mono + self.config.check_interval);
            }
            (Phase::Running { pid, since, ready, kill_at: None }, Event::WatchdogTimeout) if !self.paused => {
                out.push(Action::Signal { pid, signal: libc::SIGABRT });
                out.push(Action::Signal { pid, signal: libc::SIGCONT });
                self.paused = false;
                self.stop_asked = true;
                self.sweep = true;
                // No check runs while it is aborted.
                self.checker.stopping = true;
                let kill_at = Some(now.mono + self.config.timeout_kill.unwrap_or(UNHEALTHY_KILL_AFTER));
                self.phase = Phase::Running { pid, since, ready, kill_at };
                self.announce(now, out);
            }
            (_, Event::ClockStep { by_ns }) if by_ns < 0 => self.stepped_back(now, by_ns.unsigned_abs(), out),
            (_, Event::Wake) => {
                let moved = self.written_offset.map(|o| (now.offset() - o).unsigned_abs());
                if moved.is_some_and(|m| m >= WALL_DRIFT.as_nanos()) {
                    self.announce(now, out);
                }
            }
            // Children that are not ours (reaped and forgotten), early timers,
            // repeated readiness, answers that come in no waiting phase.
            // Forward steps only move the stamp (Wake).
            (
                _,
                Event::ChildExited { .. }
                | Event::Timer
                | Event::Ready
                | Event::Spawned(_)
                | Event::SpawnFailed
                | Event::Blocked
                | Event::Retry
                | Event::Swept
                | Event::WatchdogTimeout
                | Event::ClockStep { .. },
            ) => {}
        }
    }

    fn command(&mut self, now: Now, c: Command, out: &mut Actions) {
        match c {
            Command::Up | Command::Once => {
                self.want = if c == Command::Up { Want::Up } else { Want::Once };
                self.announce(now, out);
                if let Phase::Down { next_start: None } = self.phase {
                    self.start_when_allowed(now, out);
                }
            }
            Command::Down => {
                self.want = Want::Down;
                self.waiting = false;
                match self.phase {
                    Phase::Down { .. } => self.phase = Phase::Down { next_start: None },
                    Phase::Running { pid, .. } => self.send_down_signal(now, pid, None, out),
                    _ => {}
                }
                self.announce(now, out);
            }
            Command::Pause => {
                self.paused = true;
                self.announce(now, out);
                if let Phase::Running { pid, .. } = self.phase {
                    out.push(Action::Signal { pid, signal: libc::SIGSTOP });
                }
            }
            Command::Continue => {
                self.paused = false;
                self.checker.schedule(now.mono);
                self.announce(now, out);
                if let Phase::Running { pid, .. } = self.phase {
                    out.push(Action::Signal { pid, signal: libc::SIGCONT });
                }
            }
            Command::Exit => {
                self.exit_requested = true;
                self.announce(now, out);
                if let Phase::Down { .. } = self.phase {
                    self.phase = Phase::Down { next_start: None };
                    out.push(Action::Exit);
                }
            }
            Command::OnceAtMost => {
                self.want = Want::Once;
                self.waiting = false;
                if let Phase::Down { .. } = self.phase {
                    self.phase = Phase::Down { next_start: None };
                }
                self.announce(now, out);
            }
            Command::Restart => {
                if let Phase::Running { pid, .. } = self.phase {
                    self.stop_asked = true;
                    out.push(Action::Signal { pid, signal: self.config.down_signal });
                }
            }
            Command::Signal(signal) => {
                // `svc -t` and `-k` make the service die to be restarted.
                let killing = [libc::SIGTERM, libc::SIGKILL, self.config.down_signal].contains(&signal);
                if killing && matches!(self.phase, Phase::Running { .. }) {
                    self.stop_asked = true;
                    // `svc -k` kills the whole service; `-t` lets a
                    // server's children finish (tcpserver's connections).
                    self.sweep |= signal == libc::SIGKILL;
                }
                if let Some(pid) = self.pid() {
                    out.push(Action::Signal { pid, signal });
                }
            }
        }
    }

    /// The down signal, then SIGCONT (a stopped process could not act on it),
    /// and the SIGKILL deadline if `timeout-kill` asks for one (else after
    /// `grace`, if given).
    fn send_down_signal(&mut self, now: Now, pid: u32, grace: Option<Duration>, out: &mut Actions) {
        out.push(Action::Signal { pid, signal: self.config.down_signal });
        out.push(Action::Signal { pid, signal: libc::SIGCONT });
        self.paused = false;
        self.got_term = true;
        self.stop_asked = true;
        self.sweep = true;
        if let Phase::Running { pid, since, ready, kill_at } = self.phase {
            let kill_at = kill_at.or(self.config.timeout_kill.or(grace).map(|t| now.mono + t));
            self.phase = Phase::Running { pid, since, ready, kill_at };
        }
    }

    /// Records a backward step of `back_ns`; restarts a running service that
    /// is wanted up when the step reaches `clock-step-restart` (as `svc -d`
    /// stops it, with `timeout-kill`, and `want up` starts it again).
    fn stepped_back(&mut self, now: Now, back_ns: u64, out: &mut Actions) {
        let back_ms = u32::try_from(back_ns / 1_000_000).unwrap_or(u32::MAX);
        self.last_clock_step = Some(ClockStep { at_unix: now.wall.as_secs(), back_ms });
        let reached = self.config.clock_step_restart.is_some_and(|t| u128::from(back_ns) >= t.as_nanos());
        match self.phase {
            Phase::Running { pid, kill_at: None, .. } if reached && self.want == Want::Up && !self.got_term => {
                self.send_down_signal(now, pid, None, out);
            }
            _ => {}
        }
        self.announce(now, out);
    }

    fn became_ready(&mut self, now: Now, out: &mut Actions) {
        if let Phase::Running { pid, since, kill_at, .. } = self.phase {
            self.phase = Phase::Running { pid, since, ready: true, kill_at };
            self.ready_at = Some(now.mono);
            self.announce(now, out);
        }
    }

    /// What the checks are doing: None without a `check`.
    fn check_phase(&self) -> Option<CheckPhase> {
        let c = &self.config;
        let running = !self.got_term && !self.paused && !self.checker.stopping;
        self.checks_configured().then_some(match self.phase {
            Phase::Running { ready: false, .. } if running && c.notification_fd.is_none() => CheckPhase::Starting,
            Phase::Running { ready: true, .. } if running && c.check_failures.is_some() => CheckPhase::Watching,
            _ => CheckPhase::Idle,
        })
    }

    /// Up alone does not make it ready: it says when it is (its dependents
    /// wait for that).
    fn declares_readiness(&self) -> bool {
        let c = &self.config;
        c.oneshot || c.check || c.notify_socket || c.notification_fd.is_some()
    }

    /// A `check` that runs: a one-shot job's readiness is its exit.
    fn checks_configured(&self) -> bool {
        self.config.check && !self.config.oneshot
    }

    fn checks_run(&self) -> bool {
        matches!(self.check_phase(), Some(CheckPhase::Starting | CheckPhase::Watching))
    }

    /// A check's time-out, or the next check's start.
    fn check_timer(&mut self, now: Now, out: &mut Actions) {
        match self.checker.due(now.mono) {
            Due::Kill(pid) => out.push(Action::KillCheck { pid }),
            Due::Start if self.checks_run() => out.push(Action::SpawnCheck),
            Due::Start | Due::Nothing => {}
        }
    }

    /// A check ended: while starting, a pass makes the service ready; once
    /// watching, `check-failures` failures in a row restart it (the down
    /// signal, SIGKILL after `timeout-kill` or [`UNHEALTHY_KILL_AFTER`], the
    /// whole service swept, then started again as it is wanted up).
    fn check_ended(&mut self, now: Now, wstatus: i32, out: &mut Actions) {
        let phase = self.check_phase();
        let before = (self.checker.last, self.checker.failures);
        let result = self.checker.ended(wstatus, now.mono, self.config.check_interval);
        let failed_enough = self.config.check_failures.is_some_and(|n| self.checker.failures >= n);
        match (phase, self.phase) {
            (Some(CheckPhase::Starting), _) if result == CheckResult::Code(0) => self.became_ready(now, out),
            (Some(CheckPhase::Watching), Phase::Running { pid, .. }) if failed_enough => {
                self.checker.stopping = true;
                self.send_down_signal(now, pid, Some(UNHEALTHY_KILL_AFTER), out);
                self.announce(now, out);
            }
            _ if before != (self.checker.last, self.checker.failures) => self.announce(now, out),
            _ => {}
        }
    }

    /// The main process exited (and what was left of the service is gone):
    /// `finish`, or down.
    fn main_down(&mut self, now: Now, wstatus: i32, out: &mut Actions) {
        if self.config.finish {
            let (code, signal) = finish_args(wstatus);
            self.phase = Phase::StartingFinish;
            out.push(Action::SpawnFinish { code, signal });
        } else {
            self.after_down(now, false, out);
        }
    }

    /// The service (and its finish script) is down.
    fn after_down(&mut self, now: Now, permanent: bool, out: &mut Actions) {
        self.changed = now.mono;
        // A run that said it was ready was a healthy one (the backoff resets).
        let was_ready = self.ready_at.take().is_some();
        self.phase = Phase::Down { next_start: None };
        if permanent {
            self.want = Want::Down;
        }
        // A one-shot job that exited 0 is done: ready (dependents may
        // start), down, and not started again until `svc -u` asks.
        self.done = self.config.oneshot && self.last_exit == Some(LastExit::Code(0));
        if self.done {
            self.want = Want::Down;
            self.ready_at = Some(now.mono);
        }
        if let Some(code) = self.essential_end.take() {
            self.want = Want::Down;
            self.announce(now, out);
            out.push(Action::EssentialEnded { code });
            out.push(Action::Exit);
            return;
        }
        if self.exit_requested {
            self.announce(now, out);
            out.push(Action::Exit);
            return;
        }
        self.earliest_start = self.next_allowed_start(now, was_ready || self.done);
        if self.want == Want::Up && self.earliest_start <= now.mono {
            // Restart at once; the start's status write records the death too.
            self.phase = Phase::Starting;
            out.push(Action::Spawn);
            return;
        }
        self.announce(now, out);
        if self.want == Want::Up {
            self.phase = Phase::Down { next_start: Some(self.earliest_start) };
        }
    }

    /// The restart policy: at once after a healthy run, else one second after
    /// the last start (a one-shot job's failure: after its end); with
    /// `backoff-max`, failures double the delay up to it; a run that was
    /// `ready` resets them.
    fn next_allowed_start(&mut self, now: Now, ready: bool) -> Duration {
        let rate_limit = self.last_start.map_or(now.mono, |s| s + SECOND);
        match self.config.backoff_max {
            // A job that failed is tried again a second after it ended.
            None if self.config.oneshot && !self.last_run_healthy => now.mono + SECOND,
            None if self.last_run_healthy => now.mono,
            None => rate_limit.max(now.mono),
            Some(cap) => {
                let lasted = self.last_start.map_or(Duration::ZERO, |s| now.mono.saturating_sub(s));
                let long_enough = !self.config.oneshot && lasted >= cap.max(SECOND);
                if ready || long_enough {
                    self.consecutive_failures = 0;
                    return now.mono;
                }
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                let exp = self.consecutive_failures.saturating_sub(1).min(31);
                let delay = SECOND.saturating_mul(1u32 << exp).min(cap).max(SECOND);
                (now.mono + delay).max(rate_limit)
            }
        }
    }

    fn start_when_allowed(&mut self, now: Now, out: &mut Actions) {
        if self.earliest_start <= now.mono {
            self.phase = Phase::Starting;
            out.push(Action::Spawn);
        } else {
            self.phase = Phase::Down { next_start: Some(self.earliest_start) };
        }
    }

    fn is_ready(&self) -> bool {
        self.done || matches!(self.phase, Phase::Running { ready: true, .. })
    }

    fn announce(&mut self, now: Now, out: &mut Actions) {
        self.written_offset = Some(now.offset());
        out.push(Action::WriteStatus(self.status(now)));
    }

    /// The status record as of `now`.
    pub fn status(&self, now: Now) -> Status {
        let (pid, state) = match self.phase {
            // Until the sweep is over, nothing says "down".
            Phase::Running { pid, .. } | Phase::Sweeping { pid, .. } => (pid, RunState::Run),
            Phase::Finishing { pid, .. } => (pid, RunState::Finish),
            _ => (0, RunState::Down),
        };
        Status {
            stamp: Label::from_wall(now.wall_at(self.changed)),
            pid,
            paused: self.paused && pid != 0,
            want: self.want,
            got_term: self.got_term && state == RunState::Run,
            state,
            extras: Some(Extras {
                ready: self.is_ready(),
                ready_stamp: self.ready_at.map_or(Label::default(), |r| Label::from_wall(now.wall_at(r))),
                last_exit: self.last_exit,
                restarts: self.starts.saturating_sub(1),
                last_clock_step: self.last_clock_step,
                check: self.check_phase().map(|phase| Check {
                    phase,
                    last: self.checker.last,
                    failures: self.checker.failures,
                    restarted: self.checker.restarted,
                }),
                oneshot: self.config.oneshot.then_some(self.done),
                declares_readiness: self.declares_readiness(),
                waiting: self.waiting,
            }),
        }
    }
}

fn last_exit(wstatus: i32) -> LastExit {
    if libc::WIFSIGNALED(wstatus) {
        LastExit::Signal(libc::WTERMSIG(wstatus) as u8)
    } else {
        LastExit::Code(libc::WEXITSTATUS(wstatus) as u8)
    }
}

/// A shell's `$?` for the service's end: its exit code, or 128 + the signal number.
fn exit_code(wstatus: i32) -> u8 {
    match last_exit(wstatus) {
        LastExit::Code(c) => c,
        LastExit::Signal(s) => 128u8.saturating_add(s),
    }
}

/// runit's arguments for finish: the exit code or -1, and the signal number.
fn finish_args(wstatus: i32) -> (i32, i32) {
    if libc::WIFSIGNALED(wstatus) {
        (-1, libc::WTERMSIG(wstatus))
    } else {
        (libc::WEXITSTATUS(wstatus), 0)
    }
}
