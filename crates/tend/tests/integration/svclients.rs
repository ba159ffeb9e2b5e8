//! svc, svstat and svok: byte-for-byte against Debian's daemontools, on our
//! supervise and on theirs, plus runit's sv, s6's s6-svc and runit's runsv.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Command, Output};
use std::time::Duration;

use crate::supervise::{json, service, start, start_with, status_pid, svc, wait_up};
use crate::util::{
    assert_same, assert_same_stderr, debian_program, wait_for, wait_for_status, wait_supervised, wait_until,
    without_page_line, Sandbox, PATIENCE,
};

const LONG: Duration = PATIENCE;

/// Runs our program and Debian's with the same arguments until both print
/// the same (a second may tick between them, on a loaded machine on many
/// tries), then asserts equality.
pub fn same_as_debian<S: AsRef<std::ffi::OsStr>>(sb: &Sandbox, prog: &str, args: &[S]) -> Output {
    let run = |c: &mut Command| c.args(args).output().unwrap();
    let (mut ours, mut theirs) = (None, None);
    wait_until(LONG, || {
        let (o, t) = (run(&mut sb.tend(prog)), run(&mut sb.debian(prog)));
        let same = o.stdout == t.stdout && without_page_line(&o.stderr) == t.stderr;
        (ours, theirs) = (Some(o), Some(t));
        same
    });
    let (ours, theirs) = (ours.unwrap(), theirs.unwrap());
    let what = format!("{prog} {:?}", args.iter().map(AsRef::as_ref).collect::<Vec<_>>());
    assert_same(&format!("{what} (stdout)"), &ours.stdout, &theirs.stdout);
    assert_same_stderr(&format!("{what} (stderr)"), &ours.stderr, &theirs.stderr);
    assert_eq!(ours.status.code(), theirs.status.code(), "{what}: exit code");
    ours
}

/// `DIR/supervise` with an `ok` FIFO that this test holds open, as if a
/// supervisor ran, and the given status bytes.
fn fake_supervisor(sb: &Sandbox, dir: &str, status: &[u8]) -> File {
    fs::create_dir_all(sb.join(&format!("{dir}/supervise"))).unwrap();
    let ok = sb.join(&format!("{dir}/supervise/ok"));
    let c = std::ffi::CString::new(ok.to_str().unwrap()).unwrap();
    // SAFETY: a valid path; creating a FIFO in the test's own directory.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    fs::write(sb.join(&format!("{dir}/supervise/status")), status).unwrap();
    OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(ok).unwrap()
}

#[test]
fn svstat_errors_match_daemontools() {
    let sb = Sandbox::new();
    fs::write(sb.join("file"), "").unwrap();
    fs::create_dir(sb.join("plain")).unwrap();
    fs::create_dir_all(sb.join("dead/supervise")).unwrap();
    let c = std::ffi::CString::new(sb.join("dead/supervise/ok").to_str().unwrap()).unwrap();
    // SAFETY: a valid path in the test's own directory.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let _short = fake_supervisor(&sb, "short", b"0123456789abcdef0");
    let _garbage = fake_supervisor(&sb, "garbage", &[0xff; 18]);
    let _nostatus = fake_supervisor(&sb, "nostatus", b"");
    // A stamp of 0: daemontools prints the age through a double, rounded.
    let _zero = fake_supervisor(&sb, "zero", &[0; 18]);
    fs::remove_file(sb.join("nostatus/supervise/status")).unwrap();
    let out = same_as_debian(
        &sb,
        "svstat",
        &["/nonexistent", "file", "plain", "dead", "short", "garbage", "nostatus", "zero", "plain"],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("short: unable to read supervise/status: bad format\n"));
    same_as_debian::<&str>(&sb, "svstat", &[]);
}

