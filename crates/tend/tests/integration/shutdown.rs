//! svscan's shutdown: every service stopped at once, killed after the stop
//! budget (`TEND_STOP_TIMEOUT`), at once on a second signal, loggers that
//! cannot write stopped and heard, and the supervise processes of an
//! earlier svscan adopted and stopped with the tree.

use std::fs;
use std::process::Stdio;
use std::time::Duration;

use crate::svscan::{children, lines, service, start_svscan_with, status_pid};
use crate::util::{
    alive, argv, signal, wait_exec, wait_for, wait_for_line, wait_for_status, wait_until, Sandbox, PATIENCE,
};

/// A `run` that ignores SIGTERM, forks a child that ignores it too, and
/// records both pids (`NAME.main`, `NAME.child` in the sandbox) before
/// they exec `sleep` (which keeps ignoring it).
fn stubborn(name: &str) -> String {
    let record =
        |what: &str| format!("echo $$ > ../../{name}.{what}.new && mv ../../{name}.{what}.new ../../{name}.{what}");
    format!("trap '' TERM\nsh -c '{}; exec sleep 100000' &\n{}\nexec sleep 100000", record("child"), record("main"))
}

/// The pids `stubborn(name)` recorded, once both run `sleep`.
fn stubborn_pids(sb: &Sandbox, name: &str) -> [u32; 2] {
    let pids = ["main", "child"].map(|w| wait_for_line(&sb.join(&format!("{name}.{w}"))).parse::<u32>().unwrap());
    for pid in pids {
        wait_exec(pid, "sleep");
    }
    pids
}

/// Every process of the sandbox whose argv is exactly `words`.
fn running(sb: &Sandbox, words: &[&str]) -> Vec<i32> {
    let want: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).collect();
    sb.processes().into_iter().filter(|&p| alive(p as u32) && argv(p as u32) == want).collect()
}

#[track_caller]
fn assert_gone(pids: &[u32]) {
    let left = || pids.iter().copied().filter(|&p| alive(p)).collect::<Vec<_>>();
    assert!(wait_until(PATIENCE, || left().is_empty()), "still running: {:?}", left());
}

#[test]
fn sigterm_ends_a_tree_whose_service_and_its_child_ignore_it_and_the_budget_is_not_passed_on() {
    let mut sb = Sandbox::new();
    let a = service(&sb, "a", &stubborn("a"));
    let b = service(&sb, "b", "env > ../../b.env.new && mv ../../b.env.new ../../b.env\nexec sleep 100000");
    sb.script("scan/b/log/run", "#!/bin/sh\nexec cat > /dev/null\n");
    let svscan = start_svscan_with(&mut sb, "stderr", &[("TEND_STOP_TIMEOUT", "0.5")]);
    let pids = stubborn_pids(&sb, "a");
    wait_for_status(&a, "up", |s| s.pid == pids[0]);
    wait_for("b's log", || status_pid(&b.join("log")).is_some());
    // Written aside and renamed: whole once there.
    wait_for("b's environment", || sb.join("b.env").exists());
    let env = fs::read_to_string(sb.join("b.env")).unwrap();
    assert!(!env.contains("TEND_STOP_TIMEOUT"), "the variable is svscan's own: {env}");
    let supervisors: Vec<u32> = children(svscan).iter().map(|c| c.0).collect();
    signal(svscan, libc::SIGTERM);
    assert_eq!(sb.wait_exit(svscan).code(), Some(0));
    // a ignored SIGTERM: it was killed, its child with it.
    assert_gone(&pids);
    assert_gone(&supervisors);
    assert_eq!(fs::read_to_string(sb.join("stderr")).unwrap(), "");
}

