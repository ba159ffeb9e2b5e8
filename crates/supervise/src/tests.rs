//! Unit tests of the state machine on simulated time.

use std::time::Duration;

use svstatus::{Command, LastExit, RunState, Want};
use tai64::{Clock, TestClock};

use crate::{Action, Actions, Config, Event, Machine, Now};

const EXITED_0: i32 = 0;
const KILLED_BY_TERM: i32 = libc::SIGTERM;
const KILLED_BY_KILL: i32 = libc::SIGKILL;

fn exited(code: i32) -> i32 {
    code << 8
}

struct Sim {
    clock: TestClock,
    m: Machine,
    next_pid: u32,
    /// Leave a sweep waiting (else the service's last processes are gone at once).
    hold_sweep: bool,
    /// The running `./check`, as last spawned.
    check_pid: Option<u32>,
}

impl Sim {
    fn new(config: Config, normally_up: bool) -> Sim {
        let clock = TestClock::new(Duration::from_secs(1_700_000_000));
        let m = Machine::new(Now::read(&clock), normally_up, config);
        Sim { clock, m, next_pid: 100, hold_sweep: false, check_pid: None }
    }
    fn now(&self) -> Now {
        Now::read(&self.clock)
    }
    /// Steps and answers every spawn request at once (as the runner does),
    /// and a sweep at once unless `hold_sweep`.
    fn step(&mut self, e: Event) -> Vec<Action> {
        let mut all = Vec::new();
        let mut acts: Vec<Action> = self.m.step(self.now(), e).collect();
        loop {
            let spawn = acts.iter().any(|a| matches!(a, Action::Spawn | Action::SpawnFinish { .. }));
            let check = acts.contains(&Action::SpawnCheck);
            all.extend(acts);
            if spawn || check {
                self.next_pid += 1;
                let answer = if spawn { Event::Spawned(self.next_pid) } else { Event::CheckSpawned(self.next_pid) };
                self.check_pid = if check { Some(self.next_pid) } else { self.check_pid };
                acts = self.m.step(self.now(), answer).collect();
            } else if self.m.sweeping() && !self.hold_sweep {
                acts = self.m.step(self.now(), Event::Swept).collect();
            } else {
                return all;
            }
        }
    }
    fn advance(&mut self, ms: u64) -> Vec<Action> {
        self.clock.advance(Duration::from_millis(ms));
        match self.m.deadline() {
            Some(d) if d <= self.clock.monotonic() => self.step(Event::Timer),
            _ => Vec::new(),
        }
    }
    fn die(&mut self, wstatus: i32) -> Vec<Action> {
        let pid = self.m.pid().expect("something runs");
        self.step(Event::ChildExited { pid, wstatus })
    }
    fn cmd(&mut self, c: u8) -> Vec<Action> {
        self.step(Event::Command(Command::from_byte(c).unwrap()))
    }
    fn status(&self) -> svstatus::Status {
        self.m.status(self.now())
    }
}

fn spawns(a: &[Action]) -> usize {
    a.iter().filter(|a| **a == Action::Spawn).count()
}

#[test]
fn boot_starts_unless_down_file() {
    let mut s = Sim::new(Config::default(), true);
    let a = s.step(Event::Boot);
    assert!(matches!(a[0], Action::WriteStatus(st) if st.pid == 0));
    assert_eq!(spawns(&a), 1);
    assert_eq!(s.status().state, RunState::Run);
    let mut s = Sim::new(Config::default(), false);
    let a = s.step(Event::Boot);
    assert_eq!(spawns(&a), 0);
    assert_eq!(s.status().want, Want::Down);
}

#[test]
fn crash_loop_restarts_once_per_second_for_hours() {
    let mut s = Sim::new(Config::default(), true);
    s.step(Event::Boot);
    let mut starts = 1;
    // Three simulated hours of a run that dies 100 ms after each start.
    for _ in 0..(3 * 3600) {
        s.advance(100);
        starts += spawns(&s.die(exited(1)));
        for _ in 0..9 {
            starts += spawns(&s.advance(100));
        }
    }
    assert_eq!(starts, 3 * 3600 + 1);
    assert_eq!(s.status().extras.unwrap().restarts, 3 * 3600);
    assert_eq!(s.status().extras.unwrap().last_exit, Some(LastExit::Code(1)));
}

#[test]
fn a_run_of_a_second_or_more_restarts_at_once() {
    let mut s = Sim::new(Config::default(), true);
    s.step(Event::Boot);
    s.advance(1500);
    let a = s.die(KILLED_BY_KILL);
    assert_eq!(spawns(&a), 1, "{a:?}");
    assert_eq!(s.status().extras.unwrap().last_exit, Some(LastExit::Signal(9)));
}

#[test]
fn readiness_counts_as_healthy() {
    let mut s = Sim::new(Config { notification_fd: Some(3), ..Config::default() }, true);
    s.step(Event::Boot);
    s.advance(200);
    let a = s.step(Event::Ready);
    assert!(matches!(a[..], [Action::WriteStatus(st)] if st.extras.unwrap().ready));
    s.advance(100);
    assert_eq!(spawns(&s.die(exited(0))), 1);
}

#[test]
fn commands_work_during_the_restart_delay() {
    let mut s = Sim::new(Config::default(), true);
    s.step(Event::Boot);
    s.advance(100);
    s.die(exited(1));
    assert!(s.m.deadline().is_some());
    s.advance(100);
    let a = s.cmd(b'd');
    assert!(matches!(a[..], [Action::WriteStatus(st)] if st.want == Want::Down && st.pid == 0));
    assert_eq!(s.m.deadline(), None);
    assert_eq!(spawns(&s.advance(5000)), 0);
    // `u` starts at once: the last start is long enough ago.
    assert_eq!(spawns(&s.cmd(b'u')), 1);
}