#[test]
fn svstat_matches_daemontools_on_every_state_of_our_supervise() {
    let mut sb = Sandbox::new();
    service(&sb, "up", "exec sleep 100");
    service(&sb, "paused", "exec sleep 100");
    service(&sb, "stubborn", "trap '' TERM\necho > ../trapped\nwhile :; do sleep 0.05; done");
    service(&sb, "normallydown", "exec sleep 100");
    fs::write(sb.join("normallydown/down"), "").unwrap();
    service(&sb, "stopped", "exec sleep 100");
    service(&sb, "once", "exec sleep 100");
    let all = ["up", "paused", "stubborn", "normallydown", "stopped", "once"];
    for dir in all {
        start(&mut sb, dir);
    }
    for dir in ["up", "paused", "stubborn", "stopped", "once"] {
        wait_up(&sb, dir);
    }
    // svc's byte is lost unless supervise reads its control FIFO already.
    wait_supervised(&sb.join("normallydown"));
    svc(&sb, "u", "normallydown");
    wait_up(&sb, "normallydown");
    wait_for("stubborn's TERM trap", || sb.join("trapped").exists());
    svc(&sb, "p", "paused");
    svc(&sb, "d", "stubborn");
    svc(&sb, "d", "stopped");
    svc(&sb, "o", "once");
    wait_for_status(&sb.join("paused"), "paused", |s| s.paused);
    wait_for_status(&sb.join("stubborn"), "up, wanted down", |s| s.pid != 0 && s.want == b'd');
    wait_for_status(&sb.join("stopped"), "down", |s| s.pid == 0);
    wait_for_status(&sb.join("once"), "up once", |s| s.pid != 0 && s.want == 0);
    let out = same_as_debian(&sb, "svstat", &all);
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [", paused\n", ", want down\n", ", normally down\n", "stopped: down ", ", normally up\n"] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
}

#[test]
fn svstat_matches_daemontools_on_debian_supervise() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "exec sleep 100");
    let cmd = sb.debian("supervise");
    start_with(&mut sb, cmd, "s");
    wait_up(&sb, "s");
    same_as_debian(&sb, "svstat", &["s"]);
    let j = json(&sb, "s");
    assert!(j.contains("\"up\":true") && j.contains("\"state\":null") && j.contains("\"restarts\":null"), "{j}");
    // Our svc drives their supervise.
    svc(&sb, "d", "s");
    assert!(wait_until(LONG, || status_pid(&sb, "s") == 0));
    let out = same_as_debian(&sb, "svstat", &["s"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("s: down "));
    same_as_debian(&sb, "svok", &["s"]);
}

#[test]
fn debian_svc_drives_our_supervise() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "exec sleep 100");
    start(&mut sb, "s");
    let first = wait_up(&sb, "s");
    let st = sb.debian("svc").args(["-d", "s"]).status().unwrap();
    assert!(st.success());
    assert!(wait_until(LONG, || status_pid(&sb, "s") == 0));
    assert!(wait_until(LONG, || fs::read_to_string(sb.join("s/supervise/stat")).unwrap_or_default() == "down\n"));
    sb.debian("svc").args(["-o", "s"]).status().unwrap();
    let second = wait_up(&sb, "s");
    assert_ne!(first, second);
    assert_eq!(fs::read(sb.join("s/supervise/status")).unwrap()[17], 0, "want byte after -o");
    assert_eq!(sb.debian("svok").arg("s").status().unwrap().code(), Some(0));
}

#[test]
fn svc_messages_and_exit_codes_match_daemontools() {
    let sb = Sandbox::new();
    fs::create_dir(sb.join("plain")).unwrap();
    fs::create_dir_all(sb.join("dead/supervise")).unwrap();
    let c = std::ffi::CString::new(sb.join("dead/supervise/control").to_str().unwrap()).unwrap();
    // SAFETY: a valid path in the test's own directory.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    same_as_debian(&sb, "svc", &["-du", "/nonexistent", "plain", "dead"]);
    same_as_debian::<&str>(&sb, "svc", &[]);
    same_as_debian(&sb, "svc", &["-d"]);
    // djb's getopt: an argument starting with `--` ends the options, whole.
    same_as_debian(&sb, "svc", &["--d", "/nonexistent"]);
    same_as_debian(&sb, "svc", &["-d", "--u", "/nonexistent"]);
    // SIGPIPE is ignored before options are parsed: a bad option's message
    // to a dead pipe still ends in exit 100, not death by SIGPIPE.
    for mut svc in [sb.tend("svc"), sb.debian("svc")] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let st = svc.arg("-Z").stderr(writer).status().unwrap();
        assert_eq!(st.code(), Some(100), "{svc:?}");
    }
    // An unknown option: same first line and exit code; our option list is longer.
    let ours = sb.tend("svc").args(["-Z", "plain"]).output().unwrap();
    let theirs = sb.debian("svc").args(["-Z", "plain"]).output().unwrap();
    assert_eq!(ours.status.code(), Some(100));
    assert_eq!(theirs.status.code(), Some(100));
    let first = |o: &Output| String::from_utf8_lossy(&o.stderr).lines().next().unwrap_or("").to_string();
    assert_eq!(first(&ours), first(&theirs));
    assert!(String::from_utf8_lossy(&ours.stderr).contains(theirs_usage_list(&theirs).as_str()));
}

