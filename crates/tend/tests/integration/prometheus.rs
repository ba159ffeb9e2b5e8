//! The alert rules of examples/prometheus (issue 14, items 2 and 3): checked
//! and unit-tested by Debian's promtool, and loaded as shipped into Debian's
//! Prometheus server, which scrapes `tend exporter` on a tree with a
//! crash-looping service until the crash-loop alert fires.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::svscan::{service, start_svscan_with};
use crate::util::{free_port, require, wait_for_line, wait_until, Sandbox, PATIENCE};

/// examples/prometheus in the source tree.
fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/prometheus")
}

/// Runs `promtool ARGS` in examples/prometheus; fails the test, with its
/// output, unless it succeeds.
#[track_caller]
fn promtool(args: &[&str]) -> String {
    let out =
        Command::new(require("promtool", "prometheus")).args(args).current_dir(examples()).output().expect("promtool");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "promtool {args:?} failed:\n{text}");
    text
}

/// The alert names of a rules file (`- alert: NAME` lines).
fn alert_names(rules: &str) -> Vec<&str> {
    rules.lines().filter_map(|l| l.trim().strip_prefix("- alert: ")).collect()
}

#[test]
fn the_alert_rules_pass_promtool_and_their_unit_tests() {
    let rules = fs::read_to_string(examples().join("tend-rules.yml")).expect("tend-rules.yml");
    let names = alert_names(&rules);
    assert_eq!(names.len(), 11, "the alerts of issue 14 item 2: {names:?}");
    let checked = promtool(&["check", "rules", "tend-rules.yml"]);
    assert!(checked.contains(&format!("SUCCESS: {} rules found", names.len())), "{checked}");
    promtool(&["check", "config", "prometheus.yml"]);
    promtool(&["test", "rules", "tend-rules.test.yml"]);

    // Every alert has a case where it fires (with its labels and rendered
    // annotations: promtool compares them whole) and one where it must not.
    let tests = fs::read_to_string(examples().join("tend-rules.test.yml")).expect("tend-rules.test.yml");
    let lines: Vec<&str> = tests.lines().map(str::trim).collect();
    let cases: Vec<(&str, bool)> = lines
        .windows(2)
        .filter_map(|w| match w {
            [name, exp] => Some((name.strip_prefix("alertname: ")?, *exp != "exp_alerts: []")),
            _ => None,
        })
        .collect();
    for name in names {
        assert!(cases.contains(&(name, true)), "no case where {name} fires in tend-rules.test.yml");
        assert!(cases.contains(&(name, false)), "no case where {name} stays quiet in tend-rules.test.yml");
    }
}

/// One series or alert from Prometheus' HTTP API: its labels, and `@value`
/// (a query's result), or `@state` and `@summary` (an alert).
type Labels = BTreeMap<String, String>;

/// Prints what the HTTP API answers (`/api/v1/query` or `/api/v1/alerts`),
/// one line per series or alert, `NAME=VALUE` fields separated by tabs.
const API_PY: &str = r#"import json, sys, urllib.parse, urllib.request
url = sys.argv[1] + ('?' + urllib.parse.urlencode({'query': sys.argv[2]}) if len(sys.argv) > 2 else '')
d = json.load(urllib.request.urlopen(url, timeout=10))['data']
if 'alerts' in d:
    items = [dict(a['labels'], **{'@state': a['state'], '@summary': a['annotations'].get('summary', '')}) for a in d['alerts']]
else:
    items = [dict(r['metric'], **{'@value': r['value'][1]}) for r in d['result']]
for i in items:
    print('\t'.join('%s=%s' % kv for kv in sorted(i.items())))
"#;

/// Debian's Prometheus server on the loopback, its storage and log in the
/// sandbox; the sandbox kills it by pid when dropped, as every process it
/// started.
struct Prometheus {
    port: u16,
    dir: PathBuf,
}

