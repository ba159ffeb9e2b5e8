//! The listener: one thread, one poll loop over the listening sockets,
//! the wall-step timer and the connections (at most
//! [`Limits::connections`], each closed [`Limits::time`] after it was
//! accepted, whatever it is doing: a slow or silent client holds only its
//! own connection, never the next one). Every descriptor is non-blocking;
//! a request is answered as soon as its head is whole, then the
//! connection is closed after its input is drained (so that a client
//! still sending gets the answer, not a reset). The textfile, if any, is
//! written by the same loop on its interval (CLOCK_MONOTONIC).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use crate::answer::{Exporter, Pages, Response};
use crate::http::{self, Parsed, Status};

/// How much a client may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections at once; one more is answered 503 and closed.
    pub connections: usize,
    /// The time a connection may take, from accept to close.
    pub time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { connections: 64, time: Duration::from_secs(10) }
    }
}

/// After the answer, input is drained (and thrown away) this long at most.
const LINGER: Duration = Duration::from_secs(2);

/// node_exporter's textfile: where, and how often.
pub struct Textfile {
    pub path: PathBuf,
    pub every: Duration,
}

enum Phase {
    /// The request's head so far.
    Reading(Vec<u8>),
    /// The response: its head, its body, how much of both is sent.
    Writing { head: Vec<u8>, body: Option<Rc<String>>, sent: usize },
    /// Answered; the input is read until its end, then the connection closed.
    Draining,
}

struct Connection {
    stream: TcpStream,
    /// When it is closed, whatever it is doing.
    deadline: Duration,
    phase: Phase,
}

fn now() -> Duration {
    unix::time::clock_gettime(libc::CLOCK_MONOTONIC)
}

/// Serves until poll itself fails; returns that error.
pub fn serve<P: Pages>(
    listeners: &[TcpListener],
    exporter: &mut Exporter<P>,
    textfile: Option<&Textfile>,
    limits: Limits,
) -> io::Error {
    for l in listeners {
        if let Err(e) = l.set_nonblocking(true) {
            return e;
        }
    }
    let timer = unix::timer::wall_step_timer().ok();
    let mut connections: Vec<Connection> = Vec::new();
    let mut next_write = textfile.map(|_| now());
    let mut write_failed = false;
    let mut warned_full = false;
    let mut fds: Vec<libc::pollfd> = Vec::new();
    loop {
        let start = now();
        if let (Some(due), Some(t)) = (next_write, textfile) {
            if due <= start {
                write_failed = write_textfile(exporter, t, write_failed);
                next_write = Some(timehealth::watch::next_after(due, now(), t.every));
            }
        }
        fds.clear();
        fds.extend(listeners.iter().map(|l| unix::poll::pollfd(l.as_raw_fd())));
        fds.push(unix::poll::pollfd(timer.as_ref().map_or(-1, AsRawFd::as_raw_fd)));
        fds.extend(connections.iter().map(|c| match c.phase {
            Phase::Writing { .. } => unix::poll::pollfd_out(c.stream.as_raw_fd()),
            _ => unix::poll::pollfd(c.stream.as_raw_fd()),
        }));
        let deadline = connections.iter().map(|c| c.deadline).chain(next_write).min();
        if let Err(e) = unix::poll::poll(&mut fds, deadline.map(|d| d.saturating_sub(start))) {
            return e;
        }
        let (ready_listeners, rest) = fds.split_at_checked(listeners.len()).unwrap_or_default();
        let (ready_timer, ready_connections) = rest.split_first().map_or((false, rest), |(t, r)| (t.revents != 0, r));
        if let (true, Some(t)) = (ready_timer, &timer) {
            if unix::timer::wall_was_stepped(t) {
                let _ = unix::timer::arm_wall_step_timer(t);
                exporter.wall_stepped();
            }
        }
        let now = self::now();
        let mut kept = Vec::with_capacity(connections.len());
        for (i, mut c) in connections.drain(..).enumerate() {
            let ready = ready_connections.get(i).is_some_and(|p| p.revents != 0);
            let open = if c.deadline <= now {
                expire(&mut c);
                false
            } else if ready {
                step(&mut c, exporter, now)
            } else {
                true
            };
            if open {
                kept.push(c);
            }
        }
        connections = kept;
        for (l, p) in listeners.iter().zip(ready_listeners) {
            if p.revents != 0 {
                accept(l, &mut connections, limits, now, &mut warned_full);
            }
        }
    }
}

