//! The readers: the only code of this crate that opens files in /proc and
//! in the cgroup hierarchy. Each reads one whole file (they are small) or
//! one directory; what the bytes mean is [`crate::parse`]'s job.

use std::fs::{self, File};
use std::io::{self, Read};
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The smallest page: what a seq_file hands out at least, at once.
const PAGE: usize = 4096;

/// A /proc or cgroup file's whole content, with plain reads: these files
/// report size 0, so none is asked (`read_to_end` would ask, and seek, at
/// every file: a third of the system calls of a pass). The kernel makes
/// such a file's text a page at a time (seq_file), and hands out what it
/// made: a text shorter than a page came whole at the first read, so a
/// read that leaves the buffer unfilled under a page has reached the end
/// (a longer text, cgroup.procs of a big service, is read until 0).
pub(crate) fn read(path: &Path) -> io::Result<Vec<u8>> {
    read_file(File::open(path)?)
}

/// [`read`] of `path` relative to the directory `dir` (AT_FDCWD: as
/// given): from a descriptor of /proc or of the cgroup hierarchy held
/// open, the kernel walks one or two names, not the whole path.
pub(crate) fn read_at(dir: RawFd, path: &[u8]) -> io::Result<Vec<u8>> {
    read_file(File::from(unix::fs::openat(dir, path, libc::O_RDONLY, 0)?))
}

fn read_file(mut f: File) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; 1024];
    let mut len = 0;
    loop {
        if len == buf.len() {
            buf.resize(len.saturating_mul(2), 0);
        }
        let room = buf.len().saturating_sub(len);
        match f.read(buf.get_mut(len..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) if n < room && len + n < PAGE => {
                len += n;
                break;
            }
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(len);
    Ok(buf)
}

/// The numeric entries of /proc: every process, once.
pub(crate) fn pids() -> io::Result<Vec<u32>> {
    let mut out = Vec::new();
    for entry in fs::read_dir("/proc")? {
        let entry = entry?;
        if let Some(pid) = crate::parse::number(entry.file_name().as_bytes()) {
            out.extend(u32::try_from(pid).ok());
        }
    }
    Ok(out)
}

/// How many descriptors process `pid` holds (the entries of /proc/PID/fd).
pub(crate) fn fd_count(pid: u32) -> io::Result<u32> {
    let mut n = 0u32;
    for entry in fs::read_dir(format!("/proc/{pid}/fd"))? {
        entry?;
        n = n.saturating_add(1);
    }
    Ok(n)
}

/// The absolute path of `path` with every symlink resolved: what
/// supervise's getcwd gives in the service directory, which names its cgroup.
pub(crate) fn real_path(path: &[u8]) -> io::Result<Vec<u8>> {
    Ok(fs::canonicalize(std::ffi::OsStr::from_bytes(path))?.into_os_string().into_vec())
}

use std::os::unix::ffi::OsStringExt;

/// Whether the error means "that process is gone" (it exited between the
/// listing and the read): ENOENT, ESRCH.
pub(crate) fn vanished(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ESRCH))
}