#[test]
fn down_sends_term_then_cont_and_kill_after_timeout() {
    let mut s = Sim::new(Config { timeout_kill: Some(Duration::from_millis(300)), ..Config::default() }, true);
    s.step(Event::Boot);
    let pid = s.m.pid().unwrap();
    let a = s.cmd(b'd');
    assert_eq!(a[0], Action::Signal { pid, signal: libc::SIGTERM });
    assert_eq!(a[1], Action::Signal { pid, signal: libc::SIGCONT });
    assert!(s.status().got_term);
    assert_eq!(s.advance(299), vec![]);
    assert_eq!(s.advance(1), vec![Action::Signal { pid, signal: libc::SIGKILL }, Action::Sweep]);
    let a = s.die(KILLED_BY_KILL);
    assert_eq!(spawns(&a), 0);
    let st = s.status();
    assert_eq!((st.pid, st.got_term, st.want), (0, false, Want::Down));
}

#[test]
fn down_signal_is_configurable() {
    let mut s = Sim::new(Config { down_signal: libc::SIGHUP, ..Config::default() }, true);
    s.step(Event::Boot);
    let pid = s.m.pid().unwrap();
    assert_eq!(s.cmd(b'd')[0], Action::Signal { pid, signal: libc::SIGHUP });
}

#[test]
fn finish_gets_runit_arguments_and_a_time_limit() {
    let mut s = Sim::new(Config { finish: true, ..Config::default() }, true);
    s.step(Event::Boot);
    s.advance(2000);
    let a = s.die(KILLED_BY_TERM);
    assert_eq!(a[0], Action::SpawnFinish { code: -1, signal: 15 });
    let st = s.status();
    assert_eq!(st.state, RunState::Finish);
    let finish = st.pid;
    assert_eq!(s.advance(4999), vec![]);
    assert_eq!(s.advance(1), vec![Action::Signal { pid: finish, signal: libc::SIGKILL }]);
    // The run lasted 2 s: restart at once after finish.
    assert_eq!(spawns(&s.die(KILLED_BY_KILL)), 1);
}

#[test]
fn finish_exit_125_means_do_not_restart() {
    let mut s = Sim::new(Config { finish: true, ..Config::default() }, true);
    s.step(Event::Boot);
    s.advance(2000);
    assert_eq!(s.die(exited(3))[0], Action::SpawnFinish { code: 3, signal: 0 });
    let a = s.die(exited(125));
    assert_eq!(spawns(&a), 0);
    assert_eq!(s.status().want, Want::Down);
    assert_eq!(s.m.deadline(), None);
}

#[test]
fn once_runs_without_restart_and_exit_waits_for_down() {
    let mut s = Sim::new(Config::default(), false);
    s.step(Event::Boot);
    assert_eq!(spawns(&s.cmd(b'o')), 1);
    assert_eq!(s.status().want, Want::Once);
    let a = s.cmd(b'x');
    assert!(!a.contains(&Action::Exit));
    s.advance(3000);
    let a = s.die(EXITED_0);
    assert_eq!(spawns(&a), 0);
    assert_eq!(a.last(), Some(&Action::Exit));
}

#[test]
fn terminate_is_down_then_exit() {
    let mut s = Sim::new(Config::default(), true);
    s.step(Event::Boot);
    let pid = s.m.pid().unwrap();
    let a = s.step(Event::Terminate);
    assert!(a.contains(&Action::Signal { pid, signal: libc::SIGTERM }));
    assert!(!a.contains(&Action::Exit));
    assert_eq!(s.die(KILLED_BY_TERM).last(), Some(&Action::Exit));
}

#[test]
fn pause_and_continue() {
    let mut s = Sim::new(Config::default(), true);
    s.step(Event::Boot);
    let pid = s.m.pid().unwrap();
    assert!(s.cmd(b'p').contains(&Action::Signal { pid, signal: libc::SIGSTOP }));
    assert!(s.status().paused);
    assert!(s.cmd(b'c').contains(&Action::Signal { pid, signal: libc::SIGCONT }));
    assert!(!s.status().paused);
    assert_eq!(s.cmd(b'1'), vec![Action::Signal { pid, signal: libc::SIGUSR1 }]);
    assert_eq!(s.cmd(b'w'), vec![Action::Signal { pid, signal: libc::SIGWINCH }]);
}

#[test]
fn backoff_doubles_up_to_the_cap_and_resets_after_a_stable_run() {
    let mut s = Sim::new(Config { backoff_max: Some(Duration::from_secs(8)), ..Config::default() }, true);
    s.step(Event::Boot);
    let mut delays = Vec::new();
    for _ in 0..6 {
        s.advance(100);
        assert_eq!(spawns(&s.die(exited(1))), 0);
        let mut waited = 0;
        while spawns(&s.advance(100)) == 0 {
            waited += 100;
        }
        delays.push(waited + 100);
    }
    assert_eq!(delays, vec![1000, 2000, 4000, 8000, 8000, 8000]);
    s.advance(8000);
    assert_eq!(spawns(&s.die(exited(1))), 1);
}

