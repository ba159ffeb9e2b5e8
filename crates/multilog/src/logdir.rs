//! One automatically rotated log directory: the daemontools 0.76 protocol
//! (`lock`, `current`, `state`, `@<tai64n>.s`/`.u`, `previous`/`processed`),
//! and what an earlier logger killed mid-work left: a `current` ending in
//! the middle of a line is followed by the cut mark, `.u` files go to the
//! sealer.

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tai64::{Clock, Label};

use crate::archives::{archive_name, trim, Namer};
use crate::budget::Budget;
use crate::partial::MARK;
use crate::pause::{self, retry};
use crate::processor;
use crate::script::DirSpec;
use crate::sealer::{Job, Sealer};
use crate::Fatal;

/// Output is written to `current` once this much is buffered.
const FLUSH_AT: usize = 64 * 1024;
/// The size of 0.76's output buffer per directory. Its flushes decide where
/// files are cut, so it is kept as a model in front of the real buffer.
const CHUNK: usize = 512;

/// A log directory's place on disk and how its archives are named and kept.
struct Place {
    /// The directory as the script spells it (messages name it so).
    path: PathBuf,
    /// Files to keep, counting `current`.
    num: u64,
    namer: Namer,
}

/// An open, locked log directory.
pub struct LogDir {
    place: Place,
    processor: Option<Vec<u8>>,
    _lock: File,
    current: File,
    budget: Budget,
    /// 0.76's 512-byte buffer (see [`CHUNK`]).
    chunk: Vec<u8>,
    /// Bytes cut for `current`, not yet written to it.
    pending: Vec<u8>,
    /// `.u` files found at start, to seal.
    leftovers: Vec<Job>,
}

fn open_append(path: &Path, mode: u32) -> io::Result<File> {
    OpenOptions::new().append(true).create(true).mode(mode).custom_flags(libc::O_NONBLOCK).open(path)
}

fn set_mode(f: &File, mode: u32) -> io::Result<()> {
    f.set_permissions(fs::Permissions::from_mode(mode))
}

