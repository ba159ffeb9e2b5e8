//! The optional files of a service directory that tune supervision (read
//! before every start, so edits apply at the next start).

use std::ffi::CStr;
use std::io;
use std::time::Duration;

use svstatus::ServiceDir;

use crate::limits::{self, Limits};
use crate::listen::{self, SocketSpec};

/// What the service directory asks for beyond `run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `finish` exists: run it after `run` exits.
    pub finish: bool,
    /// `timeout-finish` (ms, default 5000, 0 = no limit): SIGKILL to finish after it.
    pub timeout_finish: Option<Duration>,
    /// `timeout-kill` (ms, default none): SIGKILL after the down signal.
    pub timeout_kill: Option<Duration>,
    /// `down-signal` (name or number, default SIGTERM).
    pub down_signal: i32,
    /// `notification-fd`: the fd on which the service writes a newline when ready.
    pub notification_fd: Option<i32>,
    /// `backoff-max` (ms): opt-in exponential restart backoff up to this delay.
    pub backoff_max: Option<Duration>,
    /// `clock-step-restart` (ms): restart the service when the wall clock
    /// steps back at least this far.
    pub clock_step_restart: Option<Duration>,
    /// `essential` exists (its content is ignored): the service ending
    /// unasked ends supervise, and under svscan the whole tree.
    pub essential: bool,
    /// `check` is an executable file: the service's health check.
    pub check: bool,
    /// `check-interval` (ms, default 1000): how often `check` runs, and
    /// how long one may run before it is killed and counted as failed.
    pub check_interval: Duration,
    /// `check-failures` (default 0, off): once ready, keep checking and
    /// restart the service after this many failed checks in a row.
    pub check_failures: Option<u32>,
    /// `notify-socket` exists (its content is ignored): `run` gets an
    /// sd_notify socket in `NOTIFY_SOCKET`.
    pub notify_socket: bool,
    /// `watchdog` (ms, with `notify-socket`; 0 = off): without a
    /// `WATCHDOG=1` that often, the service is aborted and restarted.
    pub watchdog: Option<Duration>,
    /// `type` holds `oneshot` (s6-rc's word; `longrun` or no file: a
    /// long-running service): `run` is a job, done once it exits 0.
    pub oneshot: bool,
    /// `memory-max`, `cpu-max`, `pids-max`: limits for the service's cgroup.
    pub limits: Limits,
    /// `notify` is an executable file: daemontools-encore's hook, run
    /// when `run` or `finish` starts and ends.
    pub notify: bool,
    /// `socket` holds a valid line: supervise makes and holds the socket it
    /// describes, `run`'s descriptor 3 (the line is read again where the
    /// socket is made, [`socket_spec`]: kept out of this value, which
    /// several frames of every supervise hold).
    pub socket: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            finish: false,
            timeout_finish: Some(Duration::from_millis(5000)),
            timeout_kill: None,
            down_signal: libc::SIGTERM,
            notification_fd: None,
            backoff_max: None,
            clock_step_restart: None,
            essential: false,
            check: false,
            check_interval: CHECK_INTERVAL,
            check_failures: None,
            notify_socket: false,
            watchdog: None,
            oneshot: false,
            limits: Limits::default(),
            notify: false,
            socket: false,
        }
    }
}

/// `check-interval`'s default.
const CHECK_INTERVAL: Duration = Duration::from_millis(1000);
/// The longest `check-interval` taken (a day, in ms): a longer one is
/// surely a mistake, and deadlines stay far from overflowing.
const CHECK_INTERVAL_MAX: u64 = 86_400_000;

/// A file whose content could not be used (the default applies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: &'static CStr,
    pub why: &'static str,
    /// A hash of `why` and the content read (see [`Warned`]).
    pub fingerprint: u64,
}

impl Problem {
    pub(crate) fn new(file: &'static CStr, why: &'static str, content: &[u8]) -> Problem {
        // FNV-1a: no allocation, and never 0 (Warned's "no problem").
        let fingerprint = why
            .as_bytes()
            .iter()
            .chain([&0])
            .chain(content)
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        Problem { file, why, fingerprint: fingerprint | 1 }
    }
}

/// The problem last warned about for each of [`FILES`] (its fingerprint; 0:
/// none), so that a bad file is warned about once, not before every start:
/// again only when its content (or the error) changes, or after it was
/// fixed and broken again. A fixed-size record: supervise allocates nothing.
#[derive(Debug, Default)]
pub struct Warned([u64; FILES.len()]);

