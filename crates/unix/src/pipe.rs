//! Pipes: creation, capacity, and moving bytes between them in the kernel.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use crate::{check, check_size};

/// pipe2(2), both ends close-on-exec: (read end, write end).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: pipe2 just returned these two descriptors, owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// A close-on-exec pipe, its capacity raised towards `size`: (read end,
/// write end, capacity).
pub fn pipe_of_size(size: usize) -> io::Result<(OwnedFd, OwnedFd, usize)> {
    let (r, w) = pipe()?;
    set_pipe_size(w.as_raw_fd(), size);
    // SAFETY: F_GETPIPE_SZ on the pipe just created; no memory is passed.
    let capacity = check(unsafe { libc::fcntl(w.as_raw_fd(), libc::F_GETPIPE_SZ) })? as usize;
    Ok((r, w, capacity))
}

/// Raises the capacity of the pipe `fd` towards `size` (failures are harmless).
pub fn set_pipe_size(fd: RawFd, size: usize) {
    // SAFETY: fcntl on a pipe descriptor; no memory is passed.
    unsafe { libc::fcntl(fd, libc::F_SETPIPE_SZ, size as libc::c_int) };
}

/// Whether `fd` is a pipe (or FIFO).
pub fn is_pipe(fd: RawFd) -> bool {
    // SAFETY: an all-zero stat is valid storage.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is writable; fstat fails harmlessly on a closed descriptor.
    let r = unsafe { libc::fstat(fd, &mut st) };
    r == 0 && st.st_mode & libc::S_IFMT == libc::S_IFIFO
}

/// Copies up to `len` bytes from the pipe `from` into the pipe `to` without
/// consuming them (tee(2)); never blocks.
pub fn tee(from: RawFd, to: RawFd, len: usize) -> io::Result<usize> {
    // SAFETY: tee works on descriptors only; no memory is passed.
    check_size(unsafe { libc::tee(from, to, len, libc::SPLICE_F_NONBLOCK) })
}

/// What the pipe `fd` still holds, without consuming it: (bytes, lines),
/// a last line without its newline counted too. Copies the content with
/// tee(2) into a pipe of the same capacity and counts that copy.
pub fn pending(fd: RawFd) -> io::Result<(usize, usize)> {
    // SAFETY: F_GETPIPE_SZ on a descriptor; no memory is passed.
    let capacity = check(unsafe { libc::fcntl(fd, libc::F_GETPIPE_SZ) })? as usize;
    let (r, w, _) = pipe_of_size(capacity)?;
    let held = match tee(fd, w.as_raw_fd(), capacity) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
        held => held?,
    };
    let (mut seen, mut lines, mut last) = (0, 0, b'\n');
    let mut buf = [0u8; 4096];
    while seen < held {
        let n = crate::fd::read(r.as_raw_fd(), &mut buf)?;
        let Some((&end, chunk)) = buf.get(..n).and_then(|c| c.split_last()) else { break };
        lines += chunk.iter().filter(|&&b| b == b'\n').count() + usize::from(end == b'\n');
        last = end;
        seen += n;
    }
    Ok((seen, lines + usize::from(last != b'\n')))
}

/// Moves up to `len` bytes from the pipe `from` to `to` (splice(2)).
pub fn splice(from: RawFd, to: RawFd, len: usize) -> io::Result<usize> {
    // SAFETY: splice works on descriptors only; null offsets use the file positions.
    check_size(unsafe { libc::splice(from, std::ptr::null_mut(), to, std::ptr::null_mut(), len, 0) })
}

/// Moves up to `len` bytes from the pipe `from` into the file `to` at
/// `*offset`, which advances (splice(2) with an output offset).
pub fn splice_at(from: RawFd, to: RawFd, offset: &mut u64, len: usize) -> io::Result<usize> {
    let mut off = *offset as libc::loff_t;
    // SAFETY: `off` is a valid loff_t for the call; no other memory is passed.
    let n = check_size(unsafe { libc::splice(from, std::ptr::null_mut(), to, &mut off, len, 0) })?;
    *offset = off as u64;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_counts_what_a_pipe_holds_and_leaves_it_there() {
        let (r, w) = pipe().unwrap();
        assert_eq!(pending(r.as_raw_fd()).unwrap(), (0, 0));
        crate::fd::write(&w, b"one\ntwo\nthr").unwrap();
        assert_eq!(pending(r.as_raw_fd()).unwrap(), (11, 3));
        let mut buf = [0u8; 32];
        assert_eq!(crate::fd::read(r.as_raw_fd(), &mut buf).unwrap(), 11, "still all there");
        crate::fd::write(&w, b"four\n").unwrap();
        assert_eq!(pending(r.as_raw_fd()).unwrap(), (5, 1));
    }
}
