//! `tend exporter`: /metrics against the status records of a tree run by
//! our svscan (up, pid, restarts after svc -k, a crash loop, label
//! escaping), HELP and TYPE for every family, promtool's lint, OpenMetrics,
//! HEAD, the textfile replaced whole; malformed requests, a request that
//! never ends, 1 MB of headers, one connection too many, and 1000 requests
//! with none failed and memory flat.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::process::Stdio;

use crate::svscan::{service, start_svscan_with};
use crate::util::{
    read_status, require, restarts, run_with_input, signal, wait_for, wait_for_status, Sandbox, PATIENCE,
};

/// Starts `tend exporter --listen 127.0.0.1:0 ARGS...` (no clock check
/// but the kernel's: no network); returns its pid and the address it bound.
pub(crate) fn start_exporter(sb: &mut Sandbox, args: &[&str]) -> (u32, String) {
    let mut cmd = sb.tend("exporter");
    cmd.args(["--listen", "127.0.0.1:0", "--clock-check", "kernel"]).args(args);
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(std::fs::File::create(sb.join("exporter.err")).unwrap());
    let pid = sb.spawn(cmd);
    let mut first = String::new();
    BufReader::new(sb.take_stdout(pid)).read_line(&mut first).expect("the exporter's first line");
    let address = first.trim_end().strip_prefix("listening on ").unwrap_or_else(|| panic!("{first:?}")).to_string();
    (pid, address)
}

/// Sends `request` whole and reads the answer until the exporter closes.
fn exchange(address: &str, request: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(address).expect("connect");
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s.write_all(request).expect("send");
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).expect("the answer, then EOF");
    answer
}

/// (status line, headers, body) of an answer.
fn split(answer: &[u8]) -> (String, String, String) {
    let text = String::from_utf8_lossy(answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no head in {text:?}"));
    let (status, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    (status.to_string(), headers.to_string(), body.to_string())
}

pub(crate) fn get(address: &str, path: &str) -> (String, String, String) {
    split(&exchange(address, format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes()))
}

/// /metrics as `name{labels}` -> value.
fn scrape(address: &str) -> HashMap<String, f64> {
    let (status, _, body) = get(address, "/metrics");
    assert_eq!(status, "HTTP/1.1 200 OK");
    samples(&body)
}

fn samples(body: &str) -> HashMap<String, f64> {
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (key, value) = l.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {l:?}"));
            (key.to_string(), value.parse().unwrap_or_else(|_| panic!("not a value: {l:?}")))
        })
        .collect()
}

/// The sample of `metric` for service `name` of tree `scan`.
fn of(m: &HashMap<String, f64>, metric: &str, name: &str) -> Option<f64> {
    m.get(&format!("{metric}{{tree=\"scan\",service=\"{name}\"}}")).copied()
}

fn pid_of(dir: &Path) -> u32 {
    read_status(dir).map_or(0, |s| s.pid)
}

/// The families the metrics spec fixes (tend_clock_* aside).
const FAMILIES: [&str; 18] = [
    "tend_service_up",
    "tend_service_wanted_up",
    "tend_service_ready",
    "tend_service_pid",
    "tend_service_state_age_seconds",
    "tend_service_restarts_total",
    "tend_service_last_exit_code",
    "tend_service_last_exit_signal",
    "tend_service_crash_looping",
    "tend_service_cpu_seconds_total",
    "tend_service_memory_rss_bytes",
    "tend_service_memory_max_bytes",
    "tend_service_processes",
    "tend_service_oom_kills_total",
    "tend_service_usage_exact",
    "tend_clock_backward_steps_total",
    "tend_exporter_scrape_duration_seconds",
    "tend_exporter_build_info",
];

