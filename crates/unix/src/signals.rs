//! Signals as a file descriptor, the way every tend daemon takes them.
//!
//! A daemon blocks the signals it handles and reads them from a signalfd in
//! its one poll loop (s6's and STYLE.md's habit): no handler runs at an odd
//! moment, and the loop sleeps until a signal or another descriptor wakes it.
//! [`SignalFd::block`] does both steps; [`SignalFd::next`] reads one signal;
//! [`set_of`] builds a `sigset_t`; [`take_defaults`] undoes dispositions
//! inherited as ignored, since an ignored signal is discarded before a
//! signalfd can see it; [`restore_in_child`] gives a forked child the signal
//! state its parent was started with, before it execs.
//!
//! ```
//! let fd = unix::signals::SignalFd::block(&[libc::SIGUSR1]).unwrap();
//! unsafe { libc::raise(libc::SIGUSR1) };
//! assert_eq!(fd.next(), Some(libc::SIGUSR1));
//! assert_eq!(fd.next(), None);
//! ```

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// A `sigset_t` holding `signals`.
pub fn set_of(signals: &[libc::c_int]) -> libc::sigset_t {
    // SAFETY: an all-zero sigset_t is valid storage; sigemptyset initialises it.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is valid, writable storage for the duration of the calls.
    unsafe {
        libc::sigemptyset(&mut set);
        for &s in signals {
            libc::sigaddset(&mut set, s);
        }
    }
    set
}

/// Sets each of `signals` to its default action and returns those that were
/// ignored. Call it after [`SignalFd::block`], so that nothing is delivered in
/// between.
pub fn take_defaults(signals: &[libc::c_int]) -> Vec<libc::c_int> {
    signals.iter().copied().filter(|&s| take_default(s)).collect()
}

/// Sets `signal` to its default action; true if it was ignored.
pub fn take_default(signal: libc::c_int) -> bool {
    // SAFETY: setting a valid signal's disposition to SIG_DFL.
    unsafe { libc::signal(signal, libc::SIG_DFL) == libc::SIG_IGN }
}

/// Ignores `signal` (SIGPIPE, so that a write to a pipe or FIFO whose reader
/// died fails with EPIPE instead of killing the writer); true if it was
/// ignored already. exec keeps an ignored signal ignored, so a program that
/// ignores one for itself learns here what its children must get back.
pub fn ignore(signal: libc::c_int) -> bool {
    // SAFETY: setting a valid signal's disposition to SIG_IGN.
    unsafe { libc::signal(signal, libc::SIG_IGN) == libc::SIG_IGN }
}

/// In a forked child, before exec: the signal state the parent was started
/// with. The mask becomes empty (the parent blocks what its signalfd reads),
/// SIGPIPE gets its default action back (the parent ignores it for itself),
/// and each of `ignored` (the signals the parent found ignored at its start,
/// SIGPIPE included if so) is ignored again; exec resets the rest. Only
/// async-signal-safe calls, no allocation.
pub fn restore_in_child(ignored: &[libc::c_int]) {
    let empty = set_of(&[]);
    // SAFETY: setting the mask from an initialised set and dispositions of
    // valid signals; all async-signal-safe.
    // Dispositions first, the mask last (as posix_spawn does): a signal
    // that should stay ignored and comes meanwhile stays blocked until then.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        for &s in ignored {
            libc::signal(s, libc::SIG_IGN);
        }
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
    }
}

/// A non-blocking, close-on-exec signalfd for a set of blocked signals.
#[derive(Debug)]
pub struct SignalFd(OwnedFd);

impl SignalFd {
    /// Blocks `signals` in this thread (and the threads it starts afterwards)
    /// and returns a signalfd that reports them.
    pub fn block(signals: &[libc::c_int]) -> io::Result<SignalFd> {
        let set = set_of(signals);
        // SAFETY: `set` is initialised; the old mask is not wanted.
        let r = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
        if r != 0 {
            return Err(io::Error::from_raw_os_error(r));
        }
        // SAFETY: -1 asks for a new descriptor; `set` is initialised.
        let fd = unsafe { libc::signalfd(-1, &set, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC) };
        if fd == -1 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: signalfd returned a new descriptor that nothing else owns.
        Ok(SignalFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// The next pending signal, or None when none is left.
    pub fn next(&self) -> Option<libc::c_int> {
        // SAFETY: an all-zero signalfd_siginfo is valid storage.
        let mut info: libc::signalfd_siginfo = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::signalfd_siginfo>();
        // SAFETY: `info` is writable for `size` bytes.
        let n = unsafe { libc::read(self.0.as_raw_fd(), (&mut info as *mut libc::signalfd_siginfo).cast(), size) };
        (n == size as isize).then_some(info.ssi_signo as libc::c_int)
    }
}

impl AsFd for SignalFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl AsRawFd for SignalFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_signals_are_reported_and_reset() {
        let _fd = SignalFd::block(&[libc::SIGUSR2]).unwrap();
        // SAFETY: ignoring a signal in a test process that blocks it anyway.
        unsafe { libc::signal(libc::SIGUSR2, libc::SIG_IGN) };
        assert_eq!(take_defaults(&[libc::SIGUSR2]), vec![libc::SIGUSR2]);
        assert!(take_defaults(&[libc::SIGUSR2]).is_empty());
    }

    #[test]
    fn ignore_tells_whether_the_signal_was_ignored_already() {
        // SIGWINCH: its default action is to do nothing, and no other test uses it.
        take_default(libc::SIGWINCH);
        assert!(!ignore(libc::SIGWINCH));
        assert!(ignore(libc::SIGWINCH));
        assert!(take_default(libc::SIGWINCH));
    }
}