#[test]
fn with_backoff_a_run_that_became_ready_resets_the_failures() {
    let mut s = Sim::new(Config { backoff_max: Some(Duration::from_secs(8)), ..Config::default() }, true);
    s.step(Event::Boot);
    for _ in 0..3 {
        s.advance(100);
        s.die(exited(1));
        while spawns(&s.advance(100)) == 0 {}
    }
    // Ready, then dead well within a second: healthy all the same.
    s.advance(100);
    s.step(Event::Ready);
    assert_eq!(spawns(&s.die(exited(1))), 1, "restarted at once");
    // The failure after it starts the doubling again: one second after it.
    s.advance(100);
    assert_eq!(spawns(&s.die(exited(1))), 0);
    assert_eq!(spawns(&s.advance(900)), 0);
    assert_eq!(spawns(&s.advance(100)), 1);
}

#[test]
fn wall_clock_steps_do_not_change_the_uptime() {
    let mut s = Sim::new(Config::default(), true);
    s.step(Event::Boot);
    s.advance(10_000);
    let uptime = |s: &Sim, st: svstatus::Status| s.clock.wall().as_secs() as i64 - st.stamp.unix_secs();
    let before = s.status();
    assert_eq!(uptime(&s, before), 10);
    for step in [-3600, 7200, -90] {
        s.clock.step_wall(step);
        let a = s.step(Event::Wake);
        let [Action::WriteStatus(st)] = a[..] else { panic!("no rewrite after a {step} s step: {a:?}") };
        assert_eq!(uptime(&s, st), 10);
    }
    // No step, no write.
    assert_eq!(s.step(Event::Wake), vec![]);
}

#[test]
fn timers_ignore_wall_clock_steps() {
    let mut s = Sim::new(Config::default(), true);
    s.step(Event::Boot);
    s.advance(100);
    s.die(exited(1));
    s.clock.step_wall(-3600);
    // Still exactly one second after the last start, not an hour more.
    assert_eq!(spawns(&s.advance(899)), 0);
    assert_eq!(spawns(&s.advance(1)), 1);
}

#[test]
fn strangers_and_early_timers_are_ignored() {
    let mut s = Sim::new(Config::default(), true);
    s.step(Event::Boot);
    assert_eq!(s.step(Event::ChildExited { pid: 1, wstatus: 0 }), vec![]);
    assert_eq!(s.step(Event::Timer), vec![]);
}

#[test]
fn exit_while_down_is_immediate() {
    let mut s = Sim::new(Config::default(), false);
    s.step(Event::Boot);
    assert_eq!(s.cmd(b'x').last(), Some(&Action::Exit));
}

#[test]
fn down_during_finish_sends_nothing_and_prevents_the_restart() {
    let mut s = Sim::new(Config { finish: true, ..Config::default() }, true);
    s.step(Event::Boot);
    s.advance(2000);
    s.die(exited(0));
    assert_eq!(s.status().state, RunState::Finish);
    let a = s.cmd(b'd');
    assert!(!a.iter().any(|a| matches!(a, Action::Signal { .. })), "{a:?}");
    assert_eq!(spawns(&s.die(exited(0))), 0);
    assert_eq!(s.status().state, RunState::Down);
    assert_eq!(s.m.deadline(), None);
}

#[test]
fn signals_go_to_finish_while_it_runs() {
    let mut s = Sim::new(Config { finish: true, ..Config::default() }, true);
    s.step(Event::Boot);
    s.die(exited(0));
    let finish = s.m.pid().unwrap();
    assert_eq!(s.cmd(b'k'), vec![Action::Signal { pid: finish, signal: libc::SIGKILL }]);
}

#[test]
fn s6_restart_and_once_at_most() {
    let mut s = Sim::new(Config { down_signal: libc::SIGHUP, ..Config::default() }, true);
    s.step(Event::Boot);
    let pid = s.m.pid().unwrap();
    assert_eq!(s.cmd(b'r'), vec![Action::Signal { pid, signal: libc::SIGHUP }]);
    assert_eq!(s.status().want, Want::Up);
    s.advance(1500);
    assert_eq!(spawns(&s.die(KILLED_BY_TERM)), 1);
    s.cmd(b'O');
    assert_eq!(s.status().want, Want::Once);
    s.advance(1500);
    assert_eq!(spawns(&s.die(exited(0))), 0);
    assert_eq!(s.m.deadline(), None);
}

#[test]
fn actions_keep_their_order_past_the_inline_slots() {
    let all: Vec<Action> = (1..=20).map(|signal| Action::Signal { pid: 7, signal }).collect();
    let mut queue = Actions::default();
    queue.extend(all[..5].iter().cloned());
    assert_eq!(queue.next(), Some(all[0].clone()));
    queue.extend(all[5..].iter().cloned());
    assert_eq!(queue.collect::<Vec<_>>(), all[1..]);
}

impl Sim {
    /// Steps the wall clock by `secs` and tells the machine as the runner
    /// does: the change of wall - monotonic.
    fn clock_step(&mut self, secs: i64) -> Vec<Action> {
        let before = self.now().offset();
        self.clock.step_wall(secs);
        let by_ns = i64::try_from(self.now().offset() - before).unwrap();
        self.step(Event::ClockStep { by_ns })
    }
}

fn signals(a: &[Action]) -> Vec<i32> {
    a.iter().filter_map(|a| if let Action::Signal { signal, .. } = a { Some(*signal) } else { None }).collect()
}

