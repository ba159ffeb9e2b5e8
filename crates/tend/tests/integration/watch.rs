//! `tend watch` on services run by our supervise, with a short interval
//! and small thresholds given by the services' files: a CPU burner in a
//! child of the run script, a memory hog, a crash loop, the hook's
//! arguments and environment, a hook that hangs, garbage in a threshold
//! file. Every test waits for the event line it asserts.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::supervise::{service, start, wait_up};
use crate::util::{gone, signal, wait_for, wait_for_line, wait_until, Sandbox, PATIENCE};

/// Starts `tend watch -i 0.2 ARGS...` (a later `-i` wins) with stdout in `watch.out` and
/// stderr in `watch.err` (both in the sandbox).
fn start_watch(sb: &mut Sandbox, args: &[&str]) {
    let mut cmd = sb.tend("watch");
    cmd.args(["-i", "0.2"]).args(args);
    cmd.stdin(Stdio::null())
        .stdout(fs::File::create(sb.join("watch.out")).unwrap())
        .stderr(fs::File::create(sb.join("watch.err")).unwrap());
    sb.spawn(cmd);
}

fn read(p: PathBuf) -> String {
    fs::read_to_string(p).unwrap_or_default()
}

/// Waits until `file` (in the sandbox) has a whole line holding `needle`;
/// returns that line.
fn wait_line(sb: &Sandbox, file: &str, needle: &str) -> String {
    let path = sb.join(file);
    let find = || read(path.clone()).lines().find(|l| l.contains(needle)).map(String::from);
    let found = wait_until(PATIENCE, || find().is_some());
    assert!(
        found,
        "no line with {needle:?} in {file}:\n{}\nstderr:\n{}",
        read(path.clone()),
        read(sb.join("watch.err"))
    );
    find().unwrap()
}

fn count(sb: &Sandbox, file: &str, needle: &str) -> usize {
    read(sb.join(file)).lines().filter(|l| l.contains(needle)).count()
}

/// Replaces `dir/name` at once (a run script being swapped while supervise may exec it).
fn replace_script(dir: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let new = dir.join(format!("{name}.new"));
    fs::write(&new, body).unwrap();
    fs::set_permissions(&new, fs::Permissions::from_mode(0o755)).unwrap();
    fs::rename(new, dir.join(name)).unwrap();
}

#[test]
fn a_cpu_burner_in_a_child_is_named_once_and_its_end_recovers() {
    let mut sb = Sandbox::new();
    let dir = service(
        &sb,
        "burn",
        "( while :; do :; done ) &\necho $! > burner.new && mv burner.new burner\nexec sleep 1000",
    );
    // A loaded machine may give the burner little of a core: the threshold is low.
    fs::write(dir.join("cpu-alert"), "1% 1s\n").unwrap();
    start(&mut sb, "burn");
    wait_up(&sb, "burn");
    let burner: u32 = wait_for_line(&dir.join("burner")).trim().parse().unwrap();
    // Samples a second apart: 1 % is 10 ms of CPU, which a busy loop gets
    // in any second, however loaded the machine (a cool interval would
    // end the alert early and start another).
    start_watch(&mut sb, &["-i", "1", "burn"]);
    let line = wait_line(&sb, "watch.out", "burn: runaway: ");
    assert!(line.contains(&format!("(busiest: pid {burner} at ")), "the child is named: {line}");
    signal(burner, libc::SIGKILL);
    wait_line(&sb, "watch.out", "burn: recovered: runaway");
    assert_eq!(count(&sb, "watch.out", "runaway"), 2, "one event, one recovery:\n{}", read(sb.join("watch.out")));
}

/// The resident size in a `memory-high` line, in MiB.
fn resident_mib(line: &str) -> f64 {
    let after = line.split("resident ").nth(1).unwrap();
    let figure = after.split(',').next().unwrap();
    let (n, unit) = figure.split_at(figure.len() - 1);
    assert!(!n.is_empty(), "{line}");
    let n: f64 = n.parse().unwrap();
    match unit {
        "M" => n,
        "G" => n * 1024.0,
        _ => panic!("unexpected size {figure} in {line}"),
    }
}

