//! The environment a chain-loaded child gets, edited as daemontools'
//! `pathexec_env` + `pathexec` do, so that `env` in the child prints the same
//! lines in the same order.

use std::ffi::CString;
use std::io;

/// The entries of an environment, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    entries: Vec<Vec<u8>>,
}

impl Environment {
    /// This process's environment as the C library holds it.
    pub fn current() -> Environment {
        Environment { entries: unix::env::environ_entries() }
    }

    /// An environment made of these `NAME=value` entries.
    pub fn from_entries(entries: Vec<Vec<u8>>) -> Environment {
        Environment { entries }
    }

    pub fn entries(&self) -> &[Vec<u8>] {
        &self.entries
    }

    /// Sets `name` to `value`, or removes it for `None`.
    ///
    /// As in daemontools, the first entry with that name is replaced by the
    /// last entry (so order changes) and the new `NAME=value` goes at the end.
    pub fn set(&mut self, name: &[u8], value: Option<&[u8]>) {
        let found =
            self.entries.iter().position(|e| e.len() > name.len() && e.starts_with(name) && e[name.len()] == b'=');
        if let Some(i) = found {
            self.entries.swap_remove(i);
        }
        if let Some(value) = value {
            let mut entry = Vec::with_capacity(name.len() + 1 + value.len());
            entry.extend_from_slice(name);
            entry.push(b'=');
            entry.extend_from_slice(value);
            self.entries.push(entry);
        }
    }

    pub(crate) fn to_cstrings(&self) -> io::Result<Vec<CString>> {
        self.entries
            .iter()
            .map(|e| CString::new(e.as_slice()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(list: &[&str]) -> Environment {
        Environment::from_entries(list.iter().map(|s| s.as_bytes().to_vec()).collect())
    }

    #[test]
    fn replacing_moves_the_last_entry_into_the_hole() {
        let mut e = env(&["A=1", "B=2", "C=3"]);
        e.set(b"A", Some(b"9"));
        assert_eq!(e, env(&["C=3", "B=2", "A=9"]));
    }

    #[test]
    fn unsetting_removes_only_the_first_match() {
        let mut e = env(&["A=1", "AB=2", "A=3", "B"]);
        e.set(b"A", None);
        assert_eq!(e, env(&["B", "AB=2", "A=3"]));
        e.set(b"Z", None);
        assert_eq!(e.entries().len(), 3);
    }

    #[test]
    fn a_name_must_match_up_to_the_equals_sign() {
        let mut e = env(&["PATH=/bin", "PATHX=1"]);
        e.set(b"PAT", Some(b"x"));
        assert_eq!(e, env(&["PATH=/bin", "PATHX=1", "PAT=x"]));
        e.set(b"B", Some(b""));
        assert_eq!(e.entries()[3], b"B=");
    }
}
