//! The harness every integration test uses: a private directory, the built
//! binary symlinked under every program name, and cleanup of every process a
//! test started (whole trees), even when the test fails.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The programs of the multicall binary, as `tend --list` prints them.
fn program_names() -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_tend")).arg("--list").output().expect("tend --list");
    String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.split_whitespace().next().map(String::from)).collect()
}

/// A test's own directory and processes.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    /// Holds a symlink to tend under every program name.
    pub bin: PathBuf,
    /// Marks every process the sandbox starts (inherited through the environment).
    marker: String,
    children: Vec<Child>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Gives back the default action to every signal the test process was
/// started with ignored (SIGPIPE aside, which Rust's runtime ignores and
/// `Command` resets). A suite started in the background by a shell without
/// job control inherits SIGINT and SIGQUIT ignored, and every program a test
/// starts would inherit that too, as under daemontools: a `run` script could
/// then not trap SIGQUIT. Tests that want a signal ignored say so themselves.
fn default_signal_dispositions() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for sig in 1..32 {
            if sig == libc::SIGPIPE || sig == libc::SIGKILL || sig == libc::SIGSTOP {
                continue;
            }
            // SAFETY: reading a disposition into zeroed storage, then
            // setting SIG_DFL; no handler is installed.
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN {
                    libc::signal(sig, libc::SIG_DFL);
                }
            }
        }
    });
}

impl Sandbox {
    pub fn new() -> Sandbox {
        default_signal_dispositions();
        let dir = tempfile::Builder::new().prefix("tend-test-").tempdir().expect("tempdir");
        let bin = dir.path().join(".bin");
        fs::create_dir(&bin).expect("mkdir bin");
        let tend = PathBuf::from(env!("CARGO_BIN_EXE_tend"));
        for name in program_names() {
            std::os::unix::fs::symlink(&tend, bin.join(name)).expect("symlink");
        }
        let marker = format!("{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        Sandbox { dir, bin, marker, children: Vec::new() }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `self.path()/rel`.
    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// A command for our program `name` (found first on PATH), run in the
    /// sandbox directory, marked for cleanup.
    pub fn tend(&self, name: &str) -> Command {
        self.command(self.bin.join(name))
    }

    /// Any command, run in the sandbox directory, with our programs first on
    /// PATH (so that svscan finds our supervise) and marked for cleanup.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new(program);
        c.current_dir(self.path());
        let path = std::env::var("PATH").unwrap_or_default();
        c.env("PATH", format!("{}:{}", self.bin.display(), path));
        c.env("TEND_TEST_MARKER", &self.marker);
        c
    }

    /// The same, with Debian's programs first on PATH (for differential tests).
    pub fn debian(&self, program: &str) -> Command {
        let mut c = Command::new(debian_program(program));
        c.current_dir(self.path());
        c.env("TEND_TEST_MARKER", &self.marker);
        c
    }

    /// Starts `cmd` in its own process group; the sandbox kills it (and all it
    /// started) when dropped.
    pub fn spawn(&mut self, mut cmd: Command) -> u32 {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
        let child = cmd.spawn().expect("spawn");
        let pid = child.id();
        self.children.push(child);
        pid
    }

    /// A spawned child's exit status if it has exited (it stays the
    /// sandbox's to kill).
    pub fn child_status(&mut self, pid: u32) -> Option<ExitStatus> {
        self.children.iter_mut().find(|c| c.id() == pid).and_then(|c| c.try_wait().ok().flatten())
    }

    /// Takes back a spawned child to wait for it yourself (it stays marked).
    pub fn take_child(&mut self, pid: u32) -> Child {
        let i = self.children.iter().position(|c| c.id() == pid).expect("no such child");
        self.children.remove(i)
    }

    /// Takes the standard output of a spawned child started with `Stdio::piped()`.
    pub fn take_stdout(&mut self, pid: u32) -> ChildStdout {
        let child = self.children.iter_mut().find(|c| c.id() == pid).expect("no such child");
        child.stdout.take().expect("stdout not piped or taken already")
    }

    /// Waits (up to [`PATIENCE`]) for a spawned child to exit and returns its
    /// status; kills it and fails the test if it does not exit.
    pub fn wait_exit(&mut self, pid: u32) -> ExitStatus {
        wait_child(&mut self.take_child(pid))
    }

    /// Writes an executable script.
    pub fn script(&self, rel: &str, body: &str) -> PathBuf {
        let p = self.join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).expect("mkdir");
        }
        fs::write(&p, body).expect("write script");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).expect("chmod");
        p
    }

    /// Every process carrying this sandbox's marker, or descending from one
    /// of its children.
    pub fn processes(&self) -> Vec<i32> {
        let mut found: Vec<i32> = self.children.iter().map(|c| c.id() as i32).collect();
        let needle = format!("TEND_TEST_MARKER={}\0", self.marker);
        let table = process_table();
        for &(pid, _) in &table {
            if let Ok(env) = fs::read(format!("/proc/{pid}/environ")) {
                if env.windows(needle.len()).any(|w| w == needle.as_bytes()) && !found.contains(&pid) {
                    found.push(pid);
                }
            }
        }
        // Descendants that cleared their environment (env -, svscanboot).
        loop {
            let more: Vec<i32> =
                table.iter().filter(|(pid, ppid)| found.contains(ppid) && !found.contains(pid)).map(|p| p.0).collect();
            if more.is_empty() {
                break;
            }
            found.extend(more);
        }
        found.retain(|&p| p != std::process::id() as i32);
        found
    }
}

