//! The thin loop around the [`Table`]: it waits on a signalfd and an inotify
//! descriptor (no timeout unless the table has a deadline), lists the scan
//! directory, starts `supervise` processes, holds their log pipes and
//! performs the table's other actions.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::ffi::{CString, OsStr, OsString};
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::time::Duration;

use strerr::{warn, warning_line, warning_prefix};
use tai64::Clock;
use unix::signals::{self, SignalFd};
use unix::spawn::{Group, Spawn};

use crate::console::Console;
use crate::failures::Failures;
use crate::listing;
use crate::standing::Standing;
use crate::table::{Action, Key, Role, Table, MAX_SERVICES};

/// After the scan directory changes, wait this long before scanning, so that
/// a service directory made with `mkdir -p NAME/log` or copied with `cp -a`
/// is complete (its `log` is looked for only once).
pub const SETTLE: Duration = Duration::from_secs(1);
/// Where inotify is unavailable, rescan this often (daemontools' interval).
pub const POLL: Duration = Duration::from_secs(5);

/// The signals svscan takes through its signalfd. The last three are
/// accepted and ignored, so that a stray signal never kills svscan.
const SIGNALS: [libc::c_int; 9] = [
    libc::SIGCHLD,
    libc::SIGALRM,
    libc::SIGHUP,
    libc::SIGTERM,
    libc::SIGINT,
    libc::SIGPWR,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGQUIT,
];

/// svscan raises its own open-files limit to this (if the hard limit allows),
/// since it holds two pipe ends for each logged service: 1000 of them would
/// not fit in the usual 1024. Every supervise gets the original limit back.
const NOFILE: u64 = 4 * MAX_SERVICES as u64;
/// Descriptors kept free when creating a log pipe, so that running out of
/// them stops new services only, never the listing of the directory or the
/// control FIFOs svscan writes to.
const RESERVE: u64 = 16;

/// Why svscan could not run: `WHAT: ERR`, with WHAT as bytes (it may hold a
/// directory name that is not UTF-8).
#[derive(Debug)]
pub struct Error {
    what: Vec<u8>,
    source: io::Error,
}

impl Error {
    fn new(what: &[&[u8]], source: io::Error) -> Error {
        Error { what: what.concat(), source }
    }

    /// `unable to VERB OBJECT: ERR`, with daemontools' text for the error.
    pub fn message(&self) -> Vec<u8> {
        [&self.what[..], b": ", strerr::errstr(&self.source).as_bytes()].concat()
    }
}

