//! djb-style messages whose parts are bytes: account, file and program names
//! come from the command line or a directory and need not be UTF-8, and
//! daemontools prints them exactly as given.

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;

fn line(kind: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut s = Vec::with_capacity(128);
    s.extend_from_slice(strerr::program().as_bytes());
    s.extend_from_slice(b": ");
    s.extend_from_slice(kind);
    parts.iter().for_each(|p| s.extend_from_slice(p));
    s.push(b'\n');
    s
}

/// `PROG: warning: PARTS...` in one write.
pub fn warn(parts: &[&[u8]]) {
    strerr::write_stderr(&line(b"warning: ", parts));
}

/// `PROG: fatal: PARTS...` in one write (the caller exits).
pub fn fatal(parts: &[&[u8]]) {
    strerr::write_stderr(&line(b"fatal: ", parts));
}

/// `PROG: fatal: PARTS...` in one write, and `code` for `main` to return.
pub fn die(code: u8, parts: &[&[u8]]) -> u8 {
    fatal(parts);
    code
}

/// daemontools' `PROG: fatal: unable to run PROGRAM: ERR`, exit code 111.
pub fn run_failed(program: &OsStr, e: &io::Error) -> u8 {
    let e = strerr::errstr(e);
    die(strerr::EXIT_SYSTEM, &[b"unable to run ", program.as_bytes(), b": ", e.as_bytes()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_kept_as_they_are() {
        strerr::set_program("envdir");
        assert_eq!(
            line(b"fatal: ", &[b"unable to read ", b"\xff\xfe", b": x"]),
            b"envdir: fatal: unable to read \xff\xfe: x\n"
        );
    }
}
