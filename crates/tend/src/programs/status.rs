//! status: what services are doing and what they use (run as `tend status`).
//!
//! `tend status [DIR...]` prints one aligned line per service; naming one
//! service directory prints its detail view (state since when, main pid,
//! its processes with their command lines, CPU and memory, restarts, the
//! settings files it has, its last log lines). `--json` prints the same
//! figures as one JSON object. CPU % is measured over [`SAMPLE`], all
//! services at once. Exit 0; 111 if a directory or a record could not be
//! read (the others are still shown); 100 for usage.

use std::ffi::OsStr;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use emit::json::Json;
use resources::{human, Detail, Phase, ProcTable, ServiceEntry, ServiceState, Source, Usage};
use svstatus::LastExit;

const USAGE: &str = "tend status [--json] [DIR...]";

/// The interval CPU % is measured over: two samples of every service.
const SAMPLE: Duration = Duration::from_millis(100);
/// Log lines in the detail view.
const LOG_LINES: usize = 10;
/// The name column of the list, at most.
const NAME_WIDTH: usize = 17;

/// One service and what was read of it.
struct Row {
    entry: ServiceEntry,
    state: Option<ServiceState>,
    /// The two samples, when it has processes to sample.
    usage: Option<(Usage, Usage)>,
}

impl Row {
    fn cpu_percent(&self) -> Option<f64> {
        self.usage.as_ref().and_then(|(a, b)| resources::cpu_percent(a, b))
    }
    fn now(&self) -> Option<&Usage> {
        self.usage.as_ref().map(|(_, b)| b)
    }
}

pub fn main(args: &[&OsStr]) -> u8 {
    let mut json = false;
    let mut dirs: Vec<&[u8]> = Vec::new();
    let mut options = true;
    for arg in args.iter().map(|a| a.as_bytes()) {
        match arg {
            b"--" if options => options = false,
            b"--json" if options => json = true,
            [b'-', _, ..] if options => return strerr::usage(USAGE),
            dir => dirs.push(dir),
        }
    }
    let entries = resources::services(&dirs);
    // One service directory named: its detail view (its log service too is
    // listed by `services`, and shown as its log lines).
    let detail = matches!((dirs.as_slice(), entries.first()), ([dir], Some(e)) if e.path == *dir && e.error.is_none());
    let mut rows: Vec<Row> = entries
        .into_iter()
        .take(if detail { 1 } else { usize::MAX })
        .map(|entry| {
            let state = entry.error.is_none().then(|| ServiceState::read(&entry.path));
            Row { entry, state, usage: None }
        })
        .collect();
    sample(&mut rows, if detail { Detail::Full } else { Detail::Summary });
    let color = !json && unix::system::is_terminal(1) && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let text = match (json, detail) {
        (true, _) => json_text(&rows, detail),
        (false, true) => rows.first().map(|r| detail_text(r, color)).unwrap_or_default(),
        (false, false) => list_text(&rows, color),
    };
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(&text).and_then(|()| out.flush()) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return strerr::die(strerr::EXIT_SYSTEM, &[b"unable to write output: ", strerr::errstr(&e).as_bytes()]);
        }
    }
    for row in &rows {
        let why = row.entry.error.as_deref().or(row
            .state
            .as_ref()
            .filter(|s| s.phase == Phase::Unknown)
            .and_then(|s| s.error.as_deref()));
        if let Some(why) = why {
            strerr::warn(&[row.entry.path.as_slice(), b": ", why.as_bytes()]);
        }
    }
    let failed =
        rows.iter().any(|r| r.entry.error.is_some() || r.state.as_ref().is_some_and(|s| s.phase == Phase::Unknown));
    if failed {
        strerr::EXIT_SYSTEM
    } else {
        0
    }
}

/// Two samples of every supervised service with a process, [`SAMPLE`]
/// apart, each from one reading of /proc (only the services' processes
/// where each has its cgroup; the second knowing where the cgroups are).
fn sample(rows: &mut [Row], detail: Detail) {
    let pids: Vec<Option<u32>> =
        rows.iter().map(|r| r.state.as_ref().filter(|s| s.supervised).and_then(ServiceState::main_pid)).collect();
    if pids.iter().all(Option::is_none) {
        return;
    }
    let take = |table: &ProcTable, rows: &[Row]| {
        let each = rows.iter().zip(&pids);
        each.map(|(r, &pid)| pid.map(|p| table.usage_with(&r.entry.path, Some(p), detail))).collect::<Vec<_>>()
    };
    // Only the services' processes are read where each has its cgroup.
    let services: Vec<(&[u8], u32)> =
        rows.iter().zip(&pids).filter_map(|(r, &pid)| Some((r.entry.path.as_slice(), pid?))).collect();
    let mut table = ProcTable::read_for(&services, detail);
    let before = take(&table, rows);
    // The interval runs from the first reading: the time it took to find
    // the services' cgroups is not waited again.
    let now = unix::time::clock_gettime(libc::CLOCK_MONOTONIC);
    std::thread::sleep(SAMPLE.saturating_sub(now.saturating_sub(table.at())));
    table.refresh_for(&services, detail);
    let after = take(&table, rows);
    for ((row, a), b) in rows.iter_mut().zip(before).zip(after) {
        row.usage = a.zip(b);
    }
}

