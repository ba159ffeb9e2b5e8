//! Clocks, local time and the kernel's time discipline
//! (read only: nothing here changes the clock or any kernel setting).

use std::io;
use std::time::Duration;

/// clock_gettime(2) on `id` (CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME).
pub fn clock_gettime(id: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; clock_gettime only writes it.
    unsafe { libc::clock_gettime(id, &mut ts) };
    Duration::new(ts.tv_sec.max(0) as u64, ts.tv_nsec.clamp(0, 999_999_999) as u32)
}

/// Broken-down local time, or None where the C library cannot represent it.
pub fn localtime(secs: i64) -> Option<libc::tm> {
    let t: libc::time_t = secs;
    // SAFETY: an all-zero tm is a valid value for a plain C struct.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the duration of the call;
    // localtime_r is thread-safe and writes only `tm`.
    let r = unsafe { libc::localtime_r(&t, &mut tm) };
    if r.is_null() {
        None
    } else {
        Some(tm)
    }
}

/// Reads TZ once, as `localtime()` does before its first use.
pub fn tzset() {
    extern "C" {
        fn tzset();
    }
    // SAFETY: tzset has no arguments; called before any other thread exists.
    unsafe { tzset() };
}

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
