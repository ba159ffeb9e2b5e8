//! The files under `S/supervise/`: status (+ runit's stat and pid), the ok
//! FIFO as liveness test, and the working directory dance of the clients.

use std::borrow::Cow;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::record::{DecodeError, Status, RECORD_LEN};

/// `supervise/status`
pub const STATUS: &str = "supervise/status";
/// `supervise/control`
pub const CONTROL: &str = "supervise/control";
/// `supervise/ok`
pub const OK: &str = "supervise/ok";
/// `supervise/lock`
pub const LOCK: &str = "supervise/lock";

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

/// Reads `DIR/supervise/status` (any of the 18-, 20- and 44-byte layouts).
pub fn read_status(dir: &Path) -> Result<Status, ReadError> {
    let mut f =
        OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(dir.join(STATUS)).map_err(ReadError::Open)?;
    let mut buf = [0u8; RECORD_LEN];
    let len = unix::fd::read_until_full(&mut f, &mut buf).map_err(ReadError::Read)?;
    Status::decode(&buf[..len]).map_err(|DecodeError::Short(_)| ReadError::BadFormat)
}

/// Writes `DIR/supervise/status` as `status.new` renamed over `status`, so a
/// reader never sees a partial record.
pub fn write_status(dir: &Path, status: &Status) -> Result<(), WriteError> {
    replace(dir, "supervise/status.new", "supervise/status", &status.encode())
}

/// Writes runit's `DIR/supervise/stat` and `DIR/supervise/pid` for `status`,
/// the same way. Like [`write_status`], it does not allocate (with `dir`
/// `.`): supervise calls both at every change, and heap pages would be
/// private to each of hundreds of supervise processes.
pub fn write_runit_files(dir: &Path, status: &Status) -> Result<(), WriteError> {
    // At most 37 + 11 bytes: writing into 64 cannot fail.
    let mut line = [0u8; 64];
    let mut w = &mut line[..];
    let _ = status.write_stat_line(&mut w);
    let len = 64 - w.len();
    replace(dir, "supervise/stat.new", "supervise/stat", &line[..len])?;
    let mut w = &mut line[..];
    if status.pid != 0 {
        let _ = w.write_all(decimal(status.pid.into(), &mut [0; DECIMAL_LEN]));
        let _ = w.write_all(b"\n");
    }
    let len = 64 - w.len();
    replace(dir, "supervise/pid.new", "supervise/pid", &line[..len])
}

/// Why a status file could not be replaced, in daemontools' words.
#[derive(Debug)]
pub struct WriteError {
    /// `open`, `write` or `rename`.
    verb: &'static str,
    /// The file written first (`supervise/status.new`).
    new: &'static str,
    /// The file renamed over (`supervise/status`), named by rename's message.
    file: &'static str,
    pub source: io::Error,
}

