//! The libc calls of this crate, each a thin safe wrapper.

use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;

/// The process's environment exactly as the C library holds it (order,
/// duplicates and entries without `=` included), which `std::env` does not give.
pub fn environ_entries() -> Vec<Vec<u8>> {
    extern "C" {
        static environ: *const *const libc::c_char;
    }
    let mut entries = Vec::new();
    // SAFETY: `environ` is the C library's NULL-terminated array of
    // NUL-terminated strings; we only read it, and nothing in this
    // single-threaded program changes it while we do.
    unsafe {
        let mut p = environ;
        while !p.is_null() && !(*p).is_null() {
            entries.push(CStr::from_ptr(*p).to_bytes().to_vec());
            p = p.add(1);
        }
    }
    entries
}

fn cstring(bytes: &[u8]) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

fn pointers(list: &[CString]) -> Vec<*const libc::c_char> {
    list.iter().map(|s| s.as_ptr()).chain(std::iter::once(std::ptr::null())).collect()
}

/// execve(2); returns only on failure, with the error.
pub fn execve(path: &[u8], argv: &[CString], envp: &[CString]) -> io::Error {
    let path = match cstring(path) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let argv = pointers(argv);
    let envp = pointers(envp);
    // SAFETY: every pointer is valid and NUL-terminated, both arrays end in NULL,
    // and the CStrings they point into outlive the call.
    unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
    io::Error::last_os_error()
}

/// One entry of the user database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passwd {
    pub name: Vec<u8>,
    pub uid: libc::uid_t,
    pub gid: libc::gid_t,
    pub home: Vec<u8>,
    pub shell: Vec<u8>,
}

/// Calls a `get*_r` function with a buffer that grows while it reports ERANGE.
fn with_buffer<T>(mut call: impl FnMut(&mut [libc::c_char]) -> (libc::c_int, Option<T>)) -> io::Result<Option<T>> {
    let mut size = 1024;
    loop {
        let mut buf = vec![0 as libc::c_char; size];
        match call(&mut buf) {
            (0, found) => return Ok(found),
            (libc::ERANGE, _) if size < 1 << 20 => size *= 4,
            (code, _) => return Err(io::Error::from_raw_os_error(code)),
        }
    }
}

/// getpwnam_r(3): `Ok(None)` when the account does not exist.
pub fn getpwnam(name: &OsStr) -> io::Result<Option<Passwd>> {
    let Ok(cname) = CString::new(name.as_bytes()) else { return Ok(None) };
    with_buffer(|buf| {
        // SAFETY: an all-zero passwd is a valid plain C struct.
        let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: all pointers are valid for the call; the strings pw points to
        // live in `buf`, which we copy from before it is dropped.
        let code = unsafe { libc::getpwnam_r(cname.as_ptr(), &mut pw, buf.as_mut_ptr(), buf.len(), &mut result) };
        if code != 0 || result.is_null() {
            return (code, None);
        }
        // SAFETY: on success the fields point to NUL-terminated strings in `buf`.
        let text = |p: *const libc::c_char| {
            if p.is_null() {
                Vec::new()
            } else {
                unsafe { CStr::from_ptr(p) }.to_bytes().to_vec()
            }
        };
        (
            0,
            Some(Passwd {
                name: text(pw.pw_name),
                uid: pw.pw_uid,
                gid: pw.pw_gid,
                home: text(pw.pw_dir),
                shell: text(pw.pw_shell),
            }),
        )
    })
}

/// getgrnam_r(3): the group's id, `Ok(None)` when it does not exist.
pub fn getgrnam(name: &[u8]) -> io::Result<Option<libc::gid_t>> {
    let Ok(cname) = CString::new(name) else { return Ok(None) };
    with_buffer(|buf| {
        // SAFETY: an all-zero group is a valid plain C struct.
        let mut gr: libc::group = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::group = std::ptr::null_mut();
        // SAFETY: all pointers are valid for the call.
        let code = unsafe { libc::getgrnam_r(cname.as_ptr(), &mut gr, buf.as_mut_ptr(), buf.len(), &mut result) };
        if code != 0 || result.is_null() {
            return (code, None);
        }
        (0, Some(gr.gr_gid))
    })
}

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

pub fn setgroups(groups: &[libc::gid_t]) -> io::Result<()> {
    // SAFETY: the pointer and length describe a valid slice.
    check(unsafe { libc::setgroups(groups.len(), groups.as_ptr()) }).map(drop)
}

/// initgroups(3): the account's supplementary groups from the group database, plus `gid`.
pub fn initgroups(name: &[u8], gid: libc::gid_t) -> io::Result<()> {
    let name = cstring(name)?;
    // SAFETY: `name` is NUL-terminated and outlives the call.
    check(unsafe { libc::initgroups(name.as_ptr(), gid) }).map(drop)
}

