//! The scanner's table: which supervise processes should run, decided from
//! directory listings, child exits and the monotonic clock. No I/O: every
//! call returns [`Action`]s for the daemon loop to perform.

use std::ffi::OsString;
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
/// How long a logger may take to drain its pipe, once its service is down,
/// before its supervise gets SIGTERM.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(5);

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

/// What the daemon loop must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Start a supervise; report the outcome with [`Table::spawned`] or [`Table::spawn_failed`].
    /// `logged` says that the service's pipe must exist first.
    Spawn { id: u64, role: Role, name: OsString, logged: bool },
    /// Stop the service and make its supervise exit (`svc -dx`): through
    /// `NAME/supervise/control` while `NAME` is still this directory, else SIGTERM.
    Stop { pid: i32, name: OsString, key: Key },
    /// Close both ends of the service's log pipe, so the logger reads to its end.
    ClosePipe { id: u64 },
    /// Make the log supervise exit once its logger exits (`svc -x`): through
    /// `NAME/log/supervise/control` while `NAME` is still this directory,
    /// else SIGHUP (which tend's supervise takes as `x`).
    ExitLog { pid: i32, name: OsString, key: Key },
    /// SIGTERM to a log supervise whose logger did not drain in time.
    Terminate { pid: i32 },
    /// The service is gone: drop whatever the loop keeps for it.
    Forget { id: u64 },
    /// daemontools' `unable to start NAME: running too many services`.
    TooMany { name: OsString },
}

#[derive(Debug, Default)]
struct Slot {
    pid: Option<i32>,
    started: Option<Duration>,
    /// How long after `started` the next start may be.
    gap: Duration,
}

impl Slot {
    /// When this slot may be started again.
    fn ready_at(&self) -> Duration {
        self.started.map_or(Duration::ZERO, |s| s + self.gap.max(RESTART_GAP))
    }

    /// Its supervise exited, or could not be started, at `now`: one that
    /// lasted less than [`MAX_RESTART_GAP`] doubles the gap.
    fn ended(&mut self, now: Duration) {
        self.pid = None;
        let quick = self.started.is_some_and(|s| now < s + MAX_RESTART_GAP);
        self.gap = if quick { (self.gap * 2).clamp(RESTART_GAP, MAX_RESTART_GAP) } else { RESTART_GAP };
    }

