//! The receiver: one thread, one poll loop over the Unix datagram socket,
//! the UDP socket and the TCP listener asked for, and the TCP connections
//! (at most [`MAX_CONNECTIONS`], each closed after [`IDLE`] without
//! input). Each message becomes one line written whole to the output (the
//! log pipe to multilog).
//!
//! A datagram on the Unix socket is peeked, its line written, and only then
//! taken off the queue: a receiver killed at any point leaves every message
//! it has not written in the socket (which supervise holds) for the next
//! one; at worst the last line is written twice. UDP and TCP have no such
//! guarantee (their senders do not wait for the receiver either).

use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::Duration;

use crate::framing::Framer;
use crate::line;
use crate::parse::{parse, Message};

/// The most TCP connections at once; a new one beyond is closed at once.
pub const MAX_CONNECTIONS: usize = 64;
/// A TCP connection idle this long is closed (the sender reconnects).
pub const IDLE: Duration = Duration::from_secs(300);
/// Datagrams read from one socket per wake-up, so that none starves the others.
const PER_WAKE: usize = 256;

/// What to listen on.
pub struct Sockets {
    pub unix: Option<OwnedFd>,
    pub udp: Option<UdpSocket>,
    pub tcp: Option<TcpListener>,
}

pub struct Options {
    /// The longest message kept (bytes); the rest is cut and counted.
    pub max: usize,
}

struct Connection {
    stream: TcpStream,
    peer: Vec<u8>,
    framer: Framer,
    /// When it last sent something (monotonic).
    active: Duration,
}

/// Receives until writing to `out` fails; returns that error.
pub fn receive(sockets: Sockets, options: &Options, out: &impl AsRawFd) -> io::Error {
    let mut r = Receiver {
        out: out.as_raw_fd(),
        max: options.max,
        buf: vec![0; options.max.max(1)],
        line: Vec::new(),
        warned_full: false,
        connections: Vec::new(),
    };
    if let Some(tcp) = &sockets.tcp {
        if let Err(e) = tcp.set_nonblocking(true) {
            return e;
        }
    }
    loop {
        if let Err(e) = r.wake(&sockets) {
            return e;
        }
    }
}

fn now() -> Duration {
    unix::time::clock_gettime(libc::CLOCK_MONOTONIC)
}

struct Receiver {
    out: RawFd,
    max: usize,
    buf: Vec<u8>,
    line: Vec<u8>,
    warned_full: bool,
    connections: Vec<Connection>,
}

impl Receiver {
    /// One wait and what follows it; an error only from writing.
    fn wake(&mut self, sockets: &Sockets) -> io::Result<()> {
        let now = now();
        let mut fds = vec![
            unix::poll::pollfd(sockets.unix.as_ref().map_or(-1, AsRawFd::as_raw_fd)),
            unix::poll::pollfd(sockets.udp.as_ref().map_or(-1, AsRawFd::as_raw_fd)),
            unix::poll::pollfd(sockets.tcp.as_ref().map_or(-1, AsRawFd::as_raw_fd)),
        ];
        fds.extend(self.connections.iter().map(|c| unix::poll::pollfd(c.stream.as_raw_fd())));
        let timeout = self.connections.iter().map(|c| (c.active + IDLE).saturating_sub(now)).min();
        if let Err(e) = unix::poll::poll(&mut fds, timeout) {
            strerr::warn(&[b"unable to poll: ", strerr::errstr(&e).as_bytes()]);
            return Ok(());
        }
        let ready: Vec<bool> = fds.iter().map(|p| p.revents != 0).collect();
        if let (Some(true), Some(s)) = (ready.first(), &sockets.unix) {
            self.datagrams(s)?;
        }
        if let (Some(true), Some(s)) = (ready.get(1), &sockets.udp) {
            self.udp(s)?;
        }
        if let (Some(true), Some(l)) = (ready.get(2), &sockets.tcp) {
            self.accept(l);
        }
        let now = self::now();
        let connections = std::mem::take(&mut self.connections);
        // Connections accepted just now have no entry: not ready yet.
        for (i, mut c) in connections.into_iter().enumerate() {
            let open = if ready.get(i + 3) == Some(&true) { self.read(&mut c, now)? } else { c.active + IDLE > now };
            if open {
                self.connections.push(c);
            } else {
                self.close(&mut c)?;
            }
        }
        Ok(())
    }

