//! A service directory as a value: opened once, every file in it reached
//! through its descriptor (`*at` calls), never through the working directory.

use std::ffi::CStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use unix::fs;

/// A service directory, held by an `O_PATH` descriptor.
#[derive(Debug)]
pub struct ServiceDir {
    fd: OwnedFd,
}

impl ServiceDir {
    /// Opens `path` (relative to the working directory) with the errors
    /// `chdir` would give: only search permission is needed, and a directory
    /// without it is refused (EACCES), so clients keep daemontools' texts for
    /// `unable to chdir`. Short paths are copied on the stack: supervise
    /// allocates nothing.
    pub fn open(path: &[u8]) -> io::Result<ServiceDir> {
        let fd = fs::openat(libc::AT_FDCWD, path, libc::O_PATH | libc::O_DIRECTORY, 0)?;
        // Looking up "." needs search permission, as chdir does.
        fs::fstatat(fd.as_raw_fd(), c".", true)?;
        Ok(ServiceDir { fd })
    }

    /// Makes it the working directory (supervise's, so that `./run` starts there).
    pub fn chdir(&self) -> io::Result<()> {
        unix::fd::fchdir(&self.fd)
    }

    /// `stat` of `name` in the directory (a final symlink followed).
    pub fn stat(&self, name: &CStr) -> io::Result<libc::stat> {
        fs::fstatat(self.raw(), name, true)
    }

    /// `lstat` of `name` in the directory (a final symlink not followed).
    pub fn lstat(&self, name: &CStr) -> io::Result<libc::stat> {
        fs::fstatat(self.raw(), name, false)
    }

    /// Does `name` exist (as `stat` sees it)? Other errors are returned.
    pub fn exists(&self, name: &CStr) -> io::Result<bool> {
        match self.stat(name) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Calls `each` with the name of every entry of the directory.
    pub fn for_each_entry(&self, each: impl FnMut(&[u8])) -> io::Result<()> {
        let listing = fs::openat(self.raw(), b".", libc::O_RDONLY | libc::O_DIRECTORY, 0)?;
        fs::for_each_entry(listing.as_fd(), each)
    }

    /// `openat(name, flags, mode)`; O_CLOEXEC is always added.
    pub fn open_file(&self, name: &CStr, flags: libc::c_int, mode: libc::mode_t) -> io::Result<File> {
        fs::openat(self.raw(), name.to_bytes(), flags, mode).map(File::from)
    }

    /// `mkdirat(name, mode)`.
    pub fn mkdir(&self, name: &CStr, mode: libc::mode_t) -> io::Result<()> {
        fs::mkdirat(self.raw(), name, mode)
    }

    /// `mkfifoat(name, 0600)`.
    pub fn mkfifo(&self, name: &CStr) -> io::Result<()> {
        fs::mkfifoat(self.raw(), name)
    }

    /// `unlinkat(name)`.
    pub fn unlink(&self, name: &CStr) -> io::Result<()> {
        fs::unlinkat(self.raw(), name)
    }

    /// `renameat(from, to)`, or with `exchange` both files swap names.
    pub fn rename(&self, from: &CStr, to: &CStr, exchange: bool) -> io::Result<()> {
        fs::renameat(self.raw(), from, to, exchange)
    }

    /// The target of the symlink `name`, read into `buf`.
    pub fn read_link<'a>(&self, name: &CStr, buf: &'a mut [u8]) -> io::Result<&'a CStr> {
        fs::readlinkat(self.raw(), name, buf)
    }

    fn raw(&self) -> i32 {
        self.fd.as_raw_fd()
    }
}

impl AsFd for ServiceDir {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn opens_like_chdir() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().as_os_str().as_bytes();
        let dir = ServiceDir::open(path).unwrap();
        assert!(!dir.exists(c"down").unwrap());
        std::fs::write(d.path().join("down"), b"").unwrap();
        assert!(dir.exists(c"down").unwrap());
        let missing = [path, b"/nope"].concat();
        assert_eq!(ServiceDir::open(&missing).unwrap_err().kind(), io::ErrorKind::NotFound);
        let file = [path, b"/down"].concat();
        assert_eq!(ServiceDir::open(&file).unwrap_err().raw_os_error(), Some(libc::ENOTDIR));
        assert_eq!(ServiceDir::open(b"a\0b").unwrap_err().raw_os_error(), Some(libc::EINVAL));
        let long = [path, b"/", &[b'x'; 600]].concat();
        assert_eq!(ServiceDir::open(&long).unwrap_err().raw_os_error(), Some(libc::ENAMETOOLONG));
    }

    #[test]
    fn exchange_swaps_two_files() {
        let d = tempfile::tempdir().unwrap();
        let dir = ServiceDir::open(d.path().as_os_str().as_bytes()).unwrap();
        std::fs::write(d.path().join("a"), b"1").unwrap();
        std::fs::write(d.path().join("b"), b"2").unwrap();
        dir.rename(c"a", c"b", true).unwrap();
        assert_eq!(std::fs::read(d.path().join("a")).unwrap(), b"2");
        assert_eq!(std::fs::read(d.path().join("b")).unwrap(), b"1");
    }
}
