//! The supervisor's lock on `supervise/lock`.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::files::LOCK;

/// An exclusive `flock` on `DIR/supervise/lock`, held while the value lives
/// (daemontools and runit use flock; s6 uses fcntl locks, which Linux keeps
/// apart). The descriptor is close-on-exec, so services do not inherit it.
#[derive(Debug)]
pub struct Lock {
    _held: File,
}

impl Lock {
    /// Takes the lock without waiting; EWOULDBLOCK (`temporary failure`) if held.
    pub fn acquire(dir: &Path) -> io::Result<Lock> {
        let f = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_NONBLOCK)
            .open(crate::in_dir(dir, Path::new(LOCK)))?;
        unix::fs::flock_exclusive(&f, true)?;
        Ok(Lock { _held: f })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_a_temporary_failure() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("supervise")).unwrap();
        let first = Lock::acquire(d.path()).unwrap();
        let e = Lock::acquire(d.path()).unwrap_err();
        assert_eq!(strerr::errstr(&e), "temporary failure");
        drop(first);
        Lock::acquire(d.path()).unwrap();
    }
}
