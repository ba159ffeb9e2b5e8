//! Files and directories: FIFOs, locks, syncing, the umask, the root,
//! watching a directory, and the `*at` calls on a directory descriptor.

use std::ffi::{CStr, OsStr};
use std::fs::File;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::{check, with_cstr};

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
    watch(dir.to_bytes(), libc::IN_CREATE | libc::IN_DELETE | libc::IN_MOVED_FROM | libc::IN_MOVED_TO)
}

/// A non-blocking inotify descriptor watching the directory `dir` (a final
/// symlink followed) for the events in `mask` (`libc::IN_*`); read them
/// with [`watch_events`].
pub fn watch(dir: &[u8], mask: u32) -> io::Result<OwnedFd> {
    let fd = watcher()?;
    watch_also(fd.as_fd(), dir, mask)?;
    Ok(fd)
}

/// Adds the directory `dir` to what the inotify descriptor `fd` (from
/// [`watch`]) watches, for the events in `mask`.
pub fn watch_also(fd: BorrowedFd, dir: &[u8], mask: u32) -> io::Result<()> {
    // SAFETY: `c` is a NUL-terminated path; `fd` is an inotify descriptor.
    with_cstr(dir, |c| check(unsafe { libc::inotify_add_watch(fd.as_raw_fd(), c.as_ptr(), mask | libc::IN_ONLYDIR) }))?;
    Ok(())
}

/// A non-blocking inotify descriptor watching nothing yet (see [`watch_also`]).
pub fn watcher() -> io::Result<OwnedFd> {
    // SAFETY: plain syscall with valid flags.
    let fd = check(unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) })?;
    // SAFETY: inotify_init1 returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Reads every event waiting on the inotify descriptor `fd` (from [`watch`])
/// and calls `each` with its mask and the name of the entry (empty for the
/// directory itself), until none is left.
pub fn watch_events(fd: BorrowedFd, mut each: impl FnMut(u32, &[u8])) -> io::Result<()> {
    // Each event: wd (4 bytes), mask (4), cookie (4), len (4), name (len bytes, NUL-padded).
    #[repr(align(8))]
    struct Buf([u8; 4096]);
    let mut buf = Buf([0; 4096]);
    loop {
        let n = match crate::fd::read(fd.as_raw_fd(), &mut buf.0) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok(());
        }
        let mut at = 0;
        while at + 16 <= n {
            let Some(header) = buf.0.get(at..at + 16) else { break };
            let word = |i: usize| header.get(i..i + 4).and_then(|b| b.try_into().ok()).map_or(0, u32::from_ne_bytes);
            let (mask, len) = (word(4), word(12) as usize);
            let name = buf.0.get(at + 16..at + 16 + len).unwrap_or_default();
            let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            each(mask, name.get(..end).unwrap_or_default());
            at += 16 + len;
        }
    }
}

/// `openat(dir, path, flags | O_CLOEXEC, mode)` as an owned descriptor;
/// `dir` may be AT_FDCWD. `path` is copied on the stack when short.
pub fn openat(dir: RawFd, path: &[u8], flags: libc::c_int, mode: libc::mode_t) -> io::Result<OwnedFd> {
    let flags = flags | libc::O_CLOEXEC;
    // SAFETY: `c` is NUL-terminated; the mode is passed as the variadic argument openat expects.
    let fd = with_cstr(path, |c| check(unsafe { libc::openat(dir, c.as_ptr(), flags, mode as libc::c_uint) }))?;
    // SAFETY: openat returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `fstatat(dir, path)`, following a final symlink or not.
pub fn fstatat(dir: RawFd, path: &CStr, follow: bool) -> io::Result<libc::stat> {
    let mut st = MaybeUninit::<libc::stat>::uninit();
    let flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
    // SAFETY: `path` is NUL-terminated and `st` is writable.
    check(unsafe { libc::fstatat(dir, path.as_ptr(), st.as_mut_ptr(), flags) })?;
    // SAFETY: fstatat succeeded, so it filled `st`.
    Ok(unsafe { st.assume_init() })
}

/// `fstat(fd)`.
pub fn fstat(fd: BorrowedFd) -> io::Result<libc::stat> {
    let mut st = MaybeUninit::<libc::stat>::uninit();
    // SAFETY: the descriptor is open and `st` is writable.
    check(unsafe { libc::fstat(fd.as_raw_fd(), st.as_mut_ptr()) })?;
    // SAFETY: fstat succeeded, so it filled `st`.
    Ok(unsafe { st.assume_init() })
}

/// Calls `each` with the name of every entry of the directory open for
/// reading as `dir` (without its NUL), from where its offset stands ("."
/// and ".." included). Read with getdents64 into a stack buffer: nothing
/// is allocated.
pub fn for_each_entry(dir: BorrowedFd, mut each: impl FnMut(&[u8])) -> io::Result<()> {
    // Small, as the stack pages it touches stay resident in a daemon; a
    // service directory's dozen entries fit.
    #[repr(align(8))]
    struct Buf([u8; 512]);
    let mut buf = Buf([0; 512]);
    loop {
        // SAFETY: the descriptor is open and `buf` is writable for its length.
        let n = unsafe { libc::syscall(libc::SYS_getdents64, dir.as_raw_fd(), buf.0.as_mut_ptr(), buf.0.len()) };
        let n = crate::check_size(n as libc::ssize_t)?;
        if n == 0 {
            return Ok(());
        }
        // Each record: d_ino (8 bytes), d_off (8), d_reclen (2), d_type (1), d_name (NUL-terminated).
        let mut at = 0;
        while at + 19 < n {
            let Some(&[lo, hi]) = buf.0.get(at + 16..at + 18) else { break };
            let reclen = u16::from_ne_bytes([lo, hi]) as usize;
            let record = buf.0.get(at + 19..at + reclen).unwrap_or_default();
            let name = record.iter().position(|&b| b == 0).map_or(record, |end| &record[..end]);
            each(name);
            at += reclen.max(1);
        }
    }
}

/// `mkdirat(dir, path, mode)`.
pub fn mkdirat(dir: RawFd, path: &CStr, mode: libc::mode_t) -> io::Result<()> {
    // SAFETY: `path` is NUL-terminated.
    check(unsafe { libc::mkdirat(dir, path.as_ptr(), mode) }).map(drop)
}

/// `mkfifoat(dir, path, 0600)` (the `control` and `ok` FIFOs).
pub fn mkfifoat(dir: RawFd, path: &CStr) -> io::Result<()> {
    // SAFETY: `path` is NUL-terminated.
    check(unsafe { libc::mkfifoat(dir, path.as_ptr(), 0o600) }).map(drop)
}

/// `unlinkat(dir, path, 0)`.
pub fn unlinkat(dir: RawFd, path: &CStr) -> io::Result<()> {
    // SAFETY: `path` is NUL-terminated.
    check(unsafe { libc::unlinkat(dir, path.as_ptr(), 0) }).map(drop)
}

/// `renameat(dir, from, dir, to)`, or with `exchange` `renameat2(...,
/// RENAME_EXCHANGE)`: both names stay, their files swap.
pub fn renameat(dir: RawFd, from: &CStr, to: &CStr, exchange: bool) -> io::Result<()> {
    let flags = if exchange { libc::RENAME_EXCHANGE } else { 0 };
    // SAFETY: both paths are NUL-terminated.
    check(unsafe { libc::renameat2(dir, from.as_ptr(), dir, to.as_ptr(), flags) }).map(drop)
}

/// `readlinkat(dir, path)` into `buf`, NUL-terminated; ENAMETOOLONG if it does not fit.
pub fn readlinkat<'a>(dir: RawFd, path: &CStr, buf: &'a mut [u8]) -> io::Result<&'a CStr> {
    // SAFETY: `path` is NUL-terminated and `buf` writable for `buf.len()` bytes.
    let n = crate::check_size(unsafe { libc::readlinkat(dir, path.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) })?;
    let Some(end) = buf.get_mut(n) else { return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG)) };
    *end = 0;
    CStr::from_bytes_with_nul(&buf[..=n]).map_err(|_| crate::invalid())
}

