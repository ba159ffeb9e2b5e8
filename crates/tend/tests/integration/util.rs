//! The harness every integration test uses: a private directory, the built
//! binary symlinked under every program name, and cleanup of every process a
//! test started (whole trees), even when the test fails.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
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

impl Sandbox {
    pub fn new() -> Sandbox {
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
        let package = match program {
            "chpst" | "runsv" | "runsvdir" | "sv" | "svlogd" => "runit",
            p if p.starts_with("s6-") => "s6",
            _ => "daemontools",
        };
        let mut c = Command::new(require(&format!("/usr/bin/{program}"), package));
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

    /// Takes back a spawned child to wait for it yourself (it stays marked).
    pub fn take_child(&mut self, pid: u32) -> Child {
        let i = self.children.iter().position(|c| c.id() == pid).expect("no such child");
        self.children.remove(i)
    }

    /// Waits (up to 10 s) for a spawned child to exit and returns its status;
    /// kills it and fails the test if it does not exit.
    pub fn wait_exit(&mut self, pid: u32) -> ExitStatus {
        let mut child = self.take_child(pid);
        let mut status = None;
        if !wait_until(Duration::from_secs(10), || {
            status = child.try_wait().ok().flatten();
            status.is_some()
        }) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("process {pid} did not exit");
        }
        status.expect("exited")
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

/// (pid, ppid) of every process.
fn process_table() -> Vec<(i32, i32)> {
    let mut t = Vec::new();
    for e in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        let Some(after) = stat.rfind(')') else { continue };
        let ppid = stat[after + 2..].split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        t.push((pid, ppid));
    }
    t
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
            for c in &mut self.children {
                let _ = c.wait();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Whether `pid` is a live process: not gone, and not a zombie (which still
/// answers kill(0)).
pub fn alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.rfind(')').is_some_and(|i| !s[i + 2..].starts_with('Z')))
}

/// Sends `sig` to `pid`, a process the test started.
pub fn signal(pid: u32, sig: i32) {
    // SAFETY: signalling a process this test started.
    unsafe { libc::kill(pid as i32, sig) };
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
