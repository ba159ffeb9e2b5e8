//! Stdin-to-stdout filters (tai64n, tai64nlocal): read in large chunks, hand
//! each chunk to a transform, and flush the output before every read that may
//! block, as daemontools does, so an interactive pipe sees each line at once.

use std::io::{self, Read, Write};
use std::process::ExitCode;

/// A byte transform fed one chunk at a time.
pub trait Transform {
    /// Transforms `input` (any slice of the stream), appending to `out`.
    fn chunk(&mut self, input: &[u8], out: &mut Vec<u8>);
    /// Called once at end of input for whatever the transform still holds.
    fn finish(&mut self, out: &mut Vec<u8>);
}

/// Runs `t` from stdin to stdout. Exit 0 at end of input, 111 (silently, as
/// daemontools) on a read or write error.
pub fn run(t: &mut dyn Transform) -> ExitCode {
    match pump(t) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(strerr::EXIT_SYSTEM),
    }
}

fn pump(t: &mut dyn Transform) -> io::Result<()> {
    let mut stdin = io::stdin().lock();
    let mut stdout = io::stdout().lock();
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
        stdout.write_all(&out)?;
        stdout.flush()?;
        out.clear();
    }
    t.finish(&mut out);
    stdout.write_all(&out)?;
    stdout.flush()
}
