//! The alert thresholds and their one-line file formats (pure).
//!
//! Each alert has a file in the service directory and a tree-wide default
//! (tend watch's options), written the same way; `off` switches it off:
//!
//! | file | format | default |
//! |---|---|---|
//! | `cpu-alert` | `PERCENT% [DURATION]`: above PERCENT of one core for DURATION | `90% 5m` |
//! | `memory-alert` | `[SIZE] [grow [WINDOW]]`: resident memory at or above SIZE; growing: a new maximum in each of 3 windows in a row | `off` |
//! | `crash-alert` | `RESTARTS DURATION`: that many restarts within DURATION | `5 5m` |
//!
//! A DURATION is a number with `ms`, `s` (also none), `m`, `h` or `d`
//! (`0.5s`, `5m`); a SIZE a whole number of bytes with `K`, `M`, `G` or `T`
//! (powers of 1024: `500M`).

use std::time::Duration;

/// How many windows in a row with a new maximum make memory "growing".
pub const GROW_WINDOWS: u32 = 3;

/// A service above `percent` of one core for `over`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuAlert {
    pub percent: f64,
    pub over: Duration,
}

/// Resident memory at or above `limit`, or growing (a new maximum in each of
/// [`GROW_WINDOWS`] windows of `grow` in a row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryAlert {
    pub limit: Option<u64>,
    pub grow: Option<Duration>,
}

/// `restarts` restarts within `within`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrashAlert {
    pub restarts: u32,
    pub within: Duration,
}

/// The thresholds that apply to one service (None: that alert is off).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub cpu: Option<CpuAlert>,
    pub memory: Option<MemoryAlert>,
    pub crash: Option<CrashAlert>,
    /// How long a service wanted up may stay down before it is reported.
    pub down: Option<Duration>,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            cpu: Some(CpuAlert { percent: 90.0, over: Duration::from_secs(300) }),
            memory: None,
            crash: Some(CrashAlert { restarts: 5, within: Duration::from_secs(300) }),
            down: Some(Duration::from_secs(30)),
        }
    }
}

/// The window of `grow` when none is written.
pub const GROW_WINDOW: Duration = Duration::from_secs(600);

/// What a threshold file or option said that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadThreshold(pub String);

fn words(text: &str) -> Vec<&str> {
    text.split_ascii_whitespace().collect()
}

/// `off` (or `none`): the alert is switched off.
fn is_off(w: &[&str]) -> bool {
    matches!(w, ["off"] | ["none"])
}

/// `5m`, `30s`, `30`, `0.5s`, `200ms`, `1h`, `2d`.
pub fn duration(s: &str) -> Result<Duration, BadThreshold> {
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let scale = match unit {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        _ => return Err(BadThreshold(format!("{s:?} is not a duration (like 30s, 5m, 1h)"))),
    };
    number
        .parse::<f64>()
        .ok()
        .and_then(|n| Duration::try_from_secs_f64(n * scale).ok())
        .ok_or_else(|| BadThreshold(format!("{s:?} is not a duration (like 30s, 5m, 1h)")))
}

/// `500M`, `2G`, `800K`, `1048576`.
pub fn size(s: &str) -> Result<u64, BadThreshold> {
    let bad = || BadThreshold(format!("{s:?} is not a size (like 500M, 2G)"));
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let shift = match unit {
        "" => 0,
        "K" | "k" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(bad()),
    };
    let n: u64 = number.parse().map_err(|_| bad())?;
    n.checked_mul(1 << shift).ok_or_else(bad)
}

/// `cpu-alert`: `90% 5m`, `50%` (over the default 5 minutes), `off`.
pub fn cpu(text: &str) -> Result<Option<CpuAlert>, BadThreshold> {
    let w = words(text);
    if is_off(&w) {
        return Ok(None);
    }
    let (pct, over) = match w.as_slice() {
        [pct] => (*pct, None),
        [pct, over] => (*pct, Some(*over)),
        _ => return Err(BadThreshold("expected PERCENT% [DURATION], like 90% 5m".into())),
    };
    let percent = pct
        .strip_suffix('%')
        .and_then(|p| p.parse::<f64>().ok())
        .filter(|p| p.is_finite() && *p > 0.0)
        .ok_or_else(|| BadThreshold(format!("{pct:?} is not a percentage above 0 (like 90%)")))?;
    let over = match over {
        Some(o) => duration(o)?,
        None => Duration::from_secs(300),
    };
    Ok(Some(CpuAlert { percent, over }))
}

