//! clockwatch: one line per clock event, for a supervised service whose
//! stdout goes to multilog.
//!
//! [`Watcher`] is the core: it turns samples (wall and boot-time readings,
//! kernel sync state, clocksource, CPU times, kernel log lines, server
//! replies, the daemon's view) into [`Event`]s, the first ones from a full
//! check as `tend clock` makes it ([`Watcher::start`]), with time from a
//! [`tai64::Clock`] so tests step the wall clock in simulated time. [`run`] is
//! the loop around it: poll(2) on a CANCEL_ON_SET timerfd and /dev/kmsg, with
//! one timeout for the next sample, query or summary; nothing else wakes it.

use std::io::{self, Seek, Write};
use std::os::fd::AsRawFd;
use std::time::Duration;

use tai64::Clock;

use crate::audit::{self, Audit, AuditFinding};
use crate::clocksource::{self, LogEvent};
use crate::daemon::{self, Kind};
use crate::probe::{self, CheckOptions, Paths};
use crate::report::{secs, ClocksourceReport, Level, Report, Thresholds};
use crate::sntp::{self, ServerResult};
use crate::steal::{self, CpuTimes};

/// clockwatch's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Between two samples (sync state, clocksource, steal, step check).
    pub interval: Duration,
    /// Between two summary lines.
    pub summary: Duration,
    /// Between two server queries (and daemon views); zero: never.
    pub query_interval: Duration,
    /// Seconds; a smaller change of wall minus boot time is not a step (unless the timerfd fired).
    pub step_threshold: f64,
    /// Seconds.
    pub warn_offset: f64,
    /// Percent.
    pub warn_steal: f64,
    pub timeout: Duration,
    /// `--server` values; when empty, the daemons' configured servers.
    pub servers: Vec<String>,
    pub paths: Paths,
    /// Between two configuration audits (and at once on SIGHUP); zero: only on SIGHUP.
    pub audit_interval: Duration,
    /// The scan directory for the audit (None: its default).
    pub scan: Option<std::path::PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            interval: Duration::from_secs(60),
            summary: Duration::from_secs(3600),
            query_interval: Duration::from_secs(1024),
            step_threshold: 0.01,
            warn_offset: 0.128,
            warn_steal: 5.0,
            timeout: Duration::from_secs(2),
            servers: Vec::new(),
            paths: Paths::default(),
            audit_interval: Duration::from_secs(600),
            scan: None,
        }
    }
}

/// Something worth a log line.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The wall clock moved by `by` seconds relative to boot time; `signalled`:
    /// the kernel's CANCEL_ON_SET timer reported it.
    Step {
        by: f64,
        signalled: bool,
    },
    SyncLost,
    SyncRegained,
    OffsetHigh {
        server: String,
        offset: f64,
    },
    OffsetNormal {
        server: String,
        offset: f64,
    },
    ServerFailed {
        server: String,
        why: String,
    },
    ServerBack {
        server: String,
    },
    LocalClockOnly(String),
    LocalClockNoLonger,
    ClocksourceChanged {
        from: String,
        to: String,
    },
    Kernel(String),
    StealHigh {
        percent: f64,
        over: f64,
    },
    StealNormal {
        percent: f64,
    },
    /// An NTP daemon appeared in /proc, or went.
    DaemonStarted(Kind),
    DaemonStopped {
        kind: Kind,
        /// No NTP daemon runs any more.
        none_left: bool,
    },
    /// A configuration change brought an audit finding (level, check id, what, fix).
    AuditNew {
        level: Level,
        check: &'static str,
        what: String,
        fix: String,
    },
    /// A configuration change removed one.
    AuditGone {
        level: Level,
        check: &'static str,
        what: String,
    },
    /// The first line: the settings.
    Start(String),
    /// What the check at start found, one fact per line.
    State(String),
    /// A finding of the check at start, as `tend clock` gives it.
    Finding {
        level: Level,
        what: String,
        advice: String,
    },
    Summary(String),
}

