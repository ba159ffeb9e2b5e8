//! `tend install [--force] DIR`: a symlink `DIR/NAME -> tend` for each
//! program name given, where the name is free.
//!
//! A name is free when nothing is there, or a symlink to a file named `tend`
//! (this binary, or an earlier install's: replaced, so that installing again
//! after a move or an upgrade points every link at the new binary). Anything
//! else (daemontools' `svc`, a script, a symlink to runit's `chpst`) is left
//! alone and reported, one warning each, unless `--force` is given; a
//! directory is never replaced. Links are made under a temporary name and
//! renamed into place, so a name never goes missing while it is replaced.
//! Exit 0 when every name was linked or skipped; 111 on the first error
//! (an unwritable or missing directory), 100 for usage.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

const USAGE: &str = "tend install [--force] DIR";

/// What is at a program's name in the directory.
enum There {
    Nothing,
    /// A symlink to a file named `tend`.
    Tend,
    /// A directory: never replaced.
    Directory,
    /// Anything else, and what it is, for the warning.
    Other(Vec<u8>),
}

pub fn main(args: &[&OsStr], names: impl Iterator<Item = &'static str>) -> u8 {
    let (force, dir) = match args {
        [dir] if !dir.as_bytes().starts_with(b"-") => (false, Path::new(dir)),
        [flag, dir] if flag.as_bytes() == b"--force" => (true, Path::new(dir)),
        _ => return strerr::usage(USAGE),
    };
    let exe = match std::env::current_exe().and_then(|e| e.canonicalize()) {
        Ok(e) => e,
        Err(e) => {
            return strerr::die(strerr::EXIT_SYSTEM, &[b"unable to find my own path: ", strerr::errstr(&e).as_bytes()])
        }
    };
    for name in names {
        let link = dir.join(name);
        let what = link.as_os_str().as_bytes();
        match there(&link) {
            There::Nothing | There::Tend => {}
            There::Directory => {
                strerr::warn(&[b"skipped ", what, b": a directory is there"]);
                continue;
            }
            There::Other(it) if !force => {
                strerr::warn(&[b"skipped ", what, b": ", &it, b" is there (--force replaces it)"]);
                continue;
            }
            There::Other(_) => {}
        }
        if let Err(e) = link_in_place(&exe, &link) {
            return strerr::die(
                strerr::EXIT_SYSTEM,
                &[b"unable to create ", what, b": ", strerr::errstr(&e).as_bytes()],
            );
        }
    }
    0
}

fn there(path: &Path) -> There {
    let Ok(meta) = path.symlink_metadata() else { return There::Nothing };
    let kind = meta.file_type();
    if kind.is_dir() {
        There::Directory
    } else if kind.is_symlink() {
        let target = fs::read_link(path).unwrap_or_default();
        if target.file_name() == Some(OsStr::new("tend")) {
            There::Tend
        } else {
            There::Other([b"a symlink to ", target.as_os_str().as_bytes()].concat())
        }
    } else if kind.is_file() {
        There::Other(b"a file".to_vec())
    } else {
        There::Other(b"a special file".to_vec())
    }
}

/// `link -> exe`, made as `link.tend-new` and renamed over whatever is there.
fn link_in_place(exe: &Path, link: &Path) -> std::io::Result<()> {
    let mut new = PathBuf::from(link).into_os_string();
    new.push(".tend-new");
    let _ = fs::remove_file(&new);
    std::os::unix::fs::symlink(exe, &new)?;
    fs::rename(&new, link).inspect_err(|_| {
        let _ = fs::remove_file(&new);
    })
}
