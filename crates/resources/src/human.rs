//! Figures for people, shared by status, top and watch: one way to write a
//! duration and a size everywhere.

/// `3d 4h`, `4h 5m`, `5m 2s`, `12s`: the two largest units.
pub fn duration_short(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

/// Bytes in binary units: `512B`, `1.5K`, `12.3M`, `200M`, `1.1G`, `3.0T`:
/// one decimal below 100 of a unit, none from 100 up (at most 5 characters).
pub fn bytes(n: u64) -> String {
    const UNITS: &[u8] = b"KMGTPE";
    if n < 1024 {
        return format!("{n}B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1023.95 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let u = char::from(UNITS.get(unit).copied().unwrap_or(b'?'));
    if value < 99.95 {
        format!("{value:.1}{u}")
    } else {
        format!("{value:.0}{u}")
    }
}

/// A percentage of one core: `0.0`, `12.5`, `100`, `350` (at most 5
/// characters up to 99999).
pub fn percent(p: f64) -> String {
    if p < 99.95 {
        format!("{p:.1}")
    } else {
        format!("{p:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_short(0), "0s");
        assert_eq!(duration_short(12), "12s");
        assert_eq!(duration_short(302), "5m 2s");
        assert_eq!(duration_short(3600 * 4 + 300), "4h 5m");
        assert_eq!(duration_short(86_400 * 3 + 3600 * 4 + 59), "3d 4h");
        assert_eq!(duration_short(u64::MAX), format!("{}d 7h", u64::MAX / 86_400));
    }

    #[test]
    fn sizes() {
        assert_eq!(bytes(0), "0B");
        assert_eq!(bytes(1023), "1023B");
        assert_eq!(bytes(1536), "1.5K");
        assert_eq!(bytes(12_900_000), "12.3M");
        assert_eq!(bytes(200 * 1024 * 1024), "200M");
        assert_eq!(bytes(1024 * 1024 - 1), "1.0M");
        assert_eq!(bytes(1_181_116_006), "1.1G");
        assert_eq!(bytes(u64::MAX), "16.0E");
        assert_eq!(percent(0.04), "0.0");
        assert_eq!(percent(12.46), "12.5");
        assert_eq!(percent(350.2), "350");
    }
}
