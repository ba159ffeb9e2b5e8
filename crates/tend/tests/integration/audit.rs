//! `tend clock --audit --root DIR` on a whole temporary root holding a
//! deliberately misconfigured system (field reports 000 and 001 and the
//! issue's other traps), as text, JSON and Prometheus; and clockwatch
//! logging a finding that a configuration change brings, at once on SIGHUP.

use std::fs;
use std::path::Path;
use std::process::{Output, Stdio};

use crate::util::{signal_and_wait_taken, wait_until, Sandbox, PATIENCE};

fn put(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

/// A Debian-like root with ntpd configured as in field report 001 (its
/// servers, LOCAL(0) as a fallback) plus `tinker panic 0`, started without
/// -x; systemd-timesyncd enabled beside it; ntpdate in cron; the boot
/// options of reports 000 and 001; ptp_kvm loaded but unused; two
/// services, one without clock-step-restart.
pub(crate) fn misconfigured_root(root: &Path) {
    put(
        root,
        "etc/ntp.conf",
        "driftfile /var/lib/ntp/drift\nserver clock.trit.net\nserver ntp1.Housing.Be\nserver 153.16.4.137\n\
         server 127.127.1.0 # local clock\nfudge 127.127.1.0 stratum 10\ntinker panic 0\n",
    );
    put(root, "usr/sbin/ntpd", "");
    put(root, "etc/default/ntp", "NTPD_OPTS='-g'\n");
    put(root, "etc/systemd/system/multi-user.target.wants/ntp.service", "");
    put(root, "etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service", "");
    put(root, "etc/cron.d/clock", "*/30 * * * * root /usr/sbin/ntpdate -s pool.ntp.org >/dev/null 2>&1\n");
    put(root, "proc/cmdline", "BOOT_IMAGE=/vmlinuz ro root=/dev/sda1 clock=pit noapic nolapic nosmp nohz=off\n");
    put(root, "proc/sys/kernel/osrelease", "6.1.0-18-amd64\n");
    put(root, "proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu tsc hypervisor\n");
    put(
        root,
        "boot/grub/grub.conf",
        "title CentOS\n\tkernel /vmlinuz-2.6.18-162.el5 ro root=/dev/VolGroup00/LogVol00 divider=10\n",
    );
    fs::create_dir_all(root.join("sys/module/ptp_kvm")).unwrap();
    put(root, "etc/service/dovecot/run", "#!/bin/sh\nexec dovecot -F\n");
    put(root, "etc/service/web/run", "#!/bin/sh\nexec httpd\n");
    put(root, "etc/service/web/clock-step-restart", "1000\n");
}

fn audit(sb: &Sandbox, root: &Path, extra: &[&str]) -> Output {
    let mut cmd = sb.tend("clock");
    cmd.arg("--audit").arg("--root").arg(root).args(extra).stdin(Stdio::null());
    cmd.output().unwrap()
}

const EXPECTED: [&str; 9] = [
    "ntp_local_driver",
    "two_daemons",
    "periodic_step",
    "ntp_step_allowed",
    "ntp_panic_disabled",
    "ptp_kvm_unused",
    "cmdline_clock",
    "cmdline_divider",
    "cmdline_nohz_off",
];

#[test]
fn clock_audit_of_a_misconfigured_root() {
    let sb = Sandbox::new();
    let root = sb.join("root");
    misconfigured_root(&root);
    let o = audit(&sb, &root, &[]);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(text.starts_with("CLOCK AUDIT CRITICAL - 3 critical, 6 warnings\n"), "{text}");
    let ids: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("CRITICAL ").or_else(|| l.strip_prefix("WARNING  ")))
        .filter_map(|l| l.split(':').next())
        .collect();
    assert_eq!(ids, EXPECTED, "{text}");
    for line in [
        "CRITICAL ntp_local_driver: ntpd: the LOCAL driver, `server 127.127.1.0` in /etc/ntp.conf",
        "CRITICAL two_daemons: ntpd and systemd-timesyncd are both enabled at boot",
        "CRITICAL periodic_step: `/usr/sbin/ntpdate -s pool.ntp.org` in /etc/cron.d/clock (cron)",
        "WARNING  ntp_step_allowed: ntpd may step the clock (/etc/ntp.conf: no `tinker step`; options `-g` without -x) \
         and 1 supervised service has no clock-step-restart: dovecot",
        "WARNING  cmdline_divider: `divider=10` in /boot/grub/grub.conf",
        "  services without clock-step-restart in ",
        "  leap_announced: the kernel's leap flags are read only when the root is /",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }

    let o = audit(&sb, &root, &["--json"]);
    let json = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(2));
    assert!(json.starts_with("{\"verdict\":\"CRITICAL\","), "{json}");
    for id in EXPECTED {
        assert!(json.contains(&format!("{{\"check\":\"{id}\",\"level\":")), "{id} not in {json}");
    }
    assert!(json.contains("\"services_without_clock_step_restart\":[\"dovecot\"]"), "{json}");
    assert!(json.contains("{\"check\":\"leap_announced\",\"why\":"), "{json}");

    let o = audit(&sb, &root, &["--prometheus"]);
    let prom = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(prom.contains("tend_clock_audit_status 2\n"), "{prom}");
    assert!(prom.contains("tend_clock_audit_findings{check=\"ntp_local_driver\"} 1\n"), "{prom}");
    assert!(prom.contains("tend_clock_audit_findings{check=\"chrony_makestep_unlimited\"} 0\n"), "{prom}");

    // Fixed: slewing only, no LOCAL driver, one daemon, no cron job, clean boot lines.
    put(&root, "etc/ntp.conf", "pool 0.debian.pool.ntp.org iburst\npool 1.debian.pool.ntp.org iburst\n");
    put(&root, "etc/default/ntp", "NTPD_OPTS='-g -x'\n");
    fs::remove_file(root.join("etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service")).unwrap();
    fs::remove_file(root.join("etc/cron.d/clock")).unwrap();
    put(&root, "proc/cmdline", "ro root=/dev/sda1 quiet\n");
    fs::remove_file(root.join("boot/grub/grub.conf")).unwrap();
    fs::remove_dir(root.join("sys/module/ptp_kvm")).unwrap();
    let o = audit(&sb, &root, &[]);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.starts_with("CLOCK AUDIT OK - no risky setting found\n"), "{text}");
}

