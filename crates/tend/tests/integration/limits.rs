//! `memory-max`, `cpu-max`, `pids-max`: applied to the service's cgroup
//! where cgroup v2 has the controllers; else (this project's test machine:
//! a hybrid layout whose cgroup2 has none) warned about once per content,
//! and the service starts anyway. Garbage is warned about and not applied.

use std::fs;

use crate::supervise::{service, start, stderr_of, wait_up};
use crate::util::{cgroup_mount, cgroup_of, restarts, wait_for, wait_for_status, Sandbox};

/// Whether the service whose run is `pid` has `file` = `value` in its
/// cgroup (the limit applied where the controller is available).
fn applied(pid: u32, file: &str, value: &str) -> bool {
    cgroup_of(pid).and_then(|c| fs::read_to_string(c.join(file)).ok()).is_some_and(|v| v.trim() == value)
}

#[test]
fn a_limit_is_applied_or_warned_about_once_and_garbage_is_named() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "sleep 0.2; exit 1");
    fs::write(sb.join("s/memory-max"), "200M\n").unwrap();
    fs::write(sb.join("s/cpu-max"), "50%\n").unwrap();
    fs::write(sb.join("s/pids-max"), "a hundred\n").unwrap();
    start(&mut sb, "s");
    let pid = wait_up(&sb, "s");
    wait_for_status(&sb.join("s"), "restarted twice", |s| restarts(s) >= 2);
    let err = stderr_of(&sb, "s");
    assert_eq!(err.matches("supervise: warning: unable to use s/pids-max: bad format\n").count(), 1, "{err}");
    for (file, interface, value, controller) in
        [("memory-max", "memory.max", "209715200", "memory"), ("cpu-max", "cpu.max", "50000 100000", "cpu")]
    {
        let warned = format!("supervise: warning: unable to use s/{file}: ");
        let n = err.matches(&warned).count();
        // Where the limit cannot be applied, the warning says why, once.
        assert!(n == 1 || (n == 0 && applied(pid, interface, value)), "{file}: {err}");
        let root = cgroup_mount().and_then(|m| fs::read_to_string(m.join("cgroup.controllers")).ok());
        if root.is_some_and(|c| !c.split_whitespace().any(|w| w == controller)) {
            let why = format!("{warned}the {controller} controller is not available in cgroup2 here, not applied\n");
            assert!(err.contains(&why), "{err}");
        }
    }
    // A new content is a new warning.
    fs::write(sb.join("s/pids-max"), "lots\n").unwrap();
    wait_for("the new garbage named", || stderr_of(&sb, "s").matches("s/pids-max: bad format").count() == 2);
}
