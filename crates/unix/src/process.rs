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
