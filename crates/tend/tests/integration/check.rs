//! Health checks: runit's `check` run by supervise until the service is
//! ready, and with `check-failures` while it is up; the check's state in
//! the status record (bytes 56..64) and in `svstat -j`; bad input.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::supervise::{json, service, start, start_with, stderr_of, svc, wait_up};
use crate::util::{
    alive, as_nobody, give_to_nobody, gone, wait_for, wait_for_line, wait_for_status, wait_idle, Sandbox, Status,
    PATIENCE,
};

/// The check's bytes of a status record, decoded: phase (1 starting, 2
/// watching, 3 idle), last result (0 none, 1 code, 2 signal, 3 timed out)
/// and its value, restarted by the check, failures in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CheckBytes {
    phase: u8,
    result: u8,
    value: u8,
    restarted: bool,
    failures: u32,
}

fn check_of(s: &Status) -> Option<CheckBytes> {
    let b = s.raw.get(56..64)?;
    (b[0] != 0).then(|| CheckBytes {
        phase: b[0],
        result: b[1],
        value: b[2],
        restarted: b[3] & 1 != 0,
        failures: u32::from_be_bytes(b[4..8].try_into().unwrap()),
    })
}

fn ready(s: &Status) -> bool {
    s.raw.len() >= 44 && s.raw[21] & 1 != 0
}

const STARTING: u8 = 1;
const WATCHING: u8 = 2;
const IDLE: u8 = 3;
const TIMED_OUT: u8 = 3;

/// `s/NAME` holding `content`, executable.
fn script(sb: &Sandbox, name: &str, content: &str) {
    sb.script(name, &format!("#!/bin/sh\n{content}\n"));
}

#[test]
fn a_check_makes_the_service_ready_only_once_it_passes() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "exec sleep 100");
    script(&sb, "s/check", "test -e flag");
    fs::write(sb.join("s/check-interval"), "100\n").unwrap();
    start(&mut sb, "s");
    let pid = wait_up(&sb, "s");
    let dir = sb.join("s");
    let st = wait_for_status(&dir, "checked and failing", |s| check_of(s).is_some_and(|c| c.failures >= 2));
    assert!(!ready(&st), "{st:?}");
    assert_eq!(check_of(&st).map(|c| (c.phase, c.result, c.value)), Some((STARTING, 1, 1)));
    let j = json(&sb, "s");
    assert!(j.contains("\"ready\":false"), "{j}");
    assert!(j.contains("\"check\":{\"state\":\"starting\",\"last\":{\"code\":1},\"failures\":"), "{j}");
    // svwait -U sees no readiness yet (its time limit is all it can wait).
    let not_yet = sb.tend("svwait").args(["-U", "-t", "300", "s"]).status().unwrap();
    assert_eq!(not_yet.code(), Some(1));
    fs::write(sb.join("s/flag"), "").unwrap();
    let waited = sb.tend("svwait").args(["-U", "-t", &PATIENCE.as_millis().to_string(), "s"]).status().unwrap();
    assert_eq!(waited.code(), Some(0), "svwait -U returns once the check passed");
    let st = wait_for_status(&dir, "ready", ready);
    assert_eq!(st.pid, pid, "the same run became ready");
    assert_ne!(st.raw[32..44], [0; 12], "the ready stamp is set");
    assert_eq!(check_of(&st), Some(CheckBytes { phase: IDLE, result: 1, value: 0, restarted: false, failures: 0 }));
    let j = json(&sb, "s");
    assert!(j.contains("\"ready\":true"), "{j}");
    assert!(
        j.contains("\"check\":{\"state\":\"idle\",\"last\":{\"code\":0},\"failures\":0,\"restarted\":false}"),
        "{j}"
    );
    // The plain line stays daemontools'.
    let plain = sb.tend("svstat").arg("s").output().unwrap();
    let plain = String::from_utf8(plain.stdout).unwrap();
    assert!(plain.starts_with(&format!("s: up (pid {pid}) ")) && plain.ends_with(" seconds\n"), "{plain}");
    svc(&sb, "dx", "s");
}

