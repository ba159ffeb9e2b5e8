//! daemontools-encore's `notify` hook: `./notify SCRIPT EVENT PID CODE`
//! when `run` and `finish` start and end, one at a time, never delaying a
//! restart, killed after its time limit; bad input.

use std::fs;

use crate::supervise::{service, start, stderr_of, svc};
use crate::util::{gone, restarts, wait_exec, wait_for, wait_for_file_content, wait_for_status, Sandbox};

/// `s/notify` appending its arguments to `s/events`, one line per event.
fn recording_notify(sb: &Sandbox) {
    sb.script("s/notify", "#!/bin/sh\necho \"$@\" >> events\n");
}

/// The lines of `s/events` once it holds `n` whole lines.
fn events(sb: &Sandbox, n: usize) -> Vec<Vec<String>> {
    let text = wait_for_file_content(&sb.join("s/events"), |t| t.iter().filter(|&&b| b == b'\n').count() >= n);
    String::from_utf8(text).unwrap().lines().map(|l| l.split(' ').map(String::from).collect()).collect()
}

fn words(line: &[String]) -> (&str, &str, u32, &str) {
    (&line[0], &line[1], line[2].parse().unwrap(), &line[3])
}

#[test]
fn notify_gets_encores_arguments_for_run_and_finish_starting_exiting_and_killed() {
    let mut sb = Sandbox::new();
    // The first run exits 7; the second sleeps until svc -k kills it.
    service(&sb, "s", "test -e ran && exec sleep 100\ntouch ran\nexit 7");
    sb.script("s/finish", "#!/bin/sh\nexit 3\n");
    recording_notify(&sb);
    start(&mut sb, "s");
    let e = events(&sb, 5);
    let (_, _, run1, _) = words(&e[0]);
    let (_, _, finish1, _) = words(&e[2]);
    let (_, _, run2, _) = words(&e[4]);
    let got: Vec<_> = e[..5].iter().map(|l| words(l)).collect();
    assert_eq!(
        got,
        [
            ("run", "start", run1, "0"),
            ("run", "exit", run1, "7"),
            ("finish", "start", finish1, "0"),
            ("finish", "exit", finish1, "3"),
            ("run", "start", run2, "0"),
        ],
        "stderr: {}",
        stderr_of(&sb, "s")
    );
    assert_ne!(run1, run2);
    wait_for_status(&sb.join("s"), "run again", |s| s.pid == run2);
    wait_exec(run2, "sleep");
    svc(&sb, "k", "s");
    let e = events(&sb, 9);
    let (_, _, finish2, _) = words(&e[6]);
    let (_, _, run3, _) = words(&e[8]);
    let got: Vec<_> = e[5..9].iter().map(|l| words(l)).collect();
    assert_eq!(
        got,
        [
            ("run", "killed", run2, "9"),
            ("finish", "start", finish2, "0"),
            ("finish", "exit", finish2, "3"),
            ("run", "start", run3, "0")
        ]
    );
}

#[test]
fn a_hanging_notify_delays_no_restart_and_is_killed_after_its_limit() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "exit 1");
    sb.script("s/notify", "#!/bin/sh\necho $$ >> hooks\nexec sleep 1000\n");
    start(&mut sb, "s");
    let first: u32 = {
        let text = wait_for_file_content(&sb.join("s/hooks"), |t| t.ends_with(b"\n"));
        String::from_utf8(text).unwrap().lines().next().unwrap().parse().unwrap()
    };
    wait_exec(first, "sleep");
    // The service crash-loops on while the hook hangs.
    wait_for_status(&sb.join("s"), "restarted 3 times", |s| restarts(s) >= 3);
    assert!(!gone(first), "the first notify still runs");
    // After its limit (10 s) it is killed and said so; the next one starts.
    wait_for("the hanging notify killed", || gone(first));
    wait_for("the warning about it", || stderr_of(&sb, "s").contains("s/notify: still running after its time limit"));
    wait_for("the next notify", || fs::read_to_string(sb.join("s/hooks")).unwrap_or_default().lines().count() >= 2);
    let err = stderr_of(&sb, "s");
    assert!(
        err.contains("supervise: warning: s/notify: still running after its time limit: killed, with its process group, after 10 seconds"),
        "{err}"
    );
    // 10 s of a crash loop are more events than wait: the rest are counted.
    assert!(err.contains("events dropped while it ran (8 can wait)"), "{err}");
}

#[test]
fn a_notify_that_is_not_executable_is_warned_about_once_and_a_failing_one_is_named() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "exit 1");
    fs::write(sb.join("s/notify"), "#!/bin/sh\nexit 0\n").unwrap();
    start(&mut sb, "s");
    wait_for_status(&sb.join("s"), "restarted 3 times", |s| restarts(s) >= 3);
    let err = stderr_of(&sb, "s");
    let warning = "supervise: warning: unable to use s/notify: not an executable file, so it is not run\n";
    assert_eq!(err.matches(warning).count(), 1, "{err}");
    // Made executable, and failing: each failure is named, supervise goes on.
    sb.script("s/notify", "#!/bin/sh\nexit 4\n");
    wait_for("a failing notify named", || stderr_of(&sb, "s").contains("supervise: warning: s/notify exited 4\n"));
    let before = restarts(&crate::util::read_status(&sb.join("s")).unwrap());
    wait_for_status(&sb.join("s"), "restarted again", |s| restarts(s) > before);
}
