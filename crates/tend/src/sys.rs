//! The libc calls of the multicall binary itself.

/// Opens /dev/null on each of descriptors 0, 1 and 2 that is closed (what
/// the Rust runtime does before an ordinary `main`), so that a file the
/// program opens later never becomes its stdin, stdout or stderr.
pub fn open_closed_stdio() {
    for fd in 0..3 {
        // SAFETY: F_GETFD on a descriptor number has no memory effects.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
            // SAFETY: a NUL-terminated literal path. open(2) returns the
            // lowest free descriptor: `fd` itself. Without /dev/null (a bare
            // container) the descriptor stays closed, as under a C program.
            unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        }
    }
}
