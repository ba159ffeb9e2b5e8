//! `tend clock` and `clockwatch` against real NTP servers (chronyd with `-x`
//! on 127.0.0.1 and an unprivileged port: synchronised, unsynchronised, and
//! 300 s ahead under libfaketime), a tiny UDP responder sending bad replies,
//! unreadable or fake /proc, /sys and kernel logs, and wall-clock steps made
//! with libfaketime (monotonic clocks left real). Nothing here touches the
//! machine's clock: chronyd runs with -x, and tend only reads.

use std::fs;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::util::{wait_until, Sandbox, PATIENCE};

pub(crate) const FAKETIME_LIB: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// A UDP port on 127.0.0.1 that nothing uses and nothing else in this test
/// run will take: below the kernel's ephemeral range (which every
/// `bind(":0")` of the parallel tests draws from), a different one per call.
fn free_udp_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 500) as u16 * 20;
    loop {
        let port = base + NEXT.fetch_add(1, Ordering::SeqCst) % 2_000;
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// True once something answers an NTP request on 127.0.0.1:`port`.
fn answers(port: u16) -> bool {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut req = [0u8; 48];
    req[0] = 0x23;
    req[40] = 1;
    let _ = s.send_to(&req, ("127.0.0.1", port));
    let mut buf = [0u8; 512];
    s.recv(&mut buf).is_ok()
}

/// chronyd's run directory and `-u` argument for the current user.
fn chronyd_user_args() -> Vec<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        vec!["-u".into(), "root".into()]
    } else {
        vec!["-U".into(), "-u".into(), std::env::var("USER").unwrap_or_else(|_| "nobody".into())]
    }
}

/// Writes a chronyd configuration under the sandbox and returns its path.
fn chrony_conf(sb: &Sandbox, name: &str, lines: &[String]) -> PathBuf {
    let run = sb.join(&format!("{name}-run"));
    fs::create_dir_all(&run).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&run, fs::Permissions::from_mode(0o700)).unwrap();
    let mut text = lines.join("\n");
    text.push_str(&format!(
        "\ncmdport 0\nbindcmdaddress {r}/chronyd.sock\npidfile {r}/chronyd.pid\ndriftfile {r}/drift\n",
        r = run.display()
    ));
    let conf = sb.join(&format!("{name}.conf"));
    fs::write(&conf, text).unwrap();
    conf
}

/// Starts chronyd -x (never touches the clock) with `conf`, optionally under
/// libfaketime with the wall clock `ahead` (e.g. "+300s").
fn spawn_chronyd(sb: &mut Sandbox, conf: &Path, ahead: Option<&str>) {
    let log = fs::File::create(conf.with_extension("log")).unwrap();
    let mut cmd = sb.command(crate::util::require("chronyd", "chrony"));
    cmd.args(["-x", "-d"]).args(chronyd_user_args()).arg("-f").arg(conf);
    cmd.stdout(log.try_clone().unwrap()).stderr(log);
    if let Some(offset) = ahead {
        cmd.env("LD_PRELOAD", crate::util::require(FAKETIME_LIB, "libfaketime"))
            .env("FAKETIME", offset)
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    }
    sb.spawn(cmd);
}