impl Warned {
    /// The problems of a new [`Config::load`] not yet warned about; all of
    /// them are remembered, and files without a problem forgotten.
    pub fn news<'a>(&mut self, problems: &'a [Problem]) -> impl Iterator<Item = &'a Problem> {
        let index = |file: &CStr| FILES.iter().position(|&f| f == file);
        let before = std::mem::take(&mut self.0);
        for p in problems {
            if let Some(i) = index(p.file) {
                self.0[i] = p.fingerprint;
            }
        }
        problems.iter().filter(move |p| index(p.file).is_none_or(|i| before[i] != p.fingerprint))
    }
}

impl Config {
    /// Reads the files in `dir`; unusable ones are reported and ignored.
    /// Nothing is allocated unless there is a problem: supervise reads these
    /// files before every start. `listing` says which files need a look.
    pub fn load(dir: &ServiceDir, listing: &mut Listing) -> (Config, Vec<Problem>) {
        let mut c = Config::default();
        let now = unix::time::clock_gettime(libc::CLOCK_REALTIME_COARSE).as_secs();
        let listed = listing.refresh(dir, i64::try_from(now).unwrap_or(i64::MAX));
        let mut r = Reader { dir, listed, problems: Vec::new() };
        c.finish = r.listed(c"finish") && dir.exists(c"finish").unwrap_or(false);
        c.essential = r.listed(c"essential") && r.present(c"essential");
        let millis = |s: &str| s.parse::<u64>().ok().map(Duration::from_millis);
        let off_if_zero = |d: Duration| (!d.is_zero()).then_some(d);
        if let Some(d) = r.setting(c"timeout-finish", millis) {
            c.timeout_finish = off_if_zero(d);
        }
        if let Some(d) = r.setting(c"timeout-kill", millis) {
            c.timeout_kill = off_if_zero(d);
        }
        if let Some(n) = r.setting(c"down-signal", signal_number) {
            c.down_signal = n;
        }
        let fd = |s: &str| s.parse::<i32>().ok().filter(|&n| n >= 3);
        c.notification_fd = r.setting(c"notification-fd", fd);
        c.backoff_max = r.setting(c"backoff-max", |s| millis(s).filter(|d| !d.is_zero()));
        // 0 is documented as off, like an absent file: no warning.
        c.clock_step_restart = r.setting(c"clock-step-restart", millis).filter(|d| !d.is_zero());
        c.check = r.listed(c"check") && r.executable(c"check", "not an executable file, so no check runs");
        let interval = |s: &str| s.parse::<u64>().ok().filter(|ms| (1..=CHECK_INTERVAL_MAX).contains(ms));
        if let Some(ms) = r.setting(c"check-interval", interval) {
            c.check_interval = Duration::from_millis(ms);
        }
        // 0 is off, like an absent file: no warning.
        c.check_failures = r.setting(c"check-failures", |s| s.parse::<u32>().ok()).filter(|&n| n > 0);
        c.notify_socket = r.listed(c"notify-socket") && r.present(c"notify-socket");
        let watchdog = r.setting(c"watchdog", millis).filter(|d| !d.is_zero());
        if watchdog.is_some() && !c.notify_socket {
            r.problems.push(Problem::new(c"watchdog", "no notify-socket to ping it through, ignored", b""));
        }
        c.watchdog = watchdog.filter(|_| c.notify_socket);
        let kind = |s: &str| match s {
            "oneshot" => Some(true),
            "longrun" => Some(false),
            _ => None,
        };
        c.oneshot = r.setting(c"type", kind).unwrap_or(false);
        c.limits = Limits {
            memory: r.setting(c"memory-max", limits::memory_max),
            cpu: r.setting(c"cpu-max", limits::cpu_max),
            pids: r.setting(c"pids-max", limits::pids_max),
        };
        c.notify = r.listed(c"notify") && r.executable(c"notify", "not an executable file, so it is not run");
        c.socket = r.socket_setting();
        if c.socket && c.notification_fd == Some(listen::FD) {
            r.problems.push(Problem::new(c"socket", "descriptor 3 is notification-fd's, so no socket is passed", b""));
            c.socket = false;
        }
        (c, r.problems)
    }
}

