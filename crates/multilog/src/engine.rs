//! The input loop and the per-line selection of daemontools 0.76.
//!
//! Each line (with its label under `t`) is selected or not by the actions in
//! script order, on its first 1000 bytes; `e` and `=` see those bytes, and
//! every directory gets the whole line if it was selected where the
//! directory appears. A line longer than 1000 bytes streams through: memory
//! stays bounded by the batch and buffer sizes whatever the line length.
//! One wall-clock reading labels every line that starts in a batch.
//!
//! A batch leaves stdin once written; the bytes of its unfinished last line
//! move into `partial` (see [`crate::partial`]), which a successor logger
//! reads first.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;

use tai64::{Clock, Label};

use crate::console::Console;
use crate::input::{Event, Input, BATCH};
use crate::logdir::LogDir;
use crate::partial::{Partial, Resume, MARK};
use crate::pattern::matches;
use crate::pause::{self, retry};
use crate::script::{Action, Script};
use crate::sealer::Sealer;
use crate::Fatal;

/// The part of a line selection, `e` and `=` look at.
pub const HEAD: usize = 1000;
/// `e` copies at most this much of a line.
const STDERR_MAX: usize = 200;
/// 0.76 reads stdin this much at a time and writes every directory's buffer
/// before each read; we mark the same points in each batch, so that files
/// are cut where 0.76 cuts them.
const READ: usize = 1024;

/// Runs multilog: opens every `=file` and directory (fatal errors come back
/// before any input is read), then logs stdin until EOF or SIGTERM.
pub fn run(script: &Script, clock: &dyn Clock) -> Result<(), Fatal> {
    let mut console = Console::from_env();
    pause::this_thread_reads_signals();
    pause::block_signals().map_err(|e| Fatal::new(&[b"unable to block signals"], &e))?;
    let mut input = Input::new();
    let status = open_status_files(script)?;
    let mut dirs = script.dirs.iter().map(|d| LogDir::open(d, clock)).collect::<Result<Vec<_>, _>>()?;
    let mut partial = match dirs.first() {
        Some(d) if input.can_peek() => Some(Partial::open(d.path())?),
        _ => None,
    };
    let mut sealer = Sealer::start().map_err(|e| Fatal::new(&[b"unable to start a thread"], &e))?;
    sealer.seal_all(dirs.iter_mut().flat_map(|d| d.take_leftovers()).collect());
    let mut lines = Lines::new(script, status);
    let mut buf = vec![0u8; BATCH];
    match &mut partial {
        Some((p, Resume::Line(len))) => {
            let mut at = 0;
            while at < *len {
                let n = p.read_at(&mut buf[..(*len - at).min(BATCH as u64) as usize], at);
                if n == 0 {
                    break;
                }
                lines.feed(&buf[..n], &mut dirs, clock, &sealer);
                if let Some(c) = &mut console {
                    c.feed(&buf[..n]);
                }
                at += n as u64;
            }
        }
        Some((_, Resume::Cut)) => lines.continued = true,
        _ => {}
    }
    let mut term = false;
    loop {
        let limit = match (term, lines.at_line_start, input.can_peek()) {
            (true, true, _) => break,
            // Finishing the line after SIGTERM: take no byte past its newline.
            (true, false, false) => 1,
            _ => buf.len(),
        };
        match input.next(&mut buf, limit) {
            Event::Eof => break,
            Event::Signals { term: t, alrm } => {
                term |= t;
                if alrm {
                    for d in dirs.iter_mut().filter(|d| d.bytes() > 0) {
                        d.rotate(clock, &sealer);
                    }
                }
            }
            Event::Data(n) => {
                let mut take = n;
                if term {
                    take = unix::bytes::memchr(b'\n', &buf[..n]).map_or(n, |i| i + 1);
                }
                pause::in_pipe(take);
                lines.feed(&buf[..take], &mut dirs, clock, &sealer);
                if let Some(c) = &mut console {
                    c.feed(&buf[..take]);
                }
                for d in &mut dirs {
                    d.sync(clock, &sealer);
                    d.flush();
                }
                // What is written leaves stdin.
                match &mut partial {
                    Some((p, _)) => p.consume(&mut input, &buf[..take]),
                    None => input.consume(take),
                }
                pause::in_pipe(0);
            }
        }
    }
    if !lines.at_line_start {
        lines.piece(b"\n", &[], &mut dirs, clock, &sealer);
    }
    for d in &mut dirs {
        d.sync(clock, &sealer);
        d.flush();
    }
    sealer.finish();
    for d in &mut dirs {
        d.close();
    }
    if let Some((p, _)) = partial {
        p.remove();
    }
    if let Some(c) = console {
        c.finish();
    }
    Ok(())
}

