//! multilog: script parser, pattern matcher and log-directory engine.
//!
//! [`parse`] turns argv into a [`Script`] exactly as daemontools 0.76 reads
//! it; [`matches`] is 0.76's anchored, non-backtracking `*` matcher; [`run`]
//! logs stdin into the script's directories with 0.76's on-disk protocol
//! (`current`, `lock`, `state`, `@<tai64n>.s`/`.u`, processors), signals
//! (TERM finishes the line and exits, ALRM rotates) and pause-and-retry on
//! every disk error. Beyond 0.76: archive names never go backwards
//! ([`Namer`]), finished files are fsynced off the input path, and stdin is
//! consumed only after its lines are written, so SIGKILL loses nothing.
//! Under svscan's console mode every line is also copied, prefixed with
//! the service's name, into svscan's console pipe (`console`).
//!
//! ```
//! use multilog::{matches, parse};
//! let script = parse(&["t", "-*debug*", "s4096", "./log"].map(std::ffi::OsStr::new));
//! assert!(script.timestamp);
//! assert_eq!(script.dirs[0].size, 4096);
//! assert!(matches(b"named[*]: *", b"named[135]: Cleaned cache"));
//! ```

mod archives;
mod budget;
mod console;
mod engine;
mod input;
mod logdir;
mod partial;
mod pattern;
mod pause;
mod processor;
mod script;
mod sealer;

pub use archives::{archive_name, excess, parse_archive_name, Namer};
pub use budget::Budget;
pub use engine::{run, HEAD};
pub use pattern::matches;
pub use script::{parse, Action, DirSpec, Script};

/// A startup failure: the bytes after `multilog: fatal: `, file names in
/// them exactly as given (the program exits 111).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fatal(pub Vec<u8>);

impl Fatal {
    /// `WHAT: ERR`, WHAT given in pieces.
    fn new(what: &[&[u8]], e: &std::io::Error) -> Fatal {
        Fatal([&what.concat()[..], b": ", strerr::errstr(e).as_bytes()].concat())
    }
}

/// Sets the umask daemontools' multilog starts with (022).
pub fn set_umask() {
    unix::fs::umask(0o022);
}
