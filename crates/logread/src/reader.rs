//! Reading a log file: its lines forward from an offset, the offset of the
//! first line at or after a time (a binary search over the file with
//! bounded reads, never a scan), and its last lines read from the end. Every
//! byte read is counted ([`stats`], `tend log --stats`).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};

use tai64::Label;

use crate::stamp;

static BYTES: AtomicU64 = AtomicU64::new(0);
static READS: AtomicU64 = AtomicU64::new(0);

/// Bytes read from log files so far, and in how many reads.
pub fn stats() -> (u64, u64) {
    (BYTES.load(Ordering::Relaxed), READS.load(Ordering::Relaxed))
}

/// Reads at `offset` into `buf` (EINTR retried), counted.
pub fn read_at(f: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    loop {
        match f.read_at(buf, offset) {
            Ok(n) => {
                BYTES.fetch_add(n as u64, Ordering::Relaxed);
                READS.fetch_add(1, Ordering::Relaxed);
                return Ok(n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The size of an open file.
pub fn size(f: &File) -> io::Result<u64> {
    Ok(f.metadata()?.len())
}

/// One line of a log, without its newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: Vec<u8>,
    /// Its stamp, as a label (None: no stamp).
    pub label: Option<Label>,
    /// Where the message starts in `text` (after the stamp and its space).
    pub message: usize,
}

/// Seconds that true-TAI labels (s6-log's, skalibs': leap seconds counted)
/// are ahead of daemontools' (unix + 2^62 + 10): the leap seconds up to 2017.
const LEAP_SECONDS: u64 = 27;

impl Line {
    /// `text` read: its stamp, less the leap seconds if `tai`.
    pub fn new(text: Vec<u8>, tai: bool) -> Line {
        let (label, message) = stamp::split(&text);
        let message = text.len() - message.len();
        let label = label.map(|l| if tai { Label { secs: l.secs.wrapping_sub(LEAP_SECONDS), ..l } } else { l });
        Line { text, label, message }
    }

    /// The message, after the stamp.
    pub fn message(&self) -> &[u8] {
        self.text.get(self.message..).unwrap_or_default()
    }
}

const CHUNK: usize = 64 * 1024;

/// The lines of a file from `offset` (a line's start) up to `end` bytes
/// (None: to its end, as far as it then is). A last line without its
/// newline counts as a line, unless only whole lines are wanted (a file
/// followed: its writer may finish the line).
pub struct Lines {
    file: File,
    offset: u64,
    end: Option<u64>,
    buf: Vec<u8>,
    at: usize,
    eof: bool,
    tai: bool,
    whole_only: bool,
}

impl Lines {
    pub fn new(file: File, offset: u64, end: Option<u64>, tai: bool) -> Lines {
        Lines { file, offset, end, buf: Vec::new(), at: 0, eof: false, tai, whole_only: false }
    }

    /// Leaves out a last line without its newline.
    pub fn whole_only(mut self) -> Lines {
        self.whole_only = true;
        self
    }

    /// The next line, or None at the end.
    pub fn next_line(&mut self) -> io::Result<Option<Line>> {
        loop {
            let rest = self.buf.get(self.at..).unwrap_or_default();
            if let Some(nl) = rest.iter().position(|&b| b == b'\n') {
                let text = rest.get(..nl).unwrap_or_default().to_vec();
                self.at += nl + 1;
                return Ok(Some(Line::new(text, self.tai)));
            }
            if self.eof {
                if rest.is_empty() || self.whole_only {
                    return Ok(None);
                }
                let text = rest.to_vec();
                self.at = self.buf.len();
                return Ok(Some(Line::new(text, self.tai)));
            }
            self.buf.drain(..self.at.min(self.buf.len()));
            self.at = 0;
            let want = match self.end {
                Some(end) => CHUNK.min(end.saturating_sub(self.offset) as usize),
                None => CHUNK,
            };
            let have = self.buf.len();
            self.buf.resize(have + want, 0);
            let n = match self.buf.get_mut(have..) {
                Some(space) if want > 0 => read_at(&self.file, space, self.offset)?,
                _ => 0,
            };
            self.buf.truncate(have + n);
            self.offset += n as u64;
            self.eof = n == 0;
        }
    }

    /// The file and the offset just past what was returned as lines, for
    /// following it.
    pub fn into_parts(self) -> (File, u64) {
        let unread = self.buf.len().saturating_sub(self.at) as u64;
        (self.file, self.offset - unread)
    }
}

/// The bytes each step of the time search reads.
const PROBE: usize = 4096;

/// The offset of the first line of `file` (of `len` bytes) whose label is
/// at or after `since`, found by bisection on the byte offset: each step
/// reads one [`PROBE`] at the middle, skips to the next line start and
/// reads the label of the first labelled line there. Lines must be in time order for the answer to
/// be exact (a clock step makes it approximate); a probe that finds no
/// labelled line start ends the search where it is. The offset returned is
/// a line's start at or before the first such line.
pub fn seek(file: &File, len: u64, since: Label, tai: bool) -> io::Result<u64> {
    let (mut lo, mut hi) = (0u64, len);
    let mut probe = vec![0u8; PROBE];
    while hi - lo > PROBE as u64 {
        let mid = lo + (hi - lo) / 2;
        let n = read_at(file, &mut probe, mid)?;
        let got = probe.get(..n).unwrap_or_default();
        // The first labelled line that starts in the probe and ends in it.
        let Some(nl) = got.iter().position(|&b| b == b'\n') else { break };
        let mut start = mid + nl as u64 + 1;
        let mut rest = got.get(nl + 1..).unwrap_or_default();
        let mut found = None;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            if let Some(label) = Line::new(rest.get(..end).unwrap_or_default().to_vec(), tai).label {
                found = Some(label);
                break;
            }
            start += end as u64 + 1;
            rest = rest.get(end + 1..).unwrap_or_default();
        }
        let Some(label) = found else { break };
        if start >= hi {
            break;
        }
        if label < since {
            lo = start;
        } else {
            hi = start;
        }
    }
    Ok(lo)
}

/// Reads `file` backwards from `len`, calling `each` with its lines, last
/// first, until `each` returns false or the file's start.
pub fn backwards(file: &File, len: u64, tai: bool, mut each: impl FnMut(Line) -> bool) -> io::Result<()> {
    let mut end = len;
    // Bytes after the last newline seen, from a later block.
    let mut carry: Vec<u8> = Vec::new();
    let mut block = vec![0u8; CHUNK];
    let mut first = true;
    while end > 0 {
        let start = end.saturating_sub(CHUNK as u64);
        let want = (end - start) as usize;
        let space = block.get_mut(..want).unwrap_or_default();
        let n = read_at(file, space, start)?;
        let mut data = space.get(..n).unwrap_or_default().to_vec();
        data.extend_from_slice(&carry);
        // A file ending in a newline has no empty last line.
        if first && data.last() == Some(&b'\n') {
            data.pop();
        }
        first = false;
        let mut pieces: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
        // The first piece may be the tail of a line that starts earlier.
        let head = if start > 0 { pieces.first().map(|p| p.to_vec()) } else { None };
        let whole = if start > 0 { pieces.get(1..).unwrap_or_default() } else { &pieces[..] };
        for piece in whole.iter().rev() {
            if !each(Line::new(piece.to_vec(), tai)) {
                return Ok(());
            }
        }
        pieces.clear();
        carry = head.unwrap_or_default();
        end = start;
        if n < want {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn history(lines: u64) -> (tempfile::NamedTempFile, Vec<Label>) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let mut labels = Vec::new();
        let mut text = Vec::new();
        for i in 0..lines {
            let l = Label::from_unix(1_800_000_000 + i, 0);
            labels.push(l);
            text.extend_from_slice(&l.to_hex());
            text.extend_from_slice(b" line ");
            text.extend_from_slice(i.to_string().as_bytes());
            text.push(b'\n');
            if i % 7 == 0 {
                text.extend_from_slice(b"an unlabelled line\n");
            }
        }
        f.write_all(&text).unwrap();
        (f, labels)
    }

    #[test]
    fn lines_forward_with_a_last_unfinished_line() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"@4000000037c219bf2ef02e94 a\nplain\nend").unwrap();
        let mut lines = Lines::new(f.reopen().unwrap(), 0, None, false);
        let mut got = Vec::new();
        while let Some(l) = lines.next_line().unwrap() {
            got.push((l.label.is_some(), String::from_utf8(l.message().to_vec()).unwrap()));
        }
        assert_eq!(got, [(true, "a".into()), (false, "plain".into()), (false, "end".into())]);
        let (file, offset) = lines.into_parts();
        assert_eq!(offset, 37);
        let mut whole = Lines::new(file, 0, None, false).whole_only();
        assert_eq!(std::iter::from_fn(|| whole.next_line().unwrap()).count(), 2);
        assert_eq!(whole.into_parts().1, 34, "the unfinished line is not past");
    }

    #[test]
    fn seek_finds_the_first_line_at_or_after() {
        let (f, labels) = history(20_000);
        let file = f.reopen().unwrap();
        let len = size(&file).unwrap();
        for &i in &[0usize, 1, 7, 5000, 19_999] {
            let before = stats().0;
            let at = seek(&file, len, labels[i], false).unwrap();
            assert!(stats().0 - before <= 20 * PROBE as u64, "bounded reads");
            let mut lines = Lines::new(f.reopen().unwrap(), at, None, false);
            let first = std::iter::from_fn(|| lines.next_line().unwrap())
                .find(|l| l.label.is_some_and(|l| l >= labels[i]))
                .unwrap();
            assert_eq!(first.label, Some(labels[i]));
            // Nothing at or after the time lies before `at`.
            let mut before = Lines::new(f.reopen().unwrap(), 0, Some(at), false);
            while let Some(l) = before.next_line().unwrap() {
                assert!(l.label.is_none_or(|l| l < labels[i]));
            }
        }
        assert!(seek(&file, len, Label::from_unix(2_000_000_000, 0), false).unwrap() + PROBE as u64 >= len);
    }

    #[test]
    fn backwards_gives_every_line_last_first() {
        let (f, _) = history(30_000);
        let file = f.reopen().unwrap();
        let len = size(&file).unwrap();
        let mut back = Vec::new();
        backwards(&file, len, false, |l| {
            back.push(l.text);
            true
        })
        .unwrap();
        back.reverse();
        let text = std::fs::read(f.path()).unwrap();
        let forward: Vec<Vec<u8>> =
            text.strip_suffix(b"\n").unwrap().split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        assert_eq!(back, forward);
        let mut three = 0;
        backwards(&file, len, false, |_| {
            three += 1;
            three < 3
        })
        .unwrap();
        assert_eq!(three, 3);
    }
}
