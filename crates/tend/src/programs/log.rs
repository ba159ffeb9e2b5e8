//! log: prints the lines of log directories (multilog's, s6-log's,
//! svlogd's) in order, stamps as local time: `tend log [-f] [-n N] [-g
//! PATTERN] [-i] [--since T] [--until T] [--utc] [--iso] [--raw] [--json]
//! [--tai] [--stats] DIR...`. DIR is a log directory or a service
//! directory. The work is the logread crate's; this file reads the options,
//! picks the way (everything, the last N, then following) and the exit
//! code: 0 (a broken pipe too, quietly), 100 usage, 111 a directory or file
//! that cannot be read or stdout failing.

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use logread::{merge, tail, when, Follower, History, Item, Line, LogDir, Printer, Range, TimeFormat, Unusable, Zone};
use tai64::Label;
use unix::regex::Regex;

const USAGE: &str = "tend log [-f] [-n N] [-g PATTERN] [-i] [--since T] [--until T] [--utc] [--iso] [--raw] [--json] \
[--tai] [--stats] DIR...";

#[derive(Default)]
struct Options<'a> {
    follow: bool,
    last: Option<usize>,
    pattern: Option<&'a [u8]>,
    ignore_case: bool,
    since: Option<&'a [u8]>,
    until: Option<&'a [u8]>,
    utc: bool,
    iso: bool,
    raw: bool,
    json: bool,
    tai: bool,
    stats: bool,
    dirs: Vec<&'a Path>,
}

/// The options, or the argument at fault.
fn parse<'a>(args: &[&'a OsStr]) -> Result<Options<'a>, &'a [u8]> {
    let mut o = Options::default();
    let mut it = args.iter().map(|a| a.as_bytes());
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.iter().position(|&b| b == b'=') {
            Some(eq) if arg.starts_with(b"--") => (arg.get(..eq).unwrap_or_default(), arg.get(eq + 1..)),
            _ => (arg, None),
        };
        let value = |it: &mut dyn Iterator<Item = &'a [u8]>| inline.or_else(|| it.next()).ok_or(arg);
        match name {
            b"-f" => o.follow = true,
            b"-i" => o.ignore_case = true,
            b"-n" => o.last = Some(number(value(&mut it)?).ok_or(arg)?),
            b"-g" => o.pattern = Some(value(&mut it)?),
            b"--since" => o.since = Some(value(&mut it)?),
            b"--until" => o.until = Some(value(&mut it)?),
            b"--utc" => o.utc = true,
            b"--iso" => o.iso = true,
            b"--raw" => o.raw = true,
            b"--json" => o.json = true,
            b"--tai" => o.tai = true,
            b"--stats" => o.stats = true,
            b"--" => {
                o.dirs.extend(it.by_ref().map(|d| Path::new(OsStr::from_bytes(d))));
            }
            [b'-', b'n', digits @ ..] if !digits.is_empty() => o.last = Some(number(digits).ok_or(arg)?),
            [b'-', ..] => return Err(arg),
            dir => o.dirs.push(Path::new(OsStr::from_bytes(dir))),
        }
    }
    if o.dirs.is_empty() || (o.follow && o.until.is_some()) {
        return Err(b"");
    }
    Ok(o)
}

