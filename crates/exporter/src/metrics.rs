//! The metrics of one [`Snapshot`], named as `doc/exporter.md` lists them
//! (the alert rules are written against these names), through
//! `emit::prometheus`, the one writer.

use std::time::Duration;

use emit::prometheus::{Exposition, Type};
use resources::{Phase, Source};
use svstatus::{LastExit, Want};

use crate::collect::{Service, Snapshot};

/// What goes beside the services' metrics.
pub struct Extras<'a> {
    /// `tend clock --prometheus`'s families from the cached check (empty before the first).
    pub clock: &'a str,
    /// Backward steps of the wall clock seen since the exporter started.
    pub backward_steps: u64,
    /// How long the snapshot took to collect.
    pub took: Duration,
}

fn flag(v: bool) -> f64 {
    if v {
        1.0
    } else {
        0.0
    }
}

/// The exposition of `snapshot` written into `buf` (cleared first), as
/// Prometheus' text format or OpenMetrics.
pub fn render(snapshot: &Snapshot, extras: &Extras, openmetrics: bool, buf: String) -> String {
    let mut o = Exposition::reusing(buf, openmetrics);
    let all = snapshot.services.as_slice();
    // A record read (or never written: unsupervised); an unreadable one says nothing.
    let known = |s: &Service| s.state.phase != Phase::Unknown;
    let up = |s: &Service| s.state.pid.is_some();
    use Type::{Counter, Gauge};
    family(&mut o, all, "tend_service_up", "1 if the service's process runs (daemontools' up), else 0.", Gauge, |s| {
        known(s).then(|| flag(up(s)))
    });
    family(
        &mut o,
        all,
        "tend_service_wanted_up",
        "1 if its supervisor wants it up (no down file, or svc -u); without a supervisor, 1 if it has no down file.",
        Gauge,
        |s| {
            let st = &s.state;
            known(s).then(|| flag(if st.supervised { st.want == Some(Want::Up) } else { st.normally_up }))
        },
    );
    family(
        &mut o,
        all,
        "tend_service_ready",
        "1 if ready: tend's readiness record when the service declares readiness, else as tend_service_up.",
        Gauge,
        |s| {
            let declared = s.state.declares_readiness == Some(true);
            known(s).then(|| flag(up(s) && (!declared || s.state.ready == Some(true))))
        },
    );
    family(&mut o, all, "tend_service_pid", "Main process id, 0 when down.", Gauge, |s| {
        known(s).then(|| f64::from(s.state.pid.unwrap_or(0)))
    });
    family(
        &mut o,
        all,
        "tend_service_state_age_seconds",
        "Seconds since the last state change (the status record's stamp).",
        Gauge,
        |s| s.state.since.map(|t| t.age.as_secs() as f64),
    );
    family(
        &mut o,
        all,
        "tend_service_restarts_total",
        "Restarts counted by tend's supervise since it started.",
        Counter,
        |s| s.state.restarts.map(|n| n as f64),
    );
    family(
        &mut o,
        all,
        "tend_service_last_exit_code",
        "Exit code of the last run, -1 if it was killed by a signal or unknown.",
        Gauge,
        |s| {
            let code = match s.state.last_exit {
                Some(LastExit::Code(c)) => f64::from(c),
                _ => -1.0,
            };
            s.state.status.is_some().then_some(code)
        },
    );
    family(&mut o, all, "tend_service_last_exit_signal", "Signal that ended the last run, 0 otherwise.", Gauge, |s| {
        let signal = match s.state.last_exit {
            Some(LastExit::Signal(n)) => f64::from(n),
            _ => 0.0,
        };
        s.state.status.is_some().then_some(signal)
    });
    family(
        &mut o,
        all,
        "tend_service_crash_looping",
        "1 when tend status says crash-loop: restarted, its last run failed, started under 10 s ago.",
        Gauge,
        |s| known(s).then(|| flag(s.state.phase == Phase::CrashLoop)),
    );
    let mut f = o.family(
        "tend_service_cpu_seconds_total",
        "CPU time of the service's cgroup, or of its process tree, by mode.",
        Counter,
    );
    for s in all {
        if let Some(u) = &s.usage {
            for (mode, time) in [("user", u.cpu_user), ("system", u.cpu_system)] {
                f.sample(&[("tree", &s.tree), ("service", &s.name), ("mode", mode)], time.as_secs_f64());
            }
        }
    }
    family(&mut o, all, "tend_service_memory_rss_bytes", "Resident memory (a cgroup's memory.current).", Gauge, |s| {
        s.usage.as_ref().map(|u| u.rss as f64)
    });
    family(
        &mut o,
        all,
        "tend_service_memory_max_bytes",
        "The cgroup's memory.max; absent when unlimited.",
        Gauge,
        |s| s.usage.as_ref().and_then(|u| u.memory_max).map(|n| n as f64),
    );
    family(&mut o, all, "tend_service_processes", "Processes of the service.", Gauge, |s| match &s.usage {
        Some(u) => Some(f64::from(u.processes)),
        None => (known(s) && s.state.main_pid().is_none()).then_some(0.0),
    });
    family(
        &mut o,
        all,
        "tend_service_oom_kills_total",
        "OOM kills in the service's cgroup (memory.events).",
        Counter,
        |s| s.usage.as_ref().and_then(|u| u.oom_kills).map(|n| n as f64),
    );
    family(
        &mut o,
        all,
        "tend_service_usage_exact",
        "1 when the usage figures come from the service's cgroup (exact), 0 from its process tree (an estimate).",
        Gauge,
        |s| s.usage.as_ref().map(|u| flag(matches!(u.source, Source::Cgroup(_)))),
    );
    o.append(extras.clock);
    o.single(
        "tend_clock_backward_steps_total",
        "Backward steps of the wall clock seen by the exporter since it started.",
        Counter,
        extras.backward_steps as f64,
    );
    o.single(
        "tend_exporter_scrape_duration_seconds",
        "Time the last collection of the services took.",
        Gauge,
        extras.took.as_secs_f64(),
    );
    o.family("tend_exporter_build_info", "The exporter's version.", Gauge)
        .sample(&[("version", env!("CARGO_PKG_VERSION"))], 1.0);
    o.finish()
}

/// One family, a sample per service for which `value` has one.
fn family(
    o: &mut Exposition,
    services: &[Service],
    name: &str,
    help: &str,
    kind: Type,
    value: impl Fn(&Service) -> Option<f64>,
) {
    let mut f = o.family(name, help, kind);
    for s in services {
        if let Some(v) = value(s) {
            f.sample(&[("tree", &s.tree), ("service", &s.name)], v);
        }
    }
}
