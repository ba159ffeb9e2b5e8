//! `--prometheus`: the metrics of one check in the Prometheus text exposition
//! format, for node_exporter's textfile collector or a scrape of stdout.

use emit::prometheus::{Exposition, Type::Gauge};

use crate::audit::{Audit, Check};
use crate::daemon::Kind;
use crate::report::{Level, Report};

fn b(v: bool) -> f64 {
    if v {
        1.0
    } else {
        0.0
    }
}

/// `tend_clock_audit_findings{check="..."}`: one sample for every check,
/// 0 when it found nothing (a series that is always there).
fn audit_family(o: &mut Exposition, a: &Audit) {
    let mut f = o.family("tend_clock_audit_findings", "Risky clock settings found by the audit, by check.", Gauge);
    for check in Check::ALL {
        let n = a.findings.iter().filter(|x| x.check == check).count();
        f.sample(&[("check", check.id())], n as f64);
    }
}

/// `tend clock --audit --prometheus`.
pub fn audit(a: &Audit) -> String {
    let mut o = Exposition::new();
    o.single(
        "tend_clock_audit_status",
        "Verdict of the clock audit: 0 OK, 1 warning, 2 critical.",
        Gauge,
        f64::from(a.verdict().exit_code()),
    );
    audit_family(&mut o, a);
    o.into_string()
}

/// The metrics of one check.
pub fn render(r: &Report) -> String {
    let mut o = Exposition::new();
    o.single(
        "tend_clock_status",
        "Verdict of tend clock: 0 OK, 1 warning, 2 critical.",
        Gauge,
        f64::from(r.verdict().exit_code()),
    );
    let mut f = o.family("tend_clock_findings", "Problems found, by level.", Gauge);
    for level in [Level::Warning, Level::Critical] {
        let n = r.findings.iter().filter(|f| f.level == level).count();
        f.sample(&[("level", &level.name().to_ascii_lowercase())], n as f64);
    }
    if let Some(Ok(k)) = &r.kernel {
        o.single(
            "tend_clock_kernel_synchronised",
            "1 if the kernel clock is synchronised (STA_UNSYNC clear).",
            Gauge,
            b(k.synchronised),
        );
        o.single("tend_clock_kernel_max_error_seconds", "Kernel maximum error estimate.", Gauge, k.max_error);
        o.single("tend_clock_kernel_est_error_seconds", "Kernel estimated error.", Gauge, k.est_error);
        o.single("tend_clock_kernel_frequency_ppm", "Kernel frequency correction in ppm.", Gauge, k.freq_ppm);
        o.single(
            "tend_clock_kernel_tai_offset_seconds",
            "TAI minus UTC as the kernel knows it.",
            Gauge,
            f64::from(k.tai),
        );
    }
    if let Some(n) = &r.ntp {
        // One sample per known daemon, 0 when it does not run, so that
        // `sum(tend_clock_daemon_running) == 0` finds a machine with none.
        let mut f = o.family("tend_clock_daemon_running", "NTP daemon processes running, by daemon.", Gauge);
        for kind in Kind::ALL {
            let n = n.daemons.iter().filter(|d| d.running.kind == kind).count();
            f.sample(&[("daemon", &kind.to_string())], n as f64);
        }
        let mut f = o.family(
            "tend_clock_daemon_local_clock_selected",
            "1 if the daemon is synchronised only to an undisciplined local clock.",
            Gauge,
        );
        for d in &n.daemons {
            if let Some(Ok(v)) = &d.view {
                f.sample(&[("daemon", &d.running.kind.to_string())], b(v.local_clock_selected().is_some()));
            }
        }
        let mut f = o.family("tend_clock_server_up", "1 if the server gave a usable SNTP reply.", Gauge);
        for s in &n.servers {
            f.sample(&[("server", &s.name)], b(s.outcome.is_ok()));
        }
        let answers = || n.servers.iter().filter_map(|s| Some((s.name.as_str(), s.outcome.as_ref().ok()?)));
        let mut f = o.family("tend_clock_server_offset_seconds", "Server time minus local time.", Gauge);
        answers().for_each(|(name, x)| f.sample(&[("server", name)], x.offset));
        let mut f = o.family("tend_clock_server_delay_seconds", "Round-trip delay to the server.", Gauge);
        answers().for_each(|(name, x)| f.sample(&[("server", name)], x.delay));
        let mut f = o.family("tend_clock_server_stratum", "Stratum of the server.", Gauge);
        answers().for_each(|(name, x)| f.sample(&[("server", name)], f64::from(x.stratum)));
    }
    if let Some(c) = &r.clocksource {
        if let Ok(cs) = &c.source {
            o.family("tend_clock_clocksource_info", "The current clocksource.", Gauge)
                .sample(&[("clocksource", &cs.current)], 1.0);
        }
        if let Ok(events) = &c.log {
            let n = events.iter().filter(|e| e.is_instability()).count();
            o.single(
                "tend_clock_clocksource_unstable_events",
                "Kernel log lines marking the TSC or a clocksource unstable.",
                Gauge,
                n as f64,
            );
        }
    }
    if let Some(v) = &r.vm {
        let name = v.detected.as_ref().map(|d| d.hypervisor.to_string()).unwrap_or_else(|| "none".into());
        o.family("tend_clock_hypervisor_info", "The hypervisor found (none on bare metal).", Gauge)
            .sample(&[("hypervisor", &name)], 1.0);
    }
    if let Some(a) = &r.audit {
        audit_family(&mut o, a);
    }
    if let Some(Ok(s)) = &r.steal {
        if let Some(p) = s.percent {
            o.single(
                "tend_clock_steal_ratio",
                "Share of CPU time stolen by the hypervisor over the sample.",
                Gauge,
                p / 100.0,
            );
        }
    }
    o.into_string()
}
