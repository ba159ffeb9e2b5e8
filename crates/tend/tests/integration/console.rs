//! Console mode (`TEND_CONSOLE=1`): every service's lines on svscan's
//! standard output, prefixed with the service's name, while the log
//! directories keep every line; a slow or closed standard output never
//! holds a service or its logger up.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{ChildStdout, Stdio};
use std::sync::{Arc, Mutex};

use crate::util::{signal, wait_for, wait_for_file_content, wait_until, Sandbox, PATIENCE};

/// Lines each service writes.
const LINES: usize = 3000;
/// The services: name and `log/run` (`None`: no `log/`).
const SERVICES: [(&str, Option<&str>); 3] =
    [("stamped", Some("exec multilog t ./main")), ("plain", Some("exec multilog ./main")), ("bare", None)];

/// Line `i` of service `name` (lengths vary from 10 to 300 bytes).
fn line(name: &str, i: usize) -> String {
    format!("{name} line {i} {}", "x".repeat(i * 37 % 290))
}

/// The service tree: each `run` says `NAME starts`, waits for its FIFO
/// `go-NAME` to be opened and closed, writes its [`LINES`] lines, then
/// records that it is done and sleeps.
fn tree(sb: &Sandbox, lines: usize) {
    for (name, log) in SERVICES {
        let fifo = sb.join(&format!("go-{name}"));
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: mkfifo with a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
        let done = sb.join(&format!("done-{name}"));
        sb.script(
            &format!("scan/{name}/run"),
            &format!(
                "#!/bin/sh\necho '{name} starts'\nread x < {fifo}\n\
                 awk 'BEGIN {{ for (i = 1; i <= {lines}; i++) {{ printf \"{name} line %d \", i; \
                 for (j = 0; j < i * 37 % 290; j++) printf \"x\"; printf \"\\n\" }} }}'\n\
                 echo done > {done}.new && mv {done}.new {done}\nexec sleep 100000\n",
                fifo = fifo.display(),
                done = done.display(),
            ),
        );
        if let Some(log) = log {
            sb.script(&format!("scan/{name}/log/run"), &format!("#!/bin/sh\n{log}\n"));
        }
    }
}

/// Starts svscan in console mode on `sb/scan`, its stdout `stdout`, its
/// stderr in `sb/stderr`; returns its pid.
fn start(sb: &mut Sandbox, stdout: Stdio) -> u32 {
    let mut cmd = sb.tend("svscan");
    cmd.arg("scan").env("TEND_CONSOLE", "1").stdin(Stdio::null()).stdout(stdout);
    cmd.stderr(fs::File::create(sb.join("stderr")).expect("stderr file"));
    sb.spawn(cmd)
}

/// Lets every service write its lines: opens and closes each `go-NAME`
/// once its `run` waits on it.
fn go(sb: &Sandbox) {
    for (name, _) in SERVICES {
        let fifo = sb.join(&format!("go-{name}"));
        // Opening for writing without blocking succeeds once a reader waits.
        wait_for(&format!("{name} to wait on its FIFO"), || {
            fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(&fifo).is_ok()
        });
    }
}

/// Waits until every service has written all its lines (so none was held up).
fn wait_done(sb: &Sandbox) {
    for (name, _) in SERVICES {
        let done = sb.join(&format!("done-{name}"));
        wait_for(&format!("{name} to write all its lines"), || done.exists());
    }
}

/// Every line in service `name`'s log directory, in order, labels removed.
fn logged(dir: &Path, stamped: bool) -> Vec<String> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    files.retain(|f| f.starts_with('@') || f == "current");
    // Archives by name (TAI64N, in time order), `current` last.
    files.sort_by_key(|f| (f == "current", f.clone()));
    let mut lines = Vec::new();
    for f in files {
        let text = String::from_utf8_lossy(&fs::read(dir.join(f)).unwrap_or_default()).into_owned();
        for l in text.lines() {
            lines.push(if stamped { l.get(26..).unwrap_or("").to_string() } else { l.to_string() });
        }
    }
    lines
}

/// Waits until each logged service's directory holds its lines, each once, in order.
fn wait_logged(sb: &Sandbox, lines: usize) {
    for (name, log) in SERVICES {
        if log.is_none() {
            continue;
        }
        let want: Vec<String> =
            std::iter::once(format!("{name} starts")).chain((1..=lines).map(|i| line(name, i))).collect();
        let dir = sb.join(&format!("scan/{name}/log/main"));
        let stamped = log.is_some_and(|l| l.contains(" t "));
        let mut got = Vec::new();
        let ok = wait_until(PATIENCE, || {
            got = logged(&dir, stamped);
            got.len() >= want.len()
        });
        assert!(ok, "{name}'s log directory holds {} of {} lines", got.len(), want.len());
        assert!(got == want, "{name}'s log directory differs: {} lines, first difference at {:?}", got.len(), {
            got.iter().zip(&want).position(|(a, b)| a != b)
        });
    }
}

