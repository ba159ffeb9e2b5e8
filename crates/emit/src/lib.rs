//! Output for machines, one writer per format, shared by every program that
//! prints it (`svstat -j`, `tend clock --json/--prometheus`, the exporters):
//! [`json::Json`] writes JSON as it goes (no value tree), [`prometheus::Exposition`]
//! writes the Prometheus text exposition format. Both write into memory: a
//! caller prints a whole line or file at once ([`write_atomically`] for a
//! file), so a reader never sees half of one.
//!
//! ```
//! let mut j = emit::json::Json::new();
//! j.object(|j| {
//!     j.field("directory", b"svc/\xff".as_slice());
//!     j.field("pid", 4242u32);
//! });
//! assert_eq!(j.into_string(), "{\"directory\":\"svc/\u{fffd}\",\"pid\":4242}");
//!
//! let mut p = emit::prometheus::Exposition::new();
//! p.family("tend_up", "1 if up.", emit::prometheus::Type::Gauge).sample(&[("service", "a\"b")], 1.0);
//! assert_eq!(p.into_string(), "# HELP tend_up 1 if up.\n# TYPE tend_up gauge\ntend_up{service=\"a\\\"b\"} 1\n");
//! ```

#![forbid(unsafe_code)]

pub mod json;
pub mod prometheus;

/// Writes `text` to `path` through a temporary name beside it (`PATH.tmp`)
/// renamed over it, so that a reader (node_exporter's textfile collector)
/// never sees half a file.
pub fn write_atomically(path: &std::path::Path, text: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}