/// The files [`Config::load`] looks at, one bit each in [`Listing`].
const FILES: [&CStr; 19] = [
    c"finish",
    c"timeout-finish",
    c"timeout-kill",
    c"down-signal",
    c"notification-fd",
    c"backoff-max",
    c"clock-step-restart",
    c"essential",
    c"check",
    c"check-interval",
    c"check-failures",
    c"notify-socket",
    c"watchdog",
    c"type",
    c"memory-max",
    c"cpu-max",
    c"pids-max",
    c"notify",
    c"socket",
];

/// Whether `name` is one of the settings files supervise reads
/// (`timeout-kill`, `check`, ...: [`FILES`]); `tend status` lists those a
/// service has.
pub fn is_setting(name: &[u8]) -> bool {
    FILES.iter().any(|f| f.to_bytes() == name)
}

/// Which of [`FILES`] have an entry in the service directory, known as long
/// as the directory's ctime stays what it was when it was listed: creating,
/// removing or renaming an entry changes it (and nobody can set it back),
/// so a start after such a change lists the directory again. An unchanged
/// directory costs one stat instead of a failing lookup per absent file;
/// a file that has an entry is read at every start, as before (its content
/// changes without touching the directory's ctime).
#[derive(Debug, Default)]
pub struct Listing {
    /// The directory's ctime (seconds, nanoseconds) when `entries` was read;
    /// None: list at the next start.
    ctime: Option<(i64, i64)>,
    /// Bit `i` set: `FILES[i]` has an entry.
    entries: u32,
}

impl Listing {
    /// The bits of [`FILES`] worth looking up in `dir` at `now` (seconds
    /// since the epoch; all of them if the directory cannot be listed).
    fn refresh(&mut self, dir: &ServiceDir, now: i64) -> u32 {
        let Ok(st) = dir.stat(c".") else { return self.forget() };
        let ctime = (st.st_ctime, st.st_ctime_nsec);
        if self.ctime == Some(ctime) {
            return self.entries;
        }
        let mut entries = 0;
        let listed = dir.for_each_entry(|name| {
            if let Some(i) = FILES.iter().position(|f| f.to_bytes() == name) {
                entries |= 1 << i;
            }
        });
        if listed.is_err() {
            return self.forget();
        }
        // A change in the clock tick (or, on some file systems, the second)
        // that `ctime` records could leave it as it is: such a recent ctime
        // is not trusted, and the next start lists the directory again.
        self.ctime = (now.saturating_sub(ctime.0) > 2).then_some(ctime);
        self.entries = entries;
        entries
    }

    fn forget(&mut self) -> u32 {
        self.ctime = None;
        u32::MAX
    }
}

/// Reads settings files that [`Listing`] found, collecting problems.
struct Reader<'a> {
    dir: &'a ServiceDir,
    listed: u32,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    fn listed(&self, file: &CStr) -> bool {
        FILES.iter().position(|&f| f == file).is_none_or(|i| self.listed & 1 << i != 0)
    }

    /// Whether `file` exists (a symlink's target, as `down` is looked up).
    /// One whose existence cannot be checked (a symlink loop, a directory on
    /// the way that cannot be searched) has an entry: it counts as present,
    /// and the error is recorded.
    fn present(&mut self, file: &'static CStr) -> bool {
        self.dir.exists(file).unwrap_or_else(|e| {
            self.problems.push(Problem::new(file, why(&e), b""));
            true
        })
    }

    /// Whether `file` is a regular file with an execute bit (following a
    /// symlink); one that exists but is not is reported (`not`).
    fn executable(&mut self, file: &'static CStr, not: &'static str) -> bool {
        match self.dir.stat(file) {
            Ok(st) if st.st_mode & libc::S_IFMT == libc::S_IFREG && st.st_mode & 0o111 != 0 => true,
            Ok(_) => {
                self.problems.push(Problem::new(file, not, b""));
                false
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => {
                self.problems.push(Problem::new(file, why(&e), b""));
                false
            }
        }
    }

    /// `file`'s value as [`setting`] reads it, if the file is listed.
    fn setting<T>(&mut self, file: &'static CStr, parse: impl FnOnce(&str) -> Option<T>) -> Option<T> {
        if !self.listed(file) {
            return None;
        }
        setting::<T, { MAX_VALUE + 1 }>(self.dir, file, &mut self.problems, parse)
    }

    /// `socket`'s line (longer than other settings: a path). Not inlined:
    /// its buffer stays off the frame of every start without the file.
    #[inline(never)]
    fn socket_setting(&mut self) -> bool {
        self.listed(c"socket") && read_socket(self.dir, &mut self.problems).is_some()
    }
}

