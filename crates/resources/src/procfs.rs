//! The readers: the only code of this crate that opens files in /proc and
//! in the cgroup hierarchy. Each reads one whole file (they are small) or
//! one directory; what the bytes mean is [`crate::parse`]'s job.

use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// A file's whole content. /proc files report size 0, so no size is asked.
pub(crate) fn read(path: &Path) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(512);
    File::open(path)?.read_to_end(&mut buf)?;
    Ok(buf)
}

/// `/proc/PID/FILE`'s content.
pub(crate) fn proc_file(pid: u32, file: &str) -> io::Result<Vec<u8>> {
    read(Path::new(&format!("/proc/{pid}/{file}")))
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
