//! The one error vocabulary of tend, after skalibs' `strerr` and djb's `error_str`.
//!
//! Every program prints `PROG: fatal: WHAT: WHY` or `PROG: warning: WHAT: WHY`
//! on stderr in a single `write`, where WHY is daemontools' text for the errno
//! (`file does not exist`, not `No such file or directory`), so scripts that
//! grep daemontools' messages keep working. The program name is set once at
//! dispatch ([`set_program`]). Messages are built from byte slices: names
//! that are not UTF-8 are printed exactly as given. [`Getopt`] parses flags
//! the way djb's `sgetopt` does: no reordering, options stop at the first
//! operand.
//!
//! ```
//! let e = std::io::Error::from_raw_os_error(2);
//! assert_eq!(strerr::errstr(&e), "file does not exist");
//! ```
#![forbid(unsafe_code)]

mod errstr;
mod getopt;
mod message;

pub use errstr::{errno_str, errstr};
pub use getopt::{Getopt, Opt};
pub use message::{
    die, fatal, fatal_line, program, set_program, usage, usage_as_given, warn, warning_line, warning_prefix,
    write_stderr, EXIT_BUG, EXIT_SYSTEM, EXIT_USAGE,
};