/// The end of svscan's one warning, at start, that no cgroup can be made
/// (not root, no cgroup2 hierarchy): services are stopped by process group.
pub const NO_CGROUP_NOTICE: &str = "services are stopped by process group; a process that leaves its group survives";

/// The uid and gid of `nobody` on Debian.
pub const NOBODY: u32 = 65534;

/// `program` run as nobody (uid and gid [`NOBODY`], no supplementary
/// group) through util-linux's setpriv, as [`Sandbox::command`] makes it.
pub fn as_nobody(sb: &Sandbox, program: impl AsRef<OsStr>) -> Command {
    let mut c = sb.command(require("setpriv", "util-linux"));
    c.args([format!("--reuid={NOBODY}"), format!("--regid={NOBODY}"), "--clear-groups".into()]).arg(program);
    c
}

/// `path` and everything under it made nobody's (symlinks themselves).
pub fn give_to_nobody(path: &Path) {
    std::os::unix::fs::lchown(path, Some(NOBODY), Some(NOBODY)).unwrap();
    if fs::symlink_metadata(path).unwrap().is_dir() {
        for e in fs::read_dir(path).unwrap() {
            give_to_nobody(&e.unwrap().path());
        }
    }
}

/// The real and effective uid of `pid` (None once it is gone).
pub fn uids(pid: u32) -> Option<(u32, u32)> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let mut ids = status.lines().find_map(|l| l.strip_prefix("Uid:"))?.split_whitespace().map(|w| w.parse().ok());
    Some((ids.next()??, ids.next()??))
}

/// Where `program` is (a path, or a name looked up on PATH); a missing one
/// fails the test with the Debian package to install, which
/// `scripts/install-peers` installs.
#[track_caller]
pub fn require(program: &str, package: &str) -> PathBuf {
    let found = if program.contains('/') {
        Some(PathBuf::from(program)).filter(|p| p.exists())
    } else {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path).map(|d| d.join(program)).find(|p| p.is_file())
    };
    found.unwrap_or_else(|| panic!("{program} is missing: install Debian's package {package} (scripts/install-peers)"))
}

/// Debian's `program` in /usr/bin; a missing one fails the test naming its
/// package (daemontools, runit or s6).
#[track_caller]
pub fn debian_program(program: &str) -> PathBuf {
    let package = match program {
        "chpst" | "runsv" | "runsvdir" | "sv" | "svlogd" => "runit",
        p if p.starts_with("s6-") => "s6",
        _ => "daemontools",
    };
    require(&format!("/usr/bin/{program}"), package)
}

/// (pid, ppid) of every process.
fn process_table() -> Vec<(i32, i32)> {
    let mut t = Vec::new();
    for e in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Some(ppid) = parent_pid(pid as u32) else { continue };
        t.push((pid, ppid as i32));
    }
    t
}

