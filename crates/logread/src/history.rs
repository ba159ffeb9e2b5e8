//! One log directory's lines in order, from a time on and up to a time:
//! the archives oldest first, then `current` as far as it was when listed.
//! Archives wholly before `since` are skipped by their names (an archive's
//! lines come before the rotation that named it), and the first file read
//! is entered by [`reader::seek`]; reading stops at the first line after
//! `until`.

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use tai64::Label;

use crate::dir::Listing;
use crate::reader::{self, Line, Lines};

/// Which lines to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Range {
    pub since: Option<Label>,
    pub until: Option<Label>,
    /// Labels count leap seconds (s6-log's): see [`Line::new`].
    pub tai: bool,
    /// `current` will be followed: its last line is read only once whole.
    pub follow: bool,
}

/// A file that could not be read, and why.
#[derive(Debug)]
pub struct Failed {
    pub path: PathBuf,
    pub error: io::Error,
}

enum Pending {
    Archive(PathBuf),
    Current(File, u64),
}

/// The lines of one directory, in order.
pub struct History {
    files: VecDeque<Pending>,
    /// The file being read, its path, and whether it is `current`.
    reading: Option<(Lines, PathBuf, bool)>,
    /// Lines are skipped until one is at or after this.
    since: Option<Label>,
    range: Range,
    current: PathBuf,
    /// `current` and the offset past its last whole line read.
    followed: Option<(File, u64)>,
    ended: bool,
}

impl History {
    pub fn new(dir: &Path, listing: Listing, range: Range) -> History {
        let skip = range.since.map_or(0, |s| listing.archives.partition_point(|a| a.label < s));
        let mut files: VecDeque<Pending> =
            listing.archives.into_iter().skip(skip).map(|a| Pending::Archive(a.path)).collect();
        if let Some((f, len)) = listing.current {
            files.push_back(Pending::Current(f, len));
        }
        History {
            files,
            reading: None,
            since: range.since,
            range,
            current: dir.join("current"),
            followed: None,
            ended: false,
        }
    }

    /// `current` and where its reading ended (the offset past its last
    /// whole line), once every line has been taken; None if there was no
    /// `current`.
    pub fn into_followed(self) -> Option<(File, u64)> {
        self.followed
    }

    /// Opens the next file, entered at `since` while no line has reached it.
    fn open_next(&mut self) -> Result<bool, Failed> {
        let Some(next) = self.files.pop_front() else { return Ok(false) };
        let (file, len, path, is_current) = match next {
            Pending::Archive(path) => match File::open(&path).and_then(|f| reader::size(&f).map(|l| (f, l))) {
                Ok((f, len)) => (f, len, path, false),
                // Trimmed by the logger since the listing.
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(true),
                Err(error) => return Err(Failed { path, error }),
            },
            Pending::Current(f, len) => (f, len, self.current.clone(), true),
        };
        let start = match self.since {
            Some(since) => {
                reader::seek(&file, len, since, self.range.tai).map_err(|error| Failed { path: path.clone(), error })?
            }
            None => 0,
        };
        let lines = Lines::new(file, start, Some(len), self.range.tai);
        let lines = if is_current && self.range.follow { lines.whole_only() } else { lines };
        self.reading = Some((lines, path, is_current));
        Ok(true)
    }

    /// The next line, or None at the end.
    pub fn next_line(&mut self) -> Result<Option<Line>, Failed> {
        while !self.ended {
            let Some((lines, path, _)) = &mut self.reading else {
                if !self.open_next()? {
                    self.ended = true;
                }
                continue;
            };
            let line = lines.next_line().map_err(|error| Failed { path: path.clone(), error })?;
            let Some(line) = line else {
                if let Some((lines, _, true)) = self.reading.take() {
                    self.followed = Some(lines.into_parts());
                }
                continue;
            };
            if let Some(since) = self.since {
                match line.label {
                    Some(l) if l >= since => self.since = None,
                    _ => continue,
                }
            }
            if let (Some(until), Some(l)) = (self.range.until, line.label) {
                if l > until {
                    self.ended = true;
                    return Ok(None);
                }
            }
            return Ok(Some(line));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_archive_trimmed_after_the_listing_is_skipped() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        std::fs::write(p.join("@400000006b0000010000000a.s"), "@400000006b0000000000000a old\n").unwrap();
        std::fs::write(p.join("@400000006b0000020000000a.s"), "@400000006b0000010000000a kept\n").unwrap();
        std::fs::write(p.join("current"), "@400000006b0000020000000a now\n").unwrap();
        let listing = crate::dir::list(p).unwrap();
        std::fs::remove_file(p.join("@400000006b0000010000000a.s")).unwrap();
        let mut h = History::new(p, listing, Range::default());
        let mut got = Vec::new();
        while let Some(l) = h.next_line().unwrap() {
            got.push(String::from_utf8(l.message().to_vec()).unwrap());
        }
        assert_eq!(got, ["kept", "now"]);
        assert_eq!(h.into_followed().map(|(_, at)| at), Some(30));
    }
}
