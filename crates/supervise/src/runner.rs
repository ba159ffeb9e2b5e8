//! The thin edge around [`Machine`]: files, processes and one poll loop.

use std::ffi::{CStr, OsStr};
use std::fs::File;
use std::io::{self, ErrorKind};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use svstatus::{Command, Lock, RunitFiles, ServiceDir};
use tai64::SystemClock;
use unix::poll::pollfd;
use unix::scratch::Scratch;
use unix::signals::{self, SignalFd};
use unix::spawn::Spawn;

use crate::config::{Config, Listing, Warned};
use crate::deps::Deps;
use crate::group::{Group, RECHECK};
use crate::hook::{self, Hook, Script};
use crate::listen::{self, Held};
use crate::machine::{Action, Event, Machine, Now, SWEEP_PATIENCE};
use crate::notify::Notify;
use crate::ownership::Owner;

/// The smallest change of wall - monotonic taken for a step when the
/// timerfd did not report one.
const UNREPORTED_STEP: Duration = Duration::from_millis(100);

/// A startup failure: the text after `supervise: fatal: `, ending in the
/// reason. The program prints it and exits 111.
#[derive(Debug)]
pub struct Fatal(pub Vec<u8>);

pub(crate) fn fatal(parts: &[&[u8]], e: &io::Error) -> Fatal {
    let mut v = parts.concat();
    v.extend_from_slice(strerr::errstr(e).as_bytes());
    Fatal(v)
}

/// Supervises the service in `dir` until told to exit (`x` once down,
/// SIGTERM/SIGINT = `dx`, SIGHUP = `x`), or until an essential service ends
/// unasked. Returns the exit code: 0, or that service's code. The working
/// directory becomes `dir` (where `run` starts, as under daemontools);
/// supervise itself reaches its files through the directory's descriptor.
pub fn supervise(dir: &OsStr) -> Result<u8, Fatal> {
    let name = dir.as_bytes();
    let dir = ServiceDir::open(name)
        .and_then(|d| d.chdir().map(|()| d))
        .map_err(|e| fatal(&[b"unable to chdir to ", name, b": "], &e))?;
    let normally_up = !dir.exists(c"down").map_err(|e| fatal(&[b"unable to stat ", name, b"/down: "], &e))?;
    let unmade = make_state_dir(&dir);
    let owner = Owner::if_root(name);
    if let Some(owner) = &owner {
        owner.claim_state_dir(&dir)?;
    }
    // The lock comes before any write, so a second supervise changes nothing.
    let lock = Lock::acquire(&dir, owner.is_some()).map_err(|e| match &unmade {
        // "file does not exist" would only echo why `supervise/` is missing.
        Some(why) if e.kind() == ErrorKind::NotFound => fatal(&[b"unable to create ", name, b"/supervise: "], why),
        _ => fatal(&[b"unable to acquire ", name, b"/supervise/lock: "], &e),
    })?;
    let _lock = match &owner {
        Some(owner) => {
            let lock = owner.secure_lock(&dir, lock)?;
            owner.remove_foreign_status_files(&dir)?;
            owner.secure_fifo(&dir, svstatus::CONTROL)?;
            lock
        }
        None => lock,
    };
    // A verdict of an earlier run, which svscan did not collect.
    let _ = dir.unlink(svstatus::ESSENTIAL_EXIT);
    let control = open_fifo(&dir, name, svstatus::CONTROL, false)
        .map_err(|e| fatal(&[b"unable to read ", name, b"/supervise/control: "], &e))?;
    // Held open for writing too, so the FIFO never reports end of file.
    let _control_writer = open_fifo(&dir, name, svstatus::CONTROL, true)
        .map_err(|e| fatal(&[b"unable to write ", name, b"/supervise/control: "], &e))?;
    // A warning to a stderr pipe whose reader died must not kill supervise;
    // the service gets the disposition supervise was started with.
    let sigpipe_ignored = signals::ignore(libc::SIGPIPE);
    let signals = SignalFd::block(&[libc::SIGCHLD, libc::SIGTERM, libc::SIGINT, libc::SIGHUP])
        .map_err(|e| fatal(&[b"unable to create signalfd for ", name, b": "], &e))?;
    // An ignored SIGCHLD would have the kernel reap the service unseen: no
    // signal, no exit status (daemontools catches it too).
    signals::take_default(libc::SIGCHLD);
    // Without it (old kernels) steps are still noticed at the next wake-up.
    let step_timer = unix::timer::wall_step_timer().ok();
    let now = Now::read(&SystemClock);
    let mut listing = Listing::default();
    let config = Config::load(&dir, &mut listing).0;
    let mut group = Group::open(name);
    group.stop_leftovers(name, &dir, config.timeout_kill);
    let mut runner = Runner {
        group,
        name,
        dir,
        owner,
        sigpipe_ignored,
        machine: Machine::new(now, normally_up, config),
        clock_offset: now.offset(),
        notify: None,
        sd: None,
        socket: None,
        ok: None,
        fork_error: None,
        runit_pending: None,
        runit_written: None,
        listing,
        warned: Warned::default(),
        deps: Deps::default(),
        hook: Hook::default(),
        exit_code: 0,
    };
    if !runner.perform(Event::Boot)? {
        runner.open_ok()?;
        runner.main_loop(&signals, &control, step_timer.as_ref())?;
    }
    runner.write_runit_files();
    runner.hook_left();
    runner.group.remove();
    Ok(runner.exit_code)
}