impl Event {
    /// The line clockwatch prints (without newline).
    pub fn line(&self) -> String {
        match self {
            Event::Step { by, signalled } => format!(
                "step: wall clock stepped {} by {:.6} s{}",
                if *by < 0.0 { "back" } else { "forward" },
                by.abs(),
                if *signalled { " (kernel: clock was set)" } else { "" }
            ),
            Event::SyncLost => "sync: kernel clock no longer synchronised (STA_UNSYNC set)".into(),
            Event::SyncRegained => "sync: kernel clock synchronised again".into(),
            Event::OffsetHigh { server, offset } => format!("offset: {server} {} beyond threshold", secs(*offset)),
            Event::OffsetNormal { server, offset } => {
                format!("offset: {server} {} back within threshold", secs(*offset))
            }
            Event::ServerFailed { server, why } => format!("server: {server}: {why}"),
            Event::ServerBack { server } => format!("server: {server} answers again"),
            Event::LocalClockOnly(why) => format!("local: daemon synchronised only to its local clock: {why}"),
            Event::LocalClockNoLonger => "local: daemon selects a real source again".into(),
            Event::ClocksourceChanged { from, to } => format!("clocksource: changed from {from} to {to}"),
            Event::Kernel(line) => format!("kernel: {line}"),
            Event::StealHigh { percent, over } => format!("steal: {percent:.1}% over {over:.0} s"),
            Event::StealNormal { percent } => format!("steal: back to {percent:.1}%"),
            Event::DaemonStarted(kind) => format!("ntp: {kind} running"),
            Event::DaemonStopped { kind, none_left } => {
                format!("ntp: {kind} no longer running{}", if *none_left { "; no NTP daemon running" } else { "" })
            }
            Event::AuditNew { level, check, what, fix } => {
                format!("audit: new {} {check}: {what} -> {fix}", level.name())
            }
            Event::AuditGone { level, check, what } => format!("audit: gone {} {check}: {what}", level.name()),
            Event::Start(s) => format!("start: {s}"),
            Event::State(s) => format!("state: {s}"),
            Event::Finding { level, what, advice } => {
                let level = if *level == Level::Ok { "note".into() } else { level.name().to_ascii_lowercase() };
                let advice = if advice.is_empty() { String::new() } else { format!(" -> {advice}") };
                format!("{level}: {what}{advice}")
            }
            Event::Summary(s) => format!("summary: {s}"),
        }
    }
}

/// What one sample read; None where a probe failed (nothing is concluded from it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observation {
    pub synchronised: Option<bool>,
    pub clocksource: Option<String>,
    pub cpu: Option<CpuTimes>,
}

/// The core of clockwatch.
pub struct Watcher {
    step_threshold: f64,
    warn_offset: f64,
    warn_steal: f64,
    /// Wall minus boot time at the last look, nanoseconds.
    base: i128,
    synchronised: Option<bool>,
    clocksource: Option<String>,
    cpu: Option<(CpuTimes, Duration)>,
    steal_high: bool,
    last_steal: Option<f64>,
    servers_high: Vec<String>,
    servers_failed: Vec<String>,
    last_offset: Option<(String, f64)>,
    local_only: bool,
    daemons: Option<Vec<Kind>>,
    audit: Option<Vec<AuditFinding>>,
    started: Duration,
    steps: u64,
    wakeups: u64,
}

fn nanos(d: Duration) -> i128 {
    d.as_nanos() as i128
}

impl Watcher {
    pub fn new(config: &Config, clock: &dyn Clock) -> Watcher {
        Watcher {
            step_threshold: config.step_threshold,
            warn_offset: config.warn_offset,
            warn_steal: config.warn_steal,
            base: nanos(clock.wall()) - nanos(clock.monotonic()),
            synchronised: None,
            clocksource: None,
            cpu: None,
            steal_high: false,
            last_steal: None,
            servers_high: Vec::new(),
            servers_failed: Vec::new(),
            last_offset: None,
            local_only: false,
            daemons: None,
            audit: None,
            started: clock.monotonic(),
            steps: 0,
            wakeups: 0,
        }
    }

