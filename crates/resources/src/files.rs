//! Where the figures come from: the running system ([`System`], through
//! [`crate::procfs`]) or, in the tests, recorded texts. Everything that
//! reads goes through [`Files`], so the assembly of figures is tested on
//! recorded /proc and cgroup texts, races and refusals included.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::time::Duration;

use crate::procfs;

/// The files the figures are read from.
pub(crate) trait Files {
    /// Every pid in /proc.
    fn pids(&self) -> io::Result<Vec<u32>>;
    /// `/proc/PID/NAME`.
    fn proc_file(&self, pid: u32, name: &str) -> io::Result<Vec<u8>>;
    /// The number of entries of `/proc/PID/fd`.
    fn fd_count(&self, pid: u32) -> io::Result<u32>;
    /// `DIR/NAME` where DIR is a cgroup's directory.
    fn cgroup_file(&self, dir: &[u8], name: &str) -> io::Result<Vec<u8>>;
    /// The absolute path of a directory, symlinks resolved.
    fn real_path(&self, path: &[u8]) -> io::Result<Vec<u8>>;
    /// The mount point of the unified cgroup hierarchy.
    fn hierarchy(&self) -> Option<Vec<u8>>;
    /// CLOCK_MONOTONIC.
    fn now(&self) -> Duration;
    /// Clock ticks a second and the page size.
    fn units(&self) -> (u64, u64);
}

/// The running system: /proc and the unified cgroup hierarchy, each held
/// open where it could be opened (files are opened relative to them: the
/// kernel walks a path of one or two names, not six), else reached by
/// their absolute paths.
#[derive(Debug, Default)]
pub(crate) struct System {
    proc: Option<OwnedFd>,
    /// The hierarchy's mount point and its descriptor.
    hierarchy: Option<(Vec<u8>, OwnedFd)>,
}

impl System {
    /// /proc and the hierarchy opened.
    pub(crate) fn open() -> System {
        let dir = |path: &[u8]| unix::fs::openat(libc::AT_FDCWD, path, libc::O_PATH | libc::O_DIRECTORY, 0).ok();
        let mount = unix::cgroup::hierarchy().map(|m| m.to_bytes());
        System { proc: dir(b"/proc"), hierarchy: mount.and_then(|m| Some((m.to_vec(), dir(m)?))) }
    }
}

impl Files for System {
    fn pids(&self) -> io::Result<Vec<u32>> {
        procfs::pids()
    }
    fn proc_file(&self, pid: u32, name: &str) -> io::Result<Vec<u8>> {
        match &self.proc {
            Some(fd) => procfs::read_at(fd.as_raw_fd(), format!("{pid}/{name}").as_bytes()),
            None => procfs::read(Path::new(&format!("/proc/{pid}/{name}"))),
        }
    }
    fn fd_count(&self, pid: u32) -> io::Result<u32> {
        procfs::fd_count(pid)
    }
    fn cgroup_file(&self, dir: &[u8], name: &str) -> io::Result<Vec<u8>> {
        // A cgroup's directory below the hierarchy, relative to it.
        let below = |(mount, fd): &(Vec<u8>, OwnedFd)| {
            let rest = dir.strip_prefix(mount.as_slice())?.strip_prefix(b"/")?;
            Some((fd.as_raw_fd(), rest))
        };
        match self.hierarchy.as_ref().and_then(below) {
            Some((fd, b"")) => procfs::read_at(fd, name.as_bytes()),
            Some((fd, rest)) => procfs::read_at(fd, &[rest, b"/", name.as_bytes()].concat()),
            None => procfs::read_at(libc::AT_FDCWD, &[dir, b"/", name.as_bytes()].concat()),
        }
    }
    fn real_path(&self, path: &[u8]) -> io::Result<Vec<u8>> {
        procfs::real_path(path)
    }
    fn hierarchy(&self) -> Option<Vec<u8>> {
        unix::cgroup::hierarchy().map(|m| m.to_bytes().to_vec())
    }
    fn now(&self) -> Duration {
        unix::time::clock_gettime(libc::CLOCK_MONOTONIC)
    }
    fn units(&self) -> (u64, u64) {
        (unix::system::clock_ticks(), unix::system::page_size())
    }
}

