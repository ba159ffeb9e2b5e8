//! `tend syslogd`'s core: a syslog message read from its bytes
//! ([`parse`]: RFC 3164 and RFC 5424, malformed ones kept whole), written
//! as one line in a stable form ([`line`]), TCP streams cut into messages
//! ([`Framer`]: RFC 6587's octet counting and newline framing), and the
//! receiver's single-threaded poll loop ([`receive`]) over a Unix datagram
//! socket (`/dev/log`, or the one supervise holds: socket activation) and
//! the UDP and TCP addresses asked for.
//!
//! ```
//! let m = syslog::parse(b"<22>Mar  1 10:00:01 dovecot[812]: imap-login: Login\n", false);
//! let mut out = Vec::new();
//! syslog::line::write(&m, 0, &mut out);
//! assert_eq!(out, b"mail.info dovecot[812]: imap-login: Login\n");
//! ```

#![forbid(unsafe_code)]

mod framing;
pub mod line;
mod parse;
mod receiver;

pub use framing::Framer;
pub use parse::{parse, Message};
pub use receiver::{receive, Options, Sockets};
