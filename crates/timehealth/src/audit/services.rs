//! The services that cannot bear a backward step: the supervised services
//! of the scan directory without a `clock-step-restart` file (or with 0 in
//! it), whose daemons see the wall clock go back as it happens.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The names of the services in `scan` (log services left out) that have
/// no `clock-step-restart`, or why the directory cannot be read.
pub fn without_step_restart(scan: &Path) -> Result<Vec<String>, String> {
    let entries = resources::services(&[scan.as_os_str().as_bytes()]);
    if let [only] = entries.as_slice() {
        if let Some(e) = &only.error {
            return Err(format!("{}: {e}", scan.display()));
        }
    }
    let mut names = Vec::new();
    for e in entries.iter().filter(|e| e.error.is_none() && !e.name.ends_with(b"/log")) {
        let dir = Path::new(std::ffi::OsStr::from_bytes(&e.path));
        let setting = crate::files::read(&dir.join("clock-step-restart")).ok();
        let on = setting.and_then(|s| s.trim().parse::<u64>().ok()).is_some_and(|ms| ms > 0);
        if !on {
            names.push(String::from_utf8_lossy(&e.name).into_owned());
        }
    }
    Ok(names)
}
