//! The report for people: a verdict line (monitoring-plugin style, with
//! performance data), the problems with what to do, then each section.

use std::fmt::Write;

use crate::audit::Audit;
use crate::report::{secs, Level, Report, Thresholds};
use crate::sntp::ServerResult;

/// The verdict in words, after its level: the worst offset when all is
/// well, else the findings of the worst level (`kernel clock not
/// synchronised (and 1 more)`). The status page shows it too.
pub fn summary(r: &Report) -> String {
    let level = r.verdict();
    if level == Level::Ok {
        match r.worst_offset() {
            Some((s, off)) => format!("offset {} to {}", secs(off), s.name),
            None => "no problem found".to_string(),
        }
    } else {
        let worst: Vec<&str> = r.findings.iter().filter(|f| f.level == level).map(|f| f.what.as_str()).collect();
        let others = r.findings.iter().filter(|f| f.level != level && f.level != Level::Ok).count();
        let more = if others > 0 { format!(" (and {others} more)") } else { String::new() };
        format!("{}{more}", worst.join("; "))
    }
}

/// The first line: `CLOCK LEVEL - summary | perfdata`.
pub fn verdict_line(r: &Report, t: &Thresholds) -> String {
    let level = r.verdict();
    let summary = summary(r);
    let mut perf = Vec::new();
    if let Some((_, off)) = r.worst_offset() {
        perf.push(format!("offset={off:.6}s;{};{}", t.warn_offset, t.crit_offset));
    }
    if let Some(Ok(s)) = &r.steal {
        if let Some(p) = s.percent {
            perf.push(format!("steal={p:.2}%;{};{}", t.warn_steal, t.crit_steal));
        }
    }
    let perf = if perf.is_empty() { String::new() } else { format!(" | {}", perf.join(" ")) };
    format!("CLOCK {} - {summary}{perf}", level.name())
}

fn server_line(s: &ServerResult) -> String {
    let addr = s.address.map(|a| format!(" ({a})")).filter(|a| a != &format!(" ({})", s.name)).unwrap_or_default();
    match &s.outcome {
        Ok(x) => format!(
            "  server {}{addr}: offset {}, delay {:.6} s, stratum {}, leap {}, reference {}{}\n",
            s.name,
            secs(x.offset),
            x.delay,
            x.stratum,
            x.leap,
            x.reference(),
            if x.reference_is_local_clock() { " (local clock)" } else { "" }
        ),
        Err(e) => format!("  server {}{addr}: {e}\n", s.name),
    }
}

