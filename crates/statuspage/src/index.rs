//! The index page: the clock verdict, then one table row a service (name
//! linked to its log page, state, time in that state, restarts, last exit,
//! CPU %, memory).

use resources::{human, Phase, ServiceState, Source, Usage};
use svstatus::LastExit;
use timehealth::Report;

use crate::escape::{escape, percent_encode};
use crate::shell;

/// One service of the index, as read by the caller.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// `NAME` or `NAME/log`, as `tend status` shows it.
    pub name: &'a [u8],
    pub state: &'a ServiceState,
    /// What it uses now, when it has processes.
    pub usage: Option<&'a Usage>,
    /// CPU % of one core since the previous sample (`resources::cpu_percent`).
    pub cpu_percent: Option<f64>,
}

/// The index page of the services in `rows` (titled `title`, e.g. the scan
/// directory), with the clock verdict of `clock` at the top (None: not
/// checked yet), made at `now` (Unix seconds, shown as local time).
pub fn index(title: &[u8], rows: &[Row], clock: Option<&Report>, now: i64) -> String {
    let mut out = String::with_capacity(4096 + rows.len() * 400);
    let heading = [b"tend: ", title].concat();
    shell::open(&mut out, &heading);
    out.push_str("<h1>");
    escape(&mut out, &heading);
    out.push_str("</h1>\n");
    clock_line(&mut out, clock);
    counts(&mut out, rows);
    out.push_str(
        "<div class=\"scroll\"><table>\n<thead><tr><th>Service</th><th>State</th><th class=\"n\">Time</th>\
         <th class=\"n\">Restarts</th><th class=\"n\">Last exit</th><th class=\"n\">CPU</th>\
         <th class=\"n\">Memory</th></tr></thead>\n<tbody>\n",
    );
    for row in rows {
        service_row(&mut out, row);
    }
    if rows.is_empty() {
        out.push_str("<tr><td colspan=\"7\">No service in this tree.</td></tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
    shell::close(&mut out, now);
    out
}

/// `Clock OK: offset +0.000012 s to ...`, coloured by its level.
fn clock_line(out: &mut String, clock: Option<&Report>) {
    let (class, level, summary) = match clock {
        Some(r) => {
            let level = r.verdict().name();
            (level.to_ascii_lowercase(), level, timehealth::text::summary(r))
        }
        None => ("unknown".to_string(), "not checked", "the first check has not ended yet".to_string()),
    };
    out.push_str("<p class=\"clock lv-");
    out.push_str(&class);
    out.push_str("\"><strong>Clock ");
    out.push_str(level);
    out.push_str("</strong>: ");
    escape(out, summary.as_bytes());
    out.push_str("</p>\n");
}

/// `5 services: 3 up, 1 crash-loop, 1 down.`: how many are in each state,
/// the states that need a look first.
fn counts(out: &mut String, rows: &[Row]) {
    const ORDER: [Phase; 8] = [
        Phase::CrashLoop,
        Phase::Unknown,
        Phase::WantsUp,
        Phase::Finishing,
        Phase::Paused,
        Phase::Up,
        Phase::Down,
        Phase::Unsupervised,
    ];
    out.push_str("<p>");
    out.push_str(&rows.len().to_string());
    out.push_str(if rows.len() == 1 { " service" } else { " services" });
    let mut first = true;
    for phase in ORDER {
        let n = rows.iter().filter(|r| r.state.phase == phase).count();
        if n > 0 {
            out.push_str(if std::mem::take(&mut first) { ": " } else { ", " });
            out.push_str(&n.to_string());
            out.push(' ');
            out.push_str(phase.word());
        }
    }
    out.push_str(".</p>\n");
}

/// One `<tr>`: the name (a link to its log page unless it is a log service,
/// `NAME/log`), then the figures, `-` where there are none; for a record
/// that could not be read, why.
fn service_row(out: &mut String, row: &Row) {
    let name = row.name;
    out.push_str("<tr><td>");
    if name.contains(&b'/') {
        escape(out, name);
    } else {
        out.push_str("<a href=\"log/");
        escape(out, &percent_encode(name));
        out.push_str("\">");
        escape(out, name);
        out.push_str("</a>");
    }
    out.push_str("</td>");
    let s = row.state;
    badge(out, s.phase.word());
    if s.phase == Phase::Unknown {
        out.push_str("<td class=\"why\" colspan=\"5\">");
        escape(out, s.error.as_deref().unwrap_or_default().as_bytes());
        out.push_str("</td></tr>\n");
        return;
    }
    cell(out, s.since.map(|t| human::duration_short(t.age.as_secs())));
    cell(out, s.restarts.map(|n| n.to_string()));
    cell(out, s.last_exit.map(exit_word));
    cell(out, row.cpu_percent.map(|p| human::percent(p) + "%"));
    cell(out, row.usage.filter(|u| u.source != Source::None).map(|u| human::bytes(u.rss)));
    out.push_str("</tr>\n");
}

/// The state as a word in a coloured box (class `st-` and the word, `-`
/// for spaces).
fn badge(out: &mut String, word: &str) {
    out.push_str("<td><span class=\"st st-");
    out.push_str(&word.replace(' ', "-"));
    out.push_str("\">");
    escape(out, word.as_bytes());
    out.push_str("</span></td>");
}

/// A right-aligned figure, or `-`.
fn cell(out: &mut String, text: Option<String>) {
    out.push_str("<td class=\"n\">");
    escape(out, text.as_deref().unwrap_or("-").as_bytes());
    out.push_str("</td>");
}

/// `0`, `1`, `signal 9`.
fn exit_word(e: LastExit) -> String {
    match e {
        LastExit::Code(c) => c.to_string(),
        LastExit::Signal(s) => "signal ".to_string() + &s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use resources::{Since, Writer};
    use svstatus::Want;
    use timehealth::report::Finding;
    use timehealth::Level;

    use super::*;

    fn state(phase: Phase, age: u64, restarts: u64, last_exit: Option<LastExit>) -> ServiceState {
        ServiceState {
            phase,
            supervised: true,
            pid: (phase == Phase::Up).then_some(42),
            finish_pid: None,
            since: Some(Since { unix: 1_700_000_000, age: Duration::from_secs(age) }),
            normally_up: true,
            want: Some(Want::Up),
            restarts: Some(restarts),
            last_exit,
            ready: None,
            declares_readiness: None,
            writer: Some(Writer::Tend),
            status: None,
            error: None,
        }
    }

    /// A service's usage with `rss` bytes resident (from a reading of no
    /// process: the struct grows fields the page does not show).
    fn usage(rss: u64) -> Usage {
        Usage { source: Source::ProcessTree, rss, processes: 1, ..resources::usage(b"/nonexistent", None) }
    }

    /// The text of the `<tr>` whose first cell holds `name` (escaped).
    fn row_of<'p>(page: &'p str, name: &str) -> &'p str {
        page.split("<tr>")
            .find(|r| r.starts_with(&format!("<td>{name}")) || r.contains(&format!("\">{name}</a>")))
            .unwrap_or_else(|| panic!("no row for {name} in\n{page}"))
    }

    fn count(page: &str, s: &str) -> usize {
        page.matches(s).count()
    }

    #[test]
    fn every_service_with_its_state_word_colour_and_figures() {
        let up = state(Phase::Up, 3 * 3600 + 300, 0, None);
        let looping = state(Phase::CrashLoop, 3, 7, Some(LastExit::Code(1)));
        let down = ServiceState { pid: None, ..state(Phase::Down, 12, 1, Some(LastExit::Signal(9))) };
        let unreadable = ServiceState {
            phase: Phase::Unknown,
            error: Some("unable to read supervise/status: access denied".into()),
            ..state(Phase::Unknown, 0, 0, None)
        };
        let web_usage = usage(12_900_000);
        let row = |name: &'static [u8], state| Row { name, state, usage: None, cpu_percent: None };
        let rows = [
            Row { usage: Some(&web_usage), cpu_percent: Some(12.46), ..row(b"web", &up) },
            row(b"crashy", &looping),
            row(b"<script>alert(1)", &down),
            row(b"a&b\"c", &up),
            row(b"web/log", &up),
            row(b"locked", &unreadable),
        ];
        let page = index(b"/etc/service", &rows, None, 1_700_000_000);

        let web = row_of(&page, "web");
        assert!(web.contains("<a href=\"log/web\">web</a>"), "{web}");
        assert!(web.contains("<span class=\"st st-up\">up</span>"), "{web}");
        for figure in [">3h 5m<", ">0<", ">-<", ">12.5%<", ">12.3M<"] {
            assert!(web.contains(figure), "{figure} not in {web}");
        }
        let crash = row_of(&page, "crashy");
        assert!(crash.contains("<span class=\"st st-crash-loop\">crash-loop</span>"), "{crash}");
        assert!(crash.contains(">3s<") && crash.contains(">7<") && crash.contains(">1<"), "{crash}");
        assert!(page.contains(".st-crash-loop,") && page.contains(".st-up{background:#2e7d32}"));

        // Names are text, in the page and in the link.
        assert!(!page.contains("<script"), "{page}");
        // (A directory's name has no `/`: `</script>` cannot be one.)
        let script = row_of(&page, "&lt;script&gt;alert(1)");
        assert!(script.contains("href=\"log/%3Cscript%3Ealert%281%29\""), "{script}");
        assert!(script.contains(">signal 9<") && script.contains("st-down\">down<"), "{script}");
        let amp = row_of(&page, "a&amp;b&quot;c");
        assert!(amp.contains("href=\"log/a%26b%22c\""), "{amp}");
        // A log service has no log page of its own.
        assert!(row_of(&page, "web/log").starts_with("<td>web/log</td>"), "{page}");
        let broken = row_of(&page, "locked");
        assert!(broken.contains("st-unknown\">unknown<") && broken.contains("access denied"), "{broken}");

        assert!(page.contains("<p>6 services: 1 crash-loop, 1 unknown, 3 up, 1 down.</p>"), "{page}");
        // One row a service, every row and cell closed, 7 cells a row.
        assert_eq!(count(&page, "<tr>"), rows.len() + 1);
        assert_eq!(count(&page, "<tr>"), count(&page, "</tr>"));
        assert_eq!(count(&page, "<td"), count(&page, "</td>"));
        assert_eq!(count(&page, "<td") + count(&page, "colspan=\"5\"") * 4, rows.len() * 7);
    }

    #[test]
    fn a_plain_page_that_reloads_itself_and_says_it_is_read_only() {
        let page = index(b"/etc/service", &[], None, 0);
        assert!(page.starts_with("<!DOCTYPE html>\n"));
        assert!(page.contains("<meta http-equiv=\"refresh\" content=\"10\">"));
        assert!(page.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
        assert!(page.contains("<title>tend: /etc/service</title>"));
        assert!(page.contains("No service in this tree.") && page.contains("<p>0 services.</p>"));
        assert!(page.contains("<footer>Read-only: "));
        assert!(page.ends_with("</html>\n"));
        // No script, no external resource, nothing that acts.
        for banned in ["<script", "src=", "http:", "https:", "@import", "url(", "<form", "<link", "method="] {
            assert!(!page.contains(banned), "{banned} in\n{page}");
        }
    }

    #[test]
    fn the_clock_verdict_at_the_top() {
        let none = index(b"t", &[], None, 0);
        assert!(none.contains("<p class=\"clock lv-unknown\"><strong>Clock not checked</strong>"), "{none}");
        let ok = index(b"t", &[], Some(&Report::default()), 0);
        assert!(ok.contains("<p class=\"clock lv-ok\"><strong>Clock OK</strong>: no problem found</p>"), "{ok}");
        let finding = |level, what: &str| Finding { level, key: "k", what: what.into(), advice: String::new() };
        let bad = Report {
            findings: vec![
                finding(Level::Critical, "offset <b>301 s</b> & more"),
                finding(Level::Warning, "steal 12 %"),
            ],
            ..Report::default()
        };
        let page = index(b"t", &[], Some(&bad), 0);
        assert!(
            page.contains(
                "<p class=\"clock lv-critical\"><strong>Clock CRITICAL</strong>: \
                 offset &lt;b&gt;301 s&lt;/b&gt; &amp; more (and 1 more)</p>"
            ),
            "{page}"
        );
        assert!(page.find("class=\"clock").unwrap() < page.find("<table>").unwrap());
    }
}