/// `=file`s, opened as 0.76 does: created 0600 if missing, then opened for writing.
fn open_status_files(script: &Script) -> Result<Vec<(File, &Path)>, Fatal> {
    let mut files = Vec::new();
    for path in &script.status_files {
        let fail = |what: &[u8], e| Fatal::new(&[b"unable to ", what, b" ", path.as_os_str().as_bytes()], &e);
        OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| fail(b"create", e))?;
        let f =
            OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(path).map_err(|e| fail(b"write", e))?;
        files.push((f, path.as_path()));
    }
    Ok(files)
}

/// The line being read and what the script decided about it.
struct Lines<'s> {
    actions: &'s [Action],
    timestamp: bool,
    status: Vec<(File, &'s Path)>,
    at_line_start: bool,
    /// The next line continues one a killed logger could not keep whole: it
    /// starts with [`MARK`].
    continued: bool,
    /// The line's first bytes (label included), until selection is decided.
    head: Vec<u8>,
    decided: bool,
    selected: Vec<bool>,
    /// `=file` contents: the head padded with newlines.
    status_buf: Vec<u8>,
}

impl<'s> Lines<'s> {
    fn new(script: &'s Script, status: Vec<(File, &'s Path)>) -> Lines<'s> {
        Lines {
            actions: &script.actions,
            timestamp: script.timestamp,
            status,
            at_line_start: true,
            continued: false,
            head: Vec::with_capacity(HEAD),
            decided: false,
            selected: vec![true; script.dirs.len()],
            status_buf: vec![b'\n'; HEAD + 1],
        }
    }

    /// Splits a batch into 0.76's reads and line pieces; lines starting
    /// here get one label.
    fn feed(&mut self, batch: &[u8], dirs: &mut [LogDir], clock: &dyn Clock, sealer: &Sealer) {
        let mut label = [b' '; 26];
        if self.timestamp {
            label[..25].copy_from_slice(&Label::from_wall(clock.wall()).to_hex());
        }
        let label: &[u8] = if self.timestamp { &label } else { &[] };
        for (i, mut read) in batch.chunks(READ).enumerate() {
            if i > 0 {
                for d in dirs.iter_mut() {
                    d.sync(clock, sealer);
                }
            }
            while !read.is_empty() {
                let end = unix::bytes::memchr(b'\n', read).map_or(read.len(), |i| i + 1);
                self.piece(&read[..end], label, dirs, clock, sealer);
                read = &read[end..];
            }
        }
    }

    /// Takes the next piece of the current line: all of it up to and
    /// including its newline, or a part without one.
    fn piece(&mut self, piece: &[u8], label: &[u8], dirs: &mut [LogDir], clock: &dyn Clock, sealer: &Sealer) {
        let ends = piece.last() == Some(&b'\n');
        let starts = std::mem::replace(&mut self.at_line_start, ends);
        if starts {
            self.head.clear();
            self.head.extend_from_slice(label);
            if std::mem::take(&mut self.continued) {
                self.head.extend_from_slice(MARK);
            }
            self.decided = false;
        }
        let mut rest = piece;
        if !self.decided {
            let content = piece.strip_suffix(b"\n").unwrap_or(piece);
            let take = (HEAD - self.head.len()).min(content.len());
            self.head.extend_from_slice(&content[..take]);
            rest = &piece[take..];
            if self.head.len() < HEAD && !ends {
                return;
            }
            self.decide();
            let head = std::mem::take(&mut self.head);
            for (d, _) in dirs.iter_mut().zip(&self.selected).filter(|(_, &s)| s) {
                d.put_head(&head, clock, sealer);
            }
            self.head = head;
        }
        for (d, _) in dirs.iter_mut().zip(&self.selected).filter(|(_, &s)| s) {
            d.put_bytes(rest, clock, sealer);
        }
    }

    /// Runs the actions on the head of the line.
    fn decide(&mut self) {
        self.decided = true;
        let head = &self.head[..];
        let mut selected = true;
        for action in self.actions {
            match action {
                Action::Select(p) => selected = selected || matches(p, head),
                Action::Deselect(p) => selected = selected && !matches(p, head),
                Action::Stderr if selected => {
                    let mut out = Vec::with_capacity(STDERR_MAX + 4);
                    if head.len() > STDERR_MAX {
                        out.extend_from_slice(&head[..STDERR_MAX]);
                        out.extend_from_slice(b"...\n");
                    } else {
                        out.extend_from_slice(head);
                        out.push(b'\n');
                    }
                    let _ = std::io::stderr().lock().write_all(&out);
                }
                Action::Status(i) if selected => {
                    self.status_buf[..head.len()].copy_from_slice(head);
                    let (file, name) = &self.status[*i];
                    retry(
                        || file.write_all_at(&self.status_buf, 0),
                        &[b"unable to write ", name.as_os_str().as_bytes()],
                    );
                    self.status_buf[..head.len()].fill(b'\n');
                }
                Action::Dir(j) => self.selected[*j] = selected,
                Action::Stderr | Action::Status(_) => {}
            }
        }
    }
}
