//! The `socket` file: a socket supervise makes and holds for the service,
//! so that it outlives every `run` (a syslog receiver's `/dev/log`: what
//! senders write while the receiver restarts waits in the socket's queue).
//! One line, `unix-dgram PATH [MODE [UID:GID]]`: a Unix datagram socket
//! at PATH (relative to the service directory, at most 107 bytes), MODE in
//! octal (default 0666, as syslog daemons make `/dev/log`), owned by
//! UID:GID (numbers; default supervise's own). Each start of `run` gets it
//! as descriptor 3 with systemd's socket-activation variables
//! (`LISTEN_FDS=1`, `LISTEN_PID`, `LISTEN_FDNAMES`: the service's name).
//! Nothing here allocates, and what supervise keeps between starts is the
//! descriptor, the file's identity and a fingerprint of the line, not the
//! line: every byte kept lives in supervise's stack for its whole life.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use unix::listen::{Identity, PATH_MAX};
use unix::spawn::PidVar;

/// The descriptor `run` gets the socket as (systemd's SD_LISTEN_FDS_START).
pub(crate) const FD: i32 = 3;

/// What `socket` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketSpec {
    /// The path, NUL-terminated.
    path: [u8; PATH_MAX + 1],
    pub mode: u32,
    pub owner: Option<(u32, u32)>,
}

impl SocketSpec {
    /// Reads the file's line; None if it is not `unix-dgram PATH [MODE [UID:GID]]`.
    pub fn parse(line: &str) -> Option<SocketSpec> {
        let mut words = line.split_ascii_whitespace();
        let (Some("unix-dgram"), Some(path)) = (words.next(), words.next()) else { return None };
        let mode = match words.next() {
            Some(m) => u32::from_str_radix(m, 8).ok().filter(|&m| m <= 0o777)?,
            None => 0o666,
        };
        let owner = match words.next() {
            Some(o) => {
                let (uid, gid) = o.split_once(':')?;
                Some((uid.parse().ok()?, gid.parse().ok()?))
            }
            None => None,
        };
        if words.next().is_some() || path.len() > PATH_MAX || path.contains('\0') {
            return None;
        }
        let mut spec = SocketSpec { path: [0; PATH_MAX + 1], mode, owner };
        for (to, &from) in spec.path.iter_mut().zip(path.as_bytes()) {
            *to = from;
        }
        Some(spec)
    }

    pub fn path(&self) -> &CStr {
        CStr::from_bytes_until_nul(&self.path).unwrap_or_default()
    }

    /// FNV-1a of path, mode and owner: whether the line changed.
    fn fingerprint(&self) -> u64 {
        let (uid, gid) = self.owner.map_or((u64::MAX, u64::MAX), |(u, g)| (u.into(), g.into()));
        let numbers = [u64::from(self.mode), uid, gid].map(u64::to_le_bytes);
        self.path()
            .to_bytes()
            .iter()
            .chain([&0])
            .chain(numbers.iter().flatten())
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
    }
}

/// The socket held, as it was made.
#[derive(Debug)]
pub(crate) struct Held {
    fd: OwnedFd,
    made: Identity,
    fingerprint: u64,
}

impl Held {
    pub(crate) fn fd(&self) -> i32 {
        self.fd.as_raw_fd()
    }
}

/// The socket for a start under `spec`: the one held if it was made as
/// `spec` says and its file is still there, else a new one (the old one
/// closed). On failure nothing is held; the error is returned for a warning.
pub(crate) fn hold(held: &mut Option<Held>, spec: Option<&SocketSpec>) -> io::Result<()> {
    let Some(spec) = spec else {
        *held = None;
        return Ok(());
    };
    let fingerprint = spec.fingerprint();
    if held.as_ref().is_some_and(|h| h.fingerprint == fingerprint && unix::listen::still_there(spec.path(), h.made)) {
        return Ok(());
    }
    *held = None;
    let (fd, made) = unix::listen::bind_path_datagram(spec.path(), spec.mode, spec.owner)?;
    *held = Some(Held { fd, made, fingerprint });
    Ok(())
}

/// `LISTEN_FDNAMES=` and a name (systemd's are at most 255 bytes).
const NAMES_LEN: usize = 16 + 255;

/// The variables of socket activation for one start: `LISTEN_FDS=1`,
/// `LISTEN_PID` (finished by the child: [`PidVar`]) and `LISTEN_FDNAMES`
/// (the service's name, as systemd names a socket after its unit).
pub(crate) struct Vars {
    pub pid: PidVar,
    names: [u8; NAMES_LEN],
}

impl Vars {
    /// For the service `name` (the directory supervise was given: its last component).
    pub(crate) fn new(name: &[u8]) -> Vars {
        let trimmed = name.strip_suffix(b"/").unwrap_or(name);
        let last = trimmed.rsplit(|&b| b == b'/').next().unwrap_or_default();
        let mut names = [0; NAMES_LEN];
        let prefix = b"LISTEN_FDNAMES=";
        for (to, &from) in names.iter_mut().take(NAMES_LEN - 1).zip(prefix.iter().chain(last)) {
            *to = from;
        }
        Vars { pid: PidVar::new(b"LISTEN_PID"), names }
    }

    /// The three variables, for [`unix::env::with_set`].
    pub(crate) fn all(&self) -> [&CStr; 3] {
        [c"LISTEN_FDS=1", self.pid.as_cstr(), CStr::from_bytes_until_nul(&self.names).unwrap_or_default()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_gives_path_mode_and_owner() {
        let s = SocketSpec::parse("unix-dgram /dev/log").unwrap();
        assert_eq!((s.path().to_bytes(), s.mode, s.owner), (&b"/dev/log"[..], 0o666, None));
        let s = SocketSpec::parse("  unix-dgram  run/log 0620 0:4 ").unwrap();
        assert_eq!((s.path().to_bytes(), s.mode, s.owner), (&b"run/log"[..], 0o620, Some((0, 4))));
        for bad in [
            "",
            "unix-dgram",
            "unix-stream /dev/log",
            "unix-dgram /dev/log 999",
            "unix-dgram /dev/log 0666 root:adm",
            "unix-dgram /dev/log 0666 0:0 extra",
            &format!("unix-dgram /{}", "a".repeat(PATH_MAX)),
        ] {
            assert_eq!(SocketSpec::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_names_variable_is_the_services_name() {
        let v = Vars::new(b"/service/syslogd/");
        let [fds, pid, names] = v.all();
        assert_eq!(
            (fds.to_bytes(), pid.to_bytes(), names.to_bytes()),
            (&b"LISTEN_FDS=1"[..], &b"LISTEN_PID=0"[..], &b"LISTEN_FDNAMES=syslogd"[..])
        );
    }
}
