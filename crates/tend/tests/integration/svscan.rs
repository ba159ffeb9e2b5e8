//! svscan on real process trees: one supervise per service directory, the
//! log pipe it holds, removal, shutdown, PID 1, and daemontools' messages.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::{
    alive, assert_same, debian_program, idle, read_status, require, runs, signal, wait_exec, wait_for, wait_idle,
    wait_supervised, wait_until, Sandbox, PATIENCE,
};

const LIMIT: Duration = PATIENCE;

/// A service directory `scan/NAME` whose `run` is `body`.
pub(crate) fn service(sb: &Sandbox, name: &str, body: &str) -> PathBuf {
    sb.script(&format!("scan/{name}/run"), &format!("#!/bin/sh\n{body}\n"));
    sb.join(&format!("scan/{name}"))
}

/// Starts our svscan on `sb/scan` with its stderr in `sb/stderr`; returns its pid.
fn start_svscan(sb: &mut Sandbox) -> u32 {
    start_svscan_with(sb, "stderr", &[])
}

/// The same with more environment variables and its stderr in `sb/STDERR`.
pub(crate) fn start_svscan_with(sb: &mut Sandbox, stderr: &str, env: &[(&str, &str)]) -> u32 {
    let mut cmd = sb.tend("svscan");
    cmd.arg("scan").stdin(Stdio::null()).stdout(Stdio::null()).envs(env.iter().copied());
    cmd.stderr(fs::File::create(sb.join(stderr)).expect("stderr file"));
    sb.spawn(cmd)
}

/// Starts our svscan on `sb/scan` as PID 1 of a new PID namespace (`unshare
/// --pid --fork`, in a user namespace so that the test runs without root),
/// its stderr in `sb/stderr`, with the `supervise` of directory `bin` (ours,
/// or daemontools' in /usr/bin); returns the pids of unshare and of svscan.
/// With `mounts` (shell commands, run in the sandbox), svscan gets a mount
/// namespace of its own too, set up by them.
fn start_svscan_as_pid_1(sb: &mut Sandbox, bin: &Path, mounts: &str) -> (u32, u32) {
    let mut cmd = sb.command("unshare");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    cmd.args(["--user", "--map-root-user", "--pid", "--fork"]).env("PATH", path);
    if !mounts.is_empty() {
        let script = format!("{mounts} && exec \"$0\" scan");
        cmd.args(["--mount", "--propagation", "private", "sh", "-c", &script]);
    }
    cmd.arg(sb.bin.join("svscan"));
    if mounts.is_empty() {
        cmd.arg("scan");
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(fs::File::create(sb.join("stderr")).unwrap());
    let unshare = sb.spawn(cmd);
    assert!(wait_until(LIMIT, || children(unshare).len() == 1), "unshare --pid --fork did not start svscan");
    let svscan = children(unshare)[0].0;
    wait_exec(svscan, "svscan");
    (unshare, svscan)
}

/// (pid, argv, cwd) of every child of `parent` that is not a zombie.
pub(crate) fn children(parent: u32) -> Vec<(u32, Vec<Vec<u8>>, PathBuf)> {
    let mut out = Vec::new();
    for e in fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        let Some(after) = stat.rfind(')') else { continue };
        let mut fields = stat[after + 2..].split(' ');
        let state = fields.next().unwrap_or("");
        let ppid: u32 = fields.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        if ppid != parent || state == "Z" {
            continue;
        }
        let argv = crate::util::argv(pid);
        let cwd = fs::read_link(format!("/proc/{pid}/cwd")).unwrap_or_default();
        out.push((pid, argv, cwd));
    }
    out
}

/// The argv of svscan's children, sorted.
fn supervise_argvs(svscan: u32) -> Vec<Vec<Vec<u8>>> {
    let mut v: Vec<_> = children(svscan).into_iter().map(|c| c.1).collect();
    v.sort();
    v
}

fn argv(words: &[&[u8]]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.to_vec()).collect()
}

/// The pid in `dir/supervise/status` (bytes 12..16, little-endian), if it holds one.
pub(crate) fn status_pid(dir: &Path) -> Option<u32> {
    read_status(dir).map(|s| s.pid).filter(|&pid| pid != 0)
}

pub(crate) fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path).unwrap_or_default().lines().map(String::from).collect()
}

fn context_switches(pid: u32) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .filter(|l| l.contains("ctxt_switches"))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum()
}

/// Asserts that `count` attempts since `since` (each one a retry of the
/// previous, which failed at once) kept to the back-off schedule: retries
/// 1, 2, 4, then 5 seconds apart. Load only delays attempts, so the bound
/// holds on any machine; a retry every second breaks it.
#[track_caller]
fn assert_backed_off(count: usize, since: Instant, detail: &[String]) {
    let elapsed = since.elapsed().as_secs_f64();
    let mut at = 0.0;
    let mut allowed = 0;
    for gap in [1.0, 2.0, 4.0].into_iter().chain(std::iter::repeat(5.0)) {
        if at > elapsed {
            break;
        }
        allowed += 1;
        at += gap;
    }
    assert!(count <= allowed, "{count} attempts in {elapsed:.1} s (at most {allowed}): {detail:?}");
}

