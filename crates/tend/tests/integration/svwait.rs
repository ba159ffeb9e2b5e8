//! svwait and svup: waiting on our supervise (readiness through
//! notification-fd, finish scripts), on Debian's daemontools supervise and
//! on runit's runsv. Each wait is released by the test (a FIFO the service's
//! script reads), after svwait has been seen asleep in poll: it cannot have
//! returned early, and it returns once the state is reached.

use std::fs;
use std::path::PathBuf;

use crate::supervise::{service, start, start_with, svc, wait_up};
use crate::util::{debian_program, mkfifo, require, wait_for_status, wait_idle, wait_supervised, Sandbox};

/// Starts `svwait ARGS` and waits until it sleeps in poll: it has read every
/// directory and found the state not reached.
fn waiting(sb: &mut Sandbox, args: &[&str]) -> u32 {
    let mut cmd = sb.tend("svwait");
    cmd.args(args);
    let pid = sb.spawn(cmd);
    wait_idle(pid);
    assert_eq!(sb.child_status(pid), None, "svwait {args:?} returned before the state was reached");
    pid
}

/// The exit code of `PROGRAM ARGS` and its stderr.
fn run(sb: &Sandbox, program: &str, args: &[&str]) -> (Option<i32>, String) {
    let out = sb.tend(program).args(args).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Opens the FIFO `gate` for writing, which lets the script reading it go on.
fn open_gate(sb: &Sandbox, gate: &str) {
    fs::write(sb.join(gate), b"go\n").unwrap();
}

#[test]
fn u_waits_for_up_and_capital_u_for_ready() {
    let mut sb = Sandbox::new();
    mkfifo(&sb.join("gate"));
    service(&sb, "s", "read x < ../gate\necho >&3\nexec sleep 1000");
    fs::write(sb.join("s/notification-fd"), "3\n").unwrap();
    fs::write(sb.join("s/down"), "").unwrap();
    start(&mut sb, "s");
    wait_supervised(&sb.join("s"));
    let up = waiting(&mut sb, &["-u", "s"]);
    let ready = waiting(&mut sb, &["-U", "s"]);
    svc(&sb, "u", "s");
    assert_eq!(sb.wait_exit(up).code(), Some(0));
    // Up, and not ready until the script passes the gate.
    wait_idle(ready);
    assert_eq!(sb.child_status(ready), None, "svwait -U returned before the service was ready");
    open_gate(&sb, "gate");
    assert_eq!(sb.wait_exit(ready).code(), Some(0));
    assert_eq!(run(&sb, "svwait", &["-U", "s"]).0, Some(0), "already ready");
}

#[test]
fn d_waits_for_down_and_capital_d_for_finish_done() {
    let mut sb = Sandbox::new();
    mkfifo(&sb.join("gate"));
    service(&sb, "s", "exec sleep 1000");
    sb.script("s/finish", "#!/bin/sh\nread x < ../gate\n");
    start(&mut sb, "s");
    wait_up(&sb, "s");
    let down = waiting(&mut sb, &["-d", "s"]);
    let finished = waiting(&mut sb, &["-D", "s"]);
    svc(&sb, "d", "s");
    // Down while finish runs (runit's state byte 19 is 2, finishing).
    assert_eq!(sb.wait_exit(down).code(), Some(0));
    wait_for_status(&sb.join("s"), "finishing", |s| s.raw.get(19) == Some(&2));
    wait_idle(finished);
    assert_eq!(sb.child_status(finished), None, "svwait -D returned while finish ran");
    open_gate(&sb, "gate");
    assert_eq!(sb.wait_exit(finished).code(), Some(0));
}

#[test]
fn a_waits_for_all_and_o_for_one() {
    let mut sb = Sandbox::new();
    for name in ["a", "b"] {
        service(&sb, name, "exec sleep 1000");
        fs::write(sb.join(&format!("{name}/down")), "").unwrap();
        start(&mut sb, name);
        wait_supervised(&sb.join(name));
    }
    let all = waiting(&mut sb, &["-u", "a", "b"]);
    let one = waiting(&mut sb, &["-o", "a", "b"]);
    svc(&sb, "u", "a");
    assert_eq!(sb.wait_exit(one).code(), Some(0));
    wait_up(&sb, "a");
    wait_idle(all);
    assert_eq!(sb.child_status(all), None, "svwait -a returned with b down");
    svc(&sb, "u", "b");
    assert_eq!(sb.wait_exit(all).code(), Some(0));
}

#[test]
fn timeout_usage_and_errors() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "exec sleep 1000");
    fs::write(sb.join("s/down"), "").unwrap();
    fs::create_dir(sb.join("never")).unwrap();
    start(&mut sb, "s");
    wait_supervised(&sb.join("s"));
    let (code, err) = run(&sb, "svwait", &["-t", "100", "-u", "s"]);
    assert_eq!((code, err.as_str()), (Some(1), "svwait: fatal: timed out\n"));
    assert_eq!(run(&sb, "svwait", &["-t", "100", "-d", "s"]).0, Some(0));
    let usage =
        "svwait: usage: svwait [-u|-U|-d|-D] [-a|-o] [-t MS] dir...\nsvwait: see man tend-svwait or doc/svwait.md\n";
    assert_eq!(run(&sb, "svwait", &["-t", "soon", "s"]), (Some(100), usage.to_string()));
    assert_eq!(run(&sb, "svwait", &["-k", "s"]), (Some(100), format!("svwait: illegal option -- k\n{usage}")));
    assert_eq!(run(&sb, "svwait", &[]).0, Some(0), "no directory: nothing to wait for (s6-svwait's)");
    let (code, err) = run(&sb, "svwait", &["-d", "s", "missing"]);
    assert_eq!((code, err.as_str()), (Some(111), "svwait: fatal: unable to chdir to missing: file does not exist\n"));
    let (code, err) = run(&sb, "svwait", &["-d", "never"]);
    assert_eq!(
        (code, err.as_str()),
        (Some(111), "svwait: fatal: unable to watch never/supervise: file does not exist\n")
    );
}

