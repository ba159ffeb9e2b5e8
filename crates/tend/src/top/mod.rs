//! `tend top`: every service of a tree, its state and resources, refreshed
//! in place. [`sample`] gathers one snapshot (services from the `resources`
//! crate, steal time and the clock verdict from `timehealth`), [`order`]
//! keeps rows steady, [`table`] lays them out as lines, [`screen`] writes
//! only what changed. Two modes: the full-screen view on a terminal (raw
//! keys, SIGWINCH, one poll on stdin and a signalfd with a deadline on the
//! monotonic clock) and batch mode (plain snapshots separated by a blank line).

mod order;
mod sample;
mod screen;

mod table;

use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::time::Duration;

use unix::signals::SignalFd;

use order::SortKey;
use sample::Sampler;
use screen::Frame;
use table::{Header, Row};

/// What `tend top` was asked for.
pub struct Options {
    /// Between refreshes.
    pub delay: Duration,
    /// Plain snapshots instead of the full-screen view.
    pub batch: bool,
    /// Snapshots to print, then exit (None: until killed or `q`).
    pub count: Option<u64>,
    /// Service or scan directories (none: `$SVDIR` or /etc/service).
    pub dirs: Vec<Vec<u8>>,
}

/// The first interval, over which the first frame's CPU % is measured: short,
/// so that the first frame comes at once (or `-d` when that is shorter).
const FIRST: Duration = Duration::from_millis(200);
/// The size assumed when the terminal does not say (or says 0).
const FALLBACK_SIZE: (usize, usize) = (80, 24);

/// Why `tend top` stopped early.
pub enum Error {
    /// The signalfd or the terminal's raw mode could not be set up.
    Terminal(io::Error),
    /// Writing to stdout failed.
    Output(io::Error),
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Output(e)
    }
}

/// Runs `tend top` until `q`, a signal or `-n` snapshots.
pub fn run(o: &Options) -> Result<(), Error> {
    let mut view =
        View { sampler: Sampler::new(&o.dirs), header: Header::default(), rows: Vec::new(), sort: SortKey::Cpu };
    if o.batch {
        batch(o, &mut view)
    } else {
        full_screen(o, &mut view)
    }
}

/// The latest snapshot, in the order shown.
struct View {
    sampler: Sampler,
    header: Header,
    rows: Vec<Row>,
    sort: SortKey,
}

impl View {
    /// Takes a new sample and orders it (strictly the first time).
    fn refresh(&mut self) {
        let previous: Vec<String> = self.rows.iter().map(|r| r.name.clone()).collect();
        let (header, mut rows) = self.sampler.sample();
        order::arrange(&mut rows, &previous, self.sort, previous.is_empty());
        self.header = header;
        self.rows = rows;
    }

    /// Sorts strictly by a newly chosen key.
    fn sort_by(&mut self, key: SortKey) {
        self.sort = key;
        let previous: Vec<String> = self.rows.iter().map(|r| r.name.clone()).collect();
        order::arrange(&mut self.rows, &previous, key, true);
    }

    fn lines(&self, width: Option<usize>, keys: bool) -> Vec<String> {
        table::lines(&self.header, &self.rows, self.sort, width, keys)
    }
}

fn monotonic() -> Duration {
    unix::time::clock_gettime(libc::CLOCK_MONOTONIC)
}

/// `-b`: snapshots as plain lines, a blank line between them.
fn batch(o: &Options, view: &mut View) -> Result<(), Error> {
    let mut out = io::stdout().lock();
    view.sampler.sample();
    std::thread::sleep(FIRST.min(o.delay));
    let mut shown = 0u64;
    loop {
        view.refresh();
        let mut text = view.lines(None, false).join("\n");
        text.push('\n');
        if shown > 0 {
            text.insert(0, '\n');
        }
        out.write_all(text.as_bytes())?;
        out.flush()?;
        shown += 1;
        if o.count.is_some_and(|n| shown >= n) {
            return Ok(());
        }
        std::thread::sleep(o.delay);
    }
}

/// The signals the full-screen view reads from its signalfd.
const SIGNALS: [libc::c_int; 5] = [libc::SIGWINCH, libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGTSTP];

