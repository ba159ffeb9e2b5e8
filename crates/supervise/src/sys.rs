//! The libc calls of this crate.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// poll(2); EINTR counts as a wake-up with nothing ready.
pub fn poll(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> io::Result<()> {
    let ms = match timeout {
        None => -1,
        // Round up so a deadline is never missed by a millisecond (in u64:
        // u128 division would map compiler-builtins' code into every supervise).
        Some(d) => {
            let ms = d.as_secs().saturating_mul(1000).saturating_add(d.subsec_nanos().div_ceil(1_000_000).into());
            ms.min(i32::MAX as u64) as i32
        }
    };
    // SAFETY: `fds` is a valid, writable array of `fds.len()` pollfds.
    let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
    match check(r) {
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
        other => other.map(|_| ()),
    }
}

/// Reaps one dead child: Some((pid, wstatus)), or None when none is left.
pub fn reap() -> Option<(u32, i32)> {
    let mut wstatus = 0;
    // SAFETY: `wstatus` is writable; WNOHANG never blocks.
    let pid = unsafe { libc::waitpid(-1, &mut wstatus, libc::WNOHANG) };
    (pid > 0).then_some((pid as u32, wstatus))
}

/// kill(pid, signal); errors (the process is already gone) are ignored.
pub fn kill(pid: u32, signal: i32) {
    // SAFETY: signalling a child pid this supervise started and has not reaped.
    unsafe { libc::kill(pid as libc::pid_t, signal) };
}

/// A pipe, both ends close-on-exec; the read end non-blocking.
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a writable array of two ints.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: pipe2 returned two new descriptors that nothing else owns.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: F_SETFL on the descriptor just created.
    check(unsafe { libc::fcntl(r.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) })?;
    Ok((r, w))
}

/// read(2) into `buf`: Ok(0) at EOF, Err(WouldBlock) when empty.
pub fn read(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is writable for `buf.len()` bytes.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// A CLOCK_REALTIME timerfd armed far in the future with
/// TFD_TIMER_CANCEL_ON_SET: it becomes readable (read fails with ECANCELED)
/// whenever the wall clock is set, and never otherwise.
pub fn wall_step_timer() -> io::Result<OwnedFd> {
    // SAFETY: plain flags; returns a new descriptor or -1.
    let fd = check(unsafe { libc::timerfd_create(libc::CLOCK_REALTIME, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) })?;
    // SAFETY: timerfd_create returned a new descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    arm_wall_step_timer(&fd)?;
    Ok(fd)
}

/// (Re)arms the timer of [`wall_step_timer`]; call after it fired.
pub fn arm_wall_step_timer(fd: &OwnedFd) -> io::Result<()> {
    let far = libc::timespec { tv_sec: 9_000_000_000, tv_nsec: 0 };
    let spec = libc::itimerspec { it_interval: libc::timespec { tv_sec: 0, tv_nsec: 0 }, it_value: far };
    let flags = libc::TFD_TIMER_ABSTIME | libc::TFD_TIMER_CANCEL_ON_SET;
    // SAFETY: `spec` is a valid itimerspec; the old value is not wanted.
    check(unsafe { libc::timerfd_settime(fd.as_raw_fd(), flags, &spec, std::ptr::null_mut()) }).map(|_| ())
}

/// The most arguments [`spawn`] passes (`./finish CODE SIGNAL`).
pub const MAX_ARGS: usize = 3;

/// What a forked child does before exec. Nothing here is allocated: a
/// supervise that allocates nothing has no heap at all.
pub struct Exec<'a> {
    /// At most [`MAX_ARGS`].
    pub argv: &'a [&'a CStr],
    /// (pipe end, fd number): the notification fd for readiness.
    pub notify: Option<(RawFd, RawFd)>,
    /// Leave SIGPIPE ignored (else the child gets the default action back).
    pub sigpipe_ignored: bool,
    /// Printed one after the other (800 bytes at most), followed by
    /// daemontools' text for errno, if exec fails.
    pub failure: &'a [&'a [u8]],
}

/// fork + exec of `exec.argv[0]` with supervise's environment; the child
/// gets an empty signal mask and SIGPIPE as supervise was given it. Exec
/// failures are reported by the child (daemontools' behaviour), which exits 111.
pub fn spawn(exec: &Exec) -> io::Result<u32> {
    let mut argv = [std::ptr::null::<libc::c_char>(); MAX_ARGS + 1];
    for (slot, arg) in argv.iter_mut().zip(exec.argv.iter().take(MAX_ARGS)) {
        *slot = arg.as_ptr();
    }
    // Prepare everything the child needs before fork: it must not allocate.
    let mut message = [0u8; 1024];
    let mut prefix_len = 0;
    for part in exec.failure {
        let n = part.len().min(800 - prefix_len);
        message[prefix_len..prefix_len + n].copy_from_slice(&part[..n]);
        prefix_len += n;
    }
    let empty = signals::set_of(&[]);
    // SAFETY: supervise is single-threaded, so the child may run the
    // async-signal-safe calls below between fork and exec.
    let pid = check(unsafe { libc::fork() })?;
    if pid == 0 {
        // SAFETY: in the child; only async-signal-safe calls, on data prepared before fork.
        unsafe {
            libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
            if !exec.sigpipe_ignored {
                libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            }
            if let Some((from, to)) = exec.notify {
                if from == to {
                    libc::fcntl(from, libc::F_SETFD, 0);
                } else {
                    libc::dup2(from, to);
                }
            }
            libc::execv(argv[0], argv.as_ptr());
            let text = strerr::errno_str(*libc::__errno_location()).as_bytes();
            let mut len = prefix_len;
            for &b in text.iter().chain(b"\n") {
                message[len] = b;
                len += 1;
            }
            libc::write(2, message.as_ptr().cast(), len);
            libc::_exit(111);
        }
    }
    Ok(pid as u32)
}