/// `check-failures 2`: once ready, a check that starts failing restarts
/// the service after two failures in a row (the down signal, the whole
/// service swept); the record says the check did it. Through all of it
/// supervise gets no heap.
#[test]
fn check_failures_in_a_row_restart_the_service_and_the_record_says_why() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "echo $$ > ../run.new && mv ../run.new ../run\nsleep 1000 &\necho $! > ../child\nexec sleep 100");
    script(&sb, "s/check", "test ! -e broken");
    fs::write(sb.join("s/check-interval"), "100\n").unwrap();
    fs::write(sb.join("s/check-failures"), "2\n").unwrap();
    let supervise = start(&mut sb, "s");
    let dir = sb.join("s");
    let st =
        wait_for_status(&dir, "ready and watched", |s| ready(s) && check_of(s).is_some_and(|c| c.phase == WATCHING));
    let first = st.pid;
    let child: u32 = wait_for_line(&sb.join("child")).parse().unwrap();
    assert!(alive(child));
    fs::write(sb.join("s/broken"), "").unwrap();
    let st = wait_for_status(&dir, "restarted", |s| s.pid != 0 && s.pid != first);
    let check = check_of(&st).unwrap();
    assert!(check.restarted, "{check:?}");
    assert_eq!(check.phase, STARTING, "the new run is checked until it passes");
    assert_eq!((st.raw[21] & 4, st.raw[23]), (4, libc::SIGTERM as u8), "the last run got the down signal");
    wait_for("the old run's child to be killed with it", || gone(child));
    let j = json(&sb, "s");
    assert!(j.contains("\"restarted\":true") && j.contains("\"state\":\"starting\""), "{j}");
    assert!(j.contains("\"restarts\":1"), "{j}");
    fs::remove_file(sb.join("s/broken")).unwrap();
    let st = wait_for_status(&dir, "ready again", ready);
    assert!(check_of(&st).unwrap().restarted, "kept until the run ends for another reason");
    svc(&sb, "d", "s");
    wait_for_status(&dir, "down", |s| s.pid == 0);
    wait_idle(supervise);
    let maps = fs::read_to_string(format!("/proc/{supervise}/maps")).unwrap();
    assert!(!maps.contains("[heap]"), "supervise has a heap:\n{maps}");
    svc(&sb, "x", "s");
}

/// A check that runs longer than the interval is killed with what it
/// started (its process group) and counted as a failure; the service runs
/// on. In cgroup mode (root) and in process-group mode (nobody).
fn a_hung_check_is_killed_at_the_interval_and_counted(as_root: bool) {
    let mut sb = Sandbox::new();
    service(&sb, "s", "exec sleep 100");
    script(&sb, "s/check", "sleep 1000 &\necho \"$$ $!\" >> checks\nwait");
    fs::write(sb.join("s/check-interval"), "200\n").unwrap();
    if as_root {
        start(&mut sb, "s");
    } else {
        fs::set_permissions(sb.path(), fs::Permissions::from_mode(0o755)).unwrap();
        give_to_nobody(&sb.join("s"));
        let cmd = as_nobody(&sb, sb.bin.join("supervise"));
        start_with(&mut sb, cmd, "s");
    }
    let pid = wait_up(&sb, "s");
    let dir = sb.join("s");
    let st = wait_for_status(&dir, "a check timed out", |s| check_of(s).is_some_and(|c| c.result == TIMED_OUT));
    assert_eq!(st.pid, pid, "the service runs on");
    assert!(!ready(&st));
    assert!(check_of(&st).unwrap().failures >= 1);
    let first = fs::read_to_string(sb.join("s/checks")).unwrap();
    let pids: Vec<u32> = first.lines().next().unwrap().split(' ').map(|p| p.parse().unwrap()).collect();
    for p in pids {
        wait_for("the hung check and its child to be killed", || gone(p));
    }
    // Gone before supervise has reaped it and written the record: wait for the record.
    wait_for("the timed-out check recorded", || json(&sb, "s").contains("\"last\":{\"timed_out\":true}"));
    assert!(alive(pid));
    svc(&sb, "dx", "s");
}

