//! Following a log directory's `current` across rotations (`tend log -f`).
//!
//! A logger rotates by renaming `current` to an archive and creating a new
//! `current`. The follower holds `current` open: at each wake-up it reads
//! the file it holds to its end, then looks whether `current` is still that
//! file. If not, it reads the old file to its end once more through the
//! descriptor it holds (what was written before the rename), then any
//! archive made after it that it never held (several rotations between two
//! wake-ups), then opens the new `current` from its start. So no line is
//! lost or shown twice, whatever order the inotify events come in. An
//! archive made from the held file by a processor (`!`) is a new file: the
//! follower shows the unprocessed lines.

use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::dir;
use crate::history::Failed;
use crate::reader::{self, Line, Lines};

/// The events that wake a follower, for `unix::fs::watch`: `current`
/// written (IN_MODIFY is reported on the directory for its files), created
/// or renamed.
pub const EVENTS: u32 = libc::IN_MODIFY | libc::IN_CREATE | libc::IN_MOVED_FROM | libc::IN_MOVED_TO;

/// One directory's `current`, followed.
pub struct Follower {
    dir: PathBuf,
    /// The file held, where its reading is, and its identity (dev, ino).
    held: Option<(File, u64, (u64, u64))>,
    /// Bytes of a line whose newline has not come yet.
    unfinished: Vec<u8>,
    tai: bool,
}

impl Follower {
    /// Follows `dir`, whose `current` was read up to `start` (None: no
    /// `current` yet: it is read from its start when it comes).
    pub fn new(dir: &Path, start: Option<(File, u64)>, tai: bool) -> io::Result<Follower> {
        let held = match start {
            Some((f, offset)) => {
                let id = identity(&f.metadata()?);
                Some((f, offset, id))
            }
            None => None,
        };
        Ok(Follower { dir: dir.to_path_buf(), held, unfinished: Vec::new(), tai })
    }

    /// Reads what was added since the last call, following rotations, and
    /// calls `each` with every whole line.
    pub fn poll(&mut self, each: &mut dyn FnMut(Line)) -> Result<(), Failed> {
        loop {
            self.drain(each)?;
            let path = self.dir.join("current");
            let (new, new_id) = match File::open(&path).and_then(|f| f.metadata().map(|m| (f, identity(&m)))) {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(error) => return Err(Failed { path, error }),
            };
            let old_id = self.held.as_ref().map(|h| h.2);
            if old_id == Some(new_id) {
                return Ok(());
            }
            // Rotated: what was written to the old file before the rename.
            self.drain(each)?;
            if !self.unfinished.is_empty() {
                each(Line::new(std::mem::take(&mut self.unfinished), self.tai));
            }
            if let Some(old) = old_id {
                self.missed(old, new_id, each)?;
            }
            self.held = Some((new, 0, new_id));
        }
    }

    /// Reads the held file from where it is to its end.
    fn drain(&mut self, each: &mut dyn FnMut(Line)) -> Result<(), Failed> {
        let Some((file, offset, _)) = &mut self.held else { return Ok(()) };
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = reader::read_at(file, &mut buf, *offset)
                .map_err(|error| Failed { path: self.dir.join("current"), error })?;
            if n == 0 {
                return Ok(());
            }
            *offset += n as u64;
            let mut got = buf.get(..n).unwrap_or_default();
            while let Some(nl) = got.iter().position(|&b| b == b'\n') {
                self.unfinished.extend_from_slice(got.get(..nl).unwrap_or_default());
                each(Line::new(std::mem::take(&mut self.unfinished), self.tai));
                got = got.get(nl + 1..).unwrap_or_default();
            }
            self.unfinished.extend_from_slice(got);
        }
    }

    /// The archives made after the file `old` (now an archive) and before
    /// the file `new` (now `current`), read whole.
    fn missed(&mut self, old: (u64, u64), new: (u64, u64), each: &mut dyn FnMut(Line)) -> Result<(), Failed> {
        let archives = self.open_archives()?;
        let Some(at) = archives.iter().position(|a| a.1 == old) else { return Ok(()) };
        // A listing made during a rename may name a file twice (`.u` and `.s`).
        let mut read = vec![old, new];
        for (file, id, path) in archives.into_iter().skip(at + 1) {
            if read.contains(&id) {
                continue;
            }
            read.push(id);
            let mut lines = Lines::new(file, 0, None, self.tai);
            while let Some(line) = lines.next_line().map_err(|error| Failed { path: path.clone(), error })? {
                each(line);
            }
        }
        Ok(())
    }

    /// The archives, oldest first, each opened with its identity. The
    /// logger renames archives while it runs (tend's multilog seals `.u`
    /// as `.s`, a trim removes the oldest): an archive gone between the
    /// listing and its opening makes the listing start again, up to
    /// [`LISTINGS`] times; the last listing's archives that could be opened
    /// are used.
    fn open_archives(&self) -> Result<Vec<Opened>, Failed> {
        let mut opened = Vec::new();
        for _ in 0..LISTINGS {
            let listing = dir::list(&self.dir).map_err(|error| Failed { path: self.dir.clone(), error })?;
            opened.clear();
            let mut renamed = false;
            for archive in listing.archives {
                match File::open(&archive.path).and_then(|f| f.metadata().map(|m| (f, identity(&m)))) {
                    Ok((file, id)) => opened.push((file, id, archive.path)),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => renamed = true,
                    Err(error) => return Err(Failed { path: archive.path, error }),
                }
            }
            if !renamed {
                break;
            }
        }
        Ok(opened)
    }
}

/// An archive opened, its identity (dev, ino) and its path.
type Opened = (File, (u64, u64), PathBuf);

/// Listings of the archives tried while the logger renames them.
const LISTINGS: usize = 10;

fn identity(m: &std::fs::Metadata) -> (u64, u64) {
    (m.dev(), m.ino())
}