/// A configuration change is logged once it is seen: at once on SIGHUP
/// (the audit interval is an hour here), both a finding that appears and
/// one that goes.
#[test]
fn clockwatch_logs_audit_changes_on_sighup() {
    let mut sb = Sandbox::new();
    let root = sb.join("root");
    misconfigured_root(&root);
    let out_path = sb.join("clockwatch.out");
    let mut cmd = sb.tend("clockwatch");
    cmd.args(["--interval", "3600", "--summary", "3600", "--query-interval", "0", "--audit-interval", "3600"]);
    cmd.arg("--root").arg(&root);
    cmd.stdout(fs::File::create(&out_path).unwrap()).stderr(fs::File::create(sb.join("clockwatch.err")).unwrap());
    let pid = sb.spawn(cmd);
    let read = || fs::read_to_string(&out_path).unwrap_or_default();
    assert!(wait_until(PATIENCE, || read().contains("configuration: ntpd: the LOCAL driver")), "{}", read());
    assert!(!read().contains("audit: "), "{}", read());
    put(&root, "etc/ntp.conf", "pool 0.debian.pool.ntp.org iburst\nserver ntp.example\ntinker panic 0\n");
    fs::create_dir_all(root.join("etc/chrony")).unwrap();
    put(&root, "usr/sbin/chronyd", "");
    put(&root, "etc/chrony/chrony.conf", "pool 2.debian.pool.ntp.org iburst\nrtcsync\nmakestep 1 -1\n");
    signal_and_wait_taken(pid, libc::SIGHUP);
    let done = |t: &str| {
        t.contains("audit: gone CRITICAL ntp_local_driver: ")
            && t.contains("audit: new WARNING chrony_makestep_unlimited: ")
    };
    assert!(wait_until(PATIENCE, || done(&read())), "{}", read());
    let text = read();
    assert_eq!(text.matches("audit: new ").count(), 1, "only the new finding: {text}");
    assert!(!text.contains("ntp_panic_disabled"), "unchanged findings are not logged again: {text}");
}
