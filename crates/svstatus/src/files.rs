//! The files under `S/supervise/`: status (+ runit's stat and pid) and the
//! ok FIFO as liveness test, each reached through a [`ServiceDir`].

use std::ffi::CStr;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;

use crate::dir::ServiceDir;
use crate::record::{DecodeError, Status, RECORD_LEN};

/// `supervise`
pub const STATE_DIR: &CStr = c"supervise";
/// `supervise/status`
pub const STATUS: &CStr = c"supervise/status";
/// `supervise/control`
pub const CONTROL: &CStr = c"supervise/control";
/// `supervise/ok`
pub const OK: &CStr = c"supervise/ok";
/// `supervise/lock`
pub const LOCK: &CStr = c"supervise/lock";
/// `supervise/essential-exit`: written by supervise when its essential
/// service ended unasked, holding the code in decimal (`3\n`); svscan reads
/// and removes it when that supervise exits, then shuts the tree down.
pub const ESSENTIAL_EXIT: &CStr = c"supervise/essential-exit";
/// `status` and runit's `stat` and `pid`.
pub const STATUS_FILES: [&CStr; 3] = [STATUS, c"supervise/stat", c"supervise/pid"];
/// The files written before being renamed over (or swapped with) [`STATUS_FILES`].
pub const SCRATCH: [&CStr; 3] = [c"supervise/status.new", c"supervise/stat.new", c"supervise/pid.new"];

/// Why [`read_status`] failed, in the words of daemontools' svstat.
#[derive(Debug)]
pub enum ReadError {
    /// `unable to open supervise/status: ERR`
    Open(io::Error),
    /// `unable to read supervise/status: ERR`
    Read(io::Error),
    /// `unable to read supervise/status: bad format`
    BadFormat,
}

/// Reads `DIR/supervise/status` (any of the 18-, 20-, 44-, 56- and 64-byte layouts).
pub fn read_status(dir: &ServiceDir) -> Result<Status, ReadError> {
    read_status_sized(dir).map(|(status, _)| status)
}

/// [`read_status`], and the file's length up to [`RECORD_LEN`] (which
/// supervisor wrote it: 18 bytes daemontools', 20 runit's), with no `stat`.
pub fn read_status_sized(dir: &ServiceDir) -> Result<(Status, usize), ReadError> {
    let mut f = dir.open_file(STATUS, libc::O_RDONLY | libc::O_NONBLOCK, 0).map_err(ReadError::Open)?;
    let mut buf = [0u8; RECORD_LEN];
    let len = unix::fd::read_until_full(&mut f, &mut buf).map_err(ReadError::Read)?;
    let status = Status::decode(&buf[..len]).map_err(|DecodeError::Short(_)| ReadError::BadFormat)?;
    Ok((status, len))
}

/// Writes `DIR/supervise/status` as `status.new` renamed over `status`, so a
/// reader never sees a partial record.
pub fn write_status(dir: &ServiceDir, status: &Status) -> Result<(), WriteError> {
    replace(dir, SCRATCH[0], STATUS, &status.encode())
}

/// The content of runit's `DIR/supervise/stat` and `DIR/supervise/pid` for
/// one status, on the stack: supervise compares it with what it last wrote
/// and writes only a change (a service that dies at once leaves both
/// files saying `down` and nothing from one restart to the next).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunitFiles {
    /// `run, want down\n` and the like: at most 37 + 11 bytes.
    stat: [u8; 64],
    stat_len: usize,
    /// The pid and a newline, or nothing when down.
    pid: [u8; DECIMAL_LEN + 1],
    pid_len: usize,
}

impl RunitFiles {
    /// The files' content for `status`.
    pub fn of(status: &Status) -> RunitFiles {
        let mut files = RunitFiles { stat: [0; 64], stat_len: 0, pid: [0; DECIMAL_LEN + 1], pid_len: 0 };
        let mut w = &mut files.stat[..];
        // Writing into 64 bytes cannot fail.
        let _ = status.write_stat_line(&mut w);
        files.stat_len = 64 - w.len();
        if status.pid != 0 {
            let mut scratch = [0; DECIMAL_LEN];
            let digits = decimal(status.pid.into(), &mut scratch);
            files.pid[..digits.len()].copy_from_slice(digits);
            files.pid[digits.len()] = b'\n';
            files.pid_len = digits.len() + 1;
        }
        files
    }

    /// Writes both files as [`write_status`] writes `status`. Like it, it
    /// does not allocate: heap pages would be private to each of hundreds
    /// of supervise processes.
    pub fn write(&self, dir: &ServiceDir) -> Result<(), WriteError> {
        replace(dir, SCRATCH[1], STATUS_FILES[1], &self.stat[..self.stat_len])?;
        replace(dir, SCRATCH[2], STATUS_FILES[2], &self.pid[..self.pid_len])
    }
}

