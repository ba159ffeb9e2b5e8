//! tend watch's loop: a sample of every service when one is due, on the
//! monotonic clock; between samples it sleeps in poll(2) on a
//! CANCEL_ON_SET timerfd (a clock step) and, when a hook is set, a
//! signalfd for SIGCHLD (a hook ended), with the next sample or hook
//! deadline as its timeout. Nothing else wakes it.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::time::Duration;

use resources::{ProcTable, Usage};
use timehealth::watch::{next_after, BootClock, Watcher};

use crate::event::{Event, What, TREE};
use crate::files::ThresholdFiles;
use crate::hook::Hooks;
use crate::sample;
use crate::threshold::Thresholds;
use crate::tracker::Tracker;

/// tend watch's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Between two samples.
    pub interval: Duration,
    /// The thresholds of services without their own files.
    pub defaults: Thresholds,
    /// The tree-wide hook, its time limit, and how many run at once.
    pub hook: Option<PathBuf>,
    pub hook_limit: Duration,
    pub hooks_at_once: usize,
    /// Service or scan directories (none: `$SVDIR` or /etc/service).
    pub dirs: Vec<Vec<u8>>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            interval: Duration::from_secs(10),
            defaults: Thresholds::default(),
            hook: None,
            hook_limit: Duration::from_secs(30),
            hooks_at_once: 4,
            dirs: Vec::new(),
        }
    }
}

/// One watched service: its alerts and its last usage (for CPU rates).
#[derive(Default)]
struct Watched {
    tracker: Tracker,
    last: Option<Usage>,
}

fn monotonic() -> Duration {
    unix::time::clock_gettime(libc::CLOCK_MONOTONIC)
}

fn emit(out: &mut dyn Write, events: &[Event]) -> io::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut buf = Vec::new();
    for e in events {
        buf.extend_from_slice(&e.line());
        buf.push(b'\n');
    }
    out.write_all(&buf)?;
    out.flush()
}

/// Runs the watcher until writing to `out` fails. Warnings (a bad
/// threshold file, a hook that failed) go to `warn`.
pub fn run(config: &Config, out: &mut dyn Write, warn: &mut dyn FnMut(&[u8])) -> io::Result<()> {
    let mut hooks = config.hook.clone().map(|h| Hooks::new(h, config.hook_limit, config.hooks_at_once));
    // Blocked before any hook starts, so that none ends unseen.
    let children = match hooks {
        Some(_) => Some(unix::signals::SignalFd::block(&[libc::SIGCHLD])?),
        None => None,
    };
    let timer = unix::timer::wall_step_timer()
        .map_err(|e| warn(format!("unable to create a timerfd: {}", strerr::errstr(&e)).as_bytes()))
        .ok();
    let mut steps = Watcher::new(&timehealth::watch::Config::default(), &BootClock);
    let mut watched: HashMap<Vec<u8>, Watched> = HashMap::new();
    let mut files = ThresholdFiles::default();
    let mut table: Option<ProcTable> = None;
    let start = format!(
        "-: start: sample every {} s, hook {}\n",
        config.interval.as_secs_f64(),
        config.hook.as_ref().map_or("none".into(), |h| h.display().to_string())
    );
    out.write_all(start.as_bytes())?;
    out.flush()?;
    let mut next_sample = monotonic();
    loop {
        let mut events = Vec::new();
        let now = monotonic();
        if now >= next_sample {
            sample_all(config, now, &mut table, &mut watched, &mut files, &mut events, warn);
            next_sample = next_after(next_sample, now, config.interval);
        }
        if let Some(h) = &mut hooks {
            for w in h.tend(now) {
                warn(&w);
            }
        }
        let due = hooks.as_ref().and_then(Hooks::next_deadline).map_or(next_sample, |d| d.min(next_sample));
        emit(out, &events)?;
        if let Some(h) = &mut hooks {
            for e in events.drain(..) {
                for w in h.submit(e, now) {
                    warn(&w);
                }
            }
        }
        let fds: Vec<i32> = timer.iter().map(|t| t.as_raw_fd()).chain(children.iter().map(|c| c.as_raw_fd())).collect();
        let ready = unix::poll::poll_readable(&fds, Some(due.saturating_sub(monotonic())))?;
        if let Some(c) = &children {
            while c.next().is_some() {}
        }
        let fired = timer.as_ref().is_some_and(|t| ready.first() == Some(&true) && unix::timer::wall_was_stepped(t));
        if fired {
            if let Some(t) = &timer {
                unix::timer::arm_wall_step_timer(t)?;
            }
        }
        if let Some(timehealth::watch::Event::Step { by, .. }) = steps.check_step(&BootClock, fired) {
            let step = Event { service: TREE.to_vec(), what: What::ClockStep { by } };
            emit(out, std::slice::from_ref(&step))?;
            if let Some(h) = &mut hooks {
                for w in h.submit(step, monotonic()) {
                    warn(&w);
                }
            }
        }
    }
}

/// One sample of every service: one pass over /proc for all of them
/// (`table`, refreshed: it keeps where services' cgroups are).
fn sample_all(
    config: &Config,
    now: Duration,
    table: &mut Option<ProcTable>,
    watched: &mut HashMap<Vec<u8>, Watched>,
    files: &mut ThresholdFiles,
    events: &mut Vec<Event>,
    warn: &mut dyn FnMut(&[u8]),
) {
    let dirs: Vec<&[u8]> = config.dirs.iter().map(Vec::as_slice).collect();
    let services = resources::services(&dirs);
    let table = match table {
        Some(t) => {
            t.refresh();
            t
        }
        None => table.insert(ProcTable::read()),
    };
    let mut seen = HashSet::with_capacity(services.len());
    for entry in &services {
        let w = watched.entry(entry.path.clone()).or_default();
        let (s, usage, main_pid) = sample::take(entry, table, w.last.as_ref());
        let limits = files.read(&entry.path, &config.defaults, &mut |line| warn(&line));
        for mut what in w.tracker.observe(now, &s, &limits) {
            sample::name_busiest(entry, table, main_pid, &mut what);
            events.push(Event { service: entry.name.clone(), what });
        }
        w.last = Some(usage);
        seen.insert(entry.path.clone());
    }
    watched.retain(|path, _| seen.contains(path));
    files.retain(|file| file.rsplitn(2, |&b| b == b'/').nth(1).is_some_and(|dir| seen.contains(dir)));
}