pub fn setgid(gid: libc::gid_t) -> io::Result<()> {
    // SAFETY: plain syscall wrapper with an integer argument.
    check(unsafe { libc::setgid(gid) }).map(drop)
}

pub fn setuid(uid: libc::uid_t) -> io::Result<()> {
    // SAFETY: plain syscall wrapper with an integer argument.
    check(unsafe { libc::setuid(uid) }).map(drop)
}

pub type Resource = libc::__rlimit_resource_t;

/// (soft, hard)
pub fn getrlimit(resource: Resource) -> io::Result<(u64, u64)> {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `r` is a valid, writable rlimit.
    check(unsafe { libc::getrlimit(resource, &mut r) })?;
    Ok((r.rlim_cur, r.rlim_max))
}

pub fn setrlimit(resource: Resource, soft: u64, hard: u64) -> io::Result<()> {
    let r = libc::rlimit { rlim_cur: soft, rlim_max: hard };
    // SAFETY: `r` is a valid rlimit.
    check(unsafe { libc::setrlimit(resource, &r) }).map(drop)
}

/// daemontools' `open_append`: created 0600, O_NDELAY, and NOT close-on-exec,
/// so that the descriptor (and a lock on it) survives into the child.
pub fn open_append(path: &OsStr) -> io::Result<RawFd> {
    let path = cstring(path.as_bytes())?;
    let flags = libc::O_WRONLY | libc::O_NONBLOCK | libc::O_APPEND | libc::O_CREAT;
    // SAFETY: `path` is NUL-terminated; the mode is passed as the variadic argument open expects.
    check(unsafe { libc::open(path.as_ptr(), flags, 0o600 as libc::c_uint) })
}

/// flock(2) exclusive; waits for it unless `nonblocking`.
pub fn flock_exclusive(fd: RawFd, nonblocking: bool) -> io::Result<()> {
    let op = if nonblocking { libc::LOCK_EX | libc::LOCK_NB } else { libc::LOCK_EX };
    loop {
        // SAFETY: flock on a descriptor number has no memory effects.
        match check(unsafe { libc::flock(fd, op) }) {
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
            r => return r.map(drop),
        }
    }
}

/// setsid(2), whose failure (already a group leader) daemontools ignores.
pub fn setsid() {
    // SAFETY: no arguments, no memory effects.
    unsafe { libc::setsid() };
}

/// fork(2): `Some(pid)` in the parent, `None` in the child.
pub fn fork() -> io::Result<Option<libc::pid_t>> {
    // SAFETY: the callers are single-threaded programs, so the child may keep
    // running ordinary code until it execs.
    let pid = check(unsafe { libc::fork() })?;
    Ok(if pid == 0 { None } else { Some(pid) })
}

/// pipe2(2), close-on-exec: (read, write).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: pipe just returned these two descriptors, owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
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

/// waitpid(2) for one child, retrying on EINTR; returns the raw wait status.
pub fn waitpid(pid: libc::pid_t) -> io::Result<libc::c_int> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a valid, writable int.
        match check(unsafe { libc::waitpid(pid, &mut status, 0) }) {
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
            r => return r.map(|_| status),
        }
    }
}

pub fn chroot(path: &[u8]) -> io::Result<()> {
    let path = cstring(path)?;
    // SAFETY: `path` is NUL-terminated and outlives the call.
    check(unsafe { libc::chroot(path.as_ptr()) }).map(drop)
}

/// nice(3), which may legitimately return -1: errno tells.
pub fn nice(increment: libc::c_int) -> io::Result<()> {
    // SAFETY: errno is thread-local; clearing it first is how nice(3) must be checked.
    unsafe { *libc::__errno_location() = 0 };
    // SAFETY: plain call with an integer argument.
    let r = unsafe { libc::nice(increment) };
    let e = io::Error::last_os_error();
    if r == -1 && e.raw_os_error() != Some(0) {
        Err(e)
    } else {
        Ok(())
    }
}

/// fchdir(2).
pub fn fchdir(dir: &impl std::os::fd::AsRawFd) -> io::Result<()> {
    // SAFETY: fchdir on a descriptor we hold open has no memory effects.
    check(unsafe { libc::fchdir(dir.as_raw_fd()) }).map(drop)
}

/// Clears FD_CLOEXEC, so that `fd` survives exec.
pub fn keep_on_exec(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl F_GETFD/F_SETFD on a descriptor number has no memory effects.
    let flags = check(unsafe { libc::fcntl(fd, libc::F_GETFD) })?;
    // SAFETY: as above.
    check(unsafe { libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) }).map(drop)
}

/// read(2) on a descriptor number, retrying on EINTR.
pub fn read(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        // SAFETY: `buf` is valid and writable for `buf.len()` bytes during the call.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        match usize::try_from(n) {
            Ok(n) => return Ok(n),
            Err(_) if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(io::Error::last_os_error()),
        }
    }
}
