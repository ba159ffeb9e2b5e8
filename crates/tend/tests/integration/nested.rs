//! svscan started in a cgroup that is not the hierarchy's root (as under a
//! systemd unit, or as PID 1 of a container with a cgroup namespace): it
//! moves into the leaf `tend--supervisors`, the supervise processes it
//! starts are born there, and the services' cgroups are made beside the
//! leaf, in the cgroup svscan was started in, which then holds no process
//! (cgroup v2 gives controllers only below such a cgroup). This machine's
//! cgroup2 has no controllers: that a limit then takes effect is not
//! tested here (limits.rs tests the warning).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::supervise::json;
use crate::svscan::{children, service, status_pid};
use crate::util::{
    cgroup_name, cgroup_of, gone, in_cgroup, require, signal, wait_exec, wait_for, wait_for_line, wait_for_status,
    Sandbox, TestCgroup,
};

/// The leaf svscan moves into.
const LEAF: &str = "tend--supervisors";

/// Starts our svscan on `sb/scan` in the cgroup `dir`, its stderr in `sb/STDERR`.
fn spawn_svscan(sb: &mut Sandbox, dir: &Path, stderr: &str) -> u32 {
    let mut cmd = in_cgroup(sb, dir, "svscan", &["scan"]);
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(fs::File::create(sb.join(stderr)).unwrap());
    sb.spawn(cmd)
}

/// The supervise svscan runs for `name`.
fn supervise_of(svscan: u32, name: &str) -> Option<u32> {
    let argv = vec![b"supervise".to_vec(), name.as_bytes().to_vec()];
    children(svscan).into_iter().find(|c| c.1 == argv).map(|c| c.0)
}

/// Waits until svscan runs a supervise for `name` other than `not`; returns it.
fn wait_supervise(svscan: u32, name: &str, not: u32) -> u32 {
    let mut pid = None;
    wait_for(&format!("svscan's supervise of {name}"), || {
        pid = supervise_of(svscan, name).filter(|&p| p != not);
        pid.is_some()
    });
    pid.unwrap()
}

