//! exporter: services and the clock as Prometheus metrics, over HTTP
//! (run as `tend exporter`; doc/exporter.md).
//!
//! `tend exporter [--listen ADDR:PORT]... [--textfile PATH [-i SECS]]
//! [--clock-check LIST] [--clock-server HOST[:PORT]]... [DIR...]` serves
//! `/metrics` and the read-only status page (`/`, `/log/NAME`:
//! [`StatusPages`]) on each address (default 127.0.0.1:9725, unless only a
//! textfile is asked for) and writes the textfile every SECS (default 15).
//! Each address bound is printed on stdout (`listening on ADDR`: port 0
//! takes a free one). Exits 111 when it cannot listen or poll, 100 on usage.

use std::ffi::OsStr;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::Duration;

use ::exporter::{ClockCache, Collector, Exporter, Limits, StatusPages, Textfile};
use timehealth::{CheckOptions, Sections};

const USAGE: &str = "tend exporter [--listen ADDR:PORT]... [--textfile PATH [-i SECS]] [--clock-check LIST] \
[--clock-server HOST[:PORT]]... [DIR...] (doc/exporter.md)";
/// Loopback only by default; 9725 is in the range exporters use (doc/exporter.md).
const DEFAULT_LISTEN: &str = "127.0.0.1:9725";
const TEXTFILE_EVERY: Duration = Duration::from_secs(15);

pub fn main(args: &[&OsStr]) -> u8 {
    let mut addresses: Vec<SocketAddr> = Vec::new();
    let mut textfile: Option<PathBuf> = None;
    let mut every = TEXTFILE_EVERY;
    let mut clock = CheckOptions::default();
    let mut checks: Option<Sections> = None;
    let mut dirs: Vec<Vec<u8>> = Vec::new();
    let mut args = args.iter().map(|a| a.as_bytes());
    let mut options = true;
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.iter().position(|&b| b == b'=') {
            Some(i) if arg.starts_with(b"--") => (arg.get(..i).unwrap_or_default(), arg.get(i + 1..)),
            _ => (arg, None),
        };
        let takes_value = matches!(name, b"--listen" | b"--textfile" | b"-i" | b"--clock-check" | b"--clock-server");
        let value = if options && takes_value { inline.or_else(|| args.next()) } else { None };
        let text = value.and_then(|v| std::str::from_utf8(v).ok());
        match (name, text) {
            (b"--", _) if options => options = false,
            (b"--listen", Some(a)) => match a.parse() {
                Ok(a) => addresses.push(a),
                Err(_) => return bad(&[b"not a numeric ADDR:PORT: ", a.as_bytes()]),
            },
            (b"--textfile", Some(p)) => textfile = Some(PathBuf::from(p)),
            (b"-i", Some(s)) => match s.parse::<u64>() {
                Ok(n) if n > 0 => every = Duration::from_secs(n),
                _ => return bad(&[b"-i wants a number of seconds, not ", s.as_bytes()]),
            },
            (b"--clock-check", Some(list)) => {
                let s = checks.get_or_insert(Sections::NONE);
                for part in list.split(',').filter(|p| !p.is_empty() && *p != "none") {
                    if !s.enable(part) {
                        return bad(&[b"unknown clock check ", part.as_bytes()]);
                    }
                }
            }
            (b"--clock-server", Some(server)) => clock.servers.push(server.to_string()),
            _ if options && (takes_value || arg.starts_with(b"-")) => return strerr::usage(USAGE),
            _ => dirs.push(arg.to_vec()),
        }
    }
    if let Some(s) = checks {
        clock.sections = s;
    }
    let clock = (clock.sections != Sections::NONE).then_some(clock);
    if addresses.is_empty() && textfile.is_none() {
        addresses.extend(DEFAULT_LISTEN.parse::<SocketAddr>());
    }
    let mut listeners = Vec::new();
    let mut out = std::io::stdout().lock();
    for a in &addresses {
        match TcpListener::bind(a) {
            Ok(l) => {
                let bound = l.local_addr().map_or_else(|_| a.to_string(), |b| b.to_string());
                let _ = writeln!(out, "listening on {bound}").and_then(|()| out.flush());
                listeners.push(l);
            }
            Err(e) => {
                let a = a.to_string();
                return strerr::die(
                    strerr::EXIT_SYSTEM,
                    &[b"unable to listen on ", a.as_bytes(), b": ", strerr::errstr(&e).as_bytes()],
                );
            }
        }
    }
    drop(out);
    let textfile = textfile.map(|path| Textfile { path, every });
    let mut exporter = Exporter::new(Collector::new(dirs), ClockCache::new(clock), StatusPages::default());
    let e = ::exporter::serve(&listeners, &mut exporter, textfile.as_ref(), Limits::default());
    strerr::die(strerr::EXIT_SYSTEM, &[b"unable to poll: ", strerr::errstr(&e).as_bytes()])
}

fn bad(parts: &[&[u8]]) -> u8 {
    strerr::fatal(parts);
    strerr::usage(USAGE)
}
