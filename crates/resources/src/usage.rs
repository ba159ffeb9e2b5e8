//! What one service uses at one instant ([`Usage`]): from its cgroup where
//! tend's supervise made one (exact), else from its process tree in /proc
//! (an estimate). [`ProcTable`] reads every /proc/PID/stat once, so that
//! the usage of a thousand services comes from one pass over /proc.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use crate::files::{Files, System};
use crate::parse::{self, Stat};
use crate::procfs::vanished;

/// The longest command line kept for one process, in bytes.
pub const CMDLINE_MAX: usize = 512;

/// Where a [`Usage`]'s figures come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The service's own cgroup (this directory): CPU and membership are
    /// exact, and memory, peak, I/O and OOM kills too where the memory and
    /// io controllers are enabled for it (else summed over its processes).
    Cgroup(Vec<u8>),
    /// The main pid and its descendants in /proc: an estimate (see the crate's notes).
    ProcessTree,
    /// Nothing to read: no main pid, or it is gone or unreadable.
    None,
}

/// How much is read per process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// [`Detail::Summary`]'s figures without the list of processes
    /// (`procs` empty): for a service in its cgroup, from the cgroup's
    /// files and its members' stat (their resident memory: only the main
    /// process's where the memory controller counts it), with no table
    /// of processes built.
    Totals,
    /// Only what one pass over /proc/PID/stat and the cgroup's own files
    /// give: CPU, memory, processes (and the cgroup's peak, I/O and OOM
    /// figures where they exist). Command lines are empty; the per-process
    /// peak, I/O and descriptors are None.
    Summary,
    /// Everything: each process's command line, /proc/PID/status (peak),
    /// /proc/PID/io and /proc/PID/fd too.
    Full,
}

/// One process of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proc {
    pub pid: u32,
    pub ppid: u32,
    /// Clock ticks after boot when it started: (pid, start) names one
    /// process across samples; a reused pid has another start.
    pub start: u64,
    /// Its place in the tree shown: 0 for a root (the main process, or a
    /// process of the cgroup whose parent is not in it), 1 for its children, ...
    pub depth: u32,
    /// The kernel's command name (15 bytes at most).
    pub comm: Vec<u8>,
    /// Its arguments joined by spaces, at most [`CMDLINE_MAX`] bytes
    /// (empty with [`Detail::Summary`], for a zombie or a kernel thread).
    pub cmdline: Vec<u8>,
    /// CPU time, user and system, its own and that of the children it
    /// has waited for.
    pub cpu: Duration,
    /// Resident memory in bytes.
    pub rss: u64,
    /// R (running), S (sleeping), D (disk), Z (zombie), T (stopped), ...
    pub state: u8,
}

/// A figure that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The field of [`Usage`] concerned (`io_read`, `fds`, `processes`, ...).
    pub field: &'static str,
    pub reason: String,
}

/// What one service uses at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    /// CLOCK_MONOTONIC when the CPU figures were read.
    pub at: Duration,
    pub source: Source,
    /// CPU time since the service (cgroup) or each process (tree) started.
    pub cpu_user: Duration,
    pub cpu_system: Duration,
    /// Resident memory in bytes (the cgroup's `memory.current`, which counts
    /// page cache too, or the sum of the processes' resident sets).
    pub rss: u64,
    /// The cgroup's `memory.peak`, else (with [`Detail::Full`]) the largest
    /// VmHWM of its processes (from a cgroup, with a note saying so).
    pub rss_peak: Option<u64>,
    pub processes: u32,
    /// Bytes read from and written to storage.
    pub io_read: Option<u64>,
    pub io_write: Option<u64>,
    /// Open descriptors of all its processes.
    pub fds: Option<u32>,
    /// OOM kills in its cgroup (`memory.events`).
    pub oom_kills: Option<u64>,
    /// Its cgroup's limit (`memory.max`); None when unlimited (`max`) or
    /// without a cgroup or memory controller.
    pub memory_max: Option<u64>,
    /// Its processes, the main process's tree first, each tree in
    /// depth-first order of pids.
    pub procs: Vec<Proc>,
    /// Figures that are None or incomplete, with the reason.
    pub notes: Vec<Note>,
}

impl Usage {
    fn empty(at: Duration, source: Source) -> Usage {
        Usage {
            at,
            source,
            cpu_user: Duration::ZERO,
            cpu_system: Duration::ZERO,
            rss: 0,
            rss_peak: None,
            processes: 0,
            io_read: None,
            io_write: None,
            fds: None,
            oom_kills: None,
            memory_max: None,
            procs: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// User and system CPU time together.
    pub fn cpu(&self) -> Duration {
        self.cpu_user.saturating_add(self.cpu_system)
    }

    fn note(&mut self, field: &'static str, reason: impl Into<String>) {
        self.notes.push(Note { field, reason: reason.into() });
    }
}

/// The usage of the service in `service_path` whose main process (`run`,
/// or `finish` while it runs) is `main_pid`, with [`Detail::Full`]. Reads
/// all of /proc: for many services, read one [`ProcTable`] and ask it.
pub fn usage(service_path: &[u8], main_pid: Option<u32>) -> Usage {
    ProcTable::read().usage(service_path, main_pid)
}

/// Every process's /proc/PID/stat, read once, and who is whose child.
#[derive(Debug, Clone)]
pub struct ProcTable {
    procs: HashMap<u32, Stat>,
    children: HashMap<u32, Vec<u32>>,
    /// Pids whose stat could not be read for another reason than their end
    /// (EACCES under hidepid), with that reason.
    denied: HashMap<u32, String>,
    at: Duration,
    ticks: u64,
    page: u64,
    /// Why /proc could not be listed, if it could not.
    error: Option<String>,
    /// Where each service's cgroup was found, by (service path, main pid,
    /// its start): kept by [`ProcTable::refresh`], so that later samples
    /// of a service read only its cgroup's figures.
    /// (A `Cell`, taken and put back: a `RefCell`'s borrow checks would
    /// be panic locations in every tend process's RELRO pages.)
    cgroups: Remembered,
    /// The members (`cgroup.procs`) of the services' cgroups, as
    /// [`ProcTable::read_for`] read them before their stats.
    members: HashMap<ServiceKey, Vec<u32>>,
    /// Only the processes of the services [`ProcTable::read_for`] was
    /// given were read: the table answers for those services only.
    partial: bool,
    /// /proc and the cgroup hierarchy held open, for this table's reads
    /// and the next sample's.
    system: Arc<System>,
}

/// A service directory's path, its main pid and that process's start.
type ServiceKey = (Vec<u8>, u32, u64);

/// Where services' cgroups were found.
#[derive(Default)]
struct Remembered(Cell<HashMap<ServiceKey, Option<Located>>>);

impl Remembered {
    fn take(&self) -> HashMap<ServiceKey, Option<Located>> {
        self.0.take()
    }
    fn set(&self, map: HashMap<ServiceKey, Option<Located>>) {
        self.0.set(map);
    }
}

impl Clone for Remembered {
    fn clone(&self) -> Remembered {
        let map = self.take();
        let copy = map.clone();
        self.set(map);
        Remembered(Cell::new(copy))
    }
}

impl std::fmt::Debug for Remembered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let map = self.take();
        let n = map.len();
        self.set(map);
        write!(f, "{n} services located")
    }
}

