//! The terminal's contents as a frame of lines, and the bytes that turn the
//! frame on screen into the next one: only the characters that changed,
//! each span reached by cursor addressing. The screen is
//! cleared only for the first frame and after a resize, never per refresh
//! (field report 004: a `top` that redraws everything flickers too fast to
//! read a name).

/// Switches to the alternate screen and hides the cursor.
pub const ENTER: &[u8] = b"\x1b[?1049h\x1b[?25l";
/// Shows the cursor and goes back to the normal screen, as it was.
pub const LEAVE: &[u8] = b"\x1b[?25h\x1b[?1049l";
const CLEAR: &[u8] = b"\x1b[H\x1b[2J";
const ERASE_TO_END: &[u8] = b"\x1b[K";

/// What is on a `width` x `height` screen: at most `height` lines, each of
/// at most `width` one-column characters (the last line one less, so that
/// no terminal scrolls when it is written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    width: usize,
    height: usize,
    lines: Vec<Vec<u8>>,
}

impl Frame {
    /// The first `height` of `lines`, each cut to fit; a byte that is not
    /// printable ASCII shows as `?` (a control byte would move the cursor,
    /// a wide or multi-byte character would shift the columns).
    pub fn new(width: usize, height: usize, lines: impl IntoIterator<Item = String>) -> Frame {
        let lines = lines
            .into_iter()
            .take(height)
            .enumerate()
            .map(|(row, line)| {
                let room = if row + 1 == height { width.saturating_sub(1) } else { width };
                printable(&line).take(room).collect()
            })
            .collect();
        Frame { width, height, lines }
    }
}

/// The bytes of `text` as one-column ASCII (see [`Frame::new`]); each
/// character becomes one byte.
fn printable(text: &str) -> impl Iterator<Item = u8> + '_ {
    text.chars().map(|c| if c == ' ' || c.is_ascii_graphic() { c as u8 } else { b'?' })
}

/// Appends to `out` what turns `shown` (None: unknown, e.g. at start or
/// after a resize) into `next`.
pub fn update(shown: Option<&Frame>, next: &Frame, out: &mut Vec<u8>) {
    let shown = match shown {
        Some(s) if s.width == next.width && s.height == next.height => s,
        _ => {
            out.extend_from_slice(CLEAR);
            for (row, line) in next.lines.iter().enumerate() {
                move_to(row, 0, out);
                out.extend_from_slice(line);
            }
            return;
        }
    };
    let empty = Vec::new();
    let rows = shown.lines.len().max(next.lines.len());
    for row in 0..rows {
        let old = shown.lines.get(row).unwrap_or(&empty);
        let new = next.lines.get(row).unwrap_or(&empty);
        if old == new {
            continue;
        }
        changed_spans(old, new, |start, span| {
            move_to(row, start, out);
            out.extend_from_slice(span);
        });
        if new.len() < old.len() {
            move_to(row, new.len(), out);
            out.extend_from_slice(ERASE_TO_END);
        }
    }
}

/// Unchanged characters between two changed ones that are written again
/// rather than skipped with a cursor move (which costs about as many bytes).
const JOIN: usize = 8;

/// Calls `write(start, bytes)` for each span of `new` that differs from
/// `old` at the same columns (spans closer than [`JOIN`] merged).
fn changed_spans(old: &[u8], new: &[u8], mut write: impl FnMut(usize, &[u8])) {
    let differs = |k: usize| old.get(k) != new.get(k);
    let mut k = 0;
    while k < new.len() {
        if !differs(k) {
            k += 1;
            continue;
        }
        let start = k;
        let mut end = k + 1;
        while end < new.len() {
            match (end..new.len().min(end + JOIN)).find(|&j| differs(j)) {
                Some(j) => end = j + 1,
                None => break,
            }
        }
        write(start, new.get(start..end).unwrap_or_default());
        k = end;
    }
}

/// Cursor to the 0-based `row` and `column`.
fn move_to(row: usize, column: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(format!("\x1b[{};{}H", row + 1, column + 1).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(lines: &[&str]) -> Frame {
        Frame::new(20, 4, lines.iter().map(|l| l.to_string()))
    }

    fn bytes(shown: Option<&Frame>, next: &Frame) -> String {
        let mut out = Vec::new();
        update(shown, next, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_first_frame_clears_and_writes_every_line() {
        assert_eq!(bytes(None, &frame(&["ab", "cd"])), "\x1b[H\x1b[2J\x1b[1;1Hab\x1b[2;1Hcd");
    }

    #[test]
    fn an_unchanged_frame_writes_nothing() {
        let f = frame(&["web   12.0", "db     0.5"]);
        assert_eq!(bytes(Some(&f), &f.clone()), "");
    }

    #[test]
    fn only_the_changed_characters_are_written() {
        let a = frame(&["web   12.0", "db     0.5"]);
        let b = frame(&["web   12.0", "db     0.7"]);
        assert_eq!(bytes(Some(&a), &b), "\x1b[2;10H7");
        let two = frame(&["web   13.0  sh", "db     0.5"]);
        assert_eq!(bytes(Some(&a), &two), "\x1b[1;8H3.0  sh", "near changes are joined");
        let far = (frame(&["a123456789012345b"]), frame(&["A123456789012345B"]));
        assert_eq!(bytes(Some(&far.0), &far.1), "\x1b[1;1HA\x1b[1;17HB");
        let shorter = frame(&["web   12.0", "db"]);
        assert_eq!(bytes(Some(&a), &shorter), "\x1b[2;3H\x1b[K");
        let gone = frame(&["web   12.0"]);
        assert_eq!(bytes(Some(&a), &gone), "\x1b[2;1H\x1b[K");
    }

    #[test]
    fn a_resize_clears_again() {
        let a = frame(&["x"]);
        let b = Frame::new(30, 4, ["x".to_string()]);
        assert!(bytes(Some(&a), &b).starts_with("\x1b[H\x1b[2J"));
    }

    #[test]
    fn lines_are_cut_to_the_screen_and_made_printable() {
        let f = Frame::new(5, 2, ["abcdefgh".to_string(), "12345".into(), "never".into()]);
        assert_eq!(f.lines, vec![b"abcde".to_vec(), b"1234".to_vec()]);
        let f = Frame::new(10, 3, ["a\x1b[2Jb\té".to_string()]);
        assert_eq!(f.lines, vec![b"a?[2Jb??".to_vec()]);
        let f = Frame::new(0, 0, ["a".to_string()]);
        assert!(f.lines.is_empty());
    }
}
