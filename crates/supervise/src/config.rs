//! The optional files of a service directory that tune supervision (read
//! before every start, so edits apply at the next start).

use std::fs;
use std::io;
use std::path::Path;
use std::time::Duration;

/// What the service directory asks for beyond `run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `finish` exists: run it after `run` exits.
    pub finish: bool,
    /// `timeout-finish` (ms, default 5000, 0 = no limit): SIGKILL to finish after it.
    pub timeout_finish: Option<Duration>,
    /// `timeout-kill` (ms, default none): SIGKILL after the down signal.
    pub timeout_kill: Option<Duration>,
    /// `down-signal` (name or number, default SIGTERM).
    pub down_signal: i32,
    /// `notification-fd`: the fd on which the service writes a newline when ready.
    pub notification_fd: Option<i32>,
    /// `backoff-max` (ms): opt-in exponential restart backoff up to this delay.
    pub backoff_max: Option<Duration>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            finish: false,
            timeout_finish: Some(Duration::from_millis(5000)),
            timeout_kill: None,
            down_signal: libc::SIGTERM,
            notification_fd: None,
            backoff_max: None,
        }
    }
}

/// A file whose content could not be used (the default applies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: &'static str,
    pub why: String,
}

impl Config {
    /// Reads the files in `dir`; unusable ones are reported and ignored.
    pub fn load(dir: &Path) -> (Config, Vec<Problem>) {
        let mut c = Config::default();
        let mut problems = Vec::new();
        let mut read = |file: &'static str| -> Option<String> {
            match fs::read(svstatus::in_dir(dir, Path::new(file))) {
                Ok(b) => Some(String::from_utf8_lossy(&b).trim().to_string()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => {
                    problems.push(Problem { file, why: strerr::errstr(&e) });
                    None
                }
            }
        };
        c.finish = svstatus::in_dir(dir, Path::new("finish")).exists();
        let millis = |s: &str| s.parse::<u64>().ok().map(Duration::from_millis);
        let mut bad = Vec::new();
        if let Some(s) = read("timeout-finish") {
            match millis(&s) {
                Some(d) => c.timeout_finish = (!d.is_zero()).then_some(d),
                None => bad.push("timeout-finish"),
            }
        }
        if let Some(s) = read("timeout-kill") {
            match millis(&s) {
                Some(d) => c.timeout_kill = (!d.is_zero()).then_some(d),
                None => bad.push("timeout-kill"),
            }
        }
        if let Some(s) = read("down-signal") {
            match signal_number(&s) {
                Some(n) => c.down_signal = n,
                None => bad.push("down-signal"),
            }
        }
        if let Some(s) = read("notification-fd") {
            match s.parse::<i32>() {
                Ok(n) if n >= 3 => c.notification_fd = Some(n),
                _ => bad.push("notification-fd"),
            }
        }
        if let Some(s) = read("backoff-max") {
            match millis(&s) {
                Some(d) if !d.is_zero() => c.backoff_max = Some(d),
                _ => bad.push("backoff-max"),
            }
        }
        problems.extend(bad.into_iter().map(|file| Problem { file, why: "bad format".to_string() }));
        (c, problems)
    }
}

/// `TERM`, `SIGTERM` or `15`.
pub fn signal_number(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse::<i32>() {
        return (1..=64).contains(&n).then_some(n);
    }
    let name = s.strip_prefix("SIG").unwrap_or(s);
    Some(match name {
        "HUP" => libc::SIGHUP,
        "INT" => libc::SIGINT,
        "QUIT" => libc::SIGQUIT,
        "KILL" => libc::SIGKILL,
        "USR1" => libc::SIGUSR1,
        "USR2" => libc::SIGUSR2,
        "ALRM" => libc::SIGALRM,
        "TERM" => libc::SIGTERM,
        "CONT" => libc::SIGCONT,
        "STOP" => libc::SIGSTOP,
        "WINCH" => libc::SIGWINCH,
        "PWR" => libc::SIGPWR,
        "ABRT" => libc::SIGABRT,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_files() {
        let d = tempfile::tempdir().unwrap();
        let (c, p) = Config::load(d.path());
        assert_eq!(c, Config::default());
        assert!(p.is_empty());
    }

    #[test]
    fn reads_every_file_and_reports_bad_ones() {
        let d = tempfile::tempdir().unwrap();
        for (f, v) in [
            ("finish", "#!/bin/sh\n"),
            ("timeout-finish", "0\n"),
            ("timeout-kill", "250\n"),
            ("down-signal", "SIGHUP\n"),
            ("notification-fd", "3\n"),
            ("backoff-max", "abc"),
        ] {
            fs::write(d.path().join(f), v).unwrap();
        }
        let (c, p) = Config::load(d.path());
        assert!(c.finish);
        assert_eq!(c.timeout_finish, None);
        assert_eq!(c.timeout_kill, Some(Duration::from_millis(250)));
        assert_eq!(c.down_signal, libc::SIGHUP);
        assert_eq!(c.notification_fd, Some(3));
        assert_eq!(c.backoff_max, None);
        assert_eq!(p, vec![Problem { file: "backoff-max", why: "bad format".into() }]);
    }

    #[test]
    fn signal_names() {
        assert_eq!(signal_number("TERM"), Some(15));
        assert_eq!(signal_number("9"), Some(9));
        assert_eq!(signal_number("0"), None);
        assert_eq!(signal_number("NOPE"), None);
    }
}