/// The parent of `pid` (None once it is gone).
pub fn parent_pid(pid: u32) -> Option<u32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rfind(')')?;
    stat.get(after + 2..)?.split(' ').nth(1)?.parse().ok()
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Stop everything first so nothing restarts what we kill.
        for _ in 0..3 {
            let pids = self.processes();
            if pids.is_empty() {
                break;
            }
            for &p in &pids {
                // SAFETY: signalling a pid this sandbox started (marked or descended).
                unsafe { libc::kill(p, libc::SIGKILL) };
            }
            // Reaped, a child's pid is free for any process: never signalled again.
            for mut c in self.children.drain(..) {
                let _ = c.wait();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        remove_cgroups(&cgroup_name(self.path()));
    }
}

/// The cgroup v2 mount, if any (where a supervise run as root makes its
/// services' cgroups).
pub fn cgroup_mount() -> Option<PathBuf> {
    let mounts = fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    mounts
        .lines()
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2] == "cgroup2")
        .map(|f| PathBuf::from(f[1]))
}

/// The cgroup of `pid` in the unified hierarchy (`0::PATH`), as a directory.
pub fn cgroup_of(pid: u32) -> Option<PathBuf> {
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    let path = text.lines().find_map(|l| l.strip_prefix("0::"))?;
    Some(cgroup_mount()?.join(path.trim_start_matches('/')))
}

/// The name supervise gives the cgroup of the service directory `dir`
/// (an absolute path): `tend-` and the path escaped as systemd escapes it.
pub fn cgroup_name(dir: &Path) -> String {
    let mut out = String::from("tend-");
    let parts: Vec<&[u8]> = dir.as_os_str().as_bytes().split(|&b| b == b'/').filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        for (j, &b) in part.iter().enumerate() {
            if b.is_ascii_alphanumeric() || b == b':' || b == b'_' || (b == b'.' && !(i == 0 && j == 0)) {
                out.push(b as char);
            } else {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
    }
    out
}

/// Kills and removes every cgroup (in this process's own) whose name starts with `prefix`.
pub fn remove_cgroups(prefix: &str) {
    let Some(own) = cgroup_of(std::process::id()) else { return };
    for e in fs::read_dir(&own).into_iter().flatten().flatten() {
        if !e.file_name().to_string_lossy().starts_with(prefix) {
            continue;
        }
        let _ = fs::write(e.path().join("cgroup.kill"), "1");
        // Killed processes leave the cgroup as they exit.
        wait_until(PATIENCE, || fs::remove_dir(e.path()).is_ok() || !e.path().exists());
    }
}

/// A cgroup of a test's own, `tend-test-PID-N` at the cgroup2 mount's
/// root (not the test process's: a program started in it is in a cgroup
/// that is not the root, as under a systemd unit or in a container). Its
/// `Drop` kills every process in it and below and removes it with every
/// cgroup below (none is left for `scripts/test` to find).
pub struct TestCgroup {
    pub path: PathBuf,
}

impl TestCgroup {
    pub fn new() -> TestCgroup {
        let mount = cgroup_mount().expect("a cgroup2 mount");
        let path = mount.join(format!("tend-test-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst)));
        fs::create_dir(&path).expect("mkdir the test's cgroup");
        TestCgroup { path }
    }
}

/// Our `program` (with `args`), started in the cgroup `dir` (a directory
/// of the cgroup2 mount): a shell writes its pid to `cgroup.procs`, then
/// execs it; marked as the sandbox's.
pub fn in_cgroup(sb: &Sandbox, dir: &Path, program: &str, args: &[&str]) -> Command {
    let mut c = sb.command("sh");
    c.args(["-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\""]).arg(dir).arg(sb.bin.join(program));
    c.args(args);
    c
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        // cgroup.kill kills the processes of the cgroups below too.
        let _ = fs::write(self.path.join("cgroup.kill"), "1");
        let populated = || fs::read_to_string(self.path.join("cgroup.events")).is_ok_and(|e| e.contains("populated 1"));
        wait_until(PATIENCE, || !populated());
        fn remove(dir: &Path) {
            for e in fs::read_dir(dir).into_iter().flatten().flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    remove(&e.path());
                }
            }
            let _ = fs::remove_dir(dir);
        }
        remove(&self.path);
    }
}

