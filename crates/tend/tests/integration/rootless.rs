//! Issue 10, item 7: svscan and supervise without root (as an ordinary user
//! on a tree that user owns), and on a read-only tree whose `supervise/`
//! directories are symlinks to a writable place (the read-only container).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::util::{
    as_nobody, give_to_nobody, read_status, require, signal, uids, wait_for, wait_for_file_content, wait_for_status,
    wait_supervised, Sandbox, NOBODY,
};

/// A service directory `sb/rel` whose `run` is `body`.
fn service(sb: &Sandbox, rel: &str, body: &str) {
    sb.script(&format!("{rel}/run"), &format!("#!/bin/sh\n{body}\n"));
}

/// The service's pid once it is up (not 0 in its status record).
fn wait_up(dir: &Path) -> u32 {
    wait_for_status(dir, "up", |s| s.pid != 0).pid
}

/// The lines of svscan's stderr in `file` but the one notice that services
/// are stopped by process group, where no cgroup can be made (issue 10,
/// item 1: said once, at start).
fn svscan_said(file: &Path) -> Vec<String> {
    let notice = crate::util::NO_CGROUP_NOTICE;
    let text = fs::read_to_string(file).unwrap();
    let notices = text.lines().filter(|l| l.starts_with("svscan: warning: ") && l.ends_with(notice)).count();
    assert!(notices <= 1, "{text}");
    text.lines().filter(|l| !l.ends_with(notice)).map(String::from).collect()
}

