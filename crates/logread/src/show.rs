//! A label as a time people read: tai64nlocal's `YYYY-MM-DD HH:MM:SS.NNNNNNNNN`
//! in the local zone (TZ honoured) or in UTC, or ISO 8601 with the zone's
//! offset (`2026-12-01T10:00:00.000000500+01:00`, `...Z` in UTC).

use tai64::Label;

use crate::civil::Civil;

/// Which zone times are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Local,
    Utc,
}

/// Formats labels, caching the zone's offset for the last second seen.
#[derive(Debug)]
pub struct TimeFormat {
    zone: Zone,
    iso: bool,
    cached: Option<(i64, i64)>,
}

impl TimeFormat {
    /// Reads TZ once for the local zone.
    pub fn new(zone: Zone, iso: bool) -> TimeFormat {
        if zone == Zone::Local {
            unix::time::tzset();
        }
        TimeFormat { zone, iso, cached: None }
    }

    /// Appends the time of `label` to `out`.
    pub fn push(&mut self, label: Label, out: &mut Vec<u8>) {
        let secs = label.unix_secs();
        let offset = match self.zone {
            Zone::Utc => 0,
            Zone::Local => match self.cached {
                Some((s, o)) if s == secs => o,
                _ => {
                    let o = local_offset(secs);
                    self.cached = Some((secs, o));
                    o
                }
            },
        };
        let c = Civil::at(secs, offset);
        push_number(out, c.year.max(0) as u64, 4);
        out.push(b'-');
        push_number(out, u64::from(c.month), 2);
        out.push(b'-');
        push_number(out, u64::from(c.day), 2);
        out.push(if self.iso { b'T' } else { b' ' });
        push_number(out, u64::from(c.hour), 2);
        out.push(b':');
        push_number(out, u64::from(c.minute), 2);
        out.push(b':');
        push_number(out, u64::from(c.second), 2);
        out.push(b'.');
        push_number(out, u64::from(label.nanos), 9);
        if !self.iso {
            return;
        }
        if self.zone == Zone::Utc {
            out.push(b'Z');
            return;
        }
        out.push(if offset < 0 { b'-' } else { b'+' });
        let minutes = offset.unsigned_abs() / 60;
        push_number(out, minutes / 60, 2);
        out.push(b':');
        push_number(out, minutes % 60, 2);
    }
}

/// Seconds east of UTC of the local zone at `secs` (0 where the C library
/// cannot tell).
pub fn local_offset(secs: i64) -> i64 {
    unix::time::localtime(secs).map_or(0, |tm| tm.tm_gmtoff)
}

/// Appends `n` in decimal, zero-padded to at least `width` digits.
pub fn push_number(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    while n > 0 || digits.len() - i < width {
        if let Some(d) = i.checked_sub(1).and_then(|j| digits.get_mut(j)) {
            *d = b'0' + (n % 10) as u8;
        } else {
            break;
        }
        i -= 1;
        n /= 10;
    }
    out.extend_from_slice(digits.get(i..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(zone: Zone, iso: bool, hex: &[u8]) -> String {
        let mut out = Vec::new();
        TimeFormat::new(zone, iso).push(Label::parse_hex(hex).unwrap(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn formats() {
        let l = b"4000000037c219bf2ef02e94";
        assert_eq!(show(Zone::Utc, false, l), "1999-08-24 04:04:05.787492500");
        assert_eq!(show(Zone::Utc, true, l), "1999-08-24T04:04:05.787492500Z");
        std::env::set_var("TZ", "UTC");
        assert_eq!(show(Zone::Local, true, l), "1999-08-24T04:04:05.787492500+00:00");
        let mut v = Vec::new();
        push_number(&mut v, 7, 3);
        push_number(&mut v, 0, 1);
        push_number(&mut v, u64::MAX, 2);
        assert_eq!(v, b"007018446744073709551615");
    }
}
