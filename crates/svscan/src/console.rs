//! Console mode (`TEND_CONSOLE=1`): svscan copies every service's lines to
//! its standard output, each prefixed with the service's name (the record
//! format is the `console` crate's).
//!
//! Two kinds of source, both read in svscan's poll loop:
//! - the console pipe, which every log supervise inherits (its number in
//!   `TEND_CONSOLE_FD`, the service's name in `TEND_CONSOLE_NAME`) and
//!   tend's multilog writes whole records into, without blocking;
//! - for each service without `log/`, the pipe that is its standard output
//!   (held across restarts, as a log pipe is), whose lines svscan frames
//!   itself: a tiny logger inside svscan rather than a process per service.
//!
//! Everything goes to [`Stdout`], which never blocks. svscan reads every
//! source as soon as it is readable, so a service never waits for its
//! output, however slow svscan's standard output is.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;

use console::Framer;
use strerr::warn;
use tai64::Clock;
use unix::env::Envp;

use crate::stdout::Stdout;

/// The console pipe's capacity, if the system allows (Linux's default
/// maximum for an unprivileged process).
const PIPE_SIZE: usize = 1024 * 1024;
/// The most bytes read from one source at a time.
const READ_MAX: usize = 64 * 1024;
/// The most reads of a source that is going away (a service's escaped
/// children may go on writing into its pipe).
const LAST_READS: usize = 16;

pub struct Console {
    stdout: Stdout,
    /// The console pipe: (read end, write end), both non-blocking.
    pipe: (OwnedFd, OwnedFd),
    /// The beginning of a record read from the console pipe.
    partial: Vec<u8>,
    /// The services without `log/`, by the table's id.
    services: BTreeMap<u64, Service>,
    buf: Vec<u8>,
}

/// The standard output of a service without `log/`.
struct Service {
    read: OwnedFd,
    write: OwnedFd,
    framer: Framer,
}

impl Console {
    /// Console mode if `TEND_CONSOLE` asks for it and it can be set up;
    /// says why not otherwise.
    pub fn from_env() -> Option<Console> {
        let value = std::env::var_os(console::SWITCH);
        match console::Switch::of(value.as_deref().map(|v| v.as_bytes())) {
            console::Switch::On => {}
            console::Switch::Off => return None,
            console::Switch::Invalid => {
                let value = value.unwrap_or_default();
                let var = [console::SWITCH.as_bytes(), b"=", value.as_bytes()].concat();
                warn(&[&var, b": not 1 or 0; the console copy stays off"]);
                return None;
            }
        }
        let set_up = || -> io::Result<Console> {
            let stdout = Stdout::open()?;
            let (r, w) = unix::pipe::pipe()?;
            // Room for the loggers' bursts while svscan is busy elsewhere.
            unix::pipe::set_pipe_size(w.as_raw_fd(), PIPE_SIZE);
            unix::fd::set_nonblocking(&r, true)?;
            unix::fd::set_nonblocking(&w, true)?;
            Ok(Console { stdout, pipe: (r, w), partial: Vec::new(), services: BTreeMap::new(), buf: vec![0; READ_MAX] })
        };
        match set_up() {
            Ok(c) => Some(c),
            Err(e) => {
                warn(&[b"unable to set up the console copy: ", strerr::errstr(&e).as_bytes(), b"; it stays off"]);
                None
            }
        }
    }

    /// What a log supervise of service `name` gets: the console pipe (kept
    /// at its number) and the environment naming it.
    pub fn for_logger(&self, name: &[u8]) -> io::Result<(RawFd, Envp)> {
        let fd = self.pipe.1.as_raw_fd();
        let env = Envp::with(&[
            (console::FD_VAR.as_bytes(), fd.to_string().as_bytes()),
            (console::NAME_VAR.as_bytes(), name),
        ])?;
        Ok((fd, env))
    }

