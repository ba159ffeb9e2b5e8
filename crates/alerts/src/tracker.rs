//! One service's alerts over its samples (pure): when a threshold is
//! crossed for long enough, one event; when it no longer is, one
//! `recovered` event.
//!
//! - runaway: every sample for `over` at or above the CPU percentage (an
//!   interval below it starts the count again);
//! - memory-high: resident memory at or above the limit, recovered below it;
//! - memory-growing: the samples are cut into windows of `grow` from the
//!   first; a window whose maximum is above every earlier sample's is a new
//!   maximum; [`GROW_WINDOWS`] in a row is growing, a window without one
//!   recovers;
//! - crash-loop: `restarts` restarts within `within` (from the status
//!   record's restart counter; without one, a new pid counts as a restart);
//!   one event per loop: it recovers only after a whole `within` without a
//!   restart;
//! - oom-kill: an increase of the cgroup's `oom_kill` count (no recovery);
//! - down: wanted up but not running for longer than the grace, and not
//!   restarted in the meantime (a crash loop is reported as one).

use std::collections::VecDeque;
use std::time::Duration;

use crate::event::{Alert, Busiest, What};
use crate::threshold::{Thresholds, GROW_WINDOWS};

/// What one sample of one service says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// Its main process runs (not finish, not down).
    pub up: bool,
    /// The supervisor wants it up.
    pub wants_up: bool,
    /// A one-shot job, or it waits for its dependencies: not down by fault.
    pub waiting: bool,
    pub oneshot: bool,
    /// The main pid (0 when down).
    pub pid: u32,
    /// The status record's restart counter, where the supervisor keeps one.
    pub restarts: Option<u64>,
    /// How the last run ended (`exit 1`, `signal 9`).
    pub last_exit: Option<String>,
    /// Percent of one core since the last sample.
    pub cpu_percent: Option<f64>,
    pub busiest: Option<Busiest>,
    /// Resident memory, bytes.
    pub rss: Option<u64>,
    /// The cgroup's count of OOM kills.
    pub oom_kills: Option<u64>,
}

/// One service's alert state.
#[derive(Debug, Default)]
pub struct Tracker {
    last: Option<Duration>,
    hot_since: Option<Duration>,
    /// Percent-seconds burned since `hot_since`.
    hot_burn: f64,
    runaway: bool,
    memory_high: bool,
    grow: Grow,
    growing: bool,
    restarts: Option<u64>,
    last_pid: u32,
    /// When restarts were seen, and how many.
    starts: VecDeque<(Duration, u64)>,
    last_start: Option<Duration>,
    crash_loop: bool,
    oom_kills: Option<u64>,
    down_since: Option<Duration>,
    down: bool,
}

#[derive(Debug, Default)]
struct Grow {
    window_start: Option<Duration>,
    window_max: u64,
    /// The highest sample before this window.
    before: Option<u64>,
    streak: u32,
}

impl Tracker {
    /// The events of the sample taken at `now` (monotonic).
    pub fn observe(&mut self, now: Duration, s: &Sample, t: &Thresholds) -> Vec<What> {
        let mut ev = Vec::new();
        let interval = self.last.map(|l| now.saturating_sub(l));
        self.last = Some(now);
        self.cpu(now, interval, s, t, &mut ev);
        self.memory(now, s, t, &mut ev);
        let restarted = self.crash(now, s, t, &mut ev);
        if let (Some(n), Some(before)) = (s.oom_kills, self.oom_kills) {
            if n > before {
                ev.push(What::OomKill { kills: n - before });
            }
        }
        self.oom_kills = s.oom_kills.or(self.oom_kills);
        self.down(now, s, restarted, t, &mut ev);
        ev
    }

