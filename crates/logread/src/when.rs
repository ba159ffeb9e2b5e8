//! `--since` and `--until` arguments (pure: the time now and the local
//! zone's offset are given): `2026-12-01 10:00[:SS]` (or with `T`),
//! `2026-12-01` (its midnight), `10:00[:SS]` (today), `-90s`, `-30m`,
//! `-1h`, `-2d` (before now), or a TAI64N label `@4000...`. Dates and times
//! of day are local.

use tai64::{Label, UNIX_OFFSET};

use crate::civil::Civil;

/// The time `text` names, or None if it names none.
pub fn parse(text: &[u8], now: Label, offset: &dyn Fn(i64) -> i64) -> Option<Label> {
    match text {
        [b'@', hex @ ..] => Label::parse_hex(hex),
        [b'-', ago @ ..] => before(ago, now),
        _ => local(text, now, offset),
    }
}

/// `now` less `N` units (`s`, `m`, `h`, `d`).
fn before(ago: &[u8], now: Label) -> Option<Label> {
    let (&unit, digits) = ago.split_last()?;
    let scale = match unit {
        b's' => 1,
        b'm' => 60,
        b'h' => 3600,
        b'd' => 86_400,
        _ => return None,
    };
    let n = number(digits)?;
    Some(Label { secs: now.secs.checked_sub(n.checked_mul(scale)?)?, nanos: now.nanos })
}

/// A date and/or a time of day, local.
fn local(text: &[u8], now: Label, offset: &dyn Fn(i64) -> i64) -> Option<Label> {
    let today = Civil::at(now.unix_secs(), offset(now.unix_secs()));
    let (date, time) = match text.iter().position(|&c| c == b' ' || c == b'T') {
        Some(i) => (Some(text.get(..i)?), Some(text.get(i + 1..)?)),
        None if text.contains(&b':') => (None, Some(text)),
        None => (Some(text), None),
    };
    let mut c = Civil { hour: 0, minute: 0, second: 0, ..today };
    if let Some(date) = date {
        let mut parts = date.split(|&b| b == b'-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        c.year = number(y)? as i64;
        c.month = u32::try_from(number(m)?).ok().filter(|m| (1..=12).contains(m))?;
        c.day = u32::try_from(number(d)?).ok().filter(|d| (1..=31).contains(d))?;
    }
    if let Some(time) = time {
        let mut parts = time.split(|&b| b == b':');
        let mut field = |max: u32, needed: bool| -> Option<u32> {
            match parts.next() {
                None if !needed => Some(0),
                Some(p) if p.len() == 2 => u32::try_from(number(p)?).ok().filter(|v| *v <= max),
                _ => None,
            }
        };
        c.hour = field(23, true)?;
        c.minute = field(59, true)?;
        c.second = field(60, false)?;
        if parts.next().is_some() {
            return None;
        }
    }
    // The offset at the time read as UTC, then at the time that gives.
    let naive = c.seconds(0);
    let unix = naive - offset(naive - offset(naive));
    Some(Label { secs: (unix as u64).wrapping_add(UNIX_OFFSET), nanos: 0 })
}

fn number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 12 {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &c| c.is_ascii_digit().then(|| n * 10 + u64::from(c - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(unix: i64) -> Label {
        Label { secs: (unix as u64).wrapping_add(UNIX_OFFSET), nanos: 0 }
    }

    #[test]
    fn forms() {
        // 2026-12-01 12:30:00 UTC; the zone is one hour east.
        let now = at(1_796_128_200);
        let east = |_: i64| 3600;
        let p = |t: &str| parse(t.as_bytes(), now, &east).map(|l| l.unix_secs());
        assert_eq!(p("-1h"), Some(1_796_128_200 - 3600));
        assert_eq!(p("-30m"), Some(1_796_128_200 - 1800));
        assert_eq!(p("-2d"), Some(1_796_128_200 - 2 * 86_400));
        assert_eq!(p("2026-12-01 10:00"), Some(1_796_128_200 - 3 * 3600 - 1800));
        assert_eq!(p("2026-12-01T10:00:30"), Some(1_796_128_200 - 3 * 3600 - 1800 + 30));
        assert_eq!(p("10:00"), p("2026-12-01 10:00"));
        assert_eq!(p("2026-12-01"), Some(1_796_128_200 - 13 * 3600 - 1800));
        assert_eq!(p("@4000000037c219bf2ef02e94"), Some(935_467_445));
        for bad in ["", "-", "-1y", "-h", "25:00", "10", "10:0", "2026-13-01", "2026-12-01 10", "yesterday", "@40"] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }
}
