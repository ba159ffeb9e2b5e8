//! Resource limits and the scheduling priority.

use std::io;

use crate::check;

/// A resource of getrlimit(2) (RLIMIT_NOFILE, ...).
pub type Resource = libc::__rlimit_resource_t;

/// getrlimit(2): (soft, hard).
pub fn getrlimit(resource: Resource) -> io::Result<(u64, u64)> {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `r` is a valid, writable rlimit.
    check(unsafe { libc::getrlimit(resource, &mut r) })?;
    Ok((r.rlim_cur, r.rlim_max))
}

/// setrlimit(2).
pub fn setrlimit(resource: Resource, soft: u64, hard: u64) -> io::Result<()> {
    let r = libc::rlimit { rlim_cur: soft, rlim_max: hard };
    // SAFETY: `r` is a valid rlimit.
    check(unsafe { libc::setrlimit(resource, &r) }).map(drop)
}

/// Raises the soft limit on open files to `want` (at most the hard limit);
/// returns the limit as it was, for children to get back, if it changed.
pub fn raise_nofile(want: u64) -> Option<libc::rlimit> {
    let (soft, hard) = getrlimit(libc::RLIMIT_NOFILE).ok()?;
    let new = want.min(hard);
    (soft < want && new > soft && setrlimit(libc::RLIMIT_NOFILE, new, hard).is_ok())
        .then_some(libc::rlimit { rlim_cur: soft, rlim_max: hard })
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