    /// Called on every wakeup: compares wall minus boot time with the last
    /// reading. `signalled`: the CANCEL_ON_SET timer fired.
    pub fn check_step(&mut self, clock: &dyn Clock, signalled: bool) -> Option<Event> {
        self.wakeups += 1;
        let now = nanos(clock.wall()) - nanos(clock.monotonic());
        let by = (now - self.base) as f64 / 1e9;
        self.base = now;
        if by.abs() > self.step_threshold || signalled {
            self.steps += 1;
            return Some(Event::Step { by, signalled });
        }
        None
    }

    /// A periodic sample: sync state, clocksource, steal time.
    pub fn sample(&mut self, clock: &dyn Clock, o: &Observation) -> Vec<Event> {
        let mut ev = Vec::new();
        if let Some(s) = o.synchronised {
            match (self.synchronised, s) {
                (Some(true), false) => ev.push(Event::SyncLost),
                (Some(false), true) => ev.push(Event::SyncRegained),
                _ => {}
            }
            self.synchronised = Some(s);
        }
        if let Some(cs) = &o.clocksource {
            if let Some(old) = self.clocksource.as_ref().filter(|old| *old != cs) {
                ev.push(Event::ClocksourceChanged { from: old.clone(), to: cs.clone() });
            }
            self.clocksource = Some(cs.clone());
        }
        if let Some(cpu) = o.cpu {
            let now = clock.monotonic();
            if let Some((before, at)) = self.cpu {
                if let Some(p) = steal::percent(before, cpu) {
                    self.last_steal = Some(p);
                    if p >= self.warn_steal && !self.steal_high {
                        self.steal_high = true;
                        ev.push(Event::StealHigh { percent: p, over: now.saturating_sub(at).as_secs_f64() });
                    } else if p < self.warn_steal && self.steal_high {
                        self.steal_high = false;
                        ev.push(Event::StealNormal { percent: p });
                    }
                }
            }
            self.cpu = Some((cpu, now));
        }
        ev
    }

    /// The NTP daemons running now (one entry per process), read at each
    /// query round: the /proc scan costs more than a sample's other reads.
    pub fn daemons(&mut self, now: &[Kind]) -> Vec<Event> {
        let mut ev = Vec::new();
        if let Some(before) = &self.daemons {
            ev.extend(now.iter().filter(|k| !before.contains(k)).map(|&k| Event::DaemonStarted(k)));
            let gone = before.iter().filter(|k| !now.contains(k));
            ev.extend(gone.map(|&kind| Event::DaemonStopped { kind, none_left: now.is_empty() }));
        }
        self.daemons = Some(now.to_vec());
        ev
    }

    /// The first lines: what a full check (`tend clock`'s) found, the state
    /// and every finding. Its readings become the baselines, so that later
    /// lines are changes only.
    pub fn start(&mut self, r: &Report) -> Vec<Event> {
        let mut ev = Vec::new();
        let mut state = |s: String| ev.push(Event::State(s));
        if let Some(Ok(k)) = &r.kernel {
            state(format!(
                "kernel clock {}synchronised ({}), maximum error {:.6} s, frequency {:+.3} ppm",
                if k.synchronised { "" } else { "not " },
                k.state,
                k.max_error,
                k.freq_ppm
            ));
            self.synchronised = Some(k.synchronised);
        }
        if let Some(n) = &r.ntp {
            if n.daemons.is_empty() {
                let installed: Vec<String> = n.installed.iter().map(|k| format!(", {k} installed")).collect();
                state(format!("NTP daemon none running{}", installed.concat()));
            }
            for d in &n.daemons {
                state(format!("NTP daemon {} (pid {}), {}", d.running.kind, d.running.pid, d.config_path.display()));
            }
            for s in &n.servers {
                if let Ok(x) = &s.outcome {
                    state(format!("server {} offset {}, stratum {}", s.name, secs(x.offset), x.stratum));
                }
            }
            self.daemons = Some(n.daemons.iter().map(|d| d.running.kind).collect());
            self.servers(&n.servers);
            self.local_only =
                n.daemons.iter().any(|d| matches!(&d.view, Some(Ok(v)) if v.local_clock_selected().is_some()));
        }
        if let Some(ClocksourceReport { source: Ok(cs), .. }) = &r.clocksource {
            state(format!("clocksource {} (available: {})", cs.current, cs.available.join(" ")));
            self.clocksource = Some(cs.current.clone());
        }
        if let Some(v) = &r.vm {
            match &v.detected {
                Some(d) => state(format!("hypervisor {} ({})", d.hypervisor, d.how)),
                None => state("hypervisor none found".into()),
            }
        }
        if let Some(Ok(s)) = &r.steal {
            let p = s.percent.map(|p| format!("{p:.2}%")).unwrap_or_else(|| "-".into());
            let b = s.since_boot.map(|p| format!("{p:.2}%")).unwrap_or_else(|| "-".into());
            state(format!("steal {p} over {:.1} s (since boot {b})", s.over.as_secs_f64()));
            self.last_steal = s.percent.or(self.last_steal);
            self.steal_high = s.percent.is_some_and(|p| p >= self.warn_steal);
        }
        if let Some(a) = &r.audit {
            self.audit = Some(a.findings.clone());
        }
        ev.extend(r.findings.iter().map(|f| Event::Finding {
            level: f.level,
            what: f.what.clone(),
            advice: f.advice.clone(),
        }));
        ev
    }

