//! djb-style messages whose parts may be any bytes (service names need not
//! be UTF-8): `PROG: fatal: PARTS` / `PROG: warning: PARTS`, one write each.

use std::io;

fn line(kind: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut s = Vec::with_capacity(128);
    s.extend_from_slice(strerr::program().as_bytes());
    s.extend_from_slice(b": ");
    s.extend_from_slice(kind);
    for p in parts {
        s.extend_from_slice(p);
    }
    s.push(b'\n');
    s
}

/// `PROG: warning: PARTS`
pub fn warn(parts: &[&[u8]]) {
    strerr::write_stderr(&line(b"warning: ", parts));
}

/// `PROG: fatal: PARTS` (the caller exits).
pub fn fatal(parts: &[&[u8]]) {
    strerr::write_stderr(&line(b"fatal: ", parts));
}

/// daemontools' text for an error, as bytes.
pub fn why(e: &io::Error) -> Vec<u8> {
    strerr::errstr(e).into_bytes()
}
