//! `--json`: the report for machines, written by hand (the format is tiny).

use crate::clocksource::LogEvent;
use crate::report::Report;
use crate::sntp::ServerResult;

/// A JSON value.
pub enum J {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(&'static str, J)>),
}

impl J {
    pub fn str(s: impl Into<String>) -> J {
        J::Str(s.into())
    }

    fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> J) -> J {
        v.map_or(J::Null, f)
    }

    pub fn write(&self, out: &mut String) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Num(n) if n.is_finite() => out.push_str(&format!("{n}")),
            J::Num(_) => out.push_str("null"),
            J::Str(s) => escape(s, out),
            J::Arr(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            J::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    escape(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

fn escape(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn result<T>(r: &Result<T, String>, f: impl FnOnce(&T) -> J) -> J {
    match r {
        Ok(v) => f(v),
        Err(e) => J::Obj(vec![("error", J::str(e.as_str()))]),
    }
}

fn server(s: &ServerResult) -> J {
    let mut o = vec![("name", J::str(s.name.as_str())), ("address", J::opt(s.address, |a| J::str(a.to_string())))];
    match &s.outcome {
        Ok(x) => o.extend([
            ("ok", J::Bool(true)),
            ("offset", J::Num(x.offset)),
            ("delay", J::Num(x.delay)),
            ("stratum", J::Num(f64::from(x.stratum))),
            ("leap", J::Num(f64::from(x.leap))),
            ("reference", J::str(x.reference())),
            ("reference_is_local_clock", J::Bool(x.reference_is_local_clock())),
            ("root_delay", J::Num(x.root_delay)),
            ("root_dispersion", J::Num(x.root_dispersion)),
        ]),
        Err(e) => o.extend([("ok", J::Bool(false)), ("error", J::str(e.to_string()))]),
    }
    J::Obj(o)
}

fn log_event(e: &LogEvent) -> J {
    let kind = match e {
        LogEvent::TscUnstable(_) => "tsc_unstable",
        LogEvent::ClocksourceUnstable(_) => "clocksource_unstable",
        LogEvent::Switched { .. } => "switched",
        LogEvent::HyperVStale(_) => "hyperv_stale",
    };
    J::Obj(vec![("kind", J::str(kind)), ("line", J::str(e.line()))])
}

/// The report as one JSON object (and a newline).
pub fn render(r: &Report) -> String {
    let findings = r
        .findings
        .iter()
        .map(|f| {
            J::Obj(vec![
                ("level", J::str(f.level.name())),
                ("key", J::str(f.key)),
                ("what", J::str(f.what.as_str())),
                ("advice", J::str(f.advice.as_str())),
            ])
        })
        .collect();
    let kernel = J::opt(r.kernel.as_ref(), |k| {
        result(k, |k| {
            J::Obj(vec![
                ("synchronised", J::Bool(k.synchronised)),
                ("state", J::str(k.state)),
                ("max_error", J::Num(k.max_error)),
                ("est_error", J::Num(k.est_error)),
                ("offset", J::Num(k.offset)),
                ("frequency_ppm", J::Num(k.freq_ppm)),
                ("slew_limit_used", J::Num(k.slew_used())),
                ("tick_us", J::Num(k.tick as f64)),
                ("tai_offset", J::Num(f64::from(k.tai))),
            ])
        })
    });
    let ntp = J::opt(r.ntp.as_ref(), |n| {
        let daemons = n
            .daemons
            .iter()
            .map(|d| {
                let view = J::opt(d.view.as_ref(), |v| {
                    result(v, |v| {
                        J::Obj(vec![
                            ("local_clock_selected", J::opt(v.local_clock_selected(), J::Str)),
                            ("tracking_reference_id", J::opt(v.tracking.as_ref(), |t| J::str(t.reference_id.as_str()))),
                            ("system_time", J::opt(v.tracking.as_ref(), |t| J::Num(t.system_time))),
                            (
                                "sources",
                                J::Arr(
                                    v.peers
                                        .iter()
                                        .map(|p| {
                                            J::Obj(vec![
                                                ("state", J::str(p.state.to_string())),
                                                ("name", J::str(p.name.as_str())),
                                                ("reach", J::Num(f64::from(p.reach))),
                                                ("offset", J::opt(p.offset, J::Num)),
                                                ("local_clock", J::Bool(p.local_clock)),
                                            ])
                                        })
                                        .collect(),
                                ),
                            ),
                        ])
                    })
                });
                J::Obj(vec![
                    ("daemon", J::str(d.running.kind.to_string())),
                    ("pid", J::Num(f64::from(d.running.pid))),
                    ("config", J::str(d.config_path.display().to_string())),
                    (
                        "configured",
                        result(&d.config, |c| {
                            J::Obj(vec![
                                ("servers", J::Arr(c.sources.iter().map(|s| J::str(s.spec())).collect())),
                                ("local_clock", J::Bool(c.local_clock)),
                            ])
                        }),
                    ),
                    ("view", view),
                ])
            })
            .collect();
        J::Obj(vec![
            ("daemons", J::Arr(daemons)),
            ("servers_given", J::Bool(n.servers_given)),
            ("servers", J::Arr(n.servers.iter().map(server).collect())),
        ])
    });
    let clocksource = J::opt(r.clocksource.as_ref(), |c| {
        J::Obj(vec![
            (
                "source",
                result(&c.source, |s| {
                    J::Obj(vec![
                        ("current", J::str(s.current.as_str())),
                        ("available", J::Arr(s.available.iter().map(|a| J::str(a.as_str())).collect())),
                    ])
                }),
            ),
            ("kernel_log", result(&c.log, |l| J::Arr(l.iter().map(log_event).collect()))),
        ])
    });
    let vm = J::opt(r.vm.as_ref(), |v| {
        J::Obj(vec![
            ("hypervisor", J::opt(v.detected.as_ref(), |d| J::str(d.hypervisor.to_string()))),
            ("how", J::opt(v.detected.as_ref(), |d| J::str(d.how.as_str()))),
            ("advice", J::Arr(v.advice.iter().map(|a| J::str(a.as_str())).collect())),
        ])
    });
    let steal = J::opt(r.steal.as_ref(), |s| {
        result(s, |s| {
            J::Obj(vec![
                ("percent", J::opt(s.percent, J::Num)),
                ("over", J::Num(s.over.as_secs_f64())),
                ("since_boot_percent", J::opt(s.since_boot, J::Num)),
            ])
        })
    });
    let doc = J::Obj(vec![
        ("verdict", J::str(r.verdict().name())),
        ("exit", J::Num(f64::from(r.verdict().exit_code()))),
        ("findings", J::Arr(findings)),
        ("kernel", kernel),
        ("ntp", ntp),
        ("clocksource", clocksource),
        ("vm", vm),
        ("steal", steal),
    ]);
    let mut out = String::new();
    doc.write(&mut out);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_numbers() {
        let mut s = String::new();
        J::Obj(vec![("a\"", J::str("x\ny\u{1}")), ("n", J::Num(f64::NAN)), ("m", J::Num(-1.5))]).write(&mut s);
        assert_eq!(s, r#"{"a\"":"x\ny\u0001","n":null,"m":-1.5}"#);
    }
}