/// Whether `pid` is gone, a zombie, or exiting (PF_EXITING: killed, past
/// the point of return, its cgroup left).
pub fn gone(pid: u32) -> bool {
    const PF_EXITING: u64 = 4;
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else { return true };
    let Some(i) = stat.rfind(')') else { return true };
    let fields: Vec<&str> = stat[i + 2..].split(' ').collect();
    let flags: u64 = fields.get(6).and_then(|f| f.parse().ok()).unwrap_or(0);
    fields[0] == "Z" || fields[0] == "X" || flags & PF_EXITING != 0
}

/// Whether `pid` is a live process: not gone, and not a zombie (which still
/// answers kill(0)).
pub fn alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.rfind(')').is_some_and(|i| !s[i + 2..].starts_with('Z')))
}

/// Sends `sig` to `pid`, a process the test started.
///
/// A pid read from a record that says "down" is 0, and kill(0) signals the
/// test's own process group (the test binary, cargo, the CI script): such a
/// pid fails the test instead.
pub fn signal(pid: u32, sig: i32) {
    let target = i32::try_from(pid).ok().filter(|&p| p > 1);
    let target = target.unwrap_or_else(|| panic!("refusing to signal pid {pid}: not one process"));
    // SAFETY: signalling a process this test started.
    unsafe { libc::kill(target, sig) };
}

/// How long any wait in a test may take before the test fails. It only
/// bounds a failure: on a loaded machine (two cores, several test binaries,
/// other sessions) a start or a restart can take seconds, and a test that
/// waits for its condition passes as soon as the condition holds.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Waits (up to [`PATIENCE`]) for `child` to exit and returns its status;
/// kills it and fails the test if it does not exit.
#[track_caller]
pub fn wait_child(child: &mut Child) -> ExitStatus {
    let mut status = None;
    if !wait_until(PATIENCE, || {
        status = child.try_wait().ok().flatten();
        status.is_some()
    }) {
        let _ = child.kill();
        let _ = child.wait();
        panic!("process {} did not exit", child.id());
    }
    status.expect("exited")
}

/// Waits until `condition` holds, polling every 10 ms; fails the test after
/// [`PATIENCE`] saying what it waited for. Wait for the very condition the
/// test asserts next (a file's whole content, a state in the status record,
/// a process blocked where it should be), never for a sign of it.
#[track_caller]
pub fn wait_for(what: &str, condition: impl FnMut() -> bool) {
    assert!(wait_until(PATIENCE, condition), "gave up after {PATIENCE:?} waiting for {what}");
}

/// Waits until the file at `path` exists and its content satisfies `whole`
/// (a shell's `>` creates the file before writing it); returns the content.
#[track_caller]
pub fn wait_for_file_content(path: &Path, whole: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let mut content = Vec::new();
    let ok = wait_until(PATIENCE, || {
        content = fs::read(path).unwrap_or_default();
        whole(&content)
    });
    assert!(ok, "gave up after {PATIENCE:?} waiting for the content of {path:?}; it holds {content:?}");
    content
}

/// Waits until `path` holds one whole line and returns it without its newline.
#[track_caller]
pub fn wait_for_line(path: &Path) -> String {
    let content = wait_for_file_content(path, |c| c.ends_with(b"\n"));
    String::from_utf8_lossy(&content).trim_end_matches('\n').to_string()
}

/// A `supervise/status` record as daemontools' svstat decodes it (the
/// first 18 bytes; runit's and tend's extras follow in `raw`).
#[derive(Debug, Clone)]
pub struct Status {
    pub pid: u32,
    pub paused: bool,
    /// `u`, `d`, or 0 (no want, after `svc -o`).
    pub want: u8,
    pub raw: Vec<u8>,
}

/// The restarts a status record counts (bytes 24..32), 0 in a record without them.
pub fn restarts(s: &Status) -> u64 {
    s.raw.get(24..32).map_or(0, |b| u64::from_be_bytes(b.try_into().unwrap()))
}

