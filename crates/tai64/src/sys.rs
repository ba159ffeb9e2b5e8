//! The libc calls of this crate.

use std::time::Duration;

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
