//! The libc calls of this crate.

use std::ffi::{CStr, CString};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

fn check(r: libc::c_int) -> io::Result<()> {
    if r == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `mkfifo(path, 0600)` (the `control` and `ok` FIFOs). Short paths are
/// made NUL-terminated on the stack: supervise allocates nothing.
pub fn mkfifo(path: &Path) -> io::Result<()> {
    let bytes = path.as_os_str().as_bytes();
    let mut short = [0u8; 256];
    let long;
    let c = match short.get_mut(..=bytes.len()) {
        Some(buf) => {
            buf[..bytes.len()].copy_from_slice(bytes);
            CStr::from_bytes_with_nul(buf).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?
        }
        None => {
            long = CString::new(bytes).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
            &long
        }
    };
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    check(unsafe { libc::mkfifo(c.as_ptr(), 0o600) })
}

/// `flock(fd, LOCK_EX|LOCK_NB)`.
pub fn flock_exclusive_nb(f: &File) -> io::Result<()> {
    // SAFETY: the descriptor is owned by `f` and open.
    check(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) })
}

/// Clears O_NONBLOCK.
pub fn set_blocking(f: &File) -> io::Result<()> {
    let fd = f.as_raw_fd();
    // SAFETY: F_GETFL on a descriptor owned by `f`.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    check(flags)?;
    // SAFETY: F_SETFL with flags derived from the current ones.
    check(unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) })
}

/// `fchdir(fd)`.
pub fn fchdir(dir: &File) -> io::Result<()> {
    // SAFETY: the descriptor is owned by `dir` and open.
    check(unsafe { libc::fchdir(dir.as_raw_fd()) })
}
