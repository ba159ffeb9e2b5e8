//! Supervision of one service: the state machine and the runner around it.
//!
//! [`Machine`] is the core: `step(now, event) -> actions`, one match over
//! (phase, event), every timer a deadline on the monotonic clock, no I/O, so
//! unit tests drive it through hours of simulated time with
//! [`tai64::TestClock`]. [`Config`] reads the optional service-directory files
//! (`finish`, `timeout-finish`, `timeout-kill`, `down-signal`,
//! `notification-fd`, `backoff-max`, `essential`, `check`, `notify-socket`,
//! `watchdog`, `memory-max`, `notify`, ...); `check.rs` keeps the health
//! check's timers and counts, `timed.rs` a child's time limit (the check's,
//! the hook's), `limits.rs` the cgroup limits, `listen.rs` the socket held
//! for the service (`socket`), `hook.rs` the `notify` hook's
//! queue, `notify.rs` the sd_notify socket. [`supervise`] is the thin runner: one
//! poll loop over a signalfd, the control FIFO, the readiness pipe, the
//! sd_notify socket and a
//! timerfd that reports wall-clock steps; it performs the machine's actions.
//!
//! ```
//! use std::time::Duration;
//! use supervise::{Action, Config, Event, Machine, Now};
//! use tai64::TestClock;
//! let clock = TestClock::new(Duration::from_secs(1_700_000_000));
//! let mut m = Machine::new(Now::read(&clock), true, Config::default());
//! let actions = m.step(Now::read(&clock), Event::Boot);
//! assert_eq!(actions.last(), Some(Action::Spawn));
//! ```

mod check;
mod config;
mod deps;
mod group;
mod hook;
mod limits;
mod listen;
mod machine;
mod notify;
mod ownership;
mod runner;
mod timed;

pub use config::{is_setting, signal_number, Config, Listing, Problem};
pub use limits::{Cap, Limits};
pub use listen::SocketSpec;
pub use machine::{
    Action, Actions, Event, Machine, Now, FINISH_PERMANENT, FORK_RETRY, SWEEP_PATIENCE, UNHEALTHY_KILL_AFTER,
};
pub use runner::{supervise, Fatal};

#[cfg(test)]
mod tests;