#[test]
fn a_step_back_past_the_threshold_restarts_with_the_down_signal_and_kill_timeout() {
    let config = Config {
        clock_step_restart: Some(Duration::from_millis(1000)),
        timeout_kill: Some(Duration::from_millis(300)),
        down_signal: libc::SIGHUP,
        ..Config::default()
    };
    let mut s = Sim::new(config, true);
    s.step(Event::Boot);
    s.advance(5000);
    let pid = s.m.pid().unwrap();
    let a = s.clock_step(-3600);
    assert_eq!(signals(&a), [libc::SIGHUP, libc::SIGCONT]);
    let step = s.status().extras.unwrap().last_clock_step.unwrap();
    assert_eq!(step.back_ms, 3_600_000);
    assert_eq!(step.at_unix, s.clock.wall().as_secs());
    assert_eq!(s.status().want, Want::Up);
    // A second step while it stops sends nothing more; the kill timeout holds.
    assert_eq!(signals(&s.clock_step(-10)), []);
    assert_eq!(s.advance(300), vec![Action::Signal { pid, signal: libc::SIGKILL }, Action::Sweep]);
    assert_eq!(spawns(&s.die(KILLED_BY_KILL)), 1);
    assert_ne!(s.m.pid(), Some(pid));
    assert_eq!(s.status().extras.unwrap().last_clock_step.unwrap().back_ms, 10_000);
}

#[test]
fn small_steps_back_forward_steps_and_services_without_the_file_are_left_running() {
    let mut s = Sim::new(Config { clock_step_restart: Some(Duration::from_secs(7200)), ..Config::default() }, true);
    s.step(Event::Boot);
    s.advance(5000);
    let a = s.clock_step(-3600);
    assert_eq!(signals(&a), []);
    assert!(
        matches!(a[..], [Action::WriteStatus(st)] if st.extras.unwrap().last_clock_step.unwrap().back_ms == 3_600_000)
    );
    assert_eq!(signals(&s.clock_step(10_000)), []);
    let mut s = Sim::new(Config::default(), true);
    s.step(Event::Boot);
    assert_eq!(signals(&s.clock_step(-3600)), []);
}

#[test]
fn a_step_back_does_not_start_a_service_wanted_down() {
    let mut s = Sim::new(Config { clock_step_restart: Some(Duration::from_millis(1)), ..Config::default() }, true);
    s.step(Event::Boot);
    s.cmd(b'd');
    s.die(KILLED_BY_TERM);
    let a = s.clock_step(-3600);
    assert_eq!((spawns(&a), signals(&a)), (0, vec![]));
}

fn essential(finish: bool) -> Sim {
    let mut s = Sim::new(Config { essential: true, finish, ..Config::default() }, true);
    s.step(Event::Boot);
    s
}

#[test]
fn an_essential_service_that_exits_unasked_ends_supervise_with_its_code() {
    let mut s = essential(false);
    let a = s.die(exited(3));
    assert_eq!(a[a.len() - 2..], [Action::EssentialEnded { code: 3 }, Action::Exit]);
    assert_eq!(s.m.status(s.now()).want, Want::Down);
    let mut s = essential(false);
    assert!(s.die(KILLED_BY_KILL).ends_with(&[Action::EssentialEnded { code: 137 }, Action::Exit]));
}

#[test]
fn an_essential_service_asked_to_stop_or_restart_does_not_end_supervise() {
    for letter in [b'd', b't', b'k', b'r'] {
        let mut s = essential(false);
        s.cmd(letter);
        let a = s.die(KILLED_BY_TERM);
        assert!(!a.iter().any(|a| matches!(a, Action::EssentialEnded { .. } | Action::Exit)), "svc -{letter}");
    }
    let mut s = essential(false);
    s.cmd(b'x');
    assert_eq!(s.die(EXITED_0).last(), Some(&Action::Exit), "svc -x: a plain exit");
    assert!(!s.m.step(s.now(), Event::Wake).any(|a| matches!(a, Action::EssentialEnded { .. })));
}

#[test]
fn an_essential_service_with_finish_ends_supervise_after_finish_whatever_finish_says() {
    let mut s = essential(true);
    let a = s.die(exited(4));
    assert!(matches!(a.last(), Some(Action::WriteStatus(_))), "finish runs first: {a:?}");
    let a = s.die(exited(125));
    assert!(a.ends_with(&[Action::EssentialEnded { code: 4 }, Action::Exit]), "{a:?}");
}

#[test]
fn an_essential_service_restarted_for_a_clock_step_does_not_end_supervise() {
    let config = Config { essential: true, clock_step_restart: Some(Duration::from_millis(1000)), ..Config::default() };
    let mut s = Sim::new(config, true);
    s.step(Event::Boot);
    s.advance(5000);
    assert_eq!(signals(&s.clock_step(-3600)), [libc::SIGTERM, libc::SIGCONT]);
    let a = s.die(KILLED_BY_TERM);
    assert!(!a.iter().any(|a| matches!(a, Action::EssentialEnded { .. } | Action::Exit)), "{a:?}");
    s.advance(1000);
    assert!(s.m.pid().is_some(), "started again");
}

fn sweeps(a: &[Action]) -> usize {
    a.iter().filter(|a| **a == Action::Sweep).count()
}

