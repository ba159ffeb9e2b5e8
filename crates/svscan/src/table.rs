//! The scanner's table: which supervise processes should run, decided from
//! directory listings, child exits and the monotonic clock. No I/O: every
//! call returns [`Action`]s for the daemon loop to perform.
//!
//! Stopping a service escalates on deadlines, one slot (its supervise or its
//! logger's) at a time: `dx` (a logger: `x` once its service is down), then
//! for a logger that has not drained `d`, then `dxk` (SIGKILL to the
//! process; to the supervise itself if its control FIFO cannot be
//! written), then SIGKILL to a supervise that is still there [`GRACE`]
//! later. At shutdown a service gets `dxk` at the stop budget (its own
//! `timeout-kill` and [`GRACE`] where it has one); a service stopped because
//! its directory went away is left to its own `timeout-kill`, as before.

use std::ffi::{OsStr, OsString};
use std::time::Duration;

/// daemontools' table size: more services than this get a warning, not a supervise.
pub const MAX_SERVICES: usize = 1000;
/// A supervise is not started again sooner than this after its previous start.
pub const RESTART_GAP: Duration = Duration::from_secs(1);
/// A supervise that keeps exiting soon after it starts (a `log` that is a
/// file, a directory it cannot use) waits twice as long each time, up to
/// daemontools' scan period, so that a broken entry costs no more wakeups
/// than under daemontools.
pub const MAX_RESTART_GAP: Duration = Duration::from_secs(5);
/// The default stop budget: how long a service may take to stop at
/// shutdown before it is killed, and how long a logger may take to drain
/// once its service is down before it is told to stop.
pub const STOP_BUDGET: Duration = Duration::from_secs(5);
/// Between two escalation steps of one slot.
pub const GRACE: Duration = Duration::from_secs(1);
/// How often a directory whose lock a supervise svscan did not start holds
/// (an earlier svscan's) is looked at again while running...
pub const ADOPTED_RECHECK: Duration = MAX_RESTART_GAP;
/// ... and while that supervise is being stopped.
pub const ADOPTED_PROBE: Duration = Duration::from_millis(100);

/// A directory's identity: (device, inode). A renamed directory is the same service.
pub type Key = (u64, u64);

/// A service directory seen in one listing of the scan directory.
#[derive(Debug, Clone)]
pub struct Found {
    pub name: OsString,
    pub key: Key,
    /// Whether `NAME/log` exists; `None` if that could not be told (the
    /// lister has warned), which postpones a new service to a later scan.
    pub log: Option<bool>,
}

/// Which of a service's two supervise processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `supervise NAME`, run in the scan directory.
    Main,
    /// `supervise log`, run in the service directory.
    Log,
}

/// What the daemon loop must do. A `pid` of `None` is an adopted supervise
/// (one svscan did not start): only its control FIFO reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Start a supervise, unless a supervise svscan did not start holds the
    /// directory's lock; report the outcome with [`Table::spawned`],
    /// [`Table::spawn_failed`] or [`Table::adopted`].
    /// `logged` says that the service's pipe must exist first.
    Spawn { id: u64, role: Role, name: OsString, logged: bool },
    /// Stop the service and make its supervise exit (`svc -dx`): through
    /// `NAME/supervise/control` while `NAME` is still this directory, else SIGTERM.
    Stop { pid: Option<i32>, name: OsString, key: Key },
    /// Close both ends of the service's log pipe, so the logger reads to its end.
    ClosePipe { id: u64 },
    /// Make the log supervise exit once its logger exits (`svc -x`): through
    /// `NAME/log/supervise/control` while `NAME` is still this directory,
    /// else SIGHUP (which tend's supervise takes as `x`).
    ExitLog { pid: Option<i32>, name: OsString, key: Key },
    /// A logger that did not drain in time: `d` through
    /// `NAME/log/supervise/control`, else SIGTERM to its supervise.
    Terminate { pid: Option<i32>, name: OsString, key: Key },
    /// Kill now: `dxk` through the control FIFO of the supervise `role`,
    /// else SIGKILL to that supervise.
    Kill { pid: Option<i32>, name: OsString, key: Key, role: Role },
    /// SIGKILL to a supervise that did not exit after `k`.
    Force { pid: i32 },
    /// Is the adopted supervise `role` of service `id` still holding its
    /// lock? If not, report it with [`Table::released`].
    Probe { id: u64, role: Role, name: OsString, key: Key },
    /// The service is gone: drop whatever the loop keeps for it.
    Forget { id: u64 },
    /// daemontools' `unable to start NAME: running too many services`.
    TooMany { name: OsString },
}

/// An escalation step of a stopping slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// A service held at shutdown while its dependents stop: the budget
    /// is over, stop and kill it now.
    Release,
    Terminate,
    Kill,
    Force,
}

#[derive(Debug, Default)]
struct Slot {
    pid: Option<i32>,
    /// A supervise svscan did not start holds the directory's lock.
    adopted: bool,
    started: Option<Duration>,
    /// How long after `started` the next start may be.
    gap: Duration,
    /// While the service stops: the next escalation step and its moment.
    next: Option<(Duration, Step)>,
    /// While an adopted supervise stops: when to look at its lock again.
    probe_at: Option<Duration>,
}

impl Slot {
    /// Whether a supervise runs for this slot (svscan's own or adopted).
    fn up(&self) -> bool {
        self.pid.is_some() || self.adopted
    }

    /// When this slot may be started again.
    fn ready_at(&self) -> Duration {
        self.started.map_or(Duration::ZERO, |s| s + self.gap.max(RESTART_GAP))
    }

    /// Its supervise exited, or could not be started, at `now`: one that
    /// lasted less than [`MAX_RESTART_GAP`] doubles the gap.
    fn ended(&mut self, now: Duration) {
        self.pid = None;
        self.adopted = false;
        self.next = None;
        self.probe_at = None;
        let quick = self.started.is_some_and(|s| now < s + MAX_RESTART_GAP);
        self.gap = if quick { (self.gap * 2).clamp(RESTART_GAP, MAX_RESTART_GAP) } else { RESTART_GAP };
    }

    fn due(&self, now: Duration) -> bool {
        self.pid.is_none() && now >= self.ready_at()
    }