#[test]
fn one_supervise_per_directory_log_in_its_service_dir_dot_names_and_files_skipped() {
    let mut sb = Sandbox::new();
    service(&sb, "a", "exec sleep 1000");
    service(&sb, "b", "exec sleep 1000");
    sb.script("scan/b/log/run", "#!/bin/sh\nexec cat > /dev/null\n");
    service(&sb, ".hidden", "exec sleep 1000");
    fs::write(sb.join("scan/plainfile"), "x").unwrap();
    let svscan = start_svscan(&mut sb);
    // The logger's supervise is `supervise b/log` (daemontools': `supervise
    // log` run in b), so that its messages and `ps` name the service.
    let want = vec![argv(&[b"supervise", b"a"]), argv(&[b"supervise", b"b"]), argv(&[b"supervise", b"b/log"])];
    assert!(wait_until(LIMIT, || supervise_argvs(svscan) == want), "{:?}", supervise_argvs(svscan));
    // supervise changes to its argument (waited for: the argv shows before
    // supervise's chdir).
    let log_dir = sb.join("scan/b/log").canonicalize().unwrap();
    let log_cwd = || children(svscan).into_iter().find(|c| c.1[1] == b"b/log").map(|c| c.2);
    assert!(wait_until(LIMIT, || log_cwd().as_ref() == Some(&log_dir)), "{:?}", log_cwd());
    assert!(wait_until(LIMIT, || status_pid(&sb.join("scan/a")).is_some()));
    assert!(!sb.join("scan/.hidden/supervise").exists());

    // daemontools' svscan on a copy of the tree starts the same processes.
    for (from, to) in [("scan/a/run", "theirs/a/run"), ("scan/b/run", "theirs/b/run")] {
        sb.script(to, &fs::read_to_string(sb.join(from)).unwrap());
    }
    sb.script("theirs/b/log/run", "#!/bin/sh\nexec cat > /dev/null\n");
    sb.script("theirs/.hidden/run", "#!/bin/sh\nexec sleep 1000\n");
    fs::write(sb.join("theirs/plainfile"), "x").unwrap();
    let mut cmd = sb.debian("svscan");
    cmd.arg("theirs").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let debian = sb.spawn(cmd);
    let want = vec![argv(&[b"supervise", b"a"]), argv(&[b"supervise", b"b"]), argv(&[b"supervise", b"log"])];
    assert!(wait_until(LIMIT, || supervise_argvs(debian) == want), "{:?}", supervise_argvs(debian));
}

#[test]
fn a_directory_moved_in_is_started_without_a_signal() {
    let mut sb = Sandbox::new();
    fs::create_dir(sb.join("scan")).unwrap();
    let svscan = start_svscan(&mut sb);
    sb.script("new/run", "#!/bin/sh\nexec sleep 1000\n");
    sb.script("new/log/run", "#!/bin/sh\nexec cat > /dev/null\n");
    // svscan has scanned the empty directory and sleeps: only a change wakes it.
    wait_idle(svscan);
    fs::rename(sb.join("new"), sb.join("scan/new")).unwrap();
    assert!(wait_until(LIMIT, || status_pid(&sb.join("scan/new")).is_some()));
    assert!(wait_until(LIMIT, || status_pid(&sb.join("scan/new/log")).is_some()));
    assert_eq!(supervise_argvs(svscan), [argv(&[b"supervise", b"new"]), argv(&[b"supervise", b"new/log"])]);
}

#[test]
fn the_log_pipe_outlives_restarts_of_the_logger_and_the_service() {
    let mut sb = Sandbox::new();
    // Each start prints 100 numbered lines, counting runs in a file, then idles.
    let b = service(
        &sb,
        "b",
        "r=$(($(cat runs 2>/dev/null || echo 0) + 1)); echo $r > runs\n\
         i=1; while [ $i -le 100 ]; do echo \"$r.$i\"; i=$((i + 1)); done\nexec sleep 1000",
    );
    sb.script("scan/b/log/run", "#!/bin/sh\nexec cat >> ../got\n");
    let svscan = start_svscan(&mut sb);
    let got = b.join("got");
    assert!(wait_until(LIMIT, || lines(&got).len() == 100));
    // A service may write before its supervise records its pid.
    assert!(wait_until(LIMIT, || status_pid(&b).is_some() && status_pid(&b.join("log")).is_some()));

    // Stop the logger, then restart the service: its output waits in the pipe.
    let logger = status_pid(&b.join("log")).expect("logger pid");
    sb.command("svc").args(["-d", "scan/b/log"]).status().unwrap();
    assert!(wait_until(LIMIT, || status_pid(&b.join("log")).is_none() && !alive(logger)));
    let first = status_pid(&b).expect("service pid");
    sb.command("svc").args(["-t", "scan/b"]).status().unwrap();
    assert!(wait_until(LIMIT, || status_pid(&b).is_some_and(|p| p != first)));
    assert!(wait_until(LIMIT, || fs::read_to_string(b.join("runs")).is_ok_and(|r| r.trim() == "2")));
    assert_eq!(lines(&got).len(), 100, "no logger runs, so nothing is written");

    // Start the logger again: it reads what waited in the pipe.
    sb.command("svc").args(["-u", "scan/b/log"]).status().unwrap();
    assert!(wait_until(LIMIT, || lines(&got).len() == 200));
    let expected: Vec<String> = (1..=2).flat_map(|r| (1..=100).map(move |i| format!("{r}.{i}"))).collect();
    assert_eq!(lines(&got), expected);
    assert_eq!(supervise_argvs(svscan).len(), 2);
}

