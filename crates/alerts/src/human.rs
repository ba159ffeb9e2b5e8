//! TEMPORARY until resources::human is merged.
use std::time::Duration;
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 && s % 60 == 0 { format!("{}m", s / 60) } else { format!("{s}s") }
}
pub fn bytes(n: u64) -> String {
    format!("{:.1}M", n as f64 / 1048576.0)
}
