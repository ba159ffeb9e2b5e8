//! cgroup v2: where the unified hierarchy is mounted, the calling process's
//! own cgroup there and the base in which services' cgroups are made (its
//! own, or the parent of svscan's leaf [`SUPERVISORS`]), that leaf entered,
//! and one child cgroup held open (created, joined by a child before exec,
//! watched for emptiness, killed, removed).
//!
//! Nothing here allocates: paths are built in fixed stack buffers
//! ([`PATH_MAX`]), files are read into stack buffers (supervise).

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use crate::check;
use crate::fs::openat;
use crate::scratch::Scratch;

/// The longest path built here, with its NUL.
pub const PATH_MAX: usize = libc::PATH_MAX as usize;
/// The longest name of one cgroup (a directory entry).
pub const NAME_MAX: usize = 255;

/// Where the unified hierarchy is looked for, in this order: Debian 11+
/// and most container hosts mount it at the first, hybrid systems at the
/// second.
const MOUNTS: [&CStr; 2] = [c"/sys/fs/cgroup", c"/sys/fs/cgroup/unified"];

/// Why no cgroup can be made.
#[derive(Debug)]
pub enum Unavailable {
    /// No cgroup2 file system at either place (cgroup v1 only, or none).
    NotMounted,
    /// The own cgroup is not in that hierarchy, or not writable (not root,
    /// not delegated, read-only): the error, and the length of the
    /// directory's path left in the caller's buffer.
    NotWritable { len: usize, error: io::Error },
}

/// The leaf cgroup svscan moves itself into ([`enter_supervisors`]), so
/// that the supervise processes it starts are born there and the cgroup
/// svscan was started in (the base) holds no process: cgroup v2 gives
/// controllers only to the children of a cgroup without processes of its
/// own (the root excepted). No service's cgroup can have this name: a
/// service directory's escaped path never starts with `-` (only `/`
/// escapes to `tend--`, exactly).
pub const SUPERVISORS: &[u8] = b"tend--supervisors";

/// The base cgroup, in which services' cgroups are made, as a path
/// (`MOUNT/PATH`, NUL-terminated) in `buf`, checked writable (a child can
/// be made in it): its length. The base is the calling process's own
/// cgroup, or its parent when that is the leaf [`SUPERVISORS`] (a
/// supervise started by svscan, or svscan itself once it has entered it).
pub fn base_dir(buf: &mut [u8; PATH_MAX]) -> Result<usize, Unavailable> {
    let mount = hierarchy().ok_or(Unavailable::NotMounted)?.to_bytes();
    buf[..mount.len()].copy_from_slice(mount);
    let len = match base_path(&mut buf[mount.len()..PATH_MAX - 1]) {
        Ok(n) => mount.len() + n,
        Err(error) => return Err(Unavailable::NotWritable { len: mount.len(), error }),
    };
    buf[len] = 0;
    // SAFETY: `buf` holds a NUL-terminated path.
    match check(unsafe { libc::access(buf.as_ptr().cast(), libc::W_OK | libc::X_OK) }) {
        Ok(_) => Ok(len),
        Err(error) => Err(Unavailable::NotWritable { len, error }),
    }
}

/// Where the unified hierarchy is mounted (`/sys/fs/cgroup` or, on a
/// hybrid machine, `/sys/fs/cgroup/unified`), or None without cgroup2.
pub fn hierarchy() -> Option<&'static CStr> {
    MOUNTS.iter().copied().find(|m| is_cgroup2(m))
}

/// Whether `path` is the root of a cgroup2 hierarchy: only cgroup2 has
/// `cgroup.controllers` (a v1 hierarchy or the tmpfs of a hybrid layout has
/// none). Checked with the calls supervise already imports: every new libc
/// symbol is a GOT entry in the RELRO pages each process owns (8d).
fn is_cgroup2(path: &CStr) -> bool {
    openat(libc::AT_FDCWD, path.to_bytes(), libc::O_PATH | libc::O_DIRECTORY, 0)
        .and_then(|dir| crate::fs::fstatat(dir.as_raw_fd(), c"cgroup.controllers", false))
        .is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFREG)
}

