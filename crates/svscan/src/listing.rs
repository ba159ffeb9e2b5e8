//! One listing of the scan directory (the current directory), as daemontools
//! reads it: names starting with a dot skipped, symlinks followed, anything
//! that is not a directory ignored. Warnings about entries are returned, not
//! printed: the daemon prints each only when it is new (see `standing`).

use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::table::{Found, Key};
use strerr::warning_line;

/// One listing: the service directories, and a warning (a whole line) for
/// each entry that could not be examined.
pub struct Listing {
    pub found: Vec<Found>,
    pub warnings: Vec<Vec<u8>>,
}

/// The identity of the directory at `path` (symlinks followed).
pub fn key_of(path: &Path) -> io::Result<Key> {
    let m = fs::metadata(path)?;
    Ok((m.dev(), m.ino()))
}

/// Lists the service directories in `.`. Entries that cannot be examined are
/// left out with a warning; an error reading `.` itself fails the whole
/// listing (so that nothing is mistaken for removed). `known` tells which
/// services are in the table already: only new ones need their `log` checked.
pub fn list(scan_dir: Key, known: impl Fn(Key) -> bool) -> Result<Listing, (&'static str, io::Error)> {
    let dir = fs::read_dir(".").map_err(|e| ("unable to read directory: ", e))?;
    let mut found = Vec::new();
    let mut warnings = Vec::new();
    for entry in dir {
        let entry = entry.map_err(|e| ("unable to read directory: ", e))?;
        let name = entry.file_name();
        if name.as_bytes().starts_with(b".") {
            continue;
        }
        let meta = match fs::metadata(&name) {
            Ok(m) => m,
            Err(e) => {
                warnings.push(warning_line(&[
                    b"unable to stat ",
                    name.as_bytes(),
                    b": ",
                    strerr::errstr(&e).as_bytes(),
                ]));
                continue;
            }
        };
        let key = (meta.dev(), meta.ino());
        // A symlink back to the scan directory is not a service.
        if !meta.is_dir() || key == scan_dir {
            continue;
        }
        let log = if known(key) { Some(false) } else { has_log(&name, &mut warnings) };
        found.push(Found { name, key, log });
    }
    Ok(Listing { found, warnings })
}

/// Whether `NAME/log` exists (any kind of file, as in daemontools).
fn has_log(name: &std::ffi::OsStr, warnings: &mut Vec<Vec<u8>>) -> Option<bool> {
    match fs::metadata(Path::new(name).join("log")) {
        Ok(_) => Some(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Some(false),
        Err(e) => {
            warnings.push(warning_line(&[
                b"unable to stat ",
                name.as_bytes(),
                b"/log: ",
                strerr::errstr(&e).as_bytes(),
            ]));
            None
        }
    }
}