/// Runs svscan on `dir` (or the current directory) until SIGTERM, SIGINT or
/// SIGPWR, or the end of an essential service, has stopped every service,
/// each within `budget` (see [`crate::STOP_BUDGET`]); returns once every
/// supervise has exited, with svscan's exit code: 0, or the code of the
/// essential service that ended.
pub fn run(dir: Option<&OsStr>, clock: &dyn Clock, budget: Duration) -> Result<u8, Error> {
    if let Some(d) = dir {
        std::env::set_current_dir(d).map_err(|e| Error::new(&[b"unable to chdir to ", d.as_bytes()], e))?;
    }
    // A supervise that dies while we write to its control FIFO must not kill
    // svscan; children get the disposition svscan was started with.
    let sigpipe_ignored = signals::ignore(libc::SIGPIPE);
    let nofile = unix::limit::raise_nofile(NOFILE);
    let fd_limit = unix::limit::getrlimit(libc::RLIMIT_NOFILE).map_or(libc::RLIM_INFINITY, |(soft, _)| soft);
    let signals = SignalFd::block(&SIGNALS).map_err(|e| Error::new(&[b"unable to set up signals"], e))?;
    // An ignored signal is discarded even while blocked, and a shell starts
    // background jobs with SIGINT ignored: take the default back.
    let mut ignored = signals::take_defaults(&SIGNALS);
    // supervise needs SIGCHLD; the others go back to what daemontools' children would inherit.
    ignored.retain(|&s| s != libc::SIGCHLD);
    if sigpipe_ignored {
        ignored.push(libc::SIGPIPE);
    }
    enter_cgroup();
    let scan_dir = listing::key_of(Path::new(".")).map_err(|e| Error::new(&[b"unable to stat ."], e))?;
    let watch = match unix::fs::watch_dir(c".") {
        Ok(fd) => Some(fd),
        Err(e) => {
            warn(&[b"unable to watch .: ", strerr::errstr(&e).as_bytes(), b"; rescanning every 5 seconds"]);
            None
        }
    };
    let mut d = Daemon {
        clock,
        table: Table::with_budget(budget),
        pipes: HashMap::new(),
        draining: HashMap::new(),
        scan_dir,
        polling: watch.is_none(),
        nofile,
        fd_limit,
        ignored,
        standing: Standing::default(),
        scan_warnings: Vec::new(),
        adopted: Vec::new(),
        failures: Failures::default(),
        exit_code: None,
        console: Console::from_env(),
    };
    d.table.request_scan(clock.monotonic());
    loop {
        if d.table.scan_due(clock.monotonic()) {
            d.scan();
        }
        let due = d.table.tick(clock.monotonic());
        d.perform(due);
        if d.table.finished() {
            if let Some(c) = d.console.take() {
                c.finish(clock);
            }
            return Ok(d.exit_code.unwrap_or(0));
        }
        let timeout = d.table.deadline().map(|t| t.saturating_sub(clock.monotonic()));
        let mut fds = vec![unix::poll::pollfd(signals.as_raw_fd())];
        fds.extend(watch.as_ref().map(|w| unix::poll::pollfd(w.as_raw_fd())));
        let own = fds.len();
        if let Some(c) = &d.console {
            c.pollfds(&mut fds);
        }
        unix::poll::poll(&mut fds, timeout).map_err(|e| Error::new(&[b"unable to poll"], e))?;
        // `get`, not indexing: each index the compiler cannot prove in
        // bounds is a panic location, 24 bytes in the RELRO pages.
        let ready = |i: usize| fds.get(i).is_some_and(|fd| fd.revents != 0);
        // Output first: the services it belongs to may be forgotten below.
        if let Some(c) = &mut d.console {
            c.ready(fds.get(own..).unwrap_or_default());
        }
        if ready(0) {
            while let Some(sig) = signals.next() {
                d.signal(sig);
            }
        }
        if let Some(w) = watch.as_ref().filter(|_| ready(1)) {
            unix::fd::drain(w);
            d.table.request_scan(clock.monotonic() + SETTLE);
        }
    }
}

/// At start: moves svscan into the leaf cgroup `tend--supervisors` of the
/// cgroup it was started in (unless that is the hierarchy's root), so that
/// the supervise processes it starts are born there and the services'
/// cgroups, made beside the leaf, can be given controllers (cgroup v2's "no
/// internal processes" rule); says once when that fails (svscan carries on
/// where it is), or when supervise will not be able to give each service a
/// cgroup (it runs the same test): services are then stopped by process
/// group.
fn enter_cgroup() {
    use unix::cgroup::Unavailable;
    const THEN: &[u8] = b": services are stopped by process group; a process that leaves its group survives";
    let mut dir = [0u8; unix::cgroup::PATH_MAX];
    match unix::cgroup::base_dir(&mut dir) {
        Ok(len) => {
            let base = std::ffi::CStr::from_bytes_until_nul(&dir).unwrap_or_default();
            if let Err(e) = unix::cgroup::enter_supervisors(base) {
                let (dir, leaf) = (dir.get(..len).unwrap_or_default(), unix::cgroup::SUPERVISORS);
                let why = strerr::errstr(&e);
                warn(&[
                    b"unable to move into ",
                    dir,
                    b"/",
                    leaf,
                    b": ",
                    why.as_bytes(),
                    b"; the services' limits will not take effect",
                ]);
            }
        }
        Err(Unavailable::NotMounted) => warn(&[b"no cgroup2 hierarchy mounted", THEN]),
        Err(Unavailable::NotWritable { len, error }) => {
            warn(&[b"unable to make cgroups in ", &dir[..len], b": ", strerr::errstr(&error).as_bytes(), THEN])
        }
    }
}