impl WriteError {
    /// daemontools' warning text for the service directory named `dir`:
    /// `unable to open DIR/supervise/status.new: ERR`, likewise `write`, and
    /// `unable to rename DIR/supervise/status.new to status: ERR`.
    pub fn message(&self, dir: &[u8]) -> Vec<u8> {
        let mut m = [b"unable to ", self.verb.as_bytes(), b" ", dir, b"/", self.new.as_bytes()].concat();
        if self.verb == "rename" {
            let base = self.file.rsplit('/').next().unwrap_or(self.file);
            m.extend_from_slice(b" to ");
            m.extend_from_slice(base.as_bytes());
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
fn replace(dir: &Path, new: &'static str, file: &'static str, bytes: &[u8]) -> Result<(), WriteError> {
    let failed = |verb| move |source| WriteError { verb, new, file, source };
    let new_path = in_dir(dir, Path::new(new));
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(&new_path)
        .map_err(failed("open"))?;
    f.write_all(bytes).map_err(failed("write"))?;
    drop(f);
    fs::rename(&new_path, in_dir(dir, Path::new(file))).map_err(failed("rename"))
}

/// `dir/file`, borrowed as is when `dir` is `.` (supervise's case: its
/// status writes then allocate nothing).
pub fn in_dir<'a>(dir: &Path, file: &'a Path) -> Cow<'a, Path> {
    if dir == Path::new(".") {
        Cow::Borrowed(file)
    } else {
        Cow::Owned(dir.join(file))
    }
}

/// Is a supervisor listening on `DIR/supervise/ok`? Opening a FIFO for
/// writing without blocking fails with ENXIO when nobody reads it, exactly
/// daemontools' test. Other errors (ENOENT: never supervised) are returned.
pub fn probe_ok(dir: &Path) -> io::Result<bool> {
    match OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(dir.join(OK)) {
        Ok(_) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::ENXIO) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The working directory a client came from, to return to after `chdir`ing
/// into each service (daemontools' clients do the same, so relative service
/// names and error texts match theirs).
pub struct SavedCwd(File);

impl SavedCwd {
    pub fn save() -> io::Result<SavedCwd> {
        OpenOptions::new().read(true).custom_flags(libc::O_DIRECTORY).open(".").map(SavedCwd)
    }
    pub fn restore(&self) -> io::Result<()> {
        unix::fd::fchdir(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{RunState, Want};

    #[test]
    fn write_then_read() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir(d.path().join("supervise")).unwrap();
        let s = Status { pid: 77, state: RunState::Run, want: Want::Down, ..Status::default() };
        write_status(d.path(), &s).unwrap();
        write_runit_files(d.path(), &s).unwrap();
        assert_eq!(read_status(d.path()).unwrap().pid, 77);
        assert_eq!(fs::read_to_string(d.path().join("supervise/pid")).unwrap(), "77\n");
        for n in [0, 7, -1, 15, 4_294_967_295, i64::MIN, i64::MAX] {
            assert_eq!(decimal(n, &mut [0; DECIMAL_LEN]), n.to_string().as_bytes());
        }
        assert_eq!(fs::read_to_string(d.path().join("supervise/stat")).unwrap(), "run, want down\n");
        assert!(!d.path().join("supervise/status.new").exists());
        write_runit_files(d.path(), &Status { pid: 0, state: RunState::Down, ..s }).unwrap();
        assert_eq!(fs::read_to_string(d.path().join("supervise/pid")).unwrap(), "");
        assert_eq!(fs::read_to_string(d.path().join("supervise/stat")).unwrap(), "down\n");
        assert!(!d.path().join("supervise/stat.new").exists());
    }

    #[test]
    fn in_dir_borrows_for_the_current_directory() {
        assert!(
            matches!(in_dir(Path::new("."), Path::new("supervise/ok")), Cow::Borrowed(p) if p == Path::new("supervise/ok"))
        );
        assert_eq!(in_dir(Path::new("/srv/a"), Path::new("down")), Path::new("/srv/a/down"));
    }

    #[test]
    fn short_file_is_bad_format() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir(d.path().join("supervise")).unwrap();
        fs::write(d.path().join(STATUS), b"garbage").unwrap();
        assert!(matches!(read_status(d.path()), Err(ReadError::BadFormat)));
        fs::remove_file(d.path().join(STATUS)).unwrap();
        assert!(matches!(read_status(d.path()), Err(ReadError::Open(_))));
    }

    #[test]
    fn ok_fifo_without_reader_is_not_running() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(probe_ok(d.path()).unwrap_err().raw_os_error(), Some(libc::ENOENT));
        fs::create_dir(d.path().join("supervise")).unwrap();
        unix::fs::mkfifo(&d.path().join(OK)).unwrap();
        assert!(!probe_ok(d.path()).unwrap());
        let _reader = OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(d.path().join(OK)).unwrap();
        assert!(probe_ok(d.path()).unwrap());
    }
}