#[test]
fn a_stopped_service_is_down_only_once_swept() {
    let mut s = Sim::new(Config::default(), true);
    s.step(Event::Boot);
    s.hold_sweep = true;
    let pid = s.m.pid().unwrap();
    s.cmd(b'd');
    let a = s.die(KILLED_BY_TERM);
    assert_eq!(a, vec![Action::Sweep]);
    assert!(s.m.sweeping());
    assert_eq!(s.status().state, RunState::Run, "not down while processes remain");
    assert_eq!(s.status().pid, pid);
    assert_eq!(s.m.pid(), None, "no signal goes to the dead main process");
    assert!(s.cmd(b'k').iter().all(|a| !matches!(a, Action::Signal { .. })));
    let a = s.step(Event::Swept);
    assert!(matches!(a[..], [Action::WriteStatus(st)] if st.state == RunState::Down && st.pid == 0));
    assert!(!s.m.sweeping());
}

#[test]
fn the_sweep_follows_down_kill_and_terminate_not_a_crash_or_term() {
    // (letters sent, whether the death is swept)
    for (letters, swept) in [(&b"d"[..], true), (b"k", true), (b"t", false), (b"", false), (b"r", false)] {
        let mut s = Sim::new(Config::default(), true);
        s.step(Event::Boot);
        for &c in letters {
            s.cmd(c);
        }
        let a = s.die(KILLED_BY_KILL);
        assert_eq!(sweeps(&a), usize::from(swept), "after {:?}", String::from_utf8_lossy(letters));
    }
    let mut s = Sim::new(Config::default(), true);
    s.step(Event::Boot);
    s.step(Event::Terminate);
    let a = s.die(KILLED_BY_TERM);
    assert_eq!(sweeps(&a), 1);
    assert_eq!(a.last(), Some(&Action::Exit), "supervise exits once swept");
}

#[test]
fn timeout_kill_kills_the_whole_service_and_a_stuck_sweep_gives_up() {
    let config = Config { timeout_kill: Some(Duration::from_secs(2)), ..Config::default() };
    let mut s = Sim::new(config, true);
    s.step(Event::Boot);
    s.hold_sweep = true;
    let pid = s.m.pid().unwrap();
    s.cmd(b'd');
    let a = s.advance(2000);
    assert_eq!(a, vec![Action::Signal { pid, signal: libc::SIGKILL }, Action::Sweep]);
    let a = s.die(KILLED_BY_KILL);
    assert_eq!(a, vec![Action::Sweep]);
    assert_eq!(s.advance(4999), vec![]);
    let a = s.advance(1);
    assert_eq!(a[0], Action::WarnSweepStuck);
    assert!(matches!(a[1], Action::WriteStatus(st) if st.state == RunState::Down));
}

#[test]
fn finish_runs_after_the_sweep_and_a_wanted_service_restarts() {
    let config = Config { finish: true, ..Config::default() };
    let mut s = Sim::new(config, true);
    s.step(Event::Boot);
    s.hold_sweep = true;
    s.cmd(b'd');
    s.cmd(b'u');
    assert_eq!(s.die(exited(0)), vec![Action::Sweep]);
    let a = s.step(Event::Swept);
    assert!(matches!(a[0], Action::SpawnFinish { code: 0, signal: 0 }));
    s.die(exited(0));
    s.advance(1000);
    assert_eq!(s.status().state, RunState::Run, "wanted up again: started");
}

fn checked(check_failures: Option<u32>) -> Sim {
    let config =
        Config { check: true, check_interval: Duration::from_millis(500), check_failures, ..Config::default() };
    Sim::new(config, true)
}

impl Sim {
    /// Boot, and the timer of the first check (due at once).
    fn boot(&mut self) -> Vec<Action> {
        let mut a = self.step(Event::Boot);
        a.extend(self.advance(0));
        a
    }
    /// The running check ends with `wstatus`.
    fn check_ends(&mut self, wstatus: i32) -> Vec<Action> {
        let pid = self.check_pid.take().expect("a check runs");
        self.step(Event::ChildExited { pid, wstatus })
    }
    fn check(&self) -> Option<svstatus::Check> {
        self.status().extras.unwrap().check
    }
}

fn check_spawns(a: &[Action]) -> usize {
    a.iter().filter(|a| **a == Action::SpawnCheck).count()
}

#[test]
fn checks_run_every_interval_until_one_passes_which_makes_the_service_ready() {
    use svstatus::{CheckPhase, CheckResult};
    let mut s = checked(None);
    let a = s.boot();
    assert_eq!((spawns(&a), check_spawns(&a)), (1, 1), "the first check at the start");
    assert_eq!(s.check().unwrap().phase, CheckPhase::Starting);
    let a = s.check_ends(exited(1));
    assert!(matches!(a[..], [Action::WriteStatus(_)]), "{a:?}");
    assert!(!s.status().extras.unwrap().ready);
    assert_eq!(s.check().unwrap().failures, 1);
    assert_eq!(check_spawns(&s.advance(499)), 0, "not before the interval");
    assert_eq!(check_spawns(&s.advance(1)), 1);
    // Starting never restarts, however many checks fail.
    for _ in 0..50 {
        s.check_ends(exited(1));
        assert_eq!(check_spawns(&s.advance(500)), 1);
    }
    assert_eq!(s.check().unwrap().failures, 51);
    assert_eq!(s.status().extras.unwrap().restarts, 0);
    let a = s.check_ends(exited(0));
    assert!(matches!(a[..], [Action::WriteStatus(st)] if st.extras.unwrap().ready), "{a:?}");
    let check = s.check().unwrap();
    assert_eq!((check.phase, check.last, check.failures), (CheckPhase::Idle, Some(CheckResult::Code(0)), 0));
    assert_eq!(s.m.deadline(), None, "no check-failures: no more checks");
}