    /// The findings of a new audit: those that were not there before, and
    /// those that went (the first audit only sets the baseline).
    pub fn audit(&mut self, a: &Audit) -> Vec<Event> {
        let mut ev = Vec::new();
        if let Some(before) = &self.audit {
            let same = |x: &AuditFinding, y: &AuditFinding| x.check == y.check && x.what == y.what;
            for f in before.iter().filter(|f| !a.findings.iter().any(|n| same(f, n))) {
                ev.push(Event::AuditGone { level: f.level, check: f.check.id(), what: f.what.clone() });
            }
            for f in a.findings.iter().filter(|f| !before.iter().any(|b| same(f, b))) {
                ev.push(Event::AuditNew {
                    level: f.level,
                    check: f.check.id(),
                    what: f.what.clone(),
                    fix: f.fix.clone(),
                });
            }
        }
        self.audit = Some(a.findings.clone());
        ev
    }

    /// New kernel log lines.
    pub fn kernel_log(&mut self, events: &[LogEvent]) -> Vec<Event> {
        events.iter().map(|e| Event::Kernel(e.line().to_string())).collect()
    }

    /// The replies of one round of queries.
    pub fn servers(&mut self, results: &[ServerResult]) -> Vec<Event> {
        let mut ev = Vec::new();
        let mut round_worst: Option<(String, f64)> = None;
        for r in results {
            let name = r.name.clone();
            let was_failed = self.servers_failed.contains(&name);
            match &r.outcome {
                Ok(s) => {
                    if was_failed {
                        self.servers_failed.retain(|n| n != &name);
                        ev.push(Event::ServerBack { server: name.clone() });
                    }
                    let high = s.offset.abs() > self.warn_offset;
                    let was_high = self.servers_high.contains(&name);
                    if high && !was_high {
                        self.servers_high.push(name.clone());
                        ev.push(Event::OffsetHigh { server: name.clone(), offset: s.offset });
                    } else if !high && was_high {
                        self.servers_high.retain(|n| n != &name);
                        ev.push(Event::OffsetNormal { server: name.clone(), offset: s.offset });
                    }
                    round_worst = match round_worst {
                        Some((_, o)) if f64::abs(o) >= s.offset.abs() => round_worst,
                        _ => Some((name, s.offset)),
                    };
                }
                Err(e) => {
                    if !was_failed {
                        self.servers_failed.push(name.clone());
                        ev.push(Event::ServerFailed { server: name, why: e.to_string() });
                    }
                }
            }
        }
        if round_worst.is_some() {
            self.last_offset = round_worst;
        }
        ev
    }

    /// The daemon's view: `local` says why it is on its local clock only, if it is.
    pub fn daemon(&mut self, local: Option<String>) -> Option<Event> {
        match (local, self.local_only) {
            (Some(why), false) => {
                self.local_only = true;
                Some(Event::LocalClockOnly(why))
            }
            (None, true) => {
                self.local_only = false;
                Some(Event::LocalClockNoLonger)
            }
            _ => None,
        }
    }