    fn cpu(&mut self, now: Duration, interval: Option<Duration>, s: &Sample, t: &Thresholds, ev: &mut Vec<What>) {
        let hot = match (t.cpu, s.cpu_percent, interval) {
            (Some(alert), Some(p), Some(i)) if s.up && p >= alert.percent => Some((alert, p, i)),
            (Some(_), None, _) if s.up => return, // no figure this time: nothing concluded
            _ => None,
        };
        let Some((alert, p, i)) = hot else {
            self.hot_since = None;
            recover(&mut self.runaway, Alert::Runaway, ev);
            return;
        };
        let since = *self.hot_since.get_or_insert_with(|| {
            self.hot_burn = 0.0;
            now.saturating_sub(i)
        });
        self.hot_burn += p * i.as_secs_f64();
        let over = now.saturating_sub(since);
        if !self.runaway && over >= alert.over {
            self.runaway = true;
            let percent = self.hot_burn / over.as_secs_f64().max(1e-9);
            ev.push(What::Runaway { percent, over, busiest: s.busiest.clone() });
        }
    }

    fn memory(&mut self, now: Duration, s: &Sample, t: &Thresholds, ev: &mut Vec<What>) {
        let (Some(alert), Some(rss)) = (t.memory, s.rss) else {
            recover(&mut self.memory_high, Alert::MemoryHigh, ev);
            recover(&mut self.growing, Alert::MemoryGrowing, ev);
            return;
        };
        match alert.limit {
            Some(limit) if rss >= limit => {
                if !self.memory_high {
                    self.memory_high = true;
                    ev.push(What::MemoryHigh { rss, limit });
                }
            }
            _ => recover(&mut self.memory_high, Alert::MemoryHigh, ev),
        }
        let Some(window) = alert.grow else {
            recover(&mut self.growing, Alert::MemoryGrowing, ev);
            return;
        };
        let g = &mut self.grow;
        let start = *g.window_start.get_or_insert(now);
        if now.saturating_sub(start) >= window {
            // The window ended: was its maximum a new one?
            let new_max = g.before.is_some_and(|b| g.window_max > b);
            g.before = Some(g.before.unwrap_or(0).max(g.window_max));
            g.streak = if new_max { g.streak + 1 } else { 0 };
            g.window_start = Some(now);
            g.window_max = 0;
            if g.streak >= GROW_WINDOWS && !self.growing {
                self.growing = true;
                ev.push(What::MemoryGrowing { rss, windows: g.streak, window });
            } else if g.streak == 0 {
                recover(&mut self.growing, Alert::MemoryGrowing, ev);
            }
        }
        g.window_max = g.window_max.max(rss);
    }

    /// Whether it was restarted since the last sample.
    fn crash(&mut self, now: Duration, s: &Sample, t: &Thresholds, ev: &mut Vec<What>) -> bool {
        let new = match (s.restarts, self.restarts) {
            (Some(n), Some(before)) => n.saturating_sub(before),
            (Some(_), None) => 0,
            (None, _) => u64::from(s.pid != 0 && self.last_pid != 0 && s.pid != self.last_pid),
        };
        self.restarts = s.restarts;
        if s.pid != 0 {
            self.last_pid = s.pid;
        }
        if new > 0 {
            self.starts.push_back((now, new));
            self.last_start = Some(now);
        }
        let Some(alert) = t.crash else {
            self.starts.clear();
            recover(&mut self.crash_loop, Alert::CrashLoop, ev);
            return new > 0;
        };
        while self.starts.front().is_some_and(|(at, _)| now.saturating_sub(*at) > alert.within) {
            self.starts.pop_front();
        }
        let count: u64 = self.starts.iter().map(|(_, n)| n).sum();
        if !self.crash_loop && count >= u64::from(alert.restarts) {
            self.crash_loop = true;
            ev.push(What::CrashLoop { restarts: count, within: alert.within, last_exit: s.last_exit.clone() });
        } else if self.crash_loop && self.last_start.is_none_or(|at| now.saturating_sub(at) >= alert.within) {
            recover(&mut self.crash_loop, Alert::CrashLoop, ev);
        }
        new > 0
    }