impl LogDir {
    /// Creates (if needed), locks and recovers the directory as daemontools'
    /// `restart()` does. Errors are fatal and name the directory.
    pub fn open(spec: &DirSpec, clock: &dyn Clock) -> Result<LogDir, Fatal> {
        let path = spec.path.clone();
        let name = path.as_os_str().as_bytes();
        let _ = fs::DirBuilder::new().mode(0o700).create(&path);
        let dir = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_NONBLOCK)
            .open(&path)
            .map_err(|e| Fatal::new(&[b"unable to open directory ", name], &e))?;
        drop(dir);
        let lock = open_append(&path.join("lock"), 0o600)
            .and_then(|f| unix::fs::flock_exclusive(&f, true).map(|()| f))
            .map_err(|e| Fatal::new(&[b"unable to lock directory ", name], &e))?;
        let mut namer = Namer::default();
        for entry in fs::read_dir(&path).map_err(|e| Fatal::new(&[b"unable to read directory ", name], &e))? {
            let entry = entry.map_err(|e| Fatal::new(&[b"unable to read directory ", name], &e))?;
            namer.saw(entry.file_name().as_bytes());
        }
        let mut place = Place { path, num: spec.num, namer };
        let (current, bytes) = place.recover(clock, spec.processor.is_some())?;
        // With a processor, a `.u` file is also unprocessed: it stays.
        let leftovers = if spec.processor.is_none() { place.leftovers()? } else { Vec::new() };
        Ok(LogDir {
            place,
            processor: spec.processor.clone(),
            _lock: lock,
            current,
            budget: Budget { bytes, size: spec.size },
            chunk: Vec::with_capacity(CHUNK),
            pending: Vec::new(),
            leftovers,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.place.path
    }

    /// The `.u` files found at start (once).
    pub fn take_leftovers(&mut self) -> Vec<Job> {
        std::mem::take(&mut self.leftovers)
    }

    /// Bytes in `current`, those in the real output buffer included.
    pub fn bytes(&self) -> u64 {
        self.budget.bytes
    }

    /// Puts the head of a line (its first bytes, label included, up to
    /// [`crate::HEAD`]) as 0.76 does with one `substdio_put`: into the
    /// 512-byte buffer if it fits; else the buffer is written first, and a
    /// head longer than the buffer is written directly.
    pub fn put_head(&mut self, head: &[u8], clock: &dyn Clock, sealer: &Sealer) {
        if head.len() > CHUNK - self.chunk.len() {
            self.sync(clock, sealer);
            if head.len() > CHUNK {
                return self.write_cut(head, clock, sealer);
            }
        }
        self.chunk.extend_from_slice(head);
    }

    /// Puts bytes one at a time, as 0.76 puts the rest of a long line and
    /// the newline: the buffer is written whenever it is full.
    pub fn put_bytes(&mut self, mut data: &[u8], clock: &dyn Clock, sealer: &Sealer) {
        while !data.is_empty() {
            if self.chunk.len() == CHUNK {
                self.sync(clock, sealer);
            }
            let n = (CHUNK - self.chunk.len()).min(data.len());
            self.chunk.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
    }

    /// Writes the 512-byte buffer, as 0.76 does before every read of stdin.
    pub fn sync(&mut self, clock: &dyn Clock, sealer: &Sealer) {
        if !self.chunk.is_empty() {
            let chunk = std::mem::take(&mut self.chunk);
            self.write_cut(&chunk, clock, sealer);
            self.chunk = chunk;
            self.chunk.clear();
        }
    }

    /// 0.76's `c_write`, until all of `data` is written: rotates a full
    /// `current` first, cuts each write where [`Budget::cut`] says, and
    /// rotates after a write that ends with a newline within 2000 bytes of
    /// the size. The bytes go to the real output buffer.
    fn write_cut(&mut self, mut data: &[u8], clock: &dyn Clock, sealer: &Sealer) {
        while !data.is_empty() {
            if self.budget.full() {
                self.rotate(clock, sealer);
            }
            let n = self.budget.cut(data);
            self.pending.extend_from_slice(&data[..n]);
            if self.pending.len() >= FLUSH_AT {
                self.flush();
            }
            self.budget.wrote(n);
            if data[n - 1] == b'\n' && self.budget.done_at_newline() {
                self.rotate(clock, sealer);
            }
            data = &data[n..];
        }
    }

    /// Writes out the buffered output (into a new `current` if the directory
    /// was removed and then made again).
    pub fn flush(&mut self) {
        if !self.pending.is_empty() {
            if self.current.metadata().is_ok_and(|m| m.nlink() == 0) {
                self.wait_for_directory();
            }
            let pending = std::mem::take(&mut self.pending);
            self.write_current(&pending);
            self.pending = pending;
            self.pending.clear();
        }
    }

    fn write_current(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            match self.current.write(data) {
                Ok(n) if n > 0 => {
                    data = &data[n..];
                }
                Ok(_) => pause::pause_or_give_up(
                    &[b"unable to write to ", self.place.name(), b"/current"],
                    &io::Error::from(io::ErrorKind::WriteZero),
                ),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => pause::pause_or_give_up(&[b"unable to write to ", self.place.name(), b"/current"], &e),
            }
        }
    }

    /// `current` was unlinked with its directory: says so, and waits until
    /// the directory is back (made again by someone), to lock it again and
    /// start a new `current` there. SIGTERM ends the wait (exit 111).
    fn wait_for_directory(&mut self) {
        let name = self.place.path.clone();
        let name = name.as_os_str().as_bytes();
        strerr::warn(&[b"log directory ", name, b" was removed; recreate it or restart multilog, pausing"]);
        let removed = || io::Error::from_raw_os_error(libc::ENOENT);
        loop {
            if pause::stopping() {
                pause::give_up(&[b"log directory ", name, b" was removed"], &removed());
            }
            pause::wait(pause::PAUSE);
            let Ok(lock) = open_append(&self.place.file("lock"), 0o600) else { continue };
            match unix::fs::flock_exclusive(&lock, true) {
                Ok(()) => self._lock = lock,
                Err(e) => {
                    pause::pause_or_give_up(&[b"unable to lock directory ", name], &e);
                    continue;
                }
            }
            break;
        }
        drop(self.new_current());
    }

    /// Starts a new `current`. Without a processor the old one is renamed
    /// `@label.u` at once and handed to the sealer; with one, daemontools'
    /// synchronous protocol runs (`previous`, processor, `processed`).
    pub fn rotate(&mut self, clock: &dyn Clock, sealer: &Sealer) {
        self.flush();
        match self.processor.clone() {
            None => {
                let label = self.place.namer.next(Label::from_wall(clock.wall()));
                let unclean = archive_name(label, b'u').to_vec();
                let sealed = archive_name(label, b's').to_vec();
                retry(
                    || fs::rename(self.place.file("current"), self.place.path.join(OsStr::from_bytes(&unclean))),
                    &[b"unable to rename current to ", &unclean, b" in directory ", self.place.name()],
                );
                let old = self.new_current();
                sealer.seal(Job { file: old, dir: self.place.path.clone(), unclean, sealed, num: self.place.num });
            }
            Some(command) => {
                retry(|| self.current.sync_all(), &[b"unable to write ", self.place.name(), b"/current to disk"]);
                retry(
                    || fs::rename(self.place.file("current"), self.place.file("previous")),
                    &[b"unable to rename current to previous in directory ", self.place.name()],
                );
                drop(self.new_current());
                retry(
                    || fs::set_permissions(self.place.file("previous"), fs::Permissions::from_mode(0o744)),
                    &[b"unable to set mode of ", self.place.name(), b"/previous"],
                );
                processor::run(&self.place.path, &command);
                self.place.finish("processed", b's', clock);
            }
        }
    }

    /// Opens a fresh `current` (0644) and returns the old one.
    fn new_current(&mut self) -> File {
        let f = retry(
            || open_append(&self.place.file("current"), 0o644),
            &[b"unable to create ", self.place.name(), b"/current"],
        );
        retry(|| set_mode(&f, 0o644), &[b"unable to set mode of ", self.place.name(), b"/current"]);
        self.budget.bytes = 0;
        std::mem::replace(&mut self.current, f)
    }

    /// At exit (after [`LogDir::sync`]): flush, fsync and mark `current` as
    /// cleanly closed (u+x).
    pub fn close(&mut self) {
        self.flush();
        retry(|| self.current.sync_all(), &[b"unable to write ", self.place.name(), b"/current to disk"]);
        retry(|| set_mode(&self.current, 0o744), &[b"unable to set mode of ", self.place.name(), b"/current"]);
    }
}

impl Place {
    fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// The directory's name in messages, as the script spells it.
    fn name(&self) -> &[u8] {
        self.path.as_os_str().as_bytes()
    }