    /// The summary line.
    pub fn summary(&self, clock: &dyn Clock) -> Event {
        let up = clock.monotonic().saturating_sub(self.started).as_secs();
        let sync = match self.synchronised {
            Some(true) => "synchronised",
            Some(false) => "unsynchronised",
            None => "unknown",
        };
        let mut s = format!("up {up} s, wakeups {}, steps {}, kernel {sync}", self.wakeups, self.steps);
        if let Some(cs) = &self.clocksource {
            s.push_str(&format!(", clocksource {cs}"));
        }
        if let Some(p) = self.last_steal {
            s.push_str(&format!(", steal {p:.1}%"));
        }
        if let Some((name, off)) = &self.last_offset {
            s.push_str(&format!(", offset {} ({name})", secs(*off)));
        }
        Event::Summary(s)
    }
}

/// CLOCK_BOOTTIME as the "monotonic" reading: like CLOCK_MONOTONIC but it
/// counts suspend, as the wall clock does, so a resume is not taken for a step.
#[derive(Debug, Clone, Copy, Default)]
pub struct BootClock;

impl Clock for BootClock {
    fn monotonic(&self) -> Duration {
        unix::time::clock_gettime(libc::CLOCK_BOOTTIME)
    }
    fn wall(&self) -> Duration {
        tai64::SystemClock.wall()
    }
}

fn observe(paths: &Paths) -> Observation {
    Observation {
        synchronised: probe::kernel().ok().map(|k| k.synchronised),
        clocksource: clocksource::read(&paths.sys).ok().map(|c| c.current),
        cpu: probe::cpu_times(&paths.proc).ok(),
    }
}

/// `tend clock`'s check with clockwatch's settings, for the first lines.
fn start_check(config: &Config) -> CheckOptions {
    CheckOptions {
        paths: config.paths.clone(),
        scan: config.scan.clone(),
        servers: config.servers.clone(),
        timeout: config.timeout,
        thresholds: Thresholds {
            warn_offset: config.warn_offset,
            warn_steal: config.warn_steal,
            ..Thresholds::default()
        },
        query: !config.query_interval.is_zero(),
        ..CheckOptions::default()
    }
}

/// The servers to query: those given with `--server`, else those the
/// `running` daemons are configured with.
fn server_specs(config: &Config, running: &[daemon::Running]) -> Vec<String> {
    if !config.servers.is_empty() {
        return config.servers.clone();
    }
    daemon::configured_servers(running, &config.paths.etc)
}

fn local_clock_only(config: &Config, running: &[daemon::Running]) -> Option<String> {
    running.iter().find_map(|r| {
        let c = daemon::read_config(r.kind, &r.config_path(&config.paths.etc)).ok();
        let view = probe::daemon_view(r.kind, c.as_ref(), config.timeout)?.ok()?;
        view.local_clock_selected().map(|why| format!("{}: {why}", r.kind))
    })
}

fn emit(out: &mut dyn Write, events: &[Event]) -> io::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut buf = String::new();
    for e in events {
        buf.push_str(&e.line());
        buf.push('\n');
    }
    out.write_all(buf.as_bytes())?;
    out.flush()
}

/// The first deadline after `now` in the series `due`, `due + every`, ...
/// (a wakeup that came late skips the missed ones); saturates instead of
/// overflowing, whatever the interval.
pub fn next_after(due: Duration, now: Duration, every: Duration) -> Duration {
    let missed = now.saturating_sub(due).as_nanos() / every.as_nanos().max(1);
    let periods = u32::try_from(missed.saturating_add(1)).unwrap_or(u32::MAX);
    due.saturating_add(every.saturating_mul(periods))
}

/// The kernel log, read from its end on: /dev/kmsg is polled, a plain file
/// (tests) is read at each sample.
struct KernelLog {
    file: std::fs::File,
    pollable: bool,
}

impl KernelLog {
    fn open(path: &std::path::Path) -> io::Result<KernelLog> {
        use std::os::unix::fs::FileTypeExt;
        let mut file = unix::fs::open_nonblocking(path)?;
        file.seek(io::SeekFrom::End(0))?;
        let pollable = file.metadata()?.file_type().is_char_device();
        Ok(KernelLog { file, pollable })
    }