#[test]
fn a_dead_supervise_is_started_again() {
    let mut sb = Sandbox::new();
    let a = service(&sb, "a", "exec sleep 1000");
    fs::write(a.join("down"), "").unwrap();
    let svscan = start_svscan(&mut sb);
    assert!(wait_until(LIMIT, || children(svscan).len() == 1));
    let first = children(svscan)[0].0;
    wait_supervised(&a);
    signal(first, libc::SIGKILL);
    // A new child, once it has called exec (a fork runs svscan until then).
    assert!(wait_until(LIMIT, || children(svscan).first().is_some_and(|c| c.0 != first && runs(c.0, "supervise"))));
    assert_eq!(supervise_argvs(svscan), [argv(&[b"supervise", b"a"])]);
}

#[test]
fn a_removed_directory_has_its_service_stopped_and_its_supervise_exit() {
    let mut sb = Sandbox::new();
    let a = service(&sb, "a", "exec sleep 1000");
    let b = service(&sb, "b", "exec sleep 1000");
    sb.script("scan/b/log/run", "#!/bin/sh\nexec cat > /dev/null\n");
    service(&sb, "c", "exec sleep 1000");
    let svscan = start_svscan(&mut sb);
    assert!(wait_until(LIMIT, || children(svscan).len() == 4));
    let pids: Vec<u32> = [&a, &b, &b.join("log")]
        .iter()
        .map(|d| {
            assert!(wait_until(LIMIT, || status_pid(d).is_some()));
            status_pid(d).unwrap()
        })
        .collect();
    // supervise may be writing supervise/stat.new or pid.new while the tree
    // goes, which fails a removal with "directory not empty"; retry, as a
    // second `rm -rf` would.
    for dir in [&a, &b] {
        assert!(wait_until(LIMIT, || fs::remove_dir_all(dir).is_ok() || !dir.exists()), "cannot remove {dir:?}");
    }
    assert!(wait_until(LIMIT, || pids.iter().all(|&p| !alive(p))), "services still running");
    assert!(wait_until(LIMIT, || supervise_argvs(svscan) == [argv(&[b"supervise", b"c"])]));
}

#[test]
fn a_renamed_directory_keeps_its_service_and_two_symlinks_make_one_service() {
    let mut sb = Sandbox::new();
    let a = service(&sb, "a", "exec sleep 1000");
    sb.script("real/x/run", "#!/bin/sh\nexec sleep 1000\n");
    std::os::unix::fs::symlink("../real/x", sb.join("scan/x1")).unwrap();
    std::os::unix::fs::symlink("../real/x", sb.join("scan/x2")).unwrap();
    let svscan = start_svscan(&mut sb);
    assert!(wait_until(LIMIT, || children(svscan).len() == 2));
    assert!(wait_until(LIMIT, || status_pid(&a).is_some() && status_pid(&sb.join("real/x")).is_some()));
    let before = (status_pid(&a), children(svscan).iter().map(|c| c.0).collect::<Vec<_>>());

    fs::rename(&a, sb.join("scan/renamed")).unwrap();
    let c = service(&sb, "c", "exec sleep 1000");
    signal(svscan, libc::SIGALRM);
    assert!(wait_until(LIMIT, || status_pid(&c).is_some()), "the rescan did not happen");
    let mut after = children(svscan).iter().map(|c| c.0).collect::<Vec<_>>();
    assert_eq!(after.len(), 3);
    after.retain(|p| before.1.contains(p));
    assert_eq!(after.len(), 2, "the renamed service's supervise was replaced");
    assert_eq!(status_pid(&sb.join("scan/renamed")), before.0);
}

#[test]
fn sigterm_stops_every_service_and_the_logger_writes_the_last_lines() {
    let mut sb = Sandbox::new();
    let b = service(&sb, "b", "trap 'echo goodbye; exit 0' TERM\necho hello\nwhile :; do sleep 0.05; done");
    sb.script("scan/b/log/run", "#!/bin/sh\nexec cat >> ../got\n");
    let c = service(&sb, "c", "exec sleep 1000");
    let svscan = start_svscan(&mut sb);
    assert!(wait_until(LIMIT, || lines(&b.join("got")) == ["hello"]));
    // The service may print before its supervise records its pid.
    for dir in [&b, &b.join("log"), &c] {
        assert!(wait_until(LIMIT, || status_pid(dir).is_some()), "{dir:?} not up");
    }
    assert!(
        wait_until(LIMIT, || children(svscan).len() == 3 && children(svscan).iter().all(|c| runs(c.0, "supervise")))
    );
    let mut pids: Vec<u32> = children(svscan).iter().map(|c| c.0).collect();
    pids.extend([status_pid(&b).unwrap(), status_pid(&b.join("log")).unwrap(), status_pid(&c).unwrap()]);
    signal(svscan, libc::SIGTERM);
    assert_eq!(sb.wait_exit(svscan).code(), Some(0));
    assert_eq!(lines(&b.join("got")), ["hello", "goodbye"]);
    assert!(pids.iter().all(|&p| !alive(p)), "a supervise or service outlived svscan");
    assert_eq!(fs::read(sb.join("stderr")).unwrap(), b"");
}

