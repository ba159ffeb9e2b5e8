//! One collection: every service of the trees named, its supervisor's
//! record and what it uses, from one pass over /proc ([`Collector`]).

use std::time::Duration;

use resources::{Detail, ProcTable, ServiceState, Source, Usage};

/// One service as collected.
#[derive(Debug, Clone)]
pub struct Service {
    /// The scan directory as given (for a service directory named
    /// directly: its parent directory).
    pub tree: String,
    /// `NAME` or `NAME/log`, as `tend status` shows a scan directory's.
    pub name: String,
    /// Its directory, as it can be opened.
    pub path: Vec<u8>,
    pub state: ServiceState,
    /// What it uses; None when it has no process to read.
    pub usage: Option<Usage>,
}

/// What one collection found.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub services: Vec<Service>,
    /// CLOCK_MONOTONIC when it was collected.
    pub at: Duration,
    /// How long collecting took.
    pub took: Duration,
}

/// Collects again and again, keeping the process table (where services'
/// cgroups are) and the snapshot's storage between collections.
pub struct Collector {
    /// The directories named (a scan directory or a service directory).
    dirs: Vec<Vec<u8>>,
    table: Option<ProcTable>,
    snapshot: Snapshot,
    collected: bool,
}

fn now() -> Duration {
    unix::time::clock_gettime(libc::CLOCK_MONOTONIC)
}

impl Collector {
    /// A collector of `dirs`; none: `$SVDIR`, else `/etc/service`.
    pub fn new(dirs: Vec<Vec<u8>>) -> Collector {
        let dirs = if dirs.is_empty() {
            let svdir = std::env::var_os("SVDIR").filter(|d| !d.is_empty());
            vec![svdir.map_or(resources::DEFAULT_SCAN_DIR.to_vec(), std::ffi::OsString::into_encoded_bytes)]
        } else {
            dirs
        };
        Collector { dirs, table: None, snapshot: Snapshot::default(), collected: false }
    }

    /// The last snapshot, collected again if it is older than `fresh`
    /// (or was never collected).
    pub fn snapshot(&mut self, fresh: Duration) -> &Snapshot {
        let start = now();
        if !self.collected || start.saturating_sub(self.snapshot.at) >= fresh {
            self.collect(start);
            self.collected = true;
        }
        &self.snapshot
    }

    fn collect(&mut self, start: Duration) {
        let services = &mut self.snapshot.services;
        services.clear();
        for dir in &self.dirs {
            for entry in resources::services(&[dir]) {
                if entry.error.is_some() {
                    continue;
                }
                let (tree, name) = labels(dir, &entry.path, &entry.name);
                let state = ServiceState::read(&entry.path);
                services.push(Service { tree, name, path: entry.path, state, usage: None });
            }
        }
        // One reading of /proc for every service: where each has its
        // cgroup, only its files and its processes' stat.
        let main = |s: &Service| s.state.main_pid().filter(|_| s.state.supervised);
        let sampled: Vec<(&[u8], u32)> = services.iter().filter_map(|s| Some((s.path.as_slice(), main(s)?))).collect();
        let table = match &mut self.table {
            Some(t) => {
                t.refresh_for(&sampled, Detail::Totals);
                t
            }
            None => self.table.insert(ProcTable::read_for(&sampled, Detail::Totals)),
        };
        for s in services.iter_mut() {
            s.usage = main(s)
                .map(|p| table.usage_with(&s.path, Some(p), Detail::Totals))
                .filter(|u| u.source != Source::None);
        }
        self.snapshot.at = start;
        self.snapshot.took = now().saturating_sub(start);
    }
}

/// The `tree` and `service` labels of a service found under the directory
/// named `dir`: a scan directory's service is `NAME` (or `NAME/log`) in
/// `dir`; a service directory named directly is its last component in its
/// parent directory.
fn labels(dir: &[u8], path: &[u8], name: &[u8]) -> (String, String) {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    if name == path {
        // Named directly: its name is its path (or `PATH/log`).
        let trimmed = dir.strip_suffix(b"/").filter(|d| !d.is_empty()).unwrap_or(dir);
        let (parent, last) = match trimmed.iter().rposition(|&b| b == b'/') {
            Some(0) => (&b"/"[..], trimmed.get(1..).unwrap_or_default()),
            Some(i) => (trimmed.get(..i).unwrap_or_default(), trimmed.get(i + 1..).unwrap_or_default()),
            None => (&b"."[..], trimmed),
        };
        let rest = name.get(dir.len()..).unwrap_or_default();
        return (text(parent), text(&[last, rest].concat()));
    }
    (text(dir), text(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_and_service_labels() {
        let l = |dir: &str, path: &str, name: &str| {
            let (t, n) = labels(dir.as_bytes(), path.as_bytes(), name.as_bytes());
            format!("{t} {n}")
        };
        assert_eq!(l("/etc/service", "/etc/service/web", "web"), "/etc/service web");
        assert_eq!(l("/etc/service/", "/etc/service/web/log", "web/log"), "/etc/service/ web/log");
        assert_eq!(l("/etc/service/web", "/etc/service/web", "/etc/service/web"), "/etc/service web");
        assert_eq!(l("/etc/service/web", "/etc/service/web/log", "/etc/service/web/log"), "/etc/service web/log");
        assert_eq!(l("web/", "web/", "web/"), ". web");
        assert_eq!(l("/web", "/web", "/web"), "/ web");
    }
}