struct Daemon<'c> {
    clock: &'c dyn Clock,
    table: Table,
    /// Each logged service's pipe (read end, write end), held across restarts of either side.
    pipes: HashMap<u64, (OwnedFd, OwnedFd)>,
    /// The read end of a pipe whose service is gone, kept until its logger
    /// is gone too, with the service's name: what the logger left unwritten
    /// is then counted and reported instead of vanishing with the pipe.
    draining: HashMap<u64, (Vec<u8>, OwnedFd)>,
    scan_dir: Key,
    /// No inotify: schedule the next scan after each one.
    polling: bool,
    /// The open-files limit to give back to children.
    nofile: Option<libc::rlimit>,
    /// svscan's own open-files limit.
    fd_limit: u64,
    /// The warnings of the latest scan, printed when new.
    standing: Standing,
    /// The warnings of the scan in progress (its entries, too many services).
    scan_warnings: Vec<Vec<u8>>,
    /// The supervise processes adopted in the scan in progress, to name.
    adopted: Vec<Vec<u8>>,
    /// Services svscan could not start, warned about once.
    failures: Failures,
    /// The signals svscan was started with ignored, to ignore again in children.
    ignored: Vec<libc::c_int>,
    /// The code of the first essential service that ended: svscan's own.
    exit_code: Option<u8>,
    /// Console mode (`TEND_CONSOLE=1`): every service's lines on standard output too.
    console: Option<Console>,
}