    fn new_events(&mut self) -> Vec<LogEvent> {
        clocksource::read_log(&mut self.file).map(|t| clocksource::scan(&t)).unwrap_or_default()
    }
}

/// Runs clockwatch until writing to `out` fails. Warnings (a probe that
/// cannot start) go to stderr through `warn`.
pub fn run(config: &Config, out: &mut dyn Write, warn: &dyn Fn(&str)) -> io::Result<()> {
    let clock = BootClock;
    let timer = unix::timer::wall_step_timer()
        .map_err(|e| warn(&format!("unable to create a timerfd: {}", strerr::errstr(&e))))
        .ok();
    let mut klog = KernelLog::open(&config.paths.kmsg)
        .map_err(|e| warn(&format!("unable to read {}: {}", config.paths.kmsg.display(), strerr::errstr(&e))))
        .ok();
    let hangup = unix::signals::SignalFd::block(&[libc::SIGHUP])
        .map_err(|e| warn(&format!("unable to create a signalfd for SIGHUP: {}", strerr::errstr(&e))))
        .ok();
    let mut w = Watcher::new(config, &clock);
    let specs = if config.query_interval.is_zero() {
        Vec::new()
    } else {
        server_specs(config, &daemon::scan(&config.paths.proc, &config.paths.etc).daemons)
    };
    let start = Event::Start(format!(
        "sample every {} s, step threshold {:.3} s, servers {}",
        config.interval.as_secs_f64(),
        config.step_threshold,
        if specs.is_empty() { "none".into() } else { specs.join(" ") }
    ));
    emit(out, &[start])?;
    let mut first = w.start(&probe::check(&start_check(config)));
    first.extend(w.sample(&clock, &observe(&config.paths)));
    emit(out, &first)?;
    let now = clock.monotonic();
    let mut next_sample = now.saturating_add(config.interval);
    let mut next_summary = now.saturating_add(config.summary);
    let mut next_query = now.saturating_add(config.query_interval);
    let mut next_audit = now.saturating_add(config.audit_interval);
    let target = probe::audit_target(&start_check(config));
    loop {
        let now = clock.monotonic();
        let mut due = next_sample.min(next_summary);
        if !config.query_interval.is_zero() {
            due = due.min(next_query);
        }
        if !config.audit_interval.is_zero() {
            due = due.min(next_audit);
        }
        // The signalfd first, then the timer, then the kernel log.
        let mut fds = Vec::new();
        if let Some(h) = &hangup {
            fds.push(h.as_raw_fd());
        }
        if let Some(t) = &timer {
            fds.push(t.as_raw_fd());
        }
        if let Some(k) = klog.as_ref().filter(|k| k.pollable) {
            fds.push(k.file.as_raw_fd());
        }
        let ready = unix::poll::poll_readable(&fds, Some(due.saturating_sub(now)))?;
        let hung_up = hangup.as_ref().is_some_and(|h| ready.first() == Some(&true) && h.next().is_some());
        if let Some(h) = hangup.as_ref().filter(|_| hung_up) {
            while h.next().is_some() {}
        }
        let timer_ready = ready.get(usize::from(hangup.is_some())) == Some(&true);
        let signalled = timer.as_ref().is_some_and(|t| timer_ready && unix::timer::wall_was_stepped(t));
        if signalled {
            if let Some(t) = &timer {
                unix::timer::arm_wall_step_timer(t)?;
            }
        }
        let mut events: Vec<Event> = w.check_step(&clock, signalled).into_iter().collect();
        let now = clock.monotonic();
        let kmsg_ready = ready.last() == Some(&true) && klog.as_ref().is_some_and(|k| k.pollable);
        if let Some(k) = klog.as_mut().filter(|k| kmsg_ready || (!k.pollable && now >= next_sample)) {
            let new = k.new_events();
            events.extend(w.kernel_log(&new));
        }
        if now >= next_sample {
            events.extend(w.sample(&clock, &observe(&config.paths)));
            next_sample = next_after(next_sample, now, config.interval);
        }
        if !config.query_interval.is_zero() && now >= next_query {
            // The servers of the daemons running now (one started or
            // reconfigured since the start is queried too).
            let running = daemon::scan(&config.paths.proc, &config.paths.etc).daemons;
            let specs = server_specs(config, &running);
            if !specs.is_empty() {
                events.extend(w.servers(&sntp::query_all(&specs, config.timeout, tai64::SystemClock)));
            }
            events.extend(w.daemons(&running.iter().map(|r| r.kind).collect::<Vec<_>>()));
            events.extend(w.daemon(local_clock_only(config, &running)));
            next_query = next_after(next_query, now, config.query_interval);
        }
        let audit_due = !config.audit_interval.is_zero() && now >= next_audit;
        if hung_up || audit_due {
            events.extend(w.audit(&audit::run(&target)));
            if audit_due {
                next_audit = next_after(next_audit, now, config.audit_interval);
            }
        }
        if now >= next_summary {
            events.push(w.summary(&clock));
            next_summary = next_after(next_summary, now, config.summary);
        }
        emit(out, &events)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ntp::Sample;
    use tai64::TestClock;

    fn watcher(clock: &TestClock) -> Watcher {
        Watcher::new(&Config::default(), clock)
    }

    #[test]
    fn deadlines_skip_what_was_missed_and_never_overflow() {
        let s = Duration::from_secs;
        assert_eq!(next_after(s(60), s(60), s(60)), s(120));
        assert_eq!(next_after(s(60), s(59), s(60)), s(120), "called early: still one period on");
        assert_eq!(next_after(s(60), s(250), s(60)), s(300));
        assert_eq!(next_after(s(60), s(250), Duration::ZERO), s(60));
        assert_eq!(next_after(s(60), s(60), Duration::MAX), Duration::MAX);
        assert_eq!(next_after(Duration::MAX, Duration::MAX, s(1)), Duration::MAX);
        assert_eq!(
            next_after(Duration::ZERO, Duration::MAX, Duration::from_nanos(1)),
            Duration::from_nanos(u64::from(u32::MAX))
        );
    }

    #[test]
    fn wall_steps_are_measured_against_monotonic_time() {
        let c = TestClock::new(Duration::from_secs(1_800_000_000));
        let mut w = watcher(&c);
        for _ in 0..60 {
            c.advance(Duration::from_secs(60));
            assert_eq!(w.check_step(&c, false), None);
        }
        c.advance(Duration::from_secs(60));
        c.step_wall(-90);
        assert_eq!(w.check_step(&c, false), Some(Event::Step { by: -90.0, signalled: false }));
        assert_eq!(w.check_step(&c, false), None, "a step is reported once");
        c.step_wall(600);
        let e = w.check_step(&c, true).unwrap();
        assert_eq!(e.line(), "step: wall clock stepped forward by 600.000000 s (kernel: clock was set)");
        // A clock set by the kernel to the same time is still worth a line.
        assert_eq!(w.check_step(&c, true), Some(Event::Step { by: 0.0, signalled: true }));
        assert!(w.summary(&c).line().contains("steps 3"));
    }

    #[test]
    fn sync_clocksource_and_steal_transitions() {
        let c = TestClock::new(Duration::from_secs(1_800_000_000));
        let mut w = watcher(&c);
        let obs = |sync, cs: &str, total, steal| Observation {
            synchronised: Some(sync),
            clocksource: Some(cs.into()),
            cpu: Some(CpuTimes { total, steal }),
        };
        assert!(w.sample(&c, &obs(true, "tsc", 1000, 0)).is_empty());
        c.advance(Duration::from_secs(60));
        assert!(w.sample(&c, &obs(true, "tsc", 13000, 10)).is_empty());
        c.advance(Duration::from_secs(60));
        let ev = w.sample(&c, &obs(false, "hpet", 25000, 3010));
        assert_eq!(
            ev,
            vec![
                Event::SyncLost,
                Event::ClocksourceChanged { from: "tsc".into(), to: "hpet".into() },
                Event::StealHigh { percent: 25.0, over: 60.0 }
            ]
        );
        c.advance(Duration::from_secs(60));
        let ev = w.sample(&c, &obs(true, "hpet", 37000, 3010));
        assert_eq!(ev, vec![Event::SyncRegained, Event::StealNormal { percent: 0.0 }]);
        // Unreadable probes conclude nothing.
        assert!(w.sample(&c, &Observation::default()).is_empty());
    }

    /// Field report: an unsynchronised kernel clock and no daemon logged
    /// nothing but the start line for an hour.
    #[test]
    fn start_logs_state_and_findings_then_only_changes() {
        use crate::kernel::KernelTime;
        use crate::report::{analyse, NtpReport};
        let c = TestClock::new(Duration::from_secs(1_800_000_000));
        let mut w = watcher(&c);
        let kernel = KernelTime {
            synchronised: false,
            state: "TIME_ERROR",
            clock_error: false,
            pll: false,
            max_error: 16.0,
            est_error: 16.0,
            offset: 0.0,
            freq_ppm: 0.0,
            tick: 10000,
            tai: 0,
        };
        let ntp = NtpReport { installed: vec![Kind::Chronyd], ..NtpReport::default() };
        let mut r = Report { kernel: Some(Ok(kernel)), ntp: Some(ntp), ..Report::default() };
        analyse(&mut r, &Thresholds::default());
        let lines: Vec<String> = w.start(&r).iter().map(Event::line).collect();
        assert_eq!(
            lines,
            [
                "state: kernel clock not synchronised (TIME_ERROR), maximum error 16.000000 s, frequency +0.000 ppm",
                "state: NTP daemon none running, chronyd installed",
                "warning: kernel clock not synchronised (STA_UNSYNC, maximum error 16.000 s) -> no NTP daemon \
                 disciplines the kernel clock, or it lost its sources: start chronyd (or ntpd) and check that it \
                 reaches a real server",
                "warning: no NTP daemon running (chronyd, ntpd, ntpsec, systemd-timesyncd) -> start chronyd \
                 (installed but not running); without it the clock drifts freely, fast on many VMs",
            ]
        );
        let obs = |sync| Observation { synchronised: Some(sync), ..Observation::default() };
        assert_eq!(w.sample(&c, &obs(false)), [], "the start state is the baseline");
        assert_eq!(w.daemons(&[]), []);
        assert_eq!(w.daemons(&[Kind::Chronyd]), [Event::DaemonStarted(Kind::Chronyd)]);
        assert_eq!(w.sample(&c, &obs(true)), [Event::SyncRegained]);
        let ev = w.daemons(&[]);
        assert_eq!(
            ev.iter().map(Event::line).collect::<Vec<_>>(),
            ["ntp: chronyd no longer running; no NTP daemon running"]
        );
    }

    #[test]
    fn offsets_failures_and_local_clock_are_reported_on_change() {
        let c = TestClock::new(Duration::from_secs(1_800_000_000));
        let mut w = watcher(&c);
        let ok = |off| ServerResult {
            name: "s".into(),
            address: None,
            outcome: Ok(Sample {
                offset: off,
                delay: 0.0,
                stratum: 2,
                leap: 0,
                reference_id: [0; 4],
                root_delay: 0.0,
                root_dispersion: 0.0,
            }),
        };
        let down = ServerResult {
            name: "s".into(),
            address: None,
            outcome: Err(sntp::QueryError::Io("connection refused".into())),
        };
        assert!(w.servers(&[ok(0.001)]).is_empty());
        assert_eq!(w.servers(&[ok(300.0)]), vec![Event::OffsetHigh { server: "s".into(), offset: 300.0 }]);
        assert!(w.servers(&[ok(300.0)]).is_empty());
        assert_eq!(w.servers(std::slice::from_ref(&down)).len(), 1);
        assert!(w.servers(&[down]).is_empty());
        assert_eq!(
            w.servers(&[ok(0.0)]),
            vec![Event::ServerBack { server: "s".into() }, Event::OffsetNormal { server: "s".into(), offset: 0.0 }]
        );
        assert!(w.summary(&c).line().ends_with(", offset +0.000000 s (s)"), "{}", w.summary(&c).line());
        assert!(matches!(w.daemon(Some("LOCAL(0)".into())), Some(Event::LocalClockOnly(_))));
        assert_eq!(w.daemon(Some("LOCAL(0)".into())), None);
        assert_eq!(w.daemon(None), Some(Event::LocalClockNoLonger));
    }
}
