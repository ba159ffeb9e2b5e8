//! An SNTP client (RFC 4330): one request per server, a bounded wait, and
//! the reply checked by [`crate::ntp::check_reply`]. Several servers are
//! queried in parallel so that `tend clock` takes one timeout at most.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use tai64::Clock;

use crate::gather::gather;
use crate::ntp::{check_reply, Packet, ReplyError, Sample, Timestamp};

/// The NTP port.
pub const NTP_PORT: u16 = 123;

/// Why a server gave no sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// The name did not resolve.
    Resolve(String),
    /// A socket call failed (including ICMP "port unreachable" as connection refused).
    Io(String),
    /// No acceptable reply within the timeout; the last rejected reply, if any.
    Timeout { waited: Duration, rejected: Option<ReplyError> },
    /// The reply says the server cannot be used.
    Reply(ReplyError),
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Resolve(e) => write!(f, "unable to resolve: {e}"),
            QueryError::Io(e) => write!(f, "unable to query: {e}"),
            QueryError::Timeout { waited, rejected: None } => {
                write!(f, "no reply within {:.1} s", waited.as_secs_f64())
            }
            QueryError::Timeout { waited, rejected: Some(r) } => {
                write!(f, "no usable reply within {:.1} s: {r}", waited.as_secs_f64())
            }
            QueryError::Reply(r) => write!(f, "{r}"),
        }
    }
}

/// One server's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerResult {
    /// As configured or given (`HOST[:PORT]`).
    pub name: String,
    pub address: Option<SocketAddr>,
    pub outcome: Result<Sample, QueryError>,
}

/// Splits `HOST[:PORT]`, `[V6]:PORT` or a bare IPv6 address.
pub fn split_host_port(spec: &str) -> (String, u16) {
    if let Some(rest) = spec.strip_prefix('[') {
        if let Some((host, after)) = rest.split_once(']') {
            let port = after.strip_prefix(':').and_then(|p| p.parse().ok()).unwrap_or(NTP_PORT);
            return (host.to_string(), port);
        }
    }
    match spec.split_once(':') {
        Some((host, port)) if !port.contains(':') => (host.to_string(), port.parse().unwrap_or(NTP_PORT)),
        _ => (spec.to_string(), NTP_PORT),
    }
}

/// Queries one server: resolve, send one request, wait at most `timeout` for a
/// reply that passes the checks (replies that fail them are discarded, as RFC
/// 4330 asks, and the last reason is kept for the report).
pub fn query(spec: &str, timeout: Duration, clock: &dyn Clock) -> ServerResult {
    let (host, port) = split_host_port(spec);
    let address = match (host.as_str(), port).to_socket_addrs() {
        Ok(mut addrs) => addrs.next(),
        Err(e) => return failed(spec, None, QueryError::Resolve(strerr::errstr(&e).to_string())),
    };
    let Some(address) = address else {
        return failed(spec, None, QueryError::Resolve("no address".into()));
    };
    let outcome = exchange(address, timeout, clock);
    ServerResult { name: spec.to_string(), address: Some(address), outcome }
}

fn failed(spec: &str, address: Option<SocketAddr>, e: QueryError) -> ServerResult {
    ServerResult { name: spec.to_string(), address, outcome: Err(e) }
}

fn io_error(e: io::Error) -> QueryError {
    QueryError::Io(strerr::errstr(&e).to_string())
}

fn exchange(address: SocketAddr, timeout: Duration, clock: &dyn Clock) -> Result<Sample, QueryError> {
    let local: SocketAddr = if address.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
    let socket = UdpSocket::bind(local).map_err(io_error)?;
    socket.connect(address).map_err(io_error)?;
    let start = clock.monotonic();
    let sent = Timestamp::from_unix(clock.wall());
    socket.send(&Packet::request(sent).encode()).map_err(io_error)?;
    let mut rejected = None;
    let mut buf = [0u8; 1024];
    loop {
        let waited = clock.monotonic().saturating_sub(start);
        let Some(left) = timeout.checked_sub(waited).filter(|d| !d.is_zero()) else {
            return Err(QueryError::Timeout { waited: timeout, rejected });
        };
        socket.set_read_timeout(Some(left)).map_err(io_error)?;
        let n = match socket.recv(&mut buf) {
            Ok(n) => n,
            // A signal ends a receive with a timeout (never restarted): wait the rest.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            Err(e) => return Err(io_error(e)),
        };
        // T4 from the monotonic clock, so a wall-clock step during the exchange cannot skew it.
        let elapsed = clock.monotonic().saturating_sub(start);
        let received = sent.plus(elapsed);
        let checked = Packet::decode(&buf[..n]).and_then(|p| check_reply(&p, sent, received));
        match checked {
            Ok(sample) => return Ok(sample),
            // An answer from the server itself about its state ends the wait.
            Err(e @ (ReplyError::Unsynchronised { .. } | ReplyError::Kiss(_))) => return Err(QueryError::Reply(e)),
            Err(e) => rejected = Some(e),
        }
    }
}

/// Queries every server in parallel and returns within about `timeout`
/// (plus name resolution, bounded by `timeout` too: a server whose thread has
/// not answered by then is reported as timed out).
pub fn query_all<C>(specs: &[String], timeout: Duration, clock: C) -> Vec<ServerResult>
where
    C: Clock + Clone + Send + 'static,
{
    let jobs = specs
        .iter()
        .map(|spec| {
            let (spec, clock) = (spec.clone(), clock.clone());
            move || query(&spec, timeout, &clock)
        })
        .collect();
    gather(jobs, timeout.saturating_add(timeout / 2), &clock)
        .into_iter()
        .zip(specs)
        .map(|(r, spec)| {
            r.unwrap_or_else(|| failed(spec, None, QueryError::Timeout { waited: timeout, rejected: None }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_forms() {
        assert_eq!(split_host_port("ntp.example:1123"), ("ntp.example".into(), 1123));
        assert_eq!(split_host_port("ntp.example"), ("ntp.example".into(), 123));
        assert_eq!(split_host_port("[::1]:11123"), ("::1".into(), 11123));
        assert_eq!(split_host_port("[::1]"), ("::1".into(), 123));
        assert_eq!(split_host_port("fe80::1"), ("fe80::1".into(), 123));
    }

    #[test]
    fn a_silent_server_times_out_in_bounded_time() {
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let spec = silent.local_addr().unwrap().to_string();
        let t = std::time::Instant::now();
        let r = query(&spec, Duration::from_millis(200), &tai64::SystemClock);
        assert!(matches!(r.outcome, Err(QueryError::Timeout { rejected: None, .. })), "{:?}", r.outcome);
        // A hang guard, not a timing: only a query that ignores its timeout
        // takes a minute, however loaded the machine.
        assert!(t.elapsed() < Duration::from_secs(60), "a 0.2 s query hung for {:?}", t.elapsed());
    }

    #[test]
    fn a_closed_port_is_refused() {
        // A port found free may be taken again at once by a test running in
        // parallel (which then stays silent): try a few, one must refuse.
        let outcomes: Vec<_> = (0..5)
            .map(|_| {
                let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
                query(&format!("127.0.0.1:{port}"), Duration::from_secs(1), &tai64::SystemClock).outcome
            })
            .collect();
        assert!(outcomes.iter().any(|o| matches!(o, Err(QueryError::Io(_)))), "{outcomes:?}");
    }
}
