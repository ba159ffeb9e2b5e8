//! Time as tend's programs see it: TAI64N labels and the [`Clock`].
//!
//! A [`Label`] is what daemontools 0.76 writes: seconds = unix + 2^62 + 10 (no
//! leap-second table), nanoseconds = microseconds × 1000 + 500, printed as `@`
//! and 24 lowercase hex digits. [`Label::unpack`] / [`Label::pack`] read and
//! write the 12-byte binary form used in `supervise/status`.
//! [`LocalFormatter`] turns a label into `YYYY-MM-DD HH:MM:SS.NNNNNNNNN` in the
//! local time zone (TZ honoured, through the C library like daemontools).
//!
//! [`Clock`] is the one way the cores read time: monotonic for every duration
//! and deadline, wall only for labels and stamps people read. [`TestClock`]
//! lets unit tests run hours of simulated time and step the wall clock.
//!
//! ```
//! use tai64::Label;
//! let l = Label::from_unix(935467445, 787492);
//! assert_eq!(&l.to_hex(), b"@4000000037c219bf2ef02e94");
//! assert_eq!(Label::parse_hex(&l.to_hex()[1..]), Some(l));
//! ```

mod clock;
mod label;
mod local;

pub use clock::{Clock, SystemClock, TestClock};
pub use label::{Label, UNIX_OFFSET};
pub use local::{convert_line, LocalFormatter};
