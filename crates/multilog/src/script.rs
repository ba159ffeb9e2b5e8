//! multilog scripts: one action per argument, parsed as daemontools 0.76 does.
//!
//! `t` counts only as the first argument (any first argument starting with
//! `t`); `+pat`, `-pat`, `e`, `=file`, `sSIZE`, `nNUM`, `!processor` and
//! `./dir` or `/dir` are recognised by their first byte. `s`, `n` and `!`
//! apply to the directories that follow them. Everything else is ignored, as
//! in 0.76, but reported in [`Script::ignored`] so the program can warn.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// Default maximum size of `current`.
pub const DEFAULT_SIZE: u64 = 99_999;
/// Smallest and largest `sSIZE`.
pub const MIN_SIZE: u64 = 4096;
pub const MAX_SIZE: u64 = 16_777_215;
/// Default number of log files (archives plus `current`).
pub const DEFAULT_NUM: u64 = 10;
/// Smallest `nNUM`.
pub const MIN_NUM: u64 = 2;

/// One action run on every line, in script order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `+pattern`: select the line if it matches.
    Select(Vec<u8>),
    /// `-pattern`: deselect the line if it matches.
    Deselect(Vec<u8>),
    /// `e`: copy the selected line's head to stderr.
    Stderr,
    /// `=file`: the index into [`Script::status_files`].
    Status(usize),
    /// A log directory: the index into [`Script::dirs`].
    Dir(usize),
}

/// A log directory and the settings in force where it appears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirSpec {
    pub path: PathBuf,
    /// Maximum size of `current`, in 4096..=16777215.
    pub size: u64,
    /// Number of files kept, counting `current`; at least 2.
    pub num: u64,
    /// Shell command run on each finished file.
    pub processor: Option<Vec<u8>>,
}

/// A parsed script.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script {
    /// Prefix each line with a TAI64N label.
    pub timestamp: bool,
    pub actions: Vec<Action>,
    pub dirs: Vec<DirSpec>,
    /// The `=file` paths, in script order.
    pub status_files: Vec<PathBuf>,
    /// Arguments 0.76 silently ignores (misplaced `t`, typos, empty arguments).
    pub ignored: Vec<OsString>,
}

/// Parses `args` (argv without argv[0]). Never fails: 0.76 accepts any script.
pub fn parse(args: &[&OsStr]) -> Script {
    let mut script = Script::default();
    let mut size = DEFAULT_SIZE;
    let mut num = DEFAULT_NUM;
    let mut processor: Option<Vec<u8>> = None;
    for (i, arg) in args.iter().enumerate() {
        let bytes = arg.as_bytes();
        let rest = bytes.get(1..).unwrap_or_default();
        match bytes.first() {
            Some(b't') if i == 0 => script.timestamp = true,
            Some(b'+') => script.actions.push(Action::Select(rest.to_vec())),
            Some(b'-') => script.actions.push(Action::Deselect(rest.to_vec())),
            Some(b'e') => script.actions.push(Action::Stderr),
            Some(b'=') => {
                script.actions.push(Action::Status(script.status_files.len()));
                script.status_files.push(PathBuf::from(OsStr::from_bytes(rest)));
            }
            Some(b's') => size = scan_ulong(rest).clamp(MIN_SIZE, MAX_SIZE),
            Some(b'n') => num = scan_ulong(rest).max(MIN_NUM),
            Some(b'!') => processor = Some(rest.to_vec()),
            Some(b'.' | b'/') => {
                script.actions.push(Action::Dir(script.dirs.len()));
                script.dirs.push(DirSpec { path: PathBuf::from(*arg), size, num, processor: processor.clone() });
            }
            _ => script.ignored.push(arg.to_os_string()),
        }
    }
    script
}

/// djb's `scan_ulong`: the leading decimal digits, wrapping like C's unsigned long.
fn scan_ulong(s: &[u8]) -> u64 {
    s.iter().take_while(|c| c.is_ascii_digit()).fold(0u64, |n, &c| n.wrapping_mul(10).wrapping_add((c - b'0') as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Script {
        parse(&args.iter().map(OsStr::new).collect::<Vec<_>>())
    }

    #[test]
    fn timestamp_only_first() {
        assert!(p(&["t", "./d"]).timestamp);
        assert!(p(&["tai", "./d"]).timestamp);
        let s = p(&["./d", "t"]);
        assert!(!s.timestamp);
        assert_eq!(s.ignored, vec![OsString::from("t")]);
    }

    #[test]
    fn settings_apply_to_later_dirs_only() {
        let s = p(&["./a", "s5000", "n3", "!gzip", "./b", "s1", "n1", "/c"]);
        assert_eq!(s.dirs[0], DirSpec { path: "./a".into(), size: 99_999, num: 10, processor: None });
        assert_eq!(s.dirs[1], DirSpec { path: "./b".into(), size: 5000, num: 3, processor: Some(b"gzip".to_vec()) });
        assert_eq!(s.dirs[2].size, 4096);
        assert_eq!(s.dirs[2].num, 2);
        assert_eq!(s.actions, vec![Action::Dir(0), Action::Dir(1), Action::Dir(2)]);
    }

    #[test]
    fn sizes_clamp_and_scan_like_djb() {
        assert_eq!(p(&["s", "./d"]).dirs[0].size, 4096);
        assert_eq!(p(&["s99999999", "./d"]).dirs[0].size, 16_777_215);
        assert_eq!(p(&["s8000k", "./d"]).dirs[0].size, 8000);
        assert_eq!(p(&["n0", "./d"]).dirs[0].num, 2);
    }

    #[test]
    fn actions_in_order_and_ignored_arguments() {
        let s = p(&["+*", "-x*", "e", "=st", "echo", "", "?", "./d"]);
        assert_eq!(
            s.actions,
            vec![
                Action::Select(b"*".to_vec()),
                Action::Deselect(b"x*".to_vec()),
                Action::Stderr,
                Action::Status(0),
                Action::Stderr,
                Action::Dir(0)
            ]
        );
        assert_eq!(s.status_files, vec![PathBuf::from("st")]);
        assert_eq!(s.ignored, vec![OsString::from(""), OsString::from("?")]);
    }
}
