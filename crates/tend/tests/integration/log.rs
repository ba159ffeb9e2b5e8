//! tend log: directories written by Debian's multilog, s6-log and svlogd
//! (several archives and `current`), a history across a clock step, a time
//! search on a large history (bytes read counted), following through 20
//! rotations, a broken pipe, and bad input.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::util::{self, Sandbox};

/// The input lines every logger gets: long enough for several archives at
/// the loggers' smallest size (4096 bytes).
fn lines(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("line {i:04} of a recorded history, padded to rotate often")).collect()
}

/// `cmd` fed `input` as lines; waits for it.
fn feed(mut cmd: Command, input: &[String]) {
    let text: String = input.iter().map(|l| format!("{l}\n")).collect();
    let out = util::run_with_input(&mut cmd, text.as_bytes());
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn archives(dir: &Path) -> usize {
    fs::read_dir(dir).unwrap().filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with('@')).count()
}

/// `tend log ARGS`, its stdout (exit 0 asserted).
fn log(sb: &Sandbox, args: &[&str]) -> String {
    let out = sb.tend("log").args(args).output().unwrap();
    assert!(out.status.success(), "tend log {args:?}: {:?} {}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The messages of text output: what follows the date and the time.
fn messages(text: &str) -> Vec<String> {
    text.lines().map(|l| l.splitn(3, ' ').nth(2).unwrap_or_default().to_string()).collect()
}

#[test]
fn reads_debian_multilog_s6_log_and_svlogd_directories_in_order() {
    let sb = Sandbox::new();
    let input = lines(400);
    let mut dm = sb.debian("multilog");
    dm.args(["t", "s4096", "n100", "./dm"]);
    feed(dm, &input);
    let mut s6 = sb.debian("s6-log");
    s6.args(["t", "s4096", "n100", "./s6"]);
    feed(s6, &input);
    fs::create_dir(sb.join("sv")).unwrap();
    fs::write(sb.join("sv/config"), "s4096\nn100\n").unwrap();
    let mut sv = sb.debian("svlogd");
    sv.args(["-t", "./sv"]);
    feed(sv, &input);
    fs::create_dir(sb.join("svtt")).unwrap();
    fs::write(sb.join("svtt/config"), "s4096\nn100\n").unwrap();
    let mut svtt = sb.debian("svlogd");
    svtt.args(["-tt", "./svtt"]);
    feed(svtt, &input);
    for dir in ["dm", "s6", "sv", "svtt"] {
        assert!(archives(&sb.join(dir)) >= 3, "{dir} has several archives");
        let text = log(&sb, &[dir]);
        assert_eq!(messages(&text), input, "{dir}: every line once, in order");
    }
    // Local times exactly as daemontools' tai64nlocal prints them.
    for dir in ["dm", "sv"] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("cd {dir} && cat @* current | {}", util::debian_program("tai64nlocal").display()))
            .current_dir(sb.path())
            .output()
            .unwrap();
        util::assert_same(dir, log(&sb, &[dir]).as_bytes(), &out.stdout);
        let raw = Command::new("sh")
            .arg("-c")
            .arg(format!("cd {dir} && cat @* current"))
            .current_dir(sb.path())
            .output()
            .unwrap();
        util::assert_same(dir, log(&sb, &["--raw", dir]).as_bytes(), &raw.stdout);
    }
    // Several directories interleaved by time, the service's name first.
    let both = log(&sb, &["dm", "sv"]);
    assert_eq!(both.lines().count(), 800);
    let dm_lines: Vec<&str> = both.lines().filter(|l| l.starts_with("dm ")).collect();
    assert_eq!(dm_lines.len(), 400);
    // dm's logger was fed wholly before sv's: its lines, older, come first.
    assert!(both.lines().take(400).all(|l| l.starts_with("dm ")), "not in time order:\n{both}");
    // -n, -g, --json.
    let last = log(&sb, &["-n", "3", "s6"]);
    assert_eq!(messages(&last), input[397..]);
    let found = log(&sb, &["-g", "^line 01(2|3)4 ", "dm"]);
    assert_eq!(messages(&found), [input[124].clone(), input[134].clone()]);
    let json = log(&sb, &["--json", "-n", "1", "--utc", "svtt"]);
    assert!(json.starts_with("{\"service\":\"svtt\",\"time\":\"20"), "{json}");
    let stamp = json.split("\"stamp\":\"").nth(1).unwrap_or_default();
    assert_eq!(stamp.as_bytes().get(10), Some(&b'_'), "svlogd's stamp as written: {json}");
    assert!(json.ends_with(&format!("\",\"message\":\"{}\"}}\n", input[399])), "{json}");
}

