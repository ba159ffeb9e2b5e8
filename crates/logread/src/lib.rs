//! Reading log directories written by multilog (tend's or daemontools'),
//! s6-log and svlogd: `tend log`'s core.
//!
//! A directory's files ([`dir::list`]: archives by name, then `current`),
//! the stamp of a line ([`stamp::split`]: TAI64N, svlogd's UTC stamps), one
//! directory's lines within a time range ([`History`]: archives skipped by
//! name, a binary search inside the first file read, [`reader::seek`]),
//! the last lines ([`tail::last`], read from the end), several directories
//! interleaved by time with steps back marked ([`merge::merge`]), printing
//! ([`Printer`]: local time, UTC, ISO 8601, raw, JSON), `--since` times
//! ([`when::parse`]), and following `current` across rotations
//! ([`Follower`]).
//!
//! ```
//! let (label, message) = logread::stamp::split(b"@4000000037c219bf2ef02e94 started");
//! assert_eq!(label.map(|l| l.unix_secs()), Some(935467445));
//! assert_eq!(message, b"started");
//! ```

pub mod civil;
pub mod dir;
pub mod follow;
pub mod history;
pub mod merge;
pub mod print;
pub mod reader;
pub mod show;
pub mod stamp;
pub mod tail;
pub mod when;

pub use dir::{list, LogDir, Unusable};
pub use follow::Follower;
pub use history::{Failed, History, Range};
pub use merge::{merge, Item};
pub use print::Printer;
pub use reader::Line;
pub use show::{TimeFormat, Zone};
