//! The one Unix layer: every libc call of tend, each a thin safe wrapper
//! with a `// SAFETY:` comment, errors as [`std::io::Error`] (skalibs' model:
//! one library of Unix mechanisms that every program uses, instead of a
//! `sys.rs` copied into each crate with small differences).
//!
//! Modules, by job:
//! - [`fd`]: descriptors: read (retrying EINTR), [`fd::read_until_full`],
//!   dup/dup2/close, close-on-exec and O_NONBLOCK flags, fchdir, and 0-2 on
//!   /dev/null at start-up;
//! - [`pipe`]: pipes, their capacity, tee(2) and splice(2);
//! - [`poll`]: poll(2) without allocation (supervise) and as a list of
//!   readable descriptors (svscan, clockwatch);
//! - [`fs`]: mkfifoat and the other `*at` calls, flock, syncfs, umask, chroot, inotify on a directory,
//!   opening files the way daemontools does, and the `*at` calls on a
//!   directory descriptor (svstatus' `ServiceDir`);
//! - [`signals`]: signals as a file descriptor (signalfd), dispositions,
//!   and the child's signal state restored one way ([`signals::restore_in_child`]);
//! - [`socket`]: a Unix datagram socket on an abstract name that learns
//!   each sender's pid (SO_PASSCRED), supervise's sd_notify socket;
//! - [`listen`]: a Unix datagram socket bound to a path and held for a
//!   service (supervise's `socket`), peeked and consumed by its receiver;
//! - [`spawn`]: fork + exec of one child prepared before the fork (supervise
//!   runs `./run` and `./finish`, svscan runs `supervise`), no allocation;
//! - [`cgroup`]: the cgroup v2 hierarchy, the own cgroup, and a child cgroup
//!   created, joined, watched, killed and removed (no allocation);
//! - [`process`]: fork, exec, setsid, wait, reap, kill, and descriptors
//!   mapped in a `Command`'s child;
//! - [`account`]: the user and group databases and dropping privileges;
//! - [`limit`]: resource limits and nice;
//! - [`time`]: clocks (monotonic, wall, boot), local time, and adjtimex
//!   read only;
//! - [`timer`]: the timerfd that fires when the wall clock is stepped;
//! - [`tty`]: terminals: the window size, raw input mode (`tend top`);
//! - [`env`](mod@env): the environment exactly as the C library holds it,
//!   and a child's built on the stack ([`env::with_set`]);
//! - [`system`]: the units /proc counts in (clock ticks, page size), and
//!   whether a descriptor is a terminal;
//! - [`regex`]: POSIX extended regular expressions (glibc's regcomp/regexec);
//! - [`bytes`]: glibc's memchr;
//! - [`scratch`]: a short task's buffers in a mapping of their own, given
//!   back when dropped (not stack pages kept for the process's life).
//!
//! What supervise calls allocates nothing (supervise has no heap until it
//! prints a warning): the descriptor, pipe, poll, signal, spawn, reap/kill,
//! scratch, timer, socket and listen calls, [`env::with_set`], and [`fs::openat`] with a path of up to 255 bytes. Functions that return a
//! `Vec` ([`poll::poll_readable`], [`account`], [`env`](mod@env)) or build C strings
//! ([`process::execve`]) allocate.
//!
//! ```
//! let (r, w) = unix::pipe::pipe().unwrap();
//! std::io::Write::write_all(&mut std::fs::File::from(w), b"ok").unwrap();
//! let mut buf = [0u8; 8];
//! let n = unix::fd::read_until_full(&mut std::fs::File::from(r), &mut buf).unwrap();
//! assert_eq!(&buf[..n], b"ok");
//! ```

pub mod account;
pub mod bytes;
pub mod cgroup;
pub mod env;
pub mod fd;
pub mod fs;
pub mod limit;
pub mod listen;
pub mod pipe;
pub mod poll;
pub mod process;
pub mod regex;
pub mod scratch;
pub mod signals;
pub mod socket;
pub mod spawn;
pub mod system;
pub mod time;
pub mod timer;
pub mod tty;

use std::io;

/// A libc return value: -1 becomes the errno as an [`io::Error`].
fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// A byte count returned by libc: negative becomes the errno.
fn check_size(r: libc::ssize_t) -> io::Result<usize> {
    usize::try_from(r).map_err(|_| io::Error::last_os_error())
}

/// EINVAL, for a path that holds a NUL byte.
fn invalid() -> io::Error {
    io::Error::from_raw_os_error(libc::EINVAL)
}

/// Calls `f` with `bytes` as a NUL-terminated string: on the stack when it
/// is short (supervise allocates nothing), else in a `CString`.
fn with_cstr<T>(bytes: &[u8], f: impl FnOnce(&std::ffi::CStr) -> io::Result<T>) -> io::Result<T> {
    let mut short = [0u8; 256];
    match short.get_mut(..=bytes.len()) {
        Some(buf) => {
            buf[..bytes.len()].copy_from_slice(bytes);
            f(std::ffi::CStr::from_bytes_with_nul(buf).map_err(|_| invalid())?)
        }
        None => f(&std::ffi::CString::new(bytes).map_err(|_| invalid())?),
    }
}