/// The longest value a setting file may hold (a number or a signal name).
const MAX_VALUE: usize = 63;

/// `dir/file`'s text (up to `N - 1` bytes), trimmed, as `parse` reads it;
/// None if the file does not exist or cannot be used (recorded in
/// `problems`: the error, or `bad format`). Read on the stack.
fn setting<T, const N: usize>(
    dir: &ServiceDir,
    file: &'static CStr,
    problems: &mut Vec<Problem>,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Option<T> {
    let mut buf = [0u8; N];
    let len = match read_start(dir, file, &mut buf) {
        Ok(len) => len,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        Err(e) => {
            problems.push(Problem::new(file, why(&e), b""));
            return None;
        }
    };
    let value = (len < N).then(|| buf.get(..len).and_then(|b| std::str::from_utf8(b).ok())).flatten();
    let parsed = value.map(str::trim).and_then(parse);
    if parsed.is_none() {
        problems.push(Problem::new(file, "bad format", &buf[..len]));
    }
    parsed
}

/// `socket`'s line, as [`setting`] reads it (longer than other settings: a path).
fn read_socket(dir: &ServiceDir, problems: &mut Vec<Problem>) -> Option<SocketSpec> {
    setting::<_, { unix::listen::PATH_MAX + 48 }>(dir, c"socket", problems, SocketSpec::parse)
}

/// `socket`'s line for the start under way ([`Config::socket`] said it is
/// valid; if it changed since, it is used as it is now, or not at all).
pub(crate) fn socket_spec(dir: &ServiceDir) -> Option<SocketSpec> {
    read_socket(dir, &mut Vec::new())
}

/// daemontools' text for an error reading a settings file.
pub(crate) fn why(e: &io::Error) -> &'static str {
    e.raw_os_error().map_or("unknown error", strerr::errno_str)
}

/// Reads the start of `file` into `buf`. Opened without blocking: a FIFO
/// put there by mistake must not hang supervise.
fn read_start(dir: &ServiceDir, file: &CStr, buf: &mut [u8]) -> io::Result<usize> {
    let mut f = dir.open_file(file, libc::O_RDONLY | libc::O_NONBLOCK, 0)?;
    unix::fd::read_until_full(&mut f, buf)
}