#[test]
fn metrics_follow_the_status_records_restarts_and_a_crash_loop() {
    let mut sb = Sandbox::new();
    let web = service(&sb, "web", "exec sleep 1000");
    let fail = service(&sb, "fail", "echo failing >&2\nexit 1");
    let odd = service(&sb, "a\"b\\c", "exec sleep 1000");
    start_svscan_with(&mut sb, "stderr", &[]);
    let (_, address) = start_exporter(&mut sb, &["scan"]);
    wait_for_status(&web, "up", |s| s.pid != 0);
    wait_for_status(&odd, "up", |s| s.pid != 0);
    wait_for("web's pid and up in /metrics as in its status record", || {
        let m = scrape(&address);
        of(&m, "tend_service_up", "web") == Some(1.0)
            && of(&m, "tend_service_pid", "web") == Some(f64::from(pid_of(&web)))
            && of(&m, "tend_service_processes", "web") == Some(1.0)
            && of(&m, "tend_service_restarts_total", "web") == Some(0.0)
    });
    // A name with `"` and `\` is escaped in its label.
    wait_for("the odd name's sample", || {
        scrape(&address).get("tend_service_up{tree=\"scan\",service=\"a\\\"b\\\\c\"}") == Some(&1.0)
    });
    wait_for("fail crash-looping, its last exit code 1", || {
        let m = scrape(&address);
        of(&m, "tend_service_crash_looping", "fail") == Some(1.0)
            && of(&m, "tend_service_last_exit_code", "fail") == Some(1.0)
            && of(&m, "tend_service_wanted_up", "fail") == Some(1.0)
            && of(&m, "tend_service_crash_looping", "web") == Some(0.0)
    });
    assert!(restarts(&read_status(&fail).unwrap()) > 0);
    // svc -k: a restart, signal 9, a new pid.
    let before = pid_of(&web);
    let out = sb.tend("svc").args(["-k", "scan/web"]).output().unwrap();
    assert!(out.status.success());
    let after = wait_for_status(&web, "restarted", |s| s.pid != 0 && s.pid != before).pid;
    wait_for("web's restart, new pid and signal in /metrics", || {
        let m = scrape(&address);
        of(&m, "tend_service_restarts_total", "web") == Some(1.0)
            && of(&m, "tend_service_pid", "web") == Some(f64::from(after))
            && of(&m, "tend_service_last_exit_signal", "web") == Some(9.0)
            && of(&m, "tend_service_last_exit_code", "web") == Some(-1.0)
    });
    // svc -d: down, not wanted up, pid 0.
    sb.tend("svc").args(["-d", "scan/web"]).output().unwrap();
    wait_for_status(&web, "down", |s| s.pid == 0);
    wait_for("web down in /metrics", || {
        let m = scrape(&address);
        of(&m, "tend_service_up", "web") == Some(0.0)
            && of(&m, "tend_service_wanted_up", "web") == Some(0.0)
            && of(&m, "tend_service_pid", "web") == Some(0.0)
            && of(&m, "tend_service_processes", "web") == Some(0.0)
    });
    // Every family has its HELP and TYPE, counters typed so.
    let (_, headers, body) = get(&address, "/metrics");
    assert!(headers.contains("Content-Type: text/plain; version=0.0.4"), "{headers}");
    let body = format!("\n{body}");
    for family in FAMILIES {
        assert!(body.contains(&format!("\n# HELP {family} ")), "no HELP for {family}");
        let kind = if family.ends_with("_total") { "counter" } else { "gauge" };
        assert!(body.contains(&format!("\n# TYPE {family} {kind}\n")), "no TYPE {kind} for {family}");
    }
    assert!(body.contains("# TYPE tend_clock_kernel_synchronised gauge"), "tend clock's metrics");
    // promtool (Debian's prometheus) finds nothing to say.
    let promtool = require("promtool", "prometheus");
    let lint = run_with_input(std::process::Command::new(promtool).args(["check", "metrics"]), body.as_bytes());
    assert!(
        lint.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    // OpenMetrics when asked for.
    let om = exchange(
        &address,
        b"GET /metrics HTTP/1.1\r\nAccept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\r\n\r\n",
    );
    let (status, headers, body) = split(&om);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(headers.contains("Content-Type: application/openmetrics-text; version=1.0.0"), "{headers}");
    assert!(body.ends_with("\n# EOF\n"));
    assert!(body.contains("\n# TYPE tend_service_restarts counter\ntend_service_restarts_total{"), "{body}");
    // HEAD: the length, no body.
    let (status, headers, body) = split(&exchange(&address, b"HEAD /metrics HTTP/1.0\r\n\r\n"));
    assert_eq!((status.as_str(), body.as_str()), ("HTTP/1.1 200 OK", ""));
    assert!(headers.contains("Content-Length: ") && !headers.contains("Content-Length: 0\r"), "{headers}");
}

#[test]
fn only_get_and_head_of_the_documented_paths() {
    let mut sb = Sandbox::new();
    std::fs::create_dir(sb.join("scan")).unwrap();
    let (_, address) = start_exporter(&mut sb, &["scan"]);
    // (`/` and `/log/NAME` of the tree's services are the status page: statuspage.rs.)
    for path in ["/log/web", "/../../etc/passwd", "/metrics/../../etc/passwd", "/etc/passwd"] {
        let (status, _, body) = get(&address, path);
        assert_eq!(status, "HTTP/1.1 404 Not Found", "{path}");
        assert!(!body.contains("root:"), "{path}");
    }
    let (status, headers, _) = split(&exchange(&address, b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n"));
    assert_eq!(status, "HTTP/1.1 405 Method Not Allowed");
    assert!(headers.contains("Allow: GET, HEAD"));
    for garbage in
        [&b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\n"[..], b"GET\n", b"GET /metrics HTTP/9\r\n\r\n", b"\n\n"]
    {
        let (status, _, _) = split(&exchange(&address, garbage));
        assert_eq!(status, "HTTP/1.1 400 Bad Request", "{garbage:?}");
    }
    let (status, _, _) = get(&address, "/metrics");
    assert_eq!(status, "HTTP/1.1 200 OK", "still serving");
}

#[test]
fn a_request_that_never_ends_is_cut_off_and_holds_nobody_else() {
    let mut sb = Sandbox::new();
    std::fs::create_dir(sb.join("scan")).unwrap();
    let (_, address) = start_exporter(&mut sb, &["scan"]);
    // Slowloris: a head begun, never finished.
    let mut slow = TcpStream::connect(&address).unwrap();
    slow.write_all(b"GET /metrics HTTP/1.1\r\nX-Slow: 1\r\n").unwrap();
    // The next client is served meanwhile.
    let (status, _, _) = get(&address, "/metrics");
    assert_eq!(status, "HTTP/1.1 200 OK");
    // The slow one is closed after the exporter's limit (10 s): EOF, after a 408.
    slow.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut answer = Vec::new();
    slow.read_to_end(&mut answer).expect("EOF before PATIENCE");
    assert!(answer.starts_with(b"HTTP/1.1 408 Request Timeout\r\n"), "{:?}", String::from_utf8_lossy(&answer));
}

#[test]
fn a_megabyte_of_headers_gets_431_and_one_connection_too_many_503() {
    let mut sb = Sandbox::new();
    std::fs::create_dir(sb.join("scan")).unwrap();
    let (_, address) = start_exporter(&mut sb, &["scan"]);
    let mut big = TcpStream::connect(&address).unwrap();
    big.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut writer = big.try_clone().unwrap();
    // Sent by a thread while this one reads: the answer comes after 8 KiB.
    let sender = std::thread::spawn(move || {
        let mut head = b"GET /metrics HTTP/1.1\r\n".to_vec();
        while head.len() < 1 << 20 {
            head.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        let _ = writer.write_all(&head);
        let _ = writer.shutdown(Shutdown::Write);
    });
    let mut answer = [0u8; 64];
    let n = big.read(&mut answer).expect("an answer");
    assert!(answer[..n].starts_with(b"HTTP/1.1 431 "), "{:?}", String::from_utf8_lossy(&answer[..n]));
    sender.join().unwrap();
    // 64 connections held open; the 65th is refused, and served again once they close.
    let held: Vec<TcpStream> = (0..64).map(|_| TcpStream::connect(&address).unwrap()).collect();
    let (status, _, _) = get(&address, "/metrics");
    assert_eq!(status, "HTTP/1.1 503 Service Unavailable");
    drop(held);
    wait_for("a connection served again", || get(&address, "/metrics").0 == "HTTP/1.1 200 OK");
}

/// Resident memory of `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_thousand_requests_none_failed_memory_flat() {
    let mut sb = Sandbox::new();
    for i in 0..20 {
        service(&sb, &format!("s{i}"), "exec sleep 1000");
    }
    start_svscan_with(&mut sb, "stderr", &[]);
    let (pid, address) = start_exporter(&mut sb, &["scan"]);
    wait_for("20 services up", || {
        scrape(&address).iter().filter(|(k, v)| k.starts_with("tend_service_up{") && **v == 1.0).count() == 20
    });
    let request = b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n";
    for _ in 0..200 {
        assert!(split(&exchange(&address, request)).0.ends_with("200 OK"));
    }
    let warm = rss_kib(pid);
    for i in 0..1000 {
        let (status, _, body) = split(&exchange(&address, request));
        assert_eq!(status, "HTTP/1.1 200 OK", "request {i}");
        assert!(body.contains("tend_exporter_build_info"), "request {i}: whole body");
    }
    let end = rss_kib(pid);
    // Generous: malloc's arenas may settle a little; a leak of a scrape's
    // text (some KiB) per request would be megabytes.
    assert!(end <= warm + 1024, "RSS {warm} KiB after warm-up, {end} KiB after 1000 more requests");
}

#[test]
fn the_textfile_is_replaced_whole_on_its_interval() {
    let mut sb = Sandbox::new();
    let web = service(&sb, "web", "exec sleep 1000");
    start_svscan_with(&mut sb, "stderr", &[]);
    wait_for_status(&web, "up", |s| s.pid != 0);
    std::fs::create_dir(sb.join("textfile")).unwrap();
    let mut cmd = sb.tend("exporter");
    cmd.args(["--textfile", "textfile/tend.prom", "-i", "1", "--clock-check", "kernel", "scan"]);
    cmd.stdin(Stdio::null()).stdout(Stdio::piped());
    let exporter = sb.spawn(cmd);
    let path = sb.join("textfile/tend.prom");
    let whole = |text: &str| text.ends_with("} 1\n") && text.contains("# TYPE tend_exporter_build_info gauge");
    // Each read finds a whole file, and the file is replaced (a new inode) at each write.
    use std::os::unix::fs::MetadataExt;
    let mut inodes = std::collections::HashSet::new();
    wait_for("three versions of the textfile, each whole", || {
        let Ok(text) = std::fs::read_to_string(&path) else { return false };
        assert!(whole(&text), "a partial textfile: {text:?}");
        let m = samples(&text);
        assert_eq!(of(&m, "tend_service_pid", "web"), Some(f64::from(pid_of(&web))));
        inodes.insert(std::fs::metadata(&path).map(|m| m.ino()).unwrap_or(0));
        inodes.len() >= 3
    });
    // No listener when only a textfile is asked for: nothing said on stdout.
    let mut stdout = sb.take_stdout(exporter);
    signal(exporter, libc::SIGTERM);
    let mut out = String::new();
    stdout.read_to_string(&mut out).unwrap();
    assert_eq!(out, "");
}