/// The `PATH` of `0::PATH` in /proc/self/cgroup, read into `out` ("" for
/// the root, so that `MOUNT` + it is a directory): its length.
fn own_path(out: &mut [u8]) -> io::Result<usize> {
    cgroup_path(b"/proc/self/cgroup", out)
}

/// The base's path ([`base_dir`]), read into `out` as [`own_path`] reads
/// the own cgroup's: its length.
fn base_path(out: &mut [u8]) -> io::Result<usize> {
    let n = own_path(out)?;
    Ok(base_of(out.get(..n).unwrap_or_default()))
}

/// The length of the base's path in `path`, a cgroup's path as
/// [`own_path`] gives it: all of it, or, when its last name is
/// [`SUPERVISORS`], what is before `/` and that name.
fn base_of(path: &[u8]) -> usize {
    match path.strip_suffix(SUPERVISORS).and_then(|p| p.strip_suffix(b"/")) {
        Some(parent) => parent.len(),
        None => path.len(),
    }
}

/// Moves the calling process into the leaf [`SUPERVISORS`] of `base` (as
/// [`base_dir`] gives it), made if it is not there yet, unless `base` is
/// the hierarchy's true root, to which the "no internal processes" rule
/// does not apply: the root has no `cgroup.events` (a cgroup namespace's
/// `/`, such as a container's, is not the true root and has one). Returns
/// whether it moved (again, when it was in the leaf already).
pub fn enter_supervisors(base: &CStr) -> io::Result<bool> {
    let dir = openat(libc::AT_FDCWD, base.to_bytes(), libc::O_PATH | libc::O_DIRECTORY, 0)?;
    match crate::fs::fstatat(dir.as_raw_fd(), c"cgroup.events", false) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    match crate::with_cstr(SUPERVISORS, |name| crate::fs::mkdirat(dir.as_raw_fd(), name, 0o755)) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    let leaf = openat(dir.as_raw_fd(), SUPERVISORS, libc::O_PATH | libc::O_DIRECTORY, 0)?;
    write_file(leaf.as_raw_fd(), b"cgroup.procs", b"0").map(|()| true)
}

/// The `PATH` of `0::PATH` in the file `proc` (a /proc/PID/cgroup), as
/// [`own_path`] reads it.
fn cgroup_path(proc: &[u8], out: &mut [u8]) -> io::Result<usize> {
    let f = openat(libc::AT_FDCWD, proc, libc::O_RDONLY, 0)?;
    let n = crate::fd::read_until_full(&mut std::fs::File::from(f), out)?;
    let text = &out[..n];
    let not_found = || io::Error::from_raw_os_error(libc::ENOENT);
    let start = if text.starts_with(b"0::") {
        3
    } else {
        text.windows(4).position(|w| w == b"\n0::").ok_or_else(not_found)? + 4
    };
    let end = text[start..].iter().position(|&b| b == b'\n').map(|e| start + e).ok_or_else(not_found)?;
    let path = if &text[start..end] == b"/" { start..start } else { start..end };
    out.copy_within(path.clone(), 0);
    Ok(path.len())
}

/// One cgroup, held by its descriptors (no name: its path is asked of the
/// kernel when it is removed, which keeps this small on supervise's stack).
#[derive(Debug)]
pub struct Cgroup {
    dir: OwnedFd,
    /// `cgroup.procs`, open for writing: a child joins by writing "0".
    procs: OwnedFd,
    /// `cgroup.events`, read for "populated", polled for its change.
    events: OwnedFd,
}