#[test]
fn svup_says_whether_run_runs() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "exec sleep 1000");
    fs::write(sb.join("s/down"), "").unwrap();
    fs::create_dir(sb.join("never")).unwrap();
    assert_eq!(run(&sb, "svup", &["s"]).0, Some(100), "not supervised");
    start(&mut sb, "s");
    wait_supervised(&sb.join("s"));
    assert_eq!(run(&sb, "svup", &["s"]).0, Some(100), "down");
    svc(&sb, "u", "s");
    wait_up(&sb, "s");
    assert_eq!(run(&sb, "svup", &["s"]), (Some(0), String::new()));
    assert_eq!(run(&sb, "svup", &["-l", "s"]).0, Some(0));
    assert_eq!(run(&sb, "svup", &["never"]).0, Some(100));
    let (code, err) = run(&sb, "svup", &["missing"]);
    assert_eq!((code, err.as_str()), (Some(111), "svup: fatal: unable to chdir to missing: file does not exist\n"));
    assert_eq!(
        run(&sb, "svup", &["s", "t"]),
        (Some(100), "svup: usage: svup [-L] [-l] dir\nsvup: see man tend-svup or doc/svup.md\n".to_string())
    );
}

/// `svwait -u` and `-d` on a service run by `supervisor` (Debian's
/// daemontools supervise, runit's runsv), driven by our svc.
fn up_and_down_under(supervisor: PathBuf) {
    let mut sb = Sandbox::new();
    let supervisor = sb.command(supervisor);
    service(&sb, "s", "exec sleep 1000");
    fs::write(sb.join("s/down"), "").unwrap();
    start_with(&mut sb, supervisor, "s");
    wait_supervised(&sb.join("s"));
    wait_for_status(&sb.join("s"), "written", |_| true);
    let up = waiting(&mut sb, &["-u", "s"]);
    let ready = waiting(&mut sb, &["-U", "s"]);
    svc(&sb, "u", "s");
    assert_eq!(sb.wait_exit(up).code(), Some(0));
    assert_eq!(sb.wait_exit(ready).code(), Some(0), "no readiness in their record: -U is up");
    assert_eq!(run(&sb, "svup", &["s"]).0, Some(0));
    let down = waiting(&mut sb, &["-D", "s"]);
    svc(&sb, "d", "s");
    assert_eq!(sb.wait_exit(down).code(), Some(0));
    assert_eq!(run(&sb, "svup", &["s"]).0, Some(100));
}

#[test]
fn waits_on_debian_daemontools_supervise() {
    up_and_down_under(debian_program("supervise"));
}

#[test]
fn waits_on_runit_runsv() {
    up_and_down_under(require("/usr/bin/runsv", "runit"));
}
