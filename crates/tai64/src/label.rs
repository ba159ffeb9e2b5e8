//! The TAI64N label codec (pure).

use std::time::Duration;

/// TAI64 of the unix epoch as daemontools computes it: 2^62 + 10.
pub const UNIX_OFFSET: u64 = (1 << 62) + 10;

/// A TAI64N label: TAI64 seconds and nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Label {
    pub secs: u64,
    pub nanos: u32,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Label {
    /// The label daemontools writes for a `gettimeofday()` reading.
    pub fn from_unix(unix_secs: u64, micros: u32) -> Label {
        Label { secs: unix_secs.wrapping_add(UNIX_OFFSET), nanos: micros * 1000 + 500 }
    }

    /// The label for a wall-clock reading given as time since the unix epoch.
    pub fn from_wall(since_epoch: Duration) -> Label {
        Label::from_unix(since_epoch.as_secs(), since_epoch.subsec_micros())
    }

    /// Unix seconds (wrapping, as daemontools' arithmetic does).
    pub fn unix_secs(&self) -> i64 {
        self.secs.wrapping_sub(UNIX_OFFSET) as i64
    }

    /// The 12-byte big-endian form (seconds, then nanoseconds).
    pub fn pack(&self) -> [u8; 12] {
        let mut b = [0u8; 12];
        b[..8].copy_from_slice(&self.secs.to_be_bytes());
        b[8..].copy_from_slice(&self.nanos.to_be_bytes());
        b
    }

    /// Reads the 12-byte form.
    pub fn unpack(b: &[u8; 12]) -> Label {
        let mut s = [0u8; 8];
        s.copy_from_slice(&b[..8]);
        let mut n = [0u8; 4];
        n.copy_from_slice(&b[8..]);
        Label { secs: u64::from_be_bytes(s), nanos: u32::from_be_bytes(n) }
    }

    /// `@` and 24 lowercase hex digits.
    pub fn to_hex(&self) -> [u8; 25] {
        let mut out = [b'@'; 25];
        for (i, byte) in self.pack().iter().enumerate() {
            out[1 + 2 * i] = HEX[(byte >> 4) as usize];
            out[2 + 2 * i] = HEX[(byte & 15) as usize];
        }
        out
    }

    /// Parses exactly 24 lowercase hex digits (no `@`).
    pub fn parse_hex(digits: &[u8]) -> Option<Label> {
        if digits.len() != 24 {
            return None;
        }
        let mut b = [0u8; 12];
        for (i, pair) in digits.chunks(2).enumerate() {
            b[i] = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
        }
        Some(Label::unpack(&b))
    }
}

/// The value of a lowercase hex digit, as daemontools accepts them.
pub fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daemontools_lab_example() {
        // LAB: 1999-08-24 04:04:05.787492500 UTC.
        let l = Label::parse_hex(b"4000000037c219bf2ef02e94").unwrap();
        assert_eq!(l.unix_secs(), 935467445);
        assert_eq!(l.nanos, 787492500);
        assert_eq!(Label::from_unix(935467445, 787492), l);
    }

    #[test]
    fn pack_round_trip_and_order() {
        let a = Label::from_unix(1_800_000_000, 1);
        let b = Label::from_unix(1_800_000_000, 2);
        assert!(a < b);
        assert_eq!(Label::unpack(&a.pack()), a);
        assert!(a.to_hex() < b.to_hex(), "hex order is time order");
    }

    #[test]
    fn rejects_malformed_hex() {
        assert_eq!(Label::parse_hex(b"4000000037C219BF2EF02E94"), None);
        assert_eq!(Label::parse_hex(b"4000000037c219bf2ef02e9"), None);
        assert_eq!(Label::parse_hex(b"4000000037c219bf2ef02e9z"), None);
        assert_eq!(Label::parse_hex(b""), None);
    }
}
