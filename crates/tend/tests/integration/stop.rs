//! Issue 10, items 1, 2 and 8: a service is all its processes. supervise
//! kills what is left of a stopped service (its cgroup as root with cgroup
//! v2, else its process group), stops what a killed supervise left, and
//! falls back with a message when no cgroup can be made. Process-group mode
//! is forced by running supervise in a mount namespace without cgroup2.

use std::fs;
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;

use crate::supervise::{service, start_with, stderr_of, svc, wait_up};
use crate::util::{
    cgroup_mount, cgroup_name, cgroup_of, free_port, gone, parent_pid, read_status, require, wait_exec, wait_for,
    wait_for_line, wait_for_status, Sandbox, NO_CGROUP_NOTICE,
};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Cgroup,
    ProcessGroup,
}

/// `supervise DIR` in `mode`: as it is (root, cgroup2 mounted), or in a
/// mount namespace of its own where no cgroup2 hierarchy is mounted.
fn start_in(sb: &mut Sandbox, mode: Mode, dir: &str) -> u32 {
    let cmd = match mode {
        Mode::Cgroup => {
            assert!(cgroup_mount().is_some(), "cgroup mode needs a cgroup2 mount");
            sb.tend("supervise")
        }
        Mode::ProcessGroup => without_cgroup2(sb, "supervise"),
    };
    start_with(sb, cmd, dir)
}

/// Our `program`, in a private mount namespace without cgroup2 (exit 99
/// if one is still mounted there).
fn without_cgroup2(sb: &Sandbox, program: &str) -> Command {
    let mut cmd = sb.command(require("unshare", "util-linux"));
    cmd.args(["-m", "--propagation", "private", "sh", "-c"]).arg(
        "umount /sys/fs/cgroup/unified 2>/dev/null; umount -l /sys/fs/cgroup 2>/dev/null; \
         ! grep -qw cgroup2 /proc/self/mounts || exit 99; exec \"$@\"",
    );
    cmd.arg("sh").arg(sb.bin.join(program));
    cmd
}

/// A `run` that starts a background child (its pid in `bg`), then execs.
fn forking_service(sb: &Sandbox, dir: &str) {
    service(sb, dir, "sleep 1001 &\necho $! > bg.new && mv bg.new bg\nexec sleep 1002");
}

/// The pids left in the cgroup `dir` (none once it is removed).
fn cgroup_procs(dir: &Path) -> Vec<u32> {
    let text = fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
    text.lines().filter_map(|l| l.parse().ok()).collect()
}

/// The process group of `pid`.
fn pgid(pid: u32) -> u32 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = stat.rfind(')').unwrap();
    stat[after + 2..].split(' ').nth(2).unwrap().parse().unwrap()
}

/// `svc -d`, then the status says down (pid 0) and every pid in `pids` is gone.
fn stop_and_check(sb: &Sandbox, dir: &str, pids: &[u32]) {
    svc(sb, "d", dir);
    wait_for_status(&sb.join(dir), "down", |s| s.pid == 0);
    for &p in pids {
        assert!(gone(p), "process {p} of {dir} survived svc -d (it is down)");
    }
}

fn check_group(sb: &Sandbox, mode: Mode, dir: &str, main: u32, bg: u32) -> Option<std::path::PathBuf> {
    match mode {
        Mode::Cgroup => {
            let cg = cgroup_of(bg).expect("a cgroup");
            let name = cgroup_name(&sb.join(dir));
            assert_eq!(cg.file_name().unwrap().to_string_lossy(), name, "the cgroup is named after the directory");
            assert_eq!(cgroup_of(main), Some(cg.clone()));
            Some(cg)
        }
        Mode::ProcessGroup => {
            assert_eq!((pgid(main), pgid(bg)), (main, main), "run leads a process group of its own");
            let recorded = wait_for_line(&sb.join(&format!("{dir}/supervise/pgroup")));
            assert!(recorded.starts_with(&format!("{main} ")), "supervise/pgroup: {recorded}");
            None
        }
    }
}

