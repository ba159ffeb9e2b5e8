//! `--json`: the report for machines, one object on one line.

use emit::json::Json;

use crate::audit::Audit;
use crate::clocksource::LogEvent;
use crate::report::{DaemonReport, Report};
use crate::sntp::ServerResult;

/// `Ok` through `ok`, `Err(e)` as `{"error":e}`.
fn result<T>(j: &mut Json, r: &Result<T, String>, ok: impl FnOnce(&mut Json, &T)) {
    match r {
        Ok(v) => ok(j, v),
        Err(e) => j.object(|j| j.field("error", e)),
    }
}

/// `Some` through `some`, `None` as `null`.
fn option<T>(j: &mut Json, v: &Option<T>, some: impl FnOnce(&mut Json, &T)) {
    match v {
        Some(v) => some(j, v),
        None => j.null(),
    }
}

fn server(j: &mut Json, s: &ServerResult) {
    j.object(|j| {
        j.field("name", &s.name);
        j.field("address", s.address.map(|a| a.to_string()));
        match &s.outcome {
            Ok(x) => {
                j.field("ok", true);
                j.field("offset", x.offset);
                j.field("delay", x.delay);
                j.field("stratum", x.stratum);
                j.field("leap", x.leap);
                j.field("reference", x.reference());
                j.field("reference_is_local_clock", x.reference_is_local_clock());
                j.field("root_delay", x.root_delay);
                j.field("root_dispersion", x.root_dispersion);
            }
            Err(e) => {
                j.field("ok", false);
                j.field("error", e.to_string());
            }
        }
    });
}

fn log_event(j: &mut Json, e: &LogEvent) {
    let kind = match e {
        LogEvent::TscUnstable(_) => "tsc_unstable",
        LogEvent::ClocksourceUnstable(_) => "clocksource_unstable",
        LogEvent::Switched { .. } => "switched",
        LogEvent::HyperVStale(_) => "hyperv_stale",
    };
    j.object(|j| {
        j.field("kind", kind);
        j.field("line", e.line());
    });
}

fn daemon(j: &mut Json, d: &DaemonReport) {
    j.object(|j| {
        j.field("daemon", d.running.kind.to_string());
        j.field("pid", d.running.pid);
        j.field("config", d.config_path.display().to_string());
        result(j.key("configured"), &d.config, |j, c| {
            j.object(|j| {
                j.key("servers").array(|j| c.sources.iter().for_each(|s| j.value(s.spec())));
                j.field("local_clock", c.local_clock);
            })
        });
        option(j.key("view"), &d.view, |j, v| {
            result(j, v, |j, v| {
                j.object(|j| {
                    j.field("local_clock_selected", v.local_clock_selected());
                    j.field("tracking_reference_id", v.tracking.as_ref().map(|t| &t.reference_id));
                    j.field("system_time", v.tracking.as_ref().map(|t| t.system_time));
                    j.key("sources").array(|j| {
                        for p in &v.peers {
                            j.object(|j| {
                                j.field("state", p.state.to_string());
                                j.field("name", &p.name);
                                j.field("reach", p.reach);
                                j.field("offset", p.offset);
                                j.field("local_clock", p.local_clock);
                            });
                        }
                    });
                })
            })
        });
    });
}

/// The audit as an object: verdict, findings (with `live`: the check needs
/// live state), what was read, what was not checked.
fn audit_object(j: &mut Json, a: &Audit) {
    j.object(|j| {
        j.field("verdict", a.verdict().name());
        j.field("root", a.root.display().to_string());
        j.field("live", a.live);
        j.key("findings").array(|j| {
            for f in &a.findings {
                j.object(|j| {
                    j.field("check", f.check.id());
                    j.field("level", f.level.name());
                    j.field("what", &f.what);
                    j.field("consequence", &f.consequence);
                    j.field("fix", &f.fix);
                    j.field("live", f.check.live());
                });
            }
        });
        j.key("configs").array(|j| {
            for (kind, path) in &a.configs {
                j.object(|j| {
                    j.field("daemon", kind.to_string());
                    j.field("path", path.display().to_string());
                });
            }
        });
        j.field("scan", a.scan.display().to_string());
        result(j.key("services_without_clock_step_restart"), &a.services, |j, s| {
            j.array(|j| s.iter().for_each(|n| j.value(n)))
        });
        j.key("not_checked").array(|j| {
            for n in &a.not_checked {
                j.object(|j| {
                    j.field("check", n.check.id());
                    j.field("why", &n.why);
                });
            }
        });
    });
}

/// `tend clock --audit --json`: the audit as one JSON object (and a newline).
pub fn audit(a: &Audit) -> String {
    let mut j = Json::new();
    audit_object(&mut j, a);
    let mut out = j.into_string();
    out.push('\n');
    out
}

/// The report as one JSON object (and a newline).
pub fn render(r: &Report) -> String {
    let mut j = Json::new();
    j.object(|j| {
        j.field("verdict", r.verdict().name());
        j.field("exit", r.verdict().exit_code());
        j.key("findings").array(|j| {
            for f in &r.findings {
                j.object(|j| {
                    j.field("level", f.level.name());
                    j.field("key", f.key);
                    j.field("what", &f.what);
                    j.field("advice", &f.advice);
                });
            }
        });
        option(j.key("kernel"), &r.kernel, |j, k| {
            result(j, k, |j, k| {
                j.object(|j| {
                    j.field("synchronised", k.synchronised);
                    j.field("state", k.state);
                    j.field("max_error", k.max_error);
                    j.field("est_error", k.est_error);
                    j.field("offset", k.offset);
                    j.field("frequency_ppm", k.freq_ppm);
                    j.field("slew_limit_used", k.slew_used());
                    j.field("tick_us", k.tick);
                    j.field("tai_offset", k.tai);
                })
            })
        });
        option(j.key("ntp"), &r.ntp, |j, n| {
            j.object(|j| {
                j.key("daemons").array(|j| n.daemons.iter().for_each(|d| daemon(j, d)));
                j.key("installed").array(|j| n.installed.iter().for_each(|k| j.value(k.to_string())));
                j.field("servers_given", n.servers_given);
                j.key("servers").array(|j| n.servers.iter().for_each(|s| server(j, s)));
            })
        });
        option(j.key("clocksource"), &r.clocksource, |j, c| {
            j.object(|j| {
                result(j.key("source"), &c.source, |j, s| {
                    j.object(|j| {
                        j.field("current", &s.current);
                        j.key("available").array(|j| s.available.iter().for_each(|a| j.value(a)));
                    })
                });
                result(j.key("kernel_log"), &c.log, |j, l| j.array(|j| l.iter().for_each(|e| log_event(j, e))));
            })
        });
        option(j.key("vm"), &r.vm, |j, v| {
            j.object(|j| {
                j.field("hypervisor", v.detected.as_ref().map(|d| d.hypervisor.to_string()));
                j.field("how", v.detected.as_ref().map(|d| &d.how));
                j.key("advice").array(|j| v.advice.iter().for_each(|a| j.value(a)));
            })
        });
        option(j.key("audit"), &r.audit, audit_object);
        option(j.key("steal"), &r.steal, |j, s| {
            result(j, s, |j, s| {
                j.object(|j| {
                    j.field("percent", s.percent);
                    j.field("over", s.over.as_secs_f64());
                    j.field("since_boot_percent", s.since_boot);
                })
            })
        });
    });
    let mut out = j.into_string();
    out.push('\n');
    out
}
