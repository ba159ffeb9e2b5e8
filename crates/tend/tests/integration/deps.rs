//! Dependencies (`dependencies`, s6-rc's file): `run` starts only once
//! every listed sibling is up and ready; while it waits the record says
//! so (byte 21's flag 64) and `svstat -j` names what it waits for; cycles,
//! missing names and unusable files are warned about, their services
//! wait, supervise sleeps (no polling) and the others start.

use std::fs;

use crate::supervise::{json, service, start, stderr_of, svc, wait_up};
use crate::svscan::{lines, start_svscan_with, status_pid};
use crate::util::{signal, wait_for, wait_for_status, wait_idle, wait_supervised, Sandbox, Status};

const WAITING: u8 = 64;

fn waiting(s: &Status) -> bool {
    s.raw.get(21).is_some_and(|f| f & WAITING != 0)
}

/// `sb/NAME`, a long-running service listing `deps` in `dependencies`.
fn dependent(sb: &Sandbox, name: &str, deps: &str) {
    service(sb, name, "exec sleep 100");
    fs::write(sb.join(&format!("{name}/dependencies")), deps).unwrap();
}

/// Waits until `name` waits for its dependencies (pid 0, wanted up) and
/// `svstat -j` names `names`.
fn wait_waiting_for(sb: &Sandbox, name: &str, names: &str) {
    let st = wait_for_status(&sb.join(name), "waiting", waiting);
    assert_eq!((st.pid, st.want), (0, b'u'), "{st:?}");
    let j = json(sb, name);
    assert!(j.contains(&format!("\"waiting_for\":{names}}}")), "{j}");
}

/// A <- B <- C, A ready only when its check finds the file `go`: B and C
/// wait (plain svstat prints daemontools' line), then start in order once
/// the test creates it; no warning.
#[test]
fn a_chain_starts_in_order_once_the_first_is_ready() {
    let mut sb = Sandbox::new();
    service(&sb, "a", "exec sleep 100");
    sb.script("a/check", "#!/bin/sh\ntest -e ../go\n");
    fs::write(sb.join("a/check-interval"), "50\n").unwrap();
    dependent(&sb, "b", "# the first\na\n");
    dependent(&sb, "c", "b\n");
    for name in ["c", "b", "a"] {
        start(&mut sb, name);
    }
    wait_up(&sb, "a");
    wait_waiting_for(&sb, "b", "[\"a\"]");
    wait_waiting_for(&sb, "c", "[\"b\"]");
    let plain = String::from_utf8(sb.tend("svstat").arg("c").output().unwrap().stdout).unwrap();
    assert!(plain.starts_with("c: down ") && plain.ends_with(" seconds, normally up, want up\n"), "{plain}");
    assert!(json(&sb, "a").contains("\"waiting_for\":null}"));
    fs::write(sb.join("go"), "").unwrap();
    wait_up(&sb, "c");
    let b = wait_for_status(&sb.join("b"), "up", |s| s.pid != 0 && !waiting(s));
    assert!(!waiting(&b));
    assert!(json(&sb, "c").contains("\"waiting_for\":null}"));
    for name in ["a", "b", "c"] {
        svc(&sb, "dx", name);
        assert!(stderr_of(&sb, name).is_empty(), "{name}: {}", stderr_of(&sb, name));
    }
}

/// D needs B and C, both need A (down until `svc -u`): all wait, D for
/// both, and all start after A.
#[test]
fn a_diamond_waits_for_its_root_then_starts() {
    let mut sb = Sandbox::new();
    service(&sb, "a", "exec sleep 100");
    fs::write(sb.join("a/down"), "").unwrap();
    dependent(&sb, "b", "a\n");
    dependent(&sb, "c", "a\n");
    dependent(&sb, "d", "b\nc\n");
    for name in ["d", "c", "b", "a"] {
        start(&mut sb, name);
    }
    wait_waiting_for(&sb, "b", "[\"a\"]");
    wait_waiting_for(&sb, "c", "[\"a\"]");
    wait_waiting_for(&sb, "d", "[\"b\",\"c\"]");
    // Started last: its supervise may not listen yet (svc would warn and
    // the command be lost).
    wait_supervised(&sb.join("a"));
    svc(&sb, "u", "a");
    for name in ["a", "b", "c", "d"] {
        wait_up(&sb, name);
    }
    for name in ["a", "b", "c", "d"] {
        svc(&sb, "dx", name);
    }
}

