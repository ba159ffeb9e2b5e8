//! Lock files as daemontools' setlock takes them: flock on a file opened for append.

use std::ffi::OsStr;
use std::io;
use std::os::fd::RawFd;

/// Which step of [`hold`] failed.
#[derive(Debug)]
pub enum LockError {
    Open(io::Error),
    Lock(io::Error),
}

/// Opens `path` (creating it 0600) and takes an exclusive flock on it,
/// waiting for it unless `nonblocking`. The descriptor is deliberately left
/// open and not close-on-exec: the program exec'd next holds the lock.
pub fn hold(path: &OsStr, nonblocking: bool) -> Result<RawFd, LockError> {
    let fd = unix::fs::open_append(path).map_err(LockError::Open)?;
    unix::fs::flock_exclusive(&fd, nonblocking).map_err(LockError::Lock)?;
    Ok(fd)
}
