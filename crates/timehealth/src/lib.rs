//! The health of this machine's timekeeping: the kernel's clock discipline,
//! the NTP daemon and its servers, the clocksource, the hypervisor under it
//! and the CPU time it steals. Probes (adjtimex, SNTP, sysfs, kernel log,
//! /proc/stat) and the analysers behind `tend clock` and `clockwatch`; the
//! report as text ([`text`]), JSON ([`json`]) and Prometheus metrics
//! ([`prometheus`]), the last two through the `emit` writers.
//!
//! The cores are pure and take their inputs as values: [`ntp`] (the packet and
//! the reply checks of an SNTP client), [`peers`] (`ntpq -p`, `chronyc`
//! output), [`daemon`] (chrony, ntpd and timesyncd configurations),
//! [`clocksource`] (kernel log lines), [`hypervisor`], [`steal`], [`report`]
//! (findings and the verdict) and [`watch`] (clockwatch's events, driven by a
//! [`tai64::Clock`]). The probes are thin: [`sntp`] (one UDP exchange,
//! bounded), [`probe`] (files, adjtimex, chronyc/ntpq) and the runner of
//! [`watch`]. Nothing here changes the clock or any kernel setting: adjtimex
//! is only called with `modes = 0`.
//!
//! ```
//! use timehealth::ntp::{check_reply, Packet, Timestamp};
//! let sent = Timestamp(100 << 32);
//! let mut reply = Packet { version: 4, mode: 4, stratum: 2, origin: sent, ..Packet::default() };
//! reply.receive = Timestamp(400 << 32);
//! reply.transmit = Timestamp(400 << 32);
//! let s = check_reply(&reply, sent, Timestamp(100 << 32)).unwrap();
//! assert_eq!(s.offset, 300.0);
//! ```

pub mod audit;
pub mod clocksource;
pub mod daemon;
mod files;
mod gather;
pub mod hypervisor;
pub mod json;
pub mod kernel;
pub mod ntp;
pub mod peers;
pub mod probe;
pub mod prometheus;
pub mod report;
pub mod sntp;
pub mod steal;
pub mod text;
pub mod watch;

pub use probe::{check, CheckOptions, Paths, Sections};
pub use report::{Level, Report, Thresholds};
