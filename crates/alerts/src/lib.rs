//! tend watch's core: the alert thresholds of services ([`threshold`]: the
//! `cpu-alert`, `memory-alert` and `crash-alert` files and tree-wide
//! defaults), one service's alerts over its samples ([`tracker`]: pure,
//! driven by monotonic time given as an argument), the events and their
//! one-line text ([`event`]), and the tree-wide hook run for each event
//! ([`hook`]).
//!
//! ```
//! use std::time::Duration;
//! use alerts::{Sample, Thresholds, Tracker, What};
//! let mut t = Tracker::default();
//! let hot = Sample { up: true, wants_up: true, pid: 42, cpu_percent: Some(100.0), ..Sample::default() };
//! let limits = Thresholds::default(); // 90% for 5 minutes
//! assert!(t.observe(Duration::from_secs(0), &hot, &limits).is_empty());
//! assert!(t.observe(Duration::from_secs(290), &hot, &limits).is_empty());
//! assert!(matches!(t.observe(Duration::from_secs(300), &hot, &limits)[..], [What::Runaway { .. }]));
//! ```

pub mod event;
pub mod files;
pub mod hook;
pub mod run;
mod sample;
pub mod threshold;
pub mod tracker;

pub use event::{Alert, Busiest, Event, What, TREE};
pub use files::ThresholdFiles;
pub use hook::Hooks;
pub use threshold::{BadThreshold, CpuAlert, CrashAlert, MemoryAlert, Thresholds};
pub use tracker::{Sample, Tracker};
