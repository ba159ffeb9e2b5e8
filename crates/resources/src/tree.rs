//! Which services to show: the directories named, or the scan directory.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The scan directory when none is named and `$SVDIR` is unset.
pub const DEFAULT_SCAN_DIR: &[u8] = b"/etc/service";

/// One service to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEntry {
    /// As shown: a service directory named on the command line as given,
    /// a scan directory's service by its entry's name, a log service as
    /// `NAME/log`.
    pub name: Vec<u8>,
    /// The directory, as it can be opened (relative paths stay relative).
    pub path: Vec<u8>,
    /// Why it could not be examined (`unable to read directory: access
    /// denied`); the other entries are still listed.
    pub error: Option<String>,
}

impl ServiceEntry {
    fn at(name: Vec<u8>, path: Vec<u8>) -> ServiceEntry {
        ServiceEntry { name, path, error: None }
    }
}

/// The services in `args`, in order: each argument is a service directory
/// (it holds `run` or `supervise/`) or a scan directory (its subdirectories
/// whose names do not start with `.`, symlinks followed as svscan does,
/// sorted by name). A service's `log/` subdirectory follows it as
/// `NAME/log`. No argument: `$SVDIR` if set, else [`DEFAULT_SCAN_DIR`].
pub fn services(args: &[&[u8]]) -> Vec<ServiceEntry> {
    let svdir = std::env::var_os("SVDIR").filter(|d| !d.is_empty());
    let default = [svdir.as_ref().map_or(DEFAULT_SCAN_DIR, |d| d.as_bytes())];
    let args = if args.is_empty() { &default[..] } else { args };
    let mut out = Vec::new();
    for &arg in args {
        let path = Path::new(std::ffi::OsStr::from_bytes(arg));
        match fs::metadata(path) {
            Err(e) => out.push(failed(arg.to_vec(), arg.to_vec(), "unable to stat", &e)),
            Ok(m) if !m.is_dir() => out.push(ServiceEntry {
                error: Some("not a directory".to_string()),
                ..ServiceEntry::at(arg.to_vec(), arg.to_vec())
            }),
            Ok(_) if is_service(path) => with_log(arg.to_vec(), arg.to_vec(), &mut out),
            Ok(_) => scan(arg, &mut out),
        }
    }
    out
}

/// A directory svscan would supervise: it has `run`, or a supervisor has
/// been there (`supervise/`).
fn is_service(path: &Path) -> bool {
    path.join("run").exists() || path.join("supervise").is_dir()
}

/// The entry for `path`, then its `log` service if it has a `log/` directory.
fn with_log(name: Vec<u8>, path: Vec<u8>, out: &mut Vec<ServiceEntry>) {
    let log = [path.as_slice(), b"/log"].concat();
    let has_log = Path::new(std::ffi::OsStr::from_bytes(&log)).is_dir();
    let log_name = [name.as_slice(), b"/log"].concat();
    out.push(ServiceEntry::at(name, path));
    if has_log {
        out.push(ServiceEntry::at(log_name, log));
    }
}

/// The services of the scan directory `dir`.
fn scan(dir: &[u8], out: &mut Vec<ServiceEntry>) {
    let listing = match fs::read_dir(std::ffi::OsStr::from_bytes(dir)) {
        Ok(l) => l,
        Err(e) => return out.push(failed(dir.to_vec(), dir.to_vec(), "unable to read directory", &e)),
    };
    // Each name with whether the listing says it is a directory (no
    // symlink): only the others are stat'ed.
    let mut names: Vec<(Vec<u8>, bool)> = Vec::new();
    for entry in listing {
        match entry {
            Ok(e) if !e.file_name().as_bytes().starts_with(b".") => {
                let dir = e.file_type().is_ok_and(|t| t.is_dir());
                names.push((e.file_name().as_bytes().to_vec(), dir));
            }
            Ok(_) => {}
            Err(e) => return out.push(failed(dir.to_vec(), dir.to_vec(), "unable to read directory", &e)),
        }
    }
    names.sort();
    let base = dir.strip_suffix(b"/").filter(|b| !b.is_empty()).unwrap_or(dir);
    for (name, is_dir) in names {
        let path = [base, b"/", &name].concat();
        if is_dir {
            with_log(name, path, out);
            continue;
        }
        match fs::metadata(std::ffi::OsStr::from_bytes(&path)) {
            Ok(m) if m.is_dir() => with_log(name, path, out),
            Ok(_) => {}
            Err(e) => out.push(failed(name, path, "unable to stat", &e)),
        }
    }
}

fn failed(name: Vec<u8>, path: Vec<u8>, what: &str, e: &std::io::Error) -> ServiceEntry {
    ServiceEntry { error: Some(format!("{what}: {}", strerr::errstr(e))), ..ServiceEntry::at(name, path) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn names(entries: &[ServiceEntry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| {
                let n = String::from_utf8_lossy(&e.name).into_owned();
                e.error.as_ref().map_or(n.clone(), |why| format!("{n}: {why}"))
            })
            .collect()
    }

    #[test]
    fn scan_directory_and_service_directories() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        for dir in ["scan/b/log", "scan/a", "scan/.hidden", "elsewhere/c", "scan/d/supervise"] {
            fs::create_dir_all(root.join(dir)).unwrap();
        }
        fs::write(root.join("scan/b/run"), "").unwrap();
        fs::write(root.join("scan/file"), "").unwrap();
        symlink(root.join("elsewhere/c"), root.join("scan/c")).unwrap();
        symlink(root.join("nowhere"), root.join("scan/dangling")).unwrap();
        let scan = root.join("scan");
        let scan = scan.as_os_str().as_bytes();
        let found = services(&[scan]);
        assert_eq!(names(&found), ["a", "b", "b/log", "c", "d", "dangling: unable to stat: file does not exist"]);
        assert_eq!(found[1].path, [scan, b"/b"].concat());
        // A service directory named as given, with its log.
        let b = [scan, b"/b"].concat();
        let d_dir = [scan, b"/d"].concat();
        let found = services(&[&b, &d_dir, b"/nonexistent/x"]);
        let want_b = String::from_utf8_lossy(&b).into_owned();
        let want_d = String::from_utf8_lossy(&d_dir).into_owned();
        assert_eq!(
            names(&found),
            [
                want_b.clone(),
                format!("{want_b}/log"),
                want_d,
                "/nonexistent/x: unable to stat: file does not exist".to_string()
            ]
        );
    }
}
