//! The findings of one check and the verdict, computed from gathered facts
//! without any I/O (so unit tests feed recorded inputs).

use std::time::Duration;

use crate::audit::Audit;
use crate::clocksource::{Clocksource, LogEvent};
use crate::daemon::{Config, Kind, Running};
use crate::hypervisor::{Detected, GuestTools};
use crate::kernel::KernelTime;
use crate::ntp::ReplyError;
use crate::peers::View;
use crate::sntp::{QueryError, ServerResult};

/// Monitoring-plugin levels, in increasing order of gravity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// A note: shown, does not change the verdict.
    Ok,
    Warning,
    Critical,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warning => "WARNING",
            Level::Critical => "CRITICAL",
        }
    }

    /// 0, 1, 2 as monitoring plugins exit.
    pub fn exit_code(self) -> u8 {
        self as u8
    }
}

/// One thing to tell the sysadmin, and what to do about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub level: Level,
    /// A short stable key (`kernel_unsync`, `offset`, `local_clock`, ...).
    pub key: &'static str,
    pub what: String,
    pub advice: String,
}

/// When an offset or the steal time becomes a warning or critical.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Seconds; ntpd's step threshold, 0.128 s, by default.
    pub warn_offset: f64,
    /// Seconds.
    pub crit_offset: f64,
    /// Percent.
    pub warn_steal: f64,
    pub crit_steal: f64,
    /// Fraction of the 500 ppm slew limit used by the frequency correction.
    pub warn_slew: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { warn_offset: 0.128, crit_offset: 1.0, warn_steal: 5.0, crit_steal: 20.0, warn_slew: 0.8 }
    }
}