/// Why a status file could not be replaced, in daemontools' words.
#[derive(Debug)]
pub struct WriteError {
    /// `open`, `write` or `rename`.
    verb: &'static str,
    /// The file written first (`supervise/status.new`).
    new: &'static CStr,
    /// The file renamed over (`supervise/status`), named by rename's message.
    file: &'static CStr,
    pub source: io::Error,
}

impl WriteError {
    /// daemontools' warning text for the service directory named `dir`:
    /// `unable to open DIR/supervise/status.new: ERR`, likewise `write`, and
    /// `unable to rename DIR/supervise/status.new to status: ERR`.
    pub fn message(&self, dir: &[u8]) -> Vec<u8> {
        let mut m = [b"unable to ", self.verb.as_bytes(), b" ", dir, b"/", self.new.to_bytes()].concat();
        if self.verb == "rename" {
            let file = self.file.to_bytes();
            let base = file.rsplit(|&b| b == b'/').next().unwrap_or(file);
            m.extend_from_slice(b" to ");
            m.extend_from_slice(base);
        }
        m.extend_from_slice(b": ");
        m.extend_from_slice(strerr::errstr(&self.source).as_bytes());
        m
    }
}

/// Room for any i64 in decimal, with its sign.
pub const DECIMAL_LEN: usize = 20;

/// `n` in decimal, at the end of `buf`. Not `core::fmt`: supervise would map
/// the pages of its code for this alone.
pub fn decimal(n: i64, buf: &mut [u8; DECIMAL_LEN]) -> &[u8] {
    let mut i = buf.len();
    let mut rest = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// Writes `DIR/NEW`, then renames it over `DIR/FILE`.
///
/// When `FILE` is a regular file (with no other link) the two swap names (`RENAME_EXCHANGE`)
/// instead, and `NEW` keeps the previous content for the next write: no
/// inode is created or freed, which on ext4 costs a tenth of a create,
/// write and rename (whose rename flushes the new file's data and whose
/// freed block is discarded). A reader that opens `FILE` reads a whole
/// record, old or new, unless it is slow enough to still be reading that
/// inode two writes later, when it has become `NEW` and is rewritten in
/// place: the content is written before the length is cut, so even then it
/// sees a record's bytes, never an empty file. Anything else at `FILE`
/// (nothing, a directory) gets a plain rename and daemontools' errors.
pub(crate) fn replace(
    dir: &ServiceDir,
    new: &'static CStr,
    file: &'static CStr,
    bytes: &[u8],
) -> Result<(), WriteError> {
    let failed = |verb| move |source| WriteError { verb, new, file, source };
    let f = dir.open_file(new, libc::O_WRONLY | libc::O_CREAT | libc::O_NONBLOCK, 0o644).map_err(failed("open"))?;
    // Written from offset 0 of the file just opened: `write_all`, which the
    // link layout keeps with supervise's code (`write_all_at` lies elsewhere).
    (&f).write_all(bytes).and_then(|()| f.set_len(bytes.len() as u64)).map_err(failed("write"))?;
    drop(f);
    let swap = dir.lstat(file).is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFREG && st.st_nlink == 1);
    match dir.rename(new, file, swap) {
        // A file system without RENAME_EXCHANGE.
        Err(e) if swap && e.raw_os_error() == Some(libc::EINVAL) => dir.rename(new, file, false),
        other => other,
    }
    .map_err(failed("rename"))
}

/// Records an essential service's exit code in [`ESSENTIAL_EXIT`] (the
/// code in decimal and a newline) for svscan: a new file, never one found
/// there (it may be a planted symlink).
pub fn write_essential_exit(dir: &ServiceDir, code: u8) -> io::Result<()> {
    let mut buf = [0; DECIMAL_LEN];
    let digits = decimal(i64::from(code), &mut buf);
    let mut text = [0u8; DECIMAL_LEN + 1];
    text[..digits.len()].copy_from_slice(digits);
    text[digits.len()] = b'\n';
    let _ = dir.unlink(ESSENTIAL_EXIT);
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW;
    dir.open_file(ESSENTIAL_EXIT, flags, 0o644)?.write_all(&text[..=digits.len()])
}

/// Reads and removes [`ESSENTIAL_EXIT`]: `Ok(None)` when there is none,
/// `InvalidData` when it holds no exit code (0 to 255).
pub fn take_essential_exit(dir: &ServiceDir) -> io::Result<Option<u8>> {
    let f = match dir.open_file(ESSENTIAL_EXIT, libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK, 0) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut buf = [0u8; 8];
    let n = f.read_at(&mut buf, 0)?;
    let _ = dir.unlink(ESSENTIAL_EXIT);
    let text = std::str::from_utf8(&buf[..n]).map_err(|_| io::ErrorKind::InvalidData)?;
    text.trim().parse::<u8>().map(Some).map_err(|_| io::ErrorKind::InvalidData.into())
}

