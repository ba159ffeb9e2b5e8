//! The libc calls of this crate. Nothing here changes the clock or any kernel
//! setting: adjtimex is called only with `modes = 0` (read only).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// The fields of `struct timex` that a reader needs, and the clock state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawTimex {
    pub state: i32,
    pub status: i32,
    pub offset: i64,
    pub freq: i64,
    pub maxerror: i64,
    pub esterror: i64,
    pub constant: i64,
    pub tolerance: i64,
    pub tick: i64,
    pub tai: i32,
}

/// adjtimex(2) with `modes = 0`: reads the kernel's time discipline, changes nothing.
pub fn adjtimex_read() -> io::Result<RawTimex> {
    // SAFETY: an all-zero timex is a valid value; modes = 0 makes the call read only.
    let mut tx: libc::timex = unsafe { std::mem::zeroed() };
    tx.modes = 0;
    // SAFETY: `tx` is a valid, writable timex for the duration of the call.
    let state = unsafe { libc::adjtimex(&mut tx) };
    if state < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(RawTimex {
        state,
        status: tx.status,
        offset: tx.offset as i64,
        freq: tx.freq as i64,
        maxerror: tx.maxerror as i64,
        esterror: tx.esterror as i64,
        constant: tx.constant as i64,
        tolerance: tx.tolerance as i64,
        tick: tx.tick as i64,
        tai: tx.tai,
    })
}

/// The hypervisor's CPUID vendor signature (leaf 0x40000000), if CPUID leaf 1
/// says a hypervisor is present.
#[cfg(target_arch = "x86_64")]
pub fn cpuid_hypervisor() -> Option<[u8; 12]> {
    use core::arch::x86_64::__cpuid;
    // CPUID exists on every x86_64 CPU; leaf 1 and the hypervisor range are
    // read-only queries.
    let leaf1 = __cpuid(1);
    if leaf1.ecx & (1 << 31) == 0 {
        return None;
    }
    let r = __cpuid(0x4000_0000);
    let mut sig = [0u8; 12];
    sig[..4].copy_from_slice(&r.ebx.to_le_bytes());
    sig[4..8].copy_from_slice(&r.ecx.to_le_bytes());
    sig[8..].copy_from_slice(&r.edx.to_le_bytes());
    Some(sig)
}

#[cfg(not(target_arch = "x86_64"))]
pub fn cpuid_hypervisor() -> Option<[u8; 12]> {
    None
}

/// CLOCK_BOOTTIME: monotonic, and counts time suspended.
pub fn boottime() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; clock_gettime only writes it.
    unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
    Duration::new(ts.tv_sec.max(0) as u64, ts.tv_nsec.clamp(0, 999_999_999) as u32)
}

/// A CLOCK_REALTIME timerfd armed far in the future with
/// TFD_TIMER_CANCEL_ON_SET: it becomes readable (read fails with ECANCELED)
/// as soon as anyone steps the wall clock.
pub fn clock_set_timerfd() -> io::Result<OwnedFd> {
    // SAFETY: plain syscall with constant arguments.
    let fd = unsafe { libc::timerfd_create(libc::CLOCK_REALTIME, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by timerfd_create and is owned by no one else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    arm_clock_set_timerfd(&fd)?;
    Ok(fd)
}

/// (Re-)arms the timer of [`clock_set_timerfd`].
pub fn arm_clock_set_timerfd(fd: &OwnedFd) -> io::Result<()> {
    let spec = libc::itimerspec {
        it_interval: libc::timespec { tv_sec: 0, tv_nsec: 0 },
        it_value: libc::timespec { tv_sec: libc::time_t::MAX / 2, tv_nsec: 0 },
    };
    let flags = libc::TFD_TIMER_ABSTIME | libc::TFD_TIMER_CANCEL_ON_SET;
    // SAFETY: `fd` is an open timerfd; `spec` is valid; the old value is not asked for.
    let r = unsafe { libc::timerfd_settime(fd.as_raw_fd(), flags, &spec, std::ptr::null_mut()) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Reads the timerfd: true if the wall clock was set (ECANCELED).
pub fn clock_was_set(fd: &OwnedFd) -> bool {
    let mut buf = [0u8; 8];
    // SAFETY: `buf` is valid for 8 bytes; the fd is non-blocking.
    let r = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    r < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ECANCELED)
}

/// poll(2) on `fds` for input; `timeout` None waits forever. Returns which fds are readable.
pub fn poll_readable(fds: &[i32], timeout: Option<Duration>) -> io::Result<Vec<bool>> {
    let mut pfds: Vec<libc::pollfd> =
        fds.iter().map(|&fd| libc::pollfd { fd, events: libc::POLLIN, revents: 0 }).collect();
    // Rounded up: a timeout cut to 0 ms would spin until the deadline.
    let ms = timeout.map_or(-1, |t| t.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32);
    // SAFETY: `pfds` is a valid array of pollfd of the given length.
    let r = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, ms) };
    if r < 0 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::Interrupted {
            return Ok(vec![false; fds.len()]);
        }
        return Err(e);
    }
    Ok(pfds.iter().map(|p| p.revents != 0).collect())
}

/// Opens `path` read only and non-blocking (for /dev/kmsg, which blocks at its end otherwise).
pub fn open_nonblocking(path: &std::path::Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)
}
