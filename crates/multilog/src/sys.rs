//! The libc calls of this crate.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn check_size(r: libc::ssize_t) -> io::Result<usize> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

/// Sets the process umask (daemontools' multilog starts with `umask(022)`).
pub fn umask(mask: u32) {
    // SAFETY: umask only changes process state and cannot fail.
    unsafe { libc::umask(mask as libc::mode_t) };
}

/// `flock(LOCK_EX|LOCK_NB)`, the lock daemontools takes on `lock`.
pub fn lock_exclusive_nonblocking(f: &File) -> io::Result<()> {
    // SAFETY: flock on a descriptor we own; no memory is passed.
    check(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }).map(|_| ())
}

/// syncfs(2): writes out everything of the filesystem holding `f`.
pub fn syncfs(f: &File) -> io::Result<()> {
    // SAFETY: syncfs on a descriptor we own; no memory is passed.
    check(unsafe { libc::syncfs(f.as_raw_fd()) }).map(|_| ())
}

/// The position of the first `byte` in `hay` (glibc's vectorised memchr).
pub fn memchr(byte: u8, hay: &[u8]) -> Option<usize> {
    // SAFETY: the pointer and length describe `hay`, which outlives the call.
    let p = unsafe { libc::memchr(hay.as_ptr().cast(), byte as libc::c_int, hay.len()) };
    if p.is_null() {
        None
    } else {
        Some(p as usize - hay.as_ptr() as usize)
    }
}

/// Sleeps for `d` on CLOCK_MONOTONIC (wall-clock steps do not shorten or
/// stretch it), resuming after interruptions.
pub fn sleep_monotonic(d: Duration) {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    let mut nanos = now.tv_nsec as u64 + d.subsec_nanos() as u64;
    let deadline = libc::timespec {
        tv_sec: now.tv_sec + d.as_secs() as libc::time_t + (nanos / 1_000_000_000) as libc::time_t,
        tv_nsec: {
            nanos %= 1_000_000_000;
            nanos as libc::c_long
        },
    };
    loop {
        // SAFETY: `deadline` is a valid timespec; no remaining time is requested.
        let r = unsafe {
            libc::clock_nanosleep(libc::CLOCK_MONOTONIC, libc::TIMER_ABSTIME, &deadline, std::ptr::null_mut())
        };
        if r != libc::EINTR {
            return;
        }
    }
}

/// Whether `fd` is a pipe (or FIFO).
pub fn is_pipe(fd: RawFd) -> bool {
    // SAFETY: an all-zero stat is valid storage.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is writable; fstat fails harmlessly on a closed descriptor.
    let r = unsafe { libc::fstat(fd, &mut st) };
    r == 0 && st.st_mode & libc::S_IFMT == libc::S_IFIFO
}

/// Raises the capacity of the pipe `fd` towards `size` (failures are harmless).
pub fn set_pipe_size(fd: RawFd, size: usize) {
    // SAFETY: fcntl on a pipe descriptor; no memory is passed.
    unsafe { libc::fcntl(fd, libc::F_SETPIPE_SZ, size as libc::c_int) };
}

/// A close-on-exec pipe, its capacity raised towards `size`: (read end,
/// write end, capacity).
pub fn pipe_of_size(size: usize) -> io::Result<(OwnedFd, OwnedFd, usize)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: pipe2 just created these descriptors and nothing else owns them.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    set_pipe_size(w.as_raw_fd(), size);
    // SAFETY: as above.
    let capacity = check(unsafe { libc::fcntl(w.as_raw_fd(), libc::F_GETPIPE_SZ) })? as usize;
    Ok((r, w, capacity))
}

/// Waits until `data` is readable (or hung up) or `signals` is readable:
/// (data ready, signals ready).
pub fn poll_two(data: RawFd, signals: RawFd) -> (bool, bool) {
    let mut fds = [
        libc::pollfd { fd: data, events: libc::POLLIN, revents: 0 },
        libc::pollfd { fd: signals, events: libc::POLLIN, revents: 0 },
    ];
    loop {
        // SAFETY: `fds` is a valid array of two pollfd for the call.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if r > 0 {
            return (fds[0].revents != 0, fds[1].revents != 0);
        }
        if r == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            // Nothing sensible to wait for: let the caller read (and see the error).
            return (true, false);
        }
    }
}

/// Copies up to `len` bytes from the pipe `from` into the pipe `to` without
/// consuming them (tee(2)); never blocks.
pub fn tee(from: RawFd, to: RawFd, len: usize) -> io::Result<usize> {
    // SAFETY: tee works on descriptors only; no memory is passed.
    check_size(unsafe { libc::tee(from, to, len, libc::SPLICE_F_NONBLOCK) })
}

/// Moves up to `len` bytes from the pipe `from` to `to` (splice(2)).
pub fn splice(from: RawFd, to: RawFd, len: usize) -> io::Result<usize> {
    // SAFETY: splice works on descriptors only; null offsets use the file positions.
    check_size(unsafe { libc::splice(from, std::ptr::null_mut(), to, std::ptr::null_mut(), len, 0) })
}

/// read(2), retried on EINTR.
pub fn read(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        // SAFETY: `buf` is writable for its length.
        let r = check_size(unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) });
        match r {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Makes the child of `cmd` see `fd4` as descriptor 4 and `fd5` as 5, as
/// multilog's processors expect (state and newstate).
pub fn map_fds_4_5(cmd: &mut Command, fd4: RawFd, fd5: RawFd) {
    let hook = move || -> io::Result<()> {
        // Move both above 5 first, so that neither mapping clobbers the other;
        // dup2 then gives 4 and 5 without close-on-exec.
        // SAFETY: fcntl/dup2 on descriptors open in the child; async-signal-safe.
        unsafe {
            let a = check(libc::fcntl(fd4, libc::F_DUPFD_CLOEXEC, 10))?;
            let b = check(libc::fcntl(fd5, libc::F_DUPFD_CLOEXEC, 10))?;
            check(libc::dup2(a, 4))?;
            check(libc::dup2(b, 5))?;
        }
        Ok(())
    };
    // SAFETY: the hook only calls async-signal-safe functions (fcntl, dup2)
    // and allocates nothing.
    unsafe { cmd.pre_exec(hook) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memchr_finds_the_first() {
        assert_eq!(memchr(b'\n', b"ab\ncd\n"), Some(2));
        assert_eq!(memchr(b'\n', b"abc"), None);
        assert_eq!(memchr(b'\n', b""), None);
    }
}
