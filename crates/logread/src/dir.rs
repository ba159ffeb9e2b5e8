//! A log directory and its files (a service's log directory is
//! `resources::log::log_dir`'s): the archives (`@` + TAI64N + `.s`, or
//! `.u` for a rotation not finished), oldest first by name, then `current`.
//! Archive names are the order: tend's multilog keeps them monotone across
//! clock steps. `partial` (tend multilog's unfinished line) is not read: it
//! is no line yet, and the next multilog logs it whole.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use tai64::Label;

/// A log directory named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDir {
    pub path: PathBuf,
    /// The service's name, shown as a column when several are read.
    pub name: Vec<u8>,
}

/// Why a directory given is not readable as a log.
#[derive(Debug)]
pub enum Unusable {
    /// Neither a log directory (`current` or `lock`) nor a service
    /// directory whose log directory is found.
    NotALog,
    Io(io::Error),
}

impl LogDir {
    /// `arg`, a log directory or a service directory (its log directory
    /// from `log/run`, else `log/main`).
    pub fn find(arg: &Path) -> Result<LogDir, Unusable> {
        std::fs::read_dir(arg).map_err(Unusable::Io)?;
        let full = arg.canonicalize().map_err(Unusable::Io)?;
        if is_log_dir(&full) {
            let parent = full.parent().filter(|p| p.file_name() == Some(OsStr::new("log")));
            let named = parent.and_then(Path::parent).unwrap_or(&full);
            return Ok(LogDir { name: base(named), path: full });
        }
        let path = resources::log::log_dir(&full).ok_or(Unusable::NotALog)?;
        Ok(LogDir { name: base(&full), path })
    }
}

fn is_log_dir(dir: &Path) -> bool {
    dir.join("current").is_file() || dir.join("lock").is_file()
}

fn base(path: &Path) -> Vec<u8> {
    path.file_name().map_or_else(|| b"/".to_vec(), |n| n.as_bytes().to_vec())
}

/// An archive: its name and the label in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    pub path: PathBuf,
    pub label: Label,
}

/// The files of a log directory at one moment.
#[derive(Debug)]
pub struct Listing {
    /// Oldest first.
    pub archives: Vec<Archive>,
    /// `current`, opened before the archives were listed (None if absent),
    /// and its size then.
    pub current: Option<(File, u64)>,
}

/// Lists `dir`. `current` is opened first, so that a rotation during the
/// listing shows its lines once: an archive that is the file opened as
/// `current` is left out.
pub fn list(dir: &Path) -> io::Result<Listing> {
    let current = match File::open(dir.join("current")) {
        Ok(f) => {
            let len = crate::reader::size(&f)?;
            Some((f, len))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let mut archives = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if let Some(label) = multilog::parse_archive_name(name.as_bytes()) {
            archives.push((name.as_bytes().to_vec(), Archive { path: entry.path(), label }));
        }
    }
    archives.sort_by(|(a, _), (b, _)| a.cmp(b));
    let mut archives: Vec<Archive> = archives.into_iter().map(|(_, a)| a).collect();
    if let (Some((f, _)), Some(newest)) = (&current, archives.last()) {
        let same = |m: std::fs::Metadata, n: std::fs::Metadata| m.ino() == n.ino() && m.dev() == n.dev();
        if let (Ok(c), Ok(a)) = (f.metadata(), std::fs::metadata(&newest.path)) {
            if same(c, a) {
                archives.pop();
            }
        }
    }
    Ok(Listing { archives, current })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_by_name_then_current() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        for n in ["@400000006b0000020000000a.s", "@400000006b0000010000000a.u", "state", "@x", "partial"] {
            std::fs::write(p.join(n), "").unwrap();
        }
        std::fs::write(p.join("current"), "abc").unwrap();
        let l = list(p).unwrap();
        let names: Vec<_> = l.archives.iter().map(|a| a.path.file_name().unwrap().to_owned()).collect();
        assert_eq!(names, ["@400000006b0000010000000a.u", "@400000006b0000020000000a.s"]);
        assert_eq!(l.current.unwrap().1, 3);
        // current rotated into an archive after it was opened: listed once.
        std::fs::hard_link(p.join("current"), p.join("@400000006b0000030000000a.s")).unwrap();
        assert_eq!(list(p).unwrap().archives.len(), 2);
    }

    #[test]
    fn service_and_log_directories() {
        let d = tempfile::tempdir().unwrap();
        let svc = d.path().join("web");
        std::fs::create_dir_all(svc.join("log/main")).unwrap();
        std::fs::write(svc.join("log/main/current"), "").unwrap();
        let from_service = LogDir::find(&svc).unwrap();
        let from_log = LogDir::find(&svc.join("log/main")).unwrap();
        assert_eq!(from_service, from_log);
        assert_eq!(from_service.name, b"web");
        assert!(matches!(LogDir::find(d.path()), Err(Unusable::NotALog)));
        assert!(matches!(LogDir::find(&d.path().join("none")), Err(Unusable::Io(_))));
    }
}