fn theirs_usage_list(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).lines().nth(1).unwrap_or("?").to_string()
}

#[test]
fn svc_refuses_a_control_that_is_a_regular_file() {
    let sb = Sandbox::new();
    fs::create_dir_all(sb.join("s/supervise")).unwrap();
    fs::write(sb.join("s/supervise/control"), "").unwrap();
    let out = sb.tend("svc").args(["-d", "s"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_same(
        "svc on a regular file",
        &out.stderr,
        b"svc: warning: unable to control s: supervise/control is not a FIFO\n",
    );
    assert_eq!(fs::read(sb.join("s/supervise/control")).unwrap(), b"");
}

#[test]
fn svc_sends_letters_in_order_without_duplicates() {
    let sb = Sandbox::new();
    let _ok = fake_supervisor(&sb, "s", &[0; 18]);
    let control = sb.join("s/supervise/control");
    let c = std::ffi::CString::new(control.to_str().unwrap()).unwrap();
    // SAFETY: a valid path in the test's own directory.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let mut reader = OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(&control).unwrap();
    let st = sb.tend("svc").args(["-xdxq12wuu", "s"]).status().unwrap();
    assert!(st.success());
    let mut got = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut got).ok();
    assert_eq!(got, b"xdq12wu");
}

#[test]
fn svok_matches_daemontools() {
    let mut sb = Sandbox::new();
    fs::write(sb.join("file"), "").unwrap();
    fs::create_dir(sb.join("plain")).unwrap();
    for args in [&[][..], &["/nonexistent"], &["file"], &["plain"]] {
        same_as_debian(&sb, "svok", args);
    }
    service(&sb, "s", "exec sleep 100");
    start(&mut sb, "s");
    wait_up(&sb, "s");
    let out = same_as_debian(&sb, "svok", &["s"]);
    assert_eq!(out.status.code(), Some(0));
    svc(&sb, "dx", "s");
    assert!(wait_until(LONG, || sb.debian("svok").arg("s").status().unwrap().code() == Some(100)));
    same_as_debian(&sb, "svok", &["s"]);
}

#[test]
fn runit_sv_reads_and_drives_our_supervise() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "exec sleep 100");
    start(&mut sb, "s");
    let pid = wait_up(&sb, "s");
    let sv = |args: &[&str]| sb.command(crate::util::require("/usr/bin/sv", "runit")).args(args).output().unwrap();
    let out = sv(&["status", "./s"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("run: ./s: (pid {pid}) ")), "{out:?}");
    // sv waits up to -w seconds: as long as any wait of ours.
    let wait = PATIENCE.as_secs().to_string();
    let out = sv(&["-w", &wait, "down", "./s"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok: down: ./s: "), "{out:?}");
    let out = sv(&["-w", &wait, "up", "./s"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok: run: ./s: (pid "), "{out:?}");
}

#[test]
fn s6_svc_drives_our_supervise() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "exec sleep 100");
    start(&mut sb, "s");
    let first = wait_up(&sb, "s");
    let s6 = |flag: &str| sb.command(crate::util::require("/usr/bin/s6-svc", "s6")).args([flag, "s"]).status().unwrap();
    assert!(s6("-d").success());
    assert!(wait_until(LONG, || status_pid(&sb, "s") == 0));
    assert!(s6("-u").success());
    let second = wait_up(&sb, "s");
    assert_ne!(first, second);
    assert!(s6("-k").success());
    assert!(wait_until(LONG, || json(&sb, "s").contains("\"last_exit\":{\"signal\":9}")));
    let third = wait_up(&sb, "s");
    // -r: restart with the down signal; the want stays up.
    assert!(s6("-r").success());
    assert!(wait_until(LONG, || json(&sb, "s").contains("\"last_exit\":{\"signal\":15}")));
    assert!(wait_until(LONG, || ![0, third].contains(&status_pid(&sb, "s"))));
}

#[test]
fn our_clients_read_and_drive_runsv() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "exec sleep 100");
    let mut cmd = sb.command(crate::util::require("/usr/bin/runsv", "runit"));
    cmd.arg("s");
    sb.spawn(cmd);
    wait_up(&sb, "s");
    same_as_debian(&sb, "svstat", &["s"]);
    same_as_debian(&sb, "svok", &["s"]);
    let j = json(&sb, "s");
    assert!(j.contains("\"state\":null") && j.contains("\"up\":true"), "{j}");
    svc(&sb, "d", "s");
    assert!(wait_until(LONG, || status_pid(&sb, "s") == 0));
    same_as_debian(&sb, "svstat", &["s"]);
}

