//! Process state a chain-loader changes before it execs: session, descriptors,
//! root, priority; and fork/wait for the one program (fghack) that stays around.

use std::io;
use std::os::fd::RawFd;

pub use unix::fd::{dup, dup2, keep_on_exec};
pub use unix::fs::chroot;
pub use unix::pipe::pipe;
pub use unix::process::fork;

/// Starts a new session and process group; failure (already a group leader)
/// is ignored, as daemontools' pgrphack ignores it.
pub fn new_session() {
    unix::process::setsid();
}

/// Closes descriptor 0, 1 or 2 (chpst -0 -1 -2).
pub fn close_standard(fd: RawFd) -> io::Result<()> {
    unix::fd::close(fd)
}

/// Changes the scheduling priority by `increment` (chpst -n).
pub fn nice(increment: i32) -> io::Result<()> {
    unix::limit::nice(increment)
}

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(u8),
    /// Killed by a signal (daemontools' `wait_crashed`).
    Crashed,
}

/// Waits for child `pid`.
pub fn wait(pid: libc::pid_t) -> io::Result<Exit> {
    let status = unix::process::waitpid(pid)?;
    Ok(if libc::WIFEXITED(status) { Exit::Code(libc::WEXITSTATUS(status) as u8) } else { Exit::Crashed })
}

/// Reads from descriptor 0 directly: `std::io::stdin` reports a closed
/// descriptor 0 as end of file, where daemontools' programs see an error.
pub fn read_stdin(buf: &mut [u8]) -> io::Result<usize> {
    unix::fd::read(0, buf)
}