#[test]
fn a_memory_hog_crosses_its_memory_alert() {
    let mut sb = Sandbox::new();
    // The watcher starts once the 200 MB are written (`ready`), so that its
    // first sample above the limit sees them all.
    let dir = service(
        &sb,
        "hog",
        "exec perl -e '$x = \"x\" x (200 * 1024 * 1024); open(F, \">ready.new\"); close F; \
         rename(\"ready.new\", \"ready\"); sleep 1000'",
    );
    fs::write(dir.join("memory-alert"), "100M\n").unwrap();
    start(&mut sb, "hog");
    wait_up(&sb, "hog");
    wait_for("the hog's 200 MB", || dir.join("ready").exists());
    start_watch(&mut sb, &["hog"]);
    let line = wait_line(&sb, "watch.out", "hog: memory-high: ");
    assert!(line.ends_with("at or above 100M"), "{line}");
    assert!(resident_mib(&line) >= 200.0, "{line}");
}

#[test]
fn a_crash_loop_gives_one_event_and_one_recovery_once_fixed() {
    let mut sb = Sandbox::new();
    let dir = service(&sb, "crash", "exit 1");
    fs::write(dir.join("crash-alert"), "3 10s\n").unwrap();
    start(&mut sb, "crash");
    start_watch(&mut sb, &["-d", "off", "crash"]);
    let line = wait_line(&sb, "watch.out", "crash: crash-loop: ");
    assert!(line.contains(" restarts within 10s (last exit 1)"), "{line}");
    replace_script(&dir, "run", "#!/bin/sh\nexec sleep 1000\n");
    wait_line(&sb, "watch.out", "crash: recovered: crash-loop");
    let out = read(sb.join("watch.out"));
    assert_eq!(count(&sb, "watch.out", "crash-loop"), 2, "one event, one recovery:\n{out}");
}

/// A service that exits at once, whose first restart is an event.
fn crashing(sb: &mut Sandbox, name: &str) -> PathBuf {
    let dir = service(sb, name, "exit 1");
    fs::write(dir.join("crash-alert"), "1 1m\n").unwrap();
    start(sb, name);
    dir
}

#[test]
fn the_hook_gets_the_event_as_arguments_and_environment() {
    let mut sb = Sandbox::new();
    crashing(&mut sb, "s");
    let hook = sb.script(
        "hook",
        "#!/bin/sh\n{ printf '%s|' \"$#\" \"$@\"; echo; env | grep ^TEND_ | grep -v TEND_TEST | sort; } > hook.new \
         && mv hook.new hook.out\n",
    );
    start_watch(&mut sb, &["-H", hook.to_str().unwrap(), "s"]);
    let line = wait_line(&sb, "watch.out", "s: crash-loop: ");
    let detail = line.strip_prefix("s: crash-loop: ").unwrap();
    let got = String::from_utf8(crate::util::wait_for_file_content(&sb.join("hook.out"), |c| {
        c.ends_with(b"\n") && c.windows(10).any(|w| w == b"TEND_LINE=")
    }))
    .unwrap();
    assert_eq!(
        got,
        format!(
            "3|s|crash-loop|{detail}|\nTEND_DETAIL={detail}\nTEND_EVENT=crash-loop\nTEND_LINE={line}\nTEND_SERVICE=s\n"
        )
    );
}

