//! The service-directory protocol shared by supervise and its clients.
//!
//! A service directory `S` holds `run` (and optionally `finish`, `down`, ...);
//! its supervisor keeps state in `S/supervise/`: `lock` (flock), the `control`
//! and `ok` FIFOs, `status` (a binary record), and runit's `stat` and `pid`
//! text files. This crate owns those files:
//!
//! - [`Status`]: the status record, pure [`Status::encode`] / [`Status::decode`]
//!   in runit's 20-byte layout (a superset of daemontools' 18 bytes) followed by
//!   tend's [`Extras`], which old readers never see;
//! - [`ServiceDir`]: the directory itself, opened once; every file is reached
//!   through its descriptor;
//! - [`read_status`] (and [`read_status_sized`]) / [`write_status`] / [`RunitFiles`]: the files,
//!   written as `*.new` + rename (or a swap of the two);
//! - [`Command`]: the control letters, and [`send_commands`] for clients;
//! - [`probe_ok`]: liveness through the `ok` FIFO, as daemontools' clients test it;
//! - [`Lock`]: the `flock` that keeps a second supervisor out;
//! - [`wait_for`]: waiting, without polling, until services reach a [`Goal`] (svwait).
//!
//! ```
//! use svstatus::{Extras, RunState, Status, Want};
//! let mut s = Status::default();
//! s.pid = 12963;
//! s.want = Want::Up;
//! s.state = RunState::Run;
//! s.extras = Some(Extras::default());
//! let bytes = s.encode();
//! assert_eq!(&bytes[12..20], &[0xa3, 0x32, 0, 0, 0, b'u', 0, 1]);
//! assert_eq!(Status::decode(&bytes), Ok(s));
//! ```

mod control;
mod deps;
mod dir;
mod files;
mod lock;
mod notify;
mod record;
mod wait;

pub use control::{send_commands, Command, SendError};
pub use deps::{
    cycle_through, lets_dependents_start, names, problems, read_listing, waiting_for, BadName, Listing, ListingError,
    DEPENDENCIES, DEPENDENCIES_MAX,
};
pub use dir::ServiceDir;
pub use files::{
    decimal, probe_ok, read_status, read_status_sized, take_essential_exit, write_essential_exit, write_status,
    ReadError, RunitFiles, WriteError, CONTROL, DECIMAL_LEN, ESSENTIAL_EXIT, LOCK, OK, SCRATCH, STATE_DIR, STATUS,
    STATUS_FILES,
};
pub use lock::Lock;
pub use notify::{NotifyState, NOTIFY, NOTIFY_LEN, STATUS_MAX};
pub use record::{
    Check, CheckPhase, CheckResult, ClockStep, DecodeError, Extras, LastExit, RunState, Status, Want, DAEMONTOOLS_LEN,
    RECORD_LEN, RUNIT_LEN,
};
pub use wait::{look, matters, wait_for, Goal, Seen, WaitError};