/// A service's cgroup and the controllers enabled in it.
#[derive(Debug, Clone)]
struct Located {
    dir: Vec<u8>,
    memory: bool,
    io: bool,
}

impl ProcTable {
    /// Reads /proc: every process's stat. A process that ends meanwhile
    /// is left out; one that cannot be read is remembered as denied.
    pub fn read() -> ProcTable {
        let system = Arc::new(System::open());
        ProcTable::read_from(&*system).on(system)
    }

    pub(crate) fn read_from(files: &impl Files) -> ProcTable {
        let mut t = ProcTable::empty(files);
        t.add_every(files);
        t.finish(files);
        t
    }

    /// Reads what the services in `services` (each its directory and its
    /// main pid, as [`ProcTable::usage_with`] will be asked) need, and no
    /// more: each main process's stat and, for a service in its own
    /// cgroup, its members' (`cgroup.procs`, read once for both). If one
    /// of them has no cgroup (its figures come from its process tree, which
    /// only a whole pass finds), every process is read as [`ProcTable::read`]
    /// does. The figures are those [`ProcTable::read`] gives; the table
    /// answers for these services only.
    pub fn read_for(services: &[(&[u8], u32)], detail: Detail) -> ProcTable {
        let system = Arc::new(System::open());
        ProcTable::read_for_in(&*system, services, HashMap::new(), detail).on(system)
    }

    /// [`ProcTable::read_for`] again (the next sample), keeping where the
    /// services' cgroups are (for main processes that are still there).
    pub fn refresh_for(&mut self, services: &[(&[u8], u32)], detail: Detail) {
        let (cgroups, system) = (self.cgroups.take(), Arc::clone(&self.system));
        *self = ProcTable::read_for_in(&*system, services, cgroups, detail).on(system);
    }

    /// The table, its later reads made through `system`.
    fn on(self, system: Arc<System>) -> ProcTable {
        ProcTable { system, ..self }
    }

    fn read_for_in(
        files: &impl Files,
        services: &[(&[u8], u32)],
        mut known: HashMap<ServiceKey, Option<Located>>,
        detail: Detail,
    ) -> ProcTable {
        let mut t = ProcTable::empty(files);
        let mut cgroups = HashMap::with_capacity(services.len());
        let mut whole = false;
        for &(path, main) in services {
            if main == 0 {
                continue;
            }
            if detail == Detail::Totals {
                // Its cgroup, remembered by its main pid alone: the usage
                // reads it then (ProcTable::totals).
                let key = (path.to_vec(), main, 0);
                let located = known.remove(&key).unwrap_or_else(|| locate(files, path, main));
                let found = located.is_some();
                cgroups.insert(key, located);
                if found {
                    continue;
                }
            }
            if !t.add(files, main) {
                continue;
            }
            let key = (path.to_vec(), main, t.procs.get(&main).map_or(0, |s| s.start));
            let located = known.remove(&key).unwrap_or_else(|| locate(files, path, main));
            let members = located.as_ref().and_then(|at| files.cgroup_file(&at.dir, "cgroup.procs").ok());
            match members.map(|text| parse::pids(&text)) {
                Some(pids) => {
                    for &pid in &pids {
                        t.add_new(files, pid);
                    }
                    t.members.insert(key.clone(), pids);
                }
                // No cgroup, or it went: the process tree, from every process.
                None => whole = true,
            }
            cgroups.insert(key, located);
        }
        if whole {
            t.add_every(files);
        } else {
            t.partial = true;
        }
        t.cgroups = Remembered(Cell::new(cgroups));
        t.finish(files);
        t
    }

    /// A table with nothing read yet.
    fn empty(files: &impl Files) -> ProcTable {
        let (ticks, page) = files.units();
        ProcTable {
            procs: HashMap::new(),
            children: HashMap::new(),
            denied: HashMap::new(),
            at: Duration::ZERO,
            ticks,
            page,
            error: None,
            cgroups: Remembered::default(),
            members: HashMap::new(),
            partial: false,
            system: Arc::default(),
        }
    }

    /// Reads every process of /proc not read yet.
    fn add_every(&mut self, files: &impl Files) {
        match files.pids() {
            Ok(pids) => {
                for pid in pids {
                    self.add_new(files, pid);
                }
            }
            Err(e) => self.error = Some(format!("unable to read /proc: {}", strerr::errstr(&e))),
        }
    }

    /// When it was read, and who is whose child.
    fn finish(&mut self, files: &impl Files) {
        self.at = files.now();
        for (&pid, s) in &self.procs {
            self.children.entry(s.ppid).or_default().push(pid);
        }
        for kids in self.children.values_mut() {
            kids.sort_unstable();
        }
    }

