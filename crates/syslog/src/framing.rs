//! Messages out of a TCP stream (RFC 6587): octet counting (`LEN SP MSG`,
//! when a frame starts with a digit) or newline framing (`MSG LF`).
//! A message longer than the size limit is cut there and the rest of its
//! frame skipped (counted); memory stays bounded by that limit.

/// Where a connection is in its frame.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between frames.
    #[default]
    Start,
    /// Reading an octet count's digits (in `buf`).
    Count,
    /// Reading a counted frame: the bytes it still needs.
    Counted(usize),
    /// Reading a newline-framed message.
    Line,
}

/// One connection's unfinished frame.
#[derive(Debug, Default)]
pub struct Framer {
    state: State,
    buf: Vec<u8>,
    /// Bytes of the current frame left out beyond the limit.
    skipped: usize,
}

/// The longest octet count read (digits).
const COUNT_DIGITS: usize = 9;

impl Framer {
    /// Feeds `input`; calls `each(message, cut)` for every whole message
    /// (`cut`: bytes left out at `max`). Returns false if the stream is
    /// broken (an octet count that is not one): the connection is closed.
    pub fn feed(&mut self, mut input: &[u8], max: usize, mut each: impl FnMut(&[u8], usize)) -> bool {
        while let Some(&first) = input.first() {
            match self.state {
                State::Start if first.is_ascii_digit() => self.state = State::Count,
                State::Start => self.state = State::Line,
                State::Count => {
                    input = input.get(1..).unwrap_or_default();
                    match first {
                        b'0'..=b'9' if self.buf.len() < COUNT_DIGITS => self.buf.push(first),
                        b' ' => {
                            let n = self.buf.iter().fold(0usize, |n, &d| n * 10 + usize::from(d - b'0'));
                            self.buf.clear();
                            self.state = if n == 0 { State::Start } else { State::Counted(n) };
                        }
                        _ => return false,
                    }
                }
                State::Counted(want) => {
                    let take = want.min(input.len());
                    let (now, rest) = input.split_at_checked(take).unwrap_or((input, &[]));
                    self.keep(now, max);
                    input = rest;
                    self.state = State::Counted(want - take);
                    if want == take {
                        self.emit(&mut each);
                    }
                }
                State::Line => match input.iter().position(|&b| b == b'\n') {
                    Some(end) => {
                        let (line, rest) = input.split_at_checked(end).unwrap_or((input, &[]));
                        self.keep(line, max);
                        input = rest.get(1..).unwrap_or_default();
                        if self.buf.is_empty() && self.skipped == 0 {
                            self.state = State::Start;
                        } else {
                            self.emit(&mut each);
                        }
                    }
                    None => {
                        self.keep(input, max);
                        input = &[];
                    }
                },
            }
        }
        true
    }

    /// Keeps what fits under `max`, counts the rest.
    fn keep(&mut self, bytes: &[u8], max: usize) {
        let room = max.saturating_sub(self.buf.len()).min(bytes.len());
        self.buf.extend_from_slice(bytes.get(..room).unwrap_or_default());
        self.skipped += bytes.len() - room;
    }

    fn emit(&mut self, each: &mut impl FnMut(&[u8], usize)) {
        each(&self.buf, self.skipped);
        self.buf.clear();
        self.skipped = 0;
        self.state = State::Start;
    }

    /// The peer closed: a newline frame without its newline counts as a
    /// message; an unfinished counted frame is dropped.
    pub fn finish(&mut self, mut each: impl FnMut(&[u8], usize)) {
        if self.state == State::Line && !(self.buf.is_empty() && self.skipped == 0) {
            self.emit(&mut each);
        }
        self.buf.clear();
        self.skipped = 0;
        self.state = State::Start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(chunks: &[&[u8]], max: usize) -> (Vec<(String, usize)>, bool) {
        let mut f = Framer::default();
        let mut out = Vec::new();
        let mut ok = true;
        for c in chunks {
            ok &= f.feed(c, max, |m, cut| out.push((String::from_utf8_lossy(m).into_owned(), cut)));
        }
        f.finish(|m, cut| out.push((String::from_utf8_lossy(m).into_owned(), cut)));
        (out, ok)
    }

    fn s(m: &str, cut: usize) -> (String, usize) {
        (m.to_string(), cut)
    }

    #[test]
    fn octet_counting_across_reads() {
        let (got, ok) = frames(&[b"5 <1>ab1", b"2 <13>x: a\nb", b" c"], 100);
        assert!(ok);
        assert_eq!(got, [s("<1>ab", 0), s("<13>x: a\nb c", 0)], "a newline inside a counted frame stays");
    }

    #[test]
    fn newline_framing_and_the_last_unfinished_line() {
        let (got, _) = frames(&[b"<13>one\n<13>tw", b"o\n\n<13>three"], 100);
        assert_eq!(got, [s("<13>one", 0), s("<13>two", 0), s("<13>three", 0)]);
    }

    #[test]
    fn over_long_frames_are_cut_and_counted() {
        let (got, _) = frames(&[b"<13>abcdefgh", b"ijkl\n<13>ok\n"], 6);
        assert_eq!(got, [s("<13>ab", 10), s("<13>ok", 0)]);
        let (got, _) = frames(&[b"10 <13>abcdef", b"<13>ok\n"], 6);
        assert_eq!(got, [s("<13>ab", 4), s("<13>ok", 0)]);
    }

    #[test]
    fn a_broken_count_closes_the_stream() {
        let (_, ok) = frames(&[b"12x <13>a"], 100);
        assert!(!ok);
        let (_, ok) = frames(&[b"1234567890123 x"], 100);
        assert!(!ok);
    }
}