/// `mkdir supervise`; a dangling symlink gets its target created (Debian's
/// patch 0002). Like daemontools, supervise goes on if that fails (the
/// directory may exist); the error is returned to explain a missing lock
/// (a read-only file system, not "file does not exist").
fn make_state_dir(dir: &ServiceDir) -> Option<io::Error> {
    let made = match dir.mkdir(svstatus::STATE_DIR, 0o700) {
        Err(e) if e.kind() == ErrorKind::AlreadyExists && dir.stat(svstatus::STATE_DIR).is_err() => {
            make_symlink_target(dir)
        }
        made => made,
    };
    made.err().filter(|e| e.kind() != ErrorKind::AlreadyExists)
}

/// The link is read into a [`Scratch`] mapping, not onto the stack, whose
/// pages would stay private to this supervise for its life.
fn make_symlink_target(dir: &ServiceDir) -> io::Result<()> {
    let mut target = Scratch::<{ libc::PATH_MAX as usize + 1 }>::new()?;
    match dir.read_link(svstatus::STATE_DIR, &mut *target) {
        Ok(target) => dir.mkdir(target, 0o700),
        Err(_) => Ok(()),
    }
}

/// Creates (if needed) and opens a FIFO without blocking. A regular file (or
/// symlink, socket, device) at that name is replaced, with a warning:
/// reading a regular file would spin, and clients writing to it would talk
/// to nobody. A directory is left alone and opened as daemontools opens it:
/// for reading that works (`ok` then serves as a directory, as under
/// daemontools), for writing it fails with daemontools' message.
fn open_fifo(dir: &ServiceDir, name: &[u8], path: &CStr, write: bool) -> io::Result<File> {
    match dir.lstat(path) {
        Ok(st) if matches!(st.st_mode & libc::S_IFMT, libc::S_IFIFO | libc::S_IFDIR) => {}
        Ok(_) => {
            strerr::warn(&[name, b"/", path.to_bytes(), b" is not a FIFO, replacing it"]);
            dir.unlink(path)?;
            dir.mkfifo(path)?;
        }
        Err(_) => dir.mkfifo(path)?,
    }
    let mode = if write { libc::O_WRONLY } else { libc::O_RDONLY };
    dir.open_file(path, mode | libc::O_NONBLOCK, 0)
}

