//! The process state a C program starts with, which the Rust runtime changes
//! before `main` and daemontools' children must inherit unchanged.
//!
//! The Rust runtime opens `/dev/null` on every one of descriptors 0, 1 and 2
//! that is closed, and it ignores SIGPIPE (which `tend`'s `main` then resets
//! to the default). daemontools' programs (C) change neither: with stdout
//! closed their child inherits a closed stdout and their first `open` gets
//! descriptor 1; with SIGPIPE ignored (`trap '' PIPE`) their child ignores it
//! too. A constructor, run by the C library before the Rust runtime, notes
//! that state, and [`restore`] puts it back.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::sys;

/// Bits 0-2: descriptor 0, 1 or 2 was closed. Bit 3: SIGPIPE was ignored.
static AT_START: AtomicU8 = AtomicU8::new(0);
const SIGPIPE_IGNORED: u8 = 1 << 3;

extern "C" fn note_start_state() {
    let closed = (0..3).filter(|&fd| !sys::is_open(fd)).fold(0u8, |mask, fd| mask | 1 << fd);
    let sigpipe = if sys::sigpipe_ignored() { SIGPIPE_IGNORED } else { 0 };
    AT_START.store(closed | sigpipe, Ordering::Relaxed);
}

/// Run by the C library's start-up code before `main`, so before the Rust runtime.
#[used]
#[link_section = ".init_array"]
static NOTE_START_STATE: extern "C" fn() = note_start_state;

/// Whether SIGPIPE was ignored when the process started (the Rust runtime
/// ignores it anyway, so asking the kernel later cannot tell).
pub fn sigpipe_was_ignored() -> bool {
    AT_START.load(Ordering::Relaxed) & SIGPIPE_IGNORED != 0
}

/// Closes again those of descriptors 0, 1 and 2 that were closed when the
/// process started (the Rust runtime's `/dev/null` copies) and ignores
/// SIGPIPE again if it was ignored, so that the program and its child see
/// what they would under a C program. Call it first thing in `main`, before
/// anything opens a file.
pub fn restore() {
    let state = AT_START.load(Ordering::Relaxed);
    for fd in (0..3).filter(|fd| state & 1 << fd != 0) {
        // Closing a descriptor the runtime just opened cannot fail; were it
        // to, /dev/null left in place is the runtime's default anyway.
        let _ = sys::close(fd);
    }
    if state & SIGPIPE_IGNORED != 0 {
        signals::ignore(libc::SIGPIPE);
    }
}