/// The whole report.
pub fn render(r: &Report, t: &Thresholds) -> String {
    let mut o = verdict_line(r, t);
    o.push('\n');
    if !r.findings.is_empty() {
        o.push_str("\nProblems and notes\n");
        for f in &r.findings {
            let tag = if f.level == Level::Ok { "note" } else { f.level.name() };
            let _ = writeln!(o, "  {tag:<8} {}", f.what);
            if !f.advice.is_empty() {
                let _ = writeln!(o, "           -> {}", f.advice);
            }
        }
    }
    if let Some(k) = &r.kernel {
        o.push_str("\nKernel time discipline (adjtimex, read only)\n");
        match k {
            Ok(k) => {
                let _ = writeln!(o, "  synchronised:   {} ({})", if k.synchronised { "yes" } else { "no" }, k.state);
                let _ = writeln!(o, "  maximum error:  {:.6} s, estimated error {:.6} s", k.max_error, k.est_error);
                let _ = writeln!(
                    o,
                    "  frequency:      {:+.3} ppm ({:.0}% of the 500 ppm slew limit)",
                    k.freq_ppm,
                    100.0 * k.slew_used()
                );
                let _ = writeln!(o, "  PLL offset:     {}, tick {} us", secs(k.offset), k.tick);
                let _ = writeln!(o, "  TAI offset:     {} s", k.tai);
            }
            Err(e) => {
                let _ = writeln!(o, "  {e}");
            }
        }
    }
    if let Some(n) = &r.ntp {
        o.push_str("\nNTP\n");
        if n.daemons.is_empty() {
            let installed: Vec<String> = n.installed.iter().map(|k| format!(", {k} installed")).collect();
            let _ = writeln!(o, "  daemon:         none running{}", installed.concat());
        }
        for d in &n.daemons {
            let _ = writeln!(
                o,
                "  daemon:         {} (pid {}), {}",
                d.running.kind,
                d.running.pid,
                d.config_path.display()
            );
            match &d.config {
                Ok(c) => {
                    let list: Vec<String> = c.sources.iter().map(|s| format!("{} {}", s.directive, s.spec())).collect();
                    let _ = writeln!(
                        o,
                        "  configured:     {}",
                        if list.is_empty() { "no servers".into() } else { list.join(", ") }
                    );
                    if c.local_clock {
                        o.push_str("  local clock:    configured (serves time even when unsynchronised)\n");
                    }
                }
                Err(e) => {
                    let _ = writeln!(o, "  configuration:  {e}");
                }
            }
            match &d.view {
                Some(Ok(v)) => {
                    if let Some(t) = &v.tracking {
                        let _ = writeln!(
                            o,
                            "  tracking:       {} {} stratum {}, system time {}, leap {}",
                            t.reference_id,
                            if t.name.is_empty() { "-" } else { &t.name },
                            t.stratum,
                            secs(t.system_time),
                            t.leap
                        );
                    }
                    for p in &v.peers {
                        let off = p.offset.map(secs).unwrap_or_else(|| "-".into());
                        let _ = writeln!(o, "  its source:     {}{} reach {:o} offset {off}", p.state, p.name, p.reach);
                    }
                }
                Some(Err(e)) => {
                    let _ = writeln!(o, "  its sources:    {e}");
                }
                None => {}
            }
        }
        if n.servers.is_empty() {
            o.push_str("  servers:        none to query\n");
        }
        for s in &n.servers {
            o.push_str(&server_line(s));
        }
    }
    if let Some(c) = &r.clocksource {
        o.push_str("\nClocksource\n");
        match &c.source {
            Ok(cs) => {
                let _ = writeln!(o, "  current:        {} (available: {})", cs.current, cs.available.join(" "));
            }
            Err(e) => {
                let _ = writeln!(o, "  {e}");
            }
        }
        match &c.log {
            Ok(events) if events.is_empty() => o.push_str("  kernel log:     nothing about the clocksource\n"),
            Ok(events) => {
                for e in events {
                    let _ = writeln!(o, "  kernel log:     {}", e.line());
                }
            }
            Err(e) => {
                let _ = writeln!(o, "  kernel log:     {e}");
            }
        }
    }
    if let Some(v) = &r.vm {
        o.push_str("\nVirtualisation\n");
        match &v.detected {
            Some(d) => {
                let _ = writeln!(o, "  hypervisor:     {} ({})", d.hypervisor, d.how);
            }
            None => o.push_str("  hypervisor:     none found (bare metal or a container on it)\n"),
        }
        for a in &v.advice {
            let _ = writeln!(o, "  advice:         {a}");
        }
    }
    if let Some(s) = &r.steal {
        o.push_str("\nSteal time\n");
        match s {
            Ok(s) => {
                let p = s.percent.map(|p| format!("{p:.2}%")).unwrap_or_else(|| "-".into());
                let b = s.since_boot.map(|p| format!("{p:.2}%")).unwrap_or_else(|| "-".into());
                let _ = writeln!(o, "  over {:.1} s:     {p} (since boot {b})", s.over.as_secs_f64());
            }
            Err(e) => {
                let _ = writeln!(o, "  {e}");
            }
        }
    }
    o
}

/// `tend clock --audit`: a verdict line, each finding with its consequence
/// and fix, what was read, and what needed live state and was not checked.
pub fn audit(a: &Audit) -> String {
    let count = |l: Level| a.findings.iter().filter(|f| f.level == l).count();
    let (c, w) = (count(Level::Critical), count(Level::Warning));
    let mut o = format!(
        "CLOCK AUDIT {} - {}\n",
        a.verdict().name(),
        if a.findings.is_empty() {
            "no risky setting found".to_string()
        } else {
            format!("{c} critical, {w} warning{}", if w == 1 { "" } else { "s" })
        }
    );
    for f in &a.findings {
        let _ = writeln!(o, "\n{:<8} {}: {}", f.level.name(), f.check.id(), f.what);
        let _ = writeln!(o, "         consequence: {}", f.consequence);
        let _ = writeln!(o, "         fix: {}", f.fix);
    }
    let _ = writeln!(
        o,
        "\nRead under {}{}",
        a.root.display(),
        if a.live { " (live: processes, kernel state, commands)" } else { "" }
    );
    for (kind, path) in &a.configs {
        let _ = writeln!(o, "  {kind}: {}", path.display());
    }
    match &a.services {
        Ok(s) if s.is_empty() => {
            let _ = writeln!(
                o,
                "  services: every service in {} has a clock-step-restart (or there is none)",
                a.scan.display()
            );
        }
        Ok(s) => {
            let _ = writeln!(o, "  services without clock-step-restart in {}: {}", a.scan.display(), s.join(", "));
        }
        Err(e) => {
            let _ = writeln!(o, "  services: {e}");
        }
    }
    if !a.not_checked.is_empty() {
        o.push_str("\nNot checked (needs live state)\n");
        for n in &a.not_checked {
            let _ = writeln!(o, "  {}: {}", n.check.id(), n.why);
        }
    }
    o
}