/// Borrows the service's name from argv: supervise allocates nothing but a
/// warning's message, so that a hundred of them share all but their stacks
/// and a few data pages.
struct Runner<'a> {
    name: &'a [u8],
    dir: ServiceDir,
    /// Set when running as root: `ok` is secured before it is opened.
    owner: Option<Owner<'a>>,
    /// SIGPIPE was ignored when supervise started: it stays so for `run`.
    sigpipe_ignored: bool,
    machine: Machine,
    /// The service's processes: its cgroup or its process group.
    group: Group,
    /// Read end of the readiness pipe of the running service.
    notify: Option<OwnedFd>,
    /// The sd_notify socket (`notify-socket`).
    sd: Option<Notify>,
    /// The socket held for the service (`socket`), `run`'s descriptor 3.
    socket: Option<Held>,
    /// `supervise/ok`, held open for reading: clients' liveness test.
    ok: Option<File>,
    fork_error: Option<io::Error>,
    /// runit's `stat` and `pid` still to write for this status: they wait
    /// until the commands already queued are handled, so that neither a
    /// restart nor a command waits for two more file replacements.
    runit_pending: Option<RunitFiles>,
    /// What runit's files hold (None until written, or after a failure):
    /// a status that changes neither is not written again.
    runit_written: Option<RunitFiles>,
    /// Which settings files the service directory holds.
    listing: Listing,
    /// The bad settings files already warned about.
    warned: Warned,
    /// The services `dependencies` lists, while it waits for them.
    deps: Deps,
    /// The `notify` hook: the one running, the events waiting.
    hook: Hook,
    /// wall - monotonic (ns) as last seen: its change is a wall-clock step.
    clock_offset: i128,
    /// supervise's exit code: an essential service's, once it ended.
    exit_code: u8,
}