/// `up`, `crash-loop`, ... as shown, coloured on a terminal: green up,
/// red crash-loop or unknown, yellow on the way, dim down.
fn paint(phase: Phase, text: &str, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    // Numbers, not a `match` of strings: that would be a table of pointers
    // in the RELRO pages every tend process owns.
    let code: u8 = match phase {
        Phase::Up => 32,
        Phase::CrashLoop | Phase::Unknown => 31,
        Phase::WantsUp | Phase::Paused | Phase::Finishing => 33,
        Phase::Down | Phase::Unsupervised => 2,
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// `0`, `1`, `sig 9`, or `-`.
fn exit_word(e: Option<LastExit>) -> String {
    match e {
        Some(LastExit::Code(c)) => c.to_string(),
        Some(LastExit::Signal(s)) => format!("sig {s}"),
        None => "-".to_string(),
    }
}

/// `yes` or `no` for a service that declares readiness, else `-` (up is
/// all it says, or the record does not tell).
fn ready_word(s: &ServiceState) -> String {
    match (s.declares_readiness, s.ready) {
        (Some(true), Some(true)) => "yes",
        (Some(true), _) => "no",
        _ => "-",
    }
    .to_string()
}

fn or_dash<T>(v: Option<T>, f: impl FnOnce(T) -> String) -> String {
    v.map_or_else(|| "-".to_string(), f)
}

/// A name cut to `width` characters (bytes shown lossily), `~` marking the cut.
fn cut(name: &[u8], width: usize) -> String {
    let s = String::from_utf8_lossy(name);
    if s.chars().count() <= width {
        return s.into_owned();
    }
    let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
    t.push('~');
    t
}

/// The list's header after NAME, aligned as [`list_text`] writes a line.
const HEADER: &str = "STATE           TIME     PID RESTARTS   EXIT  CPU%    MEM READY";

/// One line a service, under a header: at most 80 columns.
fn list_text(rows: &[Row], color: bool) -> Vec<u8> {
    let width = rows.iter().map(|r| cut(&r.entry.name, NAME_WIDTH).chars().count()).max().unwrap_or(4).max(4);
    let mut out = format!("{:<width$} {HEADER}\n", "NAME");
    for r in rows {
        let name = cut(&r.entry.name, NAME_WIDTH);
        let Some(s) = &r.state else {
            out.push_str(&format!("{name:<width$} {}\n", paint(Phase::Unknown, "unreadable", color)));
            continue;
        };
        let word = format!("{:<12}", s.phase.word());
        out.push_str(&format!(
            "{name:<width$} {} {:>7} {:>7} {:>8} {:>6} {:>5} {:>6} {}\n",
            paint(s.phase, &word, color),
            or_dash(s.since.filter(|_| s.phase != Phase::Unknown), |t| human::duration_short(t.age.as_secs())),
            or_dash(s.main_pid(), |p| p.to_string()),
            or_dash(s.restarts, |n| n.to_string()),
            exit_word(s.last_exit),
            or_dash(r.cpu_percent(), human::percent),
            or_dash(r.now().filter(|u| u.source != Source::None), |u| human::bytes(u.rss)),
            ready_word(s),
        ));
    }
    out.into_bytes()
}

/// The detail view of one service, like `systemctl status`.
fn detail_text(r: &Row, color: bool) -> Vec<u8> {
    let mut out = String::new();
    let name = String::from_utf8_lossy(&r.entry.name);
    let Some(s) = &r.state else { return format!("{name}: unreadable\n").into_bytes() };
    let line = |out: &mut String, label: &str, text: &str| out.push_str(&format!("{label:>10}: {text}\n"));
    out.push_str(&format!("{name}\n"));
    let mut state = paint(s.phase, s.phase.word(), color);
    if let Some(since) = s.since.filter(|_| s.phase != Phase::Unknown) {
        let mut local = Vec::new();
        tai64::LocalFormatter::new().push_date_time(since.unix, &mut local);
        state.push_str(&format!(
            " since {}; {} ago",
            String::from_utf8_lossy(&local),
            human::duration_short(since.age.as_secs())
        ));
    }
    if let Some(why) = &s.error {
        state.push_str(&format!(" ({why})"));
    }
    line(&mut out, "State", &state);
    let writer = s.writer.map_or("unknown", resources::Writer::word);
    let running = if s.supervised { "running" } else { "not running" };
    line(
        &mut out,
        "Supervisor",
        &format!("{writer} ({running}), {}", if s.normally_up { "normally up" } else { "normally down" }),
    );
    if let Some(pid) = s.pid {
        let comm = r.now().and_then(|u| u.procs.first()).map(|p| String::from_utf8_lossy(&p.comm).into_owned());
        line(&mut out, "Main PID", &format!("{pid}{}", comm.map(|c| format!(" ({c})")).unwrap_or_default()));
    }
    if let Some(pid) = s.finish_pid {
        line(&mut out, "Finish", &format!("pid {pid}"));
    }
    line(
        &mut out,
        "Restarts",
        &format!("{}, last exit {}", or_dash(s.restarts, |n| n.to_string()), exit_word(s.last_exit)),
    );
    if s.declares_readiness == Some(true) {
        line(&mut out, "Ready", &ready_word(s));
    }
    if let Some(u) = r.now().filter(|u| u.source != Source::None) {
        usage_lines(&mut out, r, u);
    }
    line(&mut out, "Settings", &settings(Path::new(OsStr::from_bytes(&r.entry.path))));
    log_lines(&mut out, Path::new(OsStr::from_bytes(&r.entry.path)));
    out.into_bytes()
}

/// CPU, memory, processes and where the figures come from.
fn usage_lines(out: &mut String, r: &Row, u: &Usage) {
    let line = |out: &mut String, label: &str, text: &str| out.push_str(&format!("{label:>10}: {text}\n"));
    let now = or_dash(r.cpu_percent(), |p| format!("{}% now", human::percent(p)));
    line(
        out,
        "CPU",
        &format!(
            "{now}; {} user, {} system in all",
            human::duration_short(u.cpu_user.as_secs()),
            human::duration_short(u.cpu_system.as_secs())
        ),
    );
    // From a process tree, the peak is the largest one process reached.
    let exact = matches!(u.source, Source::Cgroup(_)) && !u.notes.iter().any(|n| n.field == "rss_peak");
    let peak_of = if exact { "peak" } else { "one process's peak" };
    let peak = u.rss_peak.map(|p| format!(" ({peak_of} {})", human::bytes(p))).unwrap_or_default();
    line(out, "Memory", &format!("{}{peak}", human::bytes(u.rss)));
    let io = match (u.io_read, u.io_write) {
        (Some(r), Some(w)) => format!(", I/O {} read, {} written", human::bytes(r), human::bytes(w)),
        _ => String::new(),
    };
    let fds = u.fds.map(|n| format!(", {n} open files")).unwrap_or_default();
    let oom = u.oom_kills.filter(|&n| n > 0).map(|n| format!(", {n} OOM kills")).unwrap_or_default();
    let plural = if u.processes == 1 { "" } else { "es" };
    line(out, "Tasks", &format!("{} process{plural}{fds}{io}{oom}", u.processes));
    let source = match &u.source {
        Source::Cgroup(dir) => format!("cgroup {} (exact)", String::from_utf8_lossy(dir)),
        Source::ProcessTree => "process tree of the main pid (estimate)".to_string(),
        Source::None => "-".to_string(),
    };
    line(out, "Figures", &source);
    // The peak's note is in its label already.
    for n in u.notes.iter().filter(|n| n.field != "rss_peak") {
        line(out, "Note", &format!("{}: {}", n.field, n.reason));
    }
    let percents = r.usage.as_ref().and_then(|(a, b)| resources::process_percents(a, b));
    out.push_str(&format!("{:>10}:\n", "Processes"));
    for (i, p) in u.procs.iter().enumerate() {
        let pct = percents.as_ref().and_then(|v| v.get(i)).map_or_else(|| "-".to_string(), |&v| human::percent(v));
        let indent: String = std::iter::repeat_n("  ", usize::try_from(p.depth).unwrap_or(0).min(8)).collect();
        let cmd = if p.cmdline.is_empty() {
            format!("[{}]", String::from_utf8_lossy(&p.comm))
        } else {
            String::from_utf8_lossy(&p.cmdline).into_owned()
        };
        out.push_str(&format!(
            "{:>12} {} {:>5}% {:>6}  {indent}{cmd}\n",
            p.pid,
            char::from(p.state),
            pct,
            human::bytes(p.rss)
        ));
    }
}

/// The files of the service directory that set something: `run`, `down`,
/// `dependencies`, `log/` and those supervise reads ([`supervise::is_setting`]),
/// sorted by name.
fn settings(dir: &Path) -> String {
    let mut have: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_encoded_bytes();
            let known = matches!(name.as_slice(), b"run" | b"down" | b"dependencies") || supervise::is_setting(&name);
            match name.as_slice() {
                b"log" => Some("log/".to_string()),
                _ if known => Some(String::from_utf8_lossy(&name).into_owned()),
                _ => None,
            }
        })
        .collect();
    have.sort();
    if have.is_empty() {
        "-".to_string()
    } else {
        have.join(", ")
    }
}

