//! A supervise running as root keeps `supervise/` to itself.
//!
//! daemontools uses a `supervise/` it finds as it is: left at 0755 with a
//! `control` FIFO at 0666 (by hand, or by an earlier supervise run as
//! another user), it lets any user stop a root service. As root, tend makes
//! the directory (or what its symlink points to) 0700, and `lock`,
//! `control` and `ok` 0600, all owned by itself, saying so once per file;
//! status files it did not write are removed (it rewrites them), so it never
//! writes into a file someone else linked there. A fresh tree is left as
//! daemontools leaves it, which is already so.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};

use svstatus::ServiceDir;

use crate::runner::{fatal, Fatal};

/// The state directory's mode; files get 0600.
const DIR_MODE: libc::mode_t = 0o700;
const FILE_MODE: libc::mode_t = 0o600;

/// Takes ownership of what a root supervise keeps in `supervise/`.
pub struct Owner<'a> {
    uid: libc::uid_t,
    /// The service's name, for messages.
    name: &'a [u8],
}

impl<'a> Owner<'a> {
    /// Some when supervise runs as root (euid 0), else None: an ordinary
    /// user's supervise leaves modes as daemontools does.
    pub fn if_root(name: &'a [u8]) -> Option<Owner<'a>> {
        let uid = unix::fs::euid();
        (uid == 0).then_some(Owner { uid, name })
    }

    /// The directory `supervise` (its target if a symlink), before anything
    /// in it is used. A state directory that cannot be opened is left to the
    /// lock's error message.
    pub fn claim_state_dir(&self, dir: &ServiceDir) -> Result<(), Fatal> {
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NONBLOCK;
        match dir.open_file(svstatus::STATE_DIR, flags, 0) {
            Ok(d) => self.claim(d.as_fd(), svstatus::STATE_DIR, DIR_MODE),
            Err(_) => Ok(()),
        }
    }

    /// `lock`, `control` or `ok`, open as `file`. A directory in their
    /// place is left as it is: no client can write to it (daemontools').
    pub fn claim_file(&self, file: BorrowedFd, path: &CStr) -> Result<(), Fatal> {
        self.claim(file, path, FILE_MODE)
    }

    /// Removes status files (and their scratch files) that are not plain
    /// files of ours with a single link (symlinks, others' files, links to
    /// files elsewhere): supervise writes into a scratch file in place and
    /// swaps it with the status file.
    pub fn remove_foreign_status_files(&self, dir: &ServiceDir) -> Result<(), Fatal> {
        for path in svstatus::SCRATCH.iter().chain(&svstatus::STATUS_FILES) {
            let Ok(st) = dir.lstat(path) else { continue };
            let kind = st.st_mode & libc::S_IFMT;
            let ours = kind == libc::S_IFREG && st.st_uid == self.uid && st.st_nlink == 1;
            // A directory cannot be written into: its writes fail with daemontools' warnings.
            if ours || kind == libc::S_IFDIR {
                continue;
            }
            dir.unlink(path).map_err(|e| self.failed(path, &e))?;
            strerr::warn(&[self.name, b"/", path.to_bytes(), b" was not supervise's own file: removed it"]);
        }
        Ok(())
    }

    fn claim(&self, fd: BorrowedFd, path: &CStr, mode: libc::mode_t) -> Result<(), Fatal> {
        let st = unix::fs::fstat(fd).map_err(|e| self.failed(path, &e))?;
        let is_dir = st.st_mode & libc::S_IFMT == libc::S_IFDIR;
        if (st.st_uid == self.uid && st.st_mode & 0o077 == 0) || is_dir != (mode == DIR_MODE) {
            return Ok(());
        }
        if !is_dir && st.st_nlink > 1 {
            let parts: [&[u8]; 5] =
                [b"unable to secure ", self.name, b"/", path.to_bytes(), b": it has other links; remove it"];
            return Err(Fatal(parts.concat()));
        }
        unix::fs::fchown_fchmod(fd, self.uid, mode).map_err(|e| self.failed(path, &e))?;
        let (mut old_uid, mut new_uid) = ([0; svstatus::DECIMAL_LEN], [0; svstatus::DECIMAL_LEN]);
        strerr::warn(&[
            self.name,
            b"/",
            path.to_bytes(),
            b" had mode ",
            &octal(st.st_mode),
            b" and owner ",
            svstatus::decimal(st.st_uid.into(), &mut old_uid),
            b": made it mode ",
            &octal(mode),
            b" and owner ",
            svstatus::decimal(self.uid.into(), &mut new_uid),
            b", so that only it controls the service",
        ]);
        Ok(())
    }

    fn failed(&self, path: &CStr, e: &io::Error) -> Fatal {
        fatal(&[b"unable to secure ", self.name, b"/", path.to_bytes(), b": "], e)
    }
}

/// The permission bits of `mode` as four octal digits (`0755`).
fn octal(mode: libc::mode_t) -> [u8; 4] {
    let digit = |shift: u32| b'0' + ((mode >> shift) & 7) as u8;
    [digit(9), digit(6), digit(3), digit(0)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_in_octal() {
        assert_eq!(&octal(0o100755), b"0755");
        assert_eq!(&octal(0o010666), b"0666");
        assert_eq!(&octal(0o4700), b"4700");
    }
}
