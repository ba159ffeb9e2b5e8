//! Reading stdin without losing lines to SIGKILL, and the signals that
//! interrupt the wait.
//!
//! When stdin is a pipe, each batch is copied with tee(2) into a private pipe
//! and read from there, so it stays in stdin. Only after the batch has been
//! written to the log directories does [`Input::consume`] remove it from stdin
//! (splice to /dev/null). A logger killed with SIGKILL in between leaves the
//! batch in the pipe for its successor: a restart may repeat the last batch,
//! never lose it. Other kinds of stdin are read plainly.
//!
//! Where consumed bytes go is the caller's choice: /dev/null, or (for the
//! unfinished last line) a file, see [`crate::partial`].
//!
//! SIGTERM and SIGALRM (see [`crate::pause`]) are polled together with stdin,
//! so they are seen whenever multilog waits for input.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use crate::pause;

/// Bytes taken from stdin at a time, at most.
pub const BATCH: usize = 256 * 1024;

const STDIN: i32 = 0;

/// What waiting for input brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// This many bytes are in the buffer.
    Data(usize),
    /// End of input (or a read error, which 0.76 also treats as the end).
    Eof,
    /// SIGTERM and/or SIGALRM arrived.
    Signals { term: bool, alrm: bool },
}

enum Source {
    Tee { private_r: OwnedFd, private_w: OwnedFd, null: File, capacity: usize },
    Plain,
}

/// stdin.
pub struct Input {
    source: Source,
    /// SIGTERM was reported already.
    term_seen: bool,
}

impl Input {
    /// Prepares stdin (call after [`pause::block_signals`]).
    pub fn new() -> Input {
        let source = if unix::pipe::is_pipe(STDIN) { tee_source().unwrap_or(Source::Plain) } else { Source::Plain };
        Input { source, term_seen: false }
    }

    /// Whether bytes read can be left in stdin (so a partial batch may be consumed).
    pub fn can_peek(&self) -> bool {
        matches!(self.source, Source::Tee { .. })
    }

    /// Waits for input or a signal; input goes into `buf[..limit]`.
    pub fn next(&mut self, buf: &mut [u8], limit: usize) -> Event {
        let limit = limit.min(buf.len());
        loop {
            let (term, alrm) = pause::signals_seen();
            let term = term && !std::mem::replace(&mut self.term_seen, term);
            if term || alrm {
                return Event::Signals { term, alrm };
            }
            let (data, signalled) = unix::poll::poll_two(STDIN, pause::signal_fd());
            if signalled {
                pause::read_signals();
                continue;
            }
            if !data {
                continue;
            }
            match &self.source {
                Source::Tee { private_r, private_w, capacity, .. } => {
                    match unix::pipe::tee(STDIN, private_w.as_raw_fd(), limit.min(*capacity)) {
                        Ok(0) => return Event::Eof,
                        Ok(n) => return read_exactly(private_r, &mut buf[..n]),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                        Err(_) => return Event::Eof,
                    }
                }
                Source::Plain => {
                    return match unix::fd::read(STDIN, &mut buf[..limit]) {
                        Ok(0) | Err(_) => Event::Eof,
                        Ok(n) => Event::Data(n),
                    }
                }
            }
        }
    }

    /// Removes the next `n` bytes from stdin (a no-op when they were read
    /// plainly).
    pub fn consume(&mut self, mut n: usize) {
        let Source::Tee { null, .. } = &self.source else { return };
        while n > 0 {
            match unix::pipe::splice(STDIN, null.as_raw_fd(), n) {
                Ok(0) => return,
                Ok(k) => n -= k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return discard(n),
            }
        }
    }

    /// Moves the next `n` bytes of stdin into `file` at `*offset` (advanced
    /// by what moved): a byte leaves stdin only to land in the file.
    pub fn move_into(&mut self, file: &File, offset: &mut u64, n: usize) -> io::Result<()> {
        let mut left = n;
        while left > 0 {
            match unix::pipe::splice_at(STDIN, file.as_raw_fd(), offset, left) {
                Ok(0) => return Ok(()),
                Ok(k) => left -= k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

fn tee_source() -> io::Result<Source> {
    // A larger stdin pipe lets each batch be a full one (fewer wakeups for
    // writer and logger); what sits in it is as safe as what sits in ours.
    unix::pipe::set_pipe_size(STDIN, BATCH);
    let (private_r, private_w, capacity) = unix::pipe::pipe_of_size(BATCH)?;
    let null = OpenOptions::new().write(true).open("/dev/null")?;
    Ok(Source::Tee { private_r, private_w, null, capacity })
}

/// Reads the `buf.len()` bytes tee just put in the private pipe.
fn read_exactly(from: &OwnedFd, buf: &mut [u8]) -> Event {
    let mut got = 0;
    while got < buf.len() {
        match unix::fd::read(from.as_raw_fd(), &mut buf[got..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => got += k,
        }
    }
    if got == 0 {
        Event::Eof
    } else {
        Event::Data(got)
    }
}

/// Consumes `n` bytes of stdin by reading them (when splice is refused).
fn discard(mut n: usize) {
    let mut scratch = [0u8; 8192];
    while n > 0 {
        match unix::fd::read(STDIN, &mut scratch[..n.min(8192)]) {
            Ok(0) | Err(_) => return,
            Ok(k) => n -= k,
        }
    }
}
