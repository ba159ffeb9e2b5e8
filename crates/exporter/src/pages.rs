//! The status page plugged into the exporter ([`StatusPages`]): `/`, every
//! service of the snapshot with its CPU % since the snapshot before, and
//! `/log/NAME`, a service of the snapshot found by name and its last log
//! lines. The HTML is `statuspage`'s; here is what it is made from.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use resources::Usage;
use statuspage::{Log, Row, LOG_LINES};

use crate::answer::{Pages, View};
use crate::collect::Snapshot;

const HTML: &str = "text/html; charset=utf-8";

/// The status page's pages, and what CPU % is measured against.
#[derive(Default)]
pub struct StatusPages {
    /// The snapshot the CPU % were worked out for (its time), and each
    /// service's usage in it, by directory: the next snapshot's CPU % are
    /// measured from there. Replaced, not grown, at each new snapshot.
    seen: Option<Duration>,
    before: HashMap<Vec<u8>, Usage>,
    cpu: HashMap<Vec<u8>, f64>,
}

impl Pages for StatusPages {
    fn page(&mut self, path: &[u8], view: &View, body: &mut String) -> Option<&'static str> {
        let now = unix::time::clock_gettime(libc::CLOCK_REALTIME).as_secs();
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        if path == b"/" {
            self.measure(view.snapshot);
            *body = self.index(view, now);
            return Some(HTML);
        }
        let segment = path.strip_prefix(b"/log/").filter(|s| !s.contains(&b'/'))?;
        let name = statuspage::log_name(segment)?;
        let service = view.snapshot.services.iter().find(|s| s.name.as_bytes() == name)?;
        *body = log_page(&name, &service.path, now);
        Some(HTML)
    }
}

impl StatusPages {
    /// The CPU % of each service of `snapshot` since the one before, once
    /// per snapshot (none for a service first seen).
    fn measure(&mut self, snapshot: &Snapshot) {
        if self.seen == Some(snapshot.at) {
            return;
        }
        let mut before = HashMap::with_capacity(snapshot.services.len());
        self.cpu.clear();
        for s in &snapshot.services {
            let Some(u) = &s.usage else { continue };
            if let Some(p) = self.before.get(&s.path).and_then(|b| resources::cpu_percent(b, u)) {
                self.cpu.insert(s.path.clone(), p);
            }
            before.insert(s.path.clone(), u.clone());
        }
        self.before = before;
        self.seen = Some(snapshot.at);
    }

    fn index(&self, view: &View, now: i64) -> String {
        let services = &view.snapshot.services;
        let rows: Vec<Row> = services
            .iter()
            .map(|s| Row {
                name: s.name.as_bytes(),
                state: &s.state,
                usage: s.usage.as_ref(),
                cpu_percent: self.cpu.get(&s.path).copied(),
            })
            .collect();
        statuspage::index(title(view.snapshot).as_bytes(), &rows, view.clock, now)
    }
}

/// `/etc/service on web1`: the trees, each once and as absolute paths
/// where they resolve (a service's `..` in examples/exporter), and the
/// machine's name, so that tabs of several machines tell themselves apart.
fn title(snapshot: &Snapshot) -> String {
    let mut trees: Vec<&str> = Vec::new();
    for s in &snapshot.services {
        if !trees.contains(&s.tree.as_str()) {
            trees.push(&s.tree);
        }
    }
    let shown: Vec<String> = trees
        .iter()
        .map(|t| std::fs::canonicalize(t).map_or_else(|_| t.to_string(), |p| p.to_string_lossy().into_owned()))
        .collect();
    let mut title = if shown.is_empty() { "no service".to_string() } else { shown.join(" ") };
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    if !host.trim().is_empty() {
        title.push_str(" on ");
        title.push_str(host.trim());
    }
    title
}

/// The log page of the service `name` in directory `dir`.
fn log_page(name: &[u8], dir: &[u8], now: i64) -> String {
    let Some(log) = resources::log::log_dir(Path::new(OsStr::from_bytes(dir))) else {
        return statuspage::log_page(name, &Log::Missing, now);
    };
    let dir = log.as_os_str().as_bytes();
    match logread::tail::last_lines(&log, LOG_LINES) {
        Ok(lines) => {
            let lines: Vec<Vec<u8>> = lines.into_iter().map(|l| l.text).collect();
            statuspage::log_page(name, &Log::Lines { dir, lines: &lines }, now)
        }
        Err(f) => {
            let (path, why) = (f.path.as_os_str().as_bytes(), strerr::errstr(&f.error));
            statuspage::log_page(name, &Log::Unreadable { path, why: &why }, now)
        }
    }
}

#[cfg(test)]
mod tests {
    use resources::{Phase, ServiceState, Source};

    use super::*;
    use crate::collect::Service;

    /// A snapshot at `at` seconds of one service `web` in a cgroup that has
    /// used `cpu` seconds.
    fn snapshot(at: u64, cpu: u64) -> Snapshot {
        let usage = Usage {
            at: Duration::from_secs(at),
            source: Source::Cgroup(b"/sys/fs/cgroup/web".to_vec()),
            cpu_user: Duration::from_secs(cpu),
            ..resources::usage(b"/nonexistent", None)
        };
        let web = Service {
            tree: "/srv".into(),
            name: "web".into(),
            path: b"/nonexistent/web".to_vec(),
            state: ServiceState { phase: Phase::Up, error: None, ..ServiceState::read(b"/nonexistent/web") },
            usage: Some(usage),
        };
        Snapshot { services: vec![web], at: Duration::from_secs(at), took: Duration::ZERO }
    }

    fn page(pages: &mut StatusPages, snapshot: &Snapshot, path: &[u8]) -> Option<String> {
        let mut body = String::new();
        let view = View { snapshot, clock: None };
        pages.page(path, &view, &mut body).map(|t| {
            assert_eq!(t, HTML);
            body
        })
    }

    #[test]
    fn cpu_between_the_collections_of_two_loads() {
        let mut pages = StatusPages::default();
        let first = page(&mut pages, &snapshot(100, 5), b"/").unwrap();
        assert!(first.contains("<title>tend: /srv on ") && first.contains(">web</a>"), "{first}");
        assert!(!first.contains("%</td>"), "no CPU % from one collection: {first}");
        // The same collection again: nothing new to measure from.
        assert!(!page(&mut pages, &snapshot(100, 5), b"/").unwrap().contains("%</td>"));
        // 5 s of CPU in 10 s.
        let second = page(&mut pages, &snapshot(110, 10), b"/").unwrap();
        assert!(second.contains(">50.0%<"), "{second}");
        assert!(
            page(&mut pages, &snapshot(110, 10), b"/").unwrap().contains(">50.0%<"),
            "kept for the same collection"
        );
    }

    #[test]
    fn only_the_page_paths_and_the_services_collected() {
        let mut pages = StatusPages::default();
        let s = snapshot(1, 0);
        let log = page(&mut pages, &s, b"/log/web").expect("web's log page");
        assert!(log.contains("<h1>Log of web</h1>") && log.contains("has no log directory"), "{log}");
        for path in [&b"/log/"[..], b"/log/nope", b"/log/web/", b"/log/../web", b"/log/%2e%2e", b"/index.html", b"/log"]
        {
            assert_eq!(page(&mut pages, &s, path), None, "{}", String::from_utf8_lossy(path));
        }
    }
}