/// `TERM`, `SIGTERM` or `15`.
pub fn signal_number(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse::<i32>() {
        return (1..=64).contains(&n).then_some(n);
    }
    let name = s.strip_prefix("SIG").unwrap_or(s);
    Some(match name {
        "HUP" => libc::SIGHUP,
        "INT" => libc::SIGINT,
        "QUIT" => libc::SIGQUIT,
        "KILL" => libc::SIGKILL,
        "USR1" => libc::SIGUSR1,
        "USR2" => libc::SIGUSR2,
        "ALRM" => libc::SIGALRM,
        "TERM" => libc::SIGTERM,
        "CONT" => libc::SIGCONT,
        "STOP" => libc::SIGSTOP,
        "WINCH" => libc::SIGWINCH,
        "PWR" => libc::SIGPWR,
        "ABRT" => libc::SIGABRT,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::ffi::OsStrExt;

    fn service_dir(d: &tempfile::TempDir) -> ServiceDir {
        ServiceDir::open(d.path().as_os_str().as_bytes()).unwrap()
    }

    #[test]
    fn defaults_without_files() {
        let d = tempfile::tempdir().unwrap();
        let (c, p) = Config::load(&service_dir(&d), &mut Listing::default());
        assert_eq!(c, Config::default());
        assert!(p.is_empty());
    }

    #[test]
    fn reads_every_file_and_reports_bad_ones() {
        let d = tempfile::tempdir().unwrap();
        for (f, v) in [
            ("finish", "#!/bin/sh\n"),
            ("timeout-finish", "0\n"),
            ("timeout-kill", "250\n"),
            ("down-signal", "SIGHUP\n"),
            ("notification-fd", "3\n"),
            ("backoff-max", "abc"),
            ("clock-step-restart", "1000\n"),
            ("essential", "yes, please\n"),
        ] {
            fs::write(d.path().join(f), v).unwrap();
        }
        let (c, p) = Config::load(&service_dir(&d), &mut Listing::default());
        assert!(c.finish);
        assert_eq!(c.timeout_finish, None);
        assert_eq!(c.timeout_kill, Some(Duration::from_millis(250)));
        assert_eq!(c.down_signal, libc::SIGHUP);
        assert_eq!(c.notification_fd, Some(3));
        assert_eq!(c.backoff_max, None);
        assert_eq!(c.clock_step_restart, Some(Duration::from_millis(1000)));
        assert!(c.essential, "only presence counts, not the content");
        assert_eq!(p, vec![Problem::new(c"backoff-max", "bad format", b"abc")]);
    }

    /// `dir/file` made by `make`, then loaded.
    fn load_with(file: &str, make: impl FnOnce(&std::path::Path)) -> (Config, Vec<Problem>) {
        let d = tempfile::tempdir().unwrap();
        make(&d.path().join(file));
        Config::load(&service_dir(&d), &mut Listing::default())
    }

    fn symlink_loop(p: &std::path::Path) {
        std::os::unix::fs::symlink(p.file_name().unwrap(), p).unwrap();
    }

    /// Every kind of garbage in `clock-step-restart` is reported, naming
    /// the file and what is wrong (the content is in the fingerprint, so a
    /// change is warned about again), and the restart stays off.
    #[test]
    fn clock_step_restart_garbage_of_every_kind_is_reported_and_off() {
        let too_long = "1".repeat(MAX_VALUE + 1);
        let contents: [&[u8]; 10] = [
            b"one hour\n",
            b"-5\n",
            b"+-5",
            b"99999999999999999999999\n",
            b"",
            b" \n\n",
            b"1000 ms\n",
            b"\xff\xfe\x00\x01",
            b"1000\x00",
            too_long.as_bytes(),
        ];
        for content in contents {
            let (c, p) = load_with("clock-step-restart", |f| fs::write(f, content).unwrap());
            assert_eq!(c.clock_step_restart, None, "{content:?}");
            let read = &content[..content.len().min(MAX_VALUE + 1)];
            assert_eq!(p, vec![Problem::new(c"clock-step-restart", "bad format", read)], "{content:?}");
        }
        for (make, why) in [
            (&(|f: &std::path::Path| fs::create_dir(f).unwrap()) as &dyn Fn(&std::path::Path), "is a directory"),
            (&symlink_loop, "symbolic link loop"),
        ] {
            let (c, p) = load_with("clock-step-restart", make);
            assert_eq!(c.clock_step_restart, None, "{why}");
            assert_eq!(p, vec![Problem::new(c"clock-step-restart", why, b"")]);
        }
        // A dangling symlink is an absent file, as for every setting.
        let (c, p) = load_with("clock-step-restart", |f| std::os::unix::fs::symlink("nowhere", f).unwrap());
        assert_eq!((c.clock_step_restart, p), (None, vec![]));
    }

    #[test]
    fn clock_step_restart_takes_any_number_of_milliseconds_that_fits_and_0_for_off() {
        let (c, p) = load_with("clock-step-restart", |f| fs::write(f, "18446744073709551615\n").unwrap());
        assert_eq!((c.clock_step_restart, p), (Some(Duration::from_millis(u64::MAX)), vec![]));
        let (c, p) = load_with("clock-step-restart", |f| fs::write(f, "0\n").unwrap());
        assert_eq!((c.clock_step_restart, p), (None, vec![]));
    }

    /// `essential` counts by its presence: whatever it is or holds, even if
    /// it cannot be read; one whose existence cannot be checked (a symlink
    /// loop) counts too, reported. A dangling symlink is an absent file.
    #[test]
    fn essential_counts_by_presence_whatever_it_holds() {
        use std::os::unix::fs::PermissionsExt;
        let unreadable = |f: &std::path::Path| {
            fs::write(f, "1").unwrap();
            fs::set_permissions(f, fs::Permissions::from_mode(0o000)).unwrap();
        };
        let makers: [&dyn Fn(&std::path::Path); 5] = [
            &|f| fs::write(f, "").unwrap(),
            &|f| fs::write(f, b"\xff\x00 no\n").unwrap(),
            &|f| fs::write(f, "0\n").unwrap(),
            &|f| fs::create_dir(f).unwrap(),
            &unreadable,
        ];
        for (i, make) in makers.into_iter().enumerate() {
            let (c, p) = load_with("essential", make);
            assert!(c.essential, "case {i}");
            assert_eq!(p, vec![], "case {i}");
        }
        let (c, p) = load_with("essential", symlink_loop);
        assert!(c.essential);
        assert_eq!(p, vec![Problem::new(c"essential", "symbolic link loop", b"")]);
        let (c, p) = load_with("essential", |f| std::os::unix::fs::symlink("nowhere", f).unwrap());
        assert_eq!((c.essential, p), (false, vec![]));
    }

    fn executable(p: &std::path::Path) {
        use std::os::unix::fs::PermissionsExt;
        fs::write(p, "#!/bin/sh\n").unwrap();
        fs::set_permissions(p, fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn check_counts_only_as_an_executable_file() {
        let (c, p) = load_with("check", executable);
        assert!(c.check);
        assert_eq!((c.check_interval, c.check_failures, p), (CHECK_INTERVAL, None, vec![]));
        let not = "not an executable file, so no check runs";
        let (c, p) = load_with("check", |f| fs::write(f, "#!/bin/sh\n").unwrap());
        assert_eq!((c.check, p), (false, vec![Problem::new(c"check", not, b"")]));
        let (c, p) = load_with("check", |f| fs::create_dir(f).unwrap());
        assert_eq!((c.check, p), (false, vec![Problem::new(c"check", not, b"")]));
        let (c, p) = load_with("check", symlink_loop);
        assert_eq!((c.check, p), (false, vec![Problem::new(c"check", "symbolic link loop", b"")]));
        let (c, p) = load_with("check", |f| std::os::unix::fs::symlink("nowhere", f).unwrap());
        assert_eq!((c.check, p), (false, vec![]));
    }

    #[test]
    fn check_interval_and_failures_take_numbers_and_report_garbage() {
        let (c, p) = load_with("check-interval", |f| fs::write(f, "250\n").unwrap());
        assert_eq!((c.check_interval, p), (Duration::from_millis(250), vec![]));
        let (c, p) = load_with("check-interval", |f| fs::write(f, "86400000").unwrap());
        assert_eq!((c.check_interval, p), (Duration::from_millis(CHECK_INTERVAL_MAX), vec![]));
        for bad in [&b"0\n"[..], b"-5", b"soon", b"86400001", b"18446744073709551616", b""] {
            let (c, p) = load_with("check-interval", |f| fs::write(f, bad).unwrap());
            assert_eq!(c.check_interval, CHECK_INTERVAL, "{bad:?}");
            assert_eq!(p, vec![Problem::new(c"check-interval", "bad format", bad)], "{bad:?}");
        }
        let (c, p) = load_with("check-failures", |f| fs::write(f, "3\n").unwrap());
        assert_eq!((c.check_failures, p), (Some(3), vec![]));
        let (c, p) = load_with("check-failures", |f| fs::write(f, "0\n").unwrap());
        assert_eq!((c.check_failures, p), (None, vec![]));
        let (c, p) = load_with("check-failures", |f| fs::write(f, "three").unwrap());
        assert_eq!((c.check_failures, p), (None, vec![Problem::new(c"check-failures", "bad format", b"three")]));
    }

    #[test]
    fn a_watchdog_needs_the_notify_socket() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("watchdog"), "1500\n").unwrap();
        let (c, p) = Config::load(&service_dir(&d), &mut Listing::default());
        assert_eq!((c.notify_socket, c.watchdog), (false, None));
        assert_eq!(p, vec![Problem::new(c"watchdog", "no notify-socket to ping it through, ignored", b"")]);
        fs::write(d.path().join("notify-socket"), "").unwrap();
        let (c, p) = Config::load(&service_dir(&d), &mut Listing::default());
        assert_eq!((c.notify_socket, c.watchdog, p), (true, Some(Duration::from_millis(1500)), vec![]));
        fs::write(d.path().join("watchdog"), "soon\n").unwrap();
        let (c, p) = Config::load(&service_dir(&d), &mut Listing::default());
        assert_eq!((c.watchdog, p), (None, vec![Problem::new(c"watchdog", "bad format", b"soon\n")]));
    }

    #[test]
    fn type_says_oneshot_or_longrun_and_garbage_is_longrun_reported() {
        let (c, p) = load_with("type", |f| fs::write(f, "oneshot\n").unwrap());
        assert_eq!((c.oneshot, p), (true, vec![]));
        let (c, p) = load_with("type", |f| fs::write(f, "longrun").unwrap());
        assert_eq!((c.oneshot, p), (false, vec![]));
        for bad in [&b"bundle\n"[..], b"OneShot", b"", b"oneshot longrun", b"\xff"] {
            let (c, p) = load_with("type", |f| fs::write(f, bad).unwrap());
            assert!(!c.oneshot, "{bad:?}");
            assert_eq!(p, vec![Problem::new(c"type", "bad format", bad)], "{bad:?}");
        }
    }

    #[test]
    fn limits_and_notify_are_read_and_garbage_is_reported() {
        use crate::limits::Cap;
        let (c, p) = load_with("memory-max", |f| fs::write(f, "200M\n").unwrap());
        assert_eq!((c.limits.memory, p), (Some(Cap::Value(200 << 20)), vec![]));
        let (c, p) = load_with("pids-max", |f| fs::write(f, "max\n").unwrap());
        assert_eq!((c.limits.pids, p), (Some(Cap::Max), vec![]));
        let (c, p) = load_with("cpu-max", |f| fs::write(f, "half\n").unwrap());
        assert_eq!((c.limits.cpu, p), (None, vec![Problem::new(c"cpu-max", "bad format", b"half\n")]));
        let (c, p) = load_with("notify", executable);
        assert_eq!((c.notify, p), (true, vec![]));
        let (c, p) = load_with("notify", |f| fs::write(f, "#!/bin/sh\n").unwrap());
        let not = "not an executable file, so it is not run";
        assert_eq!((c.notify, p), (false, vec![Problem::new(c"notify", not, b"")]));
    }

    #[test]
    fn a_bad_file_is_warned_about_once_per_content() {
        let bad = |content: &[u8]| vec![Problem::new(c"backoff-max", "bad format", content)];
        let mut warned = Warned::default();
        assert_eq!(warned.news(&bad(b"abc")).count(), 1);
        assert_eq!(warned.news(&bad(b"abc")).count(), 0);
        assert_eq!(warned.news(&bad(b"xyz")).count(), 1);
        assert_eq!(warned.news(&[]).count(), 0);
        assert_eq!(warned.news(&bad(b"xyz")).count(), 1, "broken again after a fix");
        let other = Problem::new(c"timeout-finish", "bad format", b"xyz");
        assert_eq!(warned.news(&[bad(b"xyz")[0].clone(), other]).count(), 1);
    }

    #[test]
    fn a_listing_is_kept_until_the_directory_changes() {
        let (d, elsewhere) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let dir = service_dir(&d);
        let later = i64::MAX;
        let mut listing = Listing::default();
        assert_eq!(listing.refresh(&dir, later), 0);
        assert!(listing.ctime.is_some());
        fs::write(d.path().join("timeout-kill"), "250\n").unwrap();
        std::os::unix::fs::symlink(elsewhere.path().join("finish"), d.path().join("finish")).unwrap();
        assert_eq!(listing.refresh(&dir, later), 0b101);
        // Listed files are read at every start: a new value, or a symlink's
        // target appearing, changes nothing in the directory itself.
        fs::write(d.path().join("timeout-kill"), "300\n").unwrap();
        fs::write(elsewhere.path().join("finish"), "#!/bin/sh\n").unwrap();
        let (c, _) = Config::load(&dir, &mut listing);
        assert!(c.finish);
        assert_eq!(c.timeout_kill, Some(Duration::from_millis(300)));
    }

    #[test]
    fn a_recent_change_is_not_trusted() {
        let d = tempfile::tempdir().unwrap();
        let mut listing = Listing::default();
        listing.refresh(&service_dir(&d), st_ctime(&d) + 2);
        assert_eq!(listing.ctime, None);
    }

    fn st_ctime(d: &tempfile::TempDir) -> i64 {
        std::os::unix::fs::MetadataExt::ctime(&fs::metadata(d.path()).unwrap())
    }

    #[test]
    fn signal_names() {
        assert_eq!(signal_number("TERM"), Some(15));
        assert_eq!(signal_number("9"), Some(9));
        assert_eq!(signal_number("0"), None);
        assert_eq!(signal_number("NOPE"), None);
    }
}
