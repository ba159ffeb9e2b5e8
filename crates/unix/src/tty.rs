//! Terminals: their size and raw mode (`tend top`'s full-screen view);
//! whether a descriptor is one is [`crate::system::is_terminal`].
//!
//! [`RawMode::enter`] switches a terminal to non-canonical, no-echo input
//! (keys arrive one byte at a time, Ctrl-C still sends SIGINT) and gives the
//! saved settings back when dropped. Every call is an `ioctl` (TIOCGWINSZ,
//! TCGETS, TCSETSF: what tcgetattr and tcsetattr(TCSAFLUSH) do), which
//! tend imports already: no new entry in the GOT, which every process maps
//! in its RELRO pages.

use std::io;
use std::os::fd::{AsRawFd, RawFd};

use crate::check;

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
        // SAFETY: an all-zero termios is valid storage; TCGETS fills it.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: TCGETS writes the kernel's termios, a prefix of the C
        // library's, into `saved`, valid and writable.
        check(unsafe { libc::ioctl(fd, libc::TCGETS, &mut saved) })?;
        let mut raw = saved;
        raw.c_lflag &= !(libc::ICANON | libc::ECHO);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        // SAFETY: TCSETSF (tcsetattr's TCSAFLUSH) reads the initialised `raw`.
        check(unsafe { libc::ioctl(fd, libc::TCSETSF, &raw) })?;
        Ok(RawMode { fd, saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: TCSETSF reads `saved`, the settings TCGETS gave for this descriptor.
        unsafe { libc::ioctl(self.fd, libc::TCSETSF, &self.saved) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipe_has_no_size_and_no_raw_mode() {
        let (r, _w) = crate::pipe::pipe().unwrap();
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
        assert!(crate::system::is_terminal(sub.as_raw_fd()));
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
