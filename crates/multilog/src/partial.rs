//! The unfinished last line, kept on disk while its bytes leave stdin.
//!
//! Input leaves stdin only once it is written (see [`crate::input`]), but a
//! read may end in the middle of a line, and a line may be longer than the
//! pipe holds: its first bytes must leave stdin before its newline comes.
//! They are moved (splice) into `partial` in the first log directory, so
//! every byte is at every moment either in stdin or in that file. A logger
//! killed mid-line leaves both; its successor reads `partial` first and
//! logs the line whole. `partial` holds at most [`MAX`] bytes; the rest of
//! a longer line leaves stdin unsaved, and `partial` is marked u+x first, so
//! that a successor knows that its first line continues one it cannot
//! rebuild, and marks it as cut.
//!
//! Once a line's newline has moved into `partial` the line is whole in the
//! log, and `partial` is emptied; a `partial` ending with a newline found at
//! start is such a leftover. A clean exit removes the file.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::input::Input;
use crate::pause::retry;
use crate::Fatal;

/// Marks a line's piece as cut: appended to a piece whose end is missing,
/// put in front of a piece whose start is missing (after the label).
pub const MARK: &[u8] = b"[multilog: cut]";

/// The longest unfinished line kept whole across a SIGKILL.
pub const MAX: u64 = 1 << 20;

/// What a previous logger left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// Input starts at a line.
    Clean,
    /// Input continues a line whose first `n` bytes are in `partial`.
    Line(u64),
    /// Input continues a line longer than [`MAX`]: its first line is cut.
    Cut,
}

/// `partial`, open.
pub struct Partial {
    file: File,
    path: PathBuf,
    /// `DIR/partial`, DIR as the script spells it, for messages.
    name: Vec<u8>,
    len: u64,
    /// Bytes past [`MAX`] left stdin unsaved (the file is u+x).
    overflowed: bool,
}

impl Partial {
    /// Opens `dir/partial` (created 0644) and says what it holds.
    pub fn open(dir: &Path) -> Result<(Partial, Resume), Fatal> {
        let path = dir.join("partial");
        let name = [dir.as_os_str().as_bytes(), b"/partial"].concat();
        let fatal = |e: io::Error| Fatal::new(&[b"unable to open ", &name], &e);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .open(&path)
            .map_err(fatal)?;
        let meta = file.metadata().map_err(fatal)?;
        let mut last = [0u8];
        let ends_line = meta.len() == 0 || (file.read_exact_at(&mut last, meta.len() - 1).is_ok() && last[0] == b'\n');
        let mut p = Partial { file, path, name, len: meta.len(), overflowed: meta.mode() & 0o100 != 0 };
        let resume = match (ends_line, p.overflowed) {
            (true, _) => {
                p.clear();
                Resume::Clean
            }
            (false, true) => Resume::Cut,
            (false, false) => Resume::Line(p.len),
        };
        Ok((p, resume))
    }

    /// Reads the kept bytes at `offset` (for [`Resume::Line`]).
    pub fn read_at(&self, buf: &mut [u8], offset: u64) -> usize {
        retry(|| self.file.read_at(buf, offset), &[b"unable to read ", &self.name])
    }

    /// Consumes `taken`, the bytes at the start of stdin, all of them written
    /// to the log: whole lines go, the unfinished line's bytes move here.
    pub fn consume(&mut self, input: &mut Input, taken: &[u8]) {
        let mut rest = taken;
        if self.len > 0 || self.overflowed {
            let Some(i) = unix::bytes::memchr(b'\n', rest) else { return self.keep(input, rest.len()) };
            // The line ends: its last bytes, its newline last, move here; then
            // it is whole in the log and the file is emptied.
            self.keep(input, i);
            self.save(input, 1);
            self.clear();
            rest = &rest[i + 1..];
        }
        let whole = unix::bytes::memrchr(b'\n', rest).map_or(0, |i| i + 1);
        input.consume(whole);
        self.keep(input, rest.len() - whole);
    }

    /// Moves the next `n` bytes of stdin here, or past [`MAX`] (after marking
    /// the file u+x) to /dev/null.
    fn keep(&mut self, input: &mut Input, n: usize) {
        if n == 0 {
            return;
        }
        if !self.overflowed && self.len + n as u64 > MAX {
            self.set_mode(0o744);
            self.overflowed = true;
        }
        if self.overflowed {
            return input.consume(n);
        }
        self.save(input, n);
    }

    /// Moves the next `n` bytes of stdin here.
    fn save(&mut self, input: &mut Input, n: usize) {
        let start = self.len;
        retry(
            || {
                let done = (self.len - start) as usize;
                input.move_into(&self.file, &mut self.len, n - done)
            },
            &[b"unable to write to ", &self.name],
        );
    }

    fn clear(&mut self) {
        retry(|| self.file.set_len(0), &[b"unable to truncate ", &self.name]);
        if self.overflowed {
            self.set_mode(0o644);
        }
        self.len = 0;
        self.overflowed = false;
    }

    fn set_mode(&self, mode: u32) {
        retry(|| self.file.set_permissions(fs::Permissions::from_mode(mode)), &[b"unable to set mode of ", &self.name]);
    }

    /// At a clean exit, with no line unfinished: the file goes.
    pub fn remove(self) {
        let _ = fs::remove_file(&self.path);
    }
}
