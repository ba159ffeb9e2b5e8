//! A supervise running as root keeps `supervise/` to itself.
//!
//! daemontools uses a `supervise/` it finds as it is: left at 0755 with a
//! `control` FIFO at 0666 (by hand, or by an earlier supervise run as
//! another user), it lets any user stop a root service. As root, tend makes
//! the directory (or what its symlink points to) 0700 and its own, and
//! replaces a `lock`, `control` or `ok` that is not its own (another owner,
//! group or other access, other links) with a new one, 0600: changing the
//! mode of a FIFO in place would leave working a descriptor someone opened
//! before (letters still sent; a lock still held against the next start).
//! A descriptor of the directory opened before is harmless: creating a file
//! in it is checked against its mode at that time. Each change is said once;
//! status files it did not write are removed (it rewrites them), so it never
//! writes into a file someone else linked there. A fresh tree is left as
//! daemontools leaves it, which is already so.

use std::ffi::CStr;
use std::io;
use std::os::fd::AsFd;

use svstatus::{Lock, ServiceDir};

use crate::runner::{fatal, Fatal};

/// The state directory's mode (its files are made 0600).
const DIR_MODE: libc::mode_t = 0o700;

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
    /// in it is used, made 0700 and ours in place. A state directory that
    /// cannot be opened is left to the lock's error message.
    pub fn claim_state_dir(&self, dir: &ServiceDir) -> Result<(), Fatal> {
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NONBLOCK;
        let Ok(d) = dir.open_file(svstatus::STATE_DIR, flags, 0) else { return Ok(()) };
        let path = svstatus::STATE_DIR;
        let st = unix::fs::fstat(d.as_fd()).map_err(|e| self.failed(path, &e))?;
        if st.st_uid == self.uid && st.st_mode & 0o077 == 0 {
            return Ok(());
        }
        unix::fs::fchown_fchmod(d.as_fd(), self.uid, DIR_MODE).map_err(|e| self.failed(path, &e))?;
        self.warn(path, &st, b": made it mode 0700 and owner ");
        Ok(())
    }

    /// The lock, held: if the file is not ours, a new one replaces it (and
    /// is locked) before the old one is let go, so that no other supervise
    /// gets in between, and no descriptor of the old file can hold the lock
    /// against a later start.
    pub fn secure_lock(&self, dir: &ServiceDir, lock: Lock) -> Result<Lock, Fatal> {
        let path = svstatus::LOCK;
        let st = unix::fs::fstat(lock.file().as_fd()).map_err(|e| self.failed(path, &e))?;
        if self.is_ours(&st, libc::S_IFREG) {
            return Ok(lock);
        }
        dir.unlink(path).map_err(|e| self.failed(path, &e))?;
        let new = Lock::create_new(dir).map_err(|e| self.failed(path, &e))?;
        self.warn(path, &st, b": replaced it with a new file mode 0600 owner ");
        Ok(new)
    }

    /// `control` or `ok`, before supervise opens it: a FIFO that is not ours
    /// is replaced with a new one, 0600. Anything else is left to
    /// supervise's FIFO handling (a directory stays, as under daemontools;
    /// other files are replaced).
    pub fn secure_fifo(&self, dir: &ServiceDir, path: &CStr) -> Result<(), Fatal> {
        let Ok(st) = dir.lstat(path) else { return Ok(()) };
        if st.st_mode & libc::S_IFMT != libc::S_IFIFO || self.is_ours(&st, libc::S_IFIFO) {
            return Ok(());
        }
        dir.unlink(path).and_then(|()| dir.mkfifo(path)).map_err(|e| self.failed(path, &e))?;
        self.warn(path, &st, b": replaced it with a new FIFO mode 0600 owner ");
        Ok(())
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

    /// Of `kind`, ours, closed to group and others, and reachable by no
    /// other name.
    fn is_ours(&self, st: &libc::stat, kind: libc::mode_t) -> bool {
        st.st_mode & libc::S_IFMT == kind && st.st_uid == self.uid && st.st_mode & 0o077 == 0 && st.st_nlink == 1
    }

    /// `NAME/PATH had mode M and owner U` + `done` + our uid + why.
    fn warn(&self, path: &CStr, old: &libc::stat, done: &[u8]) {
        let (mut old_uid, mut new_uid) = ([0; svstatus::DECIMAL_LEN], [0; svstatus::DECIMAL_LEN]);
        strerr::warn(&[
            self.name,
            b"/",
            path.to_bytes(),
            b" had mode ",
            &octal(old.st_mode),
            b" and owner ",
            svstatus::decimal(old.st_uid.into(), &mut old_uid),
            done,
            svstatus::decimal(self.uid.into(), &mut new_uid),
            b", so that only it controls the service",
        ]);
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