#[test]
fn names_with_spaces_newlines_and_non_utf8_bytes() {
    let mut sb = Sandbox::new();
    let names: [&[u8]; 3] = [b"with space", b"new\nline", b"bytes\xff\xfe"];
    for n in names {
        let dir = sb.join("scan").join(OsStr::from_bytes(n));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("run"), "#!/bin/sh\nexec sleep 1000\n").unwrap();
        fs::set_permissions(dir.join("run"), fs::Permissions::from_mode(0o755)).unwrap();
    }
    let svscan = start_svscan(&mut sb);
    let mut want: Vec<_> = names.iter().map(|n| argv(&[b"supervise", n])).collect();
    want.sort();
    assert!(wait_until(LIMIT, || supervise_argvs(svscan) == want), "{:?}", supervise_argvs(svscan));
    for n in names {
        let dir = sb.join("scan").join(OsStr::from_bytes(n));
        assert!(wait_until(LIMIT, || status_pid(&dir).is_some()), "{:?} not up", String::from_utf8_lossy(n));
    }
}

#[test]
fn more_than_1000_services_get_daemontools_warning() {
    let mut sb = Sandbox::new();
    for i in 0..1001 {
        let dir = sb.join(&format!("scan/s{i}"));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("down"), "").unwrap();
    }
    let svscan = start_svscan(&mut sb);
    let warned = || {
        let err = fs::read_to_string(sb.join("stderr")).unwrap_or_default();
        err.lines().filter(|l| l.ends_with(": running too many services")).map(String::from).collect::<Vec<_>>()
    };
    assert!(wait_until(PATIENCE, || warned().len() == 1));
    let line = &warned()[0];
    let name = line.strip_prefix("svscan: warning: unable to start ").unwrap().split(':').next().unwrap();
    assert!(sb.join("scan").join(name).is_dir(), "{line}");
    assert!(wait_until(PATIENCE, || children(svscan).len() == 1000));
}

#[test]
fn symlink_loops_and_dangling_links_warn_like_daemontools() {
    let mut sb = Sandbox::new();
    // Each scanner gets its own tree: daemontools' supervises `self` (the
    // scan directory itself), whose supervise then creates `supervise/` in it.
    for dir in ["scan", "theirs-scan"] {
        fs::create_dir(sb.join(dir)).unwrap();
        std::os::unix::fs::symlink("loop", sb.join(dir).join("loop")).unwrap();
        // A link back to the scan directory is not a service (for tend).
        std::os::unix::fs::symlink(".", sb.join(dir).join("self")).unwrap();
    }
    let ours = start_svscan(&mut sb);
    let mut theirs = sb.debian("svscan");
    theirs.arg("theirs-scan").stdin(Stdio::null()).stdout(Stdio::null());
    theirs.stderr(fs::File::create(sb.join("theirs")).unwrap());
    sb.spawn(theirs);
    let warning: &[u8] = b"svscan: warning: unable to stat loop: symbolic link loop\n";
    let lines = |f: &str| -> Vec<Vec<u8>> {
        fs::read(sb.join(f)).unwrap_or_default().split_inclusive(|&b| b == b'\n').map(<[u8]>::to_vec).collect()
    };
    assert!(wait_until(LIMIT, || lines("stderr").iter().any(|l| l == warning)), "ours: {:?}", lines("stderr"));
    assert!(wait_until(LIMIT, || lines("theirs").iter().any(|l| l == warning)), "theirs: {:?}", lines("theirs"));
    // Ours says nothing else (daemontools' also fails on `self` every second).
    assert!(lines("stderr").iter().all(|l| l == warning), "{:?}", lines("stderr"));
    let kids = children(ours);
    assert!(kids.is_empty(), "svscan started {kids:?}");
}

#[test]
fn an_unusable_directory_gives_daemontools_fatal_message() {
    let sb = Sandbox::new();
    let ours = sb.tend("svscan").arg("/nonexistent/dir").output().unwrap();
    let theirs = sb.debian("svscan").arg("/nonexistent/dir").output().unwrap();
    assert_eq!(ours.status.code(), Some(111));
    assert_eq!(ours.status.code(), theirs.status.code());
    assert_same("stderr", &ours.stderr, &theirs.stderr);
}

#[test]
fn an_idle_tree_does_not_wake_svscan() {
    let mut sb = Sandbox::new();
    for n in ["a", "b", "c"] {
        service(&sb, n, "exec sleep 1000");
    }
    sb.script("scan/a/log/run", "#!/bin/sh\nexec cat > /dev/null\n");
    let svscan = start_svscan(&mut sb);
    assert!(wait_until(LIMIT, || ["a", "b", "c", "a/log"]
        .iter()
        .all(|n| status_pid(&sb.join(&format!("scan/{n}"))).is_some())));
    // Once it has done all it had to, svscan sleeps without a timeout...
    wait_idle(svscan);
    let before = context_switches(svscan);
    // ...and nothing wakes it: not a single switch in two seconds.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(context_switches(svscan), before, "svscan woke up in an idle tree");
    assert!(idle(svscan));
}