impl Daemon<'_> {
    fn signal(&mut self, sig: libc::c_int) {
        let now = self.clock.monotonic();
        match sig {
            libc::SIGCHLD => {
                while let Some((pid, _)) = unix::process::reap() {
                    let ended =
                        self.table.service_of(pid).and_then(|(name, key, role)| essential_exit(&name, key, role));
                    let actions = self.table.exited(pid, self.clock.monotonic());
                    self.perform(actions);
                    if let Some((code, name)) = ended {
                        self.essential_ended(code, &name);
                    }
                }
            }
            libc::SIGALRM | libc::SIGHUP => self.table.request_scan(now),
            libc::SIGTERM | libc::SIGINT | libc::SIGPWR => self.shutdown(),
            _ => {}
        }
    }

    /// An essential service ended: shut the tree down as on SIGTERM, and
    /// exit with its code (the first one's, if several end).
    fn essential_ended(&mut self, code: u8, name: &[u8]) {
        if self.exit_code.is_none() {
            self.exit_code = Some(code);
            let code = code.to_string();
            warn(&[b"essential service ", name, b" exited with code ", code.as_bytes(), b": stopping every service"]);
        }
        self.shutdown();
    }

    /// Stops every service (the first time), or kills every one still up.
    fn shutdown(&mut self) {
        let actions = self.table.shutdown(self.clock.monotonic(), own_timeout_kill, dependencies);
        self.perform(actions);
    }

    fn scan(&mut self) {
        let now = self.clock.monotonic();
        let table = &self.table;
        match listing::list(self.scan_dir, |key| table.knows(key)) {
            Ok(listing) => {
                self.scan_warnings = listing.warnings;
                let actions = self.table.scan(listing.found, now);
                self.perform(actions);
                if !self.adopted.is_empty() {
                    let names = std::mem::take(&mut self.adopted).join(&b", "[..]);
                    warn(&[
                        b"adopted the supervise already running for ",
                        &names,
                        b" (not started by this svscan): left running, stopped with the tree",
                    ]);
                }
                self.standing.show(std::mem::take(&mut self.scan_warnings));
                for (errno, services) in self.failures.summaries() {
                    strerr::write_stderr(&summary(errno, services, self.fd_limit));
                }
                if self.polling {
                    self.table.request_scan(now + POLL);
                }
            }
            Err((what, e)) => {
                warn(&[what.as_bytes(), strerr::errstr(&e).as_bytes()]);
                self.table.scan_failed(now);
            }
        }
    }

    fn perform(&mut self, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Spawn { id, role, name, logged } => {
                    let now = self.clock.monotonic();
                    if lock_held(&name, role) {
                        if self.table.adopted(id, role, now) {
                            self.adopted.push(shown(&name, role));
                        }
                        continue;
                    }
                    match self.spawn(id, role, &name, logged) {
                        Ok(pid) => {
                            self.failures.started(id, role);
                            let actions = self.table.spawned(id, role, pid, now);
                            self.perform(actions);
                        }
                        Err(Failed { what, error }) => {
                            let errno = error.raw_os_error().unwrap_or(0);
                            if self.failures.failed(id, role, errno) {
                                warn(&[&what, strerr::errstr(&error).as_bytes()]);
                            }
                            self.table.spawn_failed(id, role, now);
                        }
                    }
                }
                Action::Stop { pid, name, key } => tell(&name, key, Role::Main, b"dx", pid, libc::SIGTERM),
                // Without its control FIFO: SIGHUP, which tend's supervise
                // takes as `x` (daemontools' dies of it, and its logger then
                // reads to the end of the pipe and exits by itself).
                Action::ExitLog { pid, name, key } => tell(&name, key, Role::Log, b"x", pid, libc::SIGHUP),
                Action::Terminate { pid, name, key } => tell(&name, key, Role::Log, b"d", pid, libc::SIGTERM),
                Action::Kill { pid, name, key, role } => tell(&name, key, role, b"dxk", pid, libc::SIGKILL),
                Action::Force { pid } => unix::process::kill(pid, libc::SIGKILL),
                Action::Probe { id, role, name, key } => {
                    if listing::key_of(Path::new(&name)).ok() != Some(key) || !lock_held(&name, role) {
                        let actions = self.table.released(id, role, self.clock.monotonic());
                        self.perform(actions);
                    }
                }
                Action::ClosePipe { id } => {
                    if let (Some((r, _)), Some(name)) = (self.pipes.remove(&id), self.table.name(id)) {
                        self.draining.insert(id, (name.as_bytes().to_vec(), r));
                    }
                }
                Action::Forget { id } => {
                    self.pipes.remove(&id);
                    if let Some((name, r)) = self.draining.remove(&id) {
                        report_unwritten(&name, &r);
                    }
                    self.failures.forget(id);
                    if let Some(c) = &mut self.console {
                        c.forget(id);
                    }
                }
                Action::TooMany { name } => {
                    let line = warning_line(&[b"unable to start ", name.as_bytes(), b": running too many services"]);
                    self.scan_warnings.push(line);
                }
            }
        }
    }

    /// Starts one supervise; says why not if it cannot (the caller warns).
    fn spawn(&mut self, id: u64, role: Role, name: &OsStr, logged: bool) -> Result<i32, Failed> {
        let n = name.as_bytes();
        let ceiling = self.fd_limit.saturating_sub(RESERVE);
        let pipe_failed = |error| Failed { what: [b"unable to create pipe for ", n, b": "].concat(), error };
        let mut fds = Vec::with_capacity(2);
        if logged {
            let (r, w) = match self.pipes.entry(id) {
                Entry::Occupied(o) => o.into_mut(),
                Entry::Vacant(v) => v.insert(pipe_below(ceiling).map_err(pipe_failed)?),
            };
            fds.push(match role {
                Role::Main => (w.as_raw_fd(), 1),
                Role::Log => (r.as_raw_fd(), 0),
            });
        }
        // Console mode: a logger gets the console pipe, a service without
        // `log/` a pipe of its own that svscan reads as its standard output.
        let mut env = None;
        match (&mut self.console, role) {
            (Some(c), Role::Log) => {
                let what = [b"unable to set up the console copy for ", n, b"/log: "].concat();
                let (fd, e) = c.for_logger(n).map_err(|error| Failed { what, error })?;
                fds.push((fd, fd));
                env = Some(e);
            }
            (Some(c), Role::Main) if !logged => {
                fds.push((c.service_stdout(id, n, || pipe_below(ceiling)).map_err(pipe_failed)?, 1));
            }
            _ => {}
        }
        // `supervise NAME/log`, not daemontools' `supervise log` in NAME:
        // every message of the logger's supervise then names its service.
        let dir = match role {
            Role::Main => n.to_vec(),
            Role::Log => [n, b"/log"].concat(),
        };
        // Names come from readdir, so they hold no NUL byte.
        let arg = CString::new(&dir[..]).map_err(|e| Failed { what: Vec::new(), error: e.into() })?;
        let fd_failed = warning_prefix(&[b"unable to set up descriptors for ", &dir, b": "]);
        let exec_failed = warning_prefix(&[b"unable to start supervise ", &dir, b": "]);
        let fd_failed: &[&[u8]] = &[&fd_failed];
        let spawn = Spawn {
            group: Group::Inherit,
            group_failed: &[],
            argv: &[c"supervise", &arg],
            search_path: true,
            ignored: &self.ignored,
            nofile: self.nofile,
            fds: &fds,
            fd_failed: Some(fd_failed),
            env: env.as_ref().map(unix::env::Envp::environ),
            pid_var: None,
            exec_failed: &[&exec_failed],
        };
        unix::spawn::spawn(&spawn).map_err(|error| Failed { what: [b"unable to fork for ", n, b": "].concat(), error })
    }
}

