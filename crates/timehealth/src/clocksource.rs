//! The clocksource in sysfs and what the kernel log says about it: TSC marked
//! unstable, a clocksource marked unstable by the watchdog, switches.

use std::io::{self, Read};
use std::path::Path;

/// `current_clocksource` and `available_clocksource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clocksource {
    pub current: String,
    pub available: Vec<String>,
}

/// Reads the clocksource from `sys` (normally /sys).
pub fn read(sys: &Path) -> io::Result<Clocksource> {
    let dir = sys.join("devices/system/clocksource/clocksource0");
    let current = std::fs::read_to_string(dir.join("current_clocksource"))?.trim().to_string();
    let available = std::fs::read_to_string(dir.join("available_clocksource"))
        .map(|s| s.split_whitespace().map(String::from).collect())
        .unwrap_or_default();
    Ok(Clocksource { current, available })
}

/// A kernel log line about the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    /// `tsc: Marking TSC unstable due to ...`, TSC warp between CPUs, ...
    TscUnstable(String),
    /// The watchdog marked a clocksource unstable (`Clocksource tsc unstable (delta = ...)`).
    ClocksourceUnstable(String),
    /// `clocksource: Switched to clocksource NAME`.
    Switched { to: String, line: String },
    /// Hyper-V's time sync saw a stale time stamp.
    HyperVStale(String),
}

impl LogEvent {
    pub fn line(&self) -> &str {
        match self {
            LogEvent::TscUnstable(l) | LogEvent::ClocksourceUnstable(l) | LogEvent::HyperVStale(l) => l,
            LogEvent::Switched { line, .. } => line,
        }
    }

    /// An unstable clock, as opposed to a routine switch.
    pub fn is_instability(&self) -> bool {
        !matches!(self, LogEvent::Switched { .. })
    }
}

/// The message of a kernel log line: the `/dev/kmsg` prefix (`6,339,5140900,-;`)
/// and the syslog prefix (`Dec 21 13:55:05 host kernel: `) removed.
fn message(line: &str) -> &str {
    let line = line.trim_end();
    if let Some((head, rest)) = line.split_once(';') {
        if !head.is_empty()
            && head.bytes().all(|b| b.is_ascii_digit() || b == b',' || b == b'-' || b.is_ascii_alphabetic())
            && head.contains(',')
        {
            return rest;
        }
    }
    line.split_once("kernel: ").map_or(line, |(_, rest)| rest)
}

/// Classifies one line; None when it is not about the clock.
pub fn classify(line: &str) -> Option<LogEvent> {
    let msg = message(line);
    let lower = msg.to_ascii_lowercase();
    let keep = msg.trim().to_string();
    if lower.contains("marking tsc unstable")
        || lower.contains("tsc warp between cpus")
        || lower.contains("tsc found unstable")
        || lower.contains("tsc warped randomly")
    {
        Some(LogEvent::TscUnstable(keep))
    } else if (lower.contains("clocksource") && lower.contains(" unstable"))
        || (lower.contains("marking clocksource") && lower.contains("as unstable"))
    {
        Some(LogEvent::ClocksourceUnstable(keep))
    } else if let Some(i) = lower.find("switched to clocksource ") {
        let to = msg[i + "switched to clocksource ".len()..].split_whitespace().next().unwrap_or("").to_string();
        Some(LogEvent::Switched { to, line: keep })
    } else if lower.contains("timesync ic: stale time stamp") {
        Some(LogEvent::HyperVStale(keep))
    } else {
        None
    }
}

/// Every clock event in a kernel log text (kmsg records or syslog lines).
pub fn scan(text: &str) -> Vec<LogEvent> {
    text.lines().filter_map(classify).collect()
}

/// Reads a kernel log to its current end without blocking: /dev/kmsg (one
/// record per read) or a plain file. Records lost to ring-buffer overwrites
/// (EPIPE) are skipped.
pub fn read_log(file: &mut std::fs::File) -> io::Result<String> {
    let mut all = Vec::new();
    let mut buf = vec![0u8; 8192];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.raw_os_error() == Some(libc::EPIPE) || e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(String::from_utf8_lossy(&all).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel lines quoted in field report 002 (VMware ESX 3.5 guest).
    const SEED_002: &str = "\
Dec 21 13:55:05 hosting2-front02 kernel: Clocksource tsc unstable (delta = 4688700040 ns)
kernel: checking TSC synchronization [CPU#0 -> CPU#1]: passed.
kernel: checking TSC synchronization [CPU#0 -> CPU#3]:
kernel: Measured 6 cycles TSC warp between CPUs, turning off TSC clock.
kernel: Marking TSC unstable due to: check_tsc_sync_source failed.
kernel: Brought up 4 CPUs
";

    #[test]
    fn seed_002_lines_are_found() {
        let ev = scan(SEED_002);
        assert_eq!(ev.len(), 3, "{ev:?}");
        assert_eq!(ev[0], LogEvent::ClocksourceUnstable("Clocksource tsc unstable (delta = 4688700040 ns)".into()));
        assert!(matches!(&ev[1], LogEvent::TscUnstable(l) if l.starts_with("Measured 6 cycles")));
        assert!(matches!(&ev[2], LogEvent::TscUnstable(l) if l.ends_with("check_tsc_sync_source failed.")));
    }

    #[test]
    fn kmsg_records_and_modern_messages() {
        let text = "6,339,5140900,-;clocksource: Switched to clocksource kvm-clock\n \
                    SUBSYSTEM=foo\n\
                    4,900,9140900,-;clocksource: timekeeping watchdog on CPU1: Marking clocksource 'tsc' as unstable because the skew is too large:\n\
                    4,901,9140901,-;tsc: Marking TSC unstable due to clocksource watchdog\n\
                    6,902,9140902,-;clocksource: Switched to clocksource hpet\n";
        let ev = scan(text);
        assert_eq!(ev.len(), 4, "{ev:?}");
        assert_eq!(
            ev[0],
            LogEvent::Switched {
                to: "kvm-clock".into(),
                line: "clocksource: Switched to clocksource kvm-clock".into()
            }
        );
        assert!(matches!(ev[1], LogEvent::ClocksourceUnstable(_)));
        assert!(matches!(ev[2], LogEvent::TscUnstable(_)));
        assert!(matches!(&ev[3], LogEvent::Switched { to, .. } if to == "hpet"));
        assert!(!ev[3].is_instability() && ev[2].is_instability());
    }

    #[test]
    fn unrelated_lines_are_ignored() {
        assert!(scan("kernel: Brought up 4 CPUs\nrandom words\n\n").is_empty());
    }
}
