//! Running a log directory's processor, as daemontools 0.76 does: `sh -c
//! PROCESSOR` in the directory with stdin `previous`, stdout `processed`,
//! fd 4 `state` and fd 5 `newstate`, rerun every 5 seconds until it exits 0;
//! then `processed` and `newstate` are synced and `newstate` becomes `state`.

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::Command;

use crate::pause::{give_up, pause_or_give_up, retry, stopping, wait, PAUSE};

/// Runs the processor on `dir/previous` until it succeeds, leaving
/// `processed` (0744, synced) and the new `state` in place.
pub fn run(dir: &Path, command: &[u8]) {
    let name = dir.as_os_str().as_bytes();
    loop {
        match attempt(dir, command) {
            Ok(status) if status.success() => break,
            Ok(status) => match status.signal() {
                Some(sig) => {
                    pause_or_give_up(&[b"processor crashed in ", name], &io::Error::other(format!("signal {sig}")))
                }
                None => {
                    if stopping() {
                        give_up(&[b"processor failed in ", name], &io::Error::other("exit status not 0"));
                    }
                    strerr::warn(&[b"processor failed in ", name, b", pausing"]);
                    wait(PAUSE);
                }
            },
            Err(e) => pause_or_give_up(&[b"unable to run processor in ", name], &e),
        }
    }
    let open = |file: &str| OpenOptions::new().append(true).create(true).mode(0o644).open(dir.join(file));
    let processed = retry(|| open("processed"), &[b"unable to create ", name, b"/processed"]);
    retry(|| processed.sync_all(), &[b"unable to write ", name, b"/processed to disk"]);
    retry(
        || processed.set_permissions(fs::Permissions::from_mode(0o744)),
        &[b"unable to set mode of ", name, b"/processed"],
    );
    let newstate = retry(|| open("newstate"), &[b"unable to create ", name, b"/newstate"]);
    retry(|| newstate.sync_all(), &[b"unable to write ", name, b"/newstate to disk"]);
    retry(|| fs::remove_file(dir.join("previous")), &[b"unable to remove ", name, b"/previous"]);
    retry(
        || fs::rename(dir.join("newstate"), dir.join("state")),
        &[b"unable to rename newstate to state in directory ", name],
    );
}

fn attempt(dir: &Path, command: &[u8]) -> io::Result<std::process::ExitStatus> {
    let trunc =
        |file: &str| OpenOptions::new().write(true).create(true).truncate(true).mode(0o644).open(dir.join(file));
    let previous = File::open(dir.join("previous"))?;
    let processed = trunc("processed")?;
    let state = File::open(dir.join("state"))?;
    let newstate = trunc("newstate")?;
    let mut cmd = Command::new("/bin/sh");
    cmd.arg0("sh").arg("-c").arg(OsStr::from_bytes(command)).current_dir(dir).stdin(previous).stdout(processed);
    unix::process::map_fds_4_5(&mut cmd, state.as_raw_fd(), newstate.as_raw_fd());
    // std resets the signal mask in the child, so TERM and ALRM reach it.
    cmd.status()
}