/// Says how much of service `name`'s output its logger left in the pipe
/// when it ended (a logger stopped while it could not write: the pipe and
/// its content go away now).
fn report_unwritten(name: &[u8], pipe: &OwnedFd) {
    if let Ok((bytes, lines)) = unix::pipe::pending(pipe.as_raw_fd()) {
        if bytes > 0 {
            let counts = format!("{lines} line{} ({bytes} bytes)", if lines == 1 { "" } else { "s" });
            warn(&[name, b"/log ended with ", counts.as_bytes(), b" of its service's output unwritten: they are lost"]);
        }
    }
}

/// Why a supervise could not be started: `WHAT` (ending in `: `) and the error.
struct Failed {
    what: Vec<u8>,
    error: io::Error,
}

/// A log pipe whose descriptors are both below `ceiling`; above it svscan
/// would be left without descriptors for its own work: EMFILE.
fn pipe_below(ceiling: u64) -> io::Result<(OwnedFd, OwnedFd)> {
    let (r, w) = unix::pipe::pipe()?;
    // Descriptors are allocated lowest first: a high one means few are left.
    if r.as_raw_fd().max(w.as_raw_fd()) as u64 >= ceiling {
        return Err(io::Error::from_raw_os_error(libc::EMFILE));
    }
    Ok((r, w))
}

/// The one warning about services that could not be started for `errno`,
/// with what to do about it.
fn summary(errno: i32, services: usize, fd_limit: u64) -> Vec<u8> {
    let count = format!("{services} service{} could not be started: ", if services == 1 { "" } else { "s" });
    let fix = match errno {
        libc::EMFILE => format!(
            "; svscan may open {fd_limit} files and holds 2 per logged service: raise its hard limit (ulimit -Hn) before starting it"
        ),
        libc::ENFILE => "; the whole system is out of open files: raise fs.file-max (sysctl)".to_string(),
        libc::EAGAIN => "; raise the limit on processes (ulimit -u)".to_string(),
        _ => String::new(),
    };
    warning_line(&[count.as_bytes(), strerr::errno_str(errno).as_bytes(), fix.as_bytes(), b"; svscan keeps retrying"])
}

