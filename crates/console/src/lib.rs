//! The console copy (`TEND_CONSOLE=1` in svscan's environment): every
//! service's lines also on svscan's standard output, each prefixed with
//! the service's name, for `docker logs` and the like.
//!
//! This crate owns the record format and the names of the variables that
//! switch it on; svscan (which writes standard output) and multilog (which
//! copies a logged service's lines) both frame their lines with
//! [`Framer`]. A record is `NAME: LINE\n`, at most [`RECORD_MAX`] bytes
//! (PIPE_BUF), so that one write(2) of whole records into a pipe is never
//! interleaved with another writer's. A line too long for one record goes
//! out in pieces: the first `NAME: ...`, each further one `NAME+ ...`;
//! joined in order they give the line. A name's control bytes show as `?`.
//!
//! ```
//! let mut framer = console::Framer::new(b"web");
//! let mut out = Vec::new();
//! framer.feed(b"GET /\nGET /ind", &mut |records| out.extend_from_slice(records));
//! framer.feed(b"ex.html\n", &mut |records| out.extend_from_slice(records));
//! framer.flush(&mut |records| out.extend_from_slice(records));
//! assert_eq!(out, b"web: GET /\nweb: GET /index.html\n");
//! ```

#![forbid(unsafe_code)]

/// svscan's switch: `1` turns the console copy on; unset, empty or `0`
/// leave it off; any other value is warned about and leaves it off.
pub const SWITCH: &str = "TEND_CONSOLE";
/// Set by svscan for a log supervise (and so its logger): the number of
/// the inherited descriptor of svscan's console pipe.
pub const FD_VAR: &str = "TEND_CONSOLE_FD";
/// Set with [`FD_VAR`]: the name of the service whose logger it is.
pub const NAME_VAR: &str = "TEND_CONSOLE_NAME";
/// The most bytes of one record, newline included: PIPE_BUF, the most one
/// write(2) puts into a pipe without interleaving.
pub const RECORD_MAX: usize = 4096;
/// The most bytes of a name in a prefix (a directory name has at most 255).
const NAME_MAX: usize = 255;

/// What the switch's value says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    /// Unset, empty or `0`.
    Off,
    /// `1`.
    On,
    /// Anything else (warned about; the copy stays off).
    Invalid,
}

impl Switch {
    pub fn of(value: Option<&[u8]>) -> Switch {
        match value {
            None | Some(b"") | Some(b"0") => Switch::Off,
            Some(b"1") => Switch::On,
            Some(_) => Switch::Invalid,
        }
    }
}

/// Turns one service's byte stream into records: whole ones are handed out
/// in chunks of at most [`RECORD_MAX`] bytes, each chunk ending with a
/// record's newline; the line in progress is kept until its newline comes
/// or it fills a record. Memory: one record.
pub struct Framer {
    /// Whole records, then the open one (from `open`).
    buf: Vec<u8>,
    name: Vec<u8>,
    /// Where the record of the line in progress starts in `buf`.
    open: Option<usize>,
    /// The line in progress was cut: its next record is a continuation.
    continued: bool,
}

impl Framer {
    pub fn new(name: &[u8]) -> Framer {
        let name = name.iter().take(NAME_MAX).map(|&b| if b < 0x20 || b == 0x7f { b'?' } else { b }).collect();
        Framer { buf: Vec::with_capacity(RECORD_MAX), name, open: None, continued: false }
    }

    /// Takes the next bytes of the stream; `emit` gets whole records
    /// whenever the buffer is full.
    pub fn feed(&mut self, mut bytes: &[u8], emit: &mut impl FnMut(&[u8])) {
        while !bytes.is_empty() {
            let start = match self.open {
                Some(start) => start,
                None => self.open_record(emit),
            };
            let room = RECORD_MAX - 1 - self.buf.len();
            if room == 0 {
                if bytes[0] == b'\n' {
                    self.end_line();
                    bytes = &bytes[1..];
                } else if start > 0 {
                    // Whole records first, the open one moves to the front.
                    emit(&self.buf[..start]);
                    self.buf.drain(..start);
                    self.open = Some(0);
                } else {
                    // One record is full and its line goes on: a piece.
                    self.buf.push(b'\n');
                    emit(&self.buf);
                    self.buf.clear();
                    self.open = None;
                    self.continued = true;
                }
                continue;
            }
            let take = room.min(bytes.len());
            match unix::bytes::memchr(b'\n', &bytes[..take]) {
                Some(i) => {
                    self.buf.extend_from_slice(&bytes[..i]);
                    self.end_line();
                    bytes = &bytes[i + 1..];
                }
                None => {
                    self.buf.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                }
            }
        }
    }

    /// Hands out the whole records held (after each batch of input).
    pub fn flush(&mut self, emit: &mut impl FnMut(&[u8])) {
        let whole = self.open.unwrap_or(self.buf.len());
        if whole > 0 {
            emit(&self.buf[..whole]);
            self.buf.drain(..whole);
            self.open = self.open.map(|_| 0);
        }
    }

    /// The stream ended: a line without its newline gets one, and every
    /// record is handed out.
    pub fn finish(&mut self, emit: &mut impl FnMut(&[u8])) {
        if self.open.is_some() {
            self.end_line();
        }
        self.flush(emit);
    }

