//! Parsers fed with recorded inputs: the `ntpq -p` output of field report 001,
//! `chronyc` output recorded from chronyd 4.3 on 127.0.0.1 (synchronised to a
//! `local stratum 8` server, to a server 300 s ahead under libfaketime, and
//! left with only its `local` clock), and the kernel lines of field report 002.

use timehealth::clocksource::{scan, LogEvent};
use timehealth::peers::{parse_chronyc_sources, parse_chronyc_tracking, parse_ntpq, View};

fn recorded(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/recorded/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn seed_001_ntpq_local_clock_trap() {
    let peers = parse_ntpq(&recorded("ntpq-p-seed001-local-only.txt"));
    assert_eq!(peers.len(), 4, "{peers:#?}");
    assert_eq!(peers[0].name, "clock.trit.net");
    assert_eq!(peers[0].reach, 0o377);
    assert!((peers[0].offset.unwrap() + 545.846).abs() < 1e-9);
    assert!(peers[3].local_clock && peers[3].selected());
    let view = View { tracking: None, peers };
    let why = view.local_clock_selected().expect("the trap is seen");
    assert!(why.contains("LOCAL(0)") && why.contains(".LOCL."), "{why}");
    assert!((view.worst_upstream_offset().unwrap() + 545.846).abs() < 1e-9);
}

#[test]
fn seed_001_ntpq_after_the_fix() {
    let peers = parse_ntpq(&recorded("ntpq-p-seed001-synced.txt"));
    assert_eq!(peers.len(), 4);
    assert_eq!(peers.iter().filter(|p| p.selected()).count(), 1);
    assert_eq!(peers[2].name, "ntp.nc.u-tokyo.");
    assert_eq!(peers[0].reach, 0o337);
    let view = View { tracking: None, peers };
    assert_eq!(view.local_clock_selected(), None);
}

#[test]
fn chronyc_tracking_text_and_csv_agree() {
    for case in ["synced", "300s-slow", "local-only"] {
        let text = parse_chronyc_tracking(&recorded(&format!("chronyc-tracking-{case}.txt"))).unwrap();
        let csv = parse_chronyc_tracking(&recorded(&format!("chronyc-tracking-{case}.csv"))).unwrap();
        assert_eq!(text.reference_id, csv.reference_id, "{case}");
        assert_eq!(text.stratum, csv.stratum, "{case}");
        assert!((text.system_time - csv.system_time).abs() < 1e-8, "{case}: {} {}", text.system_time, csv.system_time);
        assert!((text.freq_ppm - csv.freq_ppm).abs() < 1e-3, "{case}");
        assert_eq!(text.leap, "Normal");
    }
    let slow = parse_chronyc_tracking(&recorded("chronyc-tracking-300s-slow.txt")).unwrap();
    assert_eq!(slow.system_time, 300.0, "slow of NTP time: the local clock is behind");
    assert_eq!(slow.name, "localhost");
    assert!(!slow.local_clock());
    let local = parse_chronyc_tracking(&recorded("chronyc-tracking-local-only.csv")).unwrap();
    assert!(local.local_clock());
    assert_eq!(local.stratum, 10);
}

#[test]
fn chronyc_sources_csv() {
    let synced = parse_chronyc_sources(&recorded("chronyc-sources-synced.csv"));
    assert_eq!(synced.len(), 1);
    assert!(synced[0].selected() && synced[0].reach == 0o377);
    let local = parse_chronyc_sources(&recorded("chronyc-sources-local-only.csv"));
    assert_eq!(local[0].state, '?');
    assert_eq!(local[0].reach, 0);
    let tracking = parse_chronyc_tracking(&recorded("chronyc-tracking-local-only.csv"));
    let view = View { tracking, peers: local };
    assert!(view.local_clock_selected().unwrap().contains("7F7F0101"));
    assert_eq!(view.worst_upstream_offset(), None, "an unreachable source says nothing");
    // The text form of sources is for people; it yields no CSV peers.
    assert!(parse_chronyc_sources(&recorded("chronyc-sources-synced.txt")).is_empty());
}

#[test]
fn seed_002_kernel_lines_as_posted() {
    let events = scan(&recorded("kernel-log-seed002.txt"));
    assert!(
        events.iter().any(|e| matches!(e, LogEvent::ClocksourceUnstable(l) if l.contains("delta = 4688700040 ns"))),
        "{events:#?}"
    );
    assert!(events.iter().filter(|e| matches!(e, LogEvent::TscUnstable(_))).count() >= 2, "{events:#?}");
}

#[test]
fn garbage_is_no_peer() {
    for junk in ["", "\n\n", "=====", "remote refid st", "*", "* a b c", "\u{0}\u{1}", ",,,,,,,,,,,,,", "x,y,z"] {
        assert!(parse_ntpq(junk).is_empty(), "{junk:?}");
        assert!(parse_chronyc_sources(junk).is_empty(), "{junk:?}");
        assert!(parse_chronyc_tracking(junk).is_none(), "{junk:?}");
    }
}

#[test]
fn seed_001_as_a_verdict() {
    use timehealth::daemon::{parse_ntp, Kind, Running};
    use timehealth::report::{analyse, DaemonReport, NtpReport, Report, Thresholds};
    use timehealth::Level;
    let view = View { tracking: None, peers: parse_ntpq(&recorded("ntpq-p-seed001-local-only.txt")) };
    let config = parse_ntp("server clock.trit.net\nserver 127.127.1.0\nfudge 127.127.1.0 stratum 10\n");
    let daemon = DaemonReport {
        running: Running { kind: Kind::Ntpd, pid: 1234, cmdline: vec!["ntpd".into()] },
        config_path: "/etc/ntp.conf".into(),
        config: Ok(config),
        view: Some(Ok(view)),
    };
    let mut r = Report {
        ntp: Some(NtpReport { daemons: vec![daemon], installed: vec![], servers_given: false, servers: vec![] }),
        ..Report::default()
    };
    analyse(&mut r, &Thresholds::default());
    assert_eq!(r.verdict(), Level::Critical);
    let f = r.findings.iter().find(|f| f.key == "local_clock").unwrap();
    assert_eq!(
        f.what,
        "ntpd is synchronised only to an undisciplined local clock: its system peer is the local clock \
         LOCAL(0) (refid .LOCL.) while the real upstream offset is -545.846000 s"
    );
}

#[test]
fn debian_12_shipped_configurations() {
    use timehealth::daemon::{parse_chrony, parse_timesyncd};
    let c = parse_chrony(&recorded("debian12-chrony.conf"));
    assert_eq!(c.sources.iter().map(|s| s.spec()).collect::<Vec<_>>(), ["2.debian.pool.ntp.org"]);
    assert_eq!(c.sources[0].directive, "pool");
    assert!(!c.local_clock);
    assert_eq!(c.includes, ["/etc/chrony/conf.d", "/run/chrony-dhcp", "/etc/chrony/sources.d"]);
    // Everything is commented out in Debian's timesyncd.conf: no servers.
    assert!(parse_timesyncd(&recorded("debian12-timesyncd.conf")).sources.is_empty());
}

/// Debian 12's chrony.conf with the same server given by DHCP
/// (/run/chrony-dhcp) and by the admin (/etc/chrony/sources.d): one server
/// to query, not two. (clockwatch's copy of this discovery queried it twice.)
#[test]
fn configured_servers_of_debian_12_chrony_with_a_server_named_twice() {
    use timehealth::daemon::{configured_servers, Kind, Running};
    let root = std::env::temp_dir().join(format!("clock-configured-servers-{}", std::process::id()));
    let etc = root.join("etc");
    for dir in ["etc/chrony/conf.d", "etc/chrony/sources.d", "run/chrony-dhcp"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    let conf = recorded("debian12-chrony.conf")
        .replace("/etc/chrony", &etc.join("chrony").display().to_string())
        .replace("/run/chrony-dhcp", &root.join("run/chrony-dhcp").display().to_string());
    std::fs::write(etc.join("chrony/chrony.conf"), conf).unwrap();
    std::fs::write(root.join("run/chrony-dhcp/eth0.sources"), "server 192.0.2.1 iburst\n").unwrap();
    std::fs::write(etc.join("chrony/sources.d/site.sources"), "server 192.0.2.1 iburst\nserver 192.0.2.2\n").unwrap();
    let chronyd = Running { kind: Kind::Chronyd, pid: 1, cmdline: vec!["/usr/sbin/chronyd".into()] };
    assert_eq!(
        configured_servers(&[chronyd.clone(), chronyd], &etc),
        ["2.debian.pool.ntp.org", "192.0.2.1", "192.0.2.2"]
    );
    std::fs::remove_dir_all(&root).unwrap();
}
