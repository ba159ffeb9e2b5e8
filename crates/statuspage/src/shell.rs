//! What every page has around its body: the head (refresh, viewport, the
//! one inline style sheet) and the footer that says the page is read-only.

use crate::escape::escape;

/// Seconds between the browser's reloads of a page.
pub const REFRESH_SECS: u32 = 10;

/// The style sheet, inline: no external resource, no script. A state is
/// shown by its word and by the colour of its class (`st-up`,
/// `st-crash-loop`, ...: the word with `-` for spaces).
const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;padding:0.8em;max-width:72em;\
color:#1b1b1b;background:#fafafa;line-height:1.4}\
h1{font-size:1.3em;margin:0.2em 0 0.5em}\
a{color:#0b57a4}\
.clock{padding:0.5em 0.8em;border-radius:4px;margin:0 0 0.8em;border-left:6px solid #888;background:#eee}\
.clock.lv-ok{border-color:#2e7d32}.clock.lv-warning{border-color:#c77c00;background:#fff4dc}\
.clock.lv-critical{border-color:#c62828;background:#fde7e7}.clock.lv-unknown{border-color:#888}\
.scroll{overflow-x:auto}\
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}\
th,td{padding:0.35em 0.6em;border-bottom:1px solid #ddd;text-align:left;white-space:nowrap}\
th{background:#eee}td.n,th.n{text-align:right}td.why{white-space:normal}\
.st{display:inline-block;padding:0.05em 0.5em;border-radius:3px;font-weight:600;color:#fff;background:#777}\
.st-up{background:#2e7d32}.st-crash-loop,.st-unknown{background:#c62828}\
.st-wants-up,.st-paused,.st-finish{background:#c77c00}\
.st-down,.st-unsupervised{background:#e0e0e0;color:#333}\
pre{background:#fff;border:1px solid #ddd;padding:0.6em;overflow-x:auto;font-size:0.85em;white-space:pre-wrap;\
word-break:break-all}\
footer{margin-top:1.2em;font-size:0.85em;color:#555}\
@media (max-width:40em){body{padding:0.4em;font-size:0.92em}th,td{padding:0.3em 0.35em}}\
";

/// Appends the document up to the start of the body's content, `title`
/// escaped.
pub fn open(out: &mut String, title: &[u8]) {
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta http-equiv=\"refresh\" content=\"");
    out.push_str(&REFRESH_SECS.to_string());
    out.push_str("\">\n<title>");
    escape(out, title);
    out.push_str("</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n");
}

/// Appends the footer (when the page was made, local time; read-only) and
/// closes the document.
pub fn close(out: &mut String, now: i64) {
    out.push_str(
        "<footer>Read-only: nothing on this page or its server starts, stops or changes a service \
                  (use svc on the machine). Made at ",
    );
    let mut when = Vec::new();
    tai64::LocalFormatter::new().push_date_time(now, &mut when);
    escape(out, &when);
    out.push_str(", reloaded every ");
    out.push_str(&REFRESH_SECS.to_string());
    out.push_str(" s.</footer>\n</body>\n</html>\n");
}
