//! tend exporter's core: what services and the clock look like to
//! Prometheus, served over a small HTTP/1.1 listener.
//!
//! - [`http`]: a request's head parsed from bytes (bounded size and header
//!   count; GET and HEAD only; a path, never a file) and a response's head;
//! - [`collect`]: one collection ([`Snapshot`]) of the services of the
//!   trees named, their records and usage from one pass over /proc
//!   ([`Collector`], which keeps its process table and storage between
//!   collections);
//! - [`metrics`]: the snapshot as metric families (`tend_service_*`,
//!   `tend_clock_backward_steps_total`, `tend_exporter_*`) through
//!   `emit::prometheus`, as text format or OpenMetrics;
//! - [`clock`]: `tend clock`'s check cached (run in the background, at
//!   most once a minute and only when scraped) and the wall clock's
//!   backward steps;
//! - [`answer`]: what a path answers: `/metrics`, and the other paths
//!   through [`Pages`] (where the status page plugs in);
//! - [`pages`]: the status page plugged in ([`StatusPages`]): `/` and
//!   `/log/NAME` from the snapshot, HTML by the `statuspage` crate;
//! - [`server`]: one poll loop over the listeners and the connections, with
//!   a limit on connections and on each connection's time, and the textfile
//!   written on its interval.
//!
//! ```no_run
//! use exporter::{serve, ClockCache, Collector, Exporter, Limits, NoPages};
//! let listener = std::net::TcpListener::bind("127.0.0.1:9725").unwrap();
//! let mut e = Exporter::new(Collector::new(vec![b"/etc/service".to_vec()]), ClockCache::new(None), NoPages);
//! let error = serve(&[listener], &mut e, None, Limits::default());
//! eprintln!("{error}");
//! ```

#![forbid(unsafe_code)]

pub mod answer;
pub mod clock;
pub mod collect;
pub mod http;
pub mod metrics;
pub mod pages;
pub mod server;

pub use answer::{Exporter, NoPages, Pages, Response, View, FRESH};
pub use clock::{ClockCache, Steps, CLOCK_EVERY};
pub use collect::{Collector, Service, Snapshot};
pub use pages::StatusPages;
pub use server::{serve, Limits, Textfile};
