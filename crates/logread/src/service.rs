//! A service's log directory: the directory the logger in `log/run` writes
//! (the usual `exec multilog t ./main` form; svlogd and s6-log alike), else
//! `log/main`.
//!
//! To be replaced by `resources::log::log_dir` (branch `resources`, the
//! same rule) once that is on main.

use std::path::{Path, PathBuf};

/// The log directory of the service in `service`, if it exists.
pub fn log_dir(service: &Path) -> Option<PathBuf> {
    let log = service.join("log");
    let named = std::fs::read(log.join("run")).ok().and_then(|run| logger_dir(&run));
    let dir = match named {
        Some(d) => log.join(d.strip_prefix("./").unwrap_or(&d)),
        None => log.join("main"),
    };
    dir.is_dir().then_some(dir)
}

/// The last argument that is a path (starts with `.` or `/`) of the first
/// line that runs multilog, svlogd or s6-log (pure).
fn logger_dir(run: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(run).ok()?;
    text.lines().filter(|l| !l.trim_start().starts_with('#')).find_map(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        let is_logger = |w: &&str| matches!(w.rsplit('/').next(), Some("multilog" | "svlogd" | "s6-log"));
        let at = words.iter().position(is_logger)?;
        words.get(at + 1..)?.iter().rev().find(|w| w.starts_with('.') || w.starts_with('/')).map(|w| w.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_log_run() {
        assert_eq!(logger_dir(b"#!/bin/sh\nexec multilog t s999999 n10 ./main\n").as_deref(), Some("./main"));
        assert_eq!(
            logger_dir(b"exec setuidgid log /usr/bin/multilog t /var/log/web\n").as_deref(),
            Some("/var/log/web")
        );
        assert_eq!(logger_dir(b"#!/bin/sh\nexec svlogd -tt ./main\n").as_deref(), Some("./main"));
        assert_eq!(logger_dir(b"# multilog ./old\nexec cat > /dev/null\n"), None);
        assert_eq!(logger_dir(b"exec multilog t\n"), None);
    }

    #[test]
    fn from_run_or_main() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(log_dir(d.path()), None);
        std::fs::create_dir_all(d.path().join("log/main")).unwrap();
        assert_eq!(log_dir(d.path()), Some(d.path().join("log/main")));
        std::fs::create_dir_all(d.path().join("log/elsewhere")).unwrap();
        std::fs::write(d.path().join("log/run"), "#!/bin/sh\nexec multilog t ./elsewhere\n").unwrap();
        assert_eq!(log_dir(d.path()), Some(d.path().join("log/elsewhere")));
    }
}
