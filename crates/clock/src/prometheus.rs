//! `--prometheus`: the Prometheus text exposition format (version 0.0.4),
//! for node_exporter's textfile collector or a scrape of stdout.

use std::fmt::Write;

use crate::report::{Level, Report};

fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

struct Out(String);

impl Out {
    fn family(&mut self, name: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP tend_clock_{name} {help}\n# TYPE tend_clock_{name} gauge");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], v: f64) {
        let l: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", label(v))).collect();
        let l = if l.is_empty() { String::new() } else { format!("{{{}}}", l.join(",")) };
        let v = if v.is_finite() { format!("{v}") } else { "NaN".into() };
        let _ = writeln!(self.0, "tend_clock_{name}{l} {v}");
    }

    fn one(&mut self, name: &str, help: &str, v: f64) {
        self.family(name, help);
        self.sample(name, &[], v);
    }
}

fn b(v: bool) -> f64 {
    if v {
        1.0
    } else {
        0.0
    }
}

/// The metrics of one check.
pub fn render(r: &Report) -> String {
    let mut o = Out(String::new());
    o.one("status", "Verdict of tend clock: 0 OK, 1 warning, 2 critical.", f64::from(r.verdict().exit_code()));
    o.family("findings", "Problems found, by level.");
    for level in [Level::Warning, Level::Critical] {
        let n = r.findings.iter().filter(|f| f.level == level).count();
        o.sample("findings", &[("level", &level.name().to_ascii_lowercase())], n as f64);
    }
    if let Some(Ok(k)) = &r.kernel {
        o.one("kernel_synchronised", "1 if the kernel clock is synchronised (STA_UNSYNC clear).", b(k.synchronised));
        o.one("kernel_max_error_seconds", "Kernel maximum error estimate.", k.max_error);
        o.one("kernel_est_error_seconds", "Kernel estimated error.", k.est_error);
        o.one("kernel_frequency_ppm", "Kernel frequency correction in ppm.", k.freq_ppm);
        o.one("kernel_tai_offset_seconds", "TAI minus UTC as the kernel knows it.", f64::from(k.tai));
    }
    if let Some(n) = &r.ntp {
        o.family("daemon_running", "NTP daemons running.");
        for d in &n.daemons {
            o.sample("daemon_running", &[("daemon", &d.running.kind.to_string())], 1.0);
        }
        o.family(
            "daemon_local_clock_selected",
            "1 if the daemon is synchronised only to an undisciplined local clock.",
        );
        for d in &n.daemons {
            if let Some(Ok(v)) = &d.view {
                o.sample(
                    "daemon_local_clock_selected",
                    &[("daemon", &d.running.kind.to_string())],
                    b(v.local_clock_selected().is_some()),
                );
            }
        }
        o.family("server_up", "1 if the server gave a usable SNTP reply.");
        for s in &n.servers {
            o.sample("server_up", &[("server", &s.name)], b(s.outcome.is_ok()));
        }
        o.family("server_offset_seconds", "Server time minus local time.");
        for s in &n.servers {
            if let Ok(x) = &s.outcome {
                o.sample("server_offset_seconds", &[("server", &s.name)], x.offset);
            }
        }
        o.family("server_delay_seconds", "Round-trip delay to the server.");
        for s in &n.servers {
            if let Ok(x) = &s.outcome {
                o.sample("server_delay_seconds", &[("server", &s.name)], x.delay);
            }
        }
        o.family("server_stratum", "Stratum of the server.");
        for s in &n.servers {
            if let Ok(x) = &s.outcome {
                o.sample("server_stratum", &[("server", &s.name)], f64::from(x.stratum));
            }
        }
    }
    if let Some(c) = &r.clocksource {
        if let Ok(cs) = &c.source {
            o.family("clocksource_info", "The current clocksource.");
            o.sample("clocksource_info", &[("clocksource", &cs.current)], 1.0);
        }
        if let Ok(events) = &c.log {
            let n = events.iter().filter(|e| e.is_instability()).count();
            o.one(
                "clocksource_unstable_events",
                "Kernel log lines marking the TSC or a clocksource unstable.",
                n as f64,
            );
        }
    }
    if let Some(v) = &r.vm {
        o.family("hypervisor_info", "The hypervisor found (none on bare metal).");
        let name = v.detected.as_ref().map(|d| d.hypervisor.to_string()).unwrap_or_else(|| "none".into());
        o.sample("hypervisor_info", &[("hypervisor", &name)], 1.0);
    }
    if let Some(Ok(s)) = &r.steal {
        if let Some(p) = s.percent {
            o.one("steal_ratio", "Share of CPU time stolen by the hypervisor over the sample.", p / 100.0);
        }
    }
    o.0
}
