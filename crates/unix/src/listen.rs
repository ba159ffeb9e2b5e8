//! A Unix datagram socket bound to a path and held for a service
//! (supervise's `socket` file: `/dev/log` for a syslog receiver), and the
//! receiver's side: a datagram peeked, then consumed once it is written
//! (a receiver killed in between finds it again). Nothing here allocates.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::check;

/// The longest path a Unix socket takes (sun_path without its NUL).
pub const PATH_MAX: usize = 107;

/// A datagram socket, blocking and close-on-exec, bound to `path` (relative
/// to the working directory) with `mode` and, if given, owner `(uid, gid)`.
/// A socket already at `path` (a stale one) is removed first; anything else
/// there is left alone (EEXIST). The socket file is made under umask 0777
/// and then given `mode`: it is never more open than asked, even for a moment.
pub fn bind_path_datagram(path: &CStr, mode: u32, owner: Option<(u32, u32)>) -> io::Result<(OwnedFd, Identity)> {
    // SAFETY: sockaddr_un is plain data; all zeros is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.to_bytes();
    let to = addr.sun_path.get_mut(..bytes.len()).filter(|_| bytes.len() <= PATH_MAX);
    let to = to.ok_or_else(|| io::Error::from_raw_os_error(libc::ENAMETOOLONG))?;
    for (to, &from) in to.iter_mut().zip(bytes) {
        *to = from as libc::c_char;
    }
    remove_stale(path)?;
    // SAFETY: plain socket(2) call with integer arguments.
    let fd = check(unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) })?;
    // SAFETY: socket returned a new descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let len = std::mem::size_of::<libc::sa_family_t>() + bytes.len() + 1;
    // SAFETY: umask only changes process state (supervise is single-threaded).
    let old = unsafe { libc::umask(0o777) };
    // SAFETY: `addr` is a sockaddr_un whose first `len` bytes are the address.
    let bound = check(unsafe { libc::bind(fd.as_raw_fd(), (&addr as *const libc::sockaddr_un).cast(), len as _) });
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    bound?;
    if let Some((uid, gid)) = owner {
        // SAFETY: `path` is NUL-terminated; the socket file is not followed if a symlink replaced it.
        check(unsafe { libc::fchownat(libc::AT_FDCWD, path.as_ptr(), uid, gid, libc::AT_SYMLINK_NOFOLLOW) })?;
    }
    // SAFETY: `path` is NUL-terminated.
    check(unsafe { libc::fchmodat(libc::AT_FDCWD, path.as_ptr(), mode as libc::mode_t, 0) })?;
    Ok((fd, identity(path)?))
}

/// Unlinks `path` if it is a socket; fine if nothing is there; EEXIST if
/// something else is.
fn remove_stale(path: &CStr) -> io::Result<()> {
    match crate::fs::fstatat(libc::AT_FDCWD, path, false) {
        Ok(st) if st.st_mode & libc::S_IFMT == libc::S_IFSOCK => crate::fs::unlinkat(libc::AT_FDCWD, path),
        Ok(_) => Err(io::Error::from_raw_os_error(libc::EEXIST)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// The socket file as made: its device and inode, to tell whether the
/// file at the path is still it (a socket's own `fstat` shows sockfs'
/// inode, not the file's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity(u64, u64);

/// Whether the file at `path` is still the socket file `made` (not removed
/// or replaced since).
pub fn still_there(path: &CStr, made: Identity) -> bool {
    identity(path).is_ok_and(|now| now == made)
}

fn identity(path: &CStr) -> io::Result<Identity> {
    let st = crate::fs::fstatat(libc::AT_FDCWD, path, false)?;
    Ok(Identity(st.st_dev as u64, st.st_ino as u64))
}

/// What [`peek`] saw: the bytes copied into the buffer and the datagram's
/// whole length (more than copied: it did not fit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peeked {
    pub copied: usize,
    pub len: usize,
}

/// Copies the next datagram waiting on `fd` into `buf` without taking it
/// off the queue, without blocking: None when none waits.
pub fn peek(fd: &impl AsRawFd, buf: &mut [u8]) -> io::Result<Option<Peeked>> {
    let flags = libc::MSG_PEEK | libc::MSG_TRUNC | libc::MSG_DONTWAIT;
    loop {
        // SAFETY: `buf` is writable for its length.
        let r = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), flags) };
        match crate::check_size(r) {
            Ok(len) => return Ok(Some(Peeked { copied: len.min(buf.len()), len })),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

/// Takes the next datagram off `fd`'s queue (the one [`peek`] saw), without blocking.
pub fn consume(fd: &impl AsRawFd) -> io::Result<()> {
    let mut byte = [0u8; 1];
    loop {
        // SAFETY: `byte` is writable for its length.
        let r = unsafe { libc::recv(fd.as_raw_fd(), byte.as_mut_ptr().cast(), 1, libc::MSG_DONTWAIT) };
        match crate::check_size(r) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            r => return r.map(drop),
        }
    }
}

/// Whether `fd` is a Unix datagram socket (a descriptor handed over by
/// socket activation is checked before it is used).
pub fn is_unix_datagram(fd: &impl AsRawFd) -> bool {
    let get = |option| {
        let mut v: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `v` is a c_int of the size given in `len`.
        let r = unsafe {
            libc::getsockopt(fd.as_raw_fd(), libc::SOL_SOCKET, option, (&mut v as *mut libc::c_int).cast(), &mut len)
        };
        (r == 0).then_some(v)
    };
    get(libc::SO_DOMAIN) == Some(libc::AF_UNIX) && get(libc::SO_TYPE) == Some(libc::SOCK_DGRAM)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    use std::os::unix::net::UnixDatagram;

    fn cpath(p: &std::path::Path) -> std::ffi::CString {
        std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap()
    }

    #[test]
    fn a_socket_replaces_a_stale_one_gets_its_mode_and_keeps_what_it_peeked() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("log");
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        let (fd, made) = bind_path_datagram(&cpath(&path), 0o620, None).unwrap();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.mode() & 0o7777, 0o620);
        assert!(is_unix_datagram(&fd));
        assert!(still_there(&cpath(&path), made));
        let mut buf = [0u8; 4];
        assert_eq!(peek(&fd, &mut buf).unwrap(), None);
        let sender = UnixDatagram::unbound().unwrap();
        sender.send_to(b"hello", &path).unwrap();
        sender.send_to(b"", &path).unwrap();
        assert_eq!(peek(&fd, &mut buf).unwrap(), Some(Peeked { copied: 4, len: 5 }));
        assert_eq!(peek(&fd, &mut buf).unwrap(), Some(Peeked { copied: 4, len: 5 }), "still there");
        consume(&fd).unwrap();
        assert_eq!(peek(&fd, &mut buf).unwrap(), Some(Peeked { copied: 0, len: 0 }));
        consume(&fd).unwrap();
        assert_eq!(peek(&fd, &mut buf).unwrap(), None);
        std::fs::remove_file(&path).unwrap();
        assert!(!still_there(&cpath(&path), made));
    }

    #[test]
    fn a_file_that_is_not_a_socket_is_left_alone() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("log");
        std::fs::write(&path, "keep").unwrap();
        let e = bind_path_datagram(&cpath(&path), 0o666, None).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EEXIST));
        assert_eq!(std::fs::read(&path).unwrap(), b"keep");
    }
}