/// X and Y need each other, S needs itself: each warns once, naming the
/// services, waits, and sleeps in poll; Z, unrelated, starts.
#[test]
fn a_cycle_and_a_self_dependency_wait_and_are_warned_about_others_start() {
    let mut sb = Sandbox::new();
    dependent(&sb, "x", "y\n");
    dependent(&sb, "y", "x\n");
    dependent(&sb, "s", "s\n");
    service(&sb, "z", "exec sleep 100");
    let pids: Vec<u32> = ["x", "y", "s", "z"].iter().map(|n| start(&mut sb, n)).collect();
    wait_up(&sb, "z");
    wait_waiting_for(&sb, "x", "[\"y\"]");
    wait_waiting_for(&sb, "y", "[\"x\"]");
    wait_waiting_for(&sb, "s", "[\"s\"]");
    for &pid in &pids[..3] {
        wait_idle(pid);
    }
    assert_eq!(stderr_of(&sb, "x"), "supervise: warning: dependency cycle: x -> y -> x: x waits\n");
    assert_eq!(stderr_of(&sb, "y"), "supervise: warning: dependency cycle: y -> x -> y: y waits\n");
    assert_eq!(stderr_of(&sb, "s"), "supervise: warning: s depends on itself: it waits\n");
    for name in ["x", "y", "s", "z"] {
        svc(&sb, "dx", name);
    }
}

/// A name that does not exist: a warning naming the file and the name;
/// it waits, and starts once that service appears and comes up.
#[test]
fn a_missing_name_is_warned_about_and_waited_for_until_it_appears() {
    let mut sb = Sandbox::new();
    dependent(&sb, "m", "later\n");
    start(&mut sb, "m");
    wait_waiting_for(&sb, "m", "[\"later\"]");
    wait_for("the warning", || !stderr_of(&sb, "m").is_empty());
    assert_eq!(stderr_of(&sb, "m"), "supervise: warning: m/dependencies names later, which does not exist: m waits\n");
    service(&sb, "later", "exec sleep 100");
    start(&mut sb, "later");
    wait_up(&sb, "m");
    svc(&sb, "dx", "m");
    svc(&sb, "dx", "later");
}

/// A `dependencies` file longer than 4096 bytes, or with a path for a
/// name: a warning naming the file; it waits (for nothing it can name, or
/// for the bad line) until the file is fixed.
#[test]
fn a_huge_or_bad_dependencies_file_is_warned_about_and_waits_until_fixed() {
    let mut sb = Sandbox::new();
    dependent(&sb, "h", &"# padding\n".repeat(500));
    dependent(&sb, "p", "../etc\n");
    start(&mut sb, "h");
    start(&mut sb, "p");
    wait_waiting_for(&sb, "h", "[]");
    wait_waiting_for(&sb, "p", "[\"../etc\"]");
    wait_for("the warnings", || !stderr_of(&sb, "h").is_empty() && !stderr_of(&sb, "p").is_empty());
    assert_eq!(stderr_of(&sb, "h"), "supervise: warning: h/dependencies is longer than 4096 bytes: h waits\n");
    assert_eq!(
        stderr_of(&sb, "p"),
        "supervise: warning: p/dependencies: ../etc is not the name of a sibling service: p waits\n"
    );
    fs::write(sb.join("h/dependencies"), "# nothing\n").unwrap();
    fs::write(sb.join("p/dependencies.new"), "").unwrap();
    fs::rename(sb.join("p/dependencies.new"), sb.join("p/dependencies")).unwrap();
    wait_up(&sb, "h");
    wait_up(&sb, "p");
    svc(&sb, "dx", "h");
    svc(&sb, "dx", "p");
}

/// Under svscan, A <- B <- C start (B and C once what they need is up)
/// and, on SIGTERM, stop in reverse order: each `finish` records its name.
#[test]
fn svscan_stops_dependents_before_what_they_depend_on() {
    let mut sb = Sandbox::new();
    for (name, deps) in [("a", ""), ("b", "a\n"), ("c", "b\n")] {
        crate::svscan::service(&sb, name, "exec sleep 100");
        sb.script(&format!("scan/{name}/finish"), &format!("#!/bin/sh\necho {name} >> ../../order\n"));
        if !deps.is_empty() {
            fs::write(sb.join(&format!("scan/{name}/dependencies")), deps).unwrap();
        }
    }
    let svscan = start_svscan_with(&mut sb, "stderr", &[]);
    for name in ["a", "b", "c"] {
        wait_for(&format!("{name} up"), || status_pid(&sb.join(&format!("scan/{name}"))).is_some());
    }
    signal(svscan, libc::SIGTERM);
    assert!(sb.wait_exit(svscan).success());
    assert_eq!(lines(&sb.join("order")), ["c", "b", "a"]);
}

/// A dependency whose `supervise/` is a symlink to a place made only when
/// its supervise starts (the read-only tree's recipe): inotify cannot
/// watch it while it dangles, so the wait looks again until it can; the
/// dependent starts once the dependency is up.
#[test]
fn a_dependency_whose_supervise_is_a_dangling_symlink_is_waited_for() {
    let mut sb = Sandbox::new();
    service(&sb, "a", "exec sleep 100");
    fs::create_dir(sb.join("run")).unwrap();
    std::os::unix::fs::symlink(sb.join("run/a"), sb.join("a/supervise")).unwrap();
    dependent(&sb, "b", "a\n");
    start(&mut sb, "b");
    wait_waiting_for(&sb, "b", "[\"a\"]");
    start(&mut sb, "a");
    wait_up(&sb, "a");
    wait_up(&sb, "b");
    for name in ["a", "b"] {
        svc(&sb, "dx", name);
    }
}
