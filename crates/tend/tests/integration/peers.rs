//! The test command leaves the machine's boot as it found it: nothing of the
//! packages `scripts/install-peers` installed for the tests (it lists them in
//! /var/lib/tend/installed-peers) is enabled, neither as a systemd unit, nor
//! as a SysV start link, nor as a runit service in /etc/service.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::require;

const RECORD: &str = "/var/lib/tend/installed-peers";

/// Every file of the packages install-peers installed.
fn files_of_installed_peers() -> HashSet<PathBuf> {
    let record = fs::read_to_string(RECORD)
        .unwrap_or_else(|e| panic!("{RECORD}: {e}: run scripts/install-peers (scripts/test does)"));
    let dpkg = require("dpkg-query", "dpkg");
    let mut files = HashSet::new();
    for package in record.lines().filter(|l| !l.is_empty()) {
        let out = Command::new(&dpkg).args(["-L", package]).output().expect("dpkg-query -L");
        files.extend(String::from_utf8_lossy(&out.stdout).lines().map(PathBuf::from));
    }
    files
}

/// The symlinks in `dir` (and one level of subdirectories, for
/// `*.target.wants`) whose name passes `name_ok`, with their targets.
fn links(dir: &str, depth: usize, name_ok: &dyn Fn(&str) -> bool) -> Vec<(PathBuf, PathBuf)> {
    let mut found = Vec::new();
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if let Ok(target) = fs::read_link(&path) {
            if name_ok(&name) {
                found.push((path.clone(), Path::new(dir).join(target)));
            }
        } else if depth > 0 && path.is_dir() {
            found.extend(links(&path.to_string_lossy(), depth - 1, name_ok));
        }
    }
    found
}

#[test]
fn packages_installed_for_the_tests_enable_nothing() {
    let ours = files_of_installed_peers();
    let owned = |target: &Path| {
        // `/lib` may be a symlink to `/usr/lib` (merged /usr): compare both spellings.
        let canonical = target.canonicalize().unwrap_or_else(|_| target.to_path_buf());
        ours.iter().any(|f| f == target || f.canonicalize().is_ok_and(|c| c == canonical))
    };
    let mut enabled = Vec::new();
    let everything = |_: &str| true;
    for (link, target) in links("/etc/systemd/system", 1, &everything) {
        if owned(&target) {
            enabled.push(format!("systemd: {} -> {}", link.display(), target.display()));
        }
    }
    for level in ["2", "3", "4", "5", "S"] {
        for (link, target) in links(&format!("/etc/rc{level}.d"), 0, &|n| n.starts_with('S')) {
            if owned(&target) {
                enabled.push(format!("SysV: {} -> {}", link.display(), target.display()));
            }
        }
    }
    for dir in ["/etc/service", "/etc/runit/runsvdir/default"] {
        for (link, target) in links(&format!("{dir}/"), 0, &|n| !n.starts_with('.')) {
            if ours.contains(&target.join("run")) || owned(&target) {
                enabled.push(format!("runit: {} -> {}", link.display(), target.display()));
            }
        }
    }
    assert!(
        enabled.is_empty(),
        "enabled by packages installed for the tests (run scripts/install-peers): {enabled:#?}"
    );
}
