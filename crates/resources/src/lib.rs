//! What services are doing and what they use, read from their service
//! directories, /proc and cgroup v2: the one place that reads them for
//! `tend status`, `tend top` and `tend watch`.
//!
//! - [`services`] (tree): the services to show, from service directories or
//!   a scan directory (`$SVDIR`, `/etc/service`), each with its `log`;
//! - [`ServiceState`] (state): the supervisor's record, from tend's, runit's
//!   or daemontools' `supervise/status`, as a [`Phase`] (up, down, finish,
//!   paused, wants up, crash-loop, unsupervised), pid, since, restarts, last
//!   exit, ready; what an older record does not hold is None;
//! - [`Usage`] (usage): CPU, memory, processes, I/O, descriptors and OOM
//!   kills of one service at one instant, with its processes ([`Proc`]):
//!   from the cgroup tend's supervise made for it ([`Source::Cgroup`],
//!   exact) or from the main pid's process tree ([`Source::ProcessTree`],
//!   an estimate); [`ProcTable`] reads /proc once for any number of services
//!   and [`ProcTable::refresh`] again for the next sample;
//!   [`ProcTable::read_for`] and [`ProcTable::refresh_for`] read only the
//!   processes of the services named when each has its cgroup (all of
//!   /proc otherwise: a process tree is found only so), and with
//!   [`Detail::Totals`] (no process list) no table of processes at all;
//! - [`cpu_percent`] and [`busiest`] (rate): between two samples;
//! - [`log`]: where a service's logger writes, and the last lines of its log;
//! - [`human`]: durations (`3d 4h`) and sizes (`12.3M`) written one way;
//! - [`machine`]: the machine's load average, shown beside its services.
//!
//! Exact and estimated figures. From a cgroup, CPU time (`cpu.stat`) counts
//! every process the service ever ran, and membership (`cgroup.procs`) is
//! exact; memory (`memory.current`, which counts page cache too), its peak
//! (`memory.peak`), I/O (`io.stat`) and OOM kills (`memory.events`) are
//! exact where those controllers are enabled, and otherwise summed over
//! the member processes. From a process tree (no cgroup: daemontools',
//! runit's, or a tend without cgroup v2), the figures are sums over the
//! main process and its descendants now: a process that left the tree
//! (daemonised away) is missed, the CPU time of exited children counts only
//! once their parent in the tree has waited for them (its cutime/cstime),
//! and the peak is the largest single process's (VmHWM). No OOM kills.
//!
//! Races and refusals: a process that ends while it is read is left out,
//! never an error; a file that cannot be read (EACCES under hidepid) makes
//! its figure None with a [`Note`] saying why, never 0; a cgroup removed
//! underneath falls back to the process tree; garbage in a file is None.
//!
//! ```no_run
//! use resources::{cpu_percent, human, services, ProcTable, ServiceState};
//! let mut table = ProcTable::read();
//! for service in services(&[b"/etc/service"]) {
//!     let state = ServiceState::read(&service.path);
//!     let before = table.usage(&service.path, state.main_pid());
//!     std::thread::sleep(std::time::Duration::from_millis(100));
//!     table.refresh(); // the next sample: /proc read again, cgroups remembered
//!     let after = table.usage(&service.path, state.main_pid());
//!     println!(
//!         "{} {} {}% {}",
//!         String::from_utf8_lossy(&service.name),
//!         state.phase.word(),
//!         cpu_percent(&before, &after).map_or("-".into(), human::percent),
//!         human::bytes(after.rss),
//!     );
//! }
//! ```

#![forbid(unsafe_code)]

mod files;
pub mod human;
pub mod log;
pub mod machine;
mod parse;
mod procfs;
mod rate;
mod state;
mod tree;
mod usage;

pub use parse::Stat;
pub use rate::{busiest, cpu_percent, process_percents};
pub use state::{Phase, ServiceState, Since, Writer, CRASH_LOOP_WINDOW};
pub use tree::{services, ServiceEntry, DEFAULT_SCAN_DIR};
pub use usage::{usage, Detail, Note, Proc, ProcTable, Source, Usage, CMDLINE_MAX};