/// The full-screen view, until `q`, Ctrl-C, SIGTERM or SIGHUP, or `-n`
/// frames; the terminal is given back as it was in every case, and while
/// the view is stopped by Ctrl-Z.
fn full_screen(o: &Options, view: &mut View) -> Result<(), Error> {
    let stdin = io::stdin();
    let stdin = stdin.as_fd();
    let signals = SignalFd::block(&SIGNALS).map_err(Error::Terminal)?;
    // A SIGTSTP ignored at start (no job control) stays without effect.
    let may_stop = !unix::signals::take_defaults(&SIGNALS).contains(&libc::SIGTSTP);
    let mut terminal = Terminal { stdin, raw: None, may_stop };
    terminal.raw = terminal.raw_mode().map_err(Error::Terminal)?;
    let mut out = io::stdout().lock();
    out.write_all(screen::ENTER)?;
    out.flush()?;
    let result = frames(o, view, &mut terminal, &signals, &mut out);
    out.write_all(screen::LEAVE)?;
    out.flush()?;
    Ok(result?)
}

/// The terminal's input side: raw while the view is shown.
struct Terminal<'a> {
    stdin: BorrowedFd<'a>,
    raw: Option<unix::tty::RawMode>,
    may_stop: bool,
}

impl Terminal<'_> {
    /// Raw mode on stdin if it is a terminal.
    fn raw_mode(&self) -> io::Result<Option<unix::tty::RawMode>> {
        if unix::system::is_terminal(self.stdin.as_raw_fd()) {
            unix::tty::RawMode::enter(&self.stdin).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Ctrl-Z: gives the terminal back, stops the job (SIGSTOP to the
    /// process group, as the terminal's SIGTSTP would have), and takes the
    /// screen again when continued.
    fn suspend(&mut self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(screen::LEAVE)?;
        out.flush()?;
        self.raw = None;
        unix::process::kill(0, libc::SIGSTOP);
        self.raw = self.raw_mode()?;
        out.write_all(screen::ENTER)?;
        out.flush()
    }
}

/// What ends the wait between two frames.
enum Wake {
    Due,
    Key(u8),
    Resized,
    Suspend,
    Quit,
}

fn frames(
    o: &Options,
    view: &mut View,
    terminal: &mut Terminal,
    signals: &SignalFd,
    out: &mut impl Write,
) -> io::Result<()> {
    let size = || match unix::tty::window_size(&io::stdout()) {
        Ok((w, h)) if w > 0 && h > 0 => (w.into(), h.into()),
        _ => FALLBACK_SIZE,
    };
    let mut keys_open = true;
    let mut shown: Option<Frame> = None;
    let mut frames = 0u64;
    view.sampler.sample();
    let mut deadline = monotonic() + FIRST.min(o.delay);
    loop {
        let redraw = match wait(terminal.stdin, &mut keys_open, signals, deadline) {
            Wake::Quit | Wake::Key(b'q') => return Ok(()),
            Wake::Key(k) => match SortKey::from_key(k) {
                Some(key) => {
                    view.sort_by(key);
                    frames > 0
                }
                None => false,
            },
            Wake::Suspend if !terminal.may_stop => false,
            Wake::Suspend => {
                terminal.suspend(out)?;
                shown = None;
                frames > 0
            }
            Wake::Resized => {
                shown = None;
                frames > 0
            }
            Wake::Due => {
                view.refresh();
                deadline = monotonic() + o.delay;
                frames += 1;
                true
            }
        };
        if redraw {
            let (width, height) = size();
            let next = Frame::new(width, height, view.lines(Some(width), true));
            let mut bytes = Vec::new();
            screen::update(shown.as_ref(), &next, &mut bytes);
            out.write_all(&bytes)?;
            out.flush()?;
            shown = Some(next);
        }
        if o.count.is_some_and(|n| frames >= n) {
            return Ok(());
        }
    }
}

/// Waits for a key, a signal or the deadline (on the monotonic clock).
/// Stops reading stdin at its end (`keys_open` false).
fn wait(stdin: BorrowedFd, keys_open: &mut bool, signals: &SignalFd, deadline: Duration) -> Wake {
    loop {
        match signals.next() {
            Some(libc::SIGWINCH) => return Wake::Resized,
            Some(libc::SIGTSTP) => return Wake::Suspend,
            Some(_) => return Wake::Quit,
            None => {}
        }
        let now = monotonic();
        if now >= deadline {
            return Wake::Due;
        }
        let mut fds = [
            unix::poll::pollfd(if *keys_open { stdin.as_raw_fd() } else { -1 }),
            unix::poll::pollfd(signals.as_raw_fd()),
        ];
        if unix::poll::poll(&mut fds, Some(deadline - now)).is_err() {
            return Wake::Quit;
        }
        if fds.first().is_some_and(|p| p.revents != 0) {
            let mut key = [0u8; 1];
            match unix::fd::read(stdin.as_raw_fd(), &mut key) {
                Ok(1) => return Wake::Key(key[0]),
                _ => *keys_open = false,
            }
        }
    }
}
