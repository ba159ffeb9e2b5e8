//! The supervisor's lock on `supervise/lock`.

use std::fs::File;
use std::io;

use crate::dir::ServiceDir;
use crate::files::LOCK;

/// An exclusive `flock` on `DIR/supervise/lock`, held while the value lives
/// (daemontools and runit use flock; s6 uses fcntl locks, which Linux keeps
/// apart). The descriptor is close-on-exec, so services do not inherit it.
#[derive(Debug)]
pub struct Lock {
    held: File,
}

impl Lock {
    /// Takes the lock without waiting; EWOULDBLOCK (`temporary failure`) if
    /// held. With `no_follow`, a symlink at `lock` is refused (ELOOP): a
    /// supervise running as root must not take ownership of its target.
    pub fn acquire(dir: &ServiceDir, no_follow: bool) -> io::Result<Lock> {
        Lock::open(dir, if no_follow { libc::O_NOFOLLOW } else { 0 })
    }

    /// Creates `lock` anew (EEXIST if it exists) and takes it: the
    /// replacement of a lock file that was not supervise's own.
    pub fn create_new(dir: &ServiceDir) -> io::Result<Lock> {
        Lock::open(dir, libc::O_EXCL | libc::O_NOFOLLOW)
    }

    fn open(dir: &ServiceDir, extra_flags: libc::c_int) -> io::Result<Lock> {
        let flags = libc::O_WRONLY | libc::O_APPEND | libc::O_CREAT | libc::O_NONBLOCK | extra_flags;
        let f = dir.open_file(LOCK, flags, 0o600)?;
        unix::fs::flock_exclusive(&f, true)?;
        Ok(Lock { held: f })
    }

    /// Whether a supervisor holds `DIR/supervise/lock` (no file: no). The
    /// test takes the lock for an instant and gives it back, so a supervise
    /// starting on `DIR` at that very instant fails as if one were running:
    /// only the one that would start supervise there asks.
    pub fn held(dir: &ServiceDir) -> io::Result<bool> {
        let f = match dir.open_file(LOCK, libc::O_RDONLY | libc::O_NONBLOCK, 0) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        match unix::fs::flock_exclusive(&f, true) {
            Ok(()) => Ok(false),
            Err(e) if e.raw_os_error() == Some(libc::EWOULDBLOCK) => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// The lock file, open.
    pub fn file(&self) -> &File {
        &self.held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_a_temporary_failure() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("supervise")).unwrap();
        let dir = ServiceDir::open(std::os::unix::ffi::OsStrExt::as_bytes(d.path().as_os_str())).unwrap();
        assert!(!Lock::held(&dir).unwrap(), "no lock file");
        let first = Lock::acquire(&dir, false).unwrap();
        assert!(Lock::held(&dir).unwrap());
        let e = Lock::acquire(&dir, false).unwrap_err();
        assert_eq!(strerr::errstr(&e), "temporary failure");
        assert_eq!(Lock::create_new(&dir).unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        drop(first);
        assert!(!Lock::held(&dir).unwrap());
        Lock::acquire(&dir, true).unwrap();
    }
}
