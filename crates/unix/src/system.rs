//! Constants of the running system that /proc figures are counted in
//! (sysconf(3)): clock ticks and the page size.

/// Clock ticks a second (`_SC_CLK_TCK`, USER_HZ): the unit of the times in
/// /proc/PID/stat. 100 if sysconf cannot say.
pub fn clock_ticks() -> u64 {
    // SAFETY: sysconf takes a constant and reads nothing of ours.
    let n = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(n).ok().filter(|&n| n > 0).unwrap_or(100)
}

/// The page size in bytes (`_SC_PAGESIZE`): the unit of the resident set
/// in /proc/PID/stat. 4096 if sysconf cannot say.
pub fn page_size() -> u64 {
    // SAFETY: sysconf takes a constant and reads nothing of ours.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(n).ok().filter(|&n| n > 0).unwrap_or(4096)
}

/// Whether descriptor `fd` is a terminal: isatty(3)'s test, the TCGETS
/// ioctl, made through `ioctl` (which tend imports already) rather than
/// `isatty` (a new GOT entry in every process's RELRO pages).
pub fn is_terminal(fd: std::os::fd::RawFd) -> bool {
    // SAFETY: an all-zero termios is a valid value for a plain C struct.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: TCGETS writes one termios into `t`, valid and writable.
    unsafe { libc::ioctl(fd, libc::TCGETS, &mut t) == 0 }
}

#[cfg(test)]
mod tests {
    #[test]
    fn units_are_positive() {
        assert!(super::clock_ticks() > 0);
        assert!(super::page_size() >= 4096);
        let (r, _w) = crate::pipe::pipe().unwrap();
        assert!(!super::is_terminal(std::os::fd::AsRawFd::as_raw_fd(&r)));
    }
}