/// An NTP server on 127.0.0.1: `local` answers as stratum 8 from its local
/// clock; without it the server is unsynchronised.
fn ntp_server(sb: &mut Sandbox, name: &str, local: bool, ahead: Option<&str>) -> u16 {
    let port = free_udp_port();
    let mut lines = vec![format!("port {port}"), "bindaddress 127.0.0.1".into(), "allow 127.0.0.1".into()];
    if local {
        lines.push("local stratum 8".into());
    }
    let conf = chrony_conf(sb, name, &lines);
    spawn_chronyd(sb, &conf, ahead);
    assert!(wait_until(PATIENCE, || answers(port)), "chronyd {name} does not answer on {port}");
    port
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("run")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn first_line(o: &Output) -> String {
    stdout(o).lines().next().unwrap_or("").to_string()
}

/// The number after `key` in `text` (e.g. an offset).
fn number_after(text: &str, key: &str) -> f64 {
    let at = text.find(key).unwrap_or_else(|| panic!("{key} not in {text}")) + key.len();
    let s: String = text[at..].chars().take_while(|c| c.is_ascii_digit() || "+-.".contains(*c)).collect();
    s.parse().unwrap_or_else(|_| panic!("no number after {key} in {text}"))
}

/// An empty /proc, so that chronyd instances of other tests running in
/// parallel are not taken for this machine's daemon.
fn empty_proc(sb: &Sandbox) -> PathBuf {
    let p = sb.join("empty-proc");
    fs::create_dir_all(&p).unwrap();
    p
}

/// `--timeout` for a query that must be answered: [`PATIENCE`], since a
/// loaded machine may delay the answer by seconds.
fn answer_timeout() -> String {
    PATIENCE.as_secs().to_string()
}

fn check_ntp(sb: &Sandbox, servers: &[String], extra: &[&str]) -> Output {
    let mut cmd = sb.tend("clock");
    cmd.args(["--check", "ntp", "--timeout", &answer_timeout(), "--proc"]).arg(empty_proc(sb)).args(extra);
    for s in servers {
        cmd.args(["--server", s]);
    }
    run(&mut cmd)
}

/// Asserts that the offset `tend clock` measured to `server` fits a server
/// whose clock is `true_offset` seconds ahead of ours. This is NTP's own
/// error bound, not a timing: offset = true offset + (out - back) / 2 and
/// delay = out + back, so the measured offset is within delay / 2 of the
/// true one however long the round trip took under load. The slack covers
/// the 6 printed decimals and chronyd's randomised low bits: it fills the
/// bits of its timestamps below the precision it measured at start with
/// random ones, and a loaded machine makes that precision coarse (a soak
/// with four CPU hogs saw 8.5 ms); 2^-5 s bounds it.
fn assert_offset_within_half_delay(out: &str, server: &str, true_offset: f64) {
    const CHRONYD_LOW_BITS: f64 = 1.0 / 32.0;
    let line =
        out.lines().find(|l| l.contains(&format!("server {server}: offset "))).unwrap_or_else(|| panic!("{out}"));
    let offset = number_after(line, "offset ");
    let delay = number_after(line, "delay ");
    assert!(
        (offset - true_offset).abs() <= delay / 2.0 + CHRONYD_LOW_BITS,
        "offset {offset} delay {delay}, expected {true_offset}: {out}"
    );
}

#[test]
fn clock_synchronised_server_is_ok() {
    let mut sb = Sandbox::new();
    let port = ntp_server(&mut sb, "synced", true, None);
    // Thresholds above any delay load can add (the default warning is at
    // 0.128 s, which a slow round trip can exceed): the verdict is then OK
    // for a server on our clock, and the offset is checked against the delay.
    let o = check_ntp(&sb, &[format!("127.0.0.1:{port}")], &["--warn-offset", "30", "--crit-offset", "60"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(first_line(&o).starts_with("CLOCK OK - offset "), "{out}");
    assert_offset_within_half_delay(&out, &format!("127.0.0.1:{port}"), 0.0);
    assert!(out.contains("stratum 8, leap 0, reference 127.127.1.1 (local clock)"), "{out}");
    assert!(out.contains("serves its own undisciplined local clock"), "{out}");
}

#[test]
fn clock_unsynchronised_server_is_not_a_kiss_of_death() {
    let mut sb = Sandbox::new();
    let port = ntp_server(&mut sb, "unsynced", false, None);
    let o = check_ntp(&sb, &[format!("127.0.0.1:{port}")], &[]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(first_line(&o).contains(&format!("127.0.0.1:{port} is not synchronised (leap 3, stratum 0)")), "{out}");
    assert!(!out.contains("kiss"), "{out}");
}

#[test]
fn clock_server_300_seconds_ahead_is_critical() {
    let mut sb = Sandbox::new();
    let port = ntp_server(&mut sb, "ahead", true, Some("+300s"));
    let o = check_ntp(&sb, &[format!("127.0.0.1:{port}")], &[]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    let first = first_line(&o);
    assert!(first.starts_with(&format!("CLOCK CRITICAL - offset to 127.0.0.1:{port} is +")), "{out}");
    assert_offset_within_half_delay(&out, &format!("127.0.0.1:{port}"), 300.0);
    assert!(first.contains("| offset=") && first.contains(";0.128;1"), "perfdata: {first}");
    assert!(out.contains("the local clock is behind"), "{out}");

    // The same run, for machines.
    let mut cmd = sb.tend("clock");
    cmd.args(["--check", "ntp", "--json", "--server", &format!("127.0.0.1:{port}"), "--timeout", &answer_timeout()]);
    cmd.arg("--proc").arg(empty_proc(&sb));
    let o = run(&mut cmd);
    let json = stdout(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        json.starts_with(r#"{"verdict":"CRITICAL","exit":2,"findings":[{"level":"CRITICAL","key":"offset""#),
        "{json}"
    );
    let (offset, delay) = (number_after(&json, r#""offset":"#), number_after(&json, r#""delay":"#));
    assert!((offset - 300.0).abs() <= delay / 2.0 + 0.001, "{json}");
    assert_eq!(json.lines().count(), 1);

    // And for Prometheus' textfile collector, written atomically.
    let prom = sb.join("clock.prom");
    let mut cmd = sb.tend("clock");
    cmd.args(["--check", "ntp", "--server", &format!("127.0.0.1:{port}"), "--timeout", &answer_timeout()]);
    cmd.arg("--prometheus-file").arg(&prom).arg("--proc").arg(empty_proc(&sb));
    assert_eq!(run(&mut cmd).status.code(), Some(2));
    let metrics = fs::read_to_string(&prom).unwrap();
    assert!(metrics.contains("# TYPE tend_clock_status gauge\ntend_clock_status 2\n"), "{metrics}");
    let labels = format!("{{server=\"127.0.0.1:{port}\"}} ");
    let offset = number_after(&metrics, &format!("tend_clock_server_offset_seconds{labels}"));
    let delay = number_after(&metrics, &format!("tend_clock_server_delay_seconds{labels}"));
    assert!((offset - 300.0).abs() <= delay / 2.0 + 0.001, "{metrics}");
    assert!(!sb.join("clock.prom.tmp").exists());
}

/// Field report 001 replayed with chrony: the daemon is synchronised only to
/// its `local` clock while its real upstream (here `noselect`, so chrony never
/// takes it) is 300 s away.
#[test]
fn clock_local_clock_trap_of_seed_001_is_critical() {
    let mut sb = Sandbox::new();
    let upstream = ntp_server(&mut sb, "upstream", true, Some("+300s"));
    let conf = chrony_conf(
        &sb,
        "client",
        &[
            format!("server 127.0.0.1 port {upstream} iburst minpoll -2 maxpoll -2 noselect"),
            "local stratum 10".into(),
            "port 0".into(),
        ],
    );
    spawn_chronyd(&mut sb, &conf, None);
    let sock = sb.join("client-run/chronyd.sock");
    let tracking_local = || {
        let o = Command::new(crate::util::require("chronyc", "chrony"))
            .args(["-n", "-c", "-h"])
            .arg(&sock)
            .arg("tracking")
            .output();
        o.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).starts_with("7F7F0101"))
    };
    assert!(wait_until(PATIENCE, tracking_local), "client chronyd never fell back to its local clock");
    // A /proc that shows only this chronyd, so the machine's own daemons stay out of the test.
    let proc = sb.join("proc/4242");
    fs::create_dir_all(&proc).unwrap();
    fs::write(proc.join("comm"), "chronyd\n").unwrap();
    fs::write(proc.join("cmdline"), format!("chronyd\0-x\0-f\0{}\0", conf.display())).unwrap();
    let mut cmd = sb.tend("clock");
    cmd.args(["--check", "ntp", "--timeout", &answer_timeout(), "--etc"])
        .arg(sb.join("etc"))
        .arg("--proc")
        .arg(sb.join("proc"));
    let o = run(&mut cmd);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("chronyd is synchronised only to an undisciplined local clock: it tracks its own local clock (Reference ID 7F7F0101, stratum 10) while the real upstream offset is +"), "{out}");
    assert!(out.contains(&format!("daemon:         chronyd (pid 4242), {}", conf.display())), "{out}");
    assert!(out.contains(&format!("configured:     server 127.0.0.1:{upstream}")), "{out}");
    assert!(out.contains("local clock:    configured"), "{out}");
    assert!(out.contains("tracking:       7F7F0101 - stratum 10"), "{out}");
}

/// A responder on 127.0.0.1 that answers every request with `reply(request)`.
fn responder(reply: fn(&[u8]) -> Vec<u8>) -> String {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = s.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = s.recv_from(&mut buf) {
            let _ = s.send_to(&reply(&buf[..n]), from);
        }
    });
    addr
}

/// A well-formed stratum-2 reply to `req`, 1 ms after its transmit time.
fn good_reply(req: &[u8]) -> Vec<u8> {
    let mut r = vec![0u8; 48];
    r[0] = 0x24; // LI 0, VN 4, mode 4
    r[1] = 2;
    r[12..16].copy_from_slice(&[192, 0, 2, 1]);
    r[24..32].copy_from_slice(&req[40..48]);
    r[32..40].copy_from_slice(&req[40..48]);
    r[40..48].copy_from_slice(&req[40..48]);
    r
}

/// Every responder here answers, so the timeout is [`PATIENCE`]; the three
/// that send only unusable replies hold their query for the whole timeout
/// (a usable reply might still come), so this test takes that long.
#[test]
fn clock_bad_replies_are_reported_and_none_crashes() {
    let sb = Sandbox::new();
    let short = responder(|_| vec![0x24; 10]);
    let garbage = responder(|_| vec![0x1b; 48]); // mode 3: a client request, not a reply
    let origin = responder(|req| {
        let mut r = good_reply(req);
        r[31] ^= 0xff;
        r
    });
    let kiss = responder(|req| {
        let mut r = good_reply(req);
        r[0] = 0xe4;
        r[1] = 0;
        r[12..16].copy_from_slice(b"RATE");
        r
    });
    let good = responder(good_reply);
    let closed = format!("127.0.0.1:{}", free_udp_port());
    let servers = [&short, &garbage, &origin, &kiss, &good, &closed].map(|s| s.to_string());
    let timeout = answer_timeout();
    let mut cmd = sb.tend("clock");
    cmd.args(["--check", "ntp", "--timeout", &timeout, "--proc"]).arg(empty_proc(&sb));
    for s in &servers {
        cmd.args(["--server", s]);
    }
    let o = run(&mut cmd);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{}", String::from_utf8_lossy(&o.stderr));
    for expected in [
        format!("server {short}: no usable reply within {timeout}.0 s: short reply (10 bytes, 48 needed)"),
        format!("server {garbage}: no usable reply within {timeout}.0 s: reply has mode 3, not a server reply"),
        format!("server {origin}: no usable reply within {timeout}.0 s: origin timestamp does not match our request"),
        format!("server {kiss}: kiss-o'-death RATE (rate exceeded: query less often)"),
        // It echoes our transmit time as its own: offset = -delay/2.
        format!("server {good}: offset -0.0"),
        format!("server {closed}: unable to query: connection refused"),
    ] {
        assert!(out.contains(&expected), "missing {expected:?} in\n{out}");
    }
    assert!(out.contains(&format!("{kiss} sent a kiss-o'-death RATE")), "{out}");
}

/// A server that never answers: the one case where the timeout is short,
/// since no answer is expected within it.
#[test]
fn clock_silent_server_times_out() {
    let sb = Sandbox::new();
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent_addr = silent.local_addr().unwrap().to_string();
    let mut cmd = sb.tend("clock");
    cmd.args(["--check", "ntp", "--timeout", "1", "--server", &silent_addr, "--proc"]).arg(empty_proc(&sb));
    let o = run(&mut cmd);
    let out = stdout(&o);
    assert_ne!(o.status.code(), Some(0), "{out}");
    assert!(out.contains(&format!("server {silent_addr}: no reply within 1.0 s")), "{out}");
}

#[test]
fn clock_unreadable_sys_proc_and_kernel_log_are_reported() {
    let sb = Sandbox::new();
    let mut cmd = sb.tend("clock");
    cmd.args(["--check", "clocksource,vm,steal", "--sys", "/nonexistent/sys", "--kmsg", "/nonexistent/kmsg"]);
    cmd.args(["--proc", "/nonexistent/proc", "--sample", "0"]);
    let o = run(&mut cmd);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("unable to read the clocksource: /nonexistent/sys: file does not exist"), "{out}");
    assert!(out.contains("unable to read the kernel log: /nonexistent/kmsg: file does not exist"), "{out}");
    assert!(out.contains("unable to measure steal time: /nonexistent/proc/stat: file does not exist"), "{out}");
    assert!(o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn fake_sys(sb: &Sandbox, current: &str) -> PathBuf {
    let dir = sb.join("sys/devices/system/clocksource/clocksource0");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("current_clocksource"), format!("{current}\n")).unwrap();
    fs::write(dir.join("available_clocksource"), "tsc hpet acpi_pm \n").unwrap();
    sb.join("sys")
}

#[test]
fn clock_kernel_lines_of_seed_002_and_steal_are_warned() {
    let sb = Sandbox::new();
    let sys = fake_sys(&sb, "hpet");
    let log = sb.join("kern.log");
    fs::write(
        &log,
        "Dec 21 13:55:05 hosting2-front02 kernel: Clocksource tsc unstable (delta = 4688700040 ns)\n\
         kernel: Marking TSC unstable due to: check_tsc_sync_source failed.\n\
         6,339,5140900,-;clocksource: Switched to clocksource hpet\n",
    )
    .unwrap();
    let mut cmd = sb.tend("clock");
    cmd.args(["--check", "clocksource", "--sys"]).arg(&sys).arg("--kmsg").arg(&log);
    let o = run(&mut cmd);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        first_line(&o).starts_with(
            "CLOCK WARNING - kernel: Clocksource tsc unstable (delta = 4688700040 ns); kernel: Marking TSC unstable"
        ),
        "{out}"
    );
    assert!(out.contains("current:        hpet (available: tsc hpet acpi_pm)"), "{out}");
    assert!(out.contains("kernel log:     clocksource: Switched to clocksource hpet"), "{out}");
}

/// clockwatch under libfaketime: the wall clock steps back 90 s, then to
/// +600 s; monotonic and boot time stay real, so each step is measured.
#[test]
fn clockwatch_sees_wall_clock_steps() {
    let mut sb = Sandbox::new();
    let rc = sb.join("faketime-rc");
    fs::write(&rc, "+0\n").unwrap();
    let out_path = sb.join("clockwatch.out");
    let mut cmd = sb.tend("clockwatch");
    cmd.args(["--interval", "0.2", "--summary", "1", "--query-interval", "0", "--kmsg", "/nonexistent"]);
    cmd.env("LD_PRELOAD", crate::util::require(FAKETIME_LIB, "libfaketime"))
        .env("FAKETIME_TIMESTAMP_FILE", &rc)
        .env("FAKETIME_NO_CACHE", "1")
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .stdout(fs::File::create(&out_path).unwrap())
        .stderr(fs::File::create(sb.join("clockwatch.err")).unwrap());
    sb.spawn(cmd);
    let read = || fs::read_to_string(&out_path).unwrap_or_default();
    assert!(wait_until(PATIENCE, || read().contains("start: ")), "{}", read());
    fs::write(&rc, "-90s\n").unwrap();
    assert!(wait_until(PATIENCE, || read().contains("step: wall clock stepped back by ")), "{}", read());
    fs::write(&rc, "+600s\n").unwrap();
    assert!(wait_until(PATIENCE, || read().contains("stepped forward")), "{}", read());
    assert!(wait_until(PATIENCE, || read().contains("steps 2")), "{}", read());
    let text = read();
    let back = number_after(&text, "stepped back by ");
    // A sample read under load may take a while between its two clocks: a second of slack.
    assert!((89.0..91.0).contains(&back), "{text}");
    let forward = number_after(&text, "stepped forward by ");
    assert!((689.0..691.0).contains(&forward), "{text}");
    assert_eq!(text.matches("step: ").count(), 2, "each step once: {text}");
    assert!(fs::read_to_string(sb.join("clockwatch.err")).unwrap().contains("unable to read /nonexistent"));
    // Wakeups are counted: one per sample (every 0.2 s), none in between.
    for line in text.lines().filter(|l| l.starts_with("summary: ")) {
        let up = number_after(line, "up ");
        let wakeups = number_after(line, "wakeups ");
        assert!(wakeups <= (up + 1.0) * 5.0 + 3.0, "too many wakeups: {line}");
    }
}

/// clockwatch with fake /proc and /sys and a kernel log file it follows, and
/// a chronyd 300 s ahead plus a closed port as servers.
#[test]
fn clockwatch_reports_offsets_clocksource_kernel_lines_and_steal() {
    let mut sb = Sandbox::new();
    let ahead = ntp_server(&mut sb, "ahead", true, Some("+300s"));
    let closed = format!("127.0.0.1:{}", free_udp_port());
    let sys = fake_sys(&sb, "tsc");
    let proc = sb.join("proc");
    fs::create_dir_all(&proc).unwrap();
    fs::write(proc.join("stat"), "cpu  100 0 100 800 0 0 0 0 0 0\n").unwrap();
    let log = sb.join("kern.log");
    fs::write(&log, "kernel: Marking TSC unstable due to an old line\n").unwrap();
    let out_path = sb.join("clockwatch.out");
    let mut cmd = sb.tend("clockwatch");
    cmd.args(["--interval", "0.2", "--summary", "3600", "--query-interval", "1", "--timeout", &answer_timeout()]);
    cmd.args(["--server", &format!("127.0.0.1:{ahead}"), "--server", &closed]);
    cmd.arg("--sys").arg(&sys).arg("--proc").arg(&proc).arg("--kmsg").arg(&log);
    cmd.stdout(fs::File::create(&out_path).unwrap());
    sb.spawn(cmd);
    let read = || fs::read_to_string(&out_path).unwrap_or_default();
    // The first query is part of the start: the state and the findings, as `tend clock` gives them.
    let offset_line = format!("critical: offset to 127.0.0.1:{ahead} is +");
    let refused = format!("warning: no time from {closed}: unable to query: connection refused -> ");
    assert!(wait_until(PATIENCE, || read().contains(&refused)), "{}", read());
    let text = read();
    assert!((299.0..301.0).contains(&number_after(&text, &offset_line[..offset_line.len() - 1])), "{text}");
    let state = format!("state: server 127.0.0.1:{ahead} offset ");
    assert!((299.0..301.0).contains(&number_after(&text, &state)), "{text}");

    fs::write(sys.join("devices/system/clocksource/clocksource0/current_clocksource"), "hpet\n").unwrap();
    assert!(wait_until(PATIENCE, || read().contains("clocksource: changed from tsc to hpet")), "{}", read());

    use std::io::Write;
    let mut f = fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(b"Dec 21 13:55:05 host kernel: Clocksource tsc unstable (delta = 4688700040 ns)\n").unwrap();
    assert!(
        wait_until(PATIENCE, || read().contains("kernel: Clocksource tsc unstable (delta = 4688700040 ns)")),
        "{}",
        read()
    );
    // A line from before the start is one of the start's warnings, never a `kernel:` event.
    let text = read();
    assert!(text.contains("\nwarning: kernel: Marking TSC unstable due to an old line -> "), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("kernel: ") && l.contains("old line")), "{text}");

    // 1000 more ticks of which 500 stolen.
    fs::write(proc.join("stat"), "cpu  400 0 100 1000 0 0 0 500 0 0\n").unwrap();
    assert!(wait_until(PATIENCE, || read().contains("steal: 50.0% over")), "{}", read());
    // Later queries (one a second) found the same: no line about it.
    let text = read();
    assert_eq!(text.matches(&offset_line).count(), 1, "{text}");
    assert!(!text.contains("\noffset: ") && !text.contains("\nserver: "), "{text}");
}

/// A machine with an NTP daemon installed but none running, and an old TSC
/// line in its kernel log: clockwatch's first lines say so, as `tend clock`
/// would, before any sample (it used to log only its start line for an hour).
#[test]
fn clockwatch_logs_the_initial_state_and_every_warning_at_start() {
    let sb = Sandbox::new();
    let sys = fake_sys(&sb, "hpet");
    let proc = empty_proc(&sb);
    fs::write(proc.join("stat"), "cpu  100 0 100 800 0 0 0 0 0 0\n").unwrap();
    let log = sb.join("kern.log");
    fs::write(&log, "kernel: Marking TSC unstable due to clocksource watchdog\n").unwrap();
    let out_path = sb.join("clockwatch.out");
    let mut cmd = sb.tend("clockwatch");
    cmd.args(["--interval", "3600", "--summary", "3600", "--query-interval", "0"]);
    cmd.arg("--sys").arg(&sys).arg("--proc").arg(&proc).arg("--kmsg").arg(&log);
    cmd.stdout(fs::File::create(&out_path).unwrap());
    let mut sb = sb;
    sb.spawn(cmd);
    let read = || fs::read_to_string(&out_path).unwrap_or_default();
    // The steal line is the last of the state lines, the findings follow it.
    // Read once that line is whole.
    let complete =
        |t: &str| t.split_once("\nwarning: no NTP daemon running").is_some_and(|(_, rest)| rest.contains('\n'));
    assert!(wait_until(PATIENCE, || complete(&read())), "{}", read());
    let text = read();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("start: sample every 3600 s"), "{text}");
    assert!(lines[1].starts_with("state: kernel clock "), "{text}");
    for expected in [
        "state: NTP daemon none running, chronyd installed",
        "state: clocksource hpet (available: tsc hpet acpi_pm)",
        "state: steal - over ",
        "warning: kernel: Marking TSC unstable due to clocksource watchdog -> ",
        "warning: no NTP daemon running (chronyd, ntpd, ntpsec, systemd-timesyncd) -> start chronyd (installed but not running); ",
    ] {
        assert!(lines.iter().any(|l| l.starts_with(expected)), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn clock_and_clockwatch_usage_errors_exit_100() {
    let sb = Sandbox::new();
    for (prog, args, message) in [
        ("clock", &["--bogus"][..], "unknown option --bogus"),
        ("clock", &["--timeout"][..], "option --timeout requires a value"),
        ("clock", &["--warn-offset", "-1"][..], "option --warn-offset needs a non-negative number, not -1"),
        ("clock", &["--check", "ntp,foo"][..], "unknown check foo"),
        ("clock", &["--json", "--prometheus"][..], "--json and --prometheus both want stdout"),
        ("clockwatch", &["--interval", "0"][..], "--interval and --summary must be above zero"),
        ("clock", &["--timeout", "1e300"][..], "option --timeout is too long (at most 18446744073709551615 seconds)"),
        ("clockwatch", &["--summary=1e20"][..], "option --summary is too long (at most 18446744073709551615 seconds)"),
    ] {
        let o = run(sb.tend(prog).args(args));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(100), "{prog} {args:?}: {err}");
        assert!(err.contains(&format!("{prog}: fatal: {message}\n")), "{prog} {args:?}: {err}");
        assert!(err.contains(&format!("{prog}: usage: ")), "{err}");
        assert!(o.stdout.is_empty());
    }
}