#[test]
fn a_check_that_exits_at_once_starts_once_an_interval() {
    let mut s = checked(None);
    s.boot();
    let mut starts = 1;
    for _ in 0..1000 {
        s.check_ends(exited(2));
        // Every wake-up the runner could make before the deadline changes nothing.
        assert_eq!(check_spawns(&s.step(Event::Timer)), 0);
        starts += check_spawns(&s.advance(500));
    }
    assert_eq!(starts, 1001);
}

#[test]
fn check_failures_in_a_row_restart_a_ready_service_with_the_whole_tree_kill() {
    use svstatus::CheckPhase;
    let mut s = checked(Some(2));
    s.boot();
    let first = s.m.pid().unwrap();
    s.check_ends(exited(0));
    assert_eq!(s.check().unwrap().phase, CheckPhase::Watching);
    assert_eq!(check_spawns(&s.advance(500)), 1);
    s.check_ends(exited(1));
    assert_eq!(check_spawns(&s.advance(500)), 1);
    s.check_ends(exited(0));
    assert_eq!(s.check().unwrap().failures, 0, "a pass resets the count");
    s.advance(500);
    s.check_ends(exited(1));
    s.advance(500);
    let a = s.check_ends(exited(1));
    assert_eq!(signals(&a), [libc::SIGTERM, libc::SIGCONT]);
    let check = s.check().unwrap();
    assert_eq!((check.phase, check.failures, check.restarted), (CheckPhase::Idle, 2, false));
    assert_eq!(s.m.deadline(), Some(s.now().mono + crate::UNHEALTHY_KILL_AFTER), "SIGKILL in 5 s");
    assert_eq!(check_spawns(&s.advance(500)), 0, "no check while stopping");
    s.hold_sweep = true;
    let a = s.advance(4500);
    assert_eq!(signals(&a), [libc::SIGKILL]);
    let a = s.die(KILLED_BY_KILL);
    assert_eq!(sweeps(&a), 1, "the whole service is killed");
    s.hold_sweep = false;
    let mut a = s.step(Event::Swept);
    a.extend(s.advance(0));
    assert_eq!((spawns(&a), check_spawns(&a)), (1, 1), "started again at once (it was ready)");
    assert_ne!(s.m.pid(), Some(first));
    let st = s.status().extras.unwrap();
    assert_eq!(st.last_exit, Some(LastExit::Signal(libc::SIGKILL as u8)));
    let check = st.check.unwrap();
    assert_eq!((check.phase, check.failures, check.last, check.restarted), (CheckPhase::Starting, 0, None, true));
    // A later end for another reason clears the flag.
    s.check_ends(exited(0));
    s.die(exited(3));
    assert!(!s.check().unwrap().restarted);
}

#[test]
fn a_check_that_outlives_the_interval_is_killed_and_counted_as_timed_out() {
    use svstatus::CheckResult;
    let mut s = checked(Some(3));
    s.boot();
    let pid = s.check_pid.unwrap();
    let a = s.advance(500);
    assert_eq!(a, [Action::KillCheck { pid }]);
    assert_eq!(s.m.deadline(), None, "nothing until it is reaped");
    s.check_ends(KILLED_BY_KILL);
    assert_eq!(s.check().unwrap().last, Some(CheckResult::TimedOut));
    assert_eq!(s.check().unwrap().failures, 1);
    assert_eq!(check_spawns(&s.step(Event::Timer)), 1, "the next one at once: its interval has passed");
    // A check killed by someone else is a failure of its own kind.
    s.check_ends(KILLED_BY_TERM);
    assert_eq!(s.check().unwrap().last, Some(CheckResult::Signal(libc::SIGTERM as u8)));
}

#[test]
fn no_check_runs_while_the_service_is_down_stopping_or_paused() {
    use svstatus::CheckPhase;
    let mut s = checked(Some(1));
    s.boot();
    let pid = s.check_pid.unwrap();
    let a = s.cmd(b'p');
    assert!(a.contains(&Action::KillCheck { pid }), "{a:?}");
    assert_eq!(s.check().unwrap().phase, CheckPhase::Idle);
    assert_eq!(s.m.deadline(), None);
    assert_eq!(check_spawns(&s.cmd(b'c')), 0);
    assert_eq!(check_spawns(&s.step(Event::Timer)), 1, "again once continued");
    let pid = s.check_pid.unwrap();
    let a = s.cmd(b'd');
    assert!(a.contains(&Action::KillCheck { pid }), "{a:?}");
    s.die(KILLED_BY_TERM);
    assert_eq!(s.m.deadline(), None);
    assert_eq!(check_spawns(&s.advance(10_000)), 0);
    assert_eq!(s.check().unwrap().phase, CheckPhase::Idle);
    // The killed check's end comes later and counts for nothing.
    s.step(Event::ChildExited { pid, wstatus: KILLED_BY_KILL });
    assert_eq!(s.check().unwrap().failures, 0);
    // A service that dies by itself takes its check with it.
    s.cmd(b'u');
    s.advance(0);
    let pid = s.check_pid.unwrap();
    let a = s.die(exited(1));
    assert!(a.contains(&Action::KillCheck { pid }), "{a:?}");
}

#[test]
fn with_notification_fd_the_checks_only_watch_once_ready() {
    use svstatus::CheckPhase;
    let config = Config {
        check: true,
        check_failures: Some(1),
        notification_fd: Some(3),
        check_interval: Duration::from_millis(500),
        ..Config::default()
    };
    let mut s = Sim::new(config, true);
    let a = s.step(Event::Boot);
    assert_eq!(check_spawns(&a), 0);
    assert_eq!(s.check().unwrap().phase, CheckPhase::Idle);
    s.step(Event::Ready);
    assert_eq!(s.check().unwrap().phase, CheckPhase::Watching);
    assert_eq!(check_spawns(&s.advance(500)), 1);
    let a = s.check_ends(exited(1));
    assert_eq!(signals(&a), [libc::SIGTERM, libc::SIGCONT]);
}