/// Runs `cmd`, which must succeed; its stdout.
fn succeed(mut cmd: Command) -> String {
    let out = cmd.stdin(Stdio::null()).output().expect("spawn");
    assert!(out.status.success(), "{cmd:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// svscan started by nobody on a tree nobody owns: every service and logger
/// runs as nobody, nobody's `svc` stops and starts a service and nobody's
/// `svstat` reads it, SIGTERM stops everything, and nothing is left. No
/// warning on the way (no ownership to change, nothing needs root), but the
/// notice that there are no cgroups.
#[test]
fn svscan_and_supervise_run_as_an_ordinary_user_on_a_tree_it_owns() {
    let mut sb = Sandbox::new();
    fs::set_permissions(sb.path(), fs::Permissions::from_mode(0o755)).unwrap();
    service(&sb, "scan/plain", "exec sleep 1000");
    service(&sb, "scan/logged", "echo hello from $(id -u)\nexec sleep 1000");
    service(&sb, "scan/logged/log", "exec multilog t ./main");
    give_to_nobody(&sb.join("scan"));
    let mut cmd = as_nobody(&sb, sb.bin.join("svscan"));
    cmd.arg("scan").stdin(Stdio::null()).stdout(Stdio::null());
    cmd.stderr(fs::File::create(sb.join("stderr")).unwrap());
    let svscan = sb.spawn(cmd);
    let (plain, logged, log) = (sb.join("scan/plain"), sb.join("scan/logged"), sb.join("scan/logged/log"));
    let first = wait_up(&plain);
    wait_up(&logged);
    wait_up(&log);
    let current = sb.join("scan/logged/log/main/current");
    wait_for_file_content(&current, |c| c.ends_with(format!("hello from {NOBODY}\n").as_bytes()));
    // svscan, 3 supervise, 2 services and multilog, all running for good.
    let seen: Vec<(i32, (u32, u32))> =
        sb.processes().into_iter().filter_map(|pid| uids(pid as u32).map(|ids| (pid, ids))).collect();
    assert!(seen.len() >= 7, "{seen:?}");
    assert!(seen.iter().all(|&(_, ids)| ids == (NOBODY, NOBODY)), "{seen:?}");
    wait_supervised(&plain);
    let as_nobody_in = |program: &str, args: &[&str]| {
        let mut c = as_nobody(&sb, sb.bin.join(program));
        c.args(args);
        c
    };
    succeed(as_nobody_in("svc", &["-d", "scan/plain"]));
    wait_for_status(&plain, "down", |s| s.pid == 0 && s.want == b'd');
    let down = succeed(as_nobody_in("svstat", &["scan/plain"]));
    assert!(down.starts_with("scan/plain: down "), "{down}");
    succeed(as_nobody_in("svc", &["-u", "scan/plain"]));
    let again = wait_for_status(&plain, "up again", |s| s.pid != 0 && s.pid != first).pid;
    let up = succeed(as_nobody_in("svstat", &["scan/plain"]));
    assert!(up.starts_with(&format!("scan/plain: up (pid {again}) ")), "{up}");
    signal(svscan, libc::SIGTERM);
    assert_eq!(sb.wait_exit(svscan).code(), Some(0));
    assert_eq!(sb.processes(), Vec::<i32>::new(), "left behind");
    assert_eq!(read_status(&plain).map(|s| s.pid), Some(0));
    assert_eq!(svscan_said(&sb.join("stderr")), Vec::<String>::new());
}

/// supervise as an ordinary user, with settings files that user may not
/// read (mode 0): each named once with the error, the default applies, and
/// a crash loop does not repeat the warning (item 8).
#[test]
fn unreadable_settings_files_are_named_once_by_an_ordinary_users_supervise() {
    let mut sb = Sandbox::new();
    fs::set_permissions(sb.path(), fs::Permissions::from_mode(0o755)).unwrap();
    service(&sb, "s", "echo start >> starts; exit 1");
    for file in ["clock-step-restart", "timeout-kill"] {
        fs::write(sb.join(&format!("s/{file}")), "1000\n").unwrap();
        fs::set_permissions(sb.join(&format!("s/{file}")), fs::Permissions::from_mode(0o000)).unwrap();
    }
    give_to_nobody(&sb.join("s"));
    let mut cmd = as_nobody(&sb, sb.bin.join("supervise"));
    cmd.arg("s").stdin(Stdio::null()).stdout(Stdio::null());
    cmd.stderr(fs::File::create(sb.join("stderr")).unwrap());
    sb.spawn(cmd);
    let starts = || fs::read_to_string(sb.join("s/starts")).map_or(0, |s| s.lines().count());
    wait_for("3 starts", || starts() >= 3);
    let stderr = fs::read_to_string(sb.join("stderr")).unwrap();
    assert_eq!(
        stderr,
        "supervise: warning: unable to use s/timeout-kill: access denied\n\
         supervise: warning: unable to use s/clock-step-restart: access denied\n"
    );
    fs::write(sb.join("s/supervise/control"), "dx").unwrap();
}

/// A read-only service tree (a read-only bind mount in a mount namespace of
/// its own) whose `supervise/` directories, the logger's too, are dangling
/// symlinks to a writable directory: supervise creates each target (Debian's
/// patch 0002) and everything works, `svc` and `svstat` included (run in
/// the namespace); the service sees its directory read-only. A service
/// without the symlink fails with the clear message, retried no more than
/// once a second, while the others run. SIGTERM leaves nothing.
#[test]
fn a_read_only_tree_works_with_supervise_symlinked_to_a_writable_place() {
    let mut sb = Sandbox::new();
    let state = sb.join("state");
    fs::create_dir(&state).unwrap();
    let probe = "if (: > probe) 2> /dev/null; then echo writable; else echo read-only; fi";
    service(
        &sb,
        "tree/a",
        &format!("{probe} > {0}/a.view.new && mv {0}/a.view.new {0}/a.view\nexec sleep 1000", state.display()),
    );
    service(&sb, "tree/b", "echo hello\nexec sleep 1000");
    service(&sb, "tree/b/log", &format!("exec multilog t {}/b.log", state.display()));
    service(&sb, "tree/c", "exec sleep 1000");
    for (dir, target) in [("a", "a"), ("b", "b"), ("b/log", "b.log.supervise")] {
        std::os::unix::fs::symlink(state.join(target), sb.join(&format!("tree/{dir}/supervise"))).unwrap();
    }
    let unshare = require("unshare", "util-linux");
    let mut cmd = sb.command(&unshare);
    cmd.args([
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        "mount --bind -o ro \"$1\" \"$1\" && exec \"$0\" \"$1\"",
    ]);
    cmd.arg(sb.bin.join("svscan")).arg(sb.join("tree"));
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(fs::File::create(sb.join("stderr")).unwrap());
    let started = Instant::now();
    let svscan = sb.spawn(cmd);
    let (a, b, log) = (sb.join("tree/a"), sb.join("tree/b"), sb.join("tree/b/log"));
    let first = wait_up(&a);
    wait_up(&b);
    wait_up(&log);
    let view = wait_for_file_content(&state.join("a.view"), |c| c.ends_with(b"\n"));
    assert_eq!(view, b"read-only\n");
    wait_for_file_content(&state.join("b.log/current"), |c| c.ends_with(b"hello\n"));
    for made in ["a/status", "b/lock", "b.log.supervise/control"] {
        assert!(state.join(made).exists(), "{made}");
    }
    // The clients, in the namespace, where the tree is read-only.
    let nsenter = require("nsenter", "util-linux");
    let in_namespace = |program: &str, args: &[&str]| {
        let mut c = sb.command(&nsenter);
        // Entering a mount namespace leaves the working directory at its root.
        c.arg(format!("--target={svscan}")).arg("--mount").arg(format!("--wd={}", sb.join("tree").display()));
        c.arg(sb.bin.join(program)).args(args);
        c
    };
    wait_supervised(&a);
    succeed(in_namespace("svc", &["-d", "a"]));
    wait_for_status(&a, "down", |s| s.pid == 0 && s.want == b'd');
    succeed(in_namespace("svc", &["-u", "a"]));
    let again = wait_for_status(&a, "up again", |s| s.pid != 0 && s.pid != first).pid;
    let up = succeed(in_namespace("svstat", &["a"]));
    assert!(up.starts_with(&format!("a: up (pid {again}) ")), "{up}");
    // Without the symlink: the clear message, not a tight loop.
    let refused = "supervise: fatal: unable to create c/supervise: read-only file system";
    let count = || svscan_said(&sb.join("stderr")).iter().filter(|l| *l == refused).count();
    wait_for("c refused twice", || count() >= 2);
    let (refusals, elapsed) = (count(), started.elapsed().as_secs_f64());
    // One start of c's supervise a second at most (then every 5 s).
    assert!(refusals as f64 <= elapsed + 1.0, "{refusals} refusals in {elapsed} s");
    let lines = svscan_said(&sb.join("stderr"));
    assert!(lines.iter().all(|l| l == refused), "{lines:?}");
    signal(svscan, libc::SIGTERM);
    assert_eq!(sb.wait_exit(svscan).code(), Some(0));
    assert_eq!(sb.processes(), Vec::<i32>::new(), "left behind");
    assert!(!a.join("probe").exists() && !sb.join("tree/c/supervise").exists());
}
