//! Terminals: whether a descriptor is one, its size, and raw mode
//! (`tend top`'s full-screen view).
//!
//! [`RawMode::enter`] switches a terminal to non-canonical, no-echo input
//! (keys arrive one byte at a time, Ctrl-C still sends SIGINT) and gives the
//! saved settings back when dropped.

use std::io;
use std::os::fd::{AsRawFd, RawFd};

use crate::check;

/// Whether `fd` is a terminal.
pub fn is_terminal(fd: &impl AsRawFd) -> bool {
    // SAFETY: isatty only inspects the descriptor; any value is allowed.
    unsafe { libc::isatty(fd.as_raw_fd()) == 1 }
}

/// The window size of the terminal on `fd`: (columns, rows).
pub fn window_size(fd: &impl AsRawFd) -> io::Result<(u16, u16)> {
    // SAFETY: an all-zero winsize is a valid value for a plain C struct.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ writes one winsize into the valid, writable `ws`.
    check(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGWINSZ, &mut ws) })?;
    Ok((ws.ws_col, ws.ws_row))
}

/// A terminal in raw input mode; the settings it had come back on drop.
pub struct RawMode {
    fd: RawFd,
    saved: libc::termios,
}

impl RawMode {
    /// Turns off canonical input and echo on the terminal `fd` (which must
    /// outlive the guard); signals (ISIG) and output processing stay on.
    pub fn enter(fd: &impl AsRawFd) -> io::Result<RawMode> {
        let fd = fd.as_raw_fd();
        // SAFETY: an all-zero termios is valid storage; tcgetattr fills it.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: `saved` is a valid, writable termios for the call.
        check(unsafe { libc::tcgetattr(fd, &mut saved) })?;
        let mut raw = saved;
        raw.c_lflag &= !(libc::ICANON | libc::ECHO);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        // SAFETY: `raw` is an initialised termios read from this terminal.
        check(unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &raw) })?;
        Ok(RawMode { fd, saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: `saved` is the termios tcgetattr returned for this descriptor.
        unsafe { libc::tcsetattr(self.fd, libc::TCSAFLUSH, &self.saved) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipe_is_no_terminal() {
        let (r, _w) = crate::pipe::pipe().unwrap();
        assert!(!is_terminal(&r));
        assert_eq!(window_size(&r).unwrap_err().raw_os_error(), Some(libc::ENOTTY));
        assert_eq!(RawMode::enter(&r).err().and_then(|e| e.raw_os_error()), Some(libc::ENOTTY));
    }

    /// A pseudo-terminal's subordinate side, opened for the test.
    fn pty() -> (std::fs::File, std::fs::File) {
        use std::os::fd::FromRawFd;
        // SAFETY: test set-up: a new pty pair, its name read into a buffer
        // big enough for it, both descriptors owned by the returned files.
        unsafe {
            let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
            assert!(master >= 0);
            assert_eq!(libc::grantpt(master), 0);
            assert_eq!(libc::unlockpt(master), 0);
            let mut name = [0 as libc::c_char; 128];
            assert_eq!(libc::ptsname_r(master, name.as_mut_ptr(), name.len()), 0);
            let sub = libc::open(name.as_ptr(), libc::O_RDWR | libc::O_NOCTTY);
            assert!(sub >= 0);
            (std::fs::File::from_raw_fd(master), std::fs::File::from_raw_fd(sub))
        }
    }

    fn lflag(fd: &impl AsRawFd) -> libc::tcflag_t {
        // SAFETY: test: reading a pty's settings into zeroed storage.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            assert_eq!(libc::tcgetattr(fd.as_raw_fd(), &mut t), 0);
            t.c_lflag
        }
    }

    #[test]
    fn raw_mode_on_a_pty_is_undone_on_drop() {
        let (master, sub) = pty();
        assert!(is_terminal(&sub));
        let ws = libc::winsize { ws_row: 10, ws_col: 20, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: test: setting the pty's size from a valid winsize.
        assert_eq!(unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &ws) }, 0);
        assert_eq!(window_size(&sub).unwrap(), (20, 10));
        let before = lflag(&sub);
        assert_ne!(before & libc::ICANON, 0);
        {
            let _raw = RawMode::enter(&sub).unwrap();
            assert_eq!(lflag(&sub) & (libc::ICANON | libc::ECHO), 0);
            assert_ne!(lflag(&sub) & libc::ISIG, 0);
        }
        assert_eq!(lflag(&sub), before);
    }
}