#[test]
fn a_hook_that_hangs_is_killed_after_its_limit_and_reported() {
    let mut sb = Sandbox::new();
    crashing(&mut sb, "s");
    let hook = sb.script("hook", "#!/bin/sh\nsleep 1000 &\necho $! > hook.new && mv hook.new hook.pid\nwait\n");
    start_watch(&mut sb, &["-H", hook.to_str().unwrap(), "-t", "0.5", "s"]);
    let sleeper: u32 = wait_for_line(&sb.join("hook.pid")).trim().parse().unwrap();
    let warning = wait_line(&sb, "watch.err", "for s crash-loop: ");
    assert!(warning.starts_with("watch: warning: hook "), "{warning}");
    assert!(warning.ends_with(" for s crash-loop: killed after 0.5 s, its process group too"), "{warning}");
    assert!(wait_until(PATIENCE, || gone(sleeper)), "the hook's own child is killed with it");
    assert_eq!(count(&sb, "watch.err", "killed after"), 1, "{}", read(sb.join("watch.err")));
}

#[test]
fn a_hook_that_cannot_run_is_reported_with_the_cause() {
    let mut sb = Sandbox::new();
    crashing(&mut sb, "s");
    let hook = sb.join("hook");
    fs::write(&hook, "#!/bin/sh\n").unwrap(); // not executable
    start_watch(&mut sb, &["-H", hook.to_str().unwrap(), "s"]);
    let warning = wait_line(&sb, "watch.err", "for s crash-loop: ");
    assert!(warning.ends_with(" for s crash-loop: unable to run: access denied"), "{warning}");
}

#[test]
fn garbage_in_a_threshold_file_is_warned_about_once_per_content() {
    let mut sb = Sandbox::new();
    let dir = service(&sb, "g", "exit 1");
    fs::write(dir.join("cpu-alert"), "lots\n").unwrap();
    // Two restarts to see: the crash-loop line comes samples after the warning.
    fs::write(dir.join("crash-alert"), "2 1m\n").unwrap();
    start(&mut sb, "g");
    start_watch(&mut sb, &["g"]);
    wait_line(&sb, "watch.out", "g: crash-loop: ");
    let err = read(sb.join("watch.err"));
    // Named as the watcher was given it.
    let file = "g/cpu-alert";
    assert_eq!(
        err,
        format!("watch: warning: {file}: \"lots\" is not a percentage above 0 (like 90%); using the default\n"),
        "once, though read at each sample"
    );
    fs::write(dir.join("cpu-alert"), "90%% 1m\n").unwrap();
    wait_line(&sb, "watch.err", "\"90%%\" is not a percentage");
}

/// A wall-clock step (libfaketime steps the watcher's view of the wall
/// clock back 90 s; monotonic and boot time stay real) is one `clock-step`
/// line of the tree.
#[test]
fn a_clock_step_is_one_line_of_the_tree() {
    let mut sb = Sandbox::new();
    fs::create_dir(sb.join("scan")).unwrap();
    let rc = sb.join("faketime-rc");
    fs::write(&rc, "+0\n").unwrap();
    let mut cmd = sb.tend("watch");
    cmd.args(["-i", "0.2", "scan"])
        .env("LD_PRELOAD", crate::util::require(crate::clock::FAKETIME_LIB, "libfaketime"))
        .env("FAKETIME_TIMESTAMP_FILE", &rc)
        .env("FAKETIME_NO_CACHE", "1")
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .stdin(Stdio::null())
        .stdout(fs::File::create(sb.join("watch.out")).unwrap())
        .stderr(fs::File::create(sb.join("watch.err")).unwrap());
    sb.spawn(cmd);
    wait_line(&sb, "watch.out", "-: start: ");
    fs::write(&rc, "-90s\n").unwrap();
    let line = wait_line(&sb, "watch.out", "-: clock-step: wall clock stepped back by ");
    let by: f64 = line.rsplit("by ").next().unwrap().trim_end_matches(" s").parse().unwrap();
    // A sample read under load may take a while between its two clocks: a second of slack.
    assert!((89.0..91.0).contains(&by), "{line}");
    assert_eq!(count(&sb, "watch.out", "clock-step"), 1, "{}", read(sb.join("watch.out")));
}
