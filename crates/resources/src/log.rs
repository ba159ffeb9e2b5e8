//! A service's log: where its logger writes (`log/run`'s usual
//! `exec multilog ... ./main` form). Its lines are read by crate logread.

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