#[test]
fn stray_signals_do_not_kill_svscan_and_sighup_rescans() {
    let mut sb = Sandbox::new();
    service(&sb, "a", "exec sleep 1000");
    let svscan = start_svscan(&mut sb);
    assert!(wait_until(LIMIT, || children(svscan).len() == 1));
    for sig in [libc::SIGUSR1, libc::SIGUSR2, libc::SIGQUIT, libc::SIGPIPE] {
        signal(svscan, sig);
    }
    let b = service(&sb, "b", "exec sleep 1000");
    signal(svscan, libc::SIGHUP);
    assert!(wait_until(LIMIT, || status_pid(&b).is_some()));
    assert!(alive(svscan));
}

#[test]
fn as_pid_1_it_reaps_orphans_and_shuts_down_on_sigterm() {
    let mut sb = Sandbox::new();
    // Orphans of a service go to the nearest subreaper or PID 1; with
    // daemontools' supervise (no subreaper) they come to svscan. A user
    // namespace lets the test run without root.
    // Each orphan writes its pid (as the machine sees it: /proc is the
    // machine's) before it sleeps.
    let orphan = "sh -c 'sh -c \"read pid rest < /proc/self/stat; echo \\$pid >> ../../orphans; exec sleep 0.2\" &'";
    let a = service(&sb, "a", &format!("{orphan}\n{orphan}\nexec sleep 1000"));
    let (unshare, svscan) = start_svscan_as_pid_1(&mut sb, Path::new("/usr/bin"), "");
    let ns_pid = fs::read_to_string(format!("/proc/{svscan}/status")).unwrap();
    assert!(ns_pid.lines().any(|l| l.starts_with("NSpid:") && l.trim_end().ends_with("\t1")), "{ns_pid}");
    assert!(wait_until(LIMIT, || status_pid(&a).is_some()));
    let zombies = || {
        fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| fs::read_to_string(e.path().join("stat")).ok())
            .filter(|s| s.rfind(')').is_some_and(|i| s[i + 2..].starts_with('Z')))
            .filter(|s| s.rfind(')').is_some_and(|i| s[i + 4..].split(' ').next() == Some(&svscan.to_string())))
            .count()
    };
    // The orphans are svscan's children for a moment; then they are reaped.
    let orphans = || lines(&sb.join("orphans"));
    assert!(wait_until(LIMIT, || orphans().len() == 2), "{:?}", orphans());
    let gone = |pid: &String| !Path::new(&format!("/proc/{pid}")).exists();
    assert!(wait_until(LIMIT, || orphans().iter().all(gone) && zombies() == 0), "{:?}", orphans());
    for sig in [libc::SIGUSR1, libc::SIGQUIT] {
        signal(svscan, sig);
    }
    signal(svscan, libc::SIGTERM);
    assert_eq!(sb.wait_exit(unshare).code(), Some(0));
    // supervise recorded the stop: the service was stopped, not killed with the namespace.
    assert_eq!(status_pid(&a), None);
    // At most the one line saying that no cgroup can be made in the user namespace.
    let stderr = fs::read_to_string(sb.join("stderr")).unwrap();
    let notice = crate::util::NO_CGROUP_NOTICE;
    assert!(stderr.lines().count() <= 1 && stderr.lines().all(|l| l.ends_with(notice)), "{stderr}");
}

#[test]
fn sigint_and_sigpwr_shut_down_like_sigterm() {
    for sig in [libc::SIGINT, libc::SIGPWR] {
        let mut sb = Sandbox::new();
        let a = service(&sb, "a", "exec sleep 1000");
        let svscan = start_svscan(&mut sb);
        assert!(wait_until(LIMIT, || status_pid(&a).is_some()));
        let service_pid = status_pid(&a).unwrap();
        signal(svscan, sig);
        assert_eq!(sb.wait_exit(svscan).code(), Some(0), "signal {sig}");
        assert!(!alive(service_pid), "signal {sig}");
    }
}

#[test]
fn logged_services_beyond_the_open_files_limit_start_and_services_keep_that_limit() {
    let mut sb = Sandbox::new();
    // 150 logged services need 300 pipe ends, more than a limit of 256.
    for i in 0..150 {
        service(&sb, &format!("s{i}"), "ulimit -n > nofile\nexec sleep 1000");
        sb.script(&format!("scan/s{i}/log/run"), "#!/bin/sh\nexec cat > /dev/null\n");
    }
    let mut cmd = sb.command("sh");
    cmd.args(["-c", "ulimit -S -n 256 && exec svscan scan"]).stdin(Stdio::null()).stdout(Stdio::null());
    cmd.stderr(fs::File::create(sb.join("stderr")).unwrap());
    let sh = sb.spawn(cmd);
    assert!(wait_until(PATIENCE, || children(sh).len() == 300), "{}", children(sh).len());
    for i in 0..150 {
        let nofile = sb.join(&format!("scan/s{i}/nofile"));
        assert!(wait_until(LIMIT, || lines(&nofile) == ["256"]), "s{i}: {:?}", lines(&nofile));
    }
    assert_eq!(fs::read_to_string(sb.join("stderr")).unwrap(), "");
}

