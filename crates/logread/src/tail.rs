//! The last lines of a log directory that a filter keeps, read from the end
//! of `current` and then of the archives, newest first: `tend log -n N`
//! reads what it shows and little more.

use std::fs::File;
use std::io;

use crate::dir::Listing;
use crate::history::{Failed, Range};
use crate::reader::{self, Line};

/// `current` and the offset past its last whole line read.
pub type Followed = (File, u64);

/// Up to `n` last lines of `listing` within `range` that `keep` keeps, in
/// file order, and `current` with the offset past its last whole line (to
/// follow it). Reading back stops at the first line before `range.since`.
pub fn last(
    dir: &std::path::Path,
    listing: Listing,
    n: usize,
    range: Range,
    keep: &dyn Fn(&Line) -> bool,
) -> Result<(Vec<Line>, Option<Followed>), Failed> {
    let mut lines = Vec::new();
    let mut followed = None;
    let mut done = n == 0;
    let take = |line: Line, lines: &mut Vec<Line>| {
        if let (Some(since), Some(l)) = (range.since, line.label) {
            if l < since {
                return false;
            }
        }
        let after = matches!((range.until, line.label), (Some(u), Some(l)) if l > u);
        if !after && keep(&line) {
            lines.push(line);
        }
        lines.len() < n
    };
    if let Some((file, len)) = listing.current {
        let path = dir.join("current");
        let mut end = len;
        if !done {
            let mut first = true;
            reader::backwards(&file, len, range.tai, |line| {
                // A last line without its newline is left to the follower.
                if std::mem::take(&mut first) && range.follow && !ends_line(&file, len) {
                    end = len - line.text.len() as u64;
                    return true;
                }
                done = !take(line, &mut lines);
                !done
            })
            .map_err(|error| Failed { path, error })?;
        }
        followed = Some((file, end));
    }
    for archive in listing.archives.iter().rev() {
        if done {
            break;
        }
        let file = match File::open(&archive.path).and_then(|f| reader::size(&f).map(|l| (f, l))) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(Failed { path: archive.path.clone(), error }),
        };
        reader::backwards(&file.0, file.1, range.tai, |line| {
            done = !take(line, &mut lines);
            !done
        })
        .map_err(|error| Failed { path: archive.path.clone(), error })?;
    }
    lines.reverse();
    Ok((lines, followed))
}

/// The last `n` lines of log directory `dir`, in file order: from the end
/// of `current`, then of the archives when `current` holds fewer (right
/// after a rotation). `tend status` shows them.
pub fn last_lines(dir: &std::path::Path, n: usize) -> Result<Vec<Line>, Failed> {
    let listing = crate::dir::list(dir).map_err(|error| Failed { path: dir.to_path_buf(), error })?;
    last(dir, listing, n, Range::default(), &|_| true).map(|(lines, _)| lines)
}

/// Whether the file of `len` bytes ends with a newline (or is empty).
fn ends_line(file: &File, len: u64) -> bool {
    let mut last = [0u8; 1];
    len == 0 || reader::read_at(file, &mut last, len - 1).map_or(true, |n| n == 1 && last == [b'\n'])
}