    /// The write end of the standard output pipe of service `id` (without
    /// `log/`), made with `make_pipe` the first time.
    pub fn service_stdout(
        &mut self,
        id: u64,
        name: &[u8],
        make_pipe: impl FnOnce() -> io::Result<(OwnedFd, OwnedFd)>,
    ) -> io::Result<RawFd> {
        if let Some(s) = self.services.get(&id) {
            return Ok(s.write.as_raw_fd());
        }
        let (read, write) = make_pipe()?;
        unix::fd::set_nonblocking(&read, true)?;
        let fd = write.as_raw_fd();
        self.services.insert(id, Service { read, write, framer: Framer::new(name) });
        Ok(fd)
    }

    /// Service `id` is gone: its last output goes out, its pipe is closed.
    pub fn forget(&mut self, id: u64) {
        if let Some(mut s) = self.services.remove(&id) {
            for _ in 0..LAST_READS {
                if !self.read_service(&mut s) {
                    break;
                }
            }
            s.framer.finish(&mut |chunk: &[u8]| self.stdout.put(chunk));
        }
    }

    /// Adds the descriptors to poll: the console pipe, standard output
    /// while records wait for it (else a slot poll skips), each service's pipe.
    pub fn pollfds(&self, fds: &mut Vec<libc::pollfd>) {
        fds.push(unix::poll::pollfd(self.pipe.0.as_raw_fd()));
        fds.push(unix::poll::pollfd_out(self.stdout.waiting().unwrap_or(-1)));
        fds.extend(self.services.values().map(|s| unix::poll::pollfd(s.read.as_raw_fd())));
    }

    /// Reads and writes what `fds` (as [`Console::pollfds`] made them) says is ready.
    pub fn ready(&mut self, fds: &[libc::pollfd]) {
        let [pipe, stdout, services @ ..] = fds else { return };
        if pipe.revents != 0 {
            self.read_pipe();
        }
        if stdout.revents != 0 {
            self.stdout.flush();
        }
        let ready: Vec<u64> =
            self.services.keys().zip(services).filter(|(_, p)| p.revents != 0).map(|(&id, _)| id).collect();
        for id in ready {
            if let Some(mut s) = self.services.remove(&id) {
                self.read_service(&mut s);
                self.services.insert(id, s);
            }
        }
    }

    /// svscan exits: what the sources still hold goes out, then standard
    /// output gets its last chance ([`crate::stdout::FINAL_WAIT`]).
    pub fn finish(mut self, clock: &dyn Clock) {
        for _ in 0..LAST_READS {
            if !self.read_pipe() {
                break;
            }
        }
        for id in self.services.keys().copied().collect::<Vec<_>>() {
            self.forget(id);
        }
        self.stdout.finish(clock);
    }

    /// Reads the console pipe once; whole records go to standard output.
    /// Returns whether anything was read.
    fn read_pipe(&mut self) -> bool {
        let n = match unix::fd::read(self.pipe.0.as_raw_fd(), &mut self.buf) {
            Ok(n) if n > 0 => n,
            _ => return false,
        };
        let data = &self.buf[..n];
        match unix::bytes::memrchr(b'\n', data) {
            None => self.partial.extend_from_slice(data),
            Some(i) => {
                if self.partial.is_empty() {
                    self.stdout.put(&data[..=i]);
                } else {
                    self.partial.extend_from_slice(&data[..=i]);
                    self.stdout.put(&self.partial);
                    self.partial.clear();
                }
                self.partial.extend_from_slice(&data[i + 1..]);
            }
        }
        true
    }

    /// Reads a service's pipe once and frames its lines. Returns whether
    /// anything was read.
    fn read_service(&mut self, s: &mut Service) -> bool {
        let n = match unix::fd::read(s.read.as_raw_fd(), &mut self.buf) {
            Ok(n) if n > 0 => n,
            _ => return false,
        };
        let stdout = &mut self.stdout;
        let mut emit = |chunk: &[u8]| stdout.put(chunk);
        s.framer.feed(&self.buf[..n], &mut emit);
        s.framer.flush(&mut emit);
        true
    }
}
