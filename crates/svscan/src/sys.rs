//! Every libc call of svscan: inotify, poll, fork/exec, waitpid, kill (signals: the `signals` crate).

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// An inotify descriptor watching `dir` for entries created, removed or renamed.
pub fn watch_dir(dir: &CStr) -> io::Result<OwnedFd> {
    // SAFETY: plain syscall with valid flags.
    let fd = check(unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) })?;
    // SAFETY: inotify_init1 returned a new descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mask = libc::IN_CREATE | libc::IN_DELETE | libc::IN_MOVED_FROM | libc::IN_MOVED_TO | libc::IN_ONLYDIR;
    // SAFETY: `dir` is a NUL-terminated path; `fd` is an inotify descriptor.
    check(unsafe { libc::inotify_add_watch(fd.as_raw_fd(), dir.as_ptr(), mask) })?;
    Ok(fd)
}

/// Reads and discards everything waiting on a nonblocking descriptor.
pub fn drain(fd: &OwnedFd) {
    let mut buf = [0u8; 4096];
    // SAFETY: `buf` is a writable buffer of its length.
    while unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
}

/// Waits until one of `fds` is readable or `timeout` passes (`None`: no
/// timeout). Returns which ones are readable; an interrupted wait reports none.
pub fn poll(fds: &[BorrowedFd], timeout: Option<Duration>) -> io::Result<Vec<bool>> {
    let mut pfds: Vec<libc::pollfd> =
        fds.iter().map(|fd| libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 }).collect();
    // Round up, so that the loop never wakes just before a deadline and spins.
    let ms = timeout.map_or(-1, |t| t.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as libc::c_int);
    // SAFETY: `pfds` is a valid array of its length.
    let r = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, ms) };
    if r == -1 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EINTR) {
            return Ok(vec![false; fds.len()]);
        }
        return Err(e);
    }
    Ok(pfds.iter().map(|p| p.revents != 0).collect())
}

/// A pipe (read end, write end), both close-on-exec.
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` has room for the two descriptors.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: pipe2 returned two new descriptors that nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Raises the soft limit on open files to `want` (at most the hard limit);
/// returns the limit as it was, for children to get back, if it changed.
pub fn raise_nofile(want: u64) -> Option<libc::rlimit> {
    let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `old` is a writable rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut old) } == -1 || old.rlim_cur >= want {
        return None;
    }
    let new = libc::rlimit { rlim_cur: want.min(old.rlim_max), rlim_max: old.rlim_max };
    // SAFETY: `new` is a valid rlimit no higher than the hard limit.
    (new.rlim_cur > old.rlim_cur && unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) } == 0).then_some(old)
}

/// How to start one `supervise`, prepared before the fork so that the child
/// only makes syscalls.
pub struct Launch {
    /// argv: `supervise NAME` or `supervise log`.
    pub argv: [CString; 2],
    /// Move this descriptor to fd 0 or 1 (the log pipe).
    pub fd: Option<(RawFd, RawFd)>,
    /// chdir here first (the service directory, for `supervise log`).
    pub dir: Option<CString>,
    /// The open-files limit svscan was started with, if it raised its own.
    pub nofile: Option<libc::rlimit>,
    /// Signals svscan was started with ignored: ignored again in the child.
    pub ignored: Vec<libc::c_int>,
    /// The warnings the child prints before `ERR` when a step fails.
    pub fd_failed: Vec<u8>,
    pub chdir_failed: Vec<u8>,
    pub exec_failed: Vec<u8>,
}

/// Forks and execs `supervise` through PATH. Failures after the fork are
/// reported by the child, which exits 111 (daemontools does the same).
pub fn spawn(l: &Launch) -> io::Result<i32> {
    let argv = [l.argv[0].as_ptr(), l.argv[1].as_ptr(), std::ptr::null()];
    // SAFETY: svscan is single-threaded, so the child may run any code; it
    // only makes syscalls and exits with _exit.
    let pid = check(unsafe { libc::fork() })?;
    if pid > 0 {
        return Ok(pid);
    }
    let empty = signals::set_of(&[]);
    // SAFETY: restoring the default signal state and the original open-files
    // limit for the program we exec.
    unsafe {
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        for &s in &l.ignored {
            libc::signal(s, libc::SIG_IGN);
        }
        if let Some(limit) = &l.nofile {
            libc::setrlimit(libc::RLIMIT_NOFILE, limit);
        }
    }
    if let Some((from, to)) = l.fd {
        // SAFETY: both are descriptor numbers; dup2 leaves the copy open across exec.
        let r = unsafe {
            if from == to {
                libc::fcntl(from, libc::F_SETFD, 0)
            } else {
                libc::dup2(from, to)
            }
        };
        if r == -1 {
            child_die(&l.fd_failed);
        }
    }
    if let Some(dir) = &l.dir {
        // SAFETY: `dir` is a NUL-terminated path.
        if unsafe { libc::chdir(dir.as_ptr()) } == -1 {
            child_die(&l.chdir_failed);
        }
    }
    // SAFETY: `argv` is a NULL-terminated array of NUL-terminated strings that outlive the call.
    unsafe { libc::execvp(argv[0], argv.as_ptr()) };
    child_die(&l.exec_failed)
}

/// In the forked child: `PREFIX` + errno's text + newline in one write, then exit 111.
fn child_die(prefix: &[u8]) -> ! {
    let err = strerr::errno_str(io::Error::last_os_error().raw_os_error().unwrap_or(0));
    let mut line = [0u8; 1024];
    let mut n = 0;
    for &b in prefix.iter().chain(err.as_bytes()).chain(b"\n") {
        if n < line.len() {
            line[n] = b;
            n += 1;
        }
    }
    // SAFETY: writing our own stack buffer to stderr, then leaving without running destructors.
    unsafe {
        libc::write(2, line.as_ptr().cast(), n);
        libc::_exit(111)
    }
}

/// A child that exited, if any is waiting to be reaped (any child: as PID 1
/// svscan reaps orphans too).
pub fn reap() -> Option<i32> {
    let mut status = 0;
    // SAFETY: `status` is writable; WNOHANG never blocks.
    let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    (pid > 0).then_some(pid)
}

/// Sends `sig` to `pid`.
pub fn kill(pid: i32, sig: libc::c_int) {
    // SAFETY: plain syscall; a pid that is gone yields ESRCH, which is fine.
    unsafe { libc::kill(pid, sig) };
}
