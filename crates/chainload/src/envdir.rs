//! Environment directories: one variable per file, as daemontools' envdir reads them.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;

/// The value a file's bytes give its variable: `None` (remove the variable)
/// for an empty file, else the first line with trailing spaces and tabs
/// removed and NULs turned into newlines (possibly empty).
pub fn value(content: &[u8]) -> Option<Vec<u8>> {
    if content.is_empty() {
        return None;
    }
    let line = content.split(|&c| c == b'\n').next().unwrap_or_default();
    let end = line.iter().rposition(|&c| c != b' ' && c != b'\t').map_or(0, |i| i + 1);
    Some(line[..end].iter().map(|&c| if c == 0 { b'\n' } else { c }).collect())
}

/// One file of the directory: its name, and the value read from it.
#[derive(Debug)]
pub struct Entry {
    pub name: OsString,
    pub value: io::Result<Option<Vec<u8>>>,
}

/// What failed for the directory as a whole, in daemontools' order.
#[derive(Debug)]
pub enum DirError {
    /// Opening the current directory (to come back to it).
    Cwd(io::Error),
    /// Switching to the directory.
    Switch(io::Error),
    /// Opening it for listing.
    Open(io::Error),
    /// Listing it.
    List(io::Error),
    /// Coming back to the starting directory.
    Return(io::Error),
}

/// Reads every entry of `dir` whose name does not start with `.`, in
/// directory order. Like daemontools it switches into `dir` to do so and
/// back afterwards. A file that vanished between listing and opening is left
/// out (daemontools reused the previous file's value for it).
pub fn read(dir: &OsStr) -> Result<Vec<Entry>, DirError> {
    let start = File::open(".").map_err(DirError::Cwd)?;
    std::env::set_current_dir(dir).map_err(DirError::Switch)?;
    let listed = list();
    unix::fd::fchdir(&start).map_err(DirError::Return)?;
    listed
}

fn list() -> Result<Vec<Entry>, DirError> {
    let mut entries = Vec::new();
    for item in fs::read_dir(".").map_err(DirError::Open)? {
        let name = item.map_err(DirError::List)?.file_name();
        if name.as_encoded_bytes().first() == Some(&b'.') {
            continue;
        }
        match read_file(&name) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            result => entries.push(Entry { name, value: result.map(|bytes| value(&bytes)) }),
        }
    }
    Ok(entries)
}

/// The whole file, opened as daemontools' `open_read` does (O_NONBLOCK, so a
/// FIFO without a writer reads as empty instead of hanging).
fn read_file(name: &OsStr) -> io::Result<Vec<u8>> {
    let mut file = fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(name)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_as_daemontools_reads_them() {
        assert_eq!(value(b""), None);
        assert_eq!(value(b"\n"), Some(b"".to_vec()));
        assert_eq!(value(b"abc"), Some(b"abc".to_vec()));
        assert_eq!(value(b"abc \t \nsecond line\n"), Some(b"abc".to_vec()));
        assert_eq!(value(b" lead\ttab\t"), Some(b" lead\ttab".to_vec()));
        assert_eq!(value(b"a\0b\0"), Some(b"a\nb\n".to_vec()));
        assert_eq!(value(b"a\0 "), Some(b"a\n".to_vec()));
        assert_eq!(value(b"x\r\n"), Some(b"x\r".to_vec()));
        assert_eq!(value(b"   "), Some(b"".to_vec()));
    }
}
