//! The stamp at the start of a log line (pure), in the forms the loggers
//! write:
//! - `@` and 24 hex digits, then a space: TAI64N (multilog `t`, s6-log
//!   `t`, svlogd `-t`);
//! - `YYYY-MM-DD_HH:MM:SS.xxxxx ` (svlogd `-tt`) and
//!   `YYYY-MM-DDTHH:MM:SS.xxxxx ` (svlogd `-ttt`): UTC, as runit writes them.
//!
//! Anything else (s6-log's `T` stamp included: it has no zone) is no stamp:
//! the line is all message.

use tai64::{Label, UNIX_OFFSET};

use crate::civil::days_from_civil;

/// A line's stamp as a label (None: the line has none) and its message,
/// what follows the stamp and its space.
pub fn split(line: &[u8]) -> (Option<Label>, &[u8]) {
    tai64n(line).or_else(|| svlogd(line)).map_or((None, line), |(l, rest)| (Some(l), rest))
}

fn tai64n(line: &[u8]) -> Option<(Label, &[u8])> {
    let [b'@', rest @ ..] = line else { return None };
    let label = Label::parse_hex(rest.get(..24)?)?;
    match rest.get(24..)? {
        [] => Some((label, &[])),
        [b' ', message @ ..] => Some((label, message)),
        _ => None,
    }
}

/// `YYYY-MM-DD_HH:MM:SS.f+ ` or with `T`: UTC.
fn svlogd(line: &[u8]) -> Option<(Label, &[u8])> {
    let head = line.get(..20)?;
    let num = |at: usize, len: usize| -> Option<u32> {
        head.get(at..at + len)?.iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    let seps = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':'), (19, b'.')];
    if !seps.iter().all(|&(i, c)| head.get(i) == Some(&c)) || !matches!(head.get(10), Some(b'_' | b'T')) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let tail = line.get(20..)?;
    let digits = tail.iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=9).contains(&digits) {
        return None;
    }
    let message = match tail.get(digits..)? {
        [] => &[][..],
        [b' ', m @ ..] => m,
        _ => return None,
    };
    let mut nanos = 0u32;
    for i in 0..9 {
        nanos = nanos * 10 + tail.get(i).filter(|_| i < digits).map_or(0, |&c| u32::from(c - b'0'));
    }
    let unix = days_from_civil(i64::from(year), month, day) * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Some((Label { secs: (unix as u64).wrapping_add(UNIX_OFFSET), nanos }, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tai64n_labels() {
        let (l, m) = split(b"@4000000037c219bf2ef02e94 mark");
        assert_eq!(l, Label::parse_hex(b"4000000037c219bf2ef02e94"));
        assert_eq!(m, b"mark");
        assert_eq!(split(b"@4000000037c219bf2ef02e94").1, b"");
        for plain in [&b"@4000000037c219bf2ef02e94x"[..], b"@4000000037C219BF2EF02E94 x", b"@40 x", b"", b"plain"] {
            assert_eq!(split(plain), (None, plain));
        }
    }

    #[test]
    fn svlogd_stamps_are_utc() {
        let (l, m) = split(b"1999-08-24_04:04:05.78749 mark");
        let l = l.unwrap();
        assert_eq!((l.unix_secs(), l.nanos, m), (935_467_445, 787_490_000, &b"mark"[..]));
        assert_eq!(split(b"1999-08-24T04:04:05.78749 mark").0, Some(l));
        // s6-log's T stamp (a space, no zone) is message.
        let s6 = b"2026-12-02 17:34:40.503790069  a";
        assert_eq!(split(s6), (None, &s6[..]));
        for bad in
            [&b"1999-13-24_04:04:05.78749 x"[..], b"1999-08-24_04:04:05. x", b"1999-08-24_04:04:05.1x", b"1999-08-24"]
        {
            assert_eq!(split(bad).0, None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
