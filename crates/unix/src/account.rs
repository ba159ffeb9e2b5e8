//! The user and group databases, and dropping privileges.

use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::unix::ffi::OsStrExt;

use crate::{check, with_cstr};

/// One entry of the user database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passwd {
    pub name: Vec<u8>,
    pub uid: libc::uid_t,
    pub gid: libc::gid_t,
    pub home: Vec<u8>,
    pub shell: Vec<u8>,
}

/// Calls a `get*_r` function with a buffer that grows while it reports ERANGE.
fn with_buffer<T>(mut call: impl FnMut(&mut [libc::c_char]) -> (libc::c_int, Option<T>)) -> io::Result<Option<T>> {
    let mut size = 1024;
    loop {
        let mut buf = vec![0 as libc::c_char; size];
        match call(&mut buf) {
            (0, found) => return Ok(found),
            (libc::ERANGE, _) if size < 1 << 20 => size *= 4,
            (code, _) => return Err(io::Error::from_raw_os_error(code)),
        }
    }
}

/// getpwnam_r(3): `Ok(None)` when the account does not exist.
pub fn getpwnam(name: &OsStr) -> io::Result<Option<Passwd>> {
    let Ok(cname) = CString::new(name.as_bytes()) else { return Ok(None) };
    with_buffer(|buf| {
        // SAFETY: an all-zero passwd is a valid plain C struct.
        let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: all pointers are valid for the call; the strings pw points to
        // live in `buf`, which we copy from before it is dropped.
        let code = unsafe { libc::getpwnam_r(cname.as_ptr(), &mut pw, buf.as_mut_ptr(), buf.len(), &mut result) };
        if code != 0 || result.is_null() {
            return (code, None);
        }
        // SAFETY: on success the fields point to NUL-terminated strings in `buf`.
        let text = |p: *const libc::c_char| {
            if p.is_null() {
                Vec::new()
            } else {
                unsafe { CStr::from_ptr(p) }.to_bytes().to_vec()
            }
        };
        (
            0,
            Some(Passwd {
                name: text(pw.pw_name),
                uid: pw.pw_uid,
                gid: pw.pw_gid,
                home: text(pw.pw_dir),
                shell: text(pw.pw_shell),
            }),
        )
    })
}

/// getgrnam_r(3): the group's id, `Ok(None)` when it does not exist.
pub fn getgrnam(name: &[u8]) -> io::Result<Option<libc::gid_t>> {
    let Ok(cname) = CString::new(name) else { return Ok(None) };
    with_buffer(|buf| {
        // SAFETY: an all-zero group is a valid plain C struct.
        let mut gr: libc::group = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::group = std::ptr::null_mut();
        // SAFETY: all pointers are valid for the call.
        let code = unsafe { libc::getgrnam_r(cname.as_ptr(), &mut gr, buf.as_mut_ptr(), buf.len(), &mut result) };
        if code != 0 || result.is_null() {
            return (code, None);
        }
        (0, Some(gr.gr_gid))
    })
}

/// setgroups(2).
pub fn setgroups(groups: &[libc::gid_t]) -> io::Result<()> {
    // SAFETY: the pointer and length describe a valid slice.
    check(unsafe { libc::setgroups(groups.len(), groups.as_ptr()) }).map(drop)
}

/// initgroups(3): the account's supplementary groups from the group database, plus `gid`.
pub fn initgroups(name: &[u8], gid: libc::gid_t) -> io::Result<()> {
    // SAFETY: `c` is NUL-terminated and outlives the call.
    with_cstr(name, |c| check(unsafe { libc::initgroups(c.as_ptr(), gid) }).map(drop))
}

/// setgid(2).
pub fn setgid(gid: libc::gid_t) -> io::Result<()> {
    // SAFETY: plain syscall wrapper with an integer argument.
    check(unsafe { libc::setgid(gid) }).map(drop)
}

/// setuid(2).
pub fn setuid(uid: libc::uid_t) -> io::Result<()> {
    // SAFETY: plain syscall wrapper with an integer argument.
    check(unsafe { libc::setuid(uid) }).map(drop)
}