/// The status record of the service directory `dir`, once one is written.
pub fn read_status(dir: &Path) -> Option<Status> {
    let raw = fs::read(dir.join("supervise/status")).ok()?;
    if raw.len() < 18 {
        return None;
    }
    let pid = u32::from_le_bytes(raw[12..16].try_into().ok()?);
    Some(Status { pid, paused: raw[16] != 0, want: raw[17], raw })
}

/// Waits until the status record of `dir` satisfies `condition`; returns it.
#[track_caller]
pub fn wait_for_status(dir: &Path, what: &str, condition: impl Fn(&Status) -> bool) -> Status {
    let mut last = None;
    let ok = wait_until(PATIENCE, || {
        last = read_status(dir);
        last.as_ref().is_some_and(&condition)
    });
    assert!(ok, "gave up after {PATIENCE:?} waiting for {dir:?} to be {what}; status {last:?}");
    last.expect("a status")
}

/// Whether a supervisor runs on `dir`: its `ok` FIFO opens for writing
/// without blocking, which needs a reader (svok's test). The FIFO exists
/// before supervise opens it, so its existence says nothing.
pub fn supervised(dir: &Path) -> bool {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(dir.join("supervise/ok")).is_ok()
}

/// Waits until a supervisor runs on `dir` and answers on `ok`.
#[track_caller]
pub fn wait_supervised(dir: &Path) {
    wait_for(&format!("a supervisor on {dir:?}"), || supervised(dir));
}

/// The arguments of a process (empty once it is gone).
pub fn argv(pid: u32) -> Vec<Vec<u8>> {
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    cmdline.split(|&b| b == 0).filter(|a| !a.is_empty()).map(<[u8]>::to_vec).collect()
}

/// Whether `pid` runs `program` (its argv[0] or executable has that file
/// name): a forked child runs its parent's program until it calls exec.
pub fn runs(pid: u32, program: &str) -> bool {
    let name_is = |p: &[u8]| Path::new(OsStr::from_bytes(p)).file_name() == Some(OsStr::new(program));
    let exe = fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
    alive(pid) && (argv(pid).first().is_some_and(|a| name_is(a)) || name_is(exe.as_os_str().as_bytes()))
}

/// Waits until `pid` has called exec on `program`.
#[track_caller]
pub fn wait_exec(pid: u32, program: &str) {
    wait_for(&format!("process {pid} to exec {program}"), || runs(pid, program));
}

/// The system call `pid`'s main thread is blocked in, with its arguments
/// (None while it runs or once it is gone).
fn blocked_syscall(pid: u32) -> Option<Vec<u64>> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let state = stat.rfind(')').and_then(|i| stat[i + 2..].chars().next());
    if !matches!(state, Some('S' | 'D')) {
        return None;
    }
    let line = fs::read_to_string(format!("/proc/{pid}/syscall")).ok()?;
    let words = line.split_whitespace().map(|w| u64::from_str_radix(w.trim_start_matches("0x"), 16).ok());
    let mut words: Vec<u64> = words.collect::<Option<_>>()?;
    // The first word is the number, in decimal.
    words[0] = line.split_whitespace().next()?.parse().ok()?;
    Some(words)
}

/// Whether `pid` sleeps in poll(2) or ppoll(2) without a timeout: idle,
/// with nothing left to do until an event comes.
pub fn idle(pid: u32) -> bool {
    const POLL: u64 = libc::SYS_poll as u64;
    const PPOLL: u64 = libc::SYS_ppoll as u64;
    match blocked_syscall(pid).as_deref() {
        Some([POLL, _, _, timeout, ..]) => *timeout as i32 == -1,
        Some([PPOLL, _, _, timeout, ..]) => *timeout == 0,
        _ => false,
    }
}

/// Waits until `pid` is [`idle`].
#[track_caller]
pub fn wait_idle(pid: u32) {
    wait_for(&format!("process {pid} to sleep in poll without a timeout"), || idle(pid));
}

/// Whether `pid` waits for input on stdin: blocked in read(0, ...) (as
/// daemontools' programs do, with their signals unblocked just then) or
/// [`idle`] in poll. daemontools' multilog only sees a signal that comes
/// while it waits: one that comes while it writes is taken just before its
/// next read, which then blocks with the signal's work undone.
pub fn waiting_for_input(pid: u32) -> bool {
    const READ: u64 = libc::SYS_read as u64;
    matches!(blocked_syscall(pid).as_deref(), Some([READ, 0, ..])) || idle(pid)
}