/// Is a supervisor listening on `DIR/supervise/ok`? Opening a FIFO for
/// writing without blocking fails with ENXIO when nobody reads it, exactly
/// daemontools' test. Other errors (ENOENT: never supervised) are returned.
pub fn probe_ok(dir: &ServiceDir) -> io::Result<bool> {
    match dir.open_file(OK, libc::O_WRONLY | libc::O_NONBLOCK, 0) {
        Ok(_) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::ENXIO) => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{RunState, Want};
    use std::fs::{self, OpenOptions};
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};

    fn service_dir(d: &tempfile::TempDir) -> ServiceDir {
        ServiceDir::open(d.path().as_os_str().as_bytes()).unwrap()
    }

    #[test]
    fn essential_exit_round_trip() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir(d.path().join("supervise")).unwrap();
        let dir = service_dir(&d);
        assert_eq!(take_essential_exit(&dir).unwrap(), None);
        write_essential_exit(&dir, 137).unwrap();
        assert_eq!(fs::read(d.path().join("supervise/essential-exit")).unwrap(), b"137\n");
        assert_eq!(take_essential_exit(&dir).unwrap(), Some(137));
        assert!(!d.path().join("supervise/essential-exit").exists(), "read once, then removed");
        fs::write(d.path().join("supervise/essential-exit"), b"300\n").unwrap();
        assert_eq!(take_essential_exit(&dir).unwrap_err().kind(), io::ErrorKind::InvalidData);
        // A planted symlink is replaced, never written through.
        std::os::unix::fs::symlink(d.path().join("elsewhere"), d.path().join("supervise/essential-exit")).unwrap();
        write_essential_exit(&dir, 3).unwrap();
        assert!(!d.path().join("elsewhere").exists());
        assert_eq!(take_essential_exit(&dir).unwrap(), Some(3));
    }

    #[test]
    fn write_then_read() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir(d.path().join("supervise")).unwrap();
        let dir = service_dir(&d);
        let s = Status { pid: 77, state: RunState::Run, want: Want::Down, ..Status::default() };
        write_status(&dir, &s).unwrap();
        RunitFiles::of(&s).write(&dir).unwrap();
        assert_eq!(read_status(&dir).unwrap().pid, 77);
        assert_eq!(fs::read_to_string(d.path().join("supervise/pid")).unwrap(), "77\n");
        for n in [0, 7, -1, 15, 4_294_967_295, i64::MIN, i64::MAX] {
            assert_eq!(decimal(n, &mut [0; DECIMAL_LEN]), n.to_string().as_bytes());
        }
        assert_eq!(fs::read_to_string(d.path().join("supervise/stat")).unwrap(), "run, want down\n");
        RunitFiles::of(&Status { pid: 0, state: RunState::Down, ..s }).write(&dir).unwrap();
        assert_eq!(fs::read_to_string(d.path().join("supervise/pid")).unwrap(), "");
        assert_eq!(fs::read_to_string(d.path().join("supervise/stat")).unwrap(), "down\n");
    }

    #[test]
    fn later_writes_swap_two_files() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir(d.path().join("supervise")).unwrap();
        let dir = service_dir(&d);
        let inode = |f: &str| fs::metadata(d.path().join("supervise").join(f)).unwrap().ino();
        for pid in [1, 22, 333] {
            RunitFiles::of(&Status { pid, state: RunState::Run, ..Status::default() }).write(&dir).unwrap();
        }
        let (pid, new) = (inode("pid"), inode("pid.new"));
        RunitFiles::of(&Status::default()).write(&dir).unwrap();
        assert_eq!((inode("pid"), inode("pid.new")), (new, pid));
        assert_eq!(fs::read_to_string(d.path().join("supervise/pid")).unwrap(), "");
        assert_eq!(fs::read_to_string(d.path().join("supervise/pid.new")).unwrap(), "333\n");
    }

    #[test]
    fn short_file_is_bad_format() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir(d.path().join("supervise")).unwrap();
        let dir = service_dir(&d);
        let status = d.path().join("supervise/status");
        fs::write(&status, b"garbage").unwrap();
        assert!(matches!(read_status(&dir), Err(ReadError::BadFormat)));
        fs::remove_file(&status).unwrap();
        assert!(matches!(read_status(&dir), Err(ReadError::Open(_))));
    }

    #[test]
    fn ok_fifo_without_reader_is_not_running() {
        let d = tempfile::tempdir().unwrap();
        let dir = service_dir(&d);
        assert_eq!(probe_ok(&dir).unwrap_err().raw_os_error(), Some(libc::ENOENT));
        fs::create_dir(d.path().join("supervise")).unwrap();
        dir.mkfifo(OK).unwrap();
        assert!(!probe_ok(&dir).unwrap());
        let ok = d.path().join("supervise/ok");
        let _reader = OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(ok).unwrap();
        assert!(probe_ok(&dir).unwrap());
    }
}
