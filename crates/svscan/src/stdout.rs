//! svscan's standard output in console mode: written without ever
//! blocking, whole records only, what it cannot take dropped and counted.
//!
//! svscan's descriptor 1 is not made non-blocking: its open file
//! description is shared with whoever started svscan (and with stderr
//! after `2>&1` or on a terminal, where the services' messages would then
//! fail with EAGAIN). A pipe, FIFO, terminal or file is opened again
//! through /proc/self/fd/1, which gives a description of svscan's own with
//! O_NONBLOCK; a socket (systemd's journal), which cannot be opened again,
//! is written with send(MSG_DONTWAIT).
//!
//! Records wait in a bounded queue while the output is slow; when it is
//! full, the newest records are dropped and counted, and the count is
//! reported on stderr once the queue has emptied, and at exit. A closed
//! reader (EPIPE) or another write error ends the copy: everything from
//! then on is counted, and reported at exit.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::time::Duration;

use strerr::warn;
use tai64::Clock;

/// The most bytes waiting for a slow standard output (a reader that is
/// late by a moment on a busy machine loses nothing).
const QUEUE_MAX: usize = 1024 * 1024;
/// The queue's memory kept once it has emptied.
const QUEUE_KEPT: usize = 64 * 1024;
/// At exit, how long svscan waits for a slow standard output to take what
/// is queued, at most.
pub const FINAL_WAIT: Duration = Duration::from_secs(1);

enum Target {
    /// Standard output opened again, non-blocking.
    Reopened(File),
    /// Standard output is a socket: sent to without waiting.
    Socket,
}

pub struct Stdout {
    /// `None` once closed: a write failed other than for lack of room, or
    /// nobody read standard output when svscan started.
    target: Option<Target>,
    /// Whole records from `head` on (a record may have been written in part).
    queue: Vec<u8>,
    head: usize,
    /// Records dropped and not reported yet.
    dropped: u64,
}

impl Stdout {
    pub fn open() -> io::Result<Stdout> {
        let stdout = io::stdout();
        let st = unix::fs::fstat(stdout.as_fd())?;
        let target = if st.st_mode & libc::S_IFMT == libc::S_IFSOCK {
            Some(Target::Socket)
        } else {
            match OpenOptions::new()
                .append(true)
                .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
                .open("/proc/self/fd/1")
            {
                Ok(file) => Some(Target::Reopened(file)),
                // A pipe whose reader is gone (a FIFO's open says so).
                Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
                    warn(&[b"standard output has no reader: no console lines"]);
                    None
                }
                Err(e) => return Err(e),
            }
        };
        Ok(Stdout { target, queue: Vec::new(), head: 0, dropped: 0 })
    }

    /// The descriptor to poll for room, if records wait for it.
    pub fn waiting(&self) -> Option<RawFd> {
        match &self.target {
            _ if self.head == self.queue.len() => None,
            None => None,
            Some(Target::Reopened(f)) => Some(f.as_raw_fd()),
            Some(Target::Socket) => Some(io::stdout().as_raw_fd()),
        }
    }

    /// Queues whole records (a chunk ending with a newline) and writes
    /// what the output takes; what the queue has no room for is dropped.
    pub fn put(&mut self, chunk: &[u8]) {
        if self.target.is_none() {
            self.dropped += console::records(chunk);
            return;
        }
        let room = QUEUE_MAX - (self.queue.len() - self.head);
        let keep = if chunk.len() <= room {
            chunk.len()
        } else {
            unix::bytes::memrchr(b'\n', &chunk[..room]).map_or(0, |i| i + 1)
        };
        self.queue.extend_from_slice(&chunk[..keep]);
        self.dropped += console::records(&chunk[keep..]);
        self.flush();
    }

    /// Writes queued records until the output would block, at most
    /// [`console::RECORD_MAX`] bytes of whole records at a time (so that
    /// another writer of a pipe there, a logger that is not multilog, never
    /// cuts into a record).
    pub fn flush(&mut self) {
        while let (Some(target), true) = (&self.target, self.head < self.queue.len()) {
            let window = &self.queue[self.head..self.queue.len().min(self.head + console::RECORD_MAX)];
            let end = unix::bytes::memrchr(b'\n', window).map_or(window.len(), |i| i + 1);
            let written = match target {
                Target::Reopened(f) => unix::fd::write(f, &window[..end]),
                Target::Socket => unix::fd::send_nowait(&io::stdout(), &window[..end]),
            };
            match written {
                Ok(n) => self.head += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    self.target = None;
                    warn(&[
                        b"unable to write to standard output: ",
                        strerr::errstr(&e).as_bytes(),
                        b"; no more console lines",
                    ]);
                    self.dropped += console::records(&self.queue[self.head..]);
                    self.head = self.queue.len();
                }
            }
        }
        if self.head == self.queue.len() {
            self.queue.clear();
            self.queue.shrink_to(QUEUE_KEPT);
            self.head = 0;
            if self.target.is_some() {
                self.report();
            }
        } else if self.head > QUEUE_MAX {
            self.queue.drain(..self.head);
            self.head = 0;
        }
    }

    /// At exit: waits up to [`FINAL_WAIT`] for the output to take what is
    /// queued, then reports what was dropped.
    pub fn finish(mut self, clock: &dyn Clock) {
        let until = clock.monotonic() + FINAL_WAIT;
        self.flush();
        while let Some(fd) = self.waiting() {
            let left = until.saturating_sub(clock.monotonic());
            if left.is_zero() {
                break;
            }
            let mut fds = [unix::poll::pollfd_out(fd)];
            if unix::poll::poll(&mut fds, Some(left)).is_err() {
                break;
            }
            self.flush();
        }
        self.dropped += console::records(&self.queue[self.head..]);
        self.report();
    }

    fn report(&mut self) {
        console::report_dropped(
            &mut self.dropped,
            b"standard output (it was slow or closed); the log directories have those of logged services",
        );
    }
}