/// A line stamped `secs` after the epoch.
fn at(secs: u64, message: &str) -> String {
    let label = 0x4000_0000_0000_000a_u64 + secs;
    format!("@{label:016x}{:08x} {message}\n", 500)
}

#[test]
fn a_clock_step_back_keeps_file_order_and_is_marked() {
    let sb = Sandbox::new();
    let d = sb.join("svc/log/main");
    fs::create_dir_all(&d).unwrap();
    fs::write(sb.join("svc/log/run"), "#!/bin/sh\nexec multilog t ./main\n").unwrap();
    // The archive is named after the rotation; current's labels step back an hour.
    let t = 1_800_000_000;
    fs::write(
        d.join(format!("@{:016x}{:08x}.s", 0x4000_0000_0000_000a_u64 + t + 2, 0)),
        at(t, "one") + &at(t + 1, "two"),
    )
    .unwrap();
    fs::write(
        d.join("current"),
        at(t + 3, "three") + &at(t + 3 - 3600, "four") + "no stamp\n" + &at(t + 5 - 3600, "five"),
    )
    .unwrap();
    let text = log(&sb, &["--utc", "svc"]);
    let expected = [
        "2027-01-15 08:00:00.000000500 one",
        "2027-01-15 08:00:01.000000500 two",
        "2027-01-15 08:00:03.000000500 three",
        "--- time goes back 3600.000 s ---",
        "2027-01-15 07:00:03.000000500 four",
        "no stamp",
        "2027-01-15 07:00:05.000000500 five",
    ];
    assert_eq!(text.lines().collect::<Vec<_>>(), expected);
    // Garbage where a stamp would be passes through as it is.
    fs::write(d.join("current"), "@zzzz not a label\n@4000 short\n\u{1}binary\u{7f}\n").unwrap();
    assert_eq!(log(&sb, &["--utc", "-n", "3", "svc/log/main"]), "@zzzz not a label\n@4000 short\n\u{1}binary\u{7f}\n");
}

