//! clockwatch: log clock steps, sync changes, offsets, clocksource changes and
//! steal time as they happen, one line each on stdout (for multilog).

use std::ffi::OsStr;

use timehealth::watch::{self, Config};

use super::clock::{bad, BadOption, LongOptions};

const USAGE: &str = "clockwatch [--interval S] [--summary S] [--query-interval S] [--step-threshold S] \
[--server HOST[:PORT]]... [--warn-offset S] [--warn-steal PCT] [--timeout S] [--audit-interval S] [--scan DIR] \
[--root DIR] [--proc DIR] [--sys DIR] [--kmsg FILE] [--etc DIR]";

fn parse(args: &[&OsStr]) -> Result<Config, BadOption> {
    let mut c = Config::default();
    let mut opts = LongOptions::new(args);
    while let Some((name, inline)) = opts.next_option()? {
        match name.as_str() {
            "interval" => c.interval = opts.duration(&name, inline)?,
            "summary" => c.summary = opts.duration(&name, inline)?,
            "query-interval" => c.query_interval = opts.duration(&name, inline)?,
            "step-threshold" => c.step_threshold = opts.number(&name, inline)?,
            "server" => c.servers.push(opts.value(&name, inline)?),
            "warn-offset" => c.warn_offset = opts.number(&name, inline)?,
            "warn-steal" => c.warn_steal = opts.number(&name, inline)?,
            "timeout" => c.timeout = opts.duration(&name, inline)?,
            "audit-interval" => c.audit_interval = opts.duration(&name, inline)?,
            "scan" => c.scan = Some(opts.value(&name, inline)?.into()),
            _ if opts.path(&name, inline.clone(), &mut c.paths)? => {}
            _ => return Err(BadOption(format!("unknown option --{name}"))),
        }
    }
    if c.interval.is_zero() || c.summary.is_zero() {
        return Err(BadOption("--interval and --summary must be above zero".into()));
    }
    Ok(c)
}

pub fn main(args: &[&OsStr]) -> u8 {
    let config = match parse(args) {
        Ok(c) => c,
        Err(e) => return bad(e, USAGE),
    };
    let mut out = std::io::stdout().lock();
    match watch::run(&config, &mut out, &|w| strerr::warn(&[w.as_bytes()])) {
        Ok(()) => 0,
        Err(e) => strerr::die(strerr::EXIT_SYSTEM, &[b"unable to write to stdout: ", strerr::errstr(&e).as_bytes()]),
    }
}