    /// [`ProcTable::add`] unless that process was read already.
    fn add_new(&mut self, files: &impl Files, pid: u32) {
        if !self.procs.contains_key(&pid) && !self.denied.contains_key(&pid) {
            self.add(files, pid);
        }
    }

    /// Reads one process's stat into the table; true if it is there.
    fn add(&mut self, files: &impl Files, pid: u32) -> bool {
        match files.proc_file(pid, "stat") {
            Ok(text) => match parse::stat(&text) {
                Some(s) if s.pid == pid => {
                    self.procs.insert(pid, s);
                    true
                }
                _ => {
                    self.denied.insert(pid, "unreadable /proc/PID/stat".to_string());
                    false
                }
            },
            Err(e) if vanished(&e) => false,
            Err(e) => {
                self.denied.insert(pid, strerr::errstr(&e).to_string());
                false
            }
        }
    }

    /// Reads /proc again (the next sample), keeping what it learnt of
    /// where services' cgroups are (for processes that are still there).
    pub fn refresh(&mut self) {
        let (cgroups, system) = (self.cgroups.take(), Arc::clone(&self.system));
        *self = ProcTable::read_from(&*system).on(system);
        let keep = |key: &ServiceKey| self.procs.get(&key.1).is_some_and(|s| s.start == key.2);
        let kept = cgroups.into_iter().filter(|(k, _)| keep(k)).collect();
        self.cgroups = Remembered(Cell::new(kept));
    }

    /// CLOCK_MONOTONIC when it was read.
    pub fn at(&self) -> Duration {
        self.at
    }

    /// The processes read.
    pub fn len(&self) -> usize {
        self.procs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.procs.is_empty()
    }

    /// Why /proc could not be listed, if it could not.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// One process's stat, as read.
    pub fn stat(&self, pid: u32) -> Option<&Stat> {
        self.procs.get(&pid)
    }

    /// [`ProcTable::usage_with`] and [`Detail::Full`].
    pub fn usage(&self, service_path: &[u8], main_pid: Option<u32>) -> Usage {
        self.usage_with(service_path, main_pid, Detail::Full)
    }

    /// The usage of the service in `service_path` whose main process is
    /// `main_pid`, from this table and, for its cgroup and with
    /// [`Detail::Full`], a few more files.
    pub fn usage_with(&self, service_path: &[u8], main_pid: Option<u32>, detail: Detail) -> Usage {
        self.usage_in(&*self.system, service_path, main_pid, detail)
    }

    pub(crate) fn usage_in(&self, files: &impl Files, path: &[u8], main: Option<u32>, detail: Detail) -> Usage {
        if detail == Detail::Totals {
            let key = (path.to_vec(), main.unwrap_or(0), 0);
            let cgroups = self.cgroups.take();
            let located = cgroups.get(&key).cloned().flatten();
            self.cgroups.set(cgroups);
            if let Some(at) = located {
                return self.totals(files, key, &at);
            }
        }
        let mut u = self.usage_of(files, path, main, detail);
        if detail == Detail::Totals {
            u.procs.clear();
        }
        u
    }

    /// [`ProcTable::usage_in`] from the table's stats.
    fn usage_of(&self, files: &impl Files, path: &[u8], main: Option<u32>, detail: Detail) -> Usage {
        let Some(main) = main.filter(|&p| p != 0) else {
            return Usage::empty(self.at, Source::None);
        };
        if let Some(reason) = self.denied.get(&main) {
            let mut u = Usage::empty(self.at, Source::None);
            u.note("processes", format!("main process {main}: {reason}"));
            return u;
        }
        if !self.procs.contains_key(&main) {
            let mut u = Usage::empty(self.at, Source::None);
            u.note("processes", format!("main process {main} is gone"));
            return u;
        }
        let mut fell_back = None;
        let key = (path.to_vec(), main, self.procs.get(&main).map_or(0, |s| s.start));
        if self.partial && !self.members.contains_key(&key) {
            let mut u = Usage::empty(self.at, Source::None);
            u.note("processes", "not read for this service");
            return u;
        }
        let mut cgroups = self.cgroups.take();
        let located = cgroups.entry(key.clone()).or_insert_with(|| locate(files, path, main)).clone();
        self.cgroups.set(cgroups);
        if let Some(at) = located {
            let members = match self.members.get(&key) {
                Some(pids) => Ok(pids.clone()),
                None => files.cgroup_file(&at.dir, "cgroup.procs").map(|text| parse::pids(&text)),
            };
            match members {
                Ok(pids) => return self.of_cgroup(files, &at, &pids, main, detail),
                Err(e) => {
                    let mut cgroups = self.cgroups.take();
                    cgroups.remove(&key);
                    self.cgroups.set(cgroups);
                    let dir = String::from_utf8_lossy(&at.dir);
                    fell_back = Some(format!("cgroup {dir} unreadable: {}", strerr::errstr(&e)));
                }
            }
        }
        let members = self.descendants(main);
        let mut u = self.of_processes(files, &members, main, detail, Source::ProcessTree);
        if let Some(why) = fell_back {
            u.note("source", why);
        }
        u
    }

    /// `main` and every process below it.
    fn descendants(&self, main: u32) -> Vec<u32> {
        let mut seen = HashSet::from([main]);
        let mut out = vec![main];
        let mut i = 0;
        while let Some(&pid) = out.get(i) {
            for &kid in self.children.get(&pid).map(Vec::as_slice).unwrap_or_default() {
                if seen.insert(kid) {
                    out.push(kid);
                }
            }
            i += 1;
        }
        out
    }

