//! svscanboot: start svscan on the service directory with its output shown
//! by readproctitle, as daemontools' svscanboot script does from inittab.
//!
//! The directory and the PATH the programs are found on come from the
//! environment (`SVSCANBOOT_DIR`, `SVSCANBOOT_PATH`), defaulting to Debian's.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chainload::process;
use strerr::{errstr, EXIT_SYSTEM};

const DEFAULT_DIR: &str = "/etc/service";
const DEFAULT_PATH: &str = "/command:/usr/local/bin:/usr/local/sbin:/bin:/sbin:/usr/bin:/usr/sbin:/usr/X11R6/bin";
/// readproctitle's display: 400 dots, as in daemontools.
const DOTS: usize = 400;

pub fn main(_args: &[&OsStr]) -> u8 {
    let dir = PathBuf::from(std::env::var_os("SVSCANBOOT_DIR").unwrap_or_else(|| DEFAULT_DIR.into()));
    let path = std::env::var_os("SVSCANBOOT_PATH").unwrap_or_else(|| DEFAULT_PATH.into());
    if let Err(e) = detach_stdio() {
        return strerr::die(EXIT_SYSTEM, &[b"unable to redirect to /dev/null: ", errstr(&e).as_bytes()]);
    }
    // The script ignores svc's exit status; so do we.
    let _ = Command::new("svc").arg("-dx").args(stop_targets(&dir)).env("PATH", &path).status();
    let (read_end, write_end) = match process::pipe() {
        Ok(p) => p,
        Err(e) => return strerr::die(EXIT_SYSTEM, &[b"unable to create pipe: ", errstr(&e).as_bytes()]),
    };
    let second_writer = match write_end.try_clone() {
        Ok(w) => w,
        Err(e) => return strerr::die(EXIT_SYSTEM, &[b"unable to create pipe: ", errstr(&e).as_bytes()]),
    };
    let svscan = Command::new("svscan")
        .arg(&dir)
        .env_clear()
        .env("PATH", &path)
        .stdout(Stdio::from(write_end))
        .stderr(Stdio::from(second_writer))
        .spawn();
    let title = Command::new("readproctitle")
        .args(["service", "errors:", &".".repeat(DOTS)])
        .env_clear()
        .env("PATH", &path)
        .stdin(Stdio::from(read_end))
        .spawn();
    // Like `sh`, wait for both ends of the pipeline; the status is the last one's.
    if let Ok(mut svscan) = svscan {
        let _ = svscan.wait();
    }
    match title.and_then(|mut t| t.wait()) {
        Ok(status) => status.code().unwrap_or(i32::from(EXIT_SYSTEM)) as u8,
        Err(_) => EXIT_SYSTEM,
    }
}

/// stdin, stdout and stderr from and to /dev/null.
fn detach_stdio() -> std::io::Result<()> {
    let null = File::options().read(true).write(true).open("/dev/null")?;
    for fd in 0..3 {
        process::dup2(null.as_raw_fd(), fd)?;
    }
    Ok(())
}

/// What `sh` makes of `DIR/* DIR/*/log`: the non-dot entries, sorted, then
/// those with a `log` inside; a pattern matching nothing stays as it is.
fn stop_targets(dir: &Path) -> Vec<PathBuf> {
    let mut names: Vec<OsString> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.as_bytes().first() != Some(&b'.'))
        .collect();
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    let services: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    let logs: Vec<PathBuf> = services.iter().map(|s| s.join("log")).filter(|l| l.symlink_metadata().is_ok()).collect();
    let or_pattern = |found: Vec<PathBuf>, pattern: &str| {
        if found.is_empty() {
            vec![dir.join(OsStr::new(pattern))]
        } else {
            found
        }
    };
    let mut targets = or_pattern(services, "*");
    targets.extend(or_pattern(logs, "*/log"));
    targets
}