#[test]
fn a_hung_check_is_killed_with_its_process_group_in_cgroup_mode() {
    a_hung_check_is_killed_at_the_interval_and_counted(true);
}

#[test]
fn a_hung_check_is_killed_with_its_process_group_in_process_group_mode() {
    a_hung_check_is_killed_at_the_interval_and_counted(false);
}

/// Garbage in `check-interval` is warned about once (the default, 1 s,
/// applies); a `check` that is not executable is warned about once and
/// there is no check (the service is up, never ready, `"check":null`).
#[test]
fn bad_check_settings_are_warned_about_once() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "exec sleep 100");
    script(&sb, "s/check", "exit 0");
    fs::write(sb.join("s/check-interval"), "0\n").unwrap();
    service(&sb, "n", "exec sleep 100");
    fs::write(sb.join("n/check"), "#!/bin/sh\nexit 0\n").unwrap();
    start(&mut sb, "s");
    start(&mut sb, "n");
    let first = wait_for_status(&sb.join("s"), "ready with the default interval", ready).pid;
    let n = wait_up(&sb, "n");
    let bad_interval = "supervise: warning: unable to use s/check-interval: bad format\n";
    let not_executable = "supervise: warning: unable to use n/check: not an executable file, so no check runs\n";
    wait_for("the interval's warning", || stderr_of(&sb, "s").contains(bad_interval));
    wait_for("the check's warning", || stderr_of(&sb, "n").contains(not_executable));
    // A restart reads the files again and says nothing more.
    svc(&sb, "t", "s");
    wait_for_status(&sb.join("s"), "ready again", |s| s.pid != first && ready(s));
    svc(&sb, "t", "n");
    let st = wait_for_status(&sb.join("n"), "restarted", |s| s.pid != 0 && s.pid != n);
    assert_eq!(stderr_of(&sb, "s").matches("check-interval").count(), 1, "{}", stderr_of(&sb, "s"));
    assert_eq!(stderr_of(&sb, "n").matches(not_executable).count(), 1, "{}", stderr_of(&sb, "n"));
    assert!(!ready(&st) && check_of(&st).is_none());
    assert!(json(&sb, "n").contains("\"check\":null"));
    svc(&sb, "dx", "s");
    svc(&sb, "dx", "n");
}

/// No check runs while the service is down: the check counts its runs,
/// and the count stays while the service is down.
#[test]
fn no_check_runs_while_the_service_is_down() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "exec sleep 100");
    script(&sb, "s/check", "echo x >> ../checks\nexit 0");
    fs::write(sb.join("s/check-interval"), "50\n").unwrap();
    fs::write(sb.join("s/check-failures"), "3\n").unwrap();
    let supervise = start(&mut sb, "s");
    let dir = sb.join("s");
    wait_for_status(&dir, "watched", |s| check_of(s).is_some_and(|c| c.phase == WATCHING));
    let count = || fs::read_to_string(sb.join("checks")).unwrap_or_default().lines().count();
    let seen = count();
    wait_for("checks to go on while up", || count() > seen + 2);
    svc(&sb, "d", "s");
    let st = wait_for_status(&dir, "down", |s| s.pid == 0);
    assert_eq!(check_of(&st).map(|c| c.phase), Some(IDLE));
    // Asleep without a timeout: no timer is left for a check.
    wait_idle(supervise);
    let down = count();
    // An observation window of 20 intervals, in which no check may run.
    std::thread::sleep(std::time::Duration::from_millis(1000));
    assert_eq!(count(), down);
    assert!(json(&sb, "s").contains("\"check\":{\"state\":\"idle\""));
    svc(&sb, "x", "s");
}
