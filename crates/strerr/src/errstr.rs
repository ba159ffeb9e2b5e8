//! errno → daemontools' `error_str` text.

use std::io;

/// The text daemontools 0.76 prints for `e`.
///
/// Errors that carry no errno (ours, built with `io::Error::new`) print their own message.
pub fn errstr(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => errno_str(code).to_string(),
        None => e.to_string(),
    }
}

/// daemontools' text for a raw errno value (DT `error_str.c`).
pub fn errno_str(code: i32) -> &'static str {
    match code {
        0 => "no error",
        1 => "permission denied",                  // EPERM
        2 => "file does not exist",                // ENOENT
        3 => "no such process",                    // ESRCH
        4 => "interrupted system call",            // EINTR
        5 => "input/output error",                 // EIO
        6 => "device not configured",              // ENXIO
        7 => "argument list too long",             // E2BIG
        8 => "exec format error",                  // ENOEXEC
        9 => "file descriptor not open",           // EBADF
        10 => "no child processes",                // ECHILD
        11 => "temporary failure",                 // EAGAIN
        12 => "out of memory",                     // ENOMEM
        13 => "access denied",                     // EACCES
        14 => "bad address",                       // EFAULT
        16 => "device busy",                       // EBUSY
        17 => "file already exists",               // EEXIST
        18 => "cross-device link",                 // EXDEV
        19 => "device does not support operation", // ENODEV
        20 => "not a directory",                   // ENOTDIR
        21 => "is a directory",                    // EISDIR
        22 => "invalid argument",                  // EINVAL
        23 => "system cannot open more files",     // ENFILE
        24 => "process cannot open more files",    // EMFILE
        25 => "not a tty",                         // ENOTTY
        26 => "text busy",                         // ETXTBSY
        27 => "file too big",                      // EFBIG
        28 => "out of disk space",                 // ENOSPC
        29 => "unseekable descriptor",             // ESPIPE
        30 => "read-only file system",             // EROFS
        31 => "too many links",                    // EMLINK
        32 => "broken pipe",                       // EPIPE
        33 => "input out of range",                // EDOM
        34 => "output out of range",               // ERANGE
        35 => "operation would cause deadlock",    // EDEADLK
        36 => "file name too long",                // ENAMETOOLONG
        38 => "operation not supported",           // ENOSYS
        39 => "directory not empty",               // ENOTEMPTY
        40 => "symbolic link loop",                // ELOOP
        95 => "operation not supported",           // EOPNOTSUPP
        98 => "address already used",              // EADDRINUSE
        99 => "address not available",             // EADDRNOTAVAIL
        100 => "network down",                     // ENETDOWN
        101 => "network unreachable",              // ENETUNREACH
        104 => "connection reset",                 // ECONNRESET
        110 => "timed out",                        // ETIMEDOUT
        111 => "connection refused",               // ECONNREFUSED
        113 => "host unreachable",                 // EHOSTUNREACH
        116 => "stale NFS file handle",            // ESTALE
        122 => "disk quota exceeded",              // EDQUOT
        _ => "unknown error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daemontools_texts_for_the_errors_that_matter() {
        assert_eq!(errno_str(libc_enoent()), "file does not exist");
        assert_eq!(errno_str(11), "temporary failure");
        assert_eq!(errno_str(6), "device not configured");
        assert_eq!(errno_str(28), "out of disk space");
        assert_eq!(errno_str(9999), "unknown error");
    }

    #[test]
    fn custom_errors_keep_their_message() {
        let e = io::Error::new(io::ErrorKind::InvalidData, "bad format");
        assert_eq!(errstr(&e), "bad format");
    }

    fn libc_enoent() -> i32 {
        io::Error::from(io::ErrorKind::NotFound).raw_os_error().unwrap_or(2)
    }
}