/// A running daemon, its configuration and its own view.
#[derive(Debug, Clone, PartialEq)]
pub struct DaemonReport {
    pub running: Running,
    pub config_path: std::path::PathBuf,
    pub config: Result<Config, String>,
    /// None when the daemon has no query tool we run (timesyncd).
    pub view: Option<Result<View, String>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct NtpReport {
    pub daemons: Vec<DaemonReport>,
    /// Daemons whose program is installed, running or not.
    pub installed: Vec<Kind>,
    /// The servers came from `--server`, not from configurations.
    pub servers_given: bool,
    pub servers: Vec<ServerResult>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClocksourceReport {
    pub source: Result<Clocksource, String>,
    pub log: Result<Vec<LogEvent>, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VmReport {
    pub detected: Option<Detected>,
    pub tools: GuestTools,
    pub advice: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StealReport {
    /// Percent over the sample; None if no CPU time passed.
    pub percent: Option<f64>,
    pub over: Duration,
    /// Percent since boot.
    pub since_boot: Option<f64>,
}

/// Everything one `tend clock` found; a section is None when not checked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    pub kernel: Option<Result<KernelTime, String>>,
    pub ntp: Option<NtpReport>,
    pub clocksource: Option<ClocksourceReport>,
    pub vm: Option<VmReport>,
    pub steal: Option<Result<StealReport, String>>,
    /// The configuration audit (`tend clock --audit` has only this).
    pub audit: Option<Audit>,
    pub findings: Vec<Finding>,
}

impl Report {
    /// The worst level among the findings.
    pub fn verdict(&self) -> Level {
        self.findings.iter().map(|f| f.level).max().unwrap_or(Level::Ok)
    }

    /// The sample with the largest offset, if any server answered.
    pub fn worst_offset(&self) -> Option<(&ServerResult, f64)> {
        let ntp = self.ntp.as_ref()?;
        ntp.servers
            .iter()
            .filter_map(|s| s.outcome.as_ref().ok().map(|x| (s, x.offset)))
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
    }
}

fn finding(level: Level, key: &'static str, what: String, advice: &str) -> Finding {
    Finding { level, key, what, advice: advice.to_string() }
}

fn offset_level(offset: f64, t: &Thresholds) -> Level {
    if offset.abs() > t.crit_offset {
        Level::Critical
    } else if offset.abs() > t.warn_offset {
        Level::Warning
    } else {
        Level::Ok
    }
}

/// Formats seconds with a sign and microsecond precision.
pub fn secs(v: f64) -> String {
    format!("{v:+.6} s")
}

/// Computes the findings of `r` (replacing any already there).
pub fn analyse(r: &mut Report, t: &Thresholds) {
    let mut f = Vec::new();
    if let Some(k) = &r.kernel {
        kernel_findings(k, t, &mut f);
    }
    if let Some(n) = &r.ntp {
        ntp_findings(n, t, &mut f);
    }
    if let Some(c) = &r.clocksource {
        clocksource_findings(c, &mut f);
    }
    if let Some(s) = &r.steal {
        steal_findings(s, t, &mut f);
    }
    if let Some(a) = &r.audit {
        f.extend(a.findings.iter().map(|x| Finding {
            level: x.level,
            key: x.check.id(),
            what: format!("configuration: {}", x.what),
            advice: format!("{}; fix: {}", x.consequence, x.fix),
        }));
    }
    r.findings = f;
}

fn kernel_findings(k: &Result<KernelTime, String>, t: &Thresholds, f: &mut Vec<Finding>) {
    let k = match k {
        Ok(k) => k,
        Err(e) => {
            f.push(finding(
                Level::Warning,
                "kernel_unreadable",
                format!("unable to read the kernel clock state: {e}"),
                "",
            ));
            return;
        }
    };
    if !k.synchronised {
        f.push(finding(
            Level::Warning,
            "kernel_unsync",
            format!("kernel clock not synchronised (STA_UNSYNC, maximum error {:.3} s)", k.max_error),
            "no NTP daemon disciplines the kernel clock, or it lost its sources: start chronyd (or ntpd) \
             and check that it reaches a real server",
        ));
    }
    if k.clock_error {
        f.push(finding(
            Level::Warning,
            "kernel_clockerr",
            "kernel reports a clock hardware fault (STA_CLOCKERR)".into(),
            "",
        ));
    }
    if k.slew_used() >= t.warn_slew {
        f.push(finding(
            Level::Warning,
            "slew_limit",
            format!(
                "frequency correction {:+.3} ppm uses {:.0}% of the 500 ppm slew limit",
                k.freq_ppm,
                100.0 * k.slew_used()
            ),
            "the clock drifts nearly faster than NTP can slew it: on a VM check the clocksource and the host \
             (timer interrupts lost under load); expect steps when the limit is reached",
        ));
    }
}

fn ntp_findings(n: &NtpReport, t: &Thresholds, f: &mut Vec<Finding>) {
    if n.daemons.is_empty() && !n.servers_given {
        let installed: Vec<String> = n.installed.iter().map(Kind::to_string).collect();
        let what = if installed.is_empty() {
            "install and start chrony".to_string()
        } else {
            format!("start {} (installed but not running)", installed.join(" or "))
        };
        f.push(finding(
            Level::Warning,
            "no_daemon",
            "no NTP daemon running (chronyd, ntpd, ntpsec, systemd-timesyncd)".into(),
            &format!("{what}; without it the clock drifts freely, fast on many VMs"),
        ));
    }
    let worst = n
        .servers
        .iter()
        .filter_map(|s| s.outcome.as_ref().ok().map(|x| x.offset))
        .max_by(|a, b| a.abs().total_cmp(&b.abs()));
    for d in &n.daemons {
        daemon_findings(d, worst, t, f);
    }
    if let Some(offset) = worst.filter(|o| o.abs() > t.warn_offset) {
        for d in &n.daemons {
            let options: Vec<String> = d.running.cmdline.iter().skip(1).cloned().collect();
            let plan = crate::audit::slew::plan(d.running.kind, d.config.as_ref().ok(), &options, offset);
            f.push(finding(Level::Ok, "time_to_slew", plan, ""));
        }
    }
    for s in &n.servers {
        server_findings(s, t, f);
    }
    // timesyncd without NTP= uses its compiled-in fallback servers.
    let configured = n
        .daemons
        .iter()
        .any(|d| d.running.kind == Kind::Timesyncd || d.config.as_ref().map_or(true, |c| !c.sources.is_empty()));
    if !n.daemons.is_empty() && !configured && !n.servers_given {
        f.push(finding(
            Level::Warning,
            "no_servers",
            "the NTP daemon's configuration names no network server".into(),
            "add `server` or `pool` lines, or give `--server HOST` to check one",
        ));
    }
}

fn daemon_findings(d: &DaemonReport, sntp_worst: Option<f64>, t: &Thresholds, f: &mut Vec<Finding>) {
    let name = d.running.kind.to_string();
    if let Err(e) = &d.config {
        f.push(finding(
            Level::Warning,
            "config_unreadable",
            format!("unable to read {} configuration {}: {e}", name, d.config_path.display()),
            "",
        ));
    }
    let Some(view) = &d.view else { return };
    let view = match view {
        Ok(v) => v,
        Err(e) => {
            f.push(finding(Level::Ok, "daemon_unqueried", format!("unable to ask {name} for its sources: {e}"), ""));
            return;
        }
    };
    let Some(why) = view.local_clock_selected() else { return };
    let upstream =
        view.worst_upstream_offset().into_iter().chain(sntp_worst).max_by(|a, b| a.abs().total_cmp(&b.abs()));
    let level = upstream.map_or(Level::Warning, |o| offset_level(o, t).max(Level::Warning));
    let off = upstream.map(|o| format!(" while the real upstream offset is {}", secs(o))).unwrap_or_default();
    f.push(finding(
        level,
        "local_clock",
        format!("{name} is synchronised only to an undisciplined local clock: {why}{off}"),
        "the daemon (and every client it serves) claims to be synchronised while the clock runs free: \
         fix the upstream servers (reach, firewall UDP 123), and remove `server 127.127.1.0` / `local` \
         or use orphan mode",
    ));
}

fn server_findings(s: &ServerResult, t: &Thresholds, f: &mut Vec<Finding>) {
    let name = &s.name;
    match &s.outcome {
        Ok(x) => {
            let level = offset_level(x.offset, t);
            let local = if x.reference_is_local_clock() {
                format!("; it serves its own undisciplined local clock (refid {})", x.reference())
            } else {
                String::new()
            };
            match level {
                Level::Ok if !local.is_empty() => f.push(finding(
                    Level::Ok,
                    "server_local_clock",
                    format!("{name} is at stratum {}{local}", x.stratum),
                    "fine for a lab; not a real time source",
                )),
                Level::Ok => {}
                _ => f.push(finding(
                    level,
                    "offset",
                    format!(
                        "offset to {name} is {} (threshold {:.3} s){local}",
                        secs(x.offset),
                        if level == Level::Critical { t.crit_offset } else { t.warn_offset }
                    ),
                    if x.offset < 0.0 {
                        "the local clock is ahead: correcting it steps it backwards, which upsets time-sensitive \
                         daemons (dovecot 1.x dies on a step back over 5 s; 2.x stays up but refuses new logins \
                         for up to 180 s); slew it (chronyd), or step it once with those services stopped or \
                         restarted right after (supervise's clock-step-restart file)"
                    } else {
                        "the local clock is behind: ntpd steps offsets above 0.128 s and exits above 1000 s; \
                         check the daemon's sources and the host's time sync"
                    },
                )),
            }
        }
        Err(QueryError::Reply(ReplyError::Unsynchronised { leap, stratum })) => f.push(finding(
            Level::Warning,
            "server_unsync",
            format!("{name} is not synchronised (leap {leap}, stratum {stratum})"),
            "that server has no working source itself: do not use it as a reference",
        )),
        Err(QueryError::Reply(ReplyError::Kiss(code))) => f.push(finding(
            Level::Warning,
            "kiss",
            format!("{name} sent a kiss-o'-death {code}"),
            match code.as_str() {
                "DENY" | "RSTR" => "the server refuses this client: use another server",
                "RATE" => "the server asks us to query less often",
                _ => "the server refuses to serve time for now",
            },
        )),
        Err(e) => f.push(finding(
            Level::Warning,
            "server_unreachable",
            format!("no time from {name}: {e}"),
            "check the name, the firewall (UDP 123 both ways) and that the server runs",
        )),
    }
}

fn clocksource_findings(c: &ClocksourceReport, f: &mut Vec<Finding>) {
    match &c.source {
        Err(e) => f.push(finding(
            Level::Warning,
            "clocksource_unreadable",
            format!("unable to read the clocksource: {e}"),
            "",
        )),
        Ok(cs) if cs.current == "jiffies" => f.push(finding(
            Level::Warning,
            "clocksource_jiffies",
            "clocksource is jiffies, the coarsest fallback".into(),
            "the kernel found no usable hardware clocksource: check the kernel log and boot parameters",
        )),
        Ok(_) => {}
    }
    match &c.log {
        Err(e) => {
            f.push(finding(Level::Ok, "kernel_log_unreadable", format!("unable to read the kernel log: {e}"), ""))
        }
        Ok(events) => {
            for e in events.iter().filter(|e| e.is_instability()) {
                let (key, advice) = match e {
                    LogEvent::HyperVStale(_) => {
                        ("hyperv_stale", "Hyper-V time sync messages arrive late: the host is overloaded")
                    }
                    _ => (
                        "clocksource_unstable",
                        "the kernel found the TSC or clocksource unreliable (a VM on an overcommitted or old host, \
                         or CPUs out of sync); the machine may hang or jump in time: check the host and prefer the \
                         hypervisor's paravirtual clocksource",
                    ),
                };
                f.push(finding(Level::Warning, key, format!("kernel: {}", e.line()), advice));
            }
        }
    }
}

fn steal_findings(s: &Result<StealReport, String>, t: &Thresholds, f: &mut Vec<Finding>) {
    let s = match s {
        Ok(s) => s,
        Err(e) => {
            f.push(finding(Level::Ok, "steal_unreadable", format!("unable to measure steal time: {e}"), ""));
            return;
        }
    };
    let Some(p) = s.percent else { return };
    let level = if p >= t.crit_steal {
        Level::Critical
    } else if p >= t.warn_steal {
        Level::Warning
    } else {
        return;
    };
    f.push(finding(
        level,
        "steal",
        format!("steal time {p:.1}% over {:.1} s", s.over.as_secs_f64()),
        "the hypervisor gives this guest's CPU time to others: the host is overcommitted or faulty; \
         check the host (a host restart cured field report 004)",
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ntp::Sample;

    fn sample(offset: f64, refid: [u8; 4]) -> ServerResult {
        ServerResult {
            name: "127.0.0.1:11123".into(),
            address: None,
            outcome: Ok(Sample {
                offset,
                delay: 0.0001,
                stratum: 8,
                leap: 0,
                reference_id: refid,
                root_delay: 0.0,
                root_dispersion: 0.0,
            }),
        }
    }

    fn with_servers(servers: Vec<ServerResult>) -> Report {
        Report {
            ntp: Some(NtpReport { daemons: vec![], installed: vec![], servers_given: true, servers }),
            ..Report::default()
        }
    }

    #[test]
    fn offsets_against_thresholds() {
        let t = Thresholds::default();
        for (off, level) in [(0.001, Level::Ok), (0.2, Level::Warning), (-300.0, Level::Critical)] {
            let mut r = with_servers(vec![sample(off, [192, 0, 2, 1])]);
            analyse(&mut r, &t);
            assert_eq!(r.verdict(), level, "{off}");
        }
    }

    #[test]
    fn a_local_clock_server_in_time_is_only_a_note() {
        let mut r = with_servers(vec![sample(0.0001, [127, 127, 1, 1])]);
        analyse(&mut r, &Thresholds::default());
        assert_eq!(r.verdict(), Level::Ok);
        assert_eq!(r.findings[0].key, "server_local_clock");
    }

    #[test]
    fn unsynchronised_server_is_not_a_kiss() {
        let s = ServerResult {
            name: "x".into(),
            address: None,
            outcome: Err(QueryError::Reply(ReplyError::Unsynchronised { leap: 3, stratum: 0 })),
        };
        let mut r = with_servers(vec![s]);
        analyse(&mut r, &Thresholds::default());
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.findings[0].key, "server_unsync");
        assert_eq!(r.verdict(), Level::Warning);
    }

    #[test]
    fn no_daemon_advice_says_start_when_one_is_installed() {
        let advice = |installed: Vec<Kind>| {
            let ntp = NtpReport { installed, ..NtpReport::default() };
            let mut r = Report { ntp: Some(ntp), ..Report::default() };
            analyse(&mut r, &Thresholds::default());
            assert_eq!(r.findings[0].key, "no_daemon");
            r.findings[0].advice.clone()
        };
        assert!(advice(vec![]).starts_with("install and start chrony; "));
        assert!(advice(vec![Kind::Chronyd]).starts_with("start chronyd (installed but not running); "));
        assert!(
            advice(vec![Kind::Chronyd, Kind::Ntpd]).starts_with("start chronyd or ntpd (installed but not running); ")
        );
    }

    #[test]
    fn steal_levels() {
        let t = Thresholds::default();
        for (p, level) in [(1.0, Level::Ok), (6.0, Level::Warning), (35.0, Level::Critical)] {
            let mut r = Report {
                steal: Some(Ok(StealReport { percent: Some(p), over: Duration::from_secs(1), since_boot: None })),
                ..Report::default()
            };
            analyse(&mut r, &t);
            assert_eq!(r.verdict(), level);
        }
    }
}
