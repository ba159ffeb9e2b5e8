//! One-shot jobs (`type` holding `oneshot`): `run` runs once, exit 0 is
//! done (ready, down, not started again until `svc -u`), a failure is
//! retried and reported; the record's flags (byte 21: 8 one-shot, 16
//! done), `svstat -j`'s `type` and `done`, plain svstat's daemontools line.

use std::fs;

use crate::supervise::{json, service, start, stderr_of, svc, wait_up};
use crate::util::{wait_for, wait_for_file_content, wait_for_status, Sandbox, Status, PATIENCE};

const READY: u8 = 1;
const ONESHOT: u8 = 8;
const DONE: u8 = 16;

fn flags(s: &Status) -> u8 {
    s.raw.get(21).copied().unwrap_or(0)
}

fn done(s: &Status) -> bool {
    flags(s) & (ONESHOT | DONE) == ONESHOT | DONE
}

/// `sb/NAME` as a one-shot job running `run`.
fn job(sb: &Sandbox, name: &str, run: &str) {
    service(sb, name, run);
    fs::write(sb.join(&format!("{name}/type")), "oneshot\n").unwrap();
}

fn lines(sb: &Sandbox, file: &str) -> usize {
    fs::read_to_string(sb.join(file)).unwrap_or_default().lines().count()
}

/// `svwait -U DIR` with a time limit of `ms`: its exit code.
fn svwait_ready(sb: &Sandbox, ms: u128, dir: &str) -> Option<i32> {
    sb.tend("svwait").args(["-U", "-t", &ms.to_string(), dir]).status().unwrap().code()
}

/// A set-up job creates the file a service needs: once done it is down,
/// ready and wanted down (plain svstat prints daemontools' line for a
/// service run with `svc -o`), `svwait -U` returns, the service started
/// then finds the file; `svc -u` runs the job again.
#[test]
fn a_setup_job_runs_once_is_done_and_ready_and_svc_u_runs_it_again() {
    let mut sb = Sandbox::new();
    job(&sb, "setup", "echo run >> ../setup.log\necho made > ../needed.new && mv ../needed.new ../needed");
    service(&sb, "web", "cat ../needed > ../seen.new && mv ../seen.new ../seen\nexec sleep 100");
    start(&mut sb, "setup");
    let st = wait_for_status(&sb.join("setup"), "done", done);
    assert_eq!((st.pid, st.want, flags(&st) & READY), (0, b'd', READY), "{st:?}");
    assert_eq!((st.raw[21] & 2, st.raw[22]), (2, 0), "last exit: code 0");
    assert_eq!(svwait_ready(&sb, PATIENCE.as_millis(), "setup"), Some(0));
    start(&mut sb, "web");
    assert_eq!(wait_for_file_content(&sb.join("seen"), |c| !c.is_empty()), b"made\n");
    let j = json(&sb, "setup");
    for part in ["\"up\":false", "\"want\":\"down\"", "\"ready\":true", "\"last_exit\":{\"code\":0}"] {
        assert!(j.contains(part), "{part} in {j}");
    }
    assert!(
        j.contains("\"check\":null,\"notify\":null,\"type\":\"oneshot\",\"done\":true,\"waiting_for\":null}"),
        "{j}"
    );
    let plain = String::from_utf8(sb.tend("svstat").arg("setup").output().unwrap().stdout).unwrap();
    assert!(plain.starts_with("setup: down ") && plain.ends_with(" seconds, normally up\n"), "{plain}");
    // run may write `seen` before supervise has written web's status.
    wait_for_status(&sb.join("web"), "up", |s| s.pid != 0);
    let web = json(&sb, "web");
    assert!(web.contains("\"type\":\"longrun\",\"done\":null,\"waiting_for\":null}"), "{web}");
    assert_eq!(lines(&sb, "setup.log"), 1);
    svc(&sb, "u", "setup");
    wait_for_file_content(&sb.join("setup.log"), |c| c == b"run\nrun\n");
    let st = wait_for_status(&sb.join("setup"), "done again", |s| done(s) && s.want == b'd');
    assert_eq!(st.raw[24..32], 1u64.to_be_bytes(), "one restart counted");
    svc(&sb, "dx", "web");
    svc(&sb, "x", "setup");
    assert!(stderr_of(&sb, "setup").is_empty(), "{}", stderr_of(&sb, "setup"));
}

/// A job that fails is retried (a second after each failure, without
/// `backoff-max`) and shows its last exit, not done nor ready, until a
/// run exits 0.
#[test]
fn a_failing_job_is_retried_and_reported_until_it_succeeds() {
    let mut sb = Sandbox::new();
    job(&sb, "setup", "echo try >> ../tries\ntest -e ../allowed || exit 3");
    start(&mut sb, "setup");
    let dir = sb.join("setup");
    wait_for("a second try", || lines(&sb, "tries") >= 2);
    let st = wait_for_status(&dir, "failed", |s| s.pid == 0 && s.raw.get(22) == Some(&3));
    assert_eq!((flags(&st) & (READY | ONESHOT | DONE), st.want), (ONESHOT, b'u'), "{st:?}");
    let j = json(&sb, "setup");
    assert!(
        j.contains("\"last_exit\":{\"code\":3}")
            && j.contains("\"type\":\"oneshot\",\"done\":false,\"waiting_for\":null}"),
        "{j}"
    );
    assert_eq!(svwait_ready(&sb, 300, "setup"), Some(1), "not ready while it fails");
    fs::write(sb.join("allowed"), "").unwrap();
    assert_eq!(svwait_ready(&sb, PATIENCE.as_millis(), "setup"), Some(0));
    let st = wait_for_status(&dir, "done", done);
    assert_eq!(st.raw[22], 0);
    svc(&sb, "x", "setup");
}

/// Garbage in `type`: one warning naming the file, and the service is a
/// long-running one (restarted when it exits).
#[test]
fn garbage_in_type_is_warned_about_and_the_service_is_a_longrun() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "echo $$ >> ../runs\nexec sleep 100");
    fs::write(sb.join("s/type"), "bundle\n").unwrap();
    start(&mut sb, "s");
    let first = wait_up(&sb, "s");
    svc(&sb, "t", "s");
    wait_for("a restart", || lines(&sb, "runs") >= 2 && wait_up(&sb, "s") != first);
    assert_eq!(stderr_of(&sb, "s"), "supervise: warning: unable to use s/type: bad format\n");
    assert!(json(&sb, "s").contains("\"type\":\"longrun\",\"done\":null,\"waiting_for\":null}"));
    svc(&sb, "dx", "s");
}