/// Joins records into lines per service: `NAME: ` starts a line, `NAME+ `
/// continues the last one. Fails on a record that is neither or longer
/// than PIPE_BUF.
fn unframe(out: &[u8]) -> HashMap<String, Vec<String>> {
    let mut lines: HashMap<String, Vec<String>> = HashMap::new();
    assert!(out.is_empty() || out.ends_with(b"\n"), "standard output ends in the middle of a record");
    for record in out.split_inclusive(|&b| b == b'\n') {
        assert!(record.len() <= 4096, "a record of {} bytes", record.len());
        let text = String::from_utf8_lossy(&record[..record.len() - 1]).into_owned();
        let (at, more) = match (text.find(": "), text.find("+ ")) {
            (Some(a), Some(m)) if m < a => (m, true),
            (Some(a), _) => (a, false),
            (None, Some(m)) => (m, true),
            (None, None) => panic!("not a record: {text:?}"),
        };
        let (name, rest) = (text[..at].to_string(), text[at + 2..].to_string());
        let of = lines.entry(name).or_default();
        if more {
            of.last_mut().expect("a continuation after a first piece").push_str(&rest);
        } else {
            of.push(rest);
        }
    }
    lines
}

/// Reads `stdout` to its end in a thread; the bytes so far are shared.
fn collect(mut stdout: ChildStdout) -> Arc<Mutex<Vec<u8>>> {
    let out = Arc::new(Mutex::new(Vec::new()));
    let shared = out.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            shared.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    out
}

/// The sum of the `dropped N lines` counts in `sb/stderr`.
fn dropped(sb: &Sandbox) -> usize {
    let text = fs::read_to_string(sb.join("stderr")).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split("dropped ").nth(1))
        .filter_map(|rest| rest.split(' ').next().and_then(|n| n.parse::<usize>().ok()))
        .sum()
}

/// SIGTERM to svscan; it exits 0 with every process of the tree gone.
fn stop(sb: &mut Sandbox, svscan: u32) {
    signal(svscan, libc::SIGTERM);
    assert_eq!(sb.wait_exit(svscan).code(), Some(0));
    wait_for("every process of the tree to exit", || sb.processes().is_empty());
}

fn want_lines(name: &str, lines: usize) -> Vec<String> {
    std::iter::once(format!("{name} starts")).chain((1..=lines).map(|i| line(name, i))).collect()
}

#[test]
fn three_services_writing_at_once_every_line_once_whole_and_prefixed_on_stdout_and_in_the_log() {
    let mut sb = Sandbox::new();
    tree(&sb, LINES);
    // A file: it always takes what svscan writes, so nothing may be dropped
    // however late the test reads it (a pipe's reader is the next tests').
    let out = sb.join("stdout");
    let svscan = start(&mut sb, Stdio::from(fs::File::create(&out).expect("stdout file")));
    go(&sb);
    wait_done(&sb);
    wait_logged(&sb, LINES);
    let total = SERVICES.len() * (LINES + 1);
    wait_for_file_content(&out, |o| o.ends_with(b"\n") && console_lines(o) == total);
    stop(&mut sb, svscan);
    let lines = unframe(&fs::read(&out).expect("stdout file"));
    for (name, _) in SERVICES {
        // Each service's lines in its order, each once and whole.
        assert!(lines.get(name) == Some(&want_lines(name, LINES)), "{name}'s lines on standard output differ");
    }
    assert_eq!(lines.len(), SERVICES.len(), "only these services' lines");
    assert_eq!(dropped(&sb), 0, "{}", fs::read_to_string(sb.join("stderr")).unwrap_or_default());
}

/// The lines (records) in `out`.
fn console_lines(out: &[u8]) -> usize {
    out.iter().filter(|&&b| b == b'\n').count()
}

#[test]
fn lines_longer_than_pipe_buf_go_out_in_pieces_that_join_to_the_line() {
    let mut sb = Sandbox::new();
    let long: Vec<String> = (0..4).map(|i| format!("{i}{}", "y".repeat(9000 + 1500 * i))).collect();
    let body = long.iter().map(|l| format!("echo short\necho {l}\n")).collect::<String>();
    for (name, log) in [("logged", true), ("bare", false)] {
        sb.script(&format!("scan/{name}/run"), &format!("#!/bin/sh\n{body}exec sleep 100000\n"));
        if log {
            sb.script(&format!("scan/{name}/log/run"), "#!/bin/sh\nexec multilog ./main\n");
        }
    }
    let svscan = start(&mut sb, Stdio::piped());
    let out = collect(sb.take_stdout(svscan));
    let want: Vec<String> = long.iter().flat_map(|l| ["short".to_string(), l.clone()]).collect();
    wait_for("the log directory to hold every line", || logged(&sb.join("scan/logged/log/main"), false) == want);
    wait_for("every line on standard output", || {
        let o = out.lock().unwrap();
        o.ends_with(b"\n") && ["logged", "bare"].iter().all(|n| unframe(&o).get(*n).map(Vec::len) == Some(want.len()))
    });
    stop(&mut sb, svscan);
    let out = out.lock().unwrap().clone();
    let lines = unframe(&out);
    for name in ["logged", "bare"] {
        assert!(lines[name] == want, "{name}'s long lines did not join back");
    }
    let continued = out.split(|&b| b == b'\n').filter(|r| r.starts_with(b"bare+ ")).count();
    assert!(continued >= 8, "each long line is cut into at least three pieces: {continued} continuations");
}

