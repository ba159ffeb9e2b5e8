//! `PROG: fatal: ...` and `PROG: warning: ...` lines, one write each.

use std::io::{self, Write};
use std::sync::OnceLock;

/// Exit code for a usage error or a permanent failure.
pub const EXIT_USAGE: u8 = 100;
/// Exit code for a temporary or system failure.
pub const EXIT_SYSTEM: u8 = 111;
/// Exit code for an internal bug.
pub const EXIT_BUG: u8 = 101;

static PROGRAM: OnceLock<&str> = OnceLock::new();

/// Sets the name every message starts with. The first call wins.
pub fn set_program(name: &'static str) {
    let _ = PROGRAM.set(name);
}

/// The name set by [`set_program`], or `tend`.
pub fn program() -> &'static str {
    PROGRAM.get().copied().unwrap_or("tend")
}

/// Writes `bytes` to stderr in one `write` (djb's `strerr` does the same),
/// so that lines from several processes sharing stderr never interleave.
pub fn write_stderr(bytes: &[u8]) {
    let _ = io::stderr().lock().write_all(bytes);
}

fn line(kind: &str, parts: &[&str]) -> Vec<u8> {
    let mut s = Vec::with_capacity(128);
    s.extend_from_slice(program().as_bytes());
    s.extend_from_slice(b": ");
    s.extend_from_slice(kind.as_bytes());
    for p in parts {
        s.extend_from_slice(p.as_bytes());
    }
    s.push(b'\n');
    s
}

/// `PROG: warning: PARTS...`
pub fn warn(parts: &[&str]) {
    write_stderr(&line("warning: ", parts));
}

/// `PROG: fatal: PARTS...` (the caller exits).
pub fn fatal(parts: &[&str]) {
    write_stderr(&line("fatal: ", parts));
}

/// `PROG: usage: TEXT` and exit code 100, as a value for `main` to return.
pub fn usage(text: &str) -> u8 {
    write_stderr(&line("usage: ", &[text]));
    EXIT_USAGE
}

/// `PROG: fatal: PARTS...` and the exit code, as a value for `main` to return.
pub fn die(code: u8, parts: &[&str]) -> u8 {
    fatal(parts);
    code
}