    /// Resumes a cleanly closed `current`, or finishes what an unclean stop
    /// left (a new `current` starts with the cut mark if the log ended
    /// mid-line); returns `current` and its size.
    fn recover(&mut self, clock: &dyn Clock, processor: bool) -> Result<(File, u64), Fatal> {
        let name = self.path.clone();
        let name = name.as_os_str().as_bytes();
        match fs::metadata(self.file("current")) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(Fatal::new(&[b"unable to stat ", name, b"/current"], &e))
            }
            Ok(st) if st.mode() & 0o100 != 0 => {
                let f = open_append(&self.file("current"), 0o644)
                    .map_err(|e| Fatal::new(&[b"unable to append to ", name, b"/current"], &e))?;
                set_mode(&f, 0o644).map_err(|e| Fatal::new(&[b"unable to set mode of ", name, b"/current"], &e))?;
                return Ok((f, st.len()));
            }
            _ => {}
        }
        let cut = self.ends_mid_line(processor)?;
        let _ = fs::remove_file(self.file("state"));
        let _ = fs::remove_file(self.file("newstate"));
        let processed_done = match fs::metadata(self.file("processed")) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(Fatal::new(&[b"unable to stat ", name, b"/processed"], &e))
            }
            Ok(st) => st.mode() & 0o100 != 0,
            Err(_) => false,
        };
        if processed_done {
            let _ = fs::remove_file(self.file("previous"));
            self.finish("processed", b's', clock);
        } else {
            let _ = fs::remove_file(self.file("processed"));
            self.finish("previous", b'u', clock);
        }
        self.finish("current", b'u', clock);
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(self.file("state"))
            .map_err(|e| Fatal::new(&[b"unable to write to ", name, b"/state"], &e))?;
        let mut f = open_append(&self.file("current"), 0o644)
            .map_err(|e| Fatal::new(&[b"unable to write to ", name, b"/current"], &e))?;
        set_mode(&f, 0o644).map_err(|e| Fatal::new(&[b"unable to set mode of ", name, b"/current"], &e))?;
        if !cut {
            return Ok((f, 0));
        }
        // The cut line's end: the first line of the new `current`, so that
        // reading the files in order gives the piece and then the mark. The
        // old files stay as they were, and 16 bytes at offset 0 are written
        // entirely or not at all by a SIGKILL (a write is cut only at a page
        // boundary): a killed recovery leaves an empty `current`, and the
        // next one marks again.
        let mark = [MARK, b"\n"].concat();
        f.write_all(&mark).map_err(|e| Fatal::new(&[b"unable to write to ", name, b"/current"], &e))?;
        Ok((f, mark.len() as u64))
    }

    /// Whether what an unclean stop left ends in the middle of a line: the
    /// last byte of `current` or, if it is empty or missing (the logger was
    /// killed just after a rotation, or after an earlier recovery), of the
    /// newest non-empty archive (without a processor: with one, archives
    /// hold the processor's output, not the input).
    fn ends_mid_line(&self, processor: bool) -> Result<bool, Fatal> {
        let mut files = vec![self.file("current")];
        if !processor {
            let entries =
                fs::read_dir(&self.path).map_err(|e| Fatal::new(&[b"unable to read directory ", self.name()], &e))?;
            let mut archives: Vec<_> = entries
                .flatten()
                .map(|e| e.file_name())
                .filter(|n| crate::archives::parse_archive_name(n.as_bytes()).is_some())
                .collect();
            archives.sort();
            files.extend(archives.iter().rev().map(|n| self.path.join(n)));
        }
        for path in files {
            let name = path.as_os_str().as_bytes();
            let f = match File::open(&path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                other => other.map_err(|e| Fatal::new(&[b"unable to read ", name], &e))?,
            };
            let len = f.metadata().map_err(|e| Fatal::new(&[b"unable to stat ", name], &e))?.len();
            if len == 0 {
                continue;
            }
            let mut last = [0u8];
            f.read_exact_at(&mut last, len - 1).map_err(|e| Fatal::new(&[b"unable to read ", name], &e))?;
            return Ok(last[0] != b'\n');
        }
        Ok(false)
    }

    /// The `.u` files of the directory, as jobs for the sealer.
    fn leftovers(&self) -> Result<Vec<Job>, Fatal> {
        let name = self.name();
        let mut jobs = Vec::new();
        for entry in fs::read_dir(&self.path).map_err(|e| Fatal::new(&[b"unable to read directory ", name], &e))? {
            let entry = entry.map_err(|e| Fatal::new(&[b"unable to read directory ", name], &e))?;
            let file_name = entry.file_name();
            let bytes = file_name.as_bytes();
            if !(bytes.starts_with(b"@") && bytes.ends_with(b".u")) {
                continue;
            }
            let Ok(file) = File::open(entry.path()) else { continue };
            let unclean = bytes.to_vec();
            let sealed = [&bytes[..bytes.len() - 2], b".s"].concat();
            jobs.push(Job { file, dir: self.path.clone(), unclean, sealed, num: self.num });
        }
        Ok(jobs)
    }

    /// Gives `file` its archive name (`@label.code`) and trims, as
    /// daemontools' `finish()`; a missing file is nothing to do.
    fn finish(&mut self, file: &str, code: u8, clock: &dyn Clock) {
        let path = self.file(file);
        let st = retry(
            || match fs::metadata(&path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                other => other.map(Some),
            },
            &[b"unable to stat ", self.name(), b"/", file.as_bytes()],
        );
        let Some(st) = st else { return };
        if st.nlink() == 1 {
            let label = self.namer.next(Label::from_wall(clock.wall()));
            let archive = archive_name(label, code);
            let target = self.path.join(OsStr::from_bytes(&archive));
            retry(|| fs::hard_link(&path, &target), &[b"unable to link to ", self.name(), b"/", &archive]);
        }
        retry(|| fs::remove_file(&path), &[b"unable to remove ", self.name(), b"/", file.as_bytes()]);
        trim(&self.path, self.num);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tai64::TestClock;

    use super::*;

    /// A fresh directory under the system's temporary directory.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("multilog-unit-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        n.sort();
        n
    }

    #[test]
    fn a_wall_clock_step_back_neither_reorders_nor_trims_the_newest() {
        let path = scratch("step");
        let spec = DirSpec { path: path.clone(), size: 4096, num: 3, processor: None };
        let clock = TestClock::new(Duration::from_secs(2_000_000_000));
        let mut sealer = Sealer::start().unwrap();
        let mut d = LogDir::open(&spec, &clock).unwrap();
        for (i, step) in [0i64, -3600, -3600, 10].iter().enumerate() {
            clock.step_wall(*step);
            clock.advance(Duration::from_secs(1));
            d.put_bytes(format!("batch {i}\n").as_bytes(), &clock, &sealer);
            d.sync(&clock, &sealer);
            d.rotate(&clock, &sealer);
        }
        sealer.finish();
        d.close();
        let archives: Vec<String> = names(&path).into_iter().filter(|n| n.starts_with('@')).collect();
        assert_eq!(archives.len(), 2, "n3: two archives beside current");
        let kept: Vec<Vec<u8>> = archives.iter().map(|n| fs::read(path.join(n)).unwrap()).collect();
        assert_eq!(kept, vec![b"batch 2\n".to_vec(), b"batch 3\n".to_vec()], "the newest survive");
        assert!(archives.iter().all(|n| n.ends_with(".s")));
        assert_eq!(fs::metadata(path.join("current")).unwrap().mode() & 0o777, 0o744);
        fs::remove_dir_all(&path).unwrap();
    }

    #[test]
    fn a_log_ending_mid_line_before_an_empty_current_gets_the_mark() {
        // Killed just after a rotation cut a line at the size (its start in
        // the archive), then killed again before writing anything: empty
        // files follow the piece, and the next line must not join it.
        let path = scratch("empty");
        fs::create_dir_all(&path).unwrap();
        fs::write(path.join("@400000006000000000000000.s"), b"done\nthe start of a li").unwrap();
        fs::write(path.join("@400000006000000000000001.u"), b"").unwrap();
        fs::write(path.join("current"), b"").unwrap();
        let spec = DirSpec { path: path.clone(), size: 4096, num: 100, processor: None };
        let clock = TestClock::new(Duration::from_secs(2_000_000_000));
        let mut sealer = Sealer::start().unwrap();
        let mut d = LogDir::open(&spec, &clock).unwrap();
        assert_eq!(d.bytes(), 16);
        d.put_bytes(b"next\n", &clock, &sealer);
        d.sync(&clock, &sealer);
        sealer.seal_all(d.take_leftovers());
        sealer.finish();
        d.close();
        let log: Vec<u8> = names(&path)
            .iter()
            .filter(|n| n.starts_with('@'))
            .chain(std::iter::once(&"current".to_string()))
            .flat_map(|n| fs::read(path.join(n)).unwrap())
            .collect();
        assert_eq!(log, b"done\nthe start of a li[multilog: cut]\nnext\n");
        fs::remove_dir_all(&path).unwrap();
    }

    #[test]
    fn files_are_cut_where_daemontools_512_byte_buffer_cuts_them() {
        let path = scratch("size");
        let spec = DirSpec { path: path.clone(), size: 4096, num: 100, processor: None };
        let clock = TestClock::new(Duration::from_secs(2_000_000_000));
        let mut sealer = Sealer::start().unwrap();
        let mut d = LogDir::open(&spec, &clock).unwrap();
        // A 2094-byte head is written at once (longer than the buffer); its
        // newline waits in the buffer, so nothing rotates yet.
        d.put_head(&[b'a'; 2094], &clock, &sealer);
        d.put_bytes(b"\n", &clock, &sealer);
        assert_eq!(d.bytes(), 2094);
        // Short lines fill the buffer; when it is written, it is cut after
        // its last newline, and the file rotates there.
        for _ in 0..300 {
            d.put_head(b"b", &clock, &sealer);
            d.put_bytes(b"\n", &clock, &sealer);
        }
        // The 256th line's "b" filled the buffer; its newline wrote it: 2094
        // + 511 bytes up to the buffer's last newline rotate, the "b" after
        // it starts the next file.
        assert_eq!(d.bytes(), 1);
        // A line longer than the size is cut at the size.
        d.put_head(&[b'c'; 1000], &clock, &sealer);
        d.put_bytes(&[b'c'; 4000], &clock, &sealer);
        d.put_bytes(b"\n", &clock, &sealer);
        d.sync(&clock, &sealer);
        // The next file holds 1 + 89 bytes of short lines and the long
        // line up to the size; the rest of the long line is in `current`.
        assert_eq!(d.bytes(), 5001 - (4096 - 90));
        sealer.finish();
        d.close();
        let sizes: Vec<u64> = names(&path)
            .iter()
            .filter(|n| n.starts_with('@'))
            .map(|n| fs::metadata(path.join(n)).unwrap().len())
            .collect();
        assert_eq!(sizes, vec![2605, 4096]);
        fs::remove_dir_all(&path).unwrap();
    }

    #[test]
    fn a_fatal_message_names_a_directory_that_is_not_utf8_byte_for_byte() {
        use std::os::unix::ffi::OsStringExt;
        let file = scratch("fatal");
        fs::write(&file, b"").unwrap();
        let mut name = file.clone().into_os_string().into_vec();
        name.extend_from_slice(b"/\xffd\xc3");
        let spec = DirSpec { path: PathBuf::from(OsStr::from_bytes(&name)), size: 4096, num: 3, processor: None };
        let clock = TestClock::new(Duration::from_secs(2_000_000_000));
        let Err(Fatal(message)) = LogDir::open(&spec, &clock) else { panic!("opened a directory under a file") };
        fs::remove_file(&file).unwrap();
        assert_eq!(message, [&b"unable to open directory "[..], &name, b": not a directory"].concat());
    }
}