/// Broken entries of every kind: svscan warns about them as daemontools does,
/// sleeps while nothing changes, and a supervise that exits at once every
/// time (`log` is a file) is restarted ever later (1, 2, 4, then every 5
/// seconds, daemontools' scan period), not every second.
#[test]
fn broken_entries_cost_no_more_wakeups_than_under_daemontools() {
    let mut sb = Sandbox::new();
    fs::create_dir(sb.join("scan")).unwrap();
    for (link, target) in [("dangling", "/nonexistent"), ("loop", "loop"), ("self", "."), ("up", "../scan")] {
        std::os::unix::fs::symlink(target, sb.join("scan").join(link)).unwrap();
    }
    fs::write(sb.join("scan/file"), b"x").unwrap();
    let fifo = std::ffi::CString::new(sb.join("scan/fifo").as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    fs::create_dir(sb.join("scan/.hidden")).unwrap();
    service(&sb, "ok", "exec sleep 1000");
    let svscan = start_svscan(&mut sb);
    assert!(wait_until(LIMIT, || status_pid(&sb.join("scan/ok")).is_some()));
    let warned = || lines(&sb.join("stderr"));
    assert!(wait_until(LIMIT, || warned().len() == 2), "{:?}", warned());
    let mut expected = ["unable to stat dangling: file does not exist", "unable to stat loop: symbolic link loop"]
        .map(|w| format!("svscan: warning: {w}"));
    let mut got = warned();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    wait_idle(svscan);
    let before = context_switches(svscan);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(context_switches(svscan), before, "svscan woke up with only broken entries changing nothing");
    assert_eq!(supervise_argvs(svscan), [argv(&[b"supervise", b"ok"])]);

    // A logged service whose log is a file: daemontools' supervise fails at once, every time.
    // (Built aside and moved in whole: svscan checks for log when it first sees the directory.)
    sb.script("aside/logfile/run", "#!/bin/sh\nexec sleep 1000\n");
    fs::write(sb.join("aside/logfile/log"), b"not a directory").unwrap();
    let moved_in = Instant::now();
    fs::rename(sb.join("aside/logfile"), sb.join("scan/logfile")).unwrap();
    let failures = || {
        warned().iter().filter(|l| *l == "supervise: fatal: unable to chdir to logfile/log: not a directory").count()
    };
    // Restarts 1, 3 and 7 seconds after the first failure (a restart every
    // second would give 4 failures after 3 seconds).
    wait_for("four failures", || failures() >= 4);
    assert_backed_off(failures(), moved_in, &warned());
}

/// A scan directory svscan may enter but not list: daemontools' warning, and
/// retries that back off to daemontools' five seconds instead of one a second.
#[test]
fn an_unlistable_directory_is_retried_ever_later_with_daemontools_warning() {
    let mut sb = Sandbox::new();
    fs::set_permissions(sb.path(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::create_dir(sb.join("scan")).unwrap();
    fs::set_permissions(sb.join("scan"), fs::Permissions::from_mode(0o711)).unwrap();
    // As nobody, since root may list anything.
    let as_nobody = |sb: &Sandbox, program: &OsStr| {
        let mut c = crate::util::as_nobody(sb, program);
        c.arg("scan").stdin(Stdio::null()).stdout(Stdio::null());
        c
    };
    let mut ours = as_nobody(&sb, sb.tend("svscan").get_program());
    ours.stderr(fs::File::create(sb.join("stderr")).unwrap());
    let started = Instant::now();
    sb.spawn(ours);
    let mut theirs = as_nobody(&sb, require("/usr/bin/svscan", "daemontools").as_os_str());
    theirs.stderr(fs::File::create(sb.join("theirs")).unwrap());
    sb.spawn(theirs);
    let warning = "svscan: warning: unable to read directory: access denied";
    let count = |file: &str| lines(&sb.join(file)).iter().filter(|l| *l == warning).count();
    assert!(wait_until(LIMIT, || count("stderr") >= 1 && count("theirs") >= 1), "{:?}", lines(&sb.join("stderr")));
    // Retries 1, 3 and 7 seconds after the first (one a second would give 4
    // warnings after 3 seconds; daemontools gives one every 5 seconds).
    wait_for("four warnings", || count("stderr") >= 4);
    assert_backed_off(count("stderr"), started, &lines(&sb.join("stderr")));
}

/// Signals svscan was started with ignored (`trap '' ...`, a background job's
/// SIGINT and SIGQUIT) are ignored in the supervise processes, as under
/// daemontools, although svscan itself takes SIGINT, SIGHUP and the rest.
#[test]
fn supervise_inherits_the_signals_svscan_was_started_with_ignored() {
    let mut sb = Sandbox::new();
    let mut pids = Vec::new();
    for (scan, svscan, path) in [
        ("scan", sb.tend("svscan").get_program().to_owned(), None),
        ("theirs", debian_program("svscan").into_os_string(), Some("/usr/bin:/bin")),
    ] {
        sb.script(&format!("{scan}/a/run"), "#!/bin/sh\nexec sleep 1000\n");
        let mut c = sb.command("/bin/sh");
        c.args(["-c", "trap '' PIPE HUP USR1 INT QUIT; exec \"$@\"", "sh"]).arg(svscan).arg(scan);
        if let Some(path) = path {
            c.env("PATH", path);
        }
        c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        pids.push(sb.spawn(c));
    }
    let ignored = |pid: u32| {
        let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status.lines().find_map(|l| l.strip_prefix("SigIgn:\t").map(str::to_string))
    };
    // A forked child has svscan's dispositions until it calls exec.
    let supervise = |svscan: u32| children(svscan).first().map(|c| c.0).filter(|&p| runs(p, "supervise"));
    assert!(wait_until(LIMIT, || pids.iter().all(|&p| supervise(p).is_some())));
    let (ours, theirs) = (ignored(supervise(pids[0]).unwrap()), ignored(supervise(pids[1]).unwrap()));
    assert_eq!(ours, theirs);
    let mask = u64::from_str_radix(&ours.unwrap(), 16).unwrap();
    for sig in [libc::SIGPIPE, libc::SIGHUP, libc::SIGUSR1, libc::SIGINT, libc::SIGQUIT] {
        assert_ne!(mask & 1 << (sig - 1), 0, "signal {sig} not ignored");
    }
    // Our svscan still runs and starts new services.
    service(&sb, "b", "exec sleep 1000");
    signal(pids[0], libc::SIGHUP);
    assert!(wait_until(LIMIT, || children(pids[0]).len() == 2));
}

/// A warning about an entry (a dangling symlink) is printed once, also while
/// another entry makes svscan scan again and again (a logger's supervise
/// that fails at once, restarted 1, 2, 4... seconds later, after a scan).
/// Its failures name the service: `supervise NAME/log` runs the logger.
#[test]
fn a_dangling_symlink_is_warned_once_while_another_entry_crash_loops() {
    let mut sb = Sandbox::new();
    service(&sb, "broken", "exec sleep 1000");
    fs::write(sb.join("scan/broken/log"), b"not a directory").unwrap();
    std::os::unix::fs::symlink("/nonexistent", sb.join("scan/dangling")).unwrap();
    start_svscan(&mut sb);
    let count = |line: &str| lines(&sb.join("stderr")).iter().filter(|l| *l == line).count();
    let failure = "supervise: fatal: unable to chdir to broken/log: not a directory";
    // Three failures: two more scans after the first.
    assert!(wait_until(LIMIT, || count(failure) >= 3), "{:?}", lines(&sb.join("stderr")));
    assert_eq!(count("svscan: warning: unable to stat dangling: file does not exist"), 1);
}

/// Out of descriptors (a hard limit of 64 and 40 logged services, two pipe
/// ends each): each service that cannot be started is named once, however
/// often it is retried, one summary says how many and what to do, and a
/// service is started by a retry once descriptors are free again.
#[test]
fn out_of_descriptors_each_service_is_named_once_and_a_summary_gives_the_fix() {
    let mut sb = Sandbox::new();
    let names: Vec<String> = (0..40).map(|i| format!("s{i:02}")).collect();
    for name in &names {
        let dir = sb.join(&format!("scan/{name}"));
        fs::create_dir_all(dir.join("log")).unwrap();
        fs::write(dir.join("down"), "").unwrap();
        fs::write(dir.join("log/down"), "").unwrap();
    }
    let mut cmd = sb.command(require("prlimit", "util-linux"));
    cmd.args(["--nofile=64:64", "svscan", "scan"]).stdin(Stdio::null()).stdout(Stdio::null());
    cmd.stderr(fs::File::create(sb.join("stderr")).unwrap());
    sb.spawn(cmd);
    let warned = || lines(&sb.join("stderr"));
    let is_summary = |l: &String| l.contains(" could not be started: ");
    assert!(wait_until(LIMIT, || warned().iter().any(is_summary)), "{:?}", warned());
    let failed = || -> Vec<String> {
        let pipe = |l: &String| {
            let rest = l.strip_prefix("svscan: warning: unable to create pipe for ")?;
            Some(rest.strip_suffix(": process cannot open more files")?.to_string())
        };
        warned().iter().filter_map(pipe).collect()
    };
    let first = failed();
    assert!(!first.is_empty() && first.len() < names.len(), "{first:?}");
    let summary = format!(
        "svscan: warning: {} services could not be started: process cannot open more files; svscan may open 64 \
         files and holds 2 per logged service: raise its hard limit (ulimit -Hn) before starting it; svscan keeps retrying",
        first.len()
    );
    // Free the descriptors of a running service (once both its supervise
    // processes have entered it): a retry starts a failed one.
    let running = names.iter().find(|n| !first.contains(n)).unwrap();
    let up = |sub: &str| sb.join(&format!("scan/{running}/{sub}supervise/status")).exists();
    assert!(wait_until(LIMIT, || up("") && up("log/")), "{running} not up");
    fs::rename(sb.join(&format!("scan/{running}")), sb.join("removed")).unwrap();
    let started = || first.iter().any(|n| sb.join(&format!("scan/{n}/supervise/status")).exists());
    assert!(wait_until(LIMIT, started), "{:?}", warned());
    // Every failed service was retried at least once (they failed together
    // and are retried together); none was named again.
    assert_eq!(failed(), first);
    let rest: Vec<String> = warned().into_iter().filter(|l| !l.contains("unable to create pipe for ")).collect();
    assert_eq!(rest, [summary]);
}

/// How the tree of [`essential_end_in_a_namespace`] is laid out.
#[derive(PartialEq)]
enum Tree {
    Writable,
    /// doc/containers.md's recipe: the scan directory is read-only (a
    /// read-only bind mount in svscan's mount namespace) and each
    /// `supervise` is a dangling symlink into a writable `run/`.
    ReadOnly,
}

/// An essential service (`vital`, with an `essential` file) that ends by
/// itself, with a normal service (`other`, which ignores nothing) beside it:
/// svscan, as PID 1 of its namespace, stops every service in order and exits
/// with `vital`'s code. `end` makes vital end, given its pid.
fn essential_end_in_a_namespace(end: impl FnOnce(u32), code: i32, tree: Tree) {
    let mut sb = Sandbox::new();
    // Each service writes its pid as the machine sees it (/proc is the
    // machine's; the status file has the namespace's). vital's shell waits
    // for its child, so that SIGUSR1 makes it exit 3 at once.
    let host_pid = |name: &str| format!("read pid rest < /proc/self/stat; echo $pid > ../../{name}.pid");
    // The trap is set before the pid is told: a SIGUSR1 sent as soon as the
    // pid file holds the pid finds it.
    let vital =
        service(&sb, "vital", &format!("trap 'kill $!; exit 3' USR1\n{}\nsleep 1000 & wait", host_pid("vital")));
    fs::write(vital.join("essential"), b"whatever is here is ignored\n").unwrap();
    let other = service(&sb, "other", &format!("{}\nexec sleep 1000", host_pid("other")));
    let mut mounts = "";
    if tree == Tree::ReadOnly {
        fs::create_dir(sb.join("run")).unwrap();
        for name in ["vital", "other"] {
            let target = format!("../../run/{name}");
            std::os::unix::fs::symlink(target, sb.join(&format!("scan/{name}/supervise"))).unwrap();
        }
        mounts = "mount --bind -o ro scan scan";
    }
    let ours = sb.bin.clone();
    let (unshare, _) = start_svscan_as_pid_1(&mut sb, &ours, mounts);
    let pid_of = |name: &str| lines(&sb.join(&format!("{name}.pid"))).first().and_then(|l| l.parse::<u32>().ok());
    assert!(wait_until(LIMIT, || pid_of("vital").is_some() && pid_of("other").is_some()));
    let (vital_pid, other_pid) = (pid_of("vital").unwrap(), pid_of("other").unwrap());
    end(vital_pid);
    assert_eq!(sb.wait_exit(unshare).code(), Some(code));
    // supervise recorded the stop of `other`: stopped, not killed with the namespace.
    assert_eq!(status_pid(&other), None);
    assert!(!alive(vital_pid) && !alive(other_pid));
    assert_eq!(sb.processes(), Vec::<i32>::new(), "left behind");
    assert!(!vital.join("supervise/essential-exit").exists(), "svscan removes the file it read");
    let stderr = fs::read_to_string(sb.join("stderr")).unwrap();
    let said = format!("svscan: warning: essential service vital exited with code {code}: stopping every service");
    assert!(stderr.contains(&said), "{stderr}");
}

#[test]
fn an_essential_service_that_exits_ends_the_tree_with_its_code() {
    essential_end_in_a_namespace(|pid| signal(pid, libc::SIGUSR1), 3, Tree::Writable);
}

/// doc/containers.md's recipe without Docker: svscan as PID 1, the service
/// tree read-only with `supervise/` symlinked to a writable place, an
/// essential service that exits 3: the "container" exits 3, nothing left.
#[test]
fn the_container_recipe_exits_with_the_essential_services_code() {
    essential_end_in_a_namespace(|pid| signal(pid, libc::SIGUSR1), 3, Tree::ReadOnly);
}

#[test]
fn an_essential_service_killed_by_a_signal_ends_the_tree_with_128_plus_the_signal() {
    essential_end_in_a_namespace(|pid| signal(pid, libc::SIGKILL), 137, Tree::Writable);
}

#[test]
fn an_essential_service_stopped_with_svc_d_does_not_end_the_tree() {
    let mut sb = Sandbox::new();
    let vital = service(&sb, "vital", "exec sleep 1000");
    fs::write(vital.join("essential"), b"").unwrap();
    let svscan = start_svscan(&mut sb);
    assert!(wait_until(LIMIT, || status_pid(&vital).is_some()));
    let first = status_pid(&vital).unwrap();
    let svc = |letters: &str| assert!(sb.tend("svc").arg(letters).arg("scan/vital").status().unwrap().success());
    svc("-d");
    assert!(wait_until(LIMIT, || status_pid(&vital).is_none()));
    // svscan goes on: the service comes back on request, under the same supervise.
    svc("-u");
    assert!(wait_until(LIMIT, || status_pid(&vital).is_some_and(|p| p != first)));
    assert!(alive(svscan));
    signal(svscan, libc::SIGTERM);
    assert_eq!(sb.wait_exit(svscan).code(), Some(0));
    assert_eq!(fs::read(sb.join("stderr")).unwrap(), b"");
}

#[test]
fn an_essential_service_whose_finish_exits_125_ends_the_tree_after_finish_with_its_own_code() {
    let mut sb = Sandbox::new();
    let vital = service(&sb, "vital", "exit 4");
    fs::write(vital.join("essential"), b"").unwrap();
    sb.script("scan/vital/finish", "#!/bin/sh\necho \"$1 $2\" > ../../finished\nexit 125\n");
    let svscan = start_svscan(&mut sb);
    assert_eq!(sb.wait_exit(svscan).code(), Some(4));
    assert_eq!(lines(&sb.join("finished")), ["4 0"]);
    assert_eq!(read_status(&vital).map(|s| s.pid), Some(0));
}