/// The code in `NAME/supervise/essential-exit` (`NAME/log/...` for a
/// logger), which its supervise writes before exiting when its essential
/// service ended, provided `NAME` is still the directory `key`; the file is
/// removed once read. Returns the code and the directory's name as shown.
fn essential_exit(name: &OsStr, key: Key, role: Role) -> Option<(u8, Vec<u8>)> {
    if listing::key_of(Path::new(name)).ok() != Some(key) {
        return None;
    }
    let shown = shown(name, role);
    match svstatus::take_essential_exit(&svstatus::ServiceDir::open(&shown).ok()?) {
        Ok(code) => code.map(|code| (code, shown)),
        Err(e) => {
            let file = svstatus::ESSENTIAL_EXIT.to_bytes();
            match e.kind() {
                io::ErrorKind::InvalidData => {
                    warn(&[&shown, b"/", file, b" does not hold an exit code (0 to 255): ignored it"])
                }
                _ => warn(&[b"unable to read ", &shown, b"/", file, b": ", strerr::errstr(&e).as_bytes()]),
            }
            None
        }
    }
}

/// The directory of supervise `role` of service `name`, as svscan names it.
fn shown(name: &OsStr, role: Role) -> Vec<u8> {
    match role {
        Role::Main => name.as_bytes().to_vec(),
        Role::Log => [name.as_bytes(), b"/log"].concat(),
    }
}

/// Whether a supervise holds the lock of supervise `role` of service `name`
/// (one that svscan did not start: this is asked before starting one). A
/// lock that cannot be looked at counts as free: supervise then says why.
fn lock_held(name: &OsStr, role: Role) -> bool {
    svstatus::ServiceDir::open(&shown(name, role)).is_ok_and(|dir| svstatus::Lock::held(&dir).unwrap_or(false))
}

/// `NAME/timeout-kill` as supervise reads it, provided `NAME` is still the
/// directory `key`.
fn own_timeout_kill(name: &OsStr, key: Key) -> Option<Duration> {
    if listing::key_of(Path::new(name)).ok() != Some(key) {
        return None;
    }
    let dir = svstatus::ServiceDir::open(name.as_bytes()).ok()?;
    supervise::Config::load(&dir, &mut supervise::Listing::default()).0.timeout_kill
}

/// The names the `dependencies` file of service `name` lists, while `name`
/// is still the directory `key` (none if it cannot be read: supervise has
/// warned about it).
fn dependencies(name: &OsStr, key: Key) -> Vec<OsString> {
    if listing::key_of(Path::new(name)).ok() != Some(key) {
        return Vec::new();
    }
    let dir = svstatus::ServiceDir::open(name.as_bytes()).ok();
    let listing = dir.and_then(|d| svstatus::read_listing(&d).ok().flatten()).unwrap_or_default();
    listing.names.into_iter().map(OsString::from_vec).collect()
}

/// Writes `cmd` to the control FIFO of supervise `role` of service `name`,
/// else sends `signal` to that supervise if svscan started it (`pid`).
fn tell(name: &OsStr, key: Key, role: Role, cmd: &[u8], pid: Option<i32>, signal: libc::c_int) {
    let file = match role {
        Role::Main => "supervise/control",
        Role::Log => "log/supervise/control",
    };
    if !control(name, key, file, cmd) {
        if let Some(pid) = pid {
            unix::process::kill(pid, signal);
        }
    }
}

/// Writes `cmd` to the control FIFO `NAME/file`, provided `NAME` is still the
/// directory `key` (it may have been renamed or replaced). Returns whether it
/// was written.
fn control(name: &OsStr, key: Key, file: &str, cmd: &[u8]) -> bool {
    let dir = Path::new(name);
    if listing::key_of(dir).ok() != Some(key) {
        return false;
    }
    OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(dir.join(file))
        .and_then(|mut f| {
            if !f.metadata()?.file_type().is_fifo() {
                return Err(io::ErrorKind::InvalidInput.into());
            }
            f.write_all(cmd)
        })
        .is_ok()
}