#[test]
fn services_without_check_record_none_and_fork_failures_are_retried_an_interval_later() {
    let mut s = Sim::new(Config::default(), true);
    s.step(Event::Boot);
    assert_eq!(s.check(), None);
    let mut s = checked(None);
    s.m.step(s.now(), Event::Boot).for_each(drop);
    s.m.step(s.now(), Event::Spawned(7)).for_each(drop);
    let a: Vec<_> = s.m.step(s.now(), Event::Timer).collect();
    assert_eq!(a, [Action::SpawnCheck]);
    s.m.step(s.now(), Event::CheckSpawnFailed).for_each(drop);
    assert_eq!(s.m.deadline(), Some(s.now().mono + Duration::from_millis(500)));
    assert_eq!(s.check().unwrap().failures, 0, "not the service's fault");
}

#[test]
fn an_essential_service_restarted_by_its_checks_does_not_end_supervise() {
    let config = Config { essential: true, ..checked(Some(1)).m.config };
    let mut s = Sim::new(config, true);
    s.boot();
    s.check_ends(exited(0));
    s.advance(500);
    s.check_ends(exited(1));
    let a = s.die(KILLED_BY_TERM);
    assert!(!a.iter().any(|a| matches!(a, Action::EssentialEnded { .. } | Action::Exit)), "{a:?}");
    assert_eq!(spawns(&a), 1);
}

#[test]
fn a_watchdog_timeout_aborts_kills_after_the_default_sweeps_and_restarts() {
    let mut s = Sim::new(Config::default(), true);
    s.step(Event::Boot);
    let pid = s.m.running().unwrap();
    let a = s.step(Event::WatchdogTimeout);
    assert_eq!(a[..2], [Action::Signal { pid, signal: libc::SIGABRT }, Action::Signal { pid, signal: libc::SIGCONT }]);
    assert_eq!(s.step(Event::WatchdogTimeout), vec![], "one abort per timeout");
    assert_eq!(s.advance(crate::UNHEALTHY_KILL_AFTER.as_millis() as u64 - 1), vec![]);
    assert_eq!(s.advance(1), vec![Action::Signal { pid, signal: libc::SIGKILL }, Action::Sweep]);
    s.hold_sweep = true;
    let a = s.die(KILLED_BY_KILL);
    assert_eq!(a, vec![Action::Sweep]);
    s.hold_sweep = false;
    let a = s.step(Event::Swept);
    assert_eq!(spawns(&a), 1, "wanted up: started again");
    assert_ne!(s.m.running(), Some(pid));
    assert_eq!(s.status().extras.unwrap().last_exit, Some(LastExit::Signal(libc::SIGKILL as u8)));
}

#[test]
fn a_watchdog_timeout_uses_timeout_kill_and_means_nothing_when_down() {
    let mut s = Sim::new(Config { timeout_kill: Some(Duration::from_millis(300)), ..Config::default() }, false);
    s.step(Event::Boot);
    assert_eq!(s.step(Event::WatchdogTimeout), vec![]);
    s.cmd(b'u');
    let pid = s.m.running().unwrap();
    s.step(Event::WatchdogTimeout);
    assert_eq!(s.advance(300), vec![Action::Signal { pid, signal: libc::SIGKILL }, Action::Sweep]);
}

#[test]
fn a_paused_service_is_not_aborted_by_its_watchdog() {
    let mut s = Sim::new(Config::default(), true);
    s.step(Event::Boot);
    let pid = s.m.running().unwrap();
    s.cmd(b'p');
    assert!(s.m.paused());
    assert_eq!(s.step(Event::WatchdogTimeout), vec![], "a stopped process cannot ping");
    s.cmd(b'c');
    assert!(!s.m.paused());
    assert!(s.step(Event::WatchdogTimeout).contains(&Action::Signal { pid, signal: libc::SIGABRT }));
}

fn oneshot(backoff_max: Option<Duration>) -> Sim {
    Sim::new(Config { oneshot: true, backoff_max, ..Config::default() }, true)
}

fn oneshot_of(s: &Sim) -> Option<bool> {
    s.status().extras.unwrap().oneshot
}

#[test]
fn a_oneshot_that_exits_0_is_done_ready_down_and_not_started_again() {
    let mut s = oneshot(None);
    assert_eq!(spawns(&s.step(Event::Boot)), 1);
    assert_eq!(oneshot_of(&s), Some(false), "not done while it runs");
    assert!(!s.status().extras.unwrap().ready);
    s.step(Event::Ready);
    assert!(!s.status().extras.unwrap().ready, "a job's readiness is its exit, not notification-fd");
    s.advance(5000);
    let a = s.die(EXITED_0);
    assert_eq!(spawns(&a), 0);
    let st = s.status();
    let x = st.extras.unwrap();
    assert_eq!((st.pid, st.state, st.want), (0, RunState::Down, Want::Down));
    assert_eq!((x.oneshot, x.ready, x.last_exit), (Some(true), true, Some(LastExit::Code(0))));
    assert_ne!(x.ready_stamp, tai64::Label::default());
    assert_eq!(s.m.deadline(), None, "nothing more to do");
    assert!(s.advance(3_600_000).is_empty());
    // svc -d changes nothing of what was done.
    s.cmd(b'd');
    assert_eq!(oneshot_of(&s), Some(true));
    // svc -u runs it again: not done (nor ready) until that run exits 0.
    assert_eq!(spawns(&s.cmd(b'u')), 1);
    assert_eq!((oneshot_of(&s), s.status().extras.unwrap().ready), (Some(false), false));
    s.die(EXITED_0);
    assert_eq!(oneshot_of(&s), Some(true));
}