/// Item 1: `svc -d` stops a background child too, in both modes; the
/// cgroup is named after the service directory and removed at exit.
#[test]
fn svc_d_stops_a_background_child_in_both_modes() {
    for mode in [Mode::Cgroup, Mode::ProcessGroup] {
        let mut sb = Sandbox::new();
        forking_service(&sb, "s");
        let sup = start_in(&mut sb, mode, "s");
        let main = wait_up(&sb, "s");
        wait_exec(main, "sleep");
        let bg: u32 = wait_for_line(&sb.join("s/bg")).parse().unwrap();
        let cg = check_group(&sb, mode, "s", main, bg);
        stop_and_check(&sb, "s", &[main, bg]);
        if let Some(cg) = &cg {
            assert_eq!(cgroup_procs(cg), Vec::<u32>::new());
        }
        svc(&sb, "x", "s");
        assert_eq!(sb.wait_exit(sup).code(), Some(0), "{mode:?}: {}", stderr_of(&sb, "s"));
        if let Some(cg) = &cg {
            assert!(!cg.exists(), "{cg:?} is removed when supervise exits");
        }
        assert_eq!(stderr_of(&sb, "s"), "", "{mode:?}");
    }
}

/// Item 1: tcpserver (Debian's ucspi-tcp) with an open connection: after
/// `svc -d` neither the server nor the connection's child remains.
#[test]
fn svc_d_stops_a_forking_server_and_its_open_connection() {
    let tcpserver = require("/usr/bin/tcpserver", "ucspi-tcp");
    for mode in [Mode::Cgroup, Mode::ProcessGroup] {
        let mut sb = Sandbox::new();
        let port = free_port();
        service(
            &sb,
            "s",
            &format!(
                "exec {} -R -H 127.0.0.1 {port} sh -c 'echo $$ > conn.new && mv conn.new conn && exec sleep 1003'",
                tcpserver.display()
            ),
        );
        start_in(&mut sb, mode, "s");
        let server = wait_up(&sb, "s");
        wait_exec(server, "tcpserver");
        let mut stream = None;
        wait_for("tcpserver to accept", || {
            stream = TcpStream::connect(("127.0.0.1", port)).ok();
            stream.is_some()
        });
        let conn: u32 = wait_for_line(&sb.join("s/conn")).parse().unwrap();
        wait_exec(conn, "sleep");
        stop_and_check(&sb, "s", &[server, conn]);
        drop(stream);
    }
}

/// Item 1: `svc -t` does not sweep: the background child of the run that
/// was told to restart keeps running (documented), beside the new run.
#[test]
fn svc_t_keeps_the_background_child() {
    let mut sb = Sandbox::new();
    forking_service(&sb, "s");
    start_in(&mut sb, Mode::Cgroup, "s");
    let main = wait_up(&sb, "s");
    wait_exec(main, "sleep");
    let bg: u32 = wait_for_line(&sb.join("s/bg")).parse().unwrap();
    fs::remove_file(sb.join("s/bg")).unwrap();
    svc(&sb, "t", "s");
    let again = wait_for_status(&sb.join("s"), "restarted", |s| s.pid != 0 && s.pid != main).pid;
    wait_for_line(&sb.join("s/bg"));
    assert!(gone(main));
    assert!(!gone(bg), "svc -t kills the main process only");
    stop_and_check(&sb, "s", &[again, bg]);
}

/// Item 2: supervise killed with SIGKILL, and a new one on the directory:
/// it stops what the earlier one left (one line on stderr) before it
/// starts `run`, so one instance of the service runs, in both modes.
#[test]
fn a_new_supervise_stops_what_a_killed_one_left() {
    for mode in [Mode::Cgroup, Mode::ProcessGroup] {
        let mut sb = Sandbox::new();
        forking_service(&sb, "s");
        let first = start_in(&mut sb, mode, "s");
        let main = wait_up(&sb, "s");
        wait_exec(main, "sleep");
        let bg: u32 = wait_for_line(&sb.join("s/bg")).parse().unwrap();
        crate::util::signal(first, libc::SIGKILL);
        sb.wait_exit(first);
        fs::remove_file(sb.join("s/bg")).unwrap();
        fs::rename(sb.join("s.err"), sb.join("first.err")).unwrap();
        let second = start_in(&mut sb, mode, "s");
        let again = wait_for_status(&sb.join("s"), "started again", |s| s.pid != 0 && s.pid != main).pid;
        let bg2: u32 = wait_for_line(&sb.join("s/bg")).parse().unwrap();
        // Once run has exec'd its sleep, its `mv` is over (run waited for it).
        wait_exec(again, "sleep");
        assert!(gone(main) && gone(bg), "{mode:?}: the earlier instance was stopped");
        let err = stderr_of(&sb, "s");
        let want = match mode {
            Mode::Cgroup => "supervise: warning: s: stopped 2 processes left by an earlier supervise\n".to_string(),
            Mode::ProcessGroup => {
                format!("supervise: warning: s: stopped process group {main} left by an earlier supervise\n")
            }
        };
        assert_eq!(err, want);
        if mode == Mode::Cgroup {
            let mut procs = cgroup_procs(&cgroup_of(again).unwrap());
            procs.sort();
            assert_eq!(procs, vec![again.min(bg2), again.max(bg2)], "one instance in the cgroup");
        }
        stop_and_check(&sb, "s", &[again, bg2]);
        svc(&sb, "x", "s");
        assert_eq!(sb.wait_exit(second).code(), Some(0));
    }
}

