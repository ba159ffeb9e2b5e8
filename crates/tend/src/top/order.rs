//! The order of the rows: sorted by the chosen key, but steady. Between
//! refreshes a row moves above its neighbour only when its key beats the
//! neighbour's by more than a margin (CPU: 1 point or a tenth of the
//! neighbour's, whichever is more; memory: a tenth or 1 MiB; restarts: any
//! difference; name: always), and ties or near-ties keep the previous
//! order, so a name stays where the eye found it (field report 004).
//! Choosing another key sorts strictly once.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::table::Row;

/// What the rows are sorted by (`c`, `m`, `r`, `n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Cpu,
    Memory,
    Restarts,
    Name,
}

impl SortKey {
    /// The key a keypress chooses.
    pub fn from_key(key: u8) -> Option<SortKey> {
        match key {
            b'c' => Some(SortKey::Cpu),
            b'm' => Some(SortKey::Memory),
            b'r' => Some(SortKey::Restarts),
            b'n' => Some(SortKey::Name),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SortKey::Cpu => "cpu",
            SortKey::Memory => "memory",
            SortKey::Restarts => "restarts",
            SortKey::Name => "name",
        }
    }
}

/// Orders `rows`: first as `previous` (the names in the order last shown;
/// new names after them, by name), then by `key`, strictly when `strict`
/// (a new key), else with the margins of the module's rule.
pub fn arrange(rows: &mut [Row], previous: &[String], key: SortKey, strict: bool) {
    let at: HashMap<&str, usize> = previous.iter().enumerate().map(|(i, name)| (name.as_str(), i)).collect();
    let position = |r: &Row| at.get(r.name.as_str()).copied().unwrap_or(usize::MAX);
    rows.sort_by(|a, b| position(a).cmp(&position(b)).then_with(|| a.name.cmp(&b.name)));
    if strict {
        rows.sort_by(|a, b| compare(a, b, key).reverse());
        return;
    }
    // Insertion sort: a row climbs while it clearly beats the one above.
    for i in 1..rows.len() {
        for j in (1..=i).rev() {
            let (above, below) = rows.split_at_mut(j);
            match (above.last_mut(), below.first_mut()) {
                (Some(a), Some(b)) if beats(b, a, key) => std::mem::swap(a, b),
                _ => break,
            }
        }
    }
}

/// How `a` compares with `b` for `key`, `Greater` meaning "shown first".
fn compare(a: &Row, b: &Row, key: SortKey) -> Ordering {
    match key {
        SortKey::Cpu => a.cpu.unwrap_or(-1.0).total_cmp(&b.cpu.unwrap_or(-1.0)),
        SortKey::Memory => a.memory.cmp(&b.memory),
        SortKey::Restarts => a.restarts.cmp(&b.restarts),
        SortKey::Name => b.name.cmp(&a.name),
    }
}

/// Whether `a` should move above `b`: it comes first by more than the margin.
fn beats(a: &Row, b: &Row, key: SortKey) -> bool {
    match key {
        SortKey::Cpu => {
            let (a, b) = (a.cpu.unwrap_or(-1.0), b.cpu.unwrap_or(-1.0));
            a - b > (b / 10.0).max(1.0)
        }
        SortKey::Memory => {
            let (a, b) = (a.memory.unwrap_or(0), b.memory.unwrap_or(0));
            a.saturating_sub(b) > (b / 10).max(1 << 20)
        }
        _ => compare(a, b, key) == Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, cpu: f64, memory: u64, restarts: u64) -> Row {
        Row { name: name.into(), cpu: Some(cpu), memory: Some(memory), restarts: Some(restarts), ..Row::default() }
    }

    fn names(rows: &[Row]) -> Vec<&str> {
        rows.iter().map(|r| r.name.as_str()).collect()
    }

    fn shown(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn a_new_key_sorts_strictly_ties_keep_the_previous_order() {
        let mut rows = vec![row("a", 1.0, 5, 0), row("b", 30.0, 9, 2), row("c", 1.0, 7, 1)];
        arrange(&mut rows, &shown(&["c", "a", "b"]), SortKey::Cpu, true);
        assert_eq!(names(&rows), ["b", "c", "a"]);
        arrange(&mut rows, &shown(&["b", "c", "a"]), SortKey::Memory, true);
        assert_eq!(names(&rows), ["b", "c", "a"]);
        arrange(&mut rows, &shown(&["b", "c", "a"]), SortKey::Restarts, true);
        assert_eq!(names(&rows), ["b", "c", "a"]);
        arrange(&mut rows, &shown(&["b", "c", "a"]), SortKey::Name, true);
        assert_eq!(names(&rows), ["a", "b", "c"]);
    }

    #[test]
    fn rows_within_the_margin_keep_their_place() {
        let previous = shown(&["web", "db", "cron"]);
        let mut rows = vec![row("cron", 1.5, 0, 0), row("db", 50.0, 0, 0), row("web", 48.0, 0, 0)];
        arrange(&mut rows, &previous, SortKey::Cpu, false);
        assert_eq!(names(&rows), ["web", "db", "cron"], "db is within a tenth of web, cron within a point of 0.5");
        let mut rows = vec![row("cron", 0.0, 0, 0), row("db", 60.0, 0, 0), row("web", 48.0, 0, 0)];
        arrange(&mut rows, &previous, SortKey::Cpu, false);
        assert_eq!(names(&rows), ["db", "web", "cron"]);
    }

    #[test]
    fn a_burner_climbs_to_the_top_and_new_services_come_last() {
        let previous = shown(&["a", "b", "c"]);
        let mut rows = vec![row("a", 2.0, 0, 0), row("b", 1.0, 0, 0), row("c", 99.0, 0, 0), row("new", 0.0, 0, 0)];
        arrange(&mut rows, &previous, SortKey::Cpu, false);
        assert_eq!(names(&rows), ["c", "a", "b", "new"]);
    }

    #[test]
    fn memory_needs_a_tenth_more_to_move_up() {
        let previous = shown(&["a", "b"]);
        let mut rows = vec![row("a", 0.0, 100 << 20, 0), row("b", 0.0, 105 << 20, 0)];
        arrange(&mut rows, &previous, SortKey::Memory, false);
        assert_eq!(names(&rows), ["a", "b"]);
        rows[1].memory = Some(120 << 20);
        arrange(&mut rows, &previous, SortKey::Memory, false);
        assert_eq!(names(&rows), ["b", "a"]);
    }

    #[test]
    fn unknown_figures_sort_last() {
        let mut rows = vec![Row { name: "x".into(), ..Row::default() }, row("y", 0.0, 0, 0)];
        arrange(&mut rows, &[], SortKey::Cpu, true);
        assert_eq!(names(&rows), ["y", "x"]);
    }
}
