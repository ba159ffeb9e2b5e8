//! A service's log: where its logger writes (`log/run`'s usual
//! `exec multilog ... ./main` form), and the last lines of its `current`,
//! read from the end of the file.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The log directory of the service in `service`: the last argument of
/// the `multilog` (or `svlogd`, `s6-log`) line of `log/run` that is a
/// directory path (starts with `.` or `/`), relative to `log/`; else
/// `log/main` if it exists. None when there is no such directory.
pub fn log_dir(service: &Path) -> Option<PathBuf> {
    let log = service.join("log");
    let named = std::fs::read(log.join("run")).ok().and_then(|run| logger_dir(&run));
    let dir = match named {
        Some(d) => log.join(d.strip_prefix("./").unwrap_or(&d)),
        None => log.join("main"),
    };
    dir.is_dir().then_some(dir)
}

/// The directory a logger's script writes, from `log/run`'s text (pure).
pub fn logger_dir(run: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(run).ok()?;
    text.lines().filter(|l| !l.trim_start().starts_with('#')).find_map(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words.iter().position(|w| w.rsplit('/').next().is_some_and(|b| LOGGERS.split(' ').any(|l| l == b)))?;
        words.get(at + 1..)?.iter().rev().find(|w| w.starts_with('.') || w.starts_with('/')).map(|w| w.to_string())
    })
}

/// Loggers whose last directory argument is where they write.
const LOGGERS: &str = "multilog svlogd s6-log";

/// The last `n` lines of the file `path` (without their newlines), reading
/// back from its end in growing windows, never the whole of a big file
/// unless its lines are that long (a window stops at 1 MiB).
pub fn last_lines(path: &Path, n: usize) -> io::Result<Vec<Vec<u8>>> {
    let mut f = File::open(path)?;
    let len = f.seek(SeekFrom::End(0))?;
    let mut window = 16 * 1024u64;
    loop {
        let start = len.saturating_sub(window);
        f.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::new();
        f.by_ref().take(len - start).read_to_end(&mut buf)?;
        let lines = tail(&buf, n, start == 0);
        if lines.len() >= n || start == 0 || window >= 1024 * 1024 {
            return Ok(lines);
        }
        window *= 4;
    }
}

/// The last `n` whole lines of `buf`; its first line only if `whole` (the
/// window starts at the file's start), else it may be a line's tail.
fn tail(buf: &[u8], n: usize, whole: bool) -> Vec<Vec<u8>> {
    let body = buf.strip_suffix(b"\n").unwrap_or(buf);
    if body.is_empty() {
        return Vec::new();
    }
    let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').skip(usize::from(!whole)).collect();
    let skip = lines.len().saturating_sub(n);
    lines.into_iter().skip(skip).map(<[u8]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_log_run() {
        assert_eq!(logger_dir(b"#!/bin/sh\nexec multilog t s999999 n10 ./main\n").as_deref(), Some("./main"));
        assert_eq!(
            logger_dir(b"#!/bin/sh\nexec setuidgid log /usr/bin/multilog t /var/log/web\n").as_deref(),
            Some("/var/log/web")
        );
        assert_eq!(logger_dir(b"#!/bin/sh\nexec svlogd -tt ./main\n").as_deref(), Some("./main"));
        assert_eq!(logger_dir(b"#!/bin/sh\n# multilog ./old\nexec cat > /dev/null\n"), None);
        assert_eq!(logger_dir(b"exec multilog t\n"), None);
        assert_eq!(logger_dir(b"\xff\xfe"), None);
    }

    #[test]
    fn tails() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("current");
        let text: String = (0..5000).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&f, &text).unwrap();
        let last = last_lines(&f, 3).unwrap();
        assert_eq!(last, [b"line 4997".to_vec(), b"line 4998".to_vec(), b"line 4999".to_vec()]);
        std::fs::write(&f, "a\nb").unwrap();
        assert_eq!(last_lines(&f, 10).unwrap(), [b"a".to_vec(), b"b".to_vec()]);
        std::fs::write(&f, "").unwrap();
        assert!(last_lines(&f, 10).unwrap().is_empty());
        // Lines longer than the first window.
        let long: String = (0..12).map(|i| format!("{i}{}\n", "x".repeat(5000))).collect();
        std::fs::write(&f, &long).unwrap();
        let last = last_lines(&f, 10).unwrap();
        assert_eq!(last.len(), 10);
        assert!(last[0].starts_with(b"2x"));
    }

    #[test]
    fn log_dir_from_run() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(log_dir(d.path()), None);
        std::fs::create_dir_all(d.path().join("log/main")).unwrap();
        assert_eq!(log_dir(d.path()), Some(d.path().join("log/main")));
        std::fs::create_dir_all(d.path().join("log/elsewhere")).unwrap();
        std::fs::write(d.path().join("log/run"), "#!/bin/sh\nexec multilog t ./elsewhere\n").unwrap();
        assert_eq!(log_dir(d.path()), Some(d.path().join("log/elsewhere")));
    }
}