impl Cgroup {
    /// Makes (or reuses) the cgroup `name` in the directory `parent` (a
    /// NUL-terminated path) and opens it.
    pub fn open(parent: &CStr, name: &[u8]) -> io::Result<Cgroup> {
        let parent = openat(libc::AT_FDCWD, parent.to_bytes(), libc::O_PATH | libc::O_DIRECTORY, 0)?;
        match crate::with_cstr(name, |name| crate::fs::mkdirat(parent.as_raw_fd(), name, 0o755)) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
            _ => {}
        }
        let dir = openat(parent.as_raw_fd(), name, libc::O_PATH | libc::O_DIRECTORY, 0)?;
        let procs = openat(dir.as_raw_fd(), b"cgroup.procs", libc::O_WRONLY, 0)?;
        let events = openat(dir.as_raw_fd(), b"cgroup.events", libc::O_RDONLY, 0)?;
        Ok(Cgroup { dir, procs, events })
    }

    /// `cgroup.procs` for writing (close-on-exec): the spawned child
    /// writes "0" to it to join ([`crate::spawn::Group::Cgroup`]).
    pub fn procs(&self) -> RawFd {
        self.procs.as_raw_fd()
    }

    /// Whether a process is in it or in a cgroup below ("populated 1" in
    /// `cgroup.events`). Reading it also arms [`Cgroup::pollfd`].
    pub fn populated(&self) -> io::Result<bool> {
        let mut buf = [0u8; 128];
        // SAFETY: `buf` is writable for its length.
        let n = crate::check_size(unsafe {
            libc::pread64(self.events.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0)
        })?;
        Ok(buf[..n].windows(11).any(|w| w == b"populated 1"))
    }

    /// A pollfd that becomes ready when `cgroup.events` changes (POLLPRI:
    /// the file is always readable, so POLLIN would be ready at once).
    pub fn pollfd(&self) -> libc::pollfd {
        libc::pollfd { fd: self.events.as_raw_fd(), events: libc::POLLPRI, revents: 0 }
    }

    /// Kills every process in it with SIGKILL: `cgroup.kill` (Linux 5.14),
    /// else one SIGKILL to each process `cgroup.procs` lists.
    pub fn kill(&self) -> io::Result<()> {
        match openat(self.dir.as_raw_fd(), b"cgroup.kill", libc::O_WRONLY, 0) {
            Ok(f) => {
                // SAFETY: writing one byte of a literal.
                crate::check_size(unsafe { libc::write(f.as_raw_fd(), b"1".as_ptr().cast(), 1) }).map(drop)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => self.signal(libc::SIGKILL).map(drop),
            Err(e) => Err(e),
        }
    }

    /// Sends `signal` to every process `cgroup.procs` lists; returns how many.
    pub fn signal(&self, signal: libc::c_int) -> io::Result<usize> {
        let f = openat(self.dir.as_raw_fd(), b"cgroup.procs", libc::O_RDONLY, 0)?;
        let mut buf = [0u8; 512];
        let (mut count, mut pid, mut carry) = (0, 0 as libc::pid_t, false);
        loop {
            let n = crate::fd::read(f.as_raw_fd(), &mut buf)?;
            for &b in &buf[..n] {
                if b.is_ascii_digit() {
                    pid = pid.saturating_mul(10).saturating_add(libc::pid_t::from(b - b'0'));
                    carry = true;
                } else if carry {
                    crate::process::kill(pid, signal);
                    (count, pid, carry) = (count + 1, 0, false);
                }
            }
            if n == 0 {
                return Ok(count);
            }
        }
    }

    /// Whether process `pid` is in it or in a cgroup below (its cgroup, from
    /// /proc/PID/cgroup, is the caller's base, [`base_dir`], followed by
    /// this one's name). Read into a [`Scratch`]; a process that is gone
    /// is in none.
    pub fn holds(&self, pid: libc::pid_t) -> bool {
        let Ok(mut scratch) = Scratch::<{ 3 * PATH_MAX }>::new() else { return false };
        let Some((own, rest)) = scratch.split_first_chunk_mut::<PATH_MAX>() else { return false };
        let Some((theirs, dir)) = rest.split_first_chunk_mut::<PATH_MAX>() else { return false };
        let mut proc = [0u8; 32];
        let len = crate::process::proc_path(pid, b"/cgroup", &mut proc);
        let (Ok(o), Ok(t)) = (base_path(own), cgroup_path(&proc[..len], theirs)) else { return false };
        let Some(path) = self.path(dir) else { return false };
        let name = path.to_bytes().rsplit(|&b| b == b'/').next().unwrap_or_default();
        let rest =
            theirs[..t].strip_prefix(&own[..o]).and_then(|r| r.strip_prefix(b"/")).and_then(|r| r.strip_prefix(name));
        matches!(rest, Some([] | [b'/', ..]))
    }

    /// Makes `controller` (`memory`, `cpu`, `pids`) available to this
    /// cgroup: listed in its parent's `cgroup.controllers`, and enabled in
    /// the parent's `cgroup.subtree_control` (written `+NAME` if it is not
    /// yet). Not inlined: its buffers stay out of the caller's frame.
    #[inline(never)]
    pub fn enable(&self, controller: &[u8]) -> Result<(), Controller> {
        let parent =
            openat(self.dir.as_raw_fd(), b"..", libc::O_PATH | libc::O_DIRECTORY, 0).map_err(Controller::Enable)?;
        let mut buf = [0u8; 128];
        let listed = |file: &[u8], buf: &mut [u8]| -> io::Result<bool> {
            let f = openat(parent.as_raw_fd(), file, libc::O_RDONLY, 0)?;
            let n = crate::fd::read_until_full(&mut std::fs::File::from(f), buf)?;
            Ok(buf.get(..n).unwrap_or_default().split(|b| b.is_ascii_whitespace()).any(|w| w == controller))
        };
        if !listed(b"cgroup.controllers", &mut buf).map_err(Controller::Enable)? {
            return Err(Controller::Missing);
        }
        if listed(b"cgroup.subtree_control", &mut buf).map_err(Controller::Enable)? {
            return Ok(());
        }
        let word = buf.get_mut(..=controller.len()).ok_or(Controller::Missing)?;
        word[0] = b'+';
        word[1..].copy_from_slice(controller);
        write_file(parent.as_raw_fd(), b"cgroup.subtree_control", word).map_err(Controller::Enable)
    }

    /// Writes `value` to this cgroup's interface file `file` (`memory.max`, ...).
    pub fn set(&self, file: &[u8], value: &[u8]) -> io::Result<()> {
        write_file(self.dir.as_raw_fd(), file, value)
    }

    /// Removes it (rmdir of [`Cgroup::path`], read into a [`Scratch`]) if
    /// it is empty; an error (EBUSY: not empty) is ignored.
    pub fn remove(&self) {
        let Ok(mut buf) = Scratch::<PATH_MAX>::new() else { return };
        let Some(path) = self.path(&mut *buf) else { return };
        // SAFETY: the path is NUL-terminated.
        unsafe { libc::unlinkat(libc::AT_FDCWD, path.as_ptr(), libc::AT_REMOVEDIR) };
    }

    /// Its path, as `/proc/self/fd` gives it for its descriptor, read into
    /// `buf` (a cgroup keeps no name: it would sit on supervise's stack).
    fn path<'a>(&self, buf: &'a mut [u8]) -> Option<&'a CStr> {
        let mut digits = [0u8; crate::process::DIGITS];
        let fd = crate::process::decimal(self.dir.as_raw_fd().unsigned_abs(), &mut digits);
        let mut link = [0u8; 32];
        crate::process::short_path(&[b"/proc/self/fd/", fd, b"\0"], &mut link);
        crate::fs::readlinkat(libc::AT_FDCWD, CStr::from_bytes_until_nul(&link).ok()?, buf).ok()
    }
}

