//! Stdin-to-stdout filters (tai64n, tai64nlocal): read in large chunks, hand
//! each chunk to a transform, and write the output before every read that may
//! block, as daemontools does, so an interactive pipe sees each line at once.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};

/// A byte transform fed one chunk at a time.
pub trait Transform {
    /// Transforms `input` (any slice of the stream), appending to `out`.
    fn chunk(&mut self, input: &[u8], out: &mut Vec<u8>);
    /// Called once at end of input for whatever the transform still holds.
    fn finish(&mut self, out: &mut Vec<u8>);
}

/// Runs `t` from stdin to stdout. Exit 0 at end of input, 111 (silently, as
/// daemontools) on a read or write error, a closed stdin or stdout included.
/// Descriptors 0 and 1 are those the process started with (a closed one
/// stays closed) and SIGPIPE has the disposition it started with, as for a
/// C program.
pub fn run(t: &mut dyn Transform) -> u8 {
    match pump(t) {
        Ok(()) => 0,
        Err(_) => strerr::EXIT_SYSTEM,
    }
}

fn pump(t: &mut dyn Transform) -> io::Result<()> {
    let mut stdin = plain(io::stdin().as_fd())?;
    let mut stdout = plain(io::stdout().as_fd());
    let mut input = vec![0u8; 64 * 1024];
    let mut out = Vec::with_capacity(128 * 1024);
    loop {
        let n = match stdin.read(&mut input) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        t.chunk(&input[..n], &mut out);
        write(&mut stdout, &out)?;
        out.clear();
    }
    t.finish(&mut out);
    write(&mut stdout, &out)
}

/// A standard descriptor as a plain, unbuffered file. std's stdin and stdout
/// treat a closed descriptor as empty input and as a sink; daemontools fails
/// (exit 111) on both.
fn plain(fd: BorrowedFd) -> io::Result<File> {
    fd.try_clone_to_owned().map(File::from)
}

/// Writes `data`, if any: like daemontools, nothing to write is no error,
/// even with stdout closed.
fn write(stdout: &mut io::Result<File>, data: &[u8]) -> io::Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    match stdout {
        Ok(f) => f.write_all(data),
        Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
    }
}