#[test]
fn since_on_a_large_history_reads_a_bounded_number_of_bytes() {
    let sb = Sandbox::new();
    let d = sb.join("big");
    fs::create_dir(&d).unwrap();
    // 16 archives of 2 MB and current: 34 MB, one line a second.
    let start = 1_800_000_000u64;
    let (mut secs, mut total) = (start, 0u64);
    for file in 0..17 {
        let mut text = String::with_capacity(2 << 20);
        while text.len() < 2 << 20 {
            text.push_str(&at(secs, &format!("event {secs} with some words to make a typical line")));
            secs += 1;
        }
        total += text.len() as u64;
        let name = if file == 16 {
            "current".to_string()
        } else {
            format!("@{:016x}{:08x}.s", 0x4000_0000_0000_000a_u64 + secs, 0)
        };
        fs::write(d.join(name), text).unwrap();
    }
    let middle = start + (secs - start) / 2 + 7;
    let (from, to) = (at(middle, "")[..25].to_string(), at(middle + 99, "")[..25].to_string());
    let out = sb.tend("log").args(["--raw", "--stats", "--since", &from, "--until", &to, "big"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let got: Vec<&str> = text.lines().collect();
    assert_eq!(got.len(), 100, "the lines from --since to --until");
    assert!(got[0].starts_with(&from) && got[99].starts_with(&to));
    let read = bytes_read(&out.stderr);
    assert!(read <= 256 * 1024, "read {read} bytes of {total} for 100 lines");
    // The last lines: read from the end.
    let out = sb.tend("log").args(["-n", "5", "--stats", "big"]).output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 5);
    assert!(bytes_read(&out.stderr) <= 128 * 1024);
}

/// The count of `log: read N bytes in M reads`.
fn bytes_read(stderr: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(stderr);
    let n = text.lines().find_map(|l| l.strip_prefix("log: read ")).unwrap_or_else(|| panic!("no stats: {text}"));
    n.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn follow_through_twenty_rotations_loses_and_repeats_no_line() {
    let mut sb = Sandbox::new();
    let mut writer = sb.tend("multilog");
    writer.args(["t", "s4096", "n100", "./main"]).stdin(Stdio::piped());
    let writer_pid = sb.spawn(writer);
    let current = sb.join("main/current");
    util::wait_for("multilog's current", || current.exists());
    let mut follower = sb.tend("log");
    follower.args(["-f", "-n", "0", "--raw", "main"]).stdout(Stdio::piped());
    let follower_pid = sb.spawn(follower);
    let stdout = sb.take_stdout(follower_pid);
    let got = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let got = Arc::clone(&got);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                got.lock().unwrap().push(line.unwrap());
            }
        })
    };
    util::wait_idle(follower_pid);
    let input = lines(2000);
    let mut stdin = sb.take_child(writer_pid);
    let mut pipe = stdin.stdin.take().unwrap();
    for chunk in input.chunks(7) {
        let text: String = chunk.iter().map(|l| format!("{l}\n")).collect();
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    util::wait_child(&mut stdin);
    assert!(archives(&sb.join("main")) >= 20, "at least 20 rotations");
    util::wait_for("every line followed", || got.lock().unwrap().len() >= input.len());
    util::wait_idle(follower_pid);
    util::signal(follower_pid, libc::SIGTERM);
    sb.wait_exit(follower_pid);
    reader.join().unwrap();
    let got = got.lock().unwrap();
    let followed: Vec<String> = got.iter().map(|l| l[26..].to_string()).collect();
    assert_eq!(followed, input, "each line once, in order");
}

#[test]
fn a_broken_pipe_ends_quietly() {
    let sb = Sandbox::new();
    fs::create_dir(sb.join("d")).unwrap();
    let text: String = (0..100_000).map(|i| at(1_800_000_000 + i, "a line long enough to fill the pipe")).collect();
    fs::write(sb.join("d/current"), text).unwrap();
    let out = sb.command("sh").arg("-c").arg("{ log d 2>err; echo $? > rc; } | head -1").output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
    assert_eq!(fs::read_to_string(sb.join("rc")).unwrap(), "0\n");
    assert_eq!(fs::read_to_string(sb.join("err")).unwrap(), "");
}

#[test]
fn bad_input_is_named() {
    let sb = Sandbox::new();
    fs::create_dir(sb.join("private")).unwrap();
    fs::write(sb.join("private/current"), at(1, "secret")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(sb.join("private"), fs::Permissions::from_mode(0o700)).unwrap();
    let out = util::as_nobody(&sb, sb.bin.join("log")).arg(sb.join("private")).output().unwrap();
    assert_eq!(out.status.code(), Some(111));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("log: fatal: unable to read ") && err.contains("private: access denied"), "{err}");
    let out = sb.tend("log").arg(".bin").output().unwrap();
    assert_eq!(out.status.code(), Some(111));
    assert!(String::from_utf8_lossy(&out.stderr).contains(".bin is not a log directory"));
    for bad in
        [&["--since", "yesterday", "private"][..], &["-g", "a(", "private"], &["-f", "--until", "-1h", "private"], &[]]
    {
        assert_eq!(sb.tend("log").args(bad).output().unwrap().status.code(), Some(100), "{bad:?}");
    }
}