    /// The figures summed over `members` (those in the table), the
    /// processes listed as a tree.
    fn of_processes(&self, files: &impl Files, members: &[u32], main: u32, detail: Detail, source: Source) -> Usage {
        let mut u = Usage::empty(self.at, source);
        let set: HashSet<u32> = members.iter().copied().filter(|p| self.procs.contains_key(p)).collect();
        let denied = members.iter().filter(|p| self.denied.contains_key(p)).count();
        if denied > 0 {
            u.note("processes", format!("{denied} of its processes could not be read"));
        }
        let (mut user, mut system) = (0u64, 0u64);
        for s in set.iter().filter_map(|p| self.procs.get(p)) {
            user = user.saturating_add(s.utime).saturating_add(s.cutime);
            system = system.saturating_add(s.stime).saturating_add(s.cstime);
            u.rss = u.rss.saturating_add(s.rss_pages.saturating_mul(self.page));
        }
        u.cpu_user = self.duration(user);
        u.cpu_system = self.duration(system);
        u.processes = u32::try_from(set.len()).unwrap_or(u32::MAX);
        u.procs = self.tree(&set, main);
        if detail == Detail::Full {
            self.per_process(files, &mut u);
        }
        u
    }

    /// The members as a forest: `main`'s tree first, then the other roots
    /// (members whose parent is not a member) by pid.
    fn tree(&self, set: &HashSet<u32>, main: u32) -> Vec<Proc> {
        let mut others: Vec<u32> = set
            .iter()
            .copied()
            .filter(|&p| p != main && self.procs.get(&p).is_some_and(|s| !set.contains(&s.ppid)))
            .collect();
        others.sort_unstable();
        let roots: Vec<u32> = set.get(&main).into_iter().copied().chain(others).collect();
        let mut out = Vec::with_capacity(set.len());
        let mut stack: Vec<(u32, u32)> = roots.iter().rev().map(|&p| (p, 0)).collect();
        let mut placed = HashSet::new();
        while let Some((pid, depth)) = stack.pop() {
            let Some(s) = self.procs.get(&pid) else { continue };
            if !placed.insert(pid) {
                continue;
            }
            out.push(self.proc_of(s, depth));
            for &kid in self.children.get(&pid).map(Vec::as_slice).unwrap_or_default().iter().rev() {
                if set.contains(&kid) {
                    stack.push((kid, depth.saturating_add(1)));
                }
            }
        }
        out
    }

    fn proc_of(&self, s: &Stat, depth: u32) -> Proc {
        Proc {
            pid: s.pid,
            ppid: s.ppid,
            start: s.start,
            depth,
            comm: s.comm.clone(),
            cmdline: Vec::new(),
            cpu: self.duration(s.utime.saturating_add(s.stime).saturating_add(s.cutime).saturating_add(s.cstime)),
            rss: s.rss_pages.saturating_mul(self.page),
            state: s.state,
        }
    }