/// `fchown(fd, uid, -1)` then `fchmod(fd, mode)`: the group stays.
pub fn fchown_fchmod(fd: BorrowedFd, uid: libc::uid_t, mode: libc::mode_t) -> io::Result<()> {
    // SAFETY: the descriptor is open; gid -1 leaves the group as it is.
    check(unsafe { libc::fchown(fd.as_raw_fd(), uid, libc::gid_t::MAX) })?;
    // SAFETY: the descriptor is open.
    check(unsafe { libc::fchmod(fd.as_raw_fd(), mode) }).map(drop)
}

/// getcwd(2) into `buf`: the working directory's absolute path, without its NUL.
pub fn getcwd(buf: &mut [u8]) -> io::Result<&[u8]> {
    // SAFETY: `buf` is writable for its length; getcwd NUL-terminates what it writes.
    if unsafe { libc::getcwd(buf.as_mut_ptr().cast(), buf.len()) }.is_null() {
        return Err(io::Error::last_os_error());
    }
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Ok(&buf[..len])
}

/// `geteuid()`.
pub fn euid() -> libc::uid_t {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_calls_on_a_directory_descriptor() {
        use std::os::unix::ffi::OsStrExt;
        let d = tempfile::tempdir().unwrap();
        let dir = openat(libc::AT_FDCWD, d.path().as_os_str().as_bytes(), libc::O_PATH | libc::O_DIRECTORY, 0).unwrap();
        let fd = dir.as_raw_fd();
        mkdirat(fd, c"sub", 0o700).unwrap();
        mkfifoat(fd, c"sub/ff").unwrap();
        assert_eq!(fstatat(fd, c"sub/ff", false).unwrap().st_mode & libc::S_IFMT, libc::S_IFIFO);
        std::fs::write(d.path().join("a"), b"1").unwrap();
        std::fs::write(d.path().join("b"), b"2").unwrap();
        renameat(fd, c"a", c"b", true).unwrap();
        assert_eq!(std::fs::read(d.path().join("a")).unwrap(), b"2");
        std::os::unix::fs::symlink("a", d.path().join("l")).unwrap();
        assert_eq!(readlinkat(fd, c"l", &mut [0; 8]).unwrap(), c"a");
        assert_eq!(readlinkat(fd, c"l", &mut [0; 1]).unwrap_err().raw_os_error(), Some(libc::ENAMETOOLONG));
        unlinkat(fd, c"l").unwrap();
        assert_eq!(fstatat(fd, c"l", false).unwrap_err().kind(), io::ErrorKind::NotFound);
        let f = File::open(d.path().join("a")).unwrap();
        fchown_fchmod(std::os::fd::AsFd::as_fd(&f), euid(), 0o600).unwrap();
        assert_eq!(fstat(std::os::fd::AsFd::as_fd(&f)).unwrap().st_mode & 0o7777, 0o600);
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
