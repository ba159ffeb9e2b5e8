//! Control letters and how clients send them.

use std::io::{self, Write};
use std::os::unix::fs::FileTypeExt;

use crate::dir::ServiceDir;
use crate::files::CONTROL;

/// One byte written to `supervise/control`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `u`: want up, start if down.
    Up,
    /// `d`: want down, send the down signal (then SIGCONT).
    Down,
    /// `o`: start if down, do not restart.
    Once,
    /// `p`: SIGSTOP, paused.
    Pause,
    /// `c`: SIGCONT, not paused.
    Continue,
    /// `x`: exit once the service is down.
    Exit,
    /// `O` (s6): no restart after the next death, no start if down.
    OnceAtMost,
    /// `r` (s6): send the down signal, keeping the want up: a restart.
    Restart,
    /// `a h i t k q 1 2 w`, and s6's `y b`: send this signal to the service.
    Signal(i32),
}

impl Command {
    /// The command for a byte, None for bytes supervise ignores.
    pub fn from_byte(b: u8) -> Option<Command> {
        Some(match b {
            b'u' => Command::Up,
            b'd' => Command::Down,
            b'o' => Command::Once,
            b'p' => Command::Pause,
            b'c' => Command::Continue,
            b'x' => Command::Exit,
            b'a' => Command::Signal(libc::SIGALRM),
            b'h' => Command::Signal(libc::SIGHUP),
            b'i' => Command::Signal(libc::SIGINT),
            b't' => Command::Signal(libc::SIGTERM),
            b'k' => Command::Signal(libc::SIGKILL),
            b'q' => Command::Signal(libc::SIGQUIT),
            b'1' => Command::Signal(libc::SIGUSR1),
            b'2' => Command::Signal(libc::SIGUSR2),
            b'w' | b'y' => Command::Signal(libc::SIGWINCH),
            b'b' => Command::Signal(libc::SIGABRT),
            b'O' => Command::OnceAtMost,
            b'r' => Command::Restart,
            _ => return None,
        })
    }
}

/// Why [`send_commands`] failed.
#[derive(Debug)]
pub enum SendError {
    /// No supervisor reads the control FIFO (ENXIO).
    NotRunning,
    /// `supervise/control` could not be opened.
    Open(io::Error),
    /// `supervise/control` exists but is not a FIFO: writing would go nowhere.
    NotFifo,
    /// The write failed.
    Write(io::Error),
}

/// Writes `letters` to `DIR/supervise/control` in one write, the way
/// daemontools' svc does: a non-blocking open (ENXIO = nobody listening),
/// then a blocking write. SIGPIPE must be ignored by the caller.
pub fn send_commands(dir: &ServiceDir, letters: &[u8]) -> Result<(), SendError> {
    let mut f = match dir.open_file(CONTROL, libc::O_WRONLY | libc::O_NONBLOCK, 0) {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::ENXIO) => return Err(SendError::NotRunning),
        Err(e) => return Err(SendError::Open(e)),
    };
    match f.metadata() {
        Ok(m) if m.file_type().is_fifo() => {}
        Ok(_) => return Err(SendError::NotFifo),
        Err(e) => return Err(SendError::Open(e)),
    }
    unix::fd::set_nonblocking(&f, false).map_err(SendError::Open)?;
    f.write_all(letters).map_err(SendError::Write)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(Command::from_byte(b'd'), Some(Command::Down));
        assert_eq!(Command::from_byte(b'w'), Some(Command::Signal(libc::SIGWINCH)));
        assert_eq!(Command::from_byte(b'2'), Some(Command::Signal(libc::SIGUSR2)));
        assert_eq!(Command::from_byte(b'y'), Some(Command::Signal(libc::SIGWINCH)));
        assert_eq!(Command::from_byte(b'r'), Some(Command::Restart));
        assert_eq!(Command::from_byte(b'Z'), None);
    }

    #[test]
    fn regular_file_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let control = d.path().join("supervise/control");
        std::fs::create_dir(d.path().join("supervise")).unwrap();
        std::fs::write(&control, b"").unwrap();
        let dir = ServiceDir::open(std::os::unix::ffi::OsStrExt::as_bytes(d.path().as_os_str())).unwrap();
        assert!(matches!(send_commands(&dir, b"d"), Err(SendError::NotFifo)));
        assert_eq!(std::fs::read(&control).unwrap(), b"");
    }
}
