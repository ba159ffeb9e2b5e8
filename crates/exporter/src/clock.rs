//! The clock's metrics for the exporter: `tend clock`'s check, run in the
//! background at most once a [`CLOCK_EVERY`] (so at most one NTP query per
//! server per minute however often it is scraped) and only when scraped;
//! and the wall clock's backward steps, counted as clockwatch sees them.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use timehealth::watch::{BootClock, Config, Event, Watcher};
use timehealth::{CheckOptions, Report};

/// The shortest time between two clock checks.
pub const CLOCK_EVERY: Duration = Duration::from_secs(60);

/// The last clock check's report and its metrics.
#[derive(Default)]
struct Checked {
    report: Option<Arc<Report>>,
    text: Arc<str>,
}

/// The cached clock check.
pub struct ClockCache {
    options: Option<CheckOptions>,
    last: Arc<Mutex<Checked>>,
    /// CLOCK_MONOTONIC when the last check started.
    started: Option<Duration>,
}

impl ClockCache {
    /// A cache of the check `options` describe; None: no clock check.
    pub fn new(options: Option<CheckOptions>) -> ClockCache {
        ClockCache { options, last: Arc::default(), started: None }
    }

    /// The last check's report and metrics (None and empty before the
    /// first ends); starts a check in the background if the last one
    /// started [`CLOCK_EVERY`] ago or more (the scrape does not wait).
    pub fn get(&mut self, now: Duration) -> (Option<Arc<Report>>, Arc<str>) {
        let due = self.started.is_none_or(|t| now.saturating_sub(t) >= CLOCK_EVERY);
        if let (true, Some(options)) = (due, &self.options) {
            self.started = Some(now);
            let options = options.clone();
            let last = Arc::clone(&self.last);
            let spawned = std::thread::Builder::new().name("clock".into()).spawn(move || {
                let report = timehealth::check(&options);
                let text: Arc<str> = timehealth::prometheus::render(&report).into();
                let mut slot = last.lock().unwrap_or_else(PoisonError::into_inner);
                *slot = Checked { report: Some(Arc::new(report)), text };
            });
            if let Err(e) = spawned {
                strerr::warn(&[b"unable to start the clock check: ", strerr::errstr(&e).as_bytes()]);
            }
        }
        let slot = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        (slot.report.clone(), Arc::clone(&slot.text))
    }
}

/// Backward steps of CLOCK_REALTIME: wall minus boot time compared
/// between two looks, with clockwatch's threshold ([`Watcher::check_step`]).
pub struct Steps {
    watcher: Watcher,
    backward: u64,
}

impl Default for Steps {
    fn default() -> Self {
        Steps { watcher: Watcher::new(&Config::default(), &BootClock), backward: 0 }
    }
}

impl Steps {
    /// Looks again; `signalled`: the wall-step timer fired. The count so far.
    pub fn look(&mut self, signalled: bool) -> u64 {
        if let Some(Event::Step { by, .. }) = self.watcher.check_step(&BootClock, signalled) {
            if by < 0.0 {
                self.backward += 1;
            }
        }
        self.backward
    }
}
