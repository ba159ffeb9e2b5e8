//! The timerfd that fires when the wall clock is stepped (supervise rewrites
//! its status stamp, clockwatch reports the step).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::check;

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
    check(unsafe { libc::timerfd_settime(fd.as_raw_fd(), flags, &spec, std::ptr::null_mut()) }).map(drop)
}

/// Reads the timer of [`wall_step_timer`]: true if the wall clock was set
/// (the read fails with ECANCELED). Never blocks.
pub fn wall_was_stepped(fd: &OwnedFd) -> bool {
    let mut buf = [0u8; 8];
    // SAFETY: `buf` is valid for 8 bytes; the descriptor is non-blocking.
    let r = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    r < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ECANCELED)
}