/// Item 8: a service directory whose cgroup name would be too long: a
/// warning naming it, and process-group mode.
#[test]
fn a_cgroup_name_too_long_falls_back_to_the_process_group() {
    let mut sb = Sandbox::new();
    let dir = format!("{}/{}", "a".repeat(120), "b-".repeat(60));
    forking_service(&sb, &dir);
    start_in(&mut sb, Mode::Cgroup, &dir);
    let main = wait_up(&sb, &dir);
    wait_exec(main, "sleep");
    let bg: u32 = wait_for_line(&sb.join(&format!("{dir}/bg"))).parse().unwrap();
    assert_eq!(pgid(bg), main, "process-group mode");
    let want = format!(
        "supervise: warning: unable to make the cgroup of {dir}: file name too long; its processes are stopped by process group\n"
    );
    assert_eq!(stderr_of(&sb, &dir), want);
    stop_and_check(&sb, &dir, &[main, bg]);
    assert!(read_status(&sb.join(&dir)).is_some());
}

/// Item 8: a cgroup left over from an earlier run (empty) is reused.
#[test]
fn an_empty_cgroup_left_over_is_reused() {
    let mut sb = Sandbox::new();
    forking_service(&sb, "s");
    let own = cgroup_of(std::process::id()).expect("cgroup2");
    let made = own.join(cgroup_name(&sb.join("s")));
    fs::create_dir(&made).unwrap();
    start_in(&mut sb, Mode::Cgroup, "s");
    let main = wait_up(&sb, "s");
    assert_eq!(cgroup_of(main), Some(made));
    assert_eq!(stderr_of(&sb, "s"), "");
}

/// The sandbox's live processes whose arguments are `args`.
fn running(sb: &Sandbox, args: &[&str]) -> Vec<u32> {
    let want: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
    let pids = sb.processes().into_iter().map(|p| p as u32);
    pids.filter(|&p| !gone(p) && crate::util::argv(p) == want).collect()
}