/// The cgroups directly below `dir`, by name, sorted.
fn cgroups_below(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The processes directly in the cgroup `dir`.
fn procs(dir: &Path) -> String {
    fs::read_to_string(dir.join("cgroup.procs")).unwrap()
}

/// A service that forks a background `sleep` (its pid in `sb/a-bg`) and
/// runs another; one that says it is ready with Debian's `systemd-notify`
/// from a grandchild of `run` (believed only as a process of the service's
/// cgroup, which supervise finds in the base); svscan in a cgroup of the test's own moves into the leaf and
/// the services' cgroups are beside it; a supervise killed and started
/// again by svscan stops what its service left there; the shutdown removes
/// the services' cgroups and leaves the empty leaf; a svscan started in
/// the leaf stays there and makes no leaf in it.
#[test]
fn svscan_in_a_cgroup_that_is_not_the_root_moves_into_a_leaf_beside_its_services_cgroups() {
    require("systemd-notify", "systemd");
    let cg = TestCgroup::new();
    let mut sb = Sandbox::new();
    service(&sb, "a", "sleep 1001 & echo $! > ../../a-bg.new && mv ../../a-bg.new ../../a-bg\nexec sleep 1000");
    // Not a child of `run`: it sends as its parent, a shell that is not the main process.
    service(&sb, "n", "sh -c 'systemd-notify --ready || echo failed >&2; :'\nexec sleep 1002");
    fs::write(sb.join("scan/n/notify-socket"), "").unwrap();
    let leaf = cg.path.join(LEAF);
    let svscan = spawn_svscan(&mut sb, &cg.path, "stderr");
    wait_for("svscan to move into the leaf", || cgroup_of(svscan).as_deref() == Some(leaf.as_path()));

    let a = sb.join("scan/a");
    let mut main = 0;
    wait_for("a to run its sleep", || {
        main = status_pid(&a).unwrap_or(0);
        main != 0 && crate::util::runs(main, "sleep")
    });
    let bg: u32 = wait_for_line(&sb.join("a-bg")).parse().unwrap();
    wait_exec(bg, "sleep");
    let a_cgroup: PathBuf = cg.path.join(cgroup_name(&a));
    assert_eq!(cgroup_of(main), Some(a_cgroup.clone()), "the service's cgroup is beside the leaf");
    assert_eq!(cgroup_of(bg), Some(a_cgroup.clone()));
    let sup = wait_supervise(svscan, "a", 0);
    assert_eq!(cgroup_of(sup), Some(leaf.clone()), "supervise is born in the leaf");
    assert_eq!(procs(&cg.path), "", "the cgroup svscan was started in holds no process");
    let j = json_with(&sb, "scan/n", "\"ready\":true");
    assert!(j.contains("\"foreign_datagrams\":0"), "{j}");
    assert_eq!(cgroup_of(status_pid(&sb.join("scan/n")).unwrap()), Some(cg.path.join(cgroup_name(&sb.join("scan/n")))));

    // A supervise killed: the one svscan starts again stops what is left.
    signal(sup, libc::SIGKILL);
    let sup2 = wait_supervise(svscan, "a", sup);
    let again = wait_for_status(&a, "a started again", |s| s.pid != 0 && s.pid != main).pid;
    wait_exec(again, "sleep");
    assert!(gone(main) && gone(bg), "the earlier instance was stopped");
    assert_eq!(cgroup_of(sup2), Some(leaf.clone()));
    assert_eq!(cgroup_of(again), Some(a_cgroup.clone()));
    let err = fs::read_to_string(sb.join("stderr")).unwrap();
    assert_eq!(err, "supervise: warning: a: stopped 2 processes left by an earlier supervise\n");

    // The shutdown removes the services' cgroups; the empty leaf is left for the next svscan.
    signal(svscan, libc::SIGTERM);
    assert_eq!(sb.wait_exit(svscan).code(), Some(0));
    assert_eq!(cgroups_below(&cg.path), vec![LEAF.to_string()], "only the leaf is left");
    assert_eq!(procs(&leaf), "");

    // A svscan started in the leaf (svscan started again by a program that
    // was in it) stays there, and its services' cgroups are beside it.
    let svscan = spawn_svscan(&mut sb, &leaf, "stderr2");
    let third = wait_for_status(&a, "a started by the second svscan", |s| s.pid != 0 && s.pid != again).pid;
    wait_exec(third, "sleep");
    assert_eq!(cgroup_of(third), Some(a_cgroup));
    assert_eq!(cgroup_of(svscan), Some(leaf.clone()));
    assert_eq!(cgroups_below(&leaf), Vec::<String>::new(), "no leaf in the leaf");
    assert_eq!(procs(&cg.path), "");
    signal(svscan, libc::SIGTERM);
    assert_eq!(sb.wait_exit(svscan).code(), Some(0));
    assert_eq!(fs::read_to_string(sb.join("stderr2")).unwrap(), "");
    assert_eq!(cgroups_below(&cg.path), vec![LEAF.to_string()]);
}

/// Waits until `svstat -j dir` contains `text`; returns it.
fn json_with(sb: &Sandbox, dir: &str, text: &str) -> String {
    let mut j = String::new();
    wait_for(&format!("{dir}'s svstat -j to contain {text}"), || {
        j = json(sb, dir);
        j.contains(text)
    });
    j
}

/// A leaf that cannot be made (the test's cgroup allows no cgroup below
/// it: `cgroup.max.descendants` 0): svscan says so once and carries on
/// where it is; its supervise falls back to process groups, saying so.
#[test]
fn a_leaf_that_cannot_be_made_is_warned_about_once_and_svscan_carries_on() {
    let cg = TestCgroup::new();
    fs::write(cg.path.join("cgroup.max.descendants"), "0").unwrap();
    let mut sb = Sandbox::new();
    service(&sb, "a", "exec sleep 1000");
    let svscan = spawn_svscan(&mut sb, &cg.path, "stderr");
    let a = sb.join("scan/a");
    let mut main = 0;
    wait_for("a to run its sleep", || {
        main = status_pid(&a).unwrap_or(0);
        main != 0 && crate::util::runs(main, "sleep")
    });
    assert_eq!(cgroup_of(svscan), Some(cg.path.clone()), "svscan stays where it was started");
    assert_eq!(cgroup_of(main), Some(cg.path.clone()), "the service is in supervise's cgroup (process-group mode)");
    signal(svscan, libc::SIGTERM);
    assert_eq!(sb.wait_exit(svscan).code(), Some(0));
    let want = format!(
        "svscan: warning: unable to move into {}/{LEAF}: temporary failure; the services' limits will not take effect\n\
         supervise: warning: unable to make the cgroup of a: temporary failure; its processes are stopped by process group\n",
        cg.path.display()
    );
    assert_eq!(fs::read_to_string(sb.join("stderr")).unwrap(), want);
    assert_eq!(cgroups_below(&cg.path), Vec::<String>::new());
}