/// A pipe whose read end is held but never read (returned), and its write end.
fn unread_pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into `fds`, which we then own.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: as above.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

#[test]
fn a_stdout_nobody_reads_holds_up_no_service_and_no_logger_and_drops_are_counted() {
    let mut sb = Sandbox::new();
    tree(&sb, LINES);
    let (unread, w) = unread_pipe();
    let svscan = start(&mut sb, Stdio::from(w));
    go(&sb);
    wait_done(&sb);
    wait_logged(&sb, LINES);
    stop(&mut sb, svscan);
    // What the pipe holds are whole records; with the drops counted, every line is accounted for.
    let mut held = Vec::new();
    fs::File::from(unread).read_to_end(&mut held).expect("read the pipe");
    let shown: usize = unframe(&held).values().map(Vec::len).sum();
    let total = SERVICES.len() * (LINES + 1);
    let stderr = fs::read_to_string(sb.join("stderr")).unwrap_or_default();
    assert!(shown < total, "the pipe cannot hold every line: {shown}");
    assert_eq!(shown + dropped(&sb), total, "lines shown plus lines dropped: {stderr}");
}

#[test]
fn a_closed_stdout_holds_up_no_service_and_no_logger_and_drops_are_counted() {
    let mut sb = Sandbox::new();
    tree(&sb, LINES);
    let svscan = start(&mut sb, Stdio::piped());
    // svscan writes to its standard output until the reader goes away.
    let mut stdout = sb.take_stdout(svscan);
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while seen.iter().filter(|&&b| b == b'\n').count() < SERVICES.len() {
        let n = stdout.read(&mut buf).expect("read svscan's stdout");
        assert!(n > 0, "svscan's stdout ended");
        seen.extend_from_slice(&buf[..n]);
    }
    drop(stdout);
    go(&sb);
    wait_done(&sb);
    wait_logged(&sb, LINES);
    stop(&mut sb, svscan);
    let stderr = fs::read_to_string(sb.join("stderr")).unwrap_or_default();
    assert!(stderr.contains("svscan: warning: unable to write to standard output: "), "{stderr}");
    assert_eq!(dropped(&sb), SERVICES.len() * LINES, "every line after the reader left: {stderr}");
}

#[test]
fn a_stdout_closed_before_svscan_starts_drops_every_line_and_says_so() {
    let mut sb = Sandbox::new();
    tree(&sb, 100);
    let (r, w) = unread_pipe();
    drop(r);
    let svscan = start(&mut sb, Stdio::from(w));
    go(&sb);
    wait_done(&sb);
    wait_logged(&sb, 100);
    stop(&mut sb, svscan);
    let stderr = fs::read_to_string(sb.join("stderr")).unwrap_or_default();
    // A pipe opened again without its reader takes the open, then EPIPE (a FIFO refuses the open).
    assert!(stderr.contains("svscan: warning: unable to write to standard output: broken pipe"), "{stderr}");
    assert_eq!(dropped(&sb), SERVICES.len() * 101, "{stderr}");
}

#[test]
fn without_the_switch_a_service_without_log_writes_to_svscans_stdout_as_before_and_bad_values_are_named() {
    let mut sb = Sandbox::new();
    sb.script("scan/bare/run", "#!/bin/sh\necho unprefixed\nexec sleep 100000\n");
    let mut cmd = sb.tend("svscan");
    cmd.arg("scan").env("TEND_CONSOLE", "yes").stdin(Stdio::null()).stdout(Stdio::piped());
    cmd.stderr(fs::File::create(sb.join("stderr")).expect("stderr file"));
    let svscan = sb.spawn(cmd);
    let out = collect(sb.take_stdout(svscan));
    wait_for("the service's line", || out.lock().unwrap().ends_with(b"\n"));
    stop(&mut sb, svscan);
    assert_eq!(&out.lock().unwrap()[..], b"unprefixed\n");
    let stderr = fs::read_to_string(sb.join("stderr")).unwrap_or_default();
    assert!(stderr.contains("svscan: warning: TEND_CONSOLE=yes: not 1 or 0; the console copy stays off"), "{stderr}");
}
