//! `--json` and `--prometheus` of a report with every section filled (and
//! every error branch), compared byte for byte with the recorded output: the
//! shared writers must not change a byte of what monitoring already parses.

use std::time::Duration;

use timehealth::clocksource::{Clocksource, LogEvent};
use timehealth::daemon::{parse_chrony, Kind, Running};
use timehealth::hypervisor::{Detected, GuestTools, Hypervisor};
use timehealth::kernel::KernelTime;
use timehealth::ntp::{ReplyError, Sample};
use timehealth::peers::{parse_chronyc_sources, parse_chronyc_tracking, View};
use timehealth::report::{
    analyse, ClocksourceReport, DaemonReport, NtpReport, Report, StealReport, Thresholds, VmReport,
};
use timehealth::sntp::{QueryError, ServerResult};

fn recorded(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/recorded/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn sample(offset: f64) -> Sample {
    Sample {
        offset,
        delay: 0.000125,
        stratum: 8,
        leap: 0,
        reference_id: [127, 127, 1, 1],
        root_delay: 0.0,
        root_dispersion: 0.25,
    }
}

/// Every section, with names that need escaping ("quote", backslash, newline, tab, U+0001).
fn full_report() -> Report {
    let kernel = KernelTime {
        synchronised: false,
        state: "TIME_ERROR",
        clock_error: false,
        pll: true,
        max_error: 16.0,
        est_error: 16.0,
        offset: -0.0015,
        freq_ppm: 450.25,
        tick: 10000,
        tai: 37,
    };
    let view = View {
        tracking: parse_chronyc_tracking(&recorded("chronyc-tracking-local-only.csv")),
        peers: parse_chronyc_sources(&recorded("chronyc-sources-300s.csv")),
    };
    let chronyd = DaemonReport {
        running: Running { kind: Kind::Chronyd, pid: 4242, cmdline: vec!["chronyd".into()] },
        config_path: "/etc/chrony/chrony \"test\".conf".into(),
        config: Ok(parse_chrony("server 127.0.0.1 port 11123\npool 2.debian.pool.ntp.org\nlocal stratum 10\n")),
        view: Some(Ok(view)),
    };
    let ntpd = DaemonReport {
        running: Running { kind: Kind::Ntpd, pid: 7, cmdline: vec!["ntpd".into()] },
        config_path: "/etc/ntp.conf".into(),
        config: Err("file does not exist".into()),
        view: Some(Err("ntpq failed: back\\slash\nnewline\ttab\u{1}".into())),
    };
    let timesyncd = DaemonReport {
        running: Running { kind: Kind::Timesyncd, pid: 9, cmdline: vec![] },
        config_path: "/etc/systemd/timesyncd.conf".into(),
        config: Ok(Default::default()),
        view: None,
    };
    let servers = vec![
        ServerResult {
            name: "127.0.0.1:11123".into(),
            address: Some("127.0.0.1:11123".parse().unwrap()),
            outcome: Ok(sample(300.000017)),
        },
        ServerResult { name: "ok\"quoted\"".into(), address: None, outcome: Ok(sample(-0.0000123)) },
        ServerResult {
            name: "unsync".into(),
            address: Some("[::1]:123".parse().unwrap()),
            outcome: Err(QueryError::Reply(ReplyError::Unsynchronised { leap: 3, stratum: 0 })),
        },
        ServerResult {
            name: "slow\\server\n".into(),
            address: None,
            outcome: Err(QueryError::Timeout { waited: Duration::from_secs(2), rejected: None }),
        },
    ];
    let mut r = Report {
        kernel: Some(Ok(kernel)),
        ntp: Some(NtpReport {
            daemons: vec![chronyd, ntpd, timesyncd],
            installed: vec![Kind::Chronyd, Kind::Ntpd],
            servers_given: false,
            servers,
        }),
        clocksource: Some(ClocksourceReport {
            source: Ok(Clocksource { current: "tsc".into(), available: vec!["tsc".into(), "kvm-clock".into()] }),
            log: Ok(vec![
                LogEvent::TscUnstable("tsc: Marking TSC unstable due to clocksource watchdog".into()),
                LogEvent::Switched {
                    to: "kvm-clock".into(),
                    line: "clocksource: Switched to clocksource kvm-clock".into(),
                },
                LogEvent::HyperVStale("hv_utils: stale \\ time".into()),
            ]),
        }),
        vm: Some(VmReport {
            detected: Some(Detected {
                hypervisor: Hypervisor::Other("odd\"visor".into()),
                how: "CPUID signature \"x\"".into(),
            }),
            tools: GuestTools::default(),
            advice: vec!["first advice".into(), "second\nadvice".into()],
        }),
        steal: Some(Ok(StealReport {
            percent: Some(12.5),
            over: Duration::from_millis(1500),
            since_boot: Some(0.0625),
        })),
        audit: None,
        findings: vec![],
    };
    analyse(&mut r, &Thresholds::default());
    r
}

/// Sections that failed, and a machine with nothing running.
fn error_report() -> Report {
    let mut r = Report {
        kernel: Some(Err("adjtimex: operation not permitted".into())),
        ntp: Some(NtpReport { daemons: vec![], installed: vec![Kind::Chronyd], servers_given: false, servers: vec![] }),
        clocksource: Some(ClocksourceReport {
            source: Err("/nonexistent/sys: file does not exist".into()),
            log: Err("/dev/kmsg: access denied".into()),
        }),
        vm: Some(VmReport { detected: None, tools: GuestTools::default(), advice: vec![] }),
        steal: Some(Err("/proc/stat: no cpu line".into())),
        audit: None,
        findings: vec![],
    };
    analyse(&mut r, &Thresholds::default());
    r
}

/// Writes the expected files instead of comparing when TEND_RECORD is set.
fn compare(name: &str, got: &str) {
    let path = format!("{}/tests/recorded/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("TEND_RECORD").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap();
    assert!(got == want, "{name} differs:\n--- got\n{got}\n--- want\n{want}");
}

#[test]
fn json_of_every_section_is_unchanged() {
    compare("report-full.json", &timehealth::json::render(&full_report()));
    compare("report-errors.json", &timehealth::json::render(&error_report()));
}

#[test]
fn prometheus_of_every_section_is_unchanged() {
    compare("report-full.prom", &timehealth::prometheus::render(&full_report()));
    compare("report-errors.prom", &timehealth::prometheus::render(&error_report()));
}
