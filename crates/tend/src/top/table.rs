//! One snapshot as lines of text: the header (time, load, steal, clock
//! verdict, services up and down) and one row per service in aligned
//! columns. The same lines go to the terminal (cut to its width by
//! [`super::screen::Frame`]) and, whole, to batch mode.

use resources::human;

use super::order::SortKey;

/// One service's figures, as sampled; None where unknown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    pub name: String,
    pub state: String,
    pub up: bool,
    /// Seconds in the current state.
    pub uptime: Option<u64>,
    pub pid: Option<u32>,
    pub restarts: Option<u64>,
    /// Percent of one core over the last interval.
    pub cpu: Option<f64>,
    /// Resident bytes.
    pub memory: Option<u64>,
    /// The process that burned most CPU over the interval.
    pub busiest: Option<String>,
}

/// The machine's figures for the header.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Header {
    /// Local time, `HH:MM:SS`.
    pub time: String,
    pub load: Option<[f64; 3]>,
    /// Steal time over the last interval, percent.
    pub steal: Option<f64>,
    /// The clock verdict (`OK`, `WARNING kernel_unsync`, ...).
    pub clock: String,
}

/// The columns after the name, and their widths: the state left-aligned,
/// the figures right-aligned. (One string, not a table of `&str`: see
/// `programs::NAMES` on relocated pointers.)
const TITLES: &str = "STATE UPTIME PID RST CPU% MEM";
const WIDTHS: [usize; 6] = [12, 7, 7, 5, 6, 6];
const GAP: &str = "  ";
/// The width left at least for the busiest process's name on a terminal.
const BUSIEST_MIN: usize = 10;

/// The lines of one snapshot. `width` is the terminal's (None in batch mode:
/// names are never cut); `keys` adds the key help for the full-screen view.
pub fn lines(header: &Header, rows: &[Row], sort: SortKey, width: Option<usize>, keys: bool) -> Vec<String> {
    let up = rows.iter().filter(|r| r.up).count();
    let load = match header.load {
        Some([a, b, c]) => format!("load {a:.2} {b:.2} {c:.2}"),
        None => "load -".into(),
    };
    let steal = header.steal.map_or("-".into(), |s| format!("{s:.1}%"));
    let mut out = vec![
        format!("tend top {}  {load}  steal {steal}  clock {}", header.time, header.clock),
        format!(
            "{} services: {up} up, {} down  sorted by {}{}",
            rows.len(),
            rows.len() - up,
            sort.name(),
            if keys { "  keys: c m r n, q quits" } else { "" }
        ),
        String::new(),
    ];
    let longest = rows.iter().map(|r| r.name.chars().count()).max().unwrap_or(0).max(4);
    let fixed: usize = WIDTHS.iter().map(|w| w + GAP.len()).sum::<usize>() + GAP.len();
    let name_width = match width {
        Some(w) => longest.min(w.saturating_sub(fixed + BUSIEST_MIN).max(8)),
        None => longest,
    };
    let mut titles = TITLES.split(' ').map(String::from);
    let titles = [(); 6].map(|()| titles.next().unwrap_or_default());
    out.push(line(&cut("NAME", name_width), &titles, "BUSIEST"));
    for r in rows {
        let cells = [
            r.state.clone(),
            r.uptime.map_or("-".into(), human::duration_short),
            r.pid.map_or("-".into(), |p| p.to_string()),
            r.restarts.map_or("-".into(), |n| n.to_string()),
            r.cpu.map_or("-".into(), human::percent),
            r.memory.map_or("-".into(), human::bytes),
        ];
        out.push(line(&cut(&r.name, name_width), &cells, r.busiest.as_deref().unwrap_or("-")));
    }
    out
}

/// A row: the name (already `name_width` wide), the fixed columns, the
/// busiest process last. Trailing blanks are left off.
fn line(name: &str, cells: &[String; 6], busiest: &str) -> String {
    let mut s = name.to_string();
    for (i, (width, cell)) in WIDTHS.iter().zip(cells).enumerate() {
        s.push_str(GAP);
        if i == 0 {
            s.push_str(&format!("{cell:<width$}"));
        } else {
            s.push_str(&format!("{cell:>width$}"));
        }
    }
    s.push_str(GAP);
    s.push_str(busiest);
    s.truncate(s.trim_end().len());
    s
}

/// `text` padded or cut to `width` characters (a cut name ends in `~`).
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return format!("{text:<width$}");
    }
    let mut s: String = text.chars().take(width.saturating_sub(1)).collect();
    s.push('~');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header { time: "12:00:00".into(), load: Some([0.5, 0.25, 0.0]), steal: Some(1.25), clock: "OK".into() }
    }

    fn web() -> Row {
        Row {
            name: "web".into(),
            state: "up".into(),
            up: true,
            uptime: Some(90),
            pid: Some(1234),
            restarts: Some(2),
            cpu: Some(98.5),
            memory: Some(12 << 20),
            busiest: Some("sh".into()),
        }
    }

    #[test]
    fn header_and_aligned_rows() {
        let down = Row { name: "a-very-long-service-name".into(), state: "down".into(), ..Row::default() };
        let l = lines(&header(), &[web(), down], SortKey::Cpu, None, false);
        assert_eq!(l[0], "tend top 12:00:00  load 0.50 0.25 0.00  steal 1.2%  clock OK");
        assert_eq!(l[1], "2 services: 1 up, 1 down  sorted by cpu");
        assert_eq!(l[2], "");
        assert_eq!(l[3], "NAME                      STATE          UPTIME      PID    RST    CPU%     MEM  BUSIEST");
        assert!(l[4].starts_with("web                       up"), "{}", l[4]);
        assert!(l[4].contains("  1234      2    98.5"), "{}", l[4]);
        assert!(l[4].ends_with("  sh"), "{}", l[4]);
        assert!(l[5].starts_with("a-very-long-service-name  down"), "{}", l[5]);
        let cols: Vec<usize> = l[3..].iter().map(|s| s.find("CPU%").or(s.find("98.5")).unwrap_or(0)).collect();
        assert_eq!(cols[0], cols[1], "CPU% is right-aligned over its figures");
    }

    #[test]
    fn a_terminal_cuts_long_names() {
        let long = Row { name: "x".repeat(100), ..web() };
        let l = lines(&header(), &[long], SortKey::Cpu, Some(80), true);
        assert!(l[1].ends_with("keys: c m r n, q quits"));
        let name = l[4].split_whitespace().next().unwrap();
        assert!(name.ends_with('~') && name.len() < 20, "{name}");
        assert!(l[4].ends_with("  sh"));
    }
}
