//! `PROG: fatal: ...` and `PROG: warning: ...` lines, one write each, built
//! from byte slices: account, file, directory and service names come from
//! the command line or a directory and need not be UTF-8, and daemontools
//! prints them exactly as given.

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

/// `PROG: KIND` followed by `parts`, without the newline.
fn start(kind: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut s = Vec::with_capacity(128);
    s.extend_from_slice(program().as_bytes());
    s.extend_from_slice(b": ");
    s.extend_from_slice(kind);
    parts.iter().for_each(|p| s.extend_from_slice(p));
    s
}

fn line(kind: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut s = start(kind, parts);
    s.push(b'\n');
    s
}

/// `PROG: warning: PARTS...`
pub fn warn(parts: &[&[u8]]) {
    write_stderr(&line(b"warning: ", parts));
}

/// `PROG: fatal: PARTS...` (the caller exits).
pub fn fatal(parts: &[&[u8]]) {
    write_stderr(&line(b"fatal: ", parts));
}

/// `PROG: fatal: PARTS...` and the exit code, as a value for `main` to return.
pub fn die(code: u8, parts: &[&[u8]]) -> u8 {
    fatal(parts);
    code
}

/// `PROG: usage: TEXT` and the line naming the program's page
/// ([`usage_as_given`]); exit code 100, as a value for `main` to return.
pub fn usage(text: &str) -> u8 {
    usage_as_given(&line(b"usage: ", &[text.as_bytes()]));
    EXIT_USAGE
}

/// A usage message in the form the original program prints it (`text`,
/// lines ending in newlines: runit's `usage: chpst ...`, daemontools' svc's
/// option list), then `PROG: see man tend-PROG or doc/PROG.md` (`man tend`
/// for tend itself), in one write. The caller picks the exit code.
pub fn usage_as_given(text: &[u8]) {
    let mut s = Vec::with_capacity(text.len() + 64);
    s.extend_from_slice(text);
    push_page(&mut s, program().as_bytes());
    write_stderr(&s);
}

/// `PROG: see man tend-PROG or doc/PROG.md` and its newline.
fn push_page(s: &mut Vec<u8>, program: &[u8]) {
    let (dash, name): (&[u8], &[u8]) = if program == b"tend" { (b"", b"") } else { (b"-", program) };
    for part in [program, b": see man tend", dash, name, b" or doc/", program, b".md\n"] {
        s.extend_from_slice(part);
    }
}

/// `PROG: warning: PARTS...` and its newline, as bytes: a line to print
/// later, or only if it was not printed before.
pub fn warning_line(parts: &[&[u8]]) -> Vec<u8> {
    line(b"warning: ", parts)
}

/// `PROG: fatal: PARTS...` and its newline, as bytes: a line written by a
/// caller that exits at once, from wherever the failure is found.
pub fn fatal_line(parts: &[&[u8]]) -> Vec<u8> {
    line(b"fatal: ", parts)
}

/// `PROG: warning: PARTS...` without its end: the start of a line that a
/// forked child completes with the reason and a newline.
pub fn warning_prefix(parts: &[&[u8]]) -> Vec<u8> {
    start(b"warning: ", parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_kept_as_they_are() {
        set_program("envdir");
        assert_eq!(
            line(b"fatal: ", &[b"unable to read ", b"\xff\xfe", b": x"]),
            b"envdir: fatal: unable to read \xff\xfe: x\n"
        );
        assert_eq!(warning_prefix(&[b"unable to start ", b"\xff", b": "]), b"envdir: warning: unable to start \xff: ");
    }

    #[test]
    fn usage_names_the_page_of_the_program_or_of_tend() {
        let page = |program: &[u8]| {
            let mut s = Vec::new();
            push_page(&mut s, program);
            String::from_utf8(s).unwrap()
        };
        assert_eq!(page(b"svc"), "svc: see man tend-svc or doc/svc.md\n");
        assert_eq!(page(b"tend"), "tend: see man tend or doc/tend.md\n");
    }
}