    fn due(&self, now: Duration) -> bool {
        self.pid.is_none() && now >= self.ready_at()
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Phase {
    /// Supervised; dead supervise processes are restarted.
    Running,
    /// Told to stop its service and exit; waiting for the main supervise to go.
    StoppingMain,
    /// The main supervise is gone and the pipe closed; the logger drains.
    /// `until` is the moment for SIGTERM, `None` once that was sent.
    Draining { until: Option<Duration> },
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
}

impl Entry {
    fn idle(&self) -> bool {
        self.main.pid.is_none() && self.log.as_ref().and_then(|l| l.pid).is_none()
    }
}

/// Every service svscan knows, and what it is doing with each.
#[derive(Debug, Default)]
pub struct Table {
    entries: Vec<Entry>,
    next_id: u64,
    shutting_down: bool,
    /// A scan was asked for (inotify, SIGALRM, SIGHUP) at this moment.
    scan_at: Option<Duration>,
    /// No scan before this moment (after a failed listing).
    hold_until: Duration,
    /// How long after the latest failed listing the next one may be; zero after a complete one.
    failed_gap: Duration,
}

impl Table {
    pub fn new() -> Table {
        Table::default()
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

    /// Asks for a scan at `at` (an earlier request wins).
    pub fn request_scan(&mut self, at: Duration) {
        if !self.shutting_down {
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
        !self.shutting_down && now >= self.hold_until && self.next_scan().is_some_and(|t| now >= t)
    }

    /// The earliest moment a scan is wanted: asked for, or a supervise to restart.
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
        let drains = self.entries.iter().filter_map(|e| match e.phase {
            Phase::Draining { until } => until,
            _ => None,
        });
        let scan = if self.shutting_down { None } else { self.next_scan() };
        drains.chain(scan).min()
    }

    /// Takes a complete listing of the scan directory: new directories get
    /// a supervise (and a logger), vanished ones are stopped, dead supervise
    /// processes are restarted once their gap is over.
    pub fn scan(&mut self, found: Vec<Found>, now: Duration) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.shutting_down {
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
            });
        }
        let mut i = 0;
        while i < self.entries.len() {
            let e = &mut self.entries[i];
            if e.phase == Phase::Running && !e.active {
                if e.idle() {
                    actions.push(Action::Forget { id: e.id });
                    self.entries.swap_remove(i);
                    continue;
                }
                retire(e, now, &mut actions);
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

    /// A supervise was started.
    pub fn spawned(&mut self, id: u64, role: Role, pid: i32, now: Duration) {
        if let Some(slot) = self.slot(id, role) {
            slot.pid = Some(pid);
            slot.started = Some(now);
        }
    }

    /// A supervise could not be started (the loop has warned): retry after the gap.
    pub fn spawn_failed(&mut self, id: u64, role: Role, now: Duration) {
        if let Some(slot) = self.slot(id, role) {
            slot.started = Some(now);
            slot.ended(now);
        }
    }

    fn slot(&mut self, id: u64, role: Role) -> Option<&mut Slot> {
        let e = self.entries.iter_mut().find(|e| e.id == id)?;
        match role {
            Role::Main => Some(&mut e.main),
            Role::Log => e.log.as_mut(),
        }
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
        let mut actions = Vec::new();
        let Some(i) = self
            .entries
            .iter()
            .position(|e| e.main.pid == Some(pid) || e.log.as_ref().is_some_and(|l| l.pid == Some(pid)))
        else {
            return actions;
        };
        let e = &mut self.entries[i];
        if e.main.pid == Some(pid) {
            e.main.ended(now);
            if e.phase == Phase::StoppingMain {
                drain(e, now, &mut actions);
            }
        } else if let Some(log) = e.log.as_mut() {
            log.ended(now);
        }
        if e.phase != Phase::Running && e.idle() {
            actions.push(Action::Forget { id: e.id });
            self.entries.swap_remove(i);
            // The directory may be back under the same identity: look again.
            self.request_scan(now);
        }
        actions
    }

    /// Deadlines that passed: loggers that did not drain in time.
    pub fn tick(&mut self, now: Duration) -> Vec<Action> {
        let mut actions = Vec::new();
        for e in &mut self.entries {
            if let Phase::Draining { until: Some(t) } = e.phase {
                if now >= t {
                    e.phase = Phase::Draining { until: None };
                    if let Some(pid) = e.log.as_ref().and_then(|l| l.pid) {
                        actions.push(Action::Terminate { pid });
                    }
                }
            }
        }
        actions
    }

    /// SIGTERM, SIGINT or SIGPWR: stop every service, let the loggers drain,
    /// then [`Table::finished`] turns true.
    pub fn shutdown(&mut self, now: Duration) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.shutting_down {
            return actions;
        }
        self.shutting_down = true;
        self.scan_at = None;
        let mut i = 0;
        while i < self.entries.len() {
            let e = &mut self.entries[i];
            if e.phase == Phase::Running {
                retire(e, now, &mut actions);
            }
            if e.idle() {
                actions.push(Action::Forget { id: e.id });
                self.entries.swap_remove(i);
                continue;
            }
            i += 1;
        }
        actions
    }

    /// Shut down and every supervise gone: svscan may exit.
    pub fn finished(&self) -> bool {
        self.shutting_down && self.entries.is_empty()
    }
}

/// Starts taking a service down: its main supervise first.
fn retire(e: &mut Entry, now: Duration, actions: &mut Vec<Action>) {
    e.phase = Phase::StoppingMain;
    match e.main.pid {
        Some(pid) => actions.push(Action::Stop { pid, name: e.name.clone(), key: e.key }),
        None => drain(e, now, actions),
    }
}

/// The main supervise is gone: close the pipe so the logger reads to its end,
/// and tell its supervise to exit when the logger does.
fn drain(e: &mut Entry, now: Duration, actions: &mut Vec<Action>) {
    let mut until = None;
    if let Some(log) = &e.log {
        actions.push(Action::ClosePipe { id: e.id });
        if let Some(pid) = log.pid {
            actions.push(Action::ExitLog { pid, name: e.name.clone(), key: e.key });
            until = Some(now + DRAIN_LIMIT);
        }
    }
    e.phase = Phase::Draining { until };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
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
        assert_eq!(a, [Action::Stop { pid: 101, name: "a".into(), key: (1, 1) }]);
        // Its supervise is not restarted while it stops.
        assert!(spawns(&t.scan(vec![found("b", 2, false)], secs(7.0))).is_empty());
        let a = t.exited(101, secs(8.0));
        assert_eq!(a, [Action::ClosePipe { id: 1 }, Action::ExitLog { pid: 102, name: "a".into(), key: (1, 1) }]);
        assert_eq!(t.deadline(), Some(secs(8.0) + DRAIN_LIMIT));
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
        assert!(matches!(t.scan(vec![], secs(5.0))[..], [Action::Stop { pid: 101, .. }]));
        assert!(t.scan(vec![found("a", 1, false)], secs(5.5)).is_empty(), "not while it stops");
        assert_eq!(t.exited(101, secs(6.0)), [Action::Forget { id: 1 }]);
        assert!(t.scan_due(secs(6.0)), "a rescan is asked for");
        assert_eq!(spawns(&t.scan(vec![found("a", 1, false)], secs(6.0))), [("a".into(), Role::Main)]);
    }

    #[test]
    fn a_logger_that_does_not_drain_gets_sigterm_once() {
        let mut t = Table::new();
        let mut pid = 100;
        let a = t.scan(vec![found("a", 1, true)], secs(0.0));
        spawn_all(&mut t, a, &mut pid, secs(0.0));
        t.scan(vec![], secs(1.0));
        t.exited(101, secs(2.0));
        assert!(t.tick(secs(2.0) + DRAIN_LIMIT / 2).is_empty());
        assert_eq!(t.tick(secs(2.0) + DRAIN_LIMIT), [Action::Terminate { pid: 102 }]);
        assert!(t.tick(secs(60.0)).is_empty());
        assert_eq!(t.deadline(), None);
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
        let a = t.shutdown(secs(10.0));
        assert_eq!(
            a,
            [
                Action::Stop { pid: 101, name: "a".into(), key: (1, 1) },
                Action::Stop { pid: 103, name: "b".into(), key: (1, 2) }
            ]
        );
        assert!(t.shutdown(secs(10.0)).is_empty(), "a second SIGTERM changes nothing");
        assert!(t.exited(103, secs(10.1)).contains(&Action::Forget { id: 2 }));
        // The logger is told to exit only after its service is down.
        let a = t.exited(101, secs(10.2));
        assert_eq!(a, [Action::ClosePipe { id: 1 }, Action::ExitLog { pid: 102, name: "a".into(), key: (1, 1) }]);
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
        assert!(t.shutdown(secs(0.0)).is_empty());
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
}