fn number(digits: &[u8]) -> Option<usize> {
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// A time option's value as a label, or a fatal message.
fn time(option: &[u8], text: Option<&[u8]>, now: Label) -> Result<Option<Label>, u8> {
    let Some(text) = text else { return Ok(None) };
    match when::parse(text, now, &logread::show::local_offset) {
        Some(l) => Ok(Some(l)),
        None => Err(strerr::die(
            strerr::EXIT_USAGE,
            &[option, b": not a time: ", text, b" (2026-12-01 10:00, 10:00, -1h, -30m or @4000...)"],
        )),
    }
}

pub fn main(args: &[&OsStr]) -> u8 {
    let o = match parse(args) {
        Ok(o) => o,
        Err(b"") => return strerr::usage(USAGE),
        Err(bad) => {
            strerr::fatal(&[b"bad argument: ", bad]);
            return strerr::usage(USAGE);
        }
    };
    match run(&o) {
        Ok(()) | Err(Stop::Pipe) => 0,
        Err(Stop::Code(c)) => c,
    }
}

/// Why the program ends early.
enum Stop {
    /// stdout's reader went away: quietly, exit 0.
    Pipe,
    Code(u8),
}

fn run(o: &Options) -> Result<(), Stop> {
    // A write to a closed pipe fails (EPIPE) instead of killing: exit 0.
    unix::signals::ignore(libc::SIGPIPE);
    let now = Label::from_wall(unix::time::clock_gettime(libc::CLOCK_REALTIME));
    let since = time(b"--since", o.since, now).map_err(Stop::Code)?;
    let until = time(b"--until", o.until, now).map_err(Stop::Code)?;
    let pattern = match o.pattern.map(|p| Regex::new(p, o.ignore_case)).transpose() {
        Ok(p) => p,
        Err(why) => return Err(Stop::Code(strerr::die(strerr::EXIT_USAGE, &[b"bad pattern: ", why.as_bytes()]))),
    };
    let keep = |line: &Line| pattern.as_ref().is_none_or(|p| p.is_match(line.message()));
    let mut dirs = Vec::new();
    for d in &o.dirs {
        dirs.push(LogDir::find(d).map_err(|e| Stop::Code(unusable(d, e)))?);
    }
    // Watched before anything is read, so no write goes unseen.
    let watch = if o.follow { Some(watch(&dirs)?) } else { None };
    let range = Range { since, until, tai: o.tai, follow: o.follow };
    let zone = if o.utc { Zone::Utc } else { Zone::Local };
    let names = dirs.iter().map(|d| d.name.clone()).collect();
    let mut printer = Printer::new(TimeFormat::new(zone, o.iso || o.json), o.raw, o.json, names);
    let mut out = Output { buf: Vec::with_capacity(128 * 1024) };
    let last = o.last.or(if o.follow && since.is_none() { Some(10) } else { None });
    let mut followed = Vec::new();
    match last {
        Some(n) => {
            let mut sources = Vec::new();
            for d in &dirs {
                let listing = logread::list(&d.path).map_err(|e| failed(&d.path, &e))?;
                let (lines, f) =
                    tail::last(&d.path, listing, n, range, &keep).map_err(|f| failed(&f.path, &f.error))?;
                sources.push(VecDeque::from(lines));
                followed.push(f);
            }
            let mut items = Vec::new();
            merge(&mut sources, |item| {
                items.push(item);
                true
            })
            .map_err(|f| failed(&f.path, &f.error))?;
            let mut lines = 0;
            let from = items.iter().rposition(|i| {
                matches!(i, Item::Line(..)) && {
                    lines += 1;
                    lines > n
                }
            });
            for item in items.iter().skip(from.map_or(0, |i| i + 1)) {
                printer.item(item, &mut out.buf);
            }
            out.flush()?;
        }
        None => {
            let mut sources = Vec::new();
            for d in &dirs {
                let listing = logread::list(&d.path).map_err(|e| failed(&d.path, &e))?;
                sources.push(History::new(&d.path, listing, range));
            }
            let mut broken = None;
            merge(&mut sources, |item| {
                if matches!(&item, Item::Line(_, line) if !keep(line)) {
                    return true;
                }
                printer.item(&item, &mut out.buf);
                if out.buf.len() >= 64 * 1024 {
                    broken = out.flush().err();
                }
                broken.is_none()
            })
            .map_err(|f| failed(&f.path, &f.error))?;
            if let Some(stop) = broken {
                return Err(stop);
            }
            out.flush()?;
            followed = sources.into_iter().map(History::into_followed).collect();
        }
    }
    if o.stats {
        stats();
    }
    let Some(watch) = watch else { return Ok(()) };
    let mut followers = Vec::new();
    for (d, f) in dirs.iter().zip(followed) {
        followers.push(Follower::new(&d.path, f, o.tai).map_err(|e| failed(&d.path, &e))?);
    }
    loop {
        for (i, f) in followers.iter_mut().enumerate() {
            f.poll(&mut |line| {
                if keep(&line) {
                    printer.line(i, &line, &mut out.buf);
                }
            })
            .map_err(|f| failed(&f.path, &f.error))?;
        }
        out.flush()?;
        let mut fds = [unix::poll::pollfd(std::os::fd::AsRawFd::as_raw_fd(&watch))];
        unix::poll::poll(&mut fds, None).map_err(|e| failed(Path::new("inotify"), &e))?;
        unix::fs::watch_events(watch.as_fd(), |_, _| {}).map_err(|e| failed(Path::new("inotify"), &e))?;
    }
}

/// One inotify descriptor watching every directory.
fn watch(dirs: &[LogDir]) -> Result<std::os::fd::OwnedFd, Stop> {
    let fd = unix::fs::watcher().map_err(|e| failed(Path::new("inotify"), &e))?;
    for d in dirs {
        unix::fs::watch_also(fd.as_fd(), d.path.as_os_str().as_bytes(), logread::follow::EVENTS)
            .map_err(|e| failed(&d.path, &e))?;
    }
    Ok(fd)
}

/// What is printed, written in large pieces.
struct Output {
    buf: Vec<u8>,
}

impl Output {
    fn flush(&mut self) -> Result<(), Stop> {
        let mut stdout = io::stdout().lock();
        let r = stdout.write_all(&self.buf).and_then(|()| stdout.flush());
        self.buf.clear();
        match r {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(Stop::Pipe),
            Err(e) => Err(Stop::Code(strerr::die(
                strerr::EXIT_SYSTEM,
                &[b"unable to write to stdout: ", strerr::errstr(&e).as_bytes()],
            ))),
        }
    }
}

fn failed(path: &Path, e: &io::Error) -> Stop {
    let what = path.as_os_str().as_bytes();
    Stop::Code(strerr::die(strerr::EXIT_SYSTEM, &[b"unable to read ", what, b": ", strerr::errstr(e).as_bytes()]))
}

fn unusable(dir: &Path, e: Unusable) -> u8 {
    match e {
        Unusable::Io(e) => match failed(dir, &e) {
            Stop::Code(c) => c,
            Stop::Pipe => 0,
        },
        Unusable::NotALog => strerr::die(
            strerr::EXIT_SYSTEM,
            &[
                dir.as_os_str().as_bytes(),
                b" is not a log directory (no current) nor a service directory with one (log/run, log/main)",
            ],
        ),
    }
}

/// `log: read N bytes in M reads` on stderr: the bytes of log files read.
fn stats() {
    let (bytes, reads) = logread::reader::stats();
    let mut line = Vec::new();
    line.extend_from_slice(strerr::program().as_bytes());
    line.extend_from_slice(b": read ");
    logread::show::push_number(&mut line, bytes, 1);
    line.extend_from_slice(b" bytes in ");
    logread::show::push_number(&mut line, reads, 1);
    line.extend_from_slice(b" reads\n");
    strerr::write_stderr(&line);
}