impl Runner<'_> {
    fn open_ok(&mut self) -> Result<(), Fatal> {
        if self.ok.is_none() {
            let name = self.name;
            if let Some(owner) = &self.owner {
                owner.secure_fifo(&self.dir, svstatus::OK)?;
            }
            let f = open_fifo(&self.dir, name, svstatus::OK, false)
                .map_err(|e| fatal(&[b"unable to read ", name, b"/supervise/ok: "], &e))?;
            self.ok = Some(f);
        }
        Ok(())
    }

    fn main_loop(&mut self, signals: &SignalFd, control: &File, timer: Option<&OwnedFd>) -> Result<(), Fatal> {
        let mut buf = [0u8; 256];
        loop {
            let sweeping = self.machine.sweeping();
            if sweeping && self.group.is_empty() {
                if self.perform(Event::Swept)? {
                    return Ok(());
                }
                continue;
            }
            if sweeping {
                // Again, for what was forked meanwhile (a kernel without
                // cgroup.kill signals the processes one by one).
                self.group.kill(None);
            }
            let before = Now::read(&SystemClock);
            let runit_due = self.runit_pending.is_some();
            let recheck = if self.machine.waiting() { self.deps.recheck_at() } else { None };
            let deadline =
                [self.machine.deadline(), self.watchdog(), recheck, self.hook.deadline()].into_iter().flatten().min();
            let timeout = match deadline {
                _ if runit_due => Some(Duration::ZERO),
                deadline => deadline.map(|d| d.saturating_sub(before.mono)),
            };
            // A process group cannot be polled: it is looked at again soon.
            let timeout = if sweeping { Some(timeout.map_or(RECHECK, |t| t.min(RECHECK))) } else { timeout };
            let mut fds = [
                pollfd(signals.as_raw_fd()),
                pollfd(control.as_raw_fd()),
                pollfd(timer.map_or(-1, |t| t.as_raw_fd())),
                pollfd(self.notify.as_ref().map_or(-1, |n| n.as_raw_fd())),
                if sweeping { self.group.pollfd() } else { pollfd(-1) },
                pollfd(self.sd.as_ref().map_or(-1, Notify::fd)),
                pollfd(if self.machine.waiting() { self.deps.fd() } else { -1 }),
            ];
            if let Err(e) = unix::poll::poll(&mut fds, timeout) {
                strerr::warn(&[b"unable to poll for ", self.name, b": ", strerr::errstr(&e).as_bytes()]);
            }
            let ready = |i: usize| fds[i].revents != 0;
            if ready(0) && self.signals(signals)? {
                return Ok(());
            }
            if ready(1) {
                let n = unix::fd::read(control.as_raw_fd(), &mut buf).unwrap_or(0);
                for &b in &buf[..n] {
                    if let Some(c) = Command::from_byte(b) {
                        if self.perform(Event::Command(c))? {
                            return Ok(());
                        }
                        if let (Command::Continue, Some(sd)) = (c, &mut self.sd) {
                            sd.rearm(Now::read(&SystemClock).mono);
                        }
                    }
                }
            }
            let set = ready(2) && timer.is_some();
            if let (true, Some(t)) = (set, timer) {
                // ECANCELED: the wall clock was set. Re-arm; ClockStep and
                // Wake below act on it.
                let _ = unix::fd::read(t.as_raw_fd(), &mut buf);
                let _ = unix::timer::arm_wall_step_timer(t);
            }
            if ready(3) {
                self.readiness(&mut buf)?;
            }
            if ready(5) && self.notified()? {
                return Ok(());
            }
            if ready(6) && self.deps.changed() && self.perform(Event::Retry)? {
                return Ok(());
            }
            let now = Now::read(&SystemClock);
            if let Some(pid) = self.hook.expire(now.mono) {
                unix::process::kill(-(pid as libc::pid_t), libc::SIGKILL);
            }
            let recheck = self.machine.waiting() && self.deps.recheck_at().is_some_and(|d| d <= now.mono);
            if recheck && self.perform(Event::Retry)? {
                return Ok(());
            }
            if self.watchdog().is_some_and(|d| d <= now.mono) && self.watchdog_timeout(now)? {
                return Ok(());
            }
            if self.machine.deadline().is_some_and(|d| d <= now.mono) && self.perform(Event::Timer)? {
                return Ok(());
            }
            if self.clock_stepped(now, set)? {
                return Ok(());
            }
            if self.perform(Event::Wake)? {
                return Ok(());
            }
            if runit_due {
                self.write_runit_files();
            }
        }
    }

    /// Tells the machine how far the wall clock moved against the monotonic
    /// clock since the last look, when the kernel said it was `set` (the
    /// timerfd) or the move is too large to be the jitter of reading two
    /// clocks (a step the timerfd does not see: libfaketime's). Returns
    /// true when supervise must exit.
    fn clock_stepped(&mut self, now: Now, set: bool) -> Result<bool, Fatal> {
        let by = now.offset() - self.clock_offset;
        self.clock_offset = now.offset();
        if !set && by.unsigned_abs() < UNREPORTED_STEP.as_nanos() {
            return Ok(false);
        }
        let by_ns = i64::try_from(by).unwrap_or(if by < 0 { i64::MIN } else { i64::MAX });
        self.perform(Event::ClockStep { by_ns })
    }

    fn write_runit_files(&mut self) {
        if let Some(files) = self.runit_pending.take() {
            self.runit_written = match files.write(&self.dir) {
                Ok(()) => Some(files),
                Err(e) => {
                    strerr::warn(&[&e.message(self.name)]);
                    None
                }
            };
        }
    }

    /// Returns true when supervise must exit.
    fn signals(&mut self, fd: &SignalFd) -> Result<bool, Fatal> {
        while let Some(signal) = fd.next() {
            let exit = match signal {
                libc::SIGCHLD => {
                    let mut exit = false;
                    while let Some((pid, wstatus)) = unix::process::reap() {
                        let pid = pid as u32;
                        if let Some(killed) = self.hook.reaped(pid) {
                            self.hook_ended(killed, wstatus);
                            self.run_hook();
                            continue;
                        }
                        if self.machine.running() == Some(pid) {
                            self.hook_event(hook::Event::end(Script::Run, pid, wstatus));
                        } else if self.machine.pid() == Some(pid) {
                            self.hook_event(hook::Event::end(Script::Finish, pid, wstatus));
                        }
                        exit |= self.perform(Event::ChildExited { pid, wstatus })?;
                    }
                    exit
                }
                libc::SIGHUP => self.perform(Event::Command(Command::Exit))?,
                _ => self.perform(Event::Terminate)?,
            };
            if exit {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn readiness(&mut self, buf: &mut [u8]) -> Result<(), Fatal> {
        let Some(fd) = &self.notify else { return Ok(()) };
        match unix::fd::read(fd.as_raw_fd(), buf) {
            Ok(0) => self.notify = None,
            Ok(n) if buf[..n].contains(&b'\n') => {
                self.notify = None;
                self.perform(Event::Ready)?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => {}
            Err(_) => self.notify = None,
        }
        Ok(())
    }

    /// When the running service's watchdog bites, if it has one.
    /// None while the service is paused (`svc -p`): a stopped process
    /// cannot ping; `svc -c` gives it a whole interval again.
    fn watchdog(&self) -> Option<std::time::Duration> {
        if self.machine.paused() {
            return None;
        }
        self.machine.running().and(self.sd.as_ref()?.deadline())
    }

    /// The watchdog bit: recorded, and the machine aborts the service.
    /// Returns true when supervise must exit.
    fn watchdog_timeout(&mut self, now: Now) -> Result<bool, Fatal> {
        if let Some(sd) = &mut self.sd {
            sd.timed_out(now.wall.as_secs());
            strerr::warn(&[self.name, b": no WATCHDOG=1 in time: aborting it"]);
        }
        self.write_notify_state();
        self.perform(Event::WatchdogTimeout)
    }

    /// Reads the sd_notify socket. Returns true when supervise must exit.
    /// Not inlined: its datagram buffer (4 KiB) would deepen the poll
    /// loop's frame, under which every other call runs, in every supervise
    /// (stack pages stay each process's own: benchmark 8d).
    #[inline(never)]
    fn notified(&mut self) -> Result<bool, Fatal> {
        let Some(sd) = &mut self.sd else { return Ok(false) };
        let main = self.machine.running();
        let group = &self.group;
        let of_service = |pid: libc::pid_t| main == Some(pid as u32) || group.holds(pid);
        let ready = sd.receive(Now::read(&SystemClock).mono, main.is_some(), of_service, self.name);
        self.write_notify_state();
        if ready {
            return self.perform(Event::Ready);
        }
        Ok(false)
    }

    fn write_notify_state(&mut self) {
        let Some(sd) = self.sd.as_mut().filter(|sd| sd.dirty) else { return };
        sd.dirty = false;
        if let Err(e) = sd.state.write(&self.dir) {
            strerr::warn(&[&e.message(self.name)]);
        }
    }

    /// Steps the machine and performs its actions (and those that follow
    /// from spawning). Returns true when supervise must exit.
    fn perform(&mut self, event: Event) -> Result<bool, Fatal> {
        let mut queue = self.machine.step(Now::read(&SystemClock), event);
        while let Some(action) = queue.next() {
            let answer = match action {
                Action::Spawn if self.deps.blocked(&self.dir, self.name) => Some(Event::Blocked),
                Action::Spawn => Some(self.spawn_run()),
                Action::SpawnFinish { code, signal } => Some(self.spawn_finish(code, signal)),
                Action::SpawnCheck => Some(self.spawn_check()),
                Action::KillCheck { pid } => {
                    unix::process::kill(-(pid as libc::pid_t), libc::SIGKILL);
                    None
                }
                Action::Signal { pid, signal } => {
                    unix::process::kill(pid as libc::pid_t, signal);
                    None
                }
                Action::WriteStatus(status) => {
                    if let Err(e) = svstatus::write_status(&self.dir, &status) {
                        strerr::warn(&[&e.message(self.name)]);
                    }
                    let runit = RunitFiles::of(&status);
                    self.runit_pending = (self.runit_written != Some(runit)).then_some(runit);
                    None
                }
                Action::WarnForkFailed => {
                    let why = self.fork_error.take().map(|e| strerr::errstr(&e)).unwrap_or_default();
                    strerr::warn(&[b"unable to fork for ", self.name, b", sleeping 60 seconds: ", why.as_bytes()]);
                    None
                }
                Action::Sweep => {
                    self.group.kill(Some(self.name));
                    None
                }
                Action::WarnSweepStuck => {
                    let secs = [b'0' + SWEEP_PATIENCE.as_secs() as u8];
                    strerr::warn(&[self.name, b": processes still there ", &secs, b" s after SIGKILL: taken as down"]);
                    None
                }
                Action::EssentialEnded { code } => {
                    self.essential_ended(code);
                    None
                }
                Action::Exit => return Ok(true),
            };
            if let Some(event) = answer {
                // daemontools creates `ok` before the first start.
                self.open_ok()?;
                queue.extend(self.machine.step(Now::read(&SystemClock), event));
            }
        }
        Ok(false)
    }

    /// Records the code in [`svstatus::ESSENTIAL_EXIT`] for svscan (a new
    /// file, never one found there: it may be a planted symlink) and keeps it
    /// as supervise's exit code.
    fn essential_ended(&mut self, code: u8) {
        self.exit_code = code;
        let mut buf = [0; svstatus::DECIMAL_LEN];
        let digits = svstatus::decimal(i64::from(code), &mut buf);
        strerr::warn(&[self.name, b" is essential and exited with code ", digits, b": supervise exits"]);
        if let Err(e) = svstatus::write_essential_exit(&self.dir, code) {
            let path = svstatus::ESSENTIAL_EXIT.to_bytes();
            strerr::warn(&[b"unable to write ", self.name, b"/", path, b": ", strerr::errstr(&e).as_bytes()]);
        }
    }

    fn spawn_run(&mut self) -> Event {
        let (config, mut problems) = Config::load(&self.dir, &mut self.listing);
        crate::limits::apply(&self.group, &config.limits, &mut problems);
        for p in self.warned.news(&problems) {
            strerr::warn(&[b"unable to use ", self.name, b"/", p.file.to_bytes(), b": ", p.why.as_bytes()]);
        }
        self.machine.config = config;
        self.notify = None;
        let pipe = match self.machine.config.notification_fd {
            Some(fd) => match readiness_pipe() {
                Ok(p) => Some((p, fd)),
                Err(e) => {
                    strerr::warn(&[b"unable to create pipe for ", self.name, b": ", strerr::errstr(&e).as_bytes()]);
                    None
                }
            },
            None => None,
        };
        self.open_sd();
        self.hold_socket();
        let argv = [c"./run"];
        let failure = self.failure(b"/run: ");
        // The socket first: the readiness pipe's number may be the held socket's.
        let socket = self.socket.as_ref().map(|h| (h.fd(), listen::FD));
        let notify = pipe.as_ref().map(|((_, w), fd)| (w.as_raw_fd(), *fd));
        let mut fds = [(-1, -1); 2];
        let n = fds.iter_mut().zip([socket, notify].into_iter().flatten()).map(|(to, pair)| *to = pair).count();
        let child = self.child(&argv, fds.get(..n).unwrap_or_default(), &failure);
        let spawned = if self.sd.is_some() || self.socket.is_some() {
            self.spawn_with_env(&child)
        } else {
            unix::spawn::spawn(&child)
        };
        let event = self.answer(spawned);
        self.notify = pipe.map(|((r, _), _)| r);
        if let Event::Spawned(pid) = event {
            self.group.started(pid as libc::pid_t, &self.dir, self.name);
            self.hook_event(hook::Event::start(Script::Run, pid));
        }
        event
    }

    /// Starts `child` with NOTIFY_SOCKET (and WATCHDOG_USEC) and the socket
    /// activation variables (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES) in
    /// its environment as the service uses them, else (a warning) without.
    /// Not inlined: the environment is built on the stack (2 KiB), which
    /// would deepen the spawning frame of every supervise, not only of
    /// those with a notify socket or a held socket.
    #[inline(never)]
    fn spawn_with_env(&self, child: &Spawn) -> io::Result<libc::pid_t> {
        let mut set: [&CStr; 5] = [c""; 5];
        let mut n = 0;
        if let Some(sd) = &self.sd {
            let (vars, k) = sd.env();
            for v in vars.iter().take(k) {
                set[n] = v;
                n += 1;
            }
        }
        let vars = self.socket.as_ref().map(|_| listen::Vars::new(self.name));
        if let Some(vars) = &vars {
            for v in vars.all() {
                if let Some(slot) = set.get_mut(n) {
                    *slot = v;
                    n += 1;
                }
            }
        }
        let pid_var = vars.as_ref().map(|v| &v.pid);
        let set = set.get(..n).unwrap_or_default();
        unix::env::with_set(set, |env| unix::spawn::spawn(&Spawn { env: Some(env), pid_var, ..*child })).unwrap_or_else(
            |e| {
                strerr::warn(&[b"unable to set the environment of ", self.name, b": ", strerr::errstr(&e).as_bytes()]);
                unix::spawn::spawn(child)
            },
        )
    }

    /// The socket `socket` asks for, made (or kept) for a new start; a
    /// failure is warned about and the service starts without it. Not
    /// inlined: the line is read onto its own frame.
    #[inline(never)]
    fn hold_socket(&mut self) {
        let spec = if self.machine.config.socket { crate::config::socket_spec(&self.dir) } else { None };
        if let Err(e) = listen::hold(&mut self.socket, spec.as_ref()) {
            let path = spec.as_ref().map(|s| s.path().to_bytes()).unwrap_or_default();
            let why = strerr::errstr(&e);
            strerr::warn(&[b"unable to make the socket of ", self.name, b" at ", path, b": ", why.as_bytes()]);
        }
    }

    /// The sd_notify socket as `notify-socket` asks, made (or kept) and
    /// readied for a new start.
    fn open_sd(&mut self) {
        if !self.machine.config.notify_socket {
            self.sd = None;
            return;
        }
        if self.sd.is_none() {
            match Notify::open() {
                Ok(sd) => self.sd = Some(sd),
                Err(e) => {
                    let why = strerr::errstr(&e);
                    strerr::warn(&[b"unable to make the notify socket of ", self.name, b": ", why.as_bytes()]);
                }
            }
        }
        let watchdog = self.machine.config.watchdog;
        if let Some(sd) = &mut self.sd {
            sd.started(Now::read(&SystemClock).mono, watchdog);
        }
        self.write_notify_state();
    }

    fn spawn_finish(&mut self, code: i32, signal: i32) -> Event {
        let (mut code_buf, mut signal_buf) = ([0u8; svstatus::DECIMAL_LEN + 1], [0u8; svstatus::DECIMAL_LEN + 1]);
        let argv = [c"./finish", decimal(code, &mut code_buf), decimal(signal, &mut signal_buf)];
        let failure = self.failure(b"/finish: ");
        let event = self.answer(unix::spawn::spawn(&self.child(&argv, &[], &failure)));
        if let Event::Spawned(pid) = event {
            self.hook_event(hook::Event::start(Script::Finish, pid));
        }
        event
    }

    /// Tells the `notify` hook of `event`, if the service has one.
    fn hook_event(&mut self, event: hook::Event) {
        if self.machine.config.notify {
            self.hook.push(event);
            self.run_hook();
        }
    }

    /// Starts `./notify` for the next waiting event, unless one runs.
    fn run_hook(&mut self) {
        while let Some(event) = self.hook.next() {
            let dropped = self.hook.take_dropped();
            if dropped > 0 {
                let (mut a, mut b) = ([0u8; svstatus::DECIMAL_LEN], [0u8; svstatus::DECIMAL_LEN]);
                let n = svstatus::decimal(dropped.into(), &mut a);
                let queued = svstatus::decimal(hook::QUEUED as i64, &mut b);
                strerr::warn(&[self.name, b"/notify: ", n, b" events dropped while it ran (", queued, b" can wait)"]);
            }
            match self.spawn_hook(event) {
                Ok(pid) => return self.hook.started(pid as u32, Now::read(&SystemClock).mono),
                Err(e) => {
                    strerr::warn(&[b"unable to fork for ", self.name, b"/notify: ", strerr::errstr(&e).as_bytes()])
                }
            }
        }
    }

    /// `./notify SCRIPT EVENT PID CODE` in a process group of its own (in
    /// supervise's cgroup, not the service's: a stop's sweep must not wait
    /// for it), its stdout and stderr supervise's stdout (the service's
    /// log under svscan). Not inlined: its buffers would deepen the caller's frame.
    #[inline(never)]
    fn spawn_hook(&self, event: hook::Event) -> io::Result<libc::pid_t> {
        let (mut pid_buf, mut code_buf) = ([0u8; svstatus::DECIMAL_LEN + 1], [0u8; svstatus::DECIMAL_LEN + 1]);
        let pid = decimal(i32::try_from(event.pid).unwrap_or(0), &mut pid_buf);
        let argv = [c"./notify", event.script(), event.what(), pid, decimal(event.code, &mut code_buf)];
        let program = strerr::program().as_bytes();
        let join = [program, b": fatal: unable to make a process group for ", self.name, b"/notify: "];
        let exec = [program, b": fatal: unable to start ", self.name, b"/notify: "];
        unix::spawn::spawn(&Spawn {
            group: unix::spawn::Group::New,
            group_failed: &join,
            argv: &argv,
            search_path: false,
            ignored: if self.sigpipe_ignored { &[libc::SIGPIPE] } else { &[] },
            nofile: None,
            fds: &[(1, 2)],
            fd_failed: None,
            env: None,
            pid_var: None,
            exec_failed: &exec,
        })
    }

    /// A `./notify` ended (`killed` for its time limit): said if it failed.
    fn hook_ended(&self, killed: bool, wstatus: i32) {
        let mut digits = [0u8; svstatus::DECIMAL_LEN];
        let (what, n): (&[u8], i64) = if killed {
            (b"/notify: still running after its time limit: killed, with its process group, after ", HOOK_SECS)
        } else if libc::WIFSIGNALED(wstatus) {
            (b"/notify was killed by signal ", libc::WTERMSIG(wstatus).into())
        } else if libc::WEXITSTATUS(wstatus) != 0 {
            (b"/notify exited ", libc::WEXITSTATUS(wstatus).into())
        } else {
            return;
        };
        let n = svstatus::decimal(n, &mut digits);
        let unit: &[u8] = if killed { b" seconds" } else { b"" };
        strerr::warn(&[self.name, what, n, unit]);
    }

    /// supervise exits: events still waiting for `./notify` are not run.
    fn hook_left(&mut self) {
        let left = self.hook.waiting() as u32 + self.hook.take_dropped();
        if left > 0 {
            let mut digits = [0u8; svstatus::DECIMAL_LEN];
            let n = svstatus::decimal(left.into(), &mut digits);
            strerr::warn(&[self.name, b"/notify: ", n, b" events not run: supervise exits"]);
        }
    }

    /// `./check`, in the service's cgroup and a process group of its own.
    fn spawn_check(&mut self) -> Event {
        let argv = [c"./check"];
        let failure = self.failure(b"/check: ");
        let spawn = Spawn { group: self.group.check_group(), ..self.child(&argv, &[], &failure) };
        match unix::spawn::spawn(&spawn) {
            Ok(pid) => Event::CheckSpawned(pid as u32),
            Err(e) => {
                strerr::warn(&[b"unable to fork for ", self.name, b"/check: ", strerr::errstr(&e).as_bytes()]);
                Event::CheckSpawnFailed
            }
        }
    }

    /// How to start `argv` (`./run` or `./finish`): in the service
    /// directory, `notify` (pipe end, number) as its readiness descriptor,
    /// SIGPIPE as supervise was given it, `failure` printed if exec fails.
    fn child<'a>(&self, argv: &'a [&'a CStr], notify: &'a [(RawFd, RawFd)], failure: &'a Failure<'a>) -> Spawn<'a> {
        Spawn {
            group: self.group.spawn_group(),
            group_failed: &failure.join,
            argv,
            search_path: false,
            ignored: if self.sigpipe_ignored { &[libc::SIGPIPE] } else { &[] },
            nofile: None,
            fds: notify,
            fd_failed: None,
            env: None,
            pid_var: None,
            exec_failed: &failure.exec,
        }
    }

    /// The messages of a child that could not join the service's group or
    /// exec `file`, in parts.
    fn failure<'a>(&'a self, file: &'a [u8]) -> Failure<'a> {
        let program = strerr::program().as_bytes();
        let join: &[u8] = match self.group {
            Group::Cgroup(_) => b": fatal: unable to join the cgroup of ",
            Group::Process { .. } => b": fatal: unable to make a process group for ",
        };
        Failure {
            join: [program, join, self.name, b": "],
            exec: [program, b": fatal: unable to start ", self.name, file],
        }
    }

    fn answer(&mut self, spawned: io::Result<libc::pid_t>) -> Event {
        match spawned {
            Ok(pid) => Event::Spawned(pid as u32),
            Err(e) => {
                self.fork_error = Some(e);
                Event::SpawnFailed
            }
        }
    }
}

/// [`hook::HOOK_LIMIT`] in seconds, for a warning.
const HOOK_SECS: i64 = hook::HOOK_LIMIT.as_secs() as i64;

/// A child's failure messages, in parts.
struct Failure<'a> {
    join: [&'a [u8]; 4],
    exec: [&'a [u8]; 4],
}

/// The readiness pipe: (read end, non-blocking, for supervise; write end).
fn readiness_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let (r, w) = unix::pipe::pipe()?;
    unix::fd::set_nonblocking(&r, true)?;
    Ok((r, w))
}

/// `n` in decimal as a C string in `buf` (finish's arguments, without allocating).
fn decimal(n: i32, buf: &mut [u8; svstatus::DECIMAL_LEN + 1]) -> &CStr {
    let mut scratch = [0; svstatus::DECIMAL_LEN];
    let digits = svstatus::decimal(n.into(), &mut scratch);
    buf[..digits.len()].copy_from_slice(digits);
    buf[digits.len()] = 0;
    CStr::from_bytes_with_nul(&buf[..=digits.len()]).unwrap_or_default()
}
