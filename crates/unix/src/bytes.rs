//! Searching bytes with the C library's vectorised routines.

/// The position of the first `byte` in `hay` (glibc's vectorised memchr).
pub fn memchr(byte: u8, hay: &[u8]) -> Option<usize> {
    // SAFETY: the pointer and length describe `hay`, which outlives the call.
    let p = unsafe { libc::memchr(hay.as_ptr().cast(), byte as libc::c_int, hay.len()) };
    if p.is_null() {
        None
    } else {
        Some(p as usize - hay.as_ptr() as usize)
    }
}

/// The position of the last `byte` in `hay` (glibc's memrchr).
pub fn memrchr(byte: u8, hay: &[u8]) -> Option<usize> {
    // SAFETY: the pointer and length describe `hay`, which outlives the call.
    let p = unsafe { libc::memrchr(hay.as_ptr().cast(), byte as libc::c_int, hay.len()) };
    if p.is_null() {
        None
    } else {
        Some(p as usize - hay.as_ptr() as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memchr_finds_the_first() {
        assert_eq!(memchr(b'\n', b"ab\ncd\n"), Some(2));
        assert_eq!(memchr(b'\n', b"abc"), None);
        assert_eq!(memchr(b'\n', b""), None);
    }

    #[test]
    fn memrchr_finds_the_last() {
        assert_eq!(memrchr(b'\n', b"ab\ncd\n"), Some(5));
        assert_eq!(memrchr(b'\n', b"a\nbc"), Some(1));
        assert_eq!(memrchr(b'\n', b""), None);
    }
}