/// Takes every pending connection; beyond the limit, answers 503 and closes.
fn accept(listener: &TcpListener, connections: &mut Vec<Connection>, limits: Limits, now: Duration, warned: &mut bool) {
    while let Ok((stream, _)) = listener.accept() {
        if stream.set_nonblocking(true).is_err() {
            continue;
        }
        if connections.len() >= limits.connections {
            if !*warned {
                strerr::warn(&[
                    b"refusing connections beyond ",
                    limits.connections.to_string().as_bytes(),
                    b" at once (said once)",
                ]);
                *warned = true;
            }
            let mut refused = Connection { stream, deadline: now, phase: Phase::Draining };
            send_once(&mut refused, Status::Unavailable);
            continue;
        }
        let phase = Phase::Reading(Vec::new());
        connections.push(Connection { stream, deadline: now.saturating_add(limits.time), phase });
    }
}

/// Out of time: a request still incomplete is told so (if its socket takes
/// it at once), then the connection is closed.
fn expire(c: &mut Connection) {
    if matches!(&c.phase, Phase::Reading(head) if !head.is_empty()) {
        send_once(c, Status::RequestTimeout);
    }
}

/// Writes an error's answer as far as the socket takes it now, no more.
fn send_once(c: &mut Connection, status: Status) {
    let r = Response::error(status);
    let mut head = Vec::new();
    http::head(status, r.content_type, r.body.len(), &mut head);
    head.extend_from_slice(r.body.as_bytes());
    let _ = c.stream.write(&head);
    let _ = c.stream.shutdown(Shutdown::Write);
}

/// Does what the connection is ready for; whether it stays open.
fn step<P: Pages>(c: &mut Connection, exporter: &mut Exporter<P>, now: Duration) -> bool {
    match &mut c.phase {
        Phase::Reading(head) => {
            let mut chunk = [0u8; 2048];
            let room = http::MAX_HEAD.saturating_sub(head.len()).min(chunk.len());
            let n = match c.stream.read(chunk.get_mut(..room).unwrap_or_default()) {
                Ok(0) => return false,
                Ok(n) => n,
                Err(e) => return retry(&e),
            };
            head.extend_from_slice(chunk.get(..n).unwrap_or_default());
            let response = match http::parse(head) {
                Parsed::Incomplete => return true,
                Parsed::Request(request) => exporter.answer(&request),
                Parsed::Refused(status) => Response::error(status),
            };
            let mut out = std::mem::take(head);
            http::head(response.status, response.content_type, response.body.len(), &mut out);
            let body = (!response.head_only).then_some(response.body);
            c.phase = Phase::Writing { head: out, body, sent: 0 };
            // Most answers fit the socket's buffer: send now rather than after another poll.
            step(c, exporter, now)
        }
        Phase::Writing { head, body, sent } => {
            loop {
                let body = body.as_deref().map_or(&b""[..], |b| b.as_bytes());
                let rest = match sent.checked_sub(head.len()) {
                    None => head.get(*sent..).unwrap_or_default(),
                    Some(into_body) => body.get(into_body..).unwrap_or_default(),
                };
                if rest.is_empty() && *sent >= head.len() {
                    break;
                }
                match c.stream.write(rest) {
                    Ok(0) => return false,
                    Ok(n) => *sent += n,
                    Err(e) => return retry(&e),
                }
            }
            let _ = c.stream.shutdown(Shutdown::Write);
            c.phase = Phase::Draining;
            c.deadline = c.deadline.min(now.saturating_add(LINGER));
            true
        }
        Phase::Draining => {
            let mut chunk = [0u8; 2048];
            loop {
                match c.stream.read(&mut chunk) {
                    Ok(0) => return false,
                    Ok(_) => {}
                    Err(e) => return retry(&e),
                }
            }
        }
    }
}

/// After an error: open if it only says "not now".
fn retry(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted)
}

/// Writes the textfile; whether it failed (a failure is said once, until
/// a write succeeds again).
fn write_textfile<P: Pages>(exporter: &mut Exporter<P>, t: &Textfile, failed_before: bool) -> bool {
    let text = exporter.metrics(false);
    match emit::write_atomically(&t.path, text.as_bytes()) {
        Ok(()) => false,
        Err(e) => {
            if !failed_before {
                let p = t.path.as_os_str().as_encoded_bytes();
                strerr::warn(&[b"unable to write ", p, b": ", strerr::errstr(&e).as_bytes()]);
            }
            true
        }
    }
}
