//! Waiting for descriptors: poll(2).

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use crate::check;

/// A `pollfd` waiting for input on `fd` (-1: an unused slot, which poll skips).
pub fn pollfd(fd: RawFd) -> libc::pollfd {
    libc::pollfd { fd, events: libc::POLLIN, revents: 0 }
}

/// A `pollfd` waiting until `fd` takes output.
pub fn pollfd_out(fd: RawFd) -> libc::pollfd {
    libc::pollfd { fd, events: libc::POLLOUT, revents: 0 }
}

/// Waits up to `timeout` until `fd` takes output; returns whether it does.
pub fn wait_writable(fd: &impl AsRawFd, timeout: Duration) -> bool {
    let mut fds = [pollfd_out(fd.as_raw_fd())];
    poll(&mut fds, Some(timeout)).is_ok() && fds[0].revents & libc::POLLOUT != 0
}

/// poll(2) on `fds` (see [`pollfd`]); `timeout` None waits forever. EINTR
/// counts as a wake-up with nothing ready. Allocates nothing (supervise).
pub fn poll(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> io::Result<()> {
    // SAFETY: `fds` is a valid, writable array of `fds.len()` pollfds.
    let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, millis(timeout)) };
    match check(r) {
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
        other => other.map(drop),
    }
}

/// Waits until one of `fds` is readable or `timeout` passes (`None`: no
/// timeout). Returns which ones are readable; an interrupted wait reports none.
pub fn poll_readable(fds: &[impl AsRawFd], timeout: Option<Duration>) -> io::Result<Vec<bool>> {
    let mut pfds: Vec<libc::pollfd> = fds.iter().map(|fd| pollfd(fd.as_raw_fd())).collect();
    poll(&mut pfds, timeout)?;
    Ok(pfds.iter().map(|p| p.revents != 0).collect())
}

/// Waits until `data` is readable (or hung up) or `signals` is readable:
/// (data ready, signals ready). Waits again after an interruption; on an
/// error, reports `data` ready so that the caller reads it and sees the error.
pub fn poll_two(data: RawFd, signals: RawFd) -> (bool, bool) {
    let mut fds = [pollfd(data), pollfd(signals)];
    loop {
        match poll(&mut fds, None) {
            Ok(()) if fds.iter().any(|p| p.revents != 0) => return (fds[0].revents != 0, fds[1].revents != 0),
            Ok(()) => continue,
            Err(_) => return (true, false),
        }
    }
}

/// A timeout in milliseconds, rounded up so that a loop never wakes just
/// before its deadline and spins (computed in u64: u128 division would map
/// compiler-builtins' code into every supervise).
fn millis(timeout: Option<Duration>) -> libc::c_int {
    match timeout {
        None => -1,
        Some(d) => {
            let ms = d.as_secs().saturating_mul(1000).saturating_add(d.subsec_nanos().div_ceil(1_000_000).into());
            ms.min(i32::MAX as u64) as libc::c_int
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn timeouts_round_up_to_whole_milliseconds() {
        assert_eq!(millis(None), -1);
        assert_eq!(millis(Some(Duration::ZERO)), 0);
        assert_eq!(millis(Some(Duration::from_nanos(1))), 1);
        assert_eq!(millis(Some(Duration::from_micros(1500))), 2);
        assert_eq!(millis(Some(Duration::from_secs(u64::MAX))), i32::MAX);
    }

    #[test]
    fn a_pipe_with_data_is_readable() {
        let (r, w) = crate::pipe::pipe().unwrap();
        assert_eq!(poll_readable(&[r.as_fd()], Some(Duration::ZERO)).unwrap(), vec![false]);
        std::io::Write::write_all(&mut std::fs::File::from(w), b"x").unwrap();
        assert_eq!(poll_readable(&[r.as_fd()], Some(Duration::ZERO)).unwrap(), vec![true]);
    }
}
