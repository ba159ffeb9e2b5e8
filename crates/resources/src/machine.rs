//! The machine's own figures that a view of its services shows beside
//! them: the load average (`/proc/loadavg`).

use std::path::Path;

/// The 1, 5 and 15 minute load averages; None if /proc/loadavg cannot be
/// read or parsed.
pub fn loadavg() -> Option<[f64; 3]> {
    parse_loadavg(&crate::procfs::read(Path::new("/proc/loadavg")).ok()?)
}

/// The first three fields of /proc/loadavg's text.
pub fn parse_loadavg(text: &[u8]) -> Option<[f64; 3]> {
    let text = std::str::from_utf8(text).ok()?;
    let mut fields =
        text.split_ascii_whitespace().map(|f| f.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0));
    Some([fields.next()??, fields.next()??, fields.next()??])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_and_garbage() {
        assert_eq!(parse_loadavg(b"0.52 0.40 0.31 2/345 12345\n"), Some([0.52, 0.40, 0.31]));
        assert_eq!(parse_loadavg(b"0.52 0.40\n"), None);
        assert_eq!(parse_loadavg(b"x 1 2\n"), None);
        assert_eq!(parse_loadavg(b"-1 1 2\n"), None);
        assert_eq!(parse_loadavg(b""), None);
        assert!(loadavg().is_some(), "this machine's /proc/loadavg");
    }
}
