//! clock: check the clock, NTP, clocksource and hypervisor (run as `tend clock`).
//! The first line is a verdict; exit 0 OK, 1 warning, 2 critical.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::Duration;

use timehealth::{CheckOptions, Paths, Sections};

const USAGE: &str = "tend clock [--audit] [--json] [--prometheus] [--prometheus-file FILE] [--server HOST[:PORT]]... \
[--warn-offset S] [--crit-offset S] [--warn-steal PCT] [--crit-steal PCT] [--timeout S] [--sample S] \
[--check kernel,ntp,clocksource,vm,steal,audit] [--root DIR] [--scan DIR] [--proc DIR] [--sys DIR] [--kmsg FILE] [--etc DIR]";

/// `--name VALUE` and `--name=VALUE` options, shared with clockwatch.
pub(super) struct LongOptions<'a> {
    args: &'a [&'a OsStr],
    index: usize,
}

/// What went wrong while reading the options (already worded for people).
pub(super) struct BadOption(pub String);

impl<'a> LongOptions<'a> {
    pub(super) fn new(args: &'a [&'a OsStr]) -> Self {
        LongOptions { args, index: 0 }
    }

    /// The next option name and its inline value, if any.
    pub(super) fn next_option(&mut self) -> Result<Option<(String, Option<String>)>, BadOption> {
        let Some(arg) = self.args.get(self.index) else { return Ok(None) };
        self.index += 1;
        let arg = arg.to_str().ok_or_else(|| BadOption("options must be valid UTF-8".into()))?;
        let Some(body) = arg.strip_prefix("--") else {
            return Err(BadOption(format!("unexpected argument {arg}")));
        };
        Ok(Some(match body.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (body.to_string(), None),
        }))
    }

    /// The value of option `name`: inline or the next argument.
    pub(super) fn value(&mut self, name: &str, inline: Option<String>) -> Result<String, BadOption> {
        if let Some(v) = inline {
            return Ok(v);
        }
        let v = self.args.get(self.index).and_then(|v| v.to_str()).map(String::from);
        self.index += 1;
        v.ok_or_else(|| BadOption(format!("option --{name} requires a value")))
    }

    /// A non-negative number (seconds or percent).
    pub(super) fn number(&mut self, name: &str, inline: Option<String>) -> Result<f64, BadOption> {
        let v = self.value(name, inline)?;
        v.parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .ok_or_else(|| BadOption(format!("option --{name} needs a non-negative number, not {v}")))
    }

    /// A duration in seconds (at most about 584 billion years, Duration's limit).
    pub(super) fn duration(&mut self, name: &str, inline: Option<String>) -> Result<Duration, BadOption> {
        let n = self.number(name, inline)?;
        Duration::try_from_secs_f64(n)
            .map_err(|_| BadOption(format!("option --{name} is too long (at most {} seconds)", u64::MAX)))
    }

    /// The probe path options (`--root`, which sets all the others, `--proc`,
    /// `--sys`, `--kmsg`, `--etc`); false if `name` is not one.
    pub(super) fn path(&mut self, name: &str, inline: Option<String>, paths: &mut Paths) -> Result<bool, BadOption> {
        if name == "root" {
            *paths = Paths::under(std::path::Path::new(&self.value(name, inline)?));
            return Ok(true);
        }
        let slot = match name {
            "proc" => &mut paths.proc,
            "sys" => &mut paths.sys,
            "kmsg" => &mut paths.kmsg,
            "etc" => &mut paths.etc,
            _ => return Ok(false),
        };
        *slot = PathBuf::from(self.value(name, inline)?);
        Ok(true)
    }
}

/// Prints the problem and the usage line; exit 100.
pub(super) fn bad(e: BadOption, usage: &str) -> u8 {
    strerr::fatal(&[e.0.as_bytes()]);
    strerr::usage(usage)
}

struct Output {
    /// `--audit`: only the configuration audit.
    audit: bool,
    json: bool,
    prometheus: bool,
    prometheus_file: Option<PathBuf>,
}

fn parse(args: &[&OsStr]) -> Result<(CheckOptions, Output), BadOption> {
    let mut o = CheckOptions::default();
    let mut out = Output { audit: false, json: false, prometheus: false, prometheus_file: None };
    let mut checks: Option<Sections> = None;
    let mut opts = LongOptions::new(args);
    while let Some((name, inline)) = opts.next_option()? {
        match name.as_str() {
            "audit" => out.audit = true,
            "scan" => o.scan = Some(opts.value(&name, inline)?.into()),
            "json" => out.json = true,
            "prometheus" => out.prometheus = true,
            "prometheus-file" => out.prometheus_file = Some(opts.value(&name, inline)?.into()),
            "server" => o.servers.push(opts.value(&name, inline)?),
            "warn-offset" => o.thresholds.warn_offset = opts.number(&name, inline)?,
            "crit-offset" => o.thresholds.crit_offset = opts.number(&name, inline)?,
            "warn-steal" => o.thresholds.warn_steal = opts.number(&name, inline)?,
            "crit-steal" => o.thresholds.crit_steal = opts.number(&name, inline)?,
            "timeout" => o.timeout = opts.duration(&name, inline)?,
            "sample" => o.sample = opts.duration(&name, inline)?,
            "check" => {
                let list = opts.value(&name, inline)?;
                let s = checks.get_or_insert(Sections::NONE);
                for part in list.split(',').filter(|p| !p.is_empty()) {
                    if !s.enable(part) {
                        return Err(BadOption(format!("unknown check {part}")));
                    }
                }
            }
            _ if opts.path(&name, inline.clone(), &mut o.paths)? => {}
            _ => return Err(BadOption(format!("unknown option --{name}"))),
        }
    }
    if let Some(s) = checks {
        o.sections = s;
    }
    if out.json && out.prometheus {
        return Err(BadOption("--json and --prometheus both want stdout".into()));
    }
    Ok((o, out))
}

/// Writes the Prometheus file if asked, then `text` to stdout; returns the exit code.
fn finish(out: &Output, prometheus: impl FnOnce() -> String, text: String, verdict: timehealth::Level) -> u8 {
    if let Some(path) = &out.prometheus_file {
        if let Err(e) = emit::write_atomically(path, prometheus().as_bytes()) {
            let p = path.as_os_str().as_bytes();
            return strerr::die(strerr::EXIT_SYSTEM, &[b"unable to write ", p, b": ", strerr::errstr(&e).as_bytes()]);
        }
    }
    // A closed stdout (a monitoring agent that read only the first line) is not an error.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    verdict.exit_code()
}

pub fn main(args: &[&OsStr]) -> u8 {
    let (options, out) = match parse(args) {
        Ok(x) => x,
        Err(e) => return bad(e, USAGE),
    };
    if out.audit {
        let audit = timehealth::audit::run(&timehealth::probe::audit_target(&options));
        let text = if out.json {
            timehealth::json::audit(&audit)
        } else if out.prometheus {
            timehealth::prometheus::audit(&audit)
        } else {
            timehealth::text::audit(&audit)
        };
        return finish(&out, || timehealth::prometheus::audit(&audit), text, audit.verdict());
    }
    let report = timehealth::check(&options);
    let text = if out.json {
        timehealth::json::render(&report)
    } else if out.prometheus {
        timehealth::prometheus::render(&report)
    } else {
        timehealth::text::render(&report, &options.thresholds)
    };
    finish(&out, || timehealth::prometheus::render(&report), text, report.verdict())
}