#[test]
fn a_budget_longer_than_the_default_holds_the_kill_back_and_a_second_sigterm_kills_at_once() {
    let mut sb = Sandbox::new();
    let a = service(&sb, "a", &stubborn("a"));
    let svscan = start_svscan_with(&mut sb, "stderr", &[("TEND_STOP_TIMEOUT", "3600")]);
    let pids = stubborn_pids(&sb, "a");
    wait_for_status(&a, "up", |s| s.pid == pids[0]);
    signal(svscan, libc::SIGTERM);
    wait_for_status(&a, "told to stop", |s| s.want == b'd');
    // Longer than the default budget (5 s): nothing is killed.
    std::thread::sleep(Duration::from_secs(6));
    assert!(alive(svscan) && pids.iter().all(|&p| alive(p)), "killed before the budget of an hour");
    signal(svscan, libc::SIGTERM);
    assert_eq!(sb.wait_exit(svscan).code(), Some(0));
    assert_gone(&pids);
}

#[test]
fn a_bad_budget_is_named_and_the_default_applies() {
    let mut sb = Sandbox::new();
    let a = service(&sb, "a", &stubborn("a"));
    let svscan = start_svscan_with(&mut sb, "stderr", &[("TEND_STOP_TIMEOUT", "soon")]);
    let pids = stubborn_pids(&sb, "a");
    wait_for_status(&a, "up", |s| s.pid == pids[0]);
    signal(svscan, libc::SIGTERM);
    assert_eq!(sb.wait_exit(svscan).code(), Some(0));
    assert_gone(&pids);
    assert_eq!(
        fs::read_to_string(sb.join("stderr")).unwrap(),
        "svscan: warning: TEND_STOP_TIMEOUT=soon is not a number of seconds: using 5\n"
    );
}

#[test]
fn a_logger_whose_directory_was_removed_is_stopped_and_says_what_it_could_not_write() {
    let mut sb = Sandbox::new();
    let a = service(&sb, "a", "while :; do echo a line that must not vanish silently; sleep 0.05; done");
    sb.script("scan/a/log/run", "#!/bin/sh\nexec multilog ./main\n");
    let svscan = start_svscan_with(&mut sb, "stderr", &[("TEND_STOP_TIMEOUT", "1")]);
    let current = a.join("log/main/current");
    wait_for("a line logged", || fs::read(&current).is_ok_and(|c| c.ends_with(b"vanish silently\n")));
    fs::remove_dir_all(a.join("log/main")).unwrap();
    let path = sb.join("stderr");
    let stderr = || fs::read_to_string(&path).unwrap_or_default();
    wait_for("multilog to pause", || stderr().contains("was removed; recreate it or restart multilog, pausing"));
    let logger = status_pid(&a.join("log")).unwrap();
    signal(svscan, libc::SIGTERM);
    assert_eq!(sb.wait_exit(svscan).code(), Some(0));
    assert_gone(&[logger]);
    let said = stderr();
    let giving_up = said.lines().find(|l| l.starts_with("multilog: fatal: log directory ./main was removed"));
    let giving_up = giving_up.unwrap_or_else(|| panic!("{said}"));
    assert!(giving_up.contains("giving up: ") && giving_up.contains(" bytes not written"), "{said}");
    assert_lost_counted(&said, giving_up);
}

#[test]
fn a_logger_on_a_full_disk_is_stopped_and_says_what_it_could_not_write() {
    let mut sb = Sandbox::new();
    let a = service(&sb, "a", "while :; do echo a line that fills a small disk 0123456789abcdef; done");
    sb.script("scan/a/log/run", "#!/bin/sh\nexec multilog ./main\n");
    fs::create_dir(a.join("log/main")).unwrap();
    // A 64 KiB tmpfs in a mount namespace of its own (in a user namespace,
    // so that no root is needed): gone with the last process in it.
    let mut cmd = sb.command("unshare");
    let script = "mount -t tmpfs -o size=64k tmpfs scan/a/log/main && exec svscan scan";
    cmd.args(["--user", "--map-root-user", "--mount", "sh", "-c", script]).env("TEND_STOP_TIMEOUT", "1");
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(fs::File::create(sb.join("stderr")).unwrap());
    let svscan = sb.spawn(cmd);
    let path = sb.join("stderr");
    let stderr = || fs::read_to_string(&path).unwrap_or_default();
    wait_for("multilog to pause", || stderr().contains("pausing: out of disk space"));
    wait_exec(svscan, "svscan");
    signal(svscan, libc::SIGTERM);
    assert_eq!(sb.wait_exit(svscan).code(), Some(0));
    let said = stderr();
    let giving_up = said.lines().find(|l| l.starts_with("multilog: fatal: unable to write to ./main/current"));
    let giving_up = giving_up.unwrap_or_else(|| panic!("{said}"));
    assert!(giving_up.contains("out of disk space; giving up: ") && giving_up.contains(" bytes not written"), "{said}");
    assert_lost_counted(&said, giving_up);
}