    /// `restarted`: it ran since the last sample, though seen down (a
    /// crash loop, reported as one).
    fn down(&mut self, now: Duration, s: &Sample, restarted: bool, t: &Thresholds, ev: &mut Vec<What>) {
        let faulty = s.wants_up && !s.up && !restarted && !s.waiting && !s.oneshot;
        let Some(grace) = t.down.filter(|_| faulty) else {
            self.down_since = None;
            recover(&mut self.down, Alert::Down, ev);
            return;
        };
        let since = *self.down_since.get_or_insert(now);
        let over = now.saturating_sub(since);
        if !self.down && over >= grace {
            self.down = true;
            ev.push(What::Down { over, last_exit: s.last_exit.clone(), waiting: s.waiting });
        }
    }
}

fn recover(active: &mut bool, alert: Alert, ev: &mut Vec<What>) {
    if std::mem::take(active) {
        ev.push(What::Recovered(alert));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threshold::{CpuAlert, CrashAlert, MemoryAlert};

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn up(pid: u32) -> Sample {
        Sample { up: true, wants_up: true, pid, restarts: Some(0), ..Sample::default() }
    }

    #[test]
    fn a_runaway_is_reported_once_after_its_duration_and_recovers_once() {
        let t = Thresholds::default();
        let mut tr = Tracker::default();
        let busy = Busiest { pid: 7, percent: 99.0, command: "sh".into() };
        let hot = Sample { cpu_percent: Some(99.0), busiest: Some(busy.clone()), ..up(5) };
        let mut events = Vec::new();
        for i in 0..=60 {
            events.extend(tr.observe(secs(10 * i), &hot, &t).into_iter().map(|e| (i, e)));
        }
        assert_eq!(
            events,
            [(30, What::Runaway { percent: 99.0, over: secs(300), busiest: Some(busy) })],
            "one event, 5 minutes after the first hot interval began"
        );
        let cool = Sample { cpu_percent: Some(3.0), ..up(5) };
        assert_eq!(tr.observe(secs(610), &cool, &t), [What::Recovered(Alert::Runaway)]);
        assert_eq!(tr.observe(secs(620), &cool, &t), []);
    }

    #[test]
    fn a_cool_interval_starts_the_count_again() {
        let t = Thresholds { cpu: Some(CpuAlert { percent: 50.0, over: secs(30) }), ..Thresholds::default() };
        let mut tr = Tracker::default();
        let hot = Sample { cpu_percent: Some(80.0), ..up(5) };
        let cool = Sample { cpu_percent: Some(10.0), ..up(5) };
        for (i, s) in [&hot, &hot, &hot, &cool, &hot, &hot].into_iter().enumerate() {
            assert_eq!(tr.observe(secs(10 * i as u64), s, &t), [], "sample {i}");
        }
        assert!(matches!(tr.observe(secs(60), &hot, &t)[..], [What::Runaway { .. }]));
        // A sample without a figure concludes nothing.
        assert_eq!(tr.observe(secs(70), &up(5), &t), []);
        let down = Sample { wants_up: false, ..Sample::default() };
        assert_eq!(tr.observe(secs(80), &down, &t), [What::Recovered(Alert::Runaway)]);
    }

    #[test]
    fn memory_above_its_limit_and_growing() {
        let window = secs(60);
        let t =
            Thresholds { memory: Some(MemoryAlert { limit: Some(1000), grow: Some(window) }), ..Thresholds::default() };
        let mut tr = Tracker::default();
        let at = |rss| Sample { rss: Some(rss), ..up(5) };
        let mut events = Vec::new();
        // A new maximum every minute for five minutes, then flat: the
        // first window is the baseline, the fourth is the third new maximum.
        for i in 0..10u64 {
            let rss = 100 + 10 * i.min(5) * 6;
            for j in 0..6 {
                let now = secs(60 * i + 10 * j);
                events.extend(tr.observe(now, &at(rss + j), &t).into_iter().map(|e| (now.as_secs(), e)));
            }
        }
        assert_eq!(
            events,
            [(240, What::MemoryGrowing { rss: 340, windows: 3, window }), (420, What::Recovered(Alert::MemoryGrowing))]
        );
        assert_eq!(tr.observe(secs(700), &at(1000), &t), [What::MemoryHigh { rss: 1000, limit: 1000 }]);
        assert_eq!(tr.observe(secs(710), &at(2000), &t), []);
        assert_eq!(tr.observe(secs(720), &at(999), &t), [What::Recovered(Alert::MemoryHigh)]);
    }

    /// Three simulated hours of a service that exits at once and is
    /// restarted every second: one event, and one recovery after the fix.
    #[test]
    fn a_crash_loop_gives_one_event_and_one_recovery() {
        let t = Thresholds::default();
        let mut tr = Tracker::default();
        let mut events = Vec::new();
        let mut restarts = 0;
        for now in (0..3 * 3600).step_by(10) {
            restarts += 10;
            let s = Sample { restarts: Some(restarts), last_exit: Some("exit 1".into()), ..up(now as u32 + 1) };
            events.extend(tr.observe(secs(now), &s, &t));
        }
        assert_eq!(
            events,
            [What::CrashLoop { restarts: 10, within: secs(300), last_exit: Some("exit 1".into()) }],
            "the first sample sets the baseline, the second sees 10 restarts"
        );
        // Fixed: it stays up.
        let fixed = Sample { restarts: Some(restarts + 1), ..up(99_999) };
        let mut after = Vec::new();
        for now in (3 * 3600..4 * 3600).step_by(10) {
            after.extend(tr.observe(secs(now), &fixed, &t).into_iter().map(|e| (now - 3 * 3600, e)));
        }
        assert_eq!(after, [(300, What::Recovered(Alert::CrashLoop))]);
    }

    /// A loop whose runs end at once is seen down at every sample: still
    /// one crash loop, not a down service too.
    #[test]
    fn a_crash_loop_seen_down_at_every_sample_is_not_down() {
        let t = Thresholds::default();
        let mut tr = Tracker::default();
        let mut events = Vec::new();
        for i in 0..100u64 {
            let s = Sample { wants_up: true, restarts: Some(i * 2), ..Sample::default() };
            events.extend(tr.observe(secs(2 * i), &s, &t));
        }
        assert!(matches!(events[..], [What::CrashLoop { .. }]), "{events:?}");
    }

    #[test]
    fn without_a_restart_counter_a_new_pid_is_a_restart() {
        let t = Thresholds { crash: Some(CrashAlert { restarts: 3, within: secs(60) }), ..Thresholds::default() };
        let mut tr = Tracker::default();
        let s = |pid| Sample { up: pid != 0, wants_up: true, pid, ..Sample::default() };
        let mut events = Vec::new();
        for (i, pid) in [10, 10, 11, 0, 12, 13].into_iter().enumerate() {
            events.extend(tr.observe(secs(5 * i as u64), &s(pid), &t));
        }
        assert_eq!(events, [What::CrashLoop { restarts: 3, within: secs(60), last_exit: None }]);
    }

    #[test]
    fn down_past_its_grace_oom_kills_and_a_restarted_supervisor() {
        let t = Thresholds::default();
        let mut tr = Tracker::default();
        let down =
            Sample { wants_up: true, last_exit: Some("exit 111".into()), restarts: Some(4), ..Sample::default() };
        assert_eq!(tr.observe(secs(0), &down, &t), []);
        assert_eq!(tr.observe(secs(20), &down, &t), []);
        assert_eq!(
            tr.observe(secs(30), &down, &t),
            [What::Down { over: secs(30), last_exit: Some("exit 111".into()), waiting: false }]
        );
        assert_eq!(tr.observe(secs(40), &down, &t), []);
        // Its supervise was restarted: the counter starts again at 0, which is no restart.
        let back = Sample { oom_kills: Some(2), ..up(8) };
        assert_eq!(tr.observe(secs(50), &back, &t), [What::Recovered(Alert::Down)]);
        let killed = Sample { oom_kills: Some(3), ..up(8) };
        assert_eq!(tr.observe(secs(60), &killed, &t), [What::OomKill { kills: 1 }]);
        // Waiting for dependencies, or wanted down, is no fault.
        let waiting = Sample { wants_up: true, waiting: true, ..Sample::default() };
        for i in 0..10 {
            assert_eq!(tr.observe(secs(70 + 10 * i), &waiting, &t), []);
        }
    }
}
