//! A Unix datagram socket bound to an abstract name that learns who sent
//! each datagram (SO_PASSCRED: the kernel attaches the sender's pid, uid
//! and gid, which the sender cannot forge): supervise's sd_notify socket.
//! Nothing here allocates.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::check;

/// The longest abstract name (sun_path without its leading NUL).
pub const ABSTRACT_MAX: usize = 107;

/// A datagram socket, non-blocking and close-on-exec, bound to the
/// abstract name `name` (the bytes after the leading NUL that marks an
/// abstract address; systemd writes it `@name`), with SO_PASSCRED set.
pub fn bind_abstract_datagram(name: &[u8]) -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2) call with integer arguments.
    let fd =
        check(unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0) })?;
    // SAFETY: socket returned a new descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: sockaddr_un is plain data; all zeros is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let path = addr.sun_path.get_mut(1..=name.len()).ok_or_else(|| io::Error::from_raw_os_error(libc::ENAMETOOLONG))?;
    for (to, &from) in path.iter_mut().zip(name) {
        *to = from as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + 1 + name.len();
    let on: libc::c_int = 1;
    // SAFETY: `on` is a c_int of the size given.
    check(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PASSCRED,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    })?;
    // SAFETY: `addr` is a sockaddr_un whose first `len` bytes are the address.
    check(unsafe { libc::bind(fd.as_raw_fd(), (&addr as *const libc::sockaddr_un).cast(), len as libc::socklen_t) })?;
    Ok(fd)
}

/// One datagram received by [`receive`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datagram {
    /// Its length in `buf` (0 if it was longer than `buf`: cut, not to be read).
    pub len: usize,
    /// The sending process, as the kernel saw it (0: no credentials came).
    pub pid: libc::pid_t,
}

/// Receives one datagram into `buf` without blocking: None when none is
/// waiting. A datagram longer than `buf` is consumed and reported with
/// length 0. Descriptors a sender attaches are never installed (the
/// control buffer holds only the credentials).
pub fn receive(fd: &impl AsRawFd, buf: &mut [u8]) -> io::Result<Option<Datagram>> {
    // Room for one SCM_CREDENTIALS message (a cmsghdr and a ucred), aligned.
    let mut control = [0u64; 8];
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    // SAFETY: msghdr is plain data; all zeros is a valid value.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control);
    let flags = libc::MSG_DONTWAIT | libc::MSG_CMSG_CLOEXEC;
    let n = loop {
        // SAFETY: `msg` points at `iov` (into `buf`) and `control`, both
        // writable for the lengths given, all alive during the call.
        match crate::check_size(unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, flags) }) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            r => break r?,
        }
    };
    let len = if msg.msg_flags & libc::MSG_TRUNC != 0 { 0 } else { n };
    let mut pid = 0;
    // SAFETY: the CMSG macros walk `control` as the kernel filled it
    // (msg_controllen was set to what it wrote); a ucred is read only
    // from a header that says it holds one.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_CREDENTIALS {
                pid = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<libc::ucred>()).pid;
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    Ok(Some(Datagram { len, pid }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr, UnixDatagram};

    #[test]
    fn a_datagram_comes_with_its_senders_pid() {
        let name = format!("tend-unix-test-{}", std::process::id());
        let fd = bind_abstract_datagram(name.as_bytes()).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(receive(&fd, &mut buf).unwrap(), None);
        let sender = UnixDatagram::unbound().unwrap();
        let to = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        sender.send_to_addr(b"READY=1", &to).unwrap();
        let got = receive(&fd, &mut buf).unwrap().unwrap();
        assert_eq!((&buf[..got.len], got.pid), (&b"READY=1"[..], std::process::id() as libc::pid_t));
        sender.send_to_addr(&[b'x'; 17], &to).unwrap();
        assert_eq!(receive(&fd, &mut buf).unwrap().map(|d| d.len), Some(0), "cut");
        assert_eq!(receive(&fd, &mut buf).unwrap(), None);
    }

    #[test]
    fn a_name_too_long_is_refused() {
        let e = bind_abstract_datagram(&[b'a'; ABSTRACT_MAX + 1]).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENAMETOOLONG));
    }
}
