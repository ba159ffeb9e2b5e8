//! A service's log page: which service a `/log/NAME` URL names (looked up
//! among the tree's services, never joined onto a path), and its last log
//! lines with their TAI64N labels as local time.

use crate::escape::{escape, percent_decode};
use crate::shell;

/// Lines a log page shows, at most: the caller reads this many.
pub const LOG_LINES: usize = 100;

/// What the caller found of a service's log.
#[derive(Debug, Clone, Copy)]
pub enum Log<'a> {
    /// It has no log directory (`resources::log::log_dir`).
    Missing,
    /// The last lines of the log directory `dir` (`current`, then its
    /// archives after a rotation), oldest first, without newlines.
    Lines { dir: &'a [u8], lines: &'a [Vec<u8>] },
    /// A file of the log directory, `path`, could not be read, and why.
    Unreadable { path: &'a [u8], why: &'a str },
}

/// The name of the service a log page's URL segment (what follows
/// `/log/`, still percent-encoded) asks for, for the caller to look up
/// among its tree's services by name (never to join onto a path). None
/// (404) for a bad escape, an empty name, `.`, `..`, and a name with `/`
/// (log services, `NAME/log`, have no log page) or NUL.
pub fn log_name(segment: &[u8]) -> Option<Vec<u8>> {
    let name = percent_decode(segment)?;
    let refused = matches!(name.as_slice(), b"" | b"." | b"..") || name.contains(&b'/') || name.contains(&0);
    (!refused).then_some(name)
}

/// The log page of the service named `name`, made at `now` (Unix seconds).
pub fn log_page(name: &[u8], log: &Log, now: i64) -> String {
    let mut out = String::with_capacity(4096 + LOG_LINES * 120);
    let heading = [b"tend: log of ", name].concat();
    shell::open(&mut out, &heading);
    out.push_str("<p><a href=\"../\">&larr; all services</a></p>\n<h1>Log of ");
    escape(&mut out, name);
    out.push_str("</h1>\n");
    match *log {
        Log::Missing => {
            out.push_str("<p>");
            escape(&mut out, name);
            out.push_str(
                " has no log directory: no <code>log/run</code> running multilog, svlogd or s6-log on a \
                 directory, and no <code>log/main</code>.</p>\n",
            );
        }
        Log::Unreadable { path, why } => {
            out.push_str("<p>Unable to read ");
            escape(&mut out, path);
            out.push_str(": ");
            escape(&mut out, why.as_bytes());
            out.push_str("</p>\n");
        }
        Log::Lines { dir, lines: [] } => {
            out.push_str("<p>");
            escape(&mut out, dir);
            out.push_str(" holds no line yet.</p>\n");
        }
        Log::Lines { dir, lines } => {
            match lines.len() {
                1 => out.push_str("<p>The last line of "),
                n => {
                    out.push_str("<p>The last ");
                    out.push_str(&n.to_string());
                    out.push_str(" lines of ");
                }
            }
            escape(&mut out, dir);
            out.push_str(", oldest first, times local.</p>\n<pre>");
            let mut local = tai64::LocalFormatter::new();
            let mut shown = Vec::new();
            for line in lines {
                shown.clear();
                tai64::convert_line(line, &mut local, &mut shown);
                shown.push(b'\n');
                escape(&mut out, &shown);
            }
            out.push_str("</pre>\n");
        }
    }
    shell::close(&mut out, now);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_only() {
        let name = |segment: &[u8]| log_name(segment).map(|n| String::from_utf8_lossy(&n).into_owned());
        assert_eq!(name(b"web").as_deref(), Some("web"));
        assert_eq!(name(b"%3Cscript%3E").as_deref(), Some("<script>"));
        assert_eq!(name(b"a%26b%22c").as_deref(), Some("a&b\"c"));
        assert_eq!(name(b"...").as_deref(), Some("..."));
        for refused in [
            &b""[..],
            b".",
            b"..",
            b"%2e%2e",
            b"web/log",
            b"web%2Flog",
            b"../web",
            b"..%2Fweb",
            b"%2Fetc%2Fpasswd",
            b"web%00",
            b"we%",
        ] {
            assert_eq!(name(refused), None, "{}", String::from_utf8_lossy(refused));
        }
    }

    #[test]
    fn the_last_lines_with_local_times_as_text() {
        let lines = [
            b"@4000000037c219bf2ef02e94 started".to_vec(),
            b"@4000000037c219c000000000 <script>alert(1)</script> & \xff".to_vec(),
            b"no label".to_vec(),
        ];
        let page = log_page(b"<script>", &Log::Lines { dir: b"/srv/<script>/log/main", lines: &lines }, 0);
        assert!(!page.contains("<script"), "{page}");
        assert!(page.contains("<title>tend: log of &lt;script&gt;</title>"), "{page}");
        assert!(page.contains("<h1>Log of &lt;script&gt;</h1>"), "{page}");
        assert!(page.contains("<a href=\"../\">"), "{page}");
        assert!(page.contains("The last 3 lines of /srv/&lt;script&gt;/log/main, oldest"), "{page}");
        let pre = page.split("<pre>").nth(1).and_then(|p| p.split("</pre>").next()).expect("a <pre>");
        let shown: Vec<&str> = pre.lines().collect();
        assert_eq!(shown.len(), 3, "{pre}");
        // 935467445 s after the epoch, 1999-08-24 in every zone's local time.
        for (line, rest) in shown.iter().zip([" started", " &lt;script&gt;alert(1)&lt;/script&gt; &amp; \u{fffd}"]) {
            let (date, after) = line.split_at(29);
            assert!(date.starts_with("1999-08-2") && date.as_bytes()[19] == b'.', "{line}");
            assert_eq!(after, rest);
        }
        assert_eq!(shown[2], "no label");
        assert!(page.contains("<meta http-equiv=\"refresh\" content=\"10\">") && page.contains("Read-only"));
    }

    #[test]
    fn one_line_or_none() {
        let one = [b"@4000000037c219bf2ef02e94 started".to_vec()];
        let page = log_page(b"web", &Log::Lines { dir: b"/srv/web/log/main", lines: &one }, 0);
        assert!(page.contains("<p>The last line of /srv/web/log/main, oldest first"), "{page}");
        let page = log_page(b"web", &Log::Lines { dir: b"/srv/web/log/main", lines: &[] }, 0);
        assert!(page.contains("<p>/srv/web/log/main holds no line yet.</p>") && !page.contains("<pre>"), "{page}");
    }

    #[test]
    fn no_log_or_an_unreadable_one_is_said() {
        let page = log_page(b"a&b", &Log::Missing, 0);
        assert!(page.contains("<p>a&amp;b has no log directory"), "{page}");
        assert!(!page.contains("<pre>"));
        let page = log_page(b"web", &Log::Unreadable { path: b"/srv/web/log/main/current", why: "access denied" }, 0);
        assert!(page.contains("<p>Unable to read /srv/web/log/main/current: access denied</p>"), "{page}");
    }
}