/// svscan counted, in lines and bytes, what the stopped logger left in the
/// pipe (at least the bytes multilog said it could not write).
fn assert_lost_counted(said: &str, giving_up: &str) {
    let number_before = |line: &str, word: &str| -> usize {
        let head = &line[..line.find(word).unwrap_or_else(|| panic!("no {word:?} in {line}"))];
        head.rsplit([' ', '(']).next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no count in {line}"))
    };
    let lost = said.lines().find(|l| l.starts_with("svscan: warning: a/log ended with "));
    let lost = lost.unwrap_or_else(|| panic!("svscan did not count what was lost: {said}"));
    assert!(lost.ends_with(" of its service's output unwritten: they are lost"), "{lost}");
    assert!(number_before(lost, " line") >= 1, "{lost}");
    assert!(number_before(lost, " bytes)") >= number_before(giving_up, " bytes not written"), "{said}");
}

#[test]
fn svscan_killed_and_restarted_adopts_the_running_supervise_and_its_sigterm_leaves_nothing() {
    let mut sb = Sandbox::new();
    let a = service(&sb, "a", "echo started >> ../../a.starts\nexec sleep 100000");
    sb.script("scan/a/log/run", "#!/bin/sh\nexec cat > /dev/null\n");
    let b = service(&sb, "b", &stubborn("b"));
    let first = start_svscan_with(&mut sb, "stderr", &[("TEND_STOP_TIMEOUT", "1")]);
    for dir in [&a, &a.join("log")] {
        wait_for("a service up", || status_pid(dir).is_some());
    }
    let pids = stubborn_pids(&sb, "b");
    wait_for_status(&b, "up", |s| s.pid == pids[0]);
    let service_a = status_pid(&a).unwrap();
    signal(first, libc::SIGKILL);
    sb.wait_exit(first);
    let second = start_svscan_with(&mut sb, "stderr2", &[("TEND_STOP_TIMEOUT", "1")]);
    let path = sb.join("stderr2");
    let stderr = || fs::read_to_string(&path).unwrap_or_default();
    wait_for("the adoption to be named", || stderr().contains("adopted"));
    let said = stderr();
    for name in ["a", "a/log", "b"] {
        assert!(said.contains(&format!(" {name},")) || said.contains(&format!(" {name} (")), "{name}: {said}");
    }
    // One supervise per directory, the old ones; the new svscan started none.
    for (words, dir) in [(["supervise", "a"], &a), (["supervise", "a/log"], &a.join("log")), (["supervise", "b"], &b)] {
        assert_eq!(running(&sb, &words).len(), 1, "{words:?}");
        assert!(status_pid(dir).is_some());
    }
    assert!(children(second).is_empty(), "{:?}", children(second));
    assert_eq!(lines(&sb.join("a.starts")), ["started"]);
    signal(second, libc::SIGTERM);
    assert_eq!(sb.wait_exit(second).code(), Some(0));
    assert_gone(&[service_a, pids[0], pids[1]]);
    let supervisors = || sb.processes().into_iter().filter(|&p| alive(p as u32) && argv(p as u32)[0] == b"supervise");
    assert!(wait_until(PATIENCE, || supervisors().next().is_none()), "{:?}", supervisors().collect::<Vec<_>>());
    assert!(!stderr().contains("unable to acquire lock"), "{}", stderr());
}