/// Why a controller cannot be used for a cgroup ([`Cgroup::enable`]).
#[derive(Debug)]
pub enum Controller {
    /// Not in the parent's `cgroup.controllers`: this hierarchy does not
    /// have it (a hybrid machine's cgroup v1 owns it), or it is not delegated.
    Missing,
    /// Reading the parent's files or enabling it failed (EBUSY: the parent
    /// holds processes, cgroup v2's "no internal processes" rule).
    Enable(io::Error),
}

/// Writes `value` in one `write` to the file `name` in directory `dir`, as
/// cgroup interface files want it.
fn write_file(dir: RawFd, name: &[u8], value: &[u8]) -> io::Result<()> {
    let f = openat(dir, name, libc::O_WRONLY | libc::O_TRUNC, 0)?;
    match crate::fd::write(&f, value)? {
        n if n == value.len() => Ok(()),
        _ => Err(io::Error::from_raw_os_error(libc::EIO)),
    }
}

/// `name` (an absolute path) escaped as systemd escapes paths into unit
/// names, after `prefix`, into `out`: `/etc/service/foo` becomes
/// `etc-service-foo`; `-`, a leading `.` and every byte but ASCII letters,
/// digits, `:`, `_` and `.` become `\xNN`. Returns the name, or None if
/// it does not fit.
pub fn escape_path<'a>(prefix: &[u8], path: &[u8], out: &'a mut [u8]) -> Option<&'a [u8]> {
    let mut n = 0;
    let mut put = |bytes: &[u8]| -> Option<()> {
        out.get_mut(n..n + bytes.len())?.copy_from_slice(bytes);
        n += bytes.len();
        Some(())
    };
    put(prefix)?;
    let mut first = true;
    for part in path.split(|&b| b == b'/').filter(|p| !p.is_empty()) {
        if !first {
            put(b"-")?;
        }
        for (i, &b) in part.iter().enumerate() {
            let plain = b.is_ascii_alphanumeric() || b == b':' || b == b'_' || (b == b'.' && !(first && i == 0));
            if plain {
                put(&[b])?;
            } else {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                put(&[b'\\', b'x', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]])?;
            }
        }
        first = false;
    }
    if first {
        put(b"-")?;
    }
    out.get(..n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(path: &str) -> String {
        let mut out = [0u8; 64];
        String::from_utf8(escape_path(b"tend-", path.as_bytes(), &mut out).unwrap().to_vec()).unwrap()
    }

    #[test]
    fn paths_are_escaped_as_systemd_does() {
        assert_eq!(escaped("/etc/service/foo"), "tend-etc-service-foo");
        assert_eq!(escaped("/etc/service/foo/log"), "tend-etc-service-foo-log");
        assert_eq!(escaped("/srv/my-app//x y/"), "tend-srv-my\\x2dapp-x\\x20y");
        assert_eq!(escaped("/.hidden/a.b"), "tend-\\x2ehidden-a.b");
        assert_eq!(escaped("/"), "tend--");
        assert_eq!(escape_path(b"tend-", b"/abcdef", &mut [0u8; 8]), None);
    }

    /// A temporary directory standing in for a parent cgroup and its child
    /// `c`, with the files the kernel would show.
    fn fake(controllers: &str, subtree: &str, files: &[&str]) -> (tempfile::TempDir, Cgroup) {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("cgroup.controllers"), controllers).unwrap();
        std::fs::write(d.path().join("cgroup.subtree_control"), subtree).unwrap();
        std::fs::create_dir(d.path().join("c")).unwrap();
        for f in ["cgroup.procs", "cgroup.events"].iter().chain(files) {
            std::fs::write(d.path().join("c").join(f), "").unwrap();
        }
        let parent = std::ffi::CString::new(d.path().as_os_str().as_encoded_bytes()).unwrap();
        let c = Cgroup::open(&parent, b"c").unwrap();
        (d, c)
    }

    #[test]
    fn a_controller_is_enabled_in_the_parent_only_when_listed_and_not_yet_enabled() {
        let (d, c) = fake("cpuset cpu io memory pids\n", "cpu\n", &["memory.max"]);
        c.enable(b"memory").unwrap();
        assert_eq!(std::fs::read_to_string(d.path().join("cgroup.subtree_control")).unwrap(), "+memory");
        let (d, c) = fake("cpu memory\n", "cpu memory\n", &[]);
        c.enable(b"memory").unwrap();
        assert_eq!(std::fs::read_to_string(d.path().join("cgroup.subtree_control")).unwrap(), "cpu memory\n");
        // A hybrid machine's cgroup2: no controller at all; a prefix is no match.
        let (d, c) = fake("", "", &[]);
        assert!(matches!(c.enable(b"memory"), Err(Controller::Missing)));
        let (_d, c2) = fake("memoryx cpuset\n", "", &[]);
        assert!(matches!(c2.enable(b"memory"), Err(Controller::Missing)));
        assert!(matches!(c2.enable(b"cpu"), Err(Controller::Missing)));
        std::fs::remove_file(d.path().join("cgroup.controllers")).unwrap();
        assert!(matches!(c.enable(b"memory"), Err(Controller::Enable(e)) if e.kind() == io::ErrorKind::NotFound));
    }

    #[test]
    fn a_setting_is_written_whole_and_a_missing_file_is_an_error() {
        let (d, c) = fake("memory\n", "memory\n", &["memory.max"]);
        std::fs::write(d.path().join("c/memory.max"), "max\n").unwrap();
        c.set(b"memory.max", b"104857600").unwrap();
        assert_eq!(std::fs::read_to_string(d.path().join("c/memory.max")).unwrap(), "104857600");
        assert_eq!(c.set(b"pids.max", b"10").unwrap_err().kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn the_base_is_the_parent_of_the_supervisors_leaf_only() {
        fn base(p: &str) -> &str {
            &p[..base_of(p.as_bytes())]
        }
        assert_eq!(base("/system.slice/tend.service/tend--supervisors"), "/system.slice/tend.service");
        assert_eq!(base("/tend--supervisors"), "");
        assert_eq!(base("/system.slice/tend.service"), "/system.slice/tend.service");
        assert_eq!(base(""), "");
        // Only a whole last name counts.
        assert_eq!(base("/a/x-tend--supervisors"), "/a/x-tend--supervisors");
        assert_eq!(base("/a/tend--supervisors/b"), "/a/tend--supervisors/b");
        // No service directory's cgroup is named like the leaf.
        let mut out = [0u8; 64];
        for path in ["/", "/supervisors", "/-supervisors", "/tend/-supervisors"] {
            assert_ne!(escape_path(b"tend-", path.as_bytes(), &mut out).unwrap(), SUPERVISORS, "{path}");
        }
    }

    #[test]
    fn the_true_root_is_not_left_and_a_base_that_is_not_a_cgroup_is_an_error() {
        // The mount is the true root unless this runs in a cgroup namespace
        // (a container's `/`, which the call would leave: not tried).
        let root = MOUNTS.iter().find(|m| is_cgroup2(m));
        if let Some(root) = root.filter(|r| !std::path::Path::new(r.to_str().unwrap()).join("cgroup.events").exists()) {
            assert!(!enter_supervisors(root).unwrap(), "the root cgroup is never left");
        }
        let d = tempfile::tempdir().unwrap();
        let path = std::ffi::CString::new(d.path().join("none").into_os_string().into_encoded_bytes()).unwrap();
        assert_eq!(enter_supervisors(&path).unwrap_err().kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn the_own_path_is_the_unified_line() {
        // As big as base_dir gives it: on a hybrid machine the `0::` line
        // comes last, after one line per v1 hierarchy.
        let mut out = [0u8; PATH_MAX];
        // The test process's own, whatever the machine: "" or "/...";
        // only a machine without a cgroup2 hierarchy has no such line.
        match own_path(&mut out) {
            Ok(n) => assert!(n == 0 || out[0] == b'/'),
            Err(e) => assert!(!MOUNTS.iter().any(|m| is_cgroup2(m)), "cgroup2 is mounted, yet: {e}"),
        }
    }
}