    /// Command lines, peak, I/O and descriptors, one process at a time;
    /// a process gone meanwhile adds nothing, a refusal makes the figure None.
    fn per_process(&self, files: &impl Files, u: &mut Usage) {
        let (mut peak, mut read, mut written, mut fds) = (Some(0u64), Some(0u64), Some(0u64), Some(0u32));
        let mut refused: Vec<(&'static str, String)> = Vec::new();
        for p in &mut u.procs {
            if let Ok(raw) = files.proc_file(p.pid, "cmdline") {
                p.cmdline = parse::cmdline(&raw, CMDLINE_MAX);
            }
            match files.proc_file(p.pid, "status") {
                Ok(text) => {
                    // Kernel threads and zombies have no memory lines.
                    let hwm = parse::kilobytes(&text, b"VmHWM:").unwrap_or(0);
                    peak = peak.map(|m| m.max(hwm));
                }
                Err(e) if vanished(&e) => {}
                Err(e) => {
                    peak = None;
                    refused.push(("rss_peak", format!("/proc/{}/status: {}", p.pid, strerr::errstr(&e))));
                }
            }
            match files.proc_file(p.pid, "io").map(|t| parse::proc_io(&t)) {
                Ok(Some((r, w))) => {
                    read = read.map(|n| n.saturating_add(r));
                    written = written.map(|n| n.saturating_add(w));
                }
                Ok(None) => {
                    (read, written) = (None, None);
                    refused.push(("io_read", format!("/proc/{}/io: unreadable", p.pid)));
                }
                Err(e) if vanished(&e) => {}
                Err(e) => {
                    (read, written) = (None, None);
                    refused.push(("io_read", format!("/proc/{}/io: {}", p.pid, strerr::errstr(&e))));
                }
            }
            match files.fd_count(p.pid) {
                Ok(n) => fds = fds.map(|f| f.saturating_add(n)),
                Err(e) if vanished(&e) => {}
                Err(e) => {
                    fds = None;
                    refused.push(("fds", format!("/proc/{}/fd: {}", p.pid, strerr::errstr(&e))));
                }
            }
        }
        u.rss_peak = u.rss_peak.or(peak);
        u.io_read = u.io_read.or(read);
        u.io_write = u.io_write.or(written);
        u.fds = fds;
        // One note per figure: the first refusal says why.
        for (field, reason) in refused {
            let known = match field {
                "rss_peak" => u.rss_peak.is_some(),
                "io_read" => u.io_read.is_some(),
                _ => false,
            };
            if !known && !u.notes.iter().any(|n| n.field == field) {
                u.note(field, reason);
            }
        }
    }

    /// The cgroup's own files where they exist, the processes' sums where
    /// they do not.
    fn of_cgroup(&self, files: &impl Files, at: &Located, pids: &[u32], main: u32, detail: Detail) -> Usage {
        let mut u = self.of_processes(files, pids, main, detail, Source::Cgroup(at.dir.clone()));
        // Members that started after the table was read are counted, not shown.
        u.processes = u32::try_from(pids.len()).unwrap_or(u32::MAX);
        cgroup_files(files, at, &mut u);
        u
    }

    /// [`Detail::Totals`] of the service whose cgroup is `at`, as
    /// [`Detail::Summary`] gives them: from the cgroup's files and its
    /// members' stat. Where those do not suffice (the cgroup went, the
    /// main process left it or is refused, cpu.stat or memory.current
    /// unreadable), from a whole pass over /proc as before.
    fn totals(&self, files: &impl Files, key: ServiceKey, at: &Located) -> Usage {
        let main = key.1;
        let members = files.cgroup_file(&at.dir, "cgroup.procs").map(|t| parse::pids(&t)).unwrap_or_default();
        let mut u = Usage::empty(self.at, Source::Cgroup(at.dir.clone()));
        u.processes = u32::try_from(members.len()).unwrap_or(u32::MAX);
        // The memory controller counts the memory: only the main process
        // is looked at (there, and readable). The rss of stat, not statm's
        // count (exact where stat's is the kernel's per-CPU estimate), so
        // that the figures stay those of Detail::Summary.
        let counted: &[u32] = if at.memory { &[main] } else { &members };
        let mut exact = members.contains(&main);
        for &pid in counted {
            match files.proc_file(pid, "stat").map(|t| parse::stat(&t).filter(|s| s.pid == pid).map(|s| s.rss_pages)) {
                Ok(Some(pages)) => u.rss = u.rss.saturating_add(pages.saturating_mul(self.page)),
                Err(e) if vanished(&e) && pid != main => {}
                _ => exact = false,
            }
            if !exact {
                break;
            }
        }
        if exact && cgroup_files(files, at, &mut u) {
            return u;
        }
        let mut cgroups = self.cgroups.take();
        cgroups.remove(&key);
        self.cgroups.set(cgroups);
        let whole = ProcTable::read_from(files);
        let start = whole.procs.get(&main).map_or(0, |s| s.start);
        whole.cgroups.set(HashMap::from([((key.0.clone(), main, start), Some(at.clone()))]));
        let mut u = whole.usage_of(files, &key.0, Some(main), Detail::Summary);
        u.procs.clear();
        u
    }

    /// `ticks` clock ticks as a duration.
    fn duration(&self, ticks: u64) -> Duration {
        let hz = self.ticks.max(1);
        let secs = ticks.checked_div(hz).unwrap_or(0);
        let rest = ticks.checked_rem(hz).unwrap_or(0);
        Duration::from_secs(secs)
            .saturating_add(Duration::from_nanos(rest.saturating_mul(1_000_000_000).checked_div(hz).unwrap_or(0)))
    }
}

/// The figures of the cgroup `at`'s own files put in `u` where they
/// exist (the files of a controller that is not enabled are not looked
/// for); whether they gave the CPU time, and the memory where the memory
/// controller counts it.
fn cgroup_files(files: &impl Files, at: &Located, u: &mut Usage) -> bool {
    let dir = &at.dir;
    let read = |name| files.cgroup_file(dir, name).ok();
    let memory = |name| if at.memory { read(name) } else { None };
    let cpu = read("cpu.stat");
    let cpu = cpu.as_deref().and_then(|t| Some((parse::keyed(t, b"user_usec")?, parse::keyed(t, b"system_usec")?)));
    if let Some((user, system)) = cpu {
        u.cpu_user = Duration::from_micros(user);
        u.cpu_system = Duration::from_micros(system);
        u.at = files.now();
    }
    let current = memory("memory.current").and_then(|t| parse::number(&t));
    if let Some(bytes) = current {
        u.rss = bytes;
    }
    match memory("memory.peak").and_then(|t| parse::number(&t)) {
        Some(bytes) => u.rss_peak = Some(bytes),
        None if u.rss_peak.is_some() => u.note("rss_peak", "no memory.peak: the largest process's peak"),
        None => {}
    }
    u.oom_kills = memory("memory.events").and_then(|t| parse::keyed(&t, b"oom_kill"));
    u.memory_max = memory("memory.max").and_then(|t| parse::number(&t));
    if u.oom_kills.is_none() {
        u.note("oom_kills", "no memory controller in the service's cgroup");
    }
    if let Some((r, w)) = Some(()).filter(|()| at.io).and_then(|()| read("io.stat")).and_then(|t| parse::io_stat(&t)) {
        (u.io_read, u.io_write) = (Some(r), Some(w));
        u.notes.retain(|n| n.field != "io_read");
    }
    cpu.is_some() && (current.is_some() || !at.memory)
}

/// The service's cgroup ([`service_cgroup`]) and its controllers.
fn locate(files: &impl Files, path: &[u8], main: u32) -> Option<Located> {
    let dir = service_cgroup(files, path, main)?;
    let controllers = files.cgroup_file(&dir, "cgroup.controllers").unwrap_or_default();
    let has = |name: &[u8]| controllers.split(|b| b.is_ascii_whitespace()).any(|w| w == name);
    Some(Located { memory: has(b"memory"), io: has(b"io"), dir })
}

/// The cgroup directory of the service in `path`, if its main process is
/// in the cgroup tend's supervise made for it: `tend-` and the directory's
/// absolute path, escaped (the last component of the process's unified
/// cgroup path).
fn service_cgroup(files: &impl Files, path: &[u8], main: u32) -> Option<Vec<u8>> {
    let text = files.proc_file(main, "cgroup").ok()?;
    let cgroup = parse::unified_path(&text)?;
    let last = cgroup.rsplit(|&b| b == b'/').next()?;
    let real = files.real_path(path).ok()?;
    let mut name = vec![0u8; real.len().saturating_mul(4).saturating_add(8)];
    let expected = unix::cgroup::escape_path(b"tend-", &real, &mut name)?;
    if last != expected {
        return None;
    }
    let mut dir = files.hierarchy()?;
    dir.extend_from_slice(cgroup);
    Some(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::recorded::{Recorded, Text};

    const SVC: &str = "/etc/service/web";
    const CG: &str = "/tend-etc-service-web";
    const CG_DIR: &str = "/sys/fs/cgroup/unified/tend-etc-service-web";

    /// supervise (100) runs web's run (200), which runs a worker (201)
    /// with a child (202); 300 is another service's.
    fn machine(cgroup: &str) -> Recorded {
        let mut m = Recorded::default();
        m.process(100, 1, "supervise", 1, 10, "/");
        m.process(200, 100, "web", 100, 1000, cgroup);
        m.process(201, 200, "worker", 250, 2000, cgroup);
        m.process(202, 201, "sh", 50, 100, cgroup);
        m.process(300, 100, "other", 999, 5000, "/");
        for pid in [200, 201, 202] {
            m.put(&format!("/proc/{pid}/status"), format!("Name:\tx\nVmHWM:\t  {} kB\n", pid * 100).as_bytes());
            m.put(&format!("/proc/{pid}/io"), b"rchar: 0\nread_bytes: 4096\nwrite_bytes: 512\n");
            m.fds.insert(pid, Text::Is(vec![0; 3]));
        }
        m
    }

    fn full(m: &Recorded, main: Option<u32>) -> Usage {
        ProcTable::read_from(m).usage_in(m, SVC.as_bytes(), main, Detail::Full)
    }

    #[test]
    fn process_tree_sums() {
        let m = machine("/");
        let u = full(&m, Some(200));
        assert_eq!(u.source, Source::ProcessTree);
        assert_eq!(u.processes, 3);
        assert_eq!(u.cpu_user, Duration::from_secs(4), "400 ticks of the tree, not supervise's or other's");
        assert_eq!(u.rss, 3100 * 4096);
        assert_eq!(u.rss_peak, Some(20_200 * 1024), "the largest process's VmHWM");
        assert_eq!((u.io_read, u.io_write, u.fds, u.oom_kills), (Some(3 * 4096), Some(3 * 512), Some(9), None));
        let tree: Vec<(u32, u32)> = u.procs.iter().map(|p| (p.pid, p.depth)).collect();
        assert_eq!(tree, [(200, 0), (201, 1), (202, 2)]);
        assert_eq!(u.procs[1].cmdline, b"worker --flag");
        assert_eq!(u.procs[1].cpu, Duration::from_millis(2500));
        assert!(u.notes.is_empty(), "{:?}", u.notes);
    }

    #[test]
    fn summary_reads_nothing_per_process() {
        let mut m = machine("/");
        m.fail("/proc/201/io", libc::EACCES);
        let u = ProcTable::read_from(&m).usage_in(&m, SVC.as_bytes(), Some(200), Detail::Summary);
        assert_eq!((u.processes, u.rss_peak, u.io_read, u.fds), (3, None, None, None));
        assert!(u.procs.iter().all(|p| p.cmdline.is_empty()));
        assert!(u.notes.is_empty());
    }

    #[test]
    fn cgroup_figures_where_the_files_exist() {
        let mut m = machine(CG);
        // The hybrid machine: no controllers, so only cpu.stat and cgroup.procs.
        m.put(&format!("{CG_DIR}/cgroup.procs"), b"200\n201\n202\n");
        m.put(&format!("{CG_DIR}/cpu.stat"), b"usage_usec 9000000\nuser_usec 7000000\nsystem_usec 2000000\n");
        m.now.set(Duration::from_secs(77));
        let u = full(&m, Some(200));
        assert_eq!(u.source, Source::Cgroup(CG_DIR.as_bytes().to_vec()));
        assert_eq!(
            (u.cpu_user, u.cpu_system, u.at),
            (Duration::from_secs(7), Duration::from_secs(2), Duration::from_secs(77))
        );
        assert_eq!(u.rss, 3100 * 4096, "summed: no memory.current");
        assert_eq!(u.rss_peak, Some(20_200 * 1024));
        assert_eq!(u.oom_kills, None);
        let fields: Vec<&str> = u.notes.iter().map(|n| n.field).collect();
        assert_eq!(fields, ["rss_peak", "oom_kills"], "the peak is one process's");
        // With the controllers (a new table: where the cgroup is, and its
        // controllers, are learnt once per table).
        m.put(&format!("{CG_DIR}/cgroup.controllers"), b"cpu io memory pids\n");
        m.put(&format!("{CG_DIR}/memory.current"), b"209715200\n");
        m.put(&format!("{CG_DIR}/memory.peak"), b"314572800\n");
        m.put(&format!("{CG_DIR}/memory.events"), b"low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n");
        m.put(&format!("{CG_DIR}/io.stat"), b"8:0 rbytes=10 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n");
        m.put(&format!("{CG_DIR}/memory.max"), b"max\n");
        assert_eq!(full(&m, Some(200)).memory_max, None, "unlimited");
        m.put(&format!("{CG_DIR}/memory.max"), b"536870912\n");
        let u = full(&m, Some(200));
        assert_eq!(
            (u.rss, u.rss_peak, u.oom_kills, u.memory_max),
            (209_715_200, Some(314_572_800), Some(1), Some(536_870_912))
        );
        assert_eq!((u.io_read, u.io_write), (Some(10), Some(20)));
        assert!(u.notes.is_empty(), "{:?}", u.notes);
    }

    #[test]
    fn where_the_cgroup_is_is_learnt_once_and_forgotten_when_it_goes() {
        let mut m = machine(CG);
        m.put(&format!("{CG_DIR}/cgroup.procs"), b"200\n201\n202\n");
        let table = ProcTable::read_from(&m);
        let sample = |m: &Recorded| table.usage_in(m, SVC.as_bytes(), Some(200), Detail::Summary).source;
        assert!(matches!(sample(&m), Source::Cgroup(_)));
        // Found again without /proc/200/cgroup.
        m.files.remove("/proc/200/cgroup");
        assert!(matches!(sample(&m), Source::Cgroup(_)));
        // Removed underneath: the process tree, and the cgroup forgotten.
        m.files.remove(&format!("{CG_DIR}/cgroup.procs"));
        assert_eq!(sample(&m), Source::ProcessTree);
        m.put(&format!("{CG_DIR}/cgroup.procs"), b"200\n");
        assert_eq!(sample(&m), Source::ProcessTree, "looked for again: /proc/200/cgroup is gone");
    }

    #[test]
    fn a_table_read_for_services_in_cgroups_reads_only_their_processes() {
        let mut m = machine(CG);
        m.put(&format!("{CG_DIR}/cgroup.procs"), b"200\n201\n202\n");
        m.put(&format!("{CG_DIR}/cpu.stat"), b"usage_usec 9000000\nuser_usec 7000000\nsystem_usec 2000000\n");
        let svc = SVC.as_bytes();
        for detail in [Detail::Summary, Detail::Full] {
            let whole = ProcTable::read_from(&m).usage_in(&m, svc, Some(200), detail);
            m.opened.take();
            let table = ProcTable::read_for_in(&m, &[(svc, 200)], HashMap::new(), detail);
            assert_eq!(table.usage_in(&m, svc, Some(200), detail), whole, "the same figures");
            let opened = m.opened.take();
            for other in ["/proc/100/stat", "/proc/300/stat"] {
                assert!(!opened.iter().any(|p| p == other), "{other} read: {opened:?}");
            }
            assert_eq!(opened.iter().filter(|p| p.ends_with("/cgroup.procs")).count(), 1, "read once: {opened:?}");
        }
        // The next sample finds the cgroup without /proc/200/cgroup.
        let table = ProcTable::read_for_in(&m, &[(svc, 200)], HashMap::new(), Detail::Summary);
        m.files.remove("/proc/200/cgroup");
        let next = ProcTable::read_for_in(&m, &[(svc, 200)], table.cgroups.take(), Detail::Summary);
        assert!(matches!(next.usage_in(&m, svc, Some(200), Detail::Summary).source, Source::Cgroup(_)));
        // A service it was not read for is not guessed at.
        let other = next.usage_in(&m, b"/etc/service/other", Some(300), Detail::Summary);
        assert_eq!(other.source, Source::None);
    }

    #[test]
    fn a_service_without_a_cgroup_gets_its_whole_process_tree() {
        // web in its cgroup; other (300) in none, with a child (301).
        let mut m = machine(CG);
        m.put(&format!("{CG_DIR}/cgroup.procs"), b"200\n201\n202\n");
        m.process(301, 300, "child", 7, 70, "/");
        let (svc, other) = (SVC.as_bytes(), b"/etc/service/other".as_slice());
        let whole = ProcTable::read_from(&m);
        let table = ProcTable::read_for_in(&m, &[(svc, 200), (other, 300)], HashMap::new(), Detail::Summary);
        for (path, main) in [(svc, 200), (other, 300)] {
            for detail in [Detail::Summary, Detail::Full] {
                let u = table.usage_in(&m, path, Some(main), detail);
                assert_eq!(u, whole.usage_in(&m, path, Some(main), detail));
            }
        }
        let u = table.usage_in(&m, other, Some(300), Detail::Summary);
        assert_eq!((u.source, u.processes, u.cpu_user), (Source::ProcessTree, 2, Duration::from_millis(10_060)));
        // Every process was read: the tree's are found only so.
        assert_eq!(table.len(), whole.len());
    }

    /// [`Detail::Totals`] from a table read for the service alone, and
    /// [`Detail::Summary`] from a whole pass with its processes left out.
    fn totals_and_summary(m: &Recorded, main: u32) -> (Usage, Usage) {
        let svc = SVC.as_bytes();
        let table = ProcTable::read_for_in(m, &[(svc, main)], HashMap::new(), Detail::Totals);
        let totals = table.usage_in(m, svc, Some(main), Detail::Totals);
        let mut summary = ProcTable::read_from(m).usage_in(m, svc, Some(main), Detail::Summary);
        summary.procs.clear();
        (totals, summary)
    }

    #[test]
    fn totals_are_the_summary_without_the_processes() {
        let mut m = machine(CG);
        m.put(&format!("{CG_DIR}/cgroup.procs"), b"200\n201\n202\n");
        m.put(&format!("{CG_DIR}/cpu.stat"), b"usage_usec 9000000\nuser_usec 7000000\nsystem_usec 2000000\n");
        m.opened.take();
        let (totals, summary) = totals_and_summary(&m, 200);
        assert_eq!(totals, summary);
        assert_eq!((totals.rss, totals.processes, totals.cpu_user), (3100 * 4096, 3, Duration::from_secs(7)));
        let opened = m.opened.take();
        let before_summary = opened.iter().position(|p| p == "/proc/100/stat").unwrap_or(opened.len());
        let totals_read = opened.get(..before_summary).unwrap_or_default();
        let stats: Vec<&String> = totals_read.iter().filter(|p| p.ends_with("/stat")).collect();
        assert_eq!(stats, ["/proc/200/stat", "/proc/201/stat", "/proc/202/stat"], "its members' only");
        // The memory controller counts the memory: the main process's statm only.
        m.put(&format!("{CG_DIR}/cgroup.controllers"), b"cpu memory pids\n");
        m.put(&format!("{CG_DIR}/memory.current"), b"209715200\n");
        m.put(&format!("{CG_DIR}/memory.events"), b"oom_kill 1\n");
        m.opened.take();
        let (totals, summary) = totals_and_summary(&m, 200);
        assert_eq!(totals, summary);
        assert_eq!((totals.rss, totals.oom_kills), (209_715_200, Some(1)));
        let opened = m.opened.take();
        let before_summary = opened.iter().position(|p| p == "/proc/100/stat").unwrap_or(opened.len());
        let stats: Vec<&String> = opened.iter().take(before_summary).filter(|p| p.ends_with("/stat")).collect();
        assert_eq!(stats, ["/proc/200/stat"]);
        // Where the cgroup's files and statm do not suffice: a whole pass, the same figures.
        m.put(&format!("{CG_DIR}/memory.current"), b"garbage\n");
        let (totals, summary) = totals_and_summary(&m, 200);
        assert_eq!((totals.rss, &totals), (3100 * 4096, &summary));
        m.files.remove(&format!("{CG_DIR}/cgroup.controllers"));
        m.put(&format!("{CG_DIR}/cpu.stat"), b"usage_usec lots\n");
        let (totals, summary) = totals_and_summary(&m, 200);
        assert_eq!((totals.cpu_user, &totals), (Duration::from_millis(4000), &summary));
        m.put(&format!("{CG_DIR}/cpu.stat"), b"usage_usec 9000000\nuser_usec 7000000\nsystem_usec 2000000\n");
        let stat = m.files.get("/proc/200/stat").cloned();
        m.fail("/proc/200/stat", libc::EACCES);
        let (totals, summary) = totals_and_summary(&m, 200);
        assert_eq!((totals.source.clone(), &totals), (Source::None, &summary), "refused");
        m.files.extend(stat.map(|t| ("/proc/200/stat".to_string(), t)));
        m.put(&format!("{CG_DIR}/cgroup.procs"), b"201\n202\n");
        let (totals, summary) = totals_and_summary(&m, 200);
        assert_eq!((totals.processes, &totals), (2, &summary), "the main process left: its cgroup's figures");
        m.files.remove(&format!("{CG_DIR}/cgroup.procs"));
        let (totals, summary) = totals_and_summary(&m, 200);
        assert_eq!((totals.source.clone(), &totals), (Source::ProcessTree, &summary), "the cgroup went");
        assert!(totals.notes.iter().any(|n| n.field == "source"));
        // A service in no cgroup: its process tree, from every process.
        let m = machine("/");
        let (totals, summary) = totals_and_summary(&m, 200);
        assert_eq!((totals.source.clone(), totals.processes, &totals), (Source::ProcessTree, 3, &summary));
    }

    #[test]
    fn another_services_cgroup_is_not_this_ones() {
        let m = machine("/tend-etc-service-other");
        assert_eq!(full(&m, Some(200)).source, Source::ProcessTree);
    }

    #[test]
    fn a_cgroup_removed_underneath_falls_back() {
        let m = machine(CG);
        let u = full(&m, Some(200));
        assert_eq!((u.source.clone(), u.processes), (Source::ProcessTree, 3));
        assert!(u.notes.iter().any(|n| n.field == "source" && n.reason.contains("file does not exist")));
    }

    #[test]
    fn vanished_processes_are_skipped() {
        let mut m = machine("/");
        // 202 ended after the listing: its stat is gone (ESRCH from a
        // half-dead process reads the same).
        m.fail("/proc/202/stat", libc::ESRCH);
        // 201 ended after its stat was read.
        m.files.remove("/proc/201/io");
        m.files.remove("/proc/201/status");
        m.fds.remove(&201);
        let u = full(&m, Some(200));
        assert_eq!(u.processes, 2);
        assert_eq!((u.io_read, u.fds), (Some(4096), Some(3)));
        assert!(u.notes.is_empty(), "{:?}", u.notes);
        // The main process itself is gone.
        let gone = full(&m, Some(999));
        assert_eq!((gone.source.clone(), gone.processes), (Source::None, 0));
        assert_eq!(full(&m, None).source, Source::None);
    }

    #[test]
    fn refusals_are_none_with_a_reason() {
        let mut m = machine("/");
        m.fail("/proc/201/io", libc::EACCES);
        m.fds.insert(202, Text::Errno(libc::EACCES));
        let u = full(&m, Some(200));
        assert_eq!((u.io_read, u.io_write, u.fds), (None, None, None));
        assert_eq!(u.rss_peak, Some(20_200 * 1024));
        let fields: Vec<&str> = u.notes.iter().map(|n| n.field).collect();
        assert_eq!(fields, ["io_read", "fds"]);
        assert!(
            u.notes[0].reason.contains("access denied") || u.notes[0].reason.contains("permission"),
            "{:?}",
            u.notes
        );
        // hidepid: the main process's stat itself is refused.
        m.fail("/proc/200/stat", libc::EACCES);
        let u = full(&m, Some(200));
        assert_eq!((u.source.clone(), u.processes), (Source::None, 0));
        assert_eq!(u.notes[0].field, "processes");
    }

    #[test]
    fn garbage_is_not_zero() {
        let mut m = machine(CG);
        m.put(&format!("{CG_DIR}/cgroup.procs"), b"200\n201\n202\n");
        m.put(&format!("{CG_DIR}/cpu.stat"), b"usage_usec lots\n");
        m.put(&format!("{CG_DIR}/memory.current"), b"max\n");
        m.put(&format!("{CG_DIR}/cgroup.controllers"), b"memory\n");
        m.put("/proc/202/stat", b"garbage");
        let u = full(&m, Some(200));
        // cpu.stat unreadable: the members' sum (202's unreadable stat left out).
        assert_eq!(u.cpu_user, Duration::from_millis(3500));
        assert_eq!(u.rss, 3000 * 4096);
        assert!(u.notes.iter().any(|n| n.field == "processes"), "{:?}", u.notes);
    }

    #[test]
    fn this_process_on_this_machine() {
        let me = std::process::id();
        let table = ProcTable::read();
        assert!(table.error().is_none() && table.stat(me).is_some());
        let u = table.usage(b"/", Some(me));
        assert_eq!(u.source, Source::ProcessTree, "the test runs in no tend- cgroup");
        assert!(u.processes >= 1 && u.rss > 0 && u.fds.is_some_and(|n| n >= 3));
        assert_eq!(u.procs.first().map(|p| p.pid), Some(me));
        assert!(!u.procs[0].cmdline.is_empty());
    }

    #[test]
    fn thousands_of_processes_in_one_service() {
        let mut m = machine("/");
        for pid in 1000..3000 {
            m.process(pid, 201, "sleep", 0, 50, "/");
        }
        let u = ProcTable::read_from(&m).usage_in(&m, SVC.as_bytes(), Some(200), Detail::Summary);
        assert_eq!(u.processes, 2003);
        assert_eq!(u.procs.len(), 2003);
        assert_eq!(u.procs.iter().filter(|p| p.depth == 2).count(), 2001);
    }
}