    /// Starts watching an adopted supervise that is being stopped.
    fn probe_from(&mut self, now: Duration) {
        if self.adopted {
            self.probe_at = Some(now + ADOPTED_PROBE);
        }
    }

    /// The earliest moment this slot needs the loop.
    fn deadline(&self) -> Option<Duration> {
        self.next.map(|n| n.0).into_iter().chain(self.probe_at).min()
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Phase {
    /// Supervised; dead supervise processes are restarted.
    Running,
    /// At shutdown: left up until the services that list it in their
    /// `dependencies` have stopped (or the budget is over).
    Held,
    /// Told to stop its service and exit; waiting for the main supervise to go.
    StoppingMain,
    /// The main supervise is gone and the pipe closed; the logger drains.
    Draining,
}

#[derive(Debug)]
struct Entry {
    id: u64,
    key: Key,
    name: OsString,
    /// Seen in the latest scan.
    active: bool,
    main: Slot,
    log: Option<Slot>,
    phase: Phase,
    /// The names its `dependencies` lists, read at shutdown.
    needs: Vec<OsString>,
}

impl Entry {
    fn idle(&self) -> bool {
        !self.main.up() && !self.log.as_ref().is_some_and(Slot::up)
    }

    fn slots(&mut self) -> impl Iterator<Item = (Role, &mut Slot)> {
        std::iter::once((Role::Main, &mut self.main)).chain(self.log.as_mut().map(|l| (Role::Log, l)))
    }
}

/// Every service svscan knows, and what it is doing with each.
#[derive(Debug)]
pub struct Table {
    entries: Vec<Entry>,
    next_id: u64,
    /// When the shutdown began.
    shutdown_at: Option<Duration>,
    /// See [`STOP_BUDGET`].
    budget: Duration,
    /// A scan was asked for (inotify, SIGALRM, SIGHUP) at this moment.
    scan_at: Option<Duration>,
    /// No scan before this moment (after a failed listing).
    hold_until: Duration,
    /// How long after the latest failed listing the next one may be; zero after a complete one.
    failed_gap: Duration,
}

impl Default for Table {
    fn default() -> Table {
        Table::new()
    }
}

impl Table {
    /// A table with the default [`STOP_BUDGET`].
    pub fn new() -> Table {
        Table::with_budget(STOP_BUDGET)
    }

    /// A table whose services get `budget` to stop (see [`STOP_BUDGET`]).
    pub fn with_budget(budget: Duration) -> Table {
        Table {
            entries: Vec::new(),
            next_id: 0,
            shutdown_at: None,
            budget,
            scan_at: None,
            hold_until: Duration::ZERO,
            failed_gap: Duration::ZERO,
        }
    }

    /// How many services are in the table (running or on their way out).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether the directory `key` is in the table (its `log` was checked when it came).
    pub fn knows(&self, key: Key) -> bool {
        self.entries.iter().any(|e| e.key == key)
    }

    fn shutting_down(&self) -> bool {
        self.shutdown_at.is_some()
    }

    /// Asks for a scan at `at` (an earlier request wins).
    pub fn request_scan(&mut self, at: Duration) {
        if !self.shutting_down() {
            self.scan_at = Some(self.scan_at.map_or(at, |s| s.min(at)));
        }
    }

    /// The listing failed: try again a second later, then twice as long
    /// after each further failure, up to [`MAX_RESTART_GAP`].
    pub fn scan_failed(&mut self, now: Duration) {
        self.failed_gap = (self.failed_gap * 2).clamp(RESTART_GAP, MAX_RESTART_GAP);
        self.hold_until = now + self.failed_gap;
        self.scan_at = Some(self.hold_until);
    }

    /// Whether the loop should list the directory and call [`Table::scan`] now.
    pub fn scan_due(&self, now: Duration) -> bool {
        !self.shutting_down() && now >= self.hold_until && self.next_scan().is_some_and(|t| now >= t)
    }

    /// The earliest moment a scan is wanted: asked for, or a supervise to
    /// restart (or an adopted one to look at again).
    fn next_scan(&self) -> Option<Duration> {
        let restarts = self
            .entries
            .iter()
            .filter(|e| e.phase == Phase::Running && e.active)
            .flat_map(|e| std::iter::once(&e.main).chain(e.log.as_ref()))
            .filter(|s| s.pid.is_none())
            .map(Slot::ready_at);
        restarts.chain(self.scan_at).min().map(|t| t.max(self.hold_until))
    }

    /// When the loop must wake up even if nothing happens; `None` when idle.
    pub fn deadline(&self) -> Option<Duration> {
        let stops = self
            .entries
            .iter()
            .filter(|e| e.phase != Phase::Running)
            .flat_map(|e| std::iter::once(&e.main).chain(e.log.as_ref()))
            .filter_map(Slot::deadline);
        let scan = if self.shutting_down() { None } else { self.next_scan() };
        stops.chain(scan).min()
    }

    /// Takes a complete listing of the scan directory: new directories get
    /// a supervise (and a logger), vanished ones are stopped, dead supervise
    /// processes are restarted once their gap is over.
    pub fn scan(&mut self, found: Vec<Found>, now: Duration) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.shutting_down() {
            return actions;
        }
        self.scan_at = None;
        self.failed_gap = Duration::ZERO;
        for e in &mut self.entries {
            e.active = false;
        }
        for f in found {
            if let Some(e) = self.entries.iter_mut().find(|e| e.key == f.key) {
                // Two names for one directory (symlinks): the first listed
                // wins, as in daemontools.
                if e.phase == Phase::Running && !e.active {
                    e.active = true;
                    e.name = f.name;
                }
                continue;
            }
            if self.entries.len() >= MAX_SERVICES {
                actions.push(Action::TooMany { name: f.name });
                continue;
            }
            let Some(log) = f.log else { continue };
            self.next_id += 1;
            self.entries.push(Entry {
                id: self.next_id,
                key: f.key,
                name: f.name,
                active: true,
                main: Slot::default(),
                log: log.then(Slot::default),
                phase: Phase::Running,
                needs: Vec::new(),
            });
        }
        let drain_until = now + self.budget;
        let mut i = 0;
        while i < self.entries.len() {
            let e = &mut self.entries[i];
            if e.phase == Phase::Running && !e.active {
                if e.idle() {
                    actions.push(Action::Forget { id: e.id });
                    self.entries.swap_remove(i);
                    continue;
                }
                retire(e, now, None, drain_until, &mut actions);
            } else if e.phase == Phase::Running {
                let logged = e.log.is_some();
                if e.main.due(now) {
                    actions.push(Action::Spawn { id: e.id, role: Role::Main, name: e.name.clone(), logged });
                }
                if e.log.as_ref().is_some_and(|l| l.due(now)) {
                    actions.push(Action::Spawn { id: e.id, role: Role::Log, name: e.name.clone(), logged });
                }
            }
            i += 1;
        }
        actions
    }

    /// A supervise was started. If it is a service's own supervise while
    /// its logger is still an adopted one, reading the earlier svscan's
    /// pipe, that logger is told to exit once its pipe ends (`x`), so that
    /// svscan's own takes over the new pipe.
    pub fn spawned(&mut self, id: u64, role: Role, pid: i32, now: Duration) -> Vec<Action> {
        let Some(e) = self.entries.iter_mut().find(|e| e.id == id) else { return Vec::new() };
        let slot = match role {
            Role::Main => &mut e.main,
            Role::Log => match e.log.as_mut() {
                Some(log) => log,
                None => return Vec::new(),
            },
        };
        slot.pid = Some(pid);
        slot.adopted = false;
        slot.started = Some(now);
        match &e.log {
            Some(log) if role == Role::Main && log.adopted => {
                vec![Action::ExitLog { pid: None, name: e.name.clone(), key: e.key }]
            }
            _ => Vec::new(),
        }
    }

    /// A supervise could not be started (the loop has warned): retry after the gap.
    pub fn spawn_failed(&mut self, id: u64, role: Role, now: Duration) {
        if let Some(slot) = self.slot(id, role) {
            slot.started = Some(now);
            slot.ended(now);
        }
    }

    /// Instead of starting a supervise, the loop found one svscan did not
    /// start holding the directory's lock (svscan was restarted): it is
    /// left running and looked at again after [`ADOPTED_RECHECK`]. Returns
    /// whether it is newly adopted (to be named in svscan's log).
    pub fn adopted(&mut self, id: u64, role: Role, now: Duration) -> bool {
        let Some(slot) = self.slot(id, role) else { return false };
        let new = !slot.adopted;
        slot.adopted = true;
        slot.started = Some(now);
        slot.gap = ADOPTED_RECHECK;
        new
    }

    fn slot(&mut self, id: u64, role: Role) -> Option<&mut Slot> {
        let e = self.entries.iter_mut().find(|e| e.id == id)?;
        match role {
            Role::Main => Some(&mut e.main),
            Role::Log => e.log.as_mut(),
        }
    }

    /// The name of service `id`, while it is in the table.
    pub fn name(&self, id: u64) -> Option<&OsStr> {
        self.entries.iter().find(|e| e.id == id).map(|e| e.name.as_os_str())
    }

    /// The service directory (name and identity) and role of supervise `pid`.
    pub fn service_of(&self, pid: i32) -> Option<(OsString, Key, Role)> {
        self.entries.iter().find_map(|e| {
            let role = if e.main.pid == Some(pid) {
                Role::Main
            } else if e.log.as_ref().is_some_and(|l| l.pid == Some(pid)) {
                Role::Log
            } else {
                return None;
            };
            Some((e.name.clone(), e.key, role))
        })
    }

    /// A child was reaped. Children that are not ours (orphans reparented to
    /// PID 1 or a subreaper) are ignored.
    pub fn exited(&mut self, pid: i32, now: Duration) -> Vec<Action> {
        let found = self.entries.iter().enumerate().find_map(|(i, e)| {
            if e.main.pid == Some(pid) {
                Some((i, Role::Main))
            } else {
                e.log.as_ref().is_some_and(|l| l.pid == Some(pid)).then_some((i, Role::Log))
            }
        });
        match found {
            Some((i, role)) => self.ended(i, role, now),
            None => Vec::new(),
        }
    }

    /// An adopted supervise no longer holds its lock: it has exited.
    pub fn released(&mut self, id: u64, role: Role, now: Duration) -> Vec<Action> {
        let found = self.entries.iter().position(|e| {
            e.id == id
                && match role {
                    Role::Main => e.main.adopted,
                    Role::Log => e.log.as_ref().is_some_and(|l| l.adopted),
                }
        });
        match found {
            Some(i) => self.ended(i, role, now),
            None => Vec::new(),
        }
    }

    /// The supervise `role` of entry `i` is gone.
    fn ended(&mut self, i: usize, role: Role, now: Duration) -> Vec<Action> {
        let mut actions = Vec::new();
        let drain_until = self.drain_until(now);
        let e = &mut self.entries[i];
        match role {
            Role::Main => {
                e.main.ended(now);
                if matches!(e.phase, Phase::StoppingMain | Phase::Held) {
                    drain(e, drain_until, &mut actions);
                }
            }
            Role::Log => {
                if let Some(log) = e.log.as_mut() {
                    log.ended(now);
                }
            }
        }
        if e.phase != Phase::Running && e.idle() {
            actions.push(Action::Forget { id: e.id });
            self.entries.swap_remove(i);
            // The directory may be back under the same identity: look again.
            self.request_scan(now);
        }
        if self.shutting_down() {
            self.release(now, &mut actions);
        }
        actions
    }

    /// When a logger whose service is down at `now` is told to stop: a
    /// budget after its service went down, or at shutdown a budget after the
    /// shutdown began, but never sooner than [`GRACE`] after its service
    /// went down.
    fn drain_until(&self, now: Duration) -> Duration {
        match self.shutdown_at {
            Some(t) => (t + self.budget).max(now + GRACE),
            None => now + self.budget,
        }
    }

    /// Deadlines that passed: escalation steps of stopping services, and
    /// looks at the locks of adopted supervise processes being stopped.
    pub fn tick(&mut self, now: Duration) -> Vec<Action> {
        let mut actions = Vec::new();
        for e in &mut self.entries {
            if e.phase == Phase::Running {
                continue;
            }
            let (id, name, key) = (e.id, e.name.clone(), e.key);
            let mut released = false;
            for (role, slot) in e.slots() {
                if let Some((at, step)) = slot.next {
                    if now >= at {
                        slot.next = escalate(slot.pid, step, now);
                        let (name, pid) = (name.clone(), slot.pid);
                        if step == Step::Release {
                            // The budget is over: stop it, and kill it now.
                            released = true;
                            actions.push(Action::Stop { pid, name: name.clone(), key });
                        }
                        actions.extend(match (step, pid) {
                            (Step::Release | Step::Kill, _) => Some(Action::Kill { pid, name, key, role }),
                            (Step::Terminate, _) => Some(Action::Terminate { pid, name, key }),
                            (Step::Force, Some(pid)) => Some(Action::Force { pid }),
                            (Step::Force, None) => None,
                        });
                    }
                }
                if slot.adopted && slot.probe_at.is_some_and(|t| now >= t) {
                    slot.probe_at = Some(now + ADOPTED_PROBE);
                    actions.push(Action::Probe { id, role, name: name.clone(), key });
                }
            }
            if released {
                e.phase = Phase::StoppingMain;
            }
        }
        actions
    }

    /// SIGTERM, SIGINT or SIGPWR: tell every service to stop, let the
    /// loggers drain, escalate after the budget (or after the service's
    /// own `timeout-kill` and [`GRACE`], as `own_timeout_kill` reads it for
    /// a directory), then [`Table::finished`] turns true. A service that
    /// others list in their `dependencies` (as `needs` reads them) is held
    /// until they have stopped: dependents stop first, all within the
    /// budget. A further signal kills every service and logger still up at
    /// once.
    pub fn shutdown(
        &mut self,
        now: Duration,
        mut own_timeout_kill: impl FnMut(&OsStr, Key) -> Option<Duration>,
        mut needs: impl FnMut(&OsStr, Key) -> Vec<OsString>,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.shutting_down() {
            self.kill_all(now, &mut actions);
            return actions;
        }
        self.shutdown_at = Some(now);
        self.scan_at = None;
        let drain_until = self.drain_until(now);
        for e in &mut self.entries {
            e.needs = needs(&e.name, e.key);
        }
        let needed = self.needed();
        let mut i = 0;
        while i < self.entries.len() {
            let e = &mut self.entries[i];
            let budget = self.budget;
            let mut kill_at = || now + own_timeout_kill(&e.name, e.key).map_or(budget, |t| t + GRACE);
            match e.phase {
                Phase::Running if e.main.up() && needed.contains(&e.id) => {
                    e.phase = Phase::Held;
                    e.main.next = Some((kill_at(), Step::Release));
                }
                Phase::Running => {
                    let at = kill_at();
                    retire(e, now, Some(at), drain_until, &mut actions);
                }
                // Stopping since its directory went away: now within the budget too.
                Phase::StoppingMain if e.main.next.is_none() => e.main.next = Some((kill_at(), Step::Kill)),
                _ => {}
            }
            if e.idle() {
                actions.push(Action::Forget { id: e.id });
                self.entries.swap_remove(i);
                continue;
            }
            i += 1;
        }
        self.release(now, &mut actions);
        actions
    }

    /// The entries that a service still up (or held) lists in its
    /// `dependencies`, itself aside.
    fn needed(&self) -> Vec<u64> {
        let up = self.entries.iter().filter(|d| matches!(d.phase, Phase::Running | Phase::Held | Phase::StoppingMain));
        let up: Vec<&Entry> = up.filter(|d| d.main.up()).collect();
        let listed = |e: &Entry| up.iter().any(|d| d.id != e.id && d.needs.contains(&e.name));
        self.entries.iter().filter(|e| listed(e)).map(|e| e.id).collect()
    }

    /// Stops the held services no dependent waits for any more; when
    /// nothing stops but services are held (they need each other: a
    /// cycle), all of them.
    fn release(&mut self, now: Duration, actions: &mut Vec<Action>) {
        if !self.entries.iter().any(|e| e.phase == Phase::Held) {
            return;
        }
        let needed = self.needed();
        let drain_until = self.drain_until(now);
        for all in [false, true] {
            if all && self.entries.iter().any(|e| e.phase == Phase::StoppingMain && e.main.up()) {
                return;
            }
            for e in &mut self.entries {
                if e.phase == Phase::Held && (all || !needed.contains(&e.id)) {
                    let kill_at = e.main.next.map(|(t, _)| t);
                    retire(e, now, kill_at, drain_until, actions);
                }
            }
        }
    }

    /// `dxk` to every supervise still up, SIGKILL to it [`GRACE`] later.
    fn kill_all(&mut self, now: Duration, actions: &mut Vec<Action>) {
        for e in &mut self.entries {
            if e.phase == Phase::Held {
                e.phase = Phase::StoppingMain;
            }
            let (name, key) = (e.name.clone(), e.key);
            for (role, slot) in e.slots() {
                if slot.up() {
                    actions.push(Action::Kill { pid: slot.pid, name: name.clone(), key, role });
                    slot.next = escalate(slot.pid, Step::Kill, now);
                }
            }
        }
    }

    /// Shut down and every supervise gone: svscan may exit.
    pub fn finished(&self) -> bool {
        self.shutting_down() && self.entries.is_empty()
    }
}

/// The step after `step` taken at `now`: SIGKILL to a supervise svscan
/// started is the last one.
fn escalate(pid: Option<i32>, step: Step, now: Duration) -> Option<(Duration, Step)> {
    match step {
        Step::Terminate => Some((now + GRACE, Step::Kill)),
        Step::Release | Step::Kill => pid.map(|_| (now + GRACE, Step::Force)),
        Step::Force => None,
    }
}

/// Starts taking a service down: its main supervise first, killed at
/// `kill_at` if given; its logger is told to stop at `drain_until` if its
/// service is down already.
fn retire(e: &mut Entry, now: Duration, kill_at: Option<Duration>, drain_until: Duration, actions: &mut Vec<Action>) {
    e.phase = Phase::StoppingMain;
    for (_, slot) in e.slots() {
        slot.probe_from(now);
    }
    if e.main.up() {
        actions.push(Action::Stop { pid: e.main.pid, name: e.name.clone(), key: e.key });
        e.main.next = kill_at.map(|t| (t, Step::Kill));
    } else {
        drain(e, drain_until, actions);
    }
}

/// The main supervise is gone: close the pipe so the logger reads to its end,
/// and tell its supervise to exit when the logger does; at `until` it is
/// told to stop.
fn drain(e: &mut Entry, until: Duration, actions: &mut Vec<Action>) {
    if let Some(log) = &mut e.log {
        actions.push(Action::ClosePipe { id: e.id });
        if log.up() {
            actions.push(Action::ExitLog { pid: log.pid, name: e.name.clone(), key: e.key });
            log.next = log.next.or(Some((until, Step::Terminate)));
        }
    }
    e.phase = Phase::Draining;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn no_timeout_kill(_: &OsStr, _: Key) -> Option<Duration> {
        None
    }

    fn no_needs(_: &OsStr, _: Key) -> Vec<OsString> {
        Vec::new()
    }

    fn found(name: &str, ino: u64, log: bool) -> Found {
        Found { name: name.into(), key: (1, ino), log: Some(log) }
    }

    /// Performs the spawns of `actions` with pids from `next_pid`, returns the other actions.
    fn spawn_all(t: &mut Table, actions: Vec<Action>, next_pid: &mut i32, now: Duration) -> Vec<Action> {
        let mut rest = Vec::new();
        for a in actions {
            match a {
                Action::Spawn { id, role, .. } => {
                    *next_pid += 1;
                    t.spawned(id, role, *next_pid, now);
                }
                other => rest.push(other),
            }
        }
        rest
    }

    fn spawns(actions: &[Action]) -> Vec<(String, Role)> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Spawn { name, role, .. } => Some((name.to_string_lossy().into_owned(), *role)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_new_directory_gets_a_supervise_and_its_log_another() {
        let mut t = Table::new();
        let a = t.scan(vec![found("a", 1, false), found("b", 2, true)], secs(0.0));
        assert_eq!(spawns(&a), [("a".into(), Role::Main), ("b".into(), Role::Main), ("b".into(), Role::Log)]);
        assert!(matches!(a[1], Action::Spawn { logged: true, .. }));
    }

    #[test]
    fn an_idle_tree_has_no_deadline() {
        let mut t = Table::new();
        let mut pid = 100;
        let a = t.scan(vec![found("a", 1, true)], secs(0.0));
        assert!(spawn_all(&mut t, a, &mut pid, secs(0.0)).is_empty());
        assert_eq!(t.deadline(), None);
        assert!(!t.scan_due(secs(3600.0)));
    }

    #[test]
    fn of_two_names_for_one_directory_the_first_listed_is_used() {
        let mut t = Table::new();
        let mut pid = 100;
        let a = t.scan(vec![found("zzz", 1, false), found("aaa", 1, false)], secs(0.0));
        assert_eq!(spawns(&a), [("zzz".into(), Role::Main)]);
        spawn_all(&mut t, a, &mut pid, secs(0.0));
        assert!(t.scan(vec![found("zzz", 1, false), found("aaa", 1, false)], secs(10.0)).is_empty());
    }

    #[test]
    fn a_rename_keeps_the_service() {
        let mut t = Table::new();
        let mut pid = 100;
        let a = t.scan(vec![found("a", 1, false)], secs(0.0));
        spawn_all(&mut t, a, &mut pid, secs(0.0));
        let a = t.scan(vec![found("renamed", 1, false)], secs(10.0));
        assert!(a.is_empty(), "{a:?}");
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn a_dead_supervise_restarts_at_most_once_a_second() {
        let mut t = Table::new();
        let mut pid = 100;
        let a = t.scan(vec![found("a", 1, false)], secs(0.0));
        spawn_all(&mut t, a, &mut pid, secs(0.0));
        assert!(t.exited(101, secs(0.2)).is_empty());
        assert_eq!(t.deadline(), Some(secs(1.0)));
        assert!(!t.scan_due(secs(0.5)));
        assert!(spawns(&t.scan(vec![found("a", 1, false)], secs(0.5))).is_empty());
        assert!(t.scan_due(secs(1.0)));
        let a = t.scan(vec![found("a", 1, false)], secs(1.0));
        assert_eq!(spawns(&a), [("a".into(), Role::Main)]);
        spawn_all(&mut t, a, &mut pid, secs(1.0));
        // One that ran for a long time comes back at once.
        t.exited(102, secs(100.0));
        assert!(t.scan_due(secs(100.0)));
    }

    #[test]
    fn a_supervise_that_keeps_exiting_at_once_waits_longer_each_time_up_to_five_seconds() {
        let mut t = Table::new();
        let mut pid = 100;
        let mut now = secs(0.0);
        let a = t.scan(vec![found("a", 1, true)], now);
        spawn_all(&mut t, a, &mut pid, now);
        // Only the logger keeps dying (a `log` that is a file).
        let mut gaps = Vec::new();
        for _ in 0..6 {
            t.exited(pid, now + secs(0.1));
            let at = t.deadline().unwrap();
            gaps.push((at - now).as_secs_f64());
            now = at;
            let a = t.scan(vec![found("a", 1, true)], now);
            assert_eq!(spawns(&a), [("a".into(), Role::Log)]);
            spawn_all(&mut t, a, &mut pid, now);
        }
        assert_eq!(gaps, [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]);
        // Once it stays up longer than that, the next restart is at once again.
        t.exited(pid, now + secs(60.0));
        assert_eq!(t.deadline(), Some(now + secs(1.0)));
    }

    #[test]
    fn a_failed_spawn_is_retried_after_the_gap() {
        let mut t = Table::new();
        let a = t.scan(vec![found("a", 1, false)], secs(0.0));
        let Action::Spawn { id, role, .. } = a[0] else { panic!() };
        t.spawn_failed(id, role, secs(0.0));
        assert_eq!(t.deadline(), Some(secs(1.0)));
    }

    #[test]
    fn spawns_that_keep_failing_back_off_to_five_seconds_per_service() {
        let mut t = Table::new();
        let mut now = secs(0.0);
        let mut a = t.scan(vec![found("a", 1, true)], now);
        let mut gaps = Vec::new();
        for _ in 0..6 {
            // Out of descriptors: neither the service nor its logger starts.
            assert_eq!(spawns(&a), [("a".into(), Role::Main), ("a".into(), Role::Log)]);
            for s in &a {
                if let Action::Spawn { id, role, .. } = s {
                    t.spawn_failed(*id, *role, now);
                }
            }
            let at = t.deadline().unwrap();
            gaps.push((at - now).as_secs_f64());
            now = at;
            a = t.scan(vec![found("a", 1, true)], now);
        }
        assert_eq!(gaps, [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]);
    }

    #[test]
    fn a_removed_directory_is_stopped_then_its_logger_drains_then_it_is_forgotten() {
        let mut t = Table::new();
        let mut pid = 100;
        let a = t.scan(vec![found("a", 1, true), found("b", 2, false)], secs(0.0));
        spawn_all(&mut t, a, &mut pid, secs(0.0));
        let a = t.scan(vec![found("b", 2, false)], secs(5.0));
        assert_eq!(a, [Action::Stop { pid: Some(101), name: "a".into(), key: (1, 1) }]);
        // Its supervise is not restarted while it stops.
        assert!(spawns(&t.scan(vec![found("b", 2, false)], secs(7.0))).is_empty());
        let a = t.exited(101, secs(8.0));
        assert_eq!(a, [Action::ClosePipe { id: 1 }, Action::ExitLog { pid: Some(102), name: "a".into(), key: (1, 1) }]);
        assert_eq!(t.deadline(), Some(secs(8.0) + STOP_BUDGET));
        let a = t.exited(102, secs(8.5));
        assert_eq!(a, [Action::Forget { id: 1 }]);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn a_directory_back_while_its_service_stops_is_started_again_once_stopped() {
        let mut t = Table::new();
        let mut pid = 100;
        let a = t.scan(vec![found("a", 1, false)], secs(0.0));
        spawn_all(&mut t, a, &mut pid, secs(0.0));
        assert!(matches!(t.scan(vec![], secs(5.0))[..], [Action::Stop { pid: Some(101), .. }]));
        assert!(t.scan(vec![found("a", 1, false)], secs(5.5)).is_empty(), "not while it stops");
        assert_eq!(t.exited(101, secs(6.0)), [Action::Forget { id: 1 }]);
        assert!(t.scan_due(secs(6.0)), "a rescan is asked for");
        assert_eq!(spawns(&t.scan(vec![found("a", 1, false)], secs(6.0))), [("a".into(), Role::Main)]);
    }

    #[test]
    fn a_logger_that_does_not_drain_is_told_to_stop_then_killed_then_its_supervise_too() {
        let mut t = Table::new();
        let mut pid = 100;
        let a = t.scan(vec![found("a", 1, true)], secs(0.0));
        spawn_all(&mut t, a, &mut pid, secs(0.0));
        t.scan(vec![], secs(1.0));
        t.exited(101, secs(2.0));
        let (name, key) = (OsString::from("a"), (1, 1));
        assert!(t.tick(secs(2.0) + STOP_BUDGET / 2).is_empty());
        let at = secs(2.0) + STOP_BUDGET;
        assert_eq!(t.tick(at), [Action::Terminate { pid: Some(102), name: name.clone(), key }]);
        assert!(t.tick(at + GRACE / 2).is_empty());
        assert_eq!(t.deadline(), Some(at + GRACE));
        assert_eq!(t.tick(at + GRACE), [Action::Kill { pid: Some(102), name, key, role: Role::Log }]);
        assert_eq!(t.tick(at + GRACE * 2), [Action::Force { pid: 102 }]);
        assert!(t.tick(secs(60.0)).is_empty());
        assert_eq!(t.deadline(), None);
        assert_eq!(t.exited(102, secs(61.0)), [Action::Forget { id: 1 }]);
    }

    /// A table with `a` (logged, supervise 101, logger 102) and `b` (103).
    fn two_services() -> Table {
        let mut t = Table::new();
        let mut pid = 100;
        let a = t.scan(vec![found("a", 1, true), found("b", 2, false)], secs(0.0));
        spawn_all(&mut t, a, &mut pid, secs(0.0));
        t
    }

    fn kill(pid: Option<i32>, name: &str, role: Role) -> Action {
        let ino = if name == "a" { 1 } else { 2 };
        Action::Kill { pid, name: name.into(), key: (1, ino), role }
    }

    #[test]
    fn at_shutdown_a_service_still_up_after_the_budget_is_killed_then_its_supervise() {
        let mut t = two_services();
        t.shutdown(secs(10.0), no_timeout_kill, no_needs);
        assert_eq!(t.deadline(), Some(secs(10.0) + STOP_BUDGET));
        assert!(t.exited(103, secs(11.0)).contains(&Action::Forget { id: 2 }));
        let at = secs(10.0) + STOP_BUDGET;
        assert!(t.tick(at - secs(0.1)).is_empty());
        assert_eq!(t.tick(at), [kill(Some(101), "a", Role::Main)]);
        assert_eq!(t.tick(at + GRACE), [Action::Force { pid: 101 }]);
        // Down at last: the logger gets a grace to drain, no more.
        let a = t.exited(101, at + GRACE);
        assert_eq!(a, [Action::ClosePipe { id: 1 }, Action::ExitLog { pid: Some(102), name: "a".into(), key: (1, 1) }]);
        assert_eq!(t.deadline(), Some(at + GRACE * 2));
    }

    #[test]
    fn at_shutdown_loggers_drain_within_the_budget_counted_from_the_shutdown() {
        let mut t = two_services();
        t.shutdown(secs(10.0), no_timeout_kill, no_needs);
        t.exited(103, secs(10.5));
        t.exited(101, secs(11.0));
        assert_eq!(t.deadline(), Some(secs(10.0) + STOP_BUDGET));
        let a = t.tick(secs(10.0) + STOP_BUDGET);
        assert_eq!(a, [Action::Terminate { pid: Some(102), name: "a".into(), key: (1, 1) }]);
    }

    #[test]
    fn a_service_with_its_own_timeout_kill_is_left_to_its_supervise_that_long() {
        let mut t = two_services();
        let own = |name: &OsStr, _: Key| (name == "a").then_some(secs(20.0));
        t.shutdown(secs(10.0), own, no_needs);
        let a = t.tick(secs(10.0) + STOP_BUDGET);
        assert_eq!(a, [kill(Some(103), "b", Role::Main)], "b has none: the budget");
        assert!(t.tick(secs(30.5)).iter().all(|a| *a != kill(Some(101), "a", Role::Main)));
        assert_eq!(t.tick(secs(30.0) + GRACE), [kill(Some(101), "a", Role::Main)]);
    }

    #[test]
    fn a_second_signal_kills_every_supervise_still_up_at_once() {
        let mut t = two_services();
        t.shutdown(secs(10.0), no_timeout_kill, no_needs);
        let a = t.shutdown(secs(11.0), no_timeout_kill, no_needs);
        assert_eq!(
            a,
            [kill(Some(101), "a", Role::Main), kill(Some(102), "a", Role::Log), kill(Some(103), "b", Role::Main)]
        );
        assert_eq!(t.deadline(), Some(secs(11.0) + GRACE));
        assert_eq!(
            t.tick(secs(11.0) + GRACE),
            [Action::Force { pid: 101 }, Action::Force { pid: 102 }, Action::Force { pid: 103 }]
        );
        for pid in 101..=103 {
            t.exited(pid, secs(12.5));
        }
        assert!(t.finished());
    }

    #[test]
    fn a_directory_whose_lock_is_held_is_adopted_and_looked_at_again_later() {
        let mut t = Table::new();
        let a = t.scan(vec![found("a", 1, true)], secs(0.0));
        assert_eq!(spawns(&a), [("a".into(), Role::Main), ("a".into(), Role::Log)]);
        assert!(t.adopted(1, Role::Main, secs(0.0)), "newly adopted");
        t.spawned(1, Role::Log, 102, secs(0.0));
        assert_eq!(t.deadline(), Some(ADOPTED_RECHECK));
        assert!(spawns(&t.scan(vec![found("a", 1, true)], secs(1.0))).is_empty());
        let a = t.scan(vec![found("a", 1, true)], ADOPTED_RECHECK);
        assert_eq!(spawns(&a), [("a".into(), Role::Main)]);
        assert!(!t.adopted(1, Role::Main, ADOPTED_RECHECK), "named once");
        // Its lock is free at last: svscan's own supervise takes over.
        let later = ADOPTED_RECHECK * 2;
        assert_eq!(spawns(&t.scan(vec![found("a", 1, true)], later)), [("a".into(), Role::Main)]);
        t.spawned(1, Role::Main, 103, later);
        assert_eq!(t.service_of(103), Some(("a".into(), (1, 1), Role::Main)));
        assert_eq!(t.deadline(), None);
    }

    #[test]
    fn a_service_started_again_beside_an_adopted_logger_tells_it_to_exit_at_the_end_of_its_pipe() {
        let mut t = Table::new();
        t.scan(vec![found("a", 1, true)], secs(0.0));
        t.adopted(1, Role::Main, secs(0.0));
        t.adopted(1, Role::Log, secs(0.0));
        let a = t.spawned(1, Role::Main, 103, secs(5.0));
        assert_eq!(a, [Action::ExitLog { pid: None, name: "a".into(), key: (1, 1) }]);
        // Its own logger comes once the adopted one has let go of its lock.
        let a = t.scan(vec![found("a", 1, true)], secs(10.0));
        assert_eq!(spawns(&a), [("a".into(), Role::Log)]);
        assert!(t.spawned(1, Role::Log, 104, secs(10.0)).is_empty());
    }

    #[test]
    fn shutdown_stops_adopted_supervise_through_their_fifos_and_waits_for_their_locks() {
        let mut t = Table::new();
        t.scan(vec![found("a", 1, true), found("b", 2, false)], secs(0.0));
        for (id, role) in [(1, Role::Main), (1, Role::Log), (2, Role::Main)] {
            t.adopted(id, role, secs(0.0));
        }
        let a = t.shutdown(secs(10.0), no_timeout_kill, no_needs);
        assert_eq!(
            a,
            [
                Action::Stop { pid: None, name: "a".into(), key: (1, 1) },
                Action::Stop { pid: None, name: "b".into(), key: (1, 2) }
            ]
        );
        assert_eq!(t.deadline(), Some(secs(10.0) + ADOPTED_PROBE));
        let probes = t.tick(secs(10.0) + ADOPTED_PROBE);
        assert_eq!(probes.len(), 3, "{probes:?}");
        assert!(probes.contains(&Action::Probe { id: 1, role: Role::Log, name: "a".into(), key: (1, 1) }));
        assert_eq!(t.released(2, Role::Main, secs(10.2)), [Action::Forget { id: 2 }]);
        // b's supervise holds on past the budget: `dxk`, and nothing more can reach it.
        let at = secs(10.0) + STOP_BUDGET;
        assert!(t.tick(at).contains(&kill(None, "a", Role::Main)));
        assert!(t.tick(at + GRACE * 3).iter().all(|a| matches!(a, Action::Probe { .. })));
        let a = t.released(1, Role::Main, at + GRACE * 3);
        assert_eq!(a, [Action::ClosePipe { id: 1 }, Action::ExitLog { pid: None, name: "a".into(), key: (1, 1) }]);
        assert_eq!(t.released(1, Role::Log, at + GRACE * 3), [Action::Forget { id: 1 }]);
        assert!(t.finished());
    }

    #[test]
    fn a_vanished_directory_without_running_supervise_is_dropped() {
        let mut t = Table::new();
        let a = t.scan(vec![found("a", 1, true)], secs(0.0));
        for s in &a {
            if let Action::Spawn { id, role, .. } = s {
                t.spawn_failed(*id, *role, secs(0.0));
            }
        }
        assert_eq!(t.scan(vec![], secs(2.0)), [Action::Forget { id: 1 }]);
        assert!(t.is_empty());
    }

    #[test]
    fn more_than_a_thousand_services_are_refused_by_name() {
        let mut t = Table::new();
        let listing: Vec<Found> = (0..1002).map(|i| found(&format!("s{i}"), i, false)).collect();
        let a = t.scan(listing, secs(0.0));
        assert_eq!(spawns(&a).len(), MAX_SERVICES);
        let too_many: Vec<_> = a.iter().filter(|a| matches!(a, Action::TooMany { .. })).collect();
        assert_eq!(too_many, [&Action::TooMany { name: "s1000".into() }, &Action::TooMany { name: "s1001".into() }]);
    }

    #[test]
    fn an_unknown_log_postpones_a_new_service() {
        let mut t = Table::new();
        let a = t.scan(vec![Found { name: "a".into(), key: (1, 1), log: None }], secs(0.0));
        assert!(a.is_empty());
        assert!(t.is_empty());
    }

    #[test]
    fn shutdown_stops_mains_then_drains_loggers_then_finishes() {
        let mut t = Table::new();
        let mut pid = 100;
        let a = t.scan(vec![found("a", 1, true), found("b", 2, false)], secs(0.0));
        spawn_all(&mut t, a, &mut pid, secs(0.0));
        let a = t.shutdown(secs(10.0), no_timeout_kill, no_needs);
        assert_eq!(
            a,
            [
                Action::Stop { pid: Some(101), name: "a".into(), key: (1, 1) },
                Action::Stop { pid: Some(103), name: "b".into(), key: (1, 2) }
            ]
        );
        assert!(t.exited(103, secs(10.1)).contains(&Action::Forget { id: 2 }));
        // The logger is told to exit only after its service is down.
        let a = t.exited(101, secs(10.2));
        assert_eq!(a, [Action::ClosePipe { id: 1 }, Action::ExitLog { pid: Some(102), name: "a".into(), key: (1, 1) }]);
        assert!(!t.finished());
        // Nothing restarts and no scan happens while shutting down.
        assert!(t.scan(vec![found("a", 1, true)], secs(11.0)).is_empty());
        assert!(!t.scan_due(secs(11.0)));
        assert_eq!(t.exited(102, secs(11.0)), [Action::Forget { id: 1 }]);
        assert!(t.finished());
    }

    #[test]
    fn shutdown_of_an_empty_table_finishes_at_once() {
        let mut t = Table::new();
        assert!(t.shutdown(secs(0.0), no_timeout_kill, no_needs).is_empty());
        assert!(t.finished());
    }

    #[test]
    fn orphans_are_ignored() {
        let mut t = Table::new();
        assert!(t.exited(4242, secs(0.0)).is_empty());
    }

    #[test]
    fn a_failed_listing_holds_scans_for_the_gap() {
        let mut t = Table::new();
        t.request_scan(secs(0.0));
        assert!(t.scan_due(secs(0.0)));
        t.scan_failed(secs(0.0));
        assert!(!t.scan_due(secs(0.5)));
        assert!(t.scan_due(secs(1.0)));
        assert_eq!(t.deadline(), Some(secs(1.0)));
        // Failing again and again (an unreadable directory), it backs off to five seconds.
        let mut now = secs(1.0);
        let mut gaps = Vec::new();
        for _ in 0..5 {
            t.scan_failed(now);
            let at = t.deadline().unwrap();
            gaps.push((at - now).as_secs_f64());
            now = at;
        }
        assert_eq!(gaps, [2.0, 4.0, 5.0, 5.0, 5.0]);
        // A complete listing starts the count again.
        t.scan(Vec::new(), now);
        t.scan_failed(now);
        assert_eq!(t.deadline(), Some(now + secs(1.0)));
    }

    /// Services a, b, c, ... (inodes 1, 2, 3, ...; no loggers), their
    /// supervise processes 101, 102, 103, ...
    fn services(names: &[&str]) -> Table {
        let mut t = Table::new();
        let found = names.iter().zip(1..).map(|(n, ino)| Found { name: (*n).into(), key: (1, ino), log: Some(false) });
        for a in t.scan(found.collect(), secs(0.0)) {
            if let Action::Spawn { id, role, .. } = a {
                t.spawned(id, role, 100 + id as i32, secs(0.0));
            }
        }
        t
    }

    fn stopped(actions: &[Action]) -> Vec<String> {
        let names = actions.iter().filter_map(|a| match a {
            Action::Stop { name, .. } => Some(name.to_string_lossy().into_owned()),
            _ => None,
        });
        names.collect()
    }

    /// `graph`: who lists whom in `dependencies`.
    fn needs<'a>(graph: &'a [(&'a str, &'a [&'a str])]) -> impl FnMut(&OsStr, Key) -> Vec<OsString> + 'a {
        move |name, _| {
            let listed = graph.iter().find(|(n, _)| name == *n).map_or(&[][..], |(_, d)| d);
            listed.iter().map(OsString::from).collect()
        }
    }

    #[test]
    fn dependents_stop_first_a_chain_one_by_one_and_unrelated_at_once() {
        let mut t = services(&["a", "b", "c", "z"]);
        let graph: &[(&str, &[&str])] = &[("b", &["a"]), ("c", &["b"])];
        assert_eq!(stopped(&t.shutdown(secs(10.0), no_timeout_kill, needs(graph))), ["c", "z"]);
        assert!(stopped(&t.exited(104, secs(10.5))).is_empty(), "z was no one's dependency");
        assert_eq!(stopped(&t.exited(103, secs(11.0))), ["b"]);
        assert_eq!(stopped(&t.exited(102, secs(11.5))), ["a"]);
        t.exited(101, secs(12.0));
        assert!(t.finished());
    }

    #[test]
    fn a_held_service_is_stopped_and_killed_when_the_budget_is_over() {
        let mut t = services(&["a", "b"]);
        let graph: &[(&str, &[&str])] = &[("b", &["a"])];
        assert_eq!(stopped(&t.shutdown(secs(10.0), no_timeout_kill, needs(graph))), ["b"]);
        let at = secs(10.0) + STOP_BUDGET;
        assert_eq!(t.deadline(), Some(at));
        let a = t.tick(at);
        let kill =
            |name: &str, ino, pid| Action::Kill { pid: Some(pid), name: name.into(), key: (1, ino), role: Role::Main };
        assert!(a.contains(&Action::Stop { pid: Some(101), name: "a".into(), key: (1, 1) }), "{a:?}");
        assert!(a.contains(&kill("a", 1, 101)) && a.contains(&kill("b", 2, 102)), "{a:?}");
    }

    #[test]
    fn a_cycle_is_stopped_once_nothing_else_stops() {
        let mut t = services(&["x", "y", "z"]);
        let graph: &[(&str, &[&str])] = &[("x", &["y"]), ("y", &["x"]), ("z", &["z"])];
        assert_eq!(stopped(&t.shutdown(secs(10.0), no_timeout_kill, needs(graph))), ["z"], "itself is no dependent");
        assert_eq!(stopped(&t.exited(103, secs(10.5))), ["x", "y"]);
    }
}