    /// Starts the record of a line (or of its next piece) and returns where
    /// it starts; whole records go out first if it would not leave room for
    /// one byte of the line and the newline.
    fn open_record(&mut self, emit: &mut impl FnMut(&[u8])) -> usize {
        if self.buf.len() + self.name.len() + 4 > RECORD_MAX {
            self.flush(emit);
        }
        let start = self.buf.len();
        self.buf.extend_from_slice(&self.name);
        self.buf.extend_from_slice(if self.continued { b"+ " } else { b": " });
        self.open = Some(start);
        start
    }

    fn end_line(&mut self) {
        self.buf.push(b'\n');
        self.open = None;
        self.continued = false;
    }
}

/// The records in a chunk handed out by a [`Framer`] (or read from the
/// console pipe): one per newline.
pub fn records(chunk: &[u8]) -> u64 {
    chunk.iter().filter(|&&b| b == b'\n').count() as u64
}

/// Warns how many lines were dropped for `what` (`lines for WHAT`), if any,
/// and counts from zero again: multilog's copy and svscan's standard output
/// say it the same way.
pub fn report_dropped(dropped: &mut u64, what: &[u8]) {
    if *dropped > 0 {
        let n = std::mem::take(dropped).to_string();
        strerr::warn(&[b"dropped ", n.as_bytes(), b" lines for ", what]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` in pieces of `step` bytes, flushing after each, then
    /// finishes; returns the chunks emitted.
    fn frame(name: &[u8], input: &[u8], step: usize) -> Vec<Vec<u8>> {
        let mut f = Framer::new(name);
        let mut chunks = Vec::new();
        for piece in input.chunks(step) {
            f.feed(piece, &mut |c| chunks.push(c.to_vec()));
            f.flush(&mut |c| chunks.push(c.to_vec()));
        }
        f.finish(&mut |c| chunks.push(c.to_vec()));
        chunks
    }

    /// Joins records back into lines: `NAME: ` starts one, `NAME+ ` continues it.
    fn unframe(name: &str, chunks: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let (start, more) = (format!("{name}: "), format!("{name}+ "));
        let mut lines: Vec<Vec<u8>> = Vec::new();
        for record in chunks.concat().split_inclusive(|&b| b == b'\n') {
            let body = &record[..record.len() - 1];
            if let Some(rest) = body.strip_prefix(start.as_bytes()) {
                lines.push(rest.to_vec());
            } else if let Some(rest) = body.strip_prefix(more.as_bytes()) {
                lines.last_mut().expect("a continuation after a start").extend_from_slice(rest);
            } else {
                panic!("not a record of {name}: {:?}", String::from_utf8_lossy(record));
            }
        }
        lines
    }

    #[test]
    fn every_chunk_is_whole_records_of_at_most_pipe_buf() {
        let mut input = Vec::new();
        for i in 0..3000 {
            input.extend_from_slice(format!("line {i} {}\n", "x".repeat(i % 97)).as_bytes());
        }
        for step in [1, 7, 1000, 4096, 65536] {
            let chunks = frame(b"svc", &input, step);
            for c in &chunks {
                assert!(c.len() <= RECORD_MAX && c.ends_with(b"\n") && c.starts_with(b"svc: "), "{step}");
            }
            let lines = unframe("svc", &chunks);
            let want: Vec<Vec<u8>> =
                input.split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(<[u8]>::to_vec).collect();
            assert_eq!(lines, want, "step {step}");
        }
    }

    #[test]
    fn a_long_line_goes_out_in_marked_pieces_that_join_to_it() {
        let line: Vec<u8> = (0..20_000).map(|i| b'a' + (i % 26) as u8).collect();
        let input = [&b"short\n"[..], &line, b"\n", b"after\n"].concat();
        for step in [1, 4095, 4096, 4097, 100_000] {
            let chunks = frame(b"web", &input, step);
            let records: Vec<&[u8]> = chunks.iter().flat_map(|c| c.split_inclusive(|&b| b == b'\n')).collect();
            assert!(records.iter().all(|r| r.len() <= RECORD_MAX));
            assert!(records.iter().filter(|r| r.starts_with(b"web+ ")).count() >= 4, "step {step}");
            assert_eq!(unframe("web", &chunks), [b"short".to_vec(), line.clone(), b"after".to_vec()], "step {step}");
        }
    }

    #[test]
    fn a_line_that_exactly_fills_a_record_is_not_cut() {
        let line = vec![b'z'; RECORD_MAX - 1 - "web: ".len()];
        let chunks = frame(b"web", &[&line[..], b"\n"].concat(), 1);
        assert_eq!(chunks.concat(), [&b"web: "[..], &line, b"\n"].concat());
    }

    #[test]
    fn the_last_line_without_newline_gets_one_and_empty_lines_stay() {
        assert_eq!(frame(b"a", b"\n\nend", 3).concat(), b"a: \na: \na: end\n");
        assert!(frame(b"a", b"", 1).is_empty());
    }

    #[test]
    fn control_bytes_in_a_name_show_as_question_marks() {
        assert_eq!(frame(b"we\nb\x7f", b"x\n", 10).concat(), b"we?b?: x\n");
    }

    #[test]
    fn the_switch_is_1_and_anything_else_but_0_or_empty_is_refused() {
        assert_eq!(Switch::of(None), Switch::Off);
        assert_eq!(Switch::of(Some(b"")), Switch::Off);
        assert_eq!(Switch::of(Some(b"0")), Switch::Off);
        assert_eq!(Switch::of(Some(b"1")), Switch::On);
        assert_eq!(Switch::of(Some(b"yes")), Switch::Invalid);
    }

    #[test]
    fn records_are_counted_by_newline() {
        assert_eq!(records(b"a: x\nb: y\n"), 2);
    }
}
