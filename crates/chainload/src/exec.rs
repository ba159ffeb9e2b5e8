//! Running a program through PATH exactly as daemontools' `pathexec_run` does.

use std::ffi::{CString, OsStr};
use std::io;
use std::os::unix::ffi::OsStrExt;

use crate::env::Environment;

const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";

/// Replaces this process with `file`, run with `argv` (argv[0] included) and `env`.
///
/// A `file` containing `/` is executed as it is. Otherwise each element of
/// this process's own PATH (not `env`'s: daemontools reads its own) is tried
/// in turn, an empty element meaning `.`, PATH defaulting to `/bin:/usr/bin`.
/// EACCES, EPERM and EISDIR are remembered and the search goes on; ENOENT
/// goes on; any other error stops it. Returns only on failure, with the last
/// remembered error, else the last one seen.
pub fn run(file: &OsStr, argv: &[&OsStr], env: &Environment) -> io::Error {
    let argv: Result<Vec<CString>, _> = argv.iter().map(|a| CString::new(a.as_bytes())).collect();
    let Ok(argv) = argv else { return io::Error::from_raw_os_error(libc::EINVAL) };
    let envp = match env.to_cstrings() {
        Ok(e) => e,
        Err(e) => return e,
    };
    let file = file.as_bytes();
    if file.contains(&b'/') {
        return unix::process::execve(file, &argv, &envp);
    }
    let path = std::env::var_os("PATH");
    let path = path.as_ref().map_or(DEFAULT_PATH, |p| p.as_bytes());
    let mut saved: Option<io::Error> = None;
    let mut last = io::Error::from_raw_os_error(libc::ENOENT);
    for dir in path.split(|&c| c == b':') {
        let mut candidate = Vec::with_capacity(dir.len() + 2 + file.len());
        candidate.extend_from_slice(if dir.is_empty() { b"." } else { dir });
        candidate.push(b'/');
        candidate.extend_from_slice(file);
        let e = unix::process::execve(&candidate, &argv, &envp);
        match e.raw_os_error() {
            Some(libc::ENOENT) => last = e,
            Some(libc::EACCES | libc::EPERM | libc::EISDIR) => saved = Some(e),
            _ => return e,
        }
    }
    saved.unwrap_or(last)
}
