//! The clock audit on whole temporary roots: Debian 12's own configuration
//! files (tests/data/audit/debian12, package versions in VERSIONS) give no
//! finding; the field reports' ntp.conf, grub.conf and kernel lines give
//! theirs; bad input (include loops, includes nested too deep, a FIFO or a
//! directory where a file is expected, a huge file, binary garbage) is
//! reported or ignored, never followed for ever, never blocking.

use std::fs;
use std::path::Path;
use std::time::Duration;

use timehealth::audit::{self, Audit, Target};
use timehealth::Paths;

fn data(rel: &str) -> String {
    fs::read_to_string(format!("{}/tests/data/audit/{rel}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn put(root: &Path, rel: &str, text: impl AsRef<[u8]>) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

fn run(root: &Path) -> Audit {
    audit::run(&Target { paths: Paths::under(root), scan: None, timeout: Duration::from_secs(1) })
}

fn ids(a: &Audit) -> Vec<&'static str> {
    a.findings.iter().map(|f| f.check.id()).collect()
}

#[test]
fn debian_12_defaults_give_no_finding() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    put(r, "etc/ntpsec/ntp.conf", data("debian12/ntpsec-ntp.conf"));
    put(r, "etc/default/ntpsec", data("debian12/ntpsec-default"));
    put(r, "etc/cron.d/ntpsec", data("debian12/ntpsec-cron.d"));
    put(r, "usr/sbin/ntpd", "");
    put(r, "etc/chrony/chrony.conf", data("debian12/chrony.conf"));
    put(r, "etc/chrony/conf.d/README", "");
    put(r, "etc/chrony/sources.d/README", "");
    put(r, "usr/sbin/chronyd", "");
    put(r, "etc/systemd/timesyncd.conf", data("debian12/timesyncd.conf"));
    put(r, "etc/vmware-tools/tools.conf", data("debian12/vmware-tools.conf"));
    let a = run(r);
    assert_eq!(a.findings, [], "{a:#?}");
    let read: Vec<String> = a.configs.iter().map(|(k, p)| format!("{k} {}", p.display())).collect();
    assert_eq!(
        read,
        [
            format!("chronyd {}/etc/chrony/chrony.conf", r.display()),
            format!("ntpsec {}/etc/ntpsec/ntp.conf", r.display())
        ]
    );
    // Without its -x (Debian's NTPD_OPTS are "-g -N"), ntpsec steps: a
    // service without clock-step-restart makes that a finding.
    put(r, "etc/service/dovecot/run", "#!/bin/sh\n");
    assert_eq!(ids(&run(r)), ["ntp_step_allowed"]);
}

#[test]
fn field_reports_configuration() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    put(r, "etc/ntp.conf", data("seeds/001-ntp.conf"));
    put(r, "usr/sbin/ntpd", "");
    put(r, "boot/grub/grub.conf", data("seeds/001-grub.conf"));
    put(r, "proc/cmdline", data("seeds/000-cmdline"));
    put(r, "proc/sys/kernel/osrelease", "2.6.18-92.el5\n");
    let a = run(r);
    assert_eq!(ids(&a), ["ntp_local_driver", "cmdline_clock", "cmdline_divider"], "{a:#?}");
    assert_eq!(a.findings[0].what, "ntpd: the LOCAL driver, `server 127.127.1.0` in /etc/ntp.conf");
    assert!(a.findings[1].consequence.ends_with(
        "this kernel (2.6.18-92.el5) still reads it as `clocksource=pit` (with a deprecation warning at boot); \
                    a clocksource it does not have (pit on x86-64) leaves the default"
    ));
    assert!(a.findings[2].consequence.ends_with("this kernel (2.6.18-92.el5) honours it"), "{:?}", a.findings[2]);
    put(r, "proc/cmdline", data("seeds/002-cmdline"));
    assert_eq!(ids(&run(r)), ["ntp_local_driver", "cmdline_divider", "cmdline_clocksource"]);
}

#[test]
fn include_loops_depth_fifos_directories_huge_files_and_garbage() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    put(r, "usr/sbin/chronyd", "");
    let mut main = b"\x00\xff\xfe garbage \x01\x02\n".to_vec();
    main.extend_from_slice(
        b"pool 2.debian.pool.ntp.org iburst\nmakestep 1 -1\ninclude /etc/chrony/loop.conf\n\
          include /etc/chrony/adir\nconfdir /etc/chrony/conf.d\nsourcedir /etc/chrony/sources.d\n\
          include /etc/chrony/deep/0.conf\n",
    );
    put(r, "etc/chrony/chrony.conf", main);
    put(r, "etc/chrony/loop.conf", "include /etc/chrony/chrony.conf\n");
    fs::create_dir_all(r.join("etc/chrony/adir")).unwrap();
    fs::create_dir_all(r.join("etc/chrony/conf.d")).unwrap();
    assert!(std::process::Command::new("mkfifo").arg(r.join("etc/chrony/conf.d/a.conf")).status().unwrap().success());
    put(r, "etc/chrony/sources.d/big.sources", vec![b'#'; 2 << 20]);
    for i in 0..12 {
        put(r, &format!("etc/chrony/deep/{i}.conf"), format!("include /etc/chrony/deep/{}.conf\n", i + 1));
    }
    put(r, "etc/chrony/deep/12.conf", "local stratum 10\n");
    let a = run(r);
    let problems: Vec<&str> =
        a.findings.iter().filter(|f| f.check.id() == "config_unreadable").map(|f| f.what.as_str()).collect();
    assert_eq!(
        problems,
        [
            "/etc/chrony/chrony.conf: included again (an include loop), skipped",
            "/etc/chrony/adir: is a directory",
            "/etc/chrony/conf.d/a.conf: not a regular file",
            "/etc/chrony/sources.d/big.sources: larger than 1048576 bytes, not read",
            "/etc/chrony/deep/8.conf: includes nested over 8 deep, skipped",
        ],
        "{a:#?}"
    );
    assert!(ids(&a).contains(&"chrony_makestep_unlimited"), "garbage lines do not hide the rest: {a:#?}");
    assert!(!ids(&a).contains(&"chrony_local_no_orphan"), "past the depth limit nothing is read");

    // ntpd's includefile loops on itself.
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    put(r, "usr/sbin/ntpd", "");
    put(r, "etc/ntp.conf", "includefile /etc/ntp.conf\npool 0.pool.ntp.org iburst\n");
    let a = run(r);
    assert_eq!(ids(&a), ["config_unreadable"]);
    assert_eq!(a.findings[0].what, "/etc/ntp.conf: included again (an include loop), skipped");
}

#[test]
fn what_needs_live_state_is_said_under_a_root() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    put(r, "usr/bin/vmware-toolbox-cmd", "");
    let a = run(r);
    assert!(!a.live);
    let skipped: Vec<&str> = a.not_checked.iter().map(|n| n.check.id()).collect();
    assert_eq!(skipped, ["two_daemons", "vmware_periodic_sync", "hyperv_timesync", "ptp_kvm_unused", "leap_announced"]);
    assert!(a.not_checked.iter().all(|n| n.check.live()));
}