#[test]
fn svstat_json_reports_the_extras() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "echo >&3\nexec sleep 100");
    fs::write(sb.join("s/notification-fd"), "3").unwrap();
    start(&mut sb, "s");
    let pid = wait_up(&sb, "s");
    assert!(wait_until(LONG, || json(&sb, "s").contains("\"ready\":true")));
    let j = json(&sb, "s");
    let expected = format!(
        "{{\"directory\":\"s\",\"up\":true,\"pid\":{pid},\"seconds\":0,\"state\":\"run\",\"want\":\"up\",\
         \"paused\":false,\"normally_up\":true,\"ready\":true,\"last_exit\":null,\"restarts\":0,\"last_clock_step\":null,\"check\":null,\"notify\":null,\
         \"type\":\"longrun\",\"done\":null,\"waiting_for\":null}}\n"
    );
    // The seconds are whatever time the machine took.
    let seconds = j.split("\"seconds\":").nth(1).and_then(|r| r.split(',').next()).expect(&j);
    let j = j.replace(&format!("\"seconds\":{seconds},"), "\"seconds\":0,");
    assert_same("svstat -j", j.as_bytes(), expected.as_bytes());
    let out = sb.tend("svstat").args(["-j", "/nonexistent"]).output().unwrap();
    assert_same(
        "svstat -j error",
        &out.stdout,
        b"{\"directory\":\"/nonexistent\",\"error\":\"unable to chdir: file does not exist\"}\n",
    );
}

#[test]
fn svstat_without_permission_matches_daemontools() {
    let sb = Sandbox::new();
    fs::set_permissions(sb.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    fs::create_dir(sb.join("closed")).unwrap();
    fs::set_permissions(sb.join("closed"), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let as_nobody = |prog: &str| sb.debian("setuidgid").arg("nobody").arg(prog).arg("closed").output().unwrap();
    for prog in ["svstat", "svc", "svok"] {
        let ours = as_nobody(sb.bin.join(prog).to_str().unwrap());
        let theirs = as_nobody(debian_program(prog).to_str().unwrap());
        assert_same(&format!("{prog} without permission"), &ours.stdout, &theirs.stdout);
        assert_same(&format!("{prog} without permission"), &ours.stderr, &theirs.stderr);
        assert_eq!(ours.status.code(), theirs.status.code());
    }
}

fn starts(sb: &Sandbox) -> usize {
    fs::read_to_string(sb.join("starts")).map_or(0, |s| s.lines().count())
}

/// s6-supervise has a control FIFO but no `ok` FIFO: our svc drives it, and
/// svstat/svok say what daemontools' say.
#[test]
fn our_clients_on_s6_supervise() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "echo start >> ../starts; exec sleep 100");
    let mut cmd = sb.command(crate::util::require("/usr/bin/s6-supervise", "s6"));
    cmd.arg("s");
    sb.spawn(cmd);
    assert!(wait_until(LONG, || starts(&sb) == 1));
    same_as_debian(&sb, "svstat", &["s"]);
    same_as_debian(&sb, "svok", &["s"]);
    svc(&sb, "k", "s");
    assert!(wait_until(LONG, || starts(&sb) == 2));
}
