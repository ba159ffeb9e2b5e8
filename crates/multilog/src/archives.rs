//! Archives (`@<tai64n>.s`/`.u`): their names, which of them trimming
//! removes, and the trimming itself.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use tai64::Label;

use crate::pause::retry;

/// Names archives so that a new one always sorts after every existing one,
/// even after the wall clock steps back (daemontools would name it earlier,
/// and trimming would then delete the newest logs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Namer {
    newest: Option<Label>,
}

impl Namer {
    /// Takes an existing directory entry into account (`@` + 24 hex digits ...).
    pub fn saw(&mut self, name: &[u8]) {
        if let Some(label) = parse_archive_name(name) {
            self.newest = Some(self.newest.map_or(label, |n| n.max(label)));
        }
    }

    /// The label for an archive made at `now`: `now`, or 1 ns after the newest.
    pub fn next(&mut self, now: Label) -> Label {
        let label = match self.newest {
            Some(newest) if now <= newest => successor(newest),
            _ => now,
        };
        self.newest = Some(label);
        label
    }
}

fn successor(l: Label) -> Label {
    if l.nanos >= 999_999_999 {
        Label { secs: l.secs.wrapping_add(1), nanos: 0 }
    } else {
        Label { secs: l.secs, nanos: l.nanos + 1 }
    }
}

/// The label of an archive name `@<24 hex>...`.
pub fn parse_archive_name(name: &[u8]) -> Option<Label> {
    if name.first() != Some(&b'@') || name.len() < 25 {
        return None;
    }
    Label::parse_hex(&name[1..25])
}

/// `@<label>.<code>`, the name of an archive.
pub fn archive_name(label: Label, code: u8) -> [u8; 27] {
    let mut name = [0u8; 27];
    name[..25].copy_from_slice(&label.to_hex());
    name[25] = b'.';
    name[26] = code;
    name
}

/// The entries trimming removes so that at most `num - 1` archives remain
/// (with `current`, `num` files): those starting with `@` and at least 25
/// bytes long, oldest (smallest first 25 bytes) first, as daemontools counts.
pub fn excess(mut names: Vec<Vec<u8>>, num: u64) -> Vec<Vec<u8>> {
    names.retain(|n| n.first() == Some(&b'@') && n.len() >= 25);
    let keep = num.saturating_sub(1) as usize;
    if names.len() <= keep {
        return Vec::new();
    }
    names.sort_by(|a, b| a.first_chunk::<25>().cmp(&b.first_chunk::<25>()).then(a.cmp(b)));
    names.truncate(names.len() - keep);
    names
}

/// Removes the oldest archives until at most `num - 1` remain.
pub fn trim(dir: &Path, num: u64) {
    let names = retry(
        || fs::read_dir(dir)?.map(|e| e.map(|e| e.file_name().as_bytes().to_vec())).collect::<io::Result<Vec<_>>>(),
        &[b"unable to read ", dir.as_os_str().as_bytes()],
    );
    for old in excess(names, num) {
        let _ = fs::remove_file(dir.join(OsStr::from_bytes(&old)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_never_go_backwards() {
        let mut n = Namer::default();
        let t = Label::from_unix(2_000_000_000, 0);
        assert_eq!(n.next(t), t);
        // Clock stepped back an hour: still after the newest.
        let back = Label::from_unix(2_000_000_000 - 3600, 0);
        let l = n.next(back);
        assert!(l > t);
        assert_eq!(l, Label { secs: t.secs, nanos: t.nanos + 1 });
        // Same instant again.
        assert!(n.next(back) > l);
        // Forward again: the clock wins.
        let later = Label::from_unix(2_000_000_100, 0);
        assert_eq!(n.next(later), later);
    }

    #[test]
    fn namer_starts_after_existing_archives() {
        let mut n = Namer::default();
        let future = Label::from_unix(2_100_000_000, 5);
        n.saw(&archive_name(future, b's'));
        n.saw(b"current");
        n.saw(b"@short");
        assert!(n.next(Label::from_unix(2_000_000_000, 0)) > future);
        let carry = Label { secs: 7, nanos: 999_999_999 };
        let mut n = Namer::default();
        n.saw(&archive_name(carry, b'u'));
        assert_eq!(n.next(Label { secs: 1, nanos: 0 }), Label { secs: 8, nanos: 0 });
    }

    #[test]
    fn trimming_keeps_num_minus_one_archives() {
        let names: Vec<Vec<u8>> = [
            "@400000006b0000030000000a.s",
            "@400000006b0000010000000a.u",
            "current",
            "state",
            "@400000006b0000020000000a.s",
            "@x",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        assert!(excess(names.clone(), 4).is_empty());
        assert_eq!(excess(names.clone(), 3), vec![b"@400000006b0000010000000a.u".to_vec()]);
        assert_eq!(excess(names, 2).len(), 2);
    }
}
