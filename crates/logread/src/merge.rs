//! Several directories' lines interleaved by time: each step takes the
//! source whose next line is earliest (a line without a stamp counts at its
//! source's last time), the first source on a tie. Each source stays in its
//! file order; where its time goes back (a clock step), a marker comes
//! first.

use std::collections::VecDeque;

use tai64::Label;

use crate::history::{Failed, History};
use crate::reader::Line;

/// A source of lines in file order.
pub trait Source {
    fn next_line(&mut self) -> Result<Option<Line>, Failed>;
}

impl Source for History {
    fn next_line(&mut self) -> Result<Option<Line>, Failed> {
        History::next_line(self)
    }
}

impl Source for VecDeque<Line> {
    fn next_line(&mut self) -> Result<Option<Line>, Failed> {
        Ok(self.pop_front())
    }
}

/// What comes out, with the index of its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Line(usize, Line),
    /// The source's time goes back from the first label to the second.
    Back(usize, Label, Label),
}

/// Interleaves `sources`, calling `each` with every item; `each` returns
/// false to stop.
pub fn merge<S: Source>(sources: &mut [S], mut each: impl FnMut(Item) -> bool) -> Result<(), Failed> {
    let mut heads: Vec<Option<Line>> = Vec::with_capacity(sources.len());
    for s in sources.iter_mut() {
        heads.push(s.next_line()?);
    }
    let mut last: Vec<Option<Label>> = vec![None; sources.len()];
    loop {
        let key = |i: usize, line: &Line| line.label.or(last.get(i).copied().flatten());
        let pick =
            heads.iter().enumerate().filter_map(|(i, h)| h.as_ref().map(|l| (key(i, l), i))).min().map(|(_, i)| i);
        let Some(i) = pick else { return Ok(()) };
        let (Some(head), Some(source), Some(seen)) = (heads.get_mut(i), sources.get_mut(i), last.get_mut(i)) else {
            return Ok(());
        };
        let Some(line) = std::mem::replace(head, source.next_line()?) else { return Ok(()) };
        if let (Some(before), Some(now)) = (*seen, line.label) {
            if now < before && !each(Item::Back(i, before, now)) {
                return Ok(());
            }
        }
        if line.label.is_some() {
            *seen = line.label;
        }
        if !each(Item::Line(i, line)) {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(secs: Option<u64>, text: &str) -> Line {
        let label = secs.map(|s| Label::from_unix(s, 0));
        Line { text: text.as_bytes().to_vec(), label, message: 0 }
    }

    #[test]
    fn interleaves_by_time_and_marks_steps_back() {
        let a: VecDeque<Line> =
            [line(Some(10), "a10"), line(None, "a-"), line(Some(30), "a30"), line(Some(5), "a5")].into();
        let b: VecDeque<Line> = [line(Some(20), "b20"), line(Some(40), "b40")].into();
        let mut got = Vec::new();
        merge(&mut [a, b], |item| {
            got.push(match item {
                Item::Line(i, l) => format!("{i}:{}", String::from_utf8(l.text).unwrap()),
                Item::Back(i, from, to) => format!("{i}:back {}", from.unix_secs() - to.unix_secs()),
            });
            true
        })
        .unwrap();
        assert_eq!(got, ["0:a10", "0:a-", "1:b20", "0:a30", "0:back 25", "0:a5", "1:b40"]);
    }
}
