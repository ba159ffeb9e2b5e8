//! syslogd: receive syslog messages and write them to stdout, one line
//! each, for multilog (doc/syslogd.md).
//!
//! `syslogd [-s PATH] [-u ADDR:PORT] [-t ADDR:PORT] [-m MAXLEN]`: the Unix
//! datagram socket comes from supervise (`socket` file: LISTEN_FDS=1 and
//! LISTEN_PID this process, descriptor 3), else it is made at PATH
//! (default /dev/log, mode 0666); UDP (`-u`) and TCP (`-t`) only on the
//! addresses given. Exits 111 when it cannot listen or write, 100 on usage.

use std::ffi::{CString, OsStr, OsString};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;

use strerr::{Getopt, Opt};

const USAGE: &str = "syslogd [-s path] [-u addr:port] [-t addr:port] [-m maxlen]";
/// The longest message kept by default (rsyslog's default too).
const MAX_DEFAULT: usize = 8192;
/// The bounds of `-m`.
const MAX_LEAST: usize = 64;
const MAX_MOST: usize = 1 << 20;

pub fn main(args: &[&OsStr]) -> u8 {
    let (mut path, mut udp, mut tcp, mut max) = (None, None, None, MAX_DEFAULT);
    for opt in Getopt::new(args, "s:u:t:m:") {
        match opt {
            Opt::Arg(b's', p) => path = Some(p),
            Opt::Arg(b'u', a) => match address(a) {
                Some(a) => udp = Some(a),
                None => return strerr::usage(USAGE),
            },
            Opt::Arg(b't', a) => match address(a) {
                Some(a) => tcp = Some(a),
                None => return strerr::usage(USAGE),
            },
            Opt::Arg(b'm', m) => match m.to_str().and_then(|m| m.parse().ok()) {
                Some(m) if (MAX_LEAST..=MAX_MOST).contains(&m) => max = m,
                _ => return strerr::usage(USAGE),
            },
            _ => return strerr::usage(USAGE),
        }
    }
    let path = path.unwrap_or_else(|| "/dev/log".into());
    let unix = match activated().unwrap_or_else(|| bound(path.as_bytes())) {
        Ok(fd) => fd,
        Err(code) => return code,
    };
    let udp = match udp.map(|(text, a)| UdpSocket::bind(a).map_err(|e| (text, e))).transpose() {
        Ok(s) => s,
        Err((text, e)) => return die(&[b"unable to bind UDP ", text.as_bytes()], &e),
    };
    let tcp = match tcp.map(|(text, a)| TcpListener::bind(a).map_err(|e| (text, e))).transpose() {
        Ok(s) => s,
        Err((text, e)) => return die(&[b"unable to listen on TCP ", text.as_bytes()], &e),
    };
    let sockets = syslog::Sockets { unix: Some(unix), udp, tcp };
    let e = syslog::receive(sockets, &syslog::Options { max }, &std::io::stdout());
    die(&[b"unable to write output"], &e)
}

/// `ADDR:PORT` with a numeric address (`127.0.0.1:514`, `[::1]:514`): no
/// name is looked up. The text is kept for messages.
fn address(text: OsString) -> Option<(OsString, SocketAddr)> {
    let addr = text.to_str()?.parse().ok()?;
    Some((text, addr))
}

/// The socket supervise hands over (systemd's socket activation), if the
/// variables say it is for this process.
fn activated() -> Option<Result<OwnedFd, u8>> {
    let fds = std::env::var_os("LISTEN_FDS")?;
    let pid = std::env::var_os("LISTEN_PID")?;
    if pid.as_bytes() != std::process::id().to_string().as_bytes() {
        return None;
    }
    if fds.as_bytes() != b"1" {
        let e = std::io::Error::from_raw_os_error(libc::EINVAL);
        return Some(Err(die(&[b"unable to use LISTEN_FDS=", fds.as_bytes(), b" (one socket expected)"], &e)));
    }
    Some(match unix::fd::take_inherited(3) {
        Ok(fd) if unix::listen::is_unix_datagram(&fd) => Ok(fd),
        Ok(_) => {
            let e = std::io::Error::from_raw_os_error(libc::ENOTSOCK);
            Err(die(&[b"unable to use descriptor 3: not a Unix datagram socket"], &e))
        }
        Err(e) => Err(die(&[b"unable to use descriptor 3"], &e)),
    })
}

/// A socket made at `path`, mode 0666 (a stale socket there is replaced).
fn bound(path: &[u8]) -> Result<OwnedFd, u8> {
    let c = CString::new(path).map_err(|_| strerr::usage(USAGE))?;
    match unix::listen::bind_path_datagram(&c, 0o666, None) {
        Ok((fd, _)) => Ok(fd),
        Err(e) => Err(die(&[b"unable to bind ", path], &e)),
    }
}

fn die(what: &[&[u8]], e: &std::io::Error) -> u8 {
    let what = what.concat();
    strerr::die(strerr::EXIT_SYSTEM, &[&what, b": ", strerr::errstr(e).as_bytes()])
}
