//! Lines as `tend log` prints them. Text: the stamp turned into a time (see
//! [`TimeFormat`]) then the message, or the line as written (`--raw`); a
//! line without a stamp as it is; with several directories the service's
//! name first, as a column. JSON (`--json`): one object per line,
//! `{"service","time","stamp","message"}`, the time in ISO 8601, the stamp
//! as written (both null without a stamp). A step back in time is a line of its own:
//! `--- time goes back 3600.000 s ---` (`{"service","back":{"from","to"}}`).

use emit::json::Json;
use tai64::Label;

use crate::merge::Item;
use crate::reader::Line;
use crate::show::{push_number, TimeFormat};

/// How lines are printed.
pub struct Printer {
    pub time: TimeFormat,
    pub raw: bool,
    pub json: bool,
    /// Each source's service name.
    pub names: Vec<Vec<u8>>,
    /// The name column's width; 0: no column (one directory).
    pub width: usize,
}

impl Printer {
    pub fn new(time: TimeFormat, raw: bool, json: bool, names: Vec<Vec<u8>>) -> Printer {
        let width = if names.len() > 1 { names.iter().map(Vec::len).max().unwrap_or(0) } else { 0 };
        Printer { time, raw, json, names, width }
    }

    /// Appends `item` and its newline to `out`.
    pub fn item(&mut self, item: &Item, out: &mut Vec<u8>) {
        match item {
            Item::Line(i, line) => self.line(*i, line, out),
            Item::Back(i, from, to) => self.back(*i, *from, *to, out),
        }
    }

    /// Appends `line` of source `i`.
    pub fn line(&mut self, i: usize, line: &Line, out: &mut Vec<u8>) {
        let name = self.names.get(i).map_or(&[][..], Vec::as_slice);
        if self.json {
            let mut time = Vec::new();
            let mut j = Json::new();
            j.object(|j| {
                j.field("service", name);
                match line.label {
                    Some(l) => {
                        self.time.push(l, &mut time);
                        j.field("time", time.as_slice());
                        let stamp = line.text.get(..line.message).unwrap_or_default();
                        j.field("stamp", stamp.strip_suffix(b" ").unwrap_or(stamp));
                    }
                    None => {
                        j.key("time").null();
                        j.key("stamp").null();
                    }
                }
                j.field("message", line.message());
            });
            out.extend_from_slice(j.into_string().as_bytes());
            out.push(b'\n');
            return;
        }
        self.column(name, out);
        match line.label {
            Some(l) if !self.raw => {
                self.time.push(l, out);
                out.push(b' ');
                out.extend_from_slice(line.message());
            }
            _ => out.extend_from_slice(&line.text),
        }
        out.push(b'\n');
    }

    fn back(&mut self, i: usize, from: Label, to: Label, out: &mut Vec<u8>) {
        let name = self.names.get(i).map_or(&[][..], Vec::as_slice);
        if self.json {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            self.time.push(from, &mut a);
            self.time.push(to, &mut b);
            let mut j = Json::new();
            j.object(|j| {
                j.field("service", name);
                j.key("back").object(|j| {
                    j.field("from", a.as_slice());
                    j.field("to", b.as_slice());
                });
            });
            out.extend_from_slice(j.into_string().as_bytes());
            out.push(b'\n');
            return;
        }
        self.column(name, out);
        let gap = i128::from(from.secs - to.secs.min(from.secs)) * 1_000_000_000 + i128::from(from.nanos)
            - i128::from(to.nanos);
        let millis = (gap.max(0) / 1_000_000) as u64;
        out.extend_from_slice(b"--- time goes back ");
        push_number(out, millis / 1000, 1);
        out.push(b'.');
        push_number(out, millis % 1000, 3);
        out.extend_from_slice(b" s ---\n");
    }

    fn column(&self, name: &[u8], out: &mut Vec<u8>) {
        if self.width > 0 {
            out.extend_from_slice(name);
            out.resize(out.len() + self.width.saturating_sub(name.len()) + 1, b' ');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::show::Zone;

    fn show(p: &mut Printer, item: Item) -> String {
        let mut out = Vec::new();
        p.item(&item, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_json_raw_and_columns() {
        let line = Line::new(b"@4000000037c219bf2ef02e94 hello".to_vec(), false);
        let plain = Line::new(b"no stamp".to_vec(), false);
        let mut p = Printer::new(TimeFormat::new(Zone::Utc, false), false, false, vec![b"web".to_vec()]);
        assert_eq!(show(&mut p, Item::Line(0, line.clone())), "1999-08-24 04:04:05.787492500 hello\n");
        assert_eq!(show(&mut p, Item::Line(0, plain.clone())), "no stamp\n");
        let (later, earlier) = (Label::from_unix(7200, 250_000), Label::from_unix(3600, 0));
        assert_eq!(show(&mut p, Item::Back(0, later, earlier)), "--- time goes back 3600.250 s ---\n");
        let mut p =
            Printer::new(TimeFormat::new(Zone::Utc, true), true, false, vec![b"web".to_vec(), b"mail".to_vec()]);
        assert_eq!(show(&mut p, Item::Line(0, line.clone())), "web  @4000000037c219bf2ef02e94 hello\n");
        let mut p = Printer::new(TimeFormat::new(Zone::Utc, true), false, true, vec![b"web".to_vec()]);
        assert_eq!(
            show(&mut p, Item::Line(0, line)),
            "{\"service\":\"web\",\"time\":\"1999-08-24T04:04:05.787492500Z\",\"stamp\":\"@4000000037c219bf2ef02e94\",\"message\":\"hello\"}\n"
        );
        assert_eq!(
            show(&mut p, Item::Line(0, plain)),
            "{\"service\":\"web\",\"time\":null,\"stamp\":null,\"message\":\"no stamp\"}\n"
        );
    }
}
