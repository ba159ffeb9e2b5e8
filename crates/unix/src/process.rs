//! Processes: fork, exec, sessions, waiting, reaping and signalling, and the
//! descriptors a `Command`'s child gets.

use std::ffi::CString;
use std::io;
use std::os::fd::RawFd;
use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::{check, invalid};

/// fork(2): `Some(pid)` in the parent, `None` in the child.
pub fn fork() -> io::Result<Option<libc::pid_t>> {
    // SAFETY: the callers are single-threaded programs, so the child may keep
    // running ordinary code until it execs.
    let pid = check(unsafe { libc::fork() })?;
    Ok(if pid == 0 { None } else { Some(pid) })
}

fn pointers(list: &[CString]) -> Vec<*const libc::c_char> {
    list.iter().map(|s| s.as_ptr()).chain(std::iter::once(std::ptr::null())).collect()
}

/// execve(2); returns only on failure, with the error. Allocates the
/// pointer arrays.
pub fn execve(path: &[u8], argv: &[CString], envp: &[CString]) -> io::Error {
    let path = match CString::new(path) {
        Ok(p) => p,
        Err(_) => return invalid(),
    };
    let argv = pointers(argv);
    let envp = pointers(envp);
    // SAFETY: every pointer is valid and NUL-terminated, both arrays end in NULL,
    // and the CStrings they point into outlive the call.
    unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
    io::Error::last_os_error()
}

/// setsid(2), whose failure (already a group leader) daemontools ignores.
pub fn setsid() {
    // SAFETY: no arguments, no memory effects.
    unsafe { libc::setsid() };
}

/// waitpid(2) for one child, retrying on EINTR; returns the raw wait status.
pub fn waitpid(pid: libc::pid_t) -> io::Result<libc::c_int> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a valid, writable int.
        match check(unsafe { libc::waitpid(pid, &mut status, 0) }) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r.map(|_| status),
        }
    }
}

/// Reaps one child that exited, without waiting: Some((pid, wait status)),
/// or None when none is waiting (any child: as PID 1, svscan reaps orphans too).
pub fn reap() -> Option<(libc::pid_t, libc::c_int)> {
    let mut status = 0;
    // SAFETY: `status` is writable; WNOHANG never blocks.
    let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    (pid > 0).then_some((pid, status))
}

/// kill(2); an error (the process is gone already: ESRCH) is ignored.
pub fn kill(pid: libc::pid_t, signal: libc::c_int) {
    // SAFETY: plain syscall with integer arguments.
    unsafe { libc::kill(pid, signal) };
}

/// Whether process group `pgid` still has a process (kill(-pgid, 0) is
/// not ESRCH; a zombie counts until it is reaped).
pub fn group_exists(pgid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks; no memory is passed.
    let r = unsafe { libc::kill(-pgid, 0) };
    r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// getpgrp(2): the calling process's group.
pub fn own_group() -> libc::pid_t {
    // SAFETY: getpgrp cannot fail.
    unsafe { libc::getpgrp() }
}

/// prctl(PR_SET_CHILD_SUBREAPER): orphans of descendants become this
/// process's children, so that it reaps them and sees them all gone.
pub fn become_subreaper() -> io::Result<()> {
    // SAFETY: plain prctl with integer arguments.
    check(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }).map(drop)
}

/// The start time of process `pid` (field 22 of /proc/PID/stat, in clock
/// ticks since boot): with the pid, it names one process even after the pid
/// is reused. Read on the stack; None if the process is gone.
pub fn start_time(pid: libc::pid_t) -> Option<u64> {
    stat_field(pid, 22)
}

/// The process group of process `pid` (field 5 of /proc/PID/stat), read
/// on the stack; None if the process is gone.
pub fn group_of(pid: libc::pid_t) -> Option<libc::pid_t> {
    stat_field(pid, 5)
}

/// Field `field` (3 or more: after the command name) of /proc/PID/stat.
fn stat_field<T: std::str::FromStr>(pid: libc::pid_t, field: usize) -> Option<T> {
    let mut path = [0u8; 32];
    let len = proc_path(pid, b"/stat", &mut path);
    let f = crate::fs::openat(libc::AT_FDCWD, &path[..len], libc::O_RDONLY, 0).ok()?;
    let mut buf = [0u8; 512];
    let n = crate::fd::read_until_full(&mut std::fs::File::from(f), &mut buf).ok()?;
    // Fields after the command name, which may hold spaces and parentheses:
    // the state is field 3.
    let after = buf[..n].iter().rposition(|&b| b == b')')? + 2;
    let field = buf.get(after..n)?.split(|&b| b == b' ').nth(field.checked_sub(3)?)?;
    std::str::from_utf8(field).ok()?.parse().ok()
}

/// `/proc/PID` and `file` (a short name: `/stat`) into `path`: its length.
pub(crate) fn proc_path(pid: libc::pid_t, file: &[u8], path: &mut [u8; 32]) -> usize {
    let mut digits = [0u8; DIGITS];
    short_path(&[b"/proc/", decimal(pid.unsigned_abs(), &mut digits), file], path)
}

/// `parts` one after the other into `path`, as much as fits: its length.
pub(crate) fn short_path(parts: &[&[u8]], path: &mut [u8; 32]) -> usize {
    let mut len = 0;
    for (slot, &b) in path.iter_mut().zip(parts.iter().flat_map(|p| p.iter())) {
        *slot = b;
        len += 1;
    }
    len
}

/// The most decimal digits of a `u32`.
pub(crate) const DIGITS: usize = 10;

/// `n` in decimal, written at the end of `digits`: those digits.
pub(crate) fn decimal(n: u32, digits: &mut [u8; DIGITS]) -> &[u8] {
    let (mut rest, mut start) = (n, DIGITS);
    while start > 0 {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    digits.get(start..).unwrap_or_default()
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
    fn paths_in_proc() {
        let mut path = [0u8; 32];
        let n = proc_path(1234, b"/stat", &mut path);
        assert_eq!(&path[..n], b"/proc/1234/stat");
        let mut digits = [0u8; DIGITS];
        assert_eq!(decimal(0, &mut digits), b"0");
        assert_eq!(decimal(u32::MAX, &mut digits), b"4294967295");
        let n = short_path(&[b"/proc/self/fd/", decimal(7, &mut digits), b"\0"], &mut path);
        assert_eq!(&path[..n], b"/proc/self/fd/7\0");
    }

    #[test]
    fn a_process_start_time_is_read_and_a_group_seen() {
        let me = std::process::id() as libc::pid_t;
        assert!(start_time(me).is_some_and(|t| t > 0));
        assert_eq!(start_time(me), start_time(me));
        assert_eq!(start_time(0), None);
        assert!(group_exists(own_group()));
        assert_eq!(group_of(me), Some(own_group()));
        assert_eq!(group_of(0), None);
    }
}