impl Prometheus {
    /// Starts it with examples/prometheus' configuration, rewritten only to
    /// scrape and evaluate every second and to scrape `target`, and the rules
    /// file as shipped (its crash-loop alert fires after 30 s).
    fn start(sb: &mut Sandbox, target: &str) -> Prometheus {
        let server = require("prometheus", "prometheus");
        let dir = sb.join("prometheus");
        fs::create_dir(&dir).expect("mkdir prometheus");
        fs::copy(examples().join("tend-rules.yml"), dir.join("tend-rules.yml")).expect("copy the rules");
        let mut config = fs::read_to_string(examples().join("prometheus.yml")).expect("prometheus.yml");
        for (from, to) in
            [("scrape_interval: 15s", "scrape_interval: 1s"), ("evaluation_interval: 15s", "evaluation_interval: 1s")]
                .into_iter()
                .chain([("'127.0.0.1:9725'", &*format!("'{target}'"))])
        {
            assert!(config.contains(from), "examples/prometheus/prometheus.yml has no {from}");
            config = config.replace(from, to);
        }
        fs::write(dir.join("prometheus.yml"), config).expect("write prometheus.yml");
        let port = free_port();
        let mut cmd = sb.command(server);
        cmd.arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(dir.join("log")).expect("log file"));
        sb.spawn(cmd);
        fs::write(dir.join("api.py"), API_PY).expect("write api.py");
        Prometheus { port, dir }
    }

    /// What `/api/v1/PATH` answers (with `query`, if any), or None while the
    /// server does not answer.
    fn api(&self, sb: &Sandbox, path: &str, query: Option<&str>) -> Option<Vec<Labels>> {
        let url = format!("http://127.0.0.1:{}/api/v1/{path}", self.port);
        let out = sb.command("python3").arg(self.dir.join("api.py")).arg(url).args(query).output().ok()?;
        let fields = |line: &str| {
            line.split('\t').filter_map(|f| f.split_once('=')).map(|(k, v)| (k.into(), v.into())).collect()
        };
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).lines().map(fields).collect())
    }

    /// Waits (up to [`PATIENCE`]) until what `/api/v1/PATH` answers
    /// satisfies `condition`, and returns it; fails with the server's log.
    #[track_caller]
    fn wait(
        &self,
        sb: &Sandbox,
        what: &str,
        path: &str,
        query: Option<&str>,
        condition: impl Fn(&[Labels]) -> bool,
    ) -> Vec<Labels> {
        let mut last = None;
        let held = wait_until(PATIENCE, || {
            last = self.api(sb, path, query);
            last.as_deref().is_some_and(&condition)
        });
        if !held {
            let log = fs::read_to_string(self.dir.join("log")).unwrap_or_default();
            let svscan = fs::read_to_string(sb.join("stderr")).unwrap_or_default();
            panic!("gave up after {PATIENCE:?} waiting for {what}; last answer {last:?}\nprometheus:\n{log}\nsvscan:\n{svscan}");
        }
        last.unwrap_or_default()
    }
}

/// The labels `key` of the items, sorted.
fn values<'a>(items: &'a [Labels], key: &str) -> Vec<&'a str> {
    let mut v: Vec<&str> = items.iter().filter_map(|i| i.get(key).map(String::as_str)).collect();
    v.sort_unstable();
    v
}

#[test]
fn a_crash_loop_under_tend_fires_its_alert_in_a_real_prometheus() {
    let mut sb = Sandbox::new();
    let scan = sb.join("scan");
    let tree = scan.to_str().expect("a UTF-8 temporary path");
    service(&sb, "steady", "exec sleep 1000");
    service(&sb, "flaky", "echo cannot start >&2\nexit 1");
    // The exporter runs as a service of the tree it watches, on a port the
    // kernel picks (its first line says which), checking only the kernel's
    // clock (no NTP query leaves the machine).
    let tend = env!("CARGO_BIN_EXE_tend");
    service(
        &sb,
        "exporter",
        &format!("exec {tend} exporter --listen 127.0.0.1:0 --clock-check kernel {tree} > ../../listening"),
    );
    start_svscan_with(&mut sb, "stderr", &[]);
    let listening = wait_for_line(&sb.join("listening"));
    let target = listening.strip_prefix("listening on ").unwrap_or_else(|| panic!("{listening:?}")).to_string();
    let prometheus = Prometheus::start(&mut sb, &target);

    // Prometheus scrapes the exporter, and every service has its series,
    // labelled with the tree and its name.
    prometheus.wait(&sb, "the exporter scraped", "query", Some("up{job=\"tend\"}"), |items| {
        items.iter().any(|i| i.get("instance") == Some(&target) && i["@value"] == "1")
    });
    let series = prometheus.wait(&sb, "steady up in tend_service_up", "query", Some("tend_service_up"), |items| {
        items.iter().any(|i| i.get("service").map(String::as_str) == Some("steady") && i["@value"] == "1")
    });
    assert_eq!(values(&series, "service"), ["exporter", "flaky", "steady"], "{series:?}");
    assert_eq!(values(&series, "tree"), [tree; 3], "{series:?}");
    assert_eq!(values(&series, "job"), ["tend"; 3], "{series:?}");

    // The crash-loop alert: pending first, firing once its `for` (30 s) is over.
    let crash_loop = |firing: bool| {
        move |alerts: &[Labels]| {
            alerts.iter().any(|a| {
                a["alertname"] == "TendServiceCrashLooping"
                    && a.get("service").map(String::as_str) == Some("flaky")
                    && (!firing || a["@state"] == "firing")
            })
        }
    };
    prometheus.wait(&sb, "the crash-loop alert (pending or firing)", "alerts", None, crash_loop(false));
    let alerts = prometheus.wait(&sb, "the crash-loop alert firing", "alerts", None, crash_loop(true));
    let looping: Vec<&Labels> = alerts.iter().filter(|a| a["alertname"] == "TendServiceCrashLooping").collect();
    let [alert] = looping.as_slice() else { panic!("one crash-loop alert expected: {looping:?}") };
    assert_eq!(alert["tree"], tree, "{alert:?}");
    assert_eq!(alert["service"], "flaky", "{alert:?}");
    assert_eq!(alert["severity"], "critical", "{alert:?}");
    assert_eq!(alert["instance"], target, "{alert:?}");
    assert_eq!(alert["@summary"], format!("flaky in {tree} on {target} is crash-looping"), "{alert:?}");
}