#[test]
fn a_failing_oneshot_is_retried_a_second_after_it_ended_however_long_it_ran() {
    let mut s = oneshot(None);
    s.step(Event::Boot);
    s.advance(5000);
    assert_eq!(spawns(&s.die(exited(3))), 0, "a long failed run is no healthy run");
    let x = s.status().extras.unwrap();
    assert_eq!((x.oneshot, x.ready, x.last_exit), (Some(false), false, Some(LastExit::Code(3))));
    assert_eq!(s.status().want, Want::Up);
    assert_eq!(spawns(&s.advance(999)), 0);
    assert_eq!(spawns(&s.advance(1)), 1);
    s.advance(10);
    assert_eq!(spawns(&s.die(KILLED_BY_KILL)), 0);
    assert_eq!(spawns(&s.advance(999)), 0);
    assert_eq!(spawns(&s.advance(1)), 1);
    s.die(EXITED_0);
    assert_eq!(oneshot_of(&s), Some(true));
    assert_eq!(s.status().extras.unwrap().restarts, 2);
}

#[test]
fn a_failing_oneshot_backs_off_up_to_backoff_max_whatever_each_run_lasted() {
    let mut s = oneshot(Some(Duration::from_secs(4)));
    s.step(Event::Boot);
    let mut delays = Vec::new();
    for _ in 0..4 {
        s.advance(6000);
        assert_eq!(spawns(&s.die(exited(1))), 0);
        let mut waited = 0;
        while spawns(&s.advance(100)) == 0 {
            waited += 100;
        }
        delays.push(waited + 100);
    }
    assert_eq!(delays, vec![1000, 2000, 4000, 4000]);
}

#[test]
fn an_essential_oneshot_ends_supervise_only_when_it_fails() {
    let mut s = Sim::new(Config { oneshot: true, essential: true, ..Config::default() }, true);
    s.step(Event::Boot);
    let a = s.die(EXITED_0);
    assert!(!a.contains(&Action::Exit), "{a:?}");
    s.cmd(b'u');
    let a = s.die(exited(2));
    assert!(a.contains(&Action::EssentialEnded { code: 2 }), "{a:?}");
}

#[test]
fn a_oneshot_runs_no_check_and_a_longrun_records_no_oneshot() {
    let mut s = Sim::new(Config { oneshot: true, check: true, ..Config::default() }, true);
    let a = s.step(Event::Boot);
    assert_eq!(check_spawns(&a), 0);
    assert_eq!(s.status().extras.unwrap().check, None);
    assert!(s.advance(5000).is_empty());
    let mut s = Sim::new(Config::default(), true);
    s.step(Event::Boot);
    assert_eq!(oneshot_of(&s), None);
}

/// A start the runner answers with Blocked: down, wanted up, waiting
/// (announced once, not at each look); Retry starts it; `svc -d` ends the
/// wait and a Retry then starts nothing; `svc -u` tries again.
#[test]
fn a_blocked_start_waits_until_a_retry_and_down_ends_the_wait() {
    let mut s = Sim::new(Config::default(), true);
    let now = s.now();
    let acts: Vec<Action> = s.m.step(now, Event::Boot).collect();
    assert_eq!(spawns(&acts), 1);
    let acts: Vec<Action> = s.m.step(now, Event::Blocked).collect();
    assert!(matches!(acts[..], [Action::WriteStatus(_)]), "{acts:?}");
    let st = s.status();
    assert_eq!((st.pid, st.want, st.extras.unwrap().waiting), (0, Want::Up, true));
    assert!(s.m.waiting() && s.m.deadline().is_none());
    // A look that finds it must still wait writes nothing.
    let acts: Vec<Action> = s.m.step(now, Event::Retry).collect();
    assert_eq!(acts, vec![Action::Spawn]);
    assert!(s.m.step(now, Event::Blocked).next().is_none());
    // Dependencies ready: it starts, and waits no more.
    let acts = s.step(Event::Retry);
    assert_eq!(spawns(&acts), 1);
    assert!(s.m.running().is_some() && !s.m.waiting() && !s.status().extras.unwrap().waiting);
    // Restarted after its death, blocked again: the record says so.
    s.clock.advance(Duration::from_secs(2));
    let now = s.now();
    let pid = s.m.pid().unwrap();
    let acts: Vec<Action> = s.m.step(now, Event::ChildExited { pid, wstatus: exited(1) }).collect();
    assert_eq!(acts, vec![Action::Spawn]);
    let acts: Vec<Action> = s.m.step(now, Event::Blocked).collect();
    assert!(matches!(acts[..], [Action::WriteStatus(_)]) && s.m.waiting());
    s.cmd(b'd');
    assert!(!s.m.waiting() && !s.status().extras.unwrap().waiting);
    assert!(s.step(Event::Retry).is_empty());
    let acts: Vec<Action> = s.m.step(s.now(), Event::Command(Command::Up)).collect();
    assert_eq!(spawns(&acts), 1);
}