/// The last lines of the service's log, their TAI64N labels as local time.
fn log_lines(out: &mut String, dir: &Path) {
    let Some(log) = resources::log::log_dir(dir) else { return };
    out.push_str(&format!("\nLog {}:\n", log.display()));
    match logread::tail::last_lines(&log, LOG_LINES) {
        Ok(lines) => {
            let mut fmt = tai64::LocalFormatter::new();
            for l in lines {
                let mut shown = Vec::new();
                tai64::convert_line(&l.text, &mut fmt, &mut shown);
                out.push_str(&format!("  {}\n", String::from_utf8_lossy(&shown)));
            }
        }
        Err(f) => out.push_str(&format!("  unable to read {}: {}\n", f.path.display(), strerr::errstr(&f.error))),
    }
}

/// `{"services":[{...},...]}`: every figure, None as null.
fn json_text(rows: &[Row], detail: bool) -> Vec<u8> {
    let mut j = Json::new();
    j.object(|j| {
        j.key("services").array(|j| {
            for r in rows {
                j.object(|j| service_json(j, r, detail));
            }
        })
    });
    let mut text = j.into_string().into_bytes();
    text.push(b'\n');
    text
}

fn service_json(j: &mut Json, r: &Row, detail: bool) {
    j.field("name", r.entry.name.as_slice());
    j.field("directory", r.entry.path.as_slice());
    let Some(s) = &r.state else {
        j.field("error", r.entry.error.as_deref().unwrap_or_default().as_bytes());
        return;
    };
    j.field("error", s.error.as_deref().map(str::as_bytes));
    j.field("state", s.phase.word());
    j.field("supervised", s.supervised);
    j.field("normally_up", s.normally_up);
    j.field("pid", s.pid);
    j.field("finish_pid", s.finish_pid);
    j.field("since", s.since.map(|t| t.unix));
    j.field("seconds", s.since.map(|t| t.age.as_secs()));
    j.field("restarts", s.restarts);
    match s.last_exit {
        Some(LastExit::Code(c)) => j.key("last_exit").object(|j| j.field("code", c)),
        Some(LastExit::Signal(n)) => j.key("last_exit").object(|j| j.field("signal", n)),
        None => j.field("last_exit", None::<u8>),
    }
    j.field("ready", s.ready);
    j.field("cpu_percent", r.cpu_percent());
    let u = r.now().filter(|u| u.source != Source::None);
    j.field(
        "source",
        u.map(|u| match u.source {
            Source::Cgroup(_) => "cgroup",
            _ => "process-tree",
        }),
    );
    j.field("cgroup", u.and_then(|u| if let Source::Cgroup(d) = &u.source { Some(d.as_slice()) } else { None }));
    j.field("cpu_user_seconds", u.map(|u| u.cpu_user.as_secs_f64()));
    j.field("cpu_system_seconds", u.map(|u| u.cpu_system.as_secs_f64()));
    j.field("memory_bytes", u.map(|u| u.rss));
    j.field("memory_peak_bytes", u.and_then(|u| u.rss_peak));
    j.field("processes", u.map(|u| u.processes));
    j.field("io_read_bytes", u.and_then(|u| u.io_read));
    j.field("io_write_bytes", u.and_then(|u| u.io_write));
    j.field("fds", u.and_then(|u| u.fds));
    j.field("oom_kills", u.and_then(|u| u.oom_kills));
    if !detail {
        return;
    }
    let percents = r.usage.as_ref().and_then(|(a, b)| resources::process_percents(a, b));
    j.key("procs").array(|j| {
        for (i, p) in u.map(|u| u.procs.as_slice()).unwrap_or_default().iter().enumerate() {
            j.object(|j| {
                j.field("pid", p.pid);
                j.field("ppid", p.ppid);
                j.field("comm", p.comm.as_slice());
                j.field("cmdline", p.cmdline.as_slice());
                j.field("state", [p.state].as_slice());
                j.field("cpu_seconds", p.cpu.as_secs_f64());
                j.field("cpu_percent", percents.as_ref().and_then(|v| v.get(i).copied()));
                j.field("memory_bytes", p.rss);
            });
        }
    });
}
