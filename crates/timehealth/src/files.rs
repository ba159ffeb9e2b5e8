//! Configuration files read without trusting them: only regular files (a
//! FIFO where a file is expected would block the reader for ever, a
//! directory is no text), at most [`MAX_BYTES`] (a runaway log or a disk
//! image named by mistake is refused, not loaded), invalid UTF-8 kept as
//! replacement characters (binary garbage parses as nothing).

use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest configuration file read: 1 MiB (Debian's chrony.conf is 2 KiB).
pub const MAX_BYTES: u64 = 1 << 20;

/// The text of `path`, or why it cannot be had, worded for people.
pub fn read(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| strerr::errstr(&e).to_string())?;
    if meta.is_dir() {
        return Err("is a directory".into());
    }
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| strerr::errstr(&e).to_string())?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!("larger than {MAX_BYTES} bytes, not read"));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `path` as seen from `root`: an absolute path of the audited system
/// (`/etc/chrony/conf.d`) is looked for under `root`.
pub fn under(root: &Path, path: &Path) -> PathBuf {
    match path.strip_prefix("/") {
        Ok(rel) => root.join(rel),
        Err(_) => path.to_path_buf(),
    }
}

/// The regular files of `dir` whose names end with `suffix` (any when
/// empty), sorted, names starting with `.` left out.
pub fn listed(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| !n.starts_with('.') && n.ends_with(suffix)))
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_fifos_huge_files_and_garbage() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(read(d.path()), Err("is a directory".into()));
        let fifo = d.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert_eq!(read(&fifo), Err("not a regular file".into()), "never opened: it would block");
        let big = d.path().join("big");
        std::fs::write(&big, vec![b'#'; MAX_BYTES as usize + 1]).unwrap();
        assert_eq!(read(&big), Err("larger than 1048576 bytes, not read".into()));
        std::fs::write(&big, vec![b'#'; MAX_BYTES as usize]).unwrap();
        assert_eq!(read(&big).unwrap().len(), MAX_BYTES as usize);
        let junk = d.path().join("junk");
        std::fs::write(&junk, [0u8, 0xff, 0xfe, b'\n', b'x']).unwrap();
        assert_eq!(read(&junk).unwrap(), "\0\u{fffd}\u{fffd}\nx");
        assert!(read(&d.path().join("absent")).unwrap_err().contains("does not exist"));
        assert_eq!(under(Path::new("/r"), Path::new("/etc/x")), PathBuf::from("/r/etc/x"));
        assert_eq!(under(Path::new("/"), Path::new("/etc/x")), PathBuf::from("/etc/x"));
    }
}
