//! djb's pause-and-retry, and the signals that end a pause.
//!
//! A disk error after input has started is reported as `multilog: warning:
//! WHAT, pausing: ERR`, then the same operation is retried 5 seconds later
//! (on the monotonic clock). Nothing accepted is dropped; writers block once
//! the pipe fills. Unlike daemontools, a pause still answers SIGTERM: one
//! last attempt, and if it fails too, multilog exits 111 saying how many
//! bytes it could not write (what it did not consume stays in the pipe for
//! the next logger).
//!
//! SIGTERM and SIGALRM are blocked and read from one signalfd, by the input
//! loop while it waits for input and by the input thread while it pauses;
//! a signal read during a pause is remembered here for the input loop. The
//! sealer thread does not read signals: the input thread wakes it when
//! SIGTERM comes.

use std::io;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::OnceLock;
use std::thread::Thread;
use std::time::Duration;

use unix::signals::SignalFd;

/// How long to wait before retrying.
pub const PAUSE: Duration = Duration::from_secs(5);

static SIGNALS: OnceLock<SignalFd> = OnceLock::new();
static TERM: AtomicBool = AtomicBool::new(false);
static ALRM: AtomicBool = AtomicBool::new(false);
/// The thread woken when SIGTERM comes (the sealer).
static WAKE: OnceLock<Thread> = OnceLock::new();
/// Bytes of the batch in progress still in stdin: written to every log
/// directory only once it is consumed, so a logger that gives up leaves
/// them for the next one.
static IN_PIPE: AtomicUsize = AtomicUsize::new(0);

/// Blocks SIGTERM and SIGALRM for this thread and those it starts later, and
/// reads them from now on (call once, before starting any thread).
pub fn block_signals() -> io::Result<()> {
    let fd = SignalFd::block(&[libc::SIGTERM, libc::SIGALRM])?;
    let _ = SIGNALS.set(fd);
    Ok(())
}

/// The signalfd, for the input loop's poll.
pub fn signal_fd() -> i32 {
    SIGNALS.get().map_or(-1, |s| s.as_raw_fd())
}

/// (SIGTERM came, SIGALRM came since the last call), as read so far;
/// SIGTERM stays remembered.
pub fn signals_seen() -> (bool, bool) {
    (TERM.load(Relaxed), ALRM.load(Relaxed) && ALRM.swap(false, Relaxed))
}

/// Reads the pending signals into what [`signals_seen`] reports.
pub fn read_signals() {
    let Some(fd) = SIGNALS.get() else { return };
    while let Some(signal) = fd.next() {
        match signal {
            libc::SIGTERM => {
                TERM.store(true, Relaxed);
                if let Some(t) = WAKE.get() {
                    t.unpark();
                }
            }
            libc::SIGALRM => ALRM.store(true, Relaxed),
            _ => {}
        }
    }
}

/// Whether SIGTERM came.
pub fn stopping() -> bool {
    TERM.load(Relaxed)
}

/// Names the thread that pauses without reading signals (woken on SIGTERM).
pub fn wake_on_term(thread: Thread) {
    let _ = WAKE.set(thread);
}

/// The batch in progress leaves `n` bytes in stdin until it is written
/// everywhere (0 once it is consumed).
pub fn in_pipe(n: usize) {
    IN_PIPE.store(n, Relaxed);
}

/// Runs `op` until it succeeds, warning with `what` and pausing after each
/// failure; after SIGTERM, one failure more ends the program (exit 111).
/// `what` comes in pieces, file names among them byte for byte.
pub fn retry<T>(mut op: impl FnMut() -> io::Result<T>, what: &[&[u8]]) -> T {
    loop {
        match op() {
            Ok(v) => return v,
            Err(e) => pause_or_give_up(what, &e),
        }
    }
}

/// After a failure: exits if SIGTERM came already, else warns and waits
/// [`PAUSE`] or until SIGTERM (the caller then makes its last attempt).
pub fn pause_or_give_up(what: &[&[u8]], e: &io::Error) {
    if stopping() {
        give_up(what, e);
    }
    strerr::write_stderr(&pausing_line(what, e));
    wait(PAUSE);
}

/// Says how many bytes are left unwritten, and exits 111.
pub fn give_up(what: &[&[u8]], e: &io::Error) -> ! {
    strerr::write_stderr(&giving_up_line(what, e, IN_PIPE.load(Relaxed)));
    std::process::exit(i32::from(strerr::EXIT_SYSTEM))
}

/// `multilog: warning: WHAT, pausing: ERR`
fn pausing_line(what: &[&[u8]], e: &io::Error) -> Vec<u8> {
    strerr::warning_line(&[what, &[b", pausing: ", strerr::errstr(e).as_bytes()]].concat())
}

/// `multilog: fatal: WHAT: ERR; giving up: N bytes not written stay in the pipe`
fn giving_up_line(what: &[&[u8]], e: &io::Error, unwritten: usize) -> Vec<u8> {
    let reason = strerr::errstr(e);
    let unwritten = unwritten.to_string();
    let tail: [&[u8]; 5] =
        [b": ", reason.as_bytes(), b"; giving up: ", unwritten.as_bytes(), b" bytes not written stay in the pipe"];
    strerr::fatal_line(&[what, &tail].concat())
}

/// Waits `d` on the monotonic clock, or less if SIGTERM comes.
pub fn wait(d: Duration) {
    let monotonic = || unix::time::clock_gettime(libc::CLOCK_MONOTONIC);
    let deadline = monotonic().saturating_add(d);
    while !stopping() {
        let left = deadline.saturating_sub(monotonic());
        if left.is_zero() {
            return;
        }
        if std::thread::current().id() == main_thread() {
            if unix::poll::poll_readable(&[signal_fd()], Some(left)).is_ok_and(|r| r[0]) {
                read_signals();
            }
        } else {
            std::thread::park_timeout(left);
        }
    }
}

fn main_thread() -> std::thread::ThreadId {
    static MAIN: OnceLock<std::thread::ThreadId> = OnceLock::new();
    *MAIN.get_or_init(|| std::thread::current().id())
}

/// Remembers the calling thread as the one reading signals.
pub fn this_thread_reads_signals() {
    main_thread();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_that_is_not_utf8_is_printed_byte_for_byte() {
        strerr::set_program("multilog");
        let name: &[u8] = b"./l\xffg\xc3";
        let e = io::Error::from_raw_os_error(libc::ENOSPC);
        assert_eq!(
            pausing_line(&[b"unable to write to ", name, b"/current"], &e),
            b"multilog: warning: unable to write to ./l\xffg\xc3/current, pausing: out of disk space\n"
        );
        assert_eq!(
            giving_up_line(&[b"unable to write to ", name, b"/current"], &e, 42),
            &b"multilog: fatal: unable to write to ./l\xffg\xc3/current: out of disk space; \
               giving up: 42 bytes not written stay in the pipe\n"[..]
        );
    }
}