    /// The Unix socket: peek, write, consume.
    fn datagrams(&mut self, socket: &OwnedFd) -> io::Result<()> {
        for _ in 0..PER_WAKE {
            let peeked = match unix::listen::peek(socket, &mut self.buf) {
                Ok(Some(p)) => p,
                Ok(None) => break,
                Err(e) => {
                    strerr::warn(&[b"unable to read the socket: ", strerr::errstr(&e).as_bytes()]);
                    break;
                }
            };
            let bytes = self.buf.get(..peeked.copied).unwrap_or_default();
            self.line.clear();
            // The host is this one, whatever the message says.
            let m = Message { host: None, ..parse(bytes, false) };
            line::write(&m, peeked.len - peeked.copied, &mut self.line);
            write_all(self.out, &self.line)?;
            let _ = unix::listen::consume(socket);
        }
        Ok(())
    }

    fn udp(&mut self, socket: &UdpSocket) -> io::Result<()> {
        for _ in 0..PER_WAKE {
            let len = match unix::listen::peek(socket, &mut self.buf) {
                Ok(Some(p)) => p.len,
                _ => break,
            };
            let Ok((copied, from)) = socket.recv_from(&mut self.buf) else { break };
            let peer = peer_name(&from);
            let bytes = self.buf.get(..copied).unwrap_or_default();
            write_network(self.out, &mut self.line, bytes, len.saturating_sub(copied), &peer)?;
        }
        Ok(())
    }

    fn write(&mut self, bytes: &[u8], cut: usize, peer: &[u8]) -> io::Result<()> {
        write_network(self.out, &mut self.line, bytes, cut, peer)
    }

    fn accept(&mut self, listener: &TcpListener) {
        while let Ok((stream, from)) = listener.accept() {
            if self.connections.len() >= MAX_CONNECTIONS {
                if !self.warned_full {
                    strerr::warn(&[b"refusing TCP connections beyond 64 at once (said once)"]);
                    self.warned_full = true;
                }
                continue;
            }
            if stream.set_nonblocking(true).is_ok() {
                self.connections.push(Connection {
                    stream,
                    peer: peer_name(&from),
                    framer: Framer::default(),
                    active: now(),
                });
            }
        }
    }

    /// Reads what came; whether the connection stays open.
    fn read(&mut self, c: &mut Connection, now: Duration) -> io::Result<bool> {
        let mut chunk = [0u8; 16384];
        let n = match c.stream.read(&mut chunk) {
            Ok(0) => return Ok(false),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::Interrupted => {
                return Ok(true)
            }
            Err(_) => return Ok(false),
        };
        c.active = now;
        let mut frames = Vec::new();
        let ok = c.framer.feed(chunk.get(..n).unwrap_or_default(), self.max, |m, cut| frames.push((m.to_vec(), cut)));
        for (m, cut) in frames {
            self.write(&m, cut, &c.peer)?;
        }
        Ok(ok)
    }

    /// A closed connection's unfinished line, if any.
    fn close(&mut self, c: &mut Connection) -> io::Result<()> {
        let mut last = None;
        c.framer.finish(|m, cut| last = Some((m.to_vec(), cut)));
        match last {
            Some((m, cut)) => self.write(&m, cut, &c.peer),
            None => Ok(()),
        }
    }
}

/// A network message's line: its host, else the peer's address.
fn write_network(out: RawFd, line: &mut Vec<u8>, bytes: &[u8], cut: usize, peer: &[u8]) -> io::Result<()> {
    let mut m = parse(bytes, true);
    if m.host.is_none() {
        m.host = Some(peer);
    }
    line.clear();
    line::write(&m, cut, line);
    write_all(out, line)
}

/// The peer's address, without its port: `192.0.2.7`, or an IPv6
/// address as eight hexadecimal groups, uncompressed (written here, not by
/// std's Display, whose code and tables would cost every tend process
/// RELRO bytes).
fn peer_name(from: &SocketAddr) -> Vec<u8> {
    let mut out = Vec::new();
    match from {
        SocketAddr::V4(a) => {
            for (i, octet) in a.ip().octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                line::decimal(octet.into(), &mut out);
            }
        }
        SocketAddr::V6(a) => {
            for (i, group) in a.ip().segments().into_iter().enumerate() {
                if i > 0 {
                    out.push(b':');
                }
                let digits =
                    [12, 8, 4, 0].map(|shift| b"0123456789abcdef".get(usize::from(group >> shift & 15)).copied());
                let first = digits.iter().position(|d| *d != Some(b'0')).unwrap_or(3);
                out.extend(digits.iter().skip(first).flatten());
            }
        }
    }
    out
}

/// Writes all of `bytes` to `fd`, waiting if it is non-blocking and full.
fn write_all(fd: RawFd, mut bytes: &[u8]) -> io::Result<()> {
    let borrowed = Raw(fd);
    while !bytes.is_empty() {
        match unix::fd::write(&borrowed, bytes) {
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                unix::poll::wait_writable(&borrowed, Duration::from_secs(1));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A descriptor number borrowed for a call.
struct Raw(RawFd);

impl AsRawFd for Raw {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}
