//! `tend exporter`'s read-only status page, as HTML text: pure functions of
//! what the caller read (resources' services, states and usage, the clock
//! report, a log's last lines); no I/O but the local-time zone.
//!
//! - [`index`]: the page at `/`: the clock verdict (level and summary, as
//!   `tend clock`'s first line), then every service with its state (word and
//!   colour), time in that state, restarts, last exit, CPU % and memory,
//!   each name linking to its log page;
//! - [`log_name`] and [`log_page`]: `/log/NAME`, the name checked (the
//!   caller finds it among the tree's services, never as a path), its last
//!   [`LOG_LINES`] lines with TAI64N labels as local time;
//! - [`escape`] (escape): the one way text goes into a page, and
//!   [`percent_encode`]/[`percent_decode`] for names in links.
//!
//! Every page is plain HTML with one inline style sheet: no script, no
//! external resource; it reloads itself every [`REFRESH_SECS`] seconds, fits
//! a phone's width (viewport), and says in its footer that it is read-only.
//!
//! ```
//! use resources::ServiceState;
//! let state = ServiceState::read(b"/nonexistent");
//! let row = statuspage::Row { name: b"<b>", state: &state, usage: None, cpu_percent: None };
//! let page = statuspage::index(b"/etc/service", &[row], None, 0);
//! assert!(page.contains("<a href=\"log/%3Cb%3E\">&lt;b&gt;</a>"));
//! assert_eq!(statuspage::log_name(b"%3Cb%3E").as_deref(), Some(&b"<b>"[..]));
//! assert_eq!(statuspage::log_name(b".."), None);
//! ```

#![forbid(unsafe_code)]

mod escape;
mod index;
mod logpage;
mod shell;

pub use escape::{escape, percent_decode, percent_encode};
pub use index::{index, Row};
pub use logpage::{log_name, log_page, Log, LOG_LINES};
pub use shell::REFRESH_SECS;
