//! Descriptors: reading, duplicating, closing, their flags, and fchdir.

use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use crate::check;

/// read(2) on a descriptor number, retrying on EINTR: Ok(0) at end of file,
/// Err(WouldBlock) when a non-blocking descriptor is empty.
pub fn read(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        // SAFETY: `buf` is valid and writable for `buf.len()` bytes during the call.
        match crate::check_size(unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) }) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // Never more than asked, as the kernel promises: said so that a
            // caller's `&buf[..n]` needs no check (a panic location is 24
            // bytes of RELRO, a page every process owns).
            r => return r.map(|n| n.min(buf.len())),
        }
    }
}

/// Reads until `buf` is full or end of file; returns how many bytes it holds.
/// Unlike `read_exact`, a short file is not an error (the status file of an
/// older supervise is shorter, a settings file is read up to a limit).
pub fn read_until_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut len = 0;
    while len < buf.len() {
        match input.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    // A reader that claims more than it was given is not believed (see `read`).
    Ok(len.min(buf.len()))
}

/// Reads and discards everything waiting on a non-blocking descriptor.
pub fn drain(fd: &impl AsRawFd) {
    let mut buf = [0u8; 4096];
    // SAFETY: `buf` is a writable buffer of its length.
    while unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
}

/// dup(2): a new descriptor, not close-on-exec, that the caller leaks on purpose.
pub fn dup(fd: RawFd) -> io::Result<RawFd> {
    // SAFETY: dup on a descriptor number has no memory effects.
    check(unsafe { libc::dup(fd) })
}

/// dup2(2).
pub fn dup2(from: RawFd, to: RawFd) -> io::Result<()> {
    // SAFETY: dup2 on descriptor numbers has no memory effects.
    check(unsafe { libc::dup2(from, to) }).map(drop)
}

/// close(2) on a descriptor this program does not own through an OwnedFd (0, 1, 2).
pub fn close(fd: RawFd) -> io::Result<()> {
    // SAFETY: closing a raw descriptor number; no Rust object owns 0, 1 or 2 here.
    check(unsafe { libc::close(fd) }).map(drop)
}

/// Clears FD_CLOEXEC, so that `fd` survives exec.
pub fn keep_on_exec(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl F_GETFD/F_SETFD on a descriptor number has no memory effects.
    let flags = check(unsafe { libc::fcntl(fd, libc::F_GETFD) })?;
    // SAFETY: as above.
    check(unsafe { libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) }).map(drop)
}

/// Sets or clears O_NONBLOCK.
pub fn set_nonblocking(fd: &impl AsRawFd, nonblocking: bool) -> io::Result<()> {
    let fd = fd.as_raw_fd();
    // SAFETY: F_GETFL on a descriptor number has no memory effects.
    let flags = check(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    let flags = if nonblocking { flags | libc::O_NONBLOCK } else { flags & !libc::O_NONBLOCK };
    // SAFETY: F_SETFL with flags derived from the current ones.
    check(unsafe { libc::fcntl(fd, libc::F_SETFL, flags) }).map(drop)
}

/// Takes ownership of a descriptor inherited by number (named in an
/// environment variable): it must be open and above 2; it becomes
/// close-on-exec, so that it goes no further than this program.
pub fn take_inherited(fd: RawFd) -> io::Result<OwnedFd> {
    if fd <= 2 {
        return Err(io::Error::from_raw_os_error(libc::EBADF));
    }
    // SAFETY: F_SETFD on a descriptor number has no memory effects; it
    // fails with EBADF if the descriptor is not open.
    check(unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) })?;
    // SAFETY: the descriptor is open and, inherited for this purpose, owned by nothing else here.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// write(2), retrying on EINTR: Err(WouldBlock) when a non-blocking
/// descriptor is full, Err(BrokenPipe) when nobody reads (with SIGPIPE ignored).
pub fn write(fd: &impl AsRawFd, buf: &[u8]) -> io::Result<usize> {
    loop {
        // SAFETY: `buf` is valid for `buf.len()` bytes during the call.
        match crate::check_size(unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) }) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

/// send(2) on a socket without blocking and without SIGPIPE, retrying on
/// EINTR (a socket cannot be reopened with O_NONBLOCK of its own).
pub fn send_nowait(fd: &impl AsRawFd, buf: &[u8]) -> io::Result<usize> {
    let flags = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
    loop {
        // SAFETY: `buf` is valid for `buf.len()` bytes during the call.
        match crate::check_size(unsafe { libc::send(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), flags) }) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

/// fchdir(2): back to (or into) a directory held open.
pub fn fchdir(dir: &impl AsRawFd) -> io::Result<()> {
    // SAFETY: fchdir on a descriptor we hold open has no memory effects.
    check(unsafe { libc::fchdir(dir.as_raw_fd()) }).map(drop)
}

/// Opens /dev/null on each of descriptors 0, 1 and 2 that is closed (what
/// the Rust runtime does before an ordinary `main`), so that a file the
/// program opens later never becomes its stdin, stdout or stderr.
pub fn open_closed_stdio() {
    for fd in 0..3 {
        // SAFETY: F_GETFD on a descriptor number has no memory effects.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
            // SAFETY: a NUL-terminated literal path. open(2) returns the
            // lowest free descriptor: `fd` itself. Without /dev/null (a bare
            // container) the descriptor stays closed, as under a C program.
            unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        }
    }
}