/// Items 1 and 2 under svscan, in both modes: svscan says once that it
/// falls back to process groups; supervise of a logged forking service and
/// the log's supervise are killed with SIGKILL, svscan starts new ones, and
/// each stops what the killed one left (the old multilog too, so that the
/// new one gets the lock): one instance of the service and of multilog;
/// svscan's SIGTERM then leaves nothing.
#[test]
fn under_svscan_killed_supervisors_leave_one_instance_and_sigterm_leaves_nothing() {
    for mode in [Mode::Cgroup, Mode::ProcessGroup] {
        let mut sb = Sandbox::new();
        let run =
            "#!/bin/sh\nexec 2>&1\nsleep 1001 &\necho $! > bg.new && mv bg.new bg\necho started\nexec sleep 1002\n";
        sb.script("scan/s/run", run);
        sb.script("scan/s/log/run", "#!/bin/sh\nexec multilog t ./main\n");
        sb.script("scan/t/run", "#!/bin/sh\nexec sleep 1004\n");
        let mut cmd = match mode {
            Mode::Cgroup => sb.tend("svscan"),
            Mode::ProcessGroup => without_cgroup2(&sb, "svscan"),
        };
        cmd.arg("scan").stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null());
        cmd.stderr(fs::File::create(sb.join("stderr")).unwrap());
        let svscan = sb.spawn(cmd);
        let (s, log) = (sb.join("scan/s"), sb.join("scan/s/log"));
        let main = wait_for_status(&s, "up", |st| st.pid != 0).pid;
        let logger = wait_for_status(&log, "up", |st| st.pid != 0).pid;
        wait_exec(main, "sleep");
        wait_exec(logger, "multilog");
        let bg: u32 = wait_for_line(&s.join("bg")).parse().unwrap();
        fs::remove_file(s.join("bg")).unwrap();
        for sup in [parent_pid(main), parent_pid(logger)] {
            let sup = sup.expect("its supervise");
            crate::util::signal(sup, libc::SIGKILL);
        }
        let main2 = wait_for_status(&s, "started again", |st| st.pid != 0 && st.pid != main).pid;
        let logger2 = wait_for_status(&log, "started again", |st| st.pid != 0 && st.pid != logger).pid;
        wait_exec(main2, "sleep");
        wait_exec(logger2, "multilog");
        let bg2: u32 = wait_for_line(&s.join("bg")).parse().unwrap();
        // Its pid is written before the forked shell has exec'd sleep.
        wait_exec(bg2, "sleep");
        for p in [main, bg, logger] {
            assert!(gone(p), "{mode:?}: process {p} of the earlier instance survived");
        }
        assert_eq!(running(&sb, &["sleep", "1002"]), vec![main2]);
        assert_eq!(running(&sb, &["sleep", "1001"]), vec![bg2]);
        assert_eq!(running(&sb, &["multilog", "t", "./main"]), vec![logger2]);
        let stderr = fs::read_to_string(sb.join("stderr")).unwrap();
        let said = |what: &str| stderr.lines().filter(|l| l.contains(what)).count();
        assert_eq!(said(NO_CGROUP_NOTICE), usize::from(mode == Mode::ProcessGroup), "once, by svscan: {stderr}");
        assert_eq!(said("supervise: warning: s: stopped "), 1, "{stderr}");
        assert_eq!(said("supervise: warning: s/log: stopped "), 1, "{stderr}");
        crate::util::signal(svscan, libc::SIGTERM);
        assert_eq!(sb.wait_exit(svscan).code(), Some(0));
        for p in [main2, bg2, logger2] {
            assert!(gone(p), "{mode:?}: process {p} survived svscan's SIGTERM");
        }
    }
}

/// Item 1 without root: svscan and supervise run as nobody on a tree
/// nobody owns: no cgroup can be made (said once), services are stopped by
/// process group, and `svc -d` stops a background child too.
#[test]
fn as_an_ordinary_user_services_are_stopped_by_process_group() {
    use std::os::unix::fs::PermissionsExt;
    let mut sb = Sandbox::new();
    fs::set_permissions(sb.path(), fs::Permissions::from_mode(0o755)).unwrap();
    forking_service(&sb, "scan/s");
    let chown = sb.command("chown").args(["-R", "65534:65534", "scan"]).status().unwrap();
    assert!(chown.success());
    let as_nobody = |sb: &Sandbox, program: &str| crate::util::as_nobody(sb, sb.bin.join(program));
    let mut cmd = as_nobody(&sb, "svscan");
    cmd.arg("scan").stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null());
    cmd.stderr(fs::File::create(sb.join("stderr")).unwrap());
    let svscan = sb.spawn(cmd);
    let s = sb.join("scan/s");
    let main = wait_for_status(&s, "up", |st| st.pid != 0).pid;
    wait_exec(main, "sleep");
    let bg: u32 = wait_for_line(&s.join("bg")).parse().unwrap();
    assert_eq!(pgid(bg), main, "process-group mode");
    assert!(as_nobody(&sb, "svc").args(["-d", "scan/s"]).status().unwrap().success());
    wait_for_status(&s, "down", |st| st.pid == 0);
    assert!(gone(main) && gone(bg), "svc -d left a process of the service");
    crate::util::signal(svscan, libc::SIGTERM);
    assert_eq!(sb.wait_exit(svscan).code(), Some(0));
    let stderr = fs::read_to_string(sb.join("stderr")).unwrap();
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("svscan: warning: ") && l.ends_with(NO_CGROUP_NOTICE)).count(),
        1,
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
