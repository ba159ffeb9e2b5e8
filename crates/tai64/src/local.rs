//! TAI64N labels as local time, the way daemontools' `tai64nlocal` prints them.

use crate::label::{hex_value, UNIX_OFFSET};

/// Formats unix seconds as `YYYY-MM-DD HH:MM:SS` in the local zone, caching
/// the last second (consecutive log lines mostly share it).
#[derive(Debug, Default)]
pub struct LocalFormatter {
    cached_secs: Option<i64>,
    cached: Vec<u8>,
}

impl LocalFormatter {
    /// Reads TZ (once per process, like the C library's first `localtime`).
    pub fn new() -> LocalFormatter {
        unix::time::tzset();
        LocalFormatter::default()
    }

    /// Appends `YYYY-MM-DD HH:MM:SS` for `unix_secs` to `out`, or returns
    /// false (appending nothing) when the time is out of the C library's range.
    pub fn push_date_time(&mut self, unix_secs: i64, out: &mut Vec<u8>) -> bool {
        if self.cached_secs != Some(unix_secs) {
            let Some(tm) = unix::time::localtime(unix_secs) else { return false };
            self.cached.clear();
            // daemontools prints the year with fmt_ulong(1900 + tm_year): an
            // int converted to unsigned long, so keep that arithmetic.
            let year = (1900i64 + tm.tm_year as i64) as u64;
            push_decimal(&mut self.cached, year, 1);
            self.cached.push(b'-');
            push_decimal(&mut self.cached, (tm.tm_mon + 1) as u64, 2);
            self.cached.push(b'-');
            push_decimal(&mut self.cached, tm.tm_mday as u64, 2);
            self.cached.push(b' ');
            push_decimal(&mut self.cached, tm.tm_hour as u64, 2);
            self.cached.push(b':');
            push_decimal(&mut self.cached, tm.tm_min as u64, 2);
            self.cached.push(b':');
            push_decimal(&mut self.cached, tm.tm_sec as u64, 2);
            self.cached_secs = Some(unix_secs);
        }
        out.extend_from_slice(&self.cached);
        true
    }
}

/// Appends `n` in decimal, zero-padded to at least `width` digits.
fn push_decimal(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    while n > 0 || digits.len() - i < width {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(&digits[i..]);
}

/// Converts one line (with its `\n`, if any) as daemontools' `tai64nlocal`
/// does, appending the result to `out`.
///
/// A line starting with `@` has its run of lowercase hex digits read with
/// daemontools' arithmetic (any length, wrapping), then printed as local time
/// with 9-digit nanoseconds, followed by the rest of the line. Where
/// daemontools crashes (the C library cannot represent the time: short, empty,
/// uppercase or non-hex labels) and where the label runs to the end of the
/// input with nothing after it (daemontools drops it), the line is passed
/// through unchanged.
pub fn convert_line(line: &[u8], fmt: &mut LocalFormatter, out: &mut Vec<u8>) {
    if line.first() != Some(&b'@') {
        out.extend_from_slice(line);
        return;
    }
    let mut secs: u64 = 0;
    let mut nanos: u64 = 0;
    let mut end = 1;
    while let Some(v) = line.get(end).and_then(|&c| hex_value(c)) {
        secs = (secs << 4).wrapping_add(nanos >> 28);
        nanos = ((nanos & 0x0fff_ffff) << 4) + v as u64;
        end += 1;
    }
    if end == line.len() {
        out.extend_from_slice(line);
        return;
    }
    let unix = secs.wrapping_sub(UNIX_OFFSET) as i64;
    let start = out.len();
    if !fmt.push_date_time(unix, out) {
        out.truncate(start);
        out.extend_from_slice(line);
        return;
    }
    out.push(b'.');
    push_decimal(out, nanos, 9);
    out.extend_from_slice(&line[end..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(s: &str) -> String {
        std::env::set_var("TZ", "UTC");
        let mut f = LocalFormatter::new();
        let mut out = Vec::new();
        convert_line(s.as_bytes(), &mut f, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn converts_a_label() {
        assert_eq!(convert("@4000000037c219bf2ef02e94 mark\n"), "1999-08-24 04:04:05.787492500 mark\n");
    }

    #[test]
    fn malformed_labels_pass_through() {
        for s in ["@zz x\n", "@ x\n", "@400000003\n", "@4000000037C219BF2EF02E94 x\n", "@\n", "plain\n", ""] {
            assert_eq!(convert(s), s);
        }
    }

    #[test]
    fn a_label_with_nothing_after_it_is_kept() {
        assert_eq!(convert("@4000000037c219bf2ef02e94"), "@4000000037c219bf2ef02e94");
    }

    #[test]
    fn decimal_padding() {
        let mut v = Vec::new();
        push_decimal(&mut v, 7, 9);
        push_decimal(&mut v, 0, 1);
        push_decimal(&mut v, 4294967295, 9);
        assert_eq!(v, b"00000000704294967295");
    }
}