/// Waits until `pid` is [`waiting_for_input`].
#[track_caller]
pub fn wait_reading(pid: u32) {
    wait_for(&format!("process {pid} to wait for input"), || waiting_for_input(pid));
}

/// Whether `pid` is blocked in the system call `number` (libc::SYS_*).
pub fn blocked_in(pid: u32, number: libc::c_long) -> bool {
    blocked_syscall(pid).is_some_and(|w| w[0] == number as u64)
}

/// Whether `pid` has taken signal `sig` (no longer pending, for the process
/// or its main thread) and sleeps again: its handler has run, or it read
/// the signal from its signalfd.
pub fn signal_taken(pid: u32, sig: i32) -> bool {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let pending = |key: &str| {
        status.lines().find_map(|l| l.strip_prefix(key)).and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
    };
    let bit = 1u64 << (sig - 1);
    match (pending("SigPnd:"), pending("ShdPnd:")) {
        (Some(thread), Some(process)) => (thread | process) & bit == 0 && blocked_syscall(pid).is_some(),
        _ => false,
    }
}

/// Sends `sig` to `pid` and waits until the process has taken it.
#[track_caller]
pub fn signal_and_wait_taken(pid: u32, sig: i32) {
    signal(pid, sig);
    wait_for(&format!("process {pid} to take signal {sig}"), || signal_taken(pid, sig));
}

/// Polls `f` every 10 ms until it is true or `limit` passes; returns whether it became true.
pub fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if f() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `cmd` with `input` on stdin and returns its output.
pub fn run_with_input(cmd: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    out
}

/// Asserts two byte strings are equal, printing both as framed text blocks.
#[track_caller]
pub fn assert_same(what: &str, ours: &[u8], theirs: &[u8]) {
    if ours != theirs {
        panic!(
            "{what} differs\n--- ours ---\n{}\n--- theirs ---\n{}\n------------",
            String::from_utf8_lossy(ours),
            String::from_utf8_lossy(theirs)
        );
    }
}

/// A port on 127.0.0.1 that no socket held a moment ago (bound by nobody
/// when returned: the program under test binds it).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local address").port()
}

/// Compares our stderr with Debian's program's, allowing tend's one
/// addition to daemontools' and runit's usage messages: the line naming the
/// program's page after them (`PROG: see man tend-PROG or doc/PROG.md`),
/// there only where theirs printed something.
#[track_caller]
pub fn assert_same_stderr(what: &str, ours: &[u8], theirs: &[u8]) {
    let without = without_page_line(ours);
    assert!(without.len() == ours.len() || !theirs.is_empty(), "{what}: a page line without a usage message");
    assert_same(what, without, theirs);
}

/// `stderr` without its last line if that is a usage message's page line.
pub fn without_page_line(stderr: &[u8]) -> &[u8] {
    let body = stderr.strip_suffix(b"\n").unwrap_or(stderr);
    let start = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let last = String::from_utf8_lossy(&body[start..]);
    let page = last.split_once(": see man tend").is_some_and(|(prog, rest)| {
        let page = if prog == "tend" { String::new() } else { format!("-{prog}") };
        rest == format!("{page} or doc/{prog}.md")
    });
    if page {
        &stderr[..start]
    } else {
        stderr
    }
}

/// Makes a FIFO at `path` (a gate a service's script waits on: `read x < gate`).
pub fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("path");
    // SAFETY: mkfifo with a NUL-terminated path in the test's own directory.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo {path:?}");
}

/// The shipped build: `cargo build --release -p tend` (its own lock: the
/// tests' debug build is not touched), and the path of its `tend`. For the
/// checks of what only the release build shows (its RELRO, its stack).
pub fn shipped_tend() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let built = Command::new(cargo)
        .args(["build", "--release", "--quiet", "-p", "tend"])
        .current_dir(&root)
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("cargo runs");
    assert!(built.success(), "cargo build --release failed");
    target.join("release/tend")
}
