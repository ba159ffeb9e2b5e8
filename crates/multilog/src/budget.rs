//! When `current` is full: daemontools' size rules as arithmetic, apart
//! from any file.

/// `current` counts as full at a newline once it is this close to its size.
pub const NEWLINE_SLACK: u64 = 2000;

/// Bytes in `current` against its maximum size (daemontools' `c_write` rules,
/// applied per line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub bytes: u64,
    pub size: u64,
}

impl Budget {
    /// `current` must be rotated before anything more is written.
    pub fn full(&self) -> bool {
        self.bytes >= self.size
    }

    /// How many of `len` bytes fit before the size limit (call when not full).
    pub fn room(&self, len: usize) -> usize {
        (self.size.saturating_sub(self.bytes)).min(len as u64) as usize
    }

    pub fn wrote(&mut self, n: usize) {
        self.bytes += n as u64;
    }

    /// How many bytes of `buf` daemontools' `c_write` puts into `current` in
    /// one write (call when not full): no more than fit, and once that
    /// reaches within [`NEWLINE_SLACK`] of the size, only up to the last
    /// newline among them, if there is one.
    pub fn cut(&self, buf: &[u8]) -> usize {
        let len = self.room(buf.len());
        if self.bytes + len as u64 >= self.size.saturating_sub(NEWLINE_SLACK) {
            if let Some(i) = buf[..len].iter().rposition(|&c| c == b'\n') {
                return i + 1;
            }
        }
        len
    }

    /// After a newline: whether `current` is close enough to full to rotate.
    pub fn done_at_newline(&self) -> bool {
        self.bytes >= self.size.saturating_sub(NEWLINE_SLACK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_room_and_newline_rule() {
        let mut b = Budget { bytes: 0, size: 4096 };
        assert!(!b.full());
        assert_eq!(b.room(10_000), 4096);
        b.wrote(2095);
        assert!(!b.done_at_newline());
        b.wrote(1);
        assert!(b.done_at_newline(), "within 2000 bytes of the limit");
        b.wrote(2000);
        assert!(b.full());
        assert_eq!(b.room(5), 0);
        // Writes are cut at the size, and near it after their last newline.
        let b = Budget { bytes: 0, size: 4096 };
        assert_eq!(b.cut(&[b'x'; 5000]), 4096);
        assert_eq!(b.cut(b"ab\ncd"), 5, "far from the size: whole");
        let near = Budget { bytes: 2090, size: 4096 };
        assert_eq!(near.cut(b"abcdef\ngh\nij"), 10, "within 2000 bytes: up to the last newline");
        assert_eq!(near.cut(b"abcdefgh"), 8, "no newline: whole");
        assert_eq!(Budget { bytes: 4090, size: 4096 }.cut(b"abc\nefgh\n"), 4, "the newline within what fits");
        // An oversized current found at start is full at once.
        assert!(Budget { bytes: 10_000, size: 4096 }.full());
    }
}
