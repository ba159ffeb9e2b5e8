//! svscan: one `supervise` per service directory, log pipes, rescans on
//! change, orderly shutdown.
//!
//! [`Table`] is the core: it knows every service directory by (device,
//! inode), and turns directory listings, child exits and the monotonic time
//! into [`Action`]s (start a supervise, stop a service, close a log pipe,
//! escalate a shutdown that outlasts the stop budget, look again at the
//! lock of a supervise that an earlier svscan left running and this one
//! adopted). [`run`] is the thin daemon around it: a signalfd and an inotify watch
//! polled with no timeout unless the table has a deadline, so an idle tree
//! wakes svscan zero times. Warnings that every scan or retry would repeat
//! (a dangling symlink, a service out of descriptors) are printed once:
//! `standing` and `failures`. In console mode (`TEND_CONSOLE=1`) the loop
//! also copies every service's lines to standard output, prefixed with the
//! service's name, without ever blocking on it: `console` and `stdout`.
//!
//! ```
//! use std::time::Duration;
//! use svscan::{Action, Found, Role, Table};
//!
//! let mut table = Table::new();
//! let found = vec![Found { name: "web".into(), key: (1, 42), log: Some(true) }];
//! let actions = table.scan(found, Duration::ZERO);
//! assert!(matches!(actions[0], Action::Spawn { role: Role::Main, logged: true, .. }));
//! assert!(matches!(actions[1], Action::Spawn { role: Role::Log, .. }));
//! ```

mod budget;
mod console;
mod daemon;
mod failures;
mod listing;
mod standing;
mod stdout;
mod table;

pub use budget::{budget_from_env, seconds, BUDGET_VAR};
pub use daemon::{run, Error, POLL, SETTLE};
pub use table::{
    Action, Found, Key, Role, Table, ADOPTED_PROBE, ADOPTED_RECHECK, GRACE, MAX_SERVICES, RESTART_GAP, STOP_BUDGET,
};