#[cfg(test)]
pub(crate) mod recorded {
    //! Recorded texts in place of /proc and /sys/fs/cgroup.
    use super::*;
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;

    /// A file's recorded content, or the error reading it gave.
    #[derive(Clone)]
    pub enum Text {
        Is(Vec<u8>),
        Errno(i32),
    }

    #[derive(Default)]
    pub struct Recorded {
        pub files: HashMap<String, Text>,
        pub fds: HashMap<u32, Text>,
        pub now: Cell<Duration>,
        /// Every file read, in order.
        pub opened: RefCell<Vec<String>>,
    }

    impl Recorded {
        pub fn put(&mut self, path: &str, text: &[u8]) {
            self.files.insert(path.to_string(), Text::Is(text.to_vec()));
        }
        pub fn fail(&mut self, path: &str, errno: i32) {
            self.files.insert(path.to_string(), Text::Errno(errno));
        }
        /// A process: its stat line and cgroup file.
        pub fn process(&mut self, pid: u32, ppid: u32, comm: &str, utime: u64, rss_pages: u64, cgroup: &str) {
            let stat = format!(
                "{pid} ({comm}) S {ppid} {pid} {pid} 0 -1 0 0 0 0 0 {utime} 0 0 0 20 0 1 0 {start} 1000 {rss_pages} 0\n",
                start = 1000 + pid
            );
            self.put(&format!("/proc/{pid}/stat"), stat.as_bytes());
            self.put(&format!("/proc/{pid}/cgroup"), format!("1:name=systemd:/\n0::{cgroup}\n").as_bytes());
            self.put(&format!("/proc/{pid}/cmdline"), format!("{comm}\0--flag\0").as_bytes());
        }
        fn get(&self, path: &str) -> io::Result<Vec<u8>> {
            self.opened.borrow_mut().push(path.to_string());
            match self.files.get(path) {
                Some(Text::Is(t)) => Ok(t.clone()),
                Some(Text::Errno(e)) => Err(io::Error::from_raw_os_error(*e)),
                None => Err(io::Error::from_raw_os_error(libc::ENOENT)),
            }
        }
    }

    impl Files for Recorded {
        fn pids(&self) -> io::Result<Vec<u32>> {
            let mut pids: Vec<u32> = self
                .files
                .keys()
                .filter_map(|k| k.strip_prefix("/proc/")?.strip_suffix("/stat")?.parse().ok())
                .collect();
            pids.sort_unstable();
            Ok(pids)
        }
        fn proc_file(&self, pid: u32, name: &str) -> io::Result<Vec<u8>> {
            self.get(&format!("/proc/{pid}/{name}"))
        }
        fn fd_count(&self, pid: u32) -> io::Result<u32> {
            match self.fds.get(&pid) {
                Some(Text::Is(t)) => Ok(t.len() as u32),
                Some(Text::Errno(e)) => Err(io::Error::from_raw_os_error(*e)),
                None => Err(io::Error::from_raw_os_error(libc::ENOENT)),
            }
        }
        fn cgroup_file(&self, dir: &[u8], name: &str) -> io::Result<Vec<u8>> {
            self.get(&format!("{}/{name}", String::from_utf8_lossy(dir)))
        }
        fn real_path(&self, path: &[u8]) -> io::Result<Vec<u8>> {
            Ok(path.to_vec())
        }
        fn hierarchy(&self) -> Option<Vec<u8>> {
            Some(b"/sys/fs/cgroup/unified".to_vec())
        }
        fn now(&self) -> Duration {
            self.now.get()
        }
        fn units(&self) -> (u64, u64) {
            (100, 4096)
        }
    }
}
