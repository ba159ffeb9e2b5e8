//! The console copy: under svscan's `TEND_CONSOLE=1`, every line multilog
//! reads also goes, prefixed with its service's name, into svscan's console
//! pipe (the descriptor in `TEND_CONSOLE_FD`, the name in
//! `TEND_CONSOLE_NAME`), which svscan copies to its standard output.
//!
//! The copy never waits for svscan's standard output (svscan reads the
//! pipe whatever its standard output does, and drops there what it cannot
//! write), only for svscan itself, and for a bounded time: a full pipe
//! (svscan busy, or stopped) is waited on for up to [`WAIT`]; if it is
//! still full, records are dropped and counted (the log directories have
//! them) without any further wait until the pipe takes one again. The count
//! is reported on stderr then and at the end. Lines are copied as read,
//! every one, whatever the script selects, without multilog's label.

use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;

use std::time::Duration;

use console::Framer;
use strerr::warn;

/// How long a full console pipe is waited on before records are dropped.
pub const WAIT: Duration = Duration::from_secs(2);

pub struct Console {
    pipe: OwnedFd,
    framer: Framer,
    out: Out,
}

/// Where the copy stands.
#[derive(Default)]
struct Out {
    /// Records dropped since the last report.
    dropped: u64,
    /// The pipe stayed full for [`WAIT`]: drop without waiting until it takes a record.
    dropping: bool,
    /// svscan is gone (EPIPE): nothing is written any more.
    broken: bool,
}

impl Console {
    /// The console pipe svscan handed down, if any; the variables are
    /// removed from the environment (the logger's processors do not see
    /// them, nor the descriptor). Call before any thread starts.
    pub fn from_env() -> Option<Console> {
        let fd = std::env::var_os(console::FD_VAR)?;
        let name = std::env::var_os(console::NAME_VAR).unwrap_or_default();
        std::env::remove_var(console::FD_VAR);
        std::env::remove_var(console::NAME_VAR);
        let taken = std::str::from_utf8(fd.as_bytes())
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::from_raw_os_error(libc::EBADF))
            .and_then(unix::fd::take_inherited)
            .and_then(|pipe| unix::fd::set_nonblocking(&pipe, true).map(|()| pipe));
        match taken {
            Ok(pipe) => Some(Console { pipe, framer: Framer::new(name.as_bytes()), out: Out::default() }),
            Err(e) => {
                let var = [console::FD_VAR.as_bytes(), b"=", fd.as_bytes()].concat();
                warn(&[b"unable to use ", &var, b": ", strerr::errstr(&e).as_bytes(), b"; no console copy"]);
                None
            }
        }
    }

    /// Copies a batch of input: its whole lines go out now.
    pub fn feed(&mut self, bytes: &[u8]) {
        let Console { pipe, framer, out } = self;
        let mut emit = |chunk: &[u8]| out.put(pipe, chunk);
        framer.feed(bytes, &mut emit);
        framer.flush(&mut emit);
    }

    /// The input ended: the last line goes out, and what was dropped is reported.
    pub fn finish(mut self) {
        let Console { pipe, framer, out } = &mut self;
        framer.finish(&mut |chunk: &[u8]| out.put(pipe, chunk));
        out.report();
    }
}

impl Out {
    /// One write of whole records (at most PIPE_BUF bytes: all or nothing).
    fn put(&mut self, pipe: &OwnedFd, chunk: &[u8]) {
        let mut waited = self.dropping;
        while !self.broken {
            match unix::fd::write(pipe, chunk) {
                Ok(_) => {
                    self.dropping = false;
                    return self.report();
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if waited || !unix::poll::wait_writable(pipe, WAIT) {
                        self.dropping = true;
                        break;
                    }
                    waited = true;
                }
                Err(e) => {
                    self.broken = true;
                    warn(&[
                        b"unable to write to the console pipe: ",
                        strerr::errstr(&e).as_bytes(),
                        b"; no console copy",
                    ]);
                }
            }
        }
        self.dropped += console::records(chunk);
    }

    fn report(&mut self) {
        console::report_dropped(
            &mut self.dropped,
            b"the console (svscan did not keep up); the log directories have them",
        );
    }
}
