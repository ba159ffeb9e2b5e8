//! Files and directories: FIFOs, locks, syncing, the umask, the root, and
//! watching a directory.

use std::ffi::{CStr, OsStr};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::{check, with_cstr};

/// `mkfifo(path, 0600)` (the `control` and `ok` FIFOs). Short paths are
/// made NUL-terminated on the stack: supervise allocates nothing.
pub fn mkfifo(path: &Path) -> io::Result<()> {
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    with_cstr(path.as_os_str().as_bytes(), |c| check(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }).map(drop))
}

/// flock(2) exclusive, retrying on EINTR; waits for the lock unless `nonblocking`.
pub fn flock_exclusive(fd: &impl AsRawFd, nonblocking: bool) -> io::Result<()> {
    let op = if nonblocking { libc::LOCK_EX | libc::LOCK_NB } else { libc::LOCK_EX };
    loop {
        // SAFETY: flock on a descriptor number has no memory effects.
        match check(unsafe { libc::flock(fd.as_raw_fd(), op) }) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r.map(drop),
        }
    }
}

/// daemontools' `open_append`: created 0600, O_NDELAY, and NOT close-on-exec,
/// so that the descriptor (and a lock on it) survives into the child.
pub fn open_append(path: &OsStr) -> io::Result<RawFd> {
    let flags = libc::O_WRONLY | libc::O_NONBLOCK | libc::O_APPEND | libc::O_CREAT;
    // SAFETY: `c` is NUL-terminated; the mode is passed as the variadic argument open expects.
    with_cstr(path.as_bytes(), |c| check(unsafe { libc::open(c.as_ptr(), flags, 0o600 as libc::c_uint) }))
}

/// Opens `path` read only and non-blocking (for /dev/kmsg, which blocks at its end otherwise).
pub fn open_nonblocking(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)
}

/// syncfs(2): writes out everything of the file system holding `f`.
pub fn syncfs(f: &File) -> io::Result<()> {
    // SAFETY: syncfs on a descriptor we own; no memory is passed.
    check(unsafe { libc::syncfs(f.as_raw_fd()) }).map(drop)
}

/// Sets the process umask (daemontools' multilog starts with `umask(022)`).
pub fn umask(mask: u32) {
    // SAFETY: umask only changes process state and cannot fail.
    unsafe { libc::umask(mask as libc::mode_t) };
}

/// chroot(2).
pub fn chroot(path: &[u8]) -> io::Result<()> {
    // SAFETY: `c` is NUL-terminated and outlives the call.
    with_cstr(path, |c| check(unsafe { libc::chroot(c.as_ptr()) }).map(drop))
}

/// An inotify descriptor watching `dir` for entries created, removed or renamed.
pub fn watch_dir(dir: &CStr) -> io::Result<OwnedFd> {
    // SAFETY: plain syscall with valid flags.
    let fd = check(unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) })?;
    // SAFETY: inotify_init1 returned a new descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mask = libc::IN_CREATE | libc::IN_DELETE | libc::IN_MOVED_FROM | libc::IN_MOVED_TO | libc::IN_ONLYDIR;
    // SAFETY: `dir` is a NUL-terminated path; `fd` is an inotify descriptor.
    check(unsafe { libc::inotify_add_watch(fd.as_raw_fd(), dir.as_ptr(), mask) })?;
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mkfifo_makes_a_fifo_for_short_and_long_paths() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        for name in ["ok", &"x".repeat(250)] {
            let path = dir.path().join(name);
            mkfifo(&path).unwrap();
            assert!(std::fs::metadata(&path).unwrap().file_type().is_fifo());
            assert_eq!(mkfifo(&path).unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        }
    }

    #[test]
    fn a_second_lock_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = File::create(dir.path().join("lock")).unwrap();
        let b = File::open(dir.path().join("lock")).unwrap();
        flock_exclusive(&a, true).unwrap();
        assert_eq!(flock_exclusive(&b, true).unwrap_err().kind(), io::ErrorKind::WouldBlock);
    }
}