/// `memory-alert`: `500M`, `500M grow`, `grow 10m`, `off`.
pub fn memory(text: &str) -> Result<Option<MemoryAlert>, BadThreshold> {
    let w = words(text);
    if is_off(&w) {
        return Ok(None);
    }
    let bad = || BadThreshold("expected [SIZE] [grow [WINDOW]], like 500M or 500M grow 10m".into());
    let (limit, rest) = match w.split_first() {
        Some((first, rest)) if *first != "grow" => (Some(size(first)?), rest),
        _ => (None, w.as_slice()),
    };
    let grow = match rest {
        [] => None,
        ["grow"] => Some(GROW_WINDOW),
        ["grow", window] => Some(duration(window)?).filter(|d| !d.is_zero()),
        _ => return Err(bad()),
    };
    if limit.is_none() && grow.is_none() {
        return Err(bad());
    }
    Ok(Some(MemoryAlert { limit, grow }))
}

/// `crash-alert`: `5 5m` (5 restarts within 5 minutes), `off`.
pub fn crash(text: &str) -> Result<Option<CrashAlert>, BadThreshold> {
    let w = words(text);
    if is_off(&w) {
        return Ok(None);
    }
    let [restarts, within] = w.as_slice() else {
        return Err(BadThreshold("expected RESTARTS DURATION, like 5 5m".into()));
    };
    let restarts = restarts
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| BadThreshold(format!("{restarts:?} is not a count above 0")))?;
    Ok(Some(CrashAlert { restarts, within: duration(within)? }))
}

/// The down grace (tend watch's `-d`): `30s`, `off`.
pub fn down(text: &str) -> Result<Option<Duration>, BadThreshold> {
    let w = words(text);
    match w.as_slice() {
        ["off"] | ["none"] => Ok(None),
        [d] => duration(d).map(Some),
        _ => Err(BadThreshold("expected a DURATION, like 30s".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(duration("5m"), Ok(s(300)));
        assert_eq!(duration("30"), Ok(s(30)));
        assert_eq!(duration("0.5s"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("200ms"), Ok(Duration::from_millis(200)));
        assert_eq!(duration("2d"), Ok(s(172_800)));
        for bad in ["", "m", "5x", "-1s", "1e999", "5 m", "nan"] {
            assert!(duration(bad).is_err(), "{bad:?}");
        }
        assert_eq!(size("500M"), Ok(500 << 20));
        assert_eq!(size("4096"), Ok(4096));
        assert_eq!(size("2G"), Ok(2 << 30));
        for bad in ["", "M", "1.5G", "5P", "-1M", "99999999999999999T"] {
            assert!(size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cpu_alert_files() {
        assert_eq!(cpu("90% 5m\n"), Ok(Some(CpuAlert { percent: 90.0, over: s(300) })));
        assert_eq!(cpu("  12.5%  "), Ok(Some(CpuAlert { percent: 12.5, over: s(300) })));
        assert_eq!(cpu("off\n"), Ok(None));
        for bad in ["", "90", "0% 1m", "90% 5x", "90% 5m 1", "lots"] {
            assert!(cpu(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn memory_alert_files() {
        assert_eq!(memory("500M"), Ok(Some(MemoryAlert { limit: Some(500 << 20), grow: None })));
        assert_eq!(memory("500M grow"), Ok(Some(MemoryAlert { limit: Some(500 << 20), grow: Some(GROW_WINDOW) })));
        assert_eq!(memory("grow 1m"), Ok(Some(MemoryAlert { limit: None, grow: Some(s(60)) })));
        assert_eq!(memory("none"), Ok(None));
        for bad in ["", "grow 0s", "500M 1m", "grow 1m 2", "big", "500M grow grow"] {
            assert!(memory(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn crash_alert_files_and_down_grace() {
        assert_eq!(crash("5 5m"), Ok(Some(CrashAlert { restarts: 5, within: s(300) })));
        assert_eq!(crash("off"), Ok(None));
        for bad in ["", "5", "0 5m", "5m 5", "x y"] {
            assert!(crash(bad).is_err(), "{bad:?}");
        }
        assert_eq!(down("30s"), Ok(Some(s(30))));
        assert_eq!(down("off"), Ok(None));
        assert!(down("soon").is_err());
    }
}
