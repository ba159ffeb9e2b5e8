//! sd_notify (`notify-socket`, `watchdog`): Debian's `systemd-notify` from
//! a shell `run`, a watchdog that is never pinged, and datagrams from a
//! process that is not the service's (the test itself), one and a flood.

use std::fs;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};

use crate::supervise::{json, service, start, status_pid, stderr_of, svc, wait_up};
use crate::util::{require, wait_for, wait_for_status, Sandbox};

/// Waits until `svstat -j` of `dir` contains `text`; returns it.
fn wait_json(sb: &Sandbox, dir: &str, text: &str) -> String {
    let mut j = String::new();
    wait_for(&format!("{dir}'s svstat -j to contain {text}"), || {
        j = json(sb, dir);
        j.contains(text)
    });
    j
}

#[test]
fn systemd_notify_makes_the_service_ready_and_sets_its_status() {
    require("systemd-notify", "systemd");
    let mut sb = Sandbox::new();
    service(
        &sb,
        "s",
        "while [ ! -e ../go ]; do sleep 0.05; done\n\
         systemd-notify --ready --status='Serving on 8080' || echo \"failed: $NOTIFY_SOCKET\" >&2\nexec sleep 100",
    );
    fs::write(sb.join("s/notify-socket"), "").unwrap();
    start(&mut sb, "s");
    wait_up(&sb, "s");
    let j = wait_json(&sb, "s", "\"notify\":{");
    assert!(j.contains("\"ready\":false") && j.contains("\"status\":\"\""), "{j}");
    fs::write(sb.join("go"), "").unwrap();
    let j = wait_json(&sb, "s", "\"ready\":true");
    assert!(j.contains("\"status\":\"Serving on 8080\""), "{j}; stderr {}", stderr_of(&sb, "s"));
    assert!(j.contains("\"foreign_datagrams\":0"), "{j}");
}

#[test]
fn a_watchdog_never_pinged_aborts_and_restarts_the_service() {
    let mut sb = Sandbox::new();
    service(
        &sb,
        "s",
        "echo $$ >> ../pids\necho $WATCHDOG_USEC > ../usec.new && mv ../usec.new ../usec\nexec sleep 100",
    );
    fs::write(sb.join("s/notify-socket"), "").unwrap();
    fs::write(sb.join("s/watchdog"), "300\n").unwrap();
    start(&mut sb, "s");
    let first = wait_up(&sb, "s");
    let j = wait_json(&sb, "s", "\"watchdog_timeouts\":1");
    assert!(j.contains("\"watchdog_ms\":300") && j.contains("\"last_watchdog_timeout\":1"), "{j}");
    wait_for_status(&sb.join("s"), "restarted", |st| st.pid != 0 && st.pid != first);
    assert_eq!(crate::util::wait_for_line(&sb.join("usec")), "300000");
    let j = wait_json(&sb, "s", "\"last_exit\":{\"signal\":6}");
    assert!(j.contains("\"restarts\":"), "{j}");
    assert!(stderr_of(&sb, "s").contains("s: no WATCHDOG=1 in time: aborting it"), "{}", stderr_of(&sb, "s"));
}

#[test]
fn datagrams_from_other_processes_are_ignored_and_a_flood_does_not_stop_supervise() {
    let mut sb = Sandbox::new();
    service(&sb, "s", "exec sleep 100");
    fs::write(sb.join("s/notify-socket"), "").unwrap();
    let supervise = start(&mut sb, "s");
    wait_up(&sb, "s");
    wait_json(&sb, "s", "\"notify\":{");
    let to = SocketAddr::from_abstract_name(format!("tend-notify/{supervise}")).unwrap();
    let me = UnixDatagram::unbound().unwrap();
    me.send_to_addr(b"READY=1\nSTATUS=forged", &to).unwrap();
    let j = wait_json(&sb, "s", "\"foreign_datagrams\":1");
    assert!(j.contains("\"ready\":false") && !j.contains("forged"), "{j}");
    me.set_nonblocking(true).unwrap();
    let mut sent = 0;
    for _ in 0..20_000 {
        sent += usize::from(me.send_to_addr(b"READY=1\nSTATUS=flood", &to).is_ok());
    }
    assert!(sent > 0);
    svc(&sb, "d", "s");
    wait_for_status(&sb.join("s"), "down", |st| st.pid == 0 && st.want == b'd');
    let j = json(&sb, "s");
    assert!(j.contains("\"ready\":false") && !j.contains("flood"), "{j}");
    let err = stderr_of(&sb, "s");
    assert_eq!(err.matches("not a process of the service (said once)").count(), 1, "{err}");
    assert_eq!(status_pid(&sb, "s"), 0);
}
