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
//! SIGTERM and SIGALRM are blocked and read from a signalfd polled together
//! with stdin, so they are seen whenever multilog waits for input.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use unix::signals::SignalFd;

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

/// stdin and the signalfd.
pub struct Input {
    signals: SignalFd,
    source: Source,
}

impl Input {
    /// Blocks SIGTERM and SIGALRM (call before starting any thread) and
    /// prepares stdin.
    pub fn new() -> io::Result<Input> {
        let signals = SignalFd::block(&[libc::SIGTERM, libc::SIGALRM])?;
        let source = if unix::pipe::is_pipe(STDIN) { tee_source().unwrap_or(Source::Plain) } else { Source::Plain };
        Ok(Input { signals, source })
    }

    /// Whether bytes read can be left in stdin (so a partial batch may be consumed).
    pub fn can_peek(&self) -> bool {
        matches!(self.source, Source::Tee { .. })
    }

    /// Waits for input or a signal; input goes into `buf[..limit]`.
    pub fn next(&mut self, buf: &mut [u8], limit: usize) -> Event {
        let limit = limit.min(buf.len());
        loop {
            let (data, signalled) = unix::poll::poll_two(STDIN, self.signals.as_raw_fd());
            if signalled {
                let (mut term, mut alrm) = (false, false);
                while let Some(signal) = self.signals.next() {
                    term |= signal == libc::SIGTERM;
                    alrm |= signal == libc::SIGALRM;
                }
                if term || alrm {
                    return Event::Signals { term, alrm };
                }
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
                        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => self.source = Source::Plain,
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

    /// Removes the first `n` bytes returned by the last [`Input::next`] from
    /// stdin (a no-op when they were read plainly).
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
