//! Scratch memory for a short task: a private anonymous mapping, unmapped
//! when dropped.
//!
//! A stack page, once touched, stays with the process for its life: a
//! PATH_MAX buffer used once at start-up would make every supervise own
//! one more page of stack (benchmark 8d). A [`Scratch`] gives its pages
//! back when it goes, and allocates nothing (supervise has no heap).

use std::io;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

/// `N` bytes, zeroed, in a mapping of their own until dropped.
#[derive(Debug)]
pub struct Scratch<const N: usize> {
    bytes: NonNull<[u8; N]>,
}

impl<const N: usize> Scratch<N> {
    /// Maps `N` zeroed bytes (rounded up to whole pages).
    pub fn new() -> io::Result<Scratch<N>> {
        // SAFETY: a new private anonymous mapping, which overlaps nothing.
        // mmap64, not mmap: the name std already imports (no new GOT entry).
        let p = unsafe {
            libc::mmap64(
                std::ptr::null_mut(),
                N,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        match NonNull::new(p.cast::<[u8; N]>()) {
            Some(bytes) if p != libc::MAP_FAILED => Ok(Scratch { bytes }),
            _ => Err(io::Error::last_os_error()),
        }
    }
}

impl<const N: usize> Deref for Scratch<N> {
    type Target = [u8; N];

    fn deref(&self) -> &[u8; N] {
        // SAFETY: the mapping is readable, zero-filled at first, and ours until drop.
        unsafe { self.bytes.as_ref() }
    }
}

impl<const N: usize> DerefMut for Scratch<N> {
    fn deref_mut(&mut self) -> &mut [u8; N] {
        // SAFETY: as in `deref`; `&mut self` makes the borrow unique.
        unsafe { self.bytes.as_mut() }
    }
}

impl<const N: usize> Drop for Scratch<N> {
    fn drop(&mut self) {
        // SAFETY: the mapping `new` made, no longer borrowed.
        unsafe { libc::munmap(self.bytes.as_ptr().cast(), N) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bounds of the mapping that holds `addr`, from /proc/self/maps.
    fn mapping_of(addr: usize) -> Option<(usize, usize)> {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        maps.lines().filter_map(|l| l.split(' ').next()?.split_once('-')).find_map(|(lo, hi)| {
            let (lo, hi) = (usize::from_str_radix(lo, 16).ok()?, usize::from_str_radix(hi, 16).ok()?);
            (lo..hi).contains(&addr).then_some((lo, hi))
        })
    }

    #[test]
    fn scratch_is_zeroed_writable_and_given_back() {
        let mut s = Scratch::<5000>::new().unwrap();
        assert!(s.iter().all(|&b| b == 0));
        s[4999] = 7;
        assert_eq!(s[4999], 7);
        drop(s);
        // Given back: checked in a child, where no other test's thread can
        // map something at the same address in between (glibc's fork leaves
        // the child's allocator usable).
        // SAFETY: the child only maps, reads its own maps and exits.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork");
        if pid == 0 {
            let code = std::panic::catch_unwind(|| {
                let s = Scratch::<5000>::new().unwrap();
                let addr = s.as_ptr() as usize;
                let mapped = mapping_of(addr).is_some();
                drop(s);
                mapped && mapping_of(addr).is_none()
            });
            // SAFETY: ends the child without running the parent's handlers.
            unsafe { libc::_exit(if matches!(code, Ok(true)) { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: waiting for the child forked above.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "the scratch mapping was not given back");
    }
}
