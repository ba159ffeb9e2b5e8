//! readproctitle's display: the tail of a stream shown in the process's own
//! last argument, where `ps` and /proc/PID/cmdline read it.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;

/// The bytes of the last argument: three dots, then a window holding the
/// latest non-NUL input bytes, as daemontools' readproctitle keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title {
    bytes: Vec<u8>,
}

/// Bytes at the start of the title that never scroll.
const FIXED: usize = 3;

impl Title {
    /// A title of `len` dots; `None` if shorter than 5 bytes (daemontools refuses those).
    pub fn new(len: usize) -> Option<Title> {
        (len >= 5).then(|| Title { bytes: vec![b'.'; len] })
    }

    /// Appends `input`'s non-NUL bytes, scrolling the older ones out to the left.
    pub fn push(&mut self, input: &[u8]) {
        let window = &mut self.bytes[FIXED..];
        let width = window.len();
        let new: Vec<u8> = input.iter().copied().filter(|&c| c != 0).collect();
        let new = &new[new.len().saturating_sub(width)..];
        window.copy_within(new.len().., 0);
        window[width - new.len()..].copy_from_slice(new);
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// Where this process's last argument lives in its memory, found through
/// /proc/self/stat's `arg_end` (Rust copies the arguments at start, so their
/// addresses in std are not the ones `ps` reads), and written through /proc/self/mem.
pub struct LastArgument {
    mem: File,
    address: u64,
    len: usize,
}

impl LastArgument {
    /// Finds `current` (the last argument's bytes) at the end of the argument area.
    pub fn locate(current: &[u8]) -> io::Result<LastArgument> {
        let stat = fs::read("/proc/self/stat")?;
        let arg_end =
            arg_end(&stat).ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad /proc/self/stat"))?;
        let address = arg_end
            .checked_sub(current.len() as u64 + 1)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "argument area too small"))?;
        let mem = OpenOptions::new().read(true).write(true).open("/proc/self/mem")?;
        let mut seen = vec![0; current.len() + 1];
        mem.read_exact_at(&mut seen, address)?;
        if seen[..current.len()] != *current || seen[current.len()] != 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "last argument not found at the end of the argument area",
            ));
        }
        Ok(LastArgument { mem, address, len: current.len() })
    }

    /// Overwrites the argument with `title` (cut to the argument's length).
    pub fn show(&self, title: &Title) -> io::Result<()> {
        let bytes = title.as_bytes();
        self.mem.write_all_at(&bytes[..bytes.len().min(self.len)], self.address)
    }
}

/// Field 49 (`arg_end`) of /proc/PID/stat; fields are counted after the
/// command name, which may itself contain spaces and parentheses.
fn arg_end(stat: &[u8]) -> Option<u64> {
    let after = stat.iter().rposition(|&c| c == b')')?;
    let field = stat[after + 1..].split(|&c| c == b' ').filter(|f| !f.is_empty()).nth(49 - 3)?;
    std::str::from_utf8(field).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_short_titles_are_refused() {
        assert!(Title::new(4).is_none());
        assert_eq!(Title::new(5).unwrap().as_bytes(), b".....");
    }

    #[test]
    fn input_scrolls_in_from_the_right_behind_three_dots() {
        let mut t = Title::new(10).unwrap();
        t.push(b"XY\0Z");
        assert_eq!(t.as_bytes(), b".......XYZ");
        t.push(b"abcdefghijkl");
        assert_eq!(t.as_bytes(), b"...fghijkl");
        t.push(b"1");
        assert_eq!(t.as_bytes(), b"...ghijkl1");
    }

    #[test]
    fn chunks_give_what_single_bytes_give() {
        let input = b"one\ntwo\0three four five six";
        let mut whole = Title::new(12).unwrap();
        whole.push(input);
        let mut bytewise = Title::new(12).unwrap();
        for b in input {
            bytewise.push(std::slice::from_ref(b));
        }
        assert_eq!(whole, bytewise);
    }

    #[test]
    fn finds_arg_end_after_a_command_with_spaces() {
        let mut stat = b"12 (a b) c) S".to_vec();
        for i in 4..=52 {
            stat.extend_from_slice(format!(" {i}").as_bytes());
        }
        assert_eq!(arg_end(&stat), Some(49));
    }

    #[test]
    fn shows_the_title_in_this_process_arguments() {
        let last = std::env::args_os().last().unwrap();
        let arg = LastArgument::locate(last.as_encoded_bytes()).unwrap();
        let title = Title { bytes: last.as_encoded_bytes().to_vec() };
        arg.show(&title).unwrap();
    }
}
