//! Flags parsed the way djb's `sgetopt` does.
//!
//! Options come first; the first operand, a lone `-`, or `--` ends them (no
//! reordering: `svc dir -d` does not see `-d`). `optstring` lists the letters,
//! a letter followed by `:` takes an argument, glued (`-m100`) or next (`-m 100`).
//! Unknown letters and missing arguments print daemontools' own lines
//! (`PROG: illegal option -- Z`, `PROG: option requires an argument -- m`) and
//! come back as [`Opt::Bad`] so the caller prints its usage and exits 100.
//! lexopt was considered; it cannot reproduce these messages byte for byte.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use crate::message::{program, write_stderr};

/// One parsed option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opt {
    /// A letter without argument.
    Flag(u8),
    /// A letter and its argument.
    Arg(u8, OsString),
    /// An unknown letter or a missing argument (already reported on stderr).
    Bad(u8),
}

/// An iterator over the options of `args` (which excludes argv[0]).
pub struct Getopt<'a> {
    args: &'a [&'a OsStr],
    optstring: &'a [u8],
    index: usize,
    offset: usize,
    quiet: bool,
}

impl<'a> Getopt<'a> {
    pub fn new(args: &'a [&'a OsStr], optstring: &'a str) -> Self {
        Getopt { args, optstring: optstring.as_bytes(), index: 0, offset: 0, quiet: false }
    }

    /// Do not print anything on bad options (readproctitle, svscanboot).
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    /// The operands left once [`Iterator::next`] has returned `None`.
    pub fn operands(&self) -> &'a [&'a OsStr] {
        &self.args[self.index.min(self.args.len())..]
    }

    fn report(&self, what: &str, letter: u8) {
        if !self.quiet {
            let mut s = Vec::new();
            s.extend_from_slice(program().as_bytes());
            s.extend_from_slice(b": ");
            s.extend_from_slice(what.as_bytes());
            s.extend_from_slice(b" -- ");
            s.push(letter);
            s.push(b'\n');
            write_stderr(&s);
        }
    }

    fn takes_argument(&self, letter: u8) -> Option<bool> {
        let pos = self.optstring.iter().position(|&c| c == letter && c != b':')?;
        Some(self.optstring.get(pos + 1) == Some(&b':'))
    }
}

impl Iterator for Getopt<'_> {
    type Item = Opt;

    fn next(&mut self) -> Option<Opt> {
        if self.offset == 0 {
            let arg = self.args.get(self.index)?.as_bytes();
            // djb's getopt: any argument starting with `--` ends the options and is skipped.
            if arg.starts_with(b"--") {
                self.index += 1;
                return None;
            }
            if arg.len() < 2 || arg[0] != b'-' {
                return None;
            }
            self.offset = 1;
        }
        let arg = self.args[self.index].as_bytes();
        let letter = arg[self.offset];
        self.offset += 1;
        let rest = &arg[self.offset..];
        let (result, next_arg) = match self.takes_argument(letter) {
            None => {
                self.report("illegal option", letter);
                (Opt::Bad(letter), rest.is_empty())
            }
            Some(false) => (Opt::Flag(letter), rest.is_empty()),
            Some(true) if !rest.is_empty() => (Opt::Arg(letter, OsStr::from_bytes(rest).to_os_string()), true),
            Some(true) => match self.args.get(self.index + 1) {
                Some(value) => {
                    self.index += 1;
                    (Opt::Arg(letter, value.to_os_string()), true)
                }
                None => {
                    self.report("option requires an argument", letter);
                    (Opt::Bad(letter), true)
                }
            },
        };
        if next_arg {
            self.index += 1;
            self.offset = 0;
        }
        Some(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args<'a>(list: &'a [&'a str]) -> Vec<&'a OsStr> {
        list.iter().map(OsStr::new).collect()
    }

    #[test]
    fn clusters_values_and_operands() {
        let a = args(&["-dx", "-m100", "-o", "7", "svc", "-u"]);
        let mut g = Getopt::new(&a, "dxm:o:u");
        assert_eq!(g.next(), Some(Opt::Flag(b'd')));
        assert_eq!(g.next(), Some(Opt::Flag(b'x')));
        assert_eq!(g.next(), Some(Opt::Arg(b'm', "100".into())));
        assert_eq!(g.next(), Some(Opt::Arg(b'o', "7".into())));
        assert_eq!(g.next(), None);
        assert_eq!(g.operands(), &args(&["svc", "-u"])[..]);
    }

    #[test]
    fn a_separate_value_is_skipped_whole() {
        let a = args(&["-m", "3000000", "-u", "root:users", "child", "-x"]);
        let mut g = Getopt::new(&a, "m:u:x");
        assert_eq!(g.next(), Some(Opt::Arg(b'm', "3000000".into())));
        assert_eq!(g.next(), Some(Opt::Arg(b'u', "root:users".into())));
        assert_eq!(g.next(), None);
        assert_eq!(g.operands(), &args(&["child", "-x"])[..]);
    }

    #[test]
    fn double_dash_and_lone_dash_stop() {
        let a = args(&["-d", "--", "-u"]);
        let mut g = Getopt::new(&a, "du");
        assert_eq!(g.next(), Some(Opt::Flag(b'd')));
        assert_eq!(g.next(), None);
        assert_eq!(g.operands(), &args(&["-u"])[..]);
        let a = args(&["-", "x"]);
        let mut g = Getopt::new(&a, "d");
        assert_eq!(g.next(), None);
        assert_eq!(g.operands().len(), 2);
        // Anything after `--` in the same argument is thrown away with it.
        let a = args(&["-d", "--u", "-u"]);
        let mut g = Getopt::new(&a, "du");
        assert_eq!(g.next(), Some(Opt::Flag(b'd')));
        assert_eq!(g.next(), None);
        assert_eq!(g.operands(), &args(&["-u"])[..]);
    }

    #[test]
    fn unknown_and_missing_are_bad() {
        let a = args(&["-z"]);
        assert_eq!(Getopt::new(&a, "d").quiet().next(), Some(Opt::Bad(b'z')));
        let a = args(&["-m"]);
        let mut g = Getopt::new(&a, "m:").quiet();
        assert_eq!(g.next(), Some(Opt::Bad(b'm')));
        assert_eq!(g.next(), None);
        assert!(g.operands().is_empty());
    }

    #[test]
    fn colon_is_not_an_option() {
        let a = args(&["-:"]);
        assert_eq!(Getopt::new(&a, "m:").quiet().next(), Some(Opt::Bad(b':')));
    }
}
