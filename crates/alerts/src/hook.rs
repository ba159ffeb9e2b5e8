//! The tree-wide hook: a program run once per event, with the event as its
//! arguments (`SERVICE EVENT DETAIL`) and in its environment (`TEND_SERVICE`,
//! `TEND_EVENT`, `TEND_DETAIL`, `TEND_LINE`), in a process group of its
//! own, its stdin /dev/null and its stdout on the watcher's stderr (the
//! log). At most [`Hooks::at_once`] run at a time, the others wait in a
//! queue (bounded: beyond it an event's hook is dropped, with a warning);
//! one that runs past its time limit is killed, its whole group. Nothing
//! here waits: the watcher calls [`Hooks::tend`] when a child ended (its
//! SIGCHLD) or a deadline came, between samples.

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::event::Event;

/// Events waiting for a free slot; more are dropped.
const QUEUE: usize = 256;

struct Running {
    child: Child,
    deadline: Duration,
    killed: bool,
    event: Event,
}

/// The hook program and the hooks running now.
pub struct Hooks {
    program: PathBuf,
    limit: Duration,
    at_once: usize,
    running: Vec<Running>,
    queue: VecDeque<Event>,
}

impl Hooks {
    pub fn new(program: PathBuf, limit: Duration, at_once: usize) -> Hooks {
        Hooks { program, limit, at_once: at_once.max(1), running: Vec::new(), queue: VecDeque::new() }
    }

    /// Runs the hook for `event` now, or later when too many run. Returns
    /// warnings (the hook could not start, or was dropped).
    pub fn submit(&mut self, event: Event, now: Duration) -> Vec<Vec<u8>> {
        if self.queue.len() >= QUEUE {
            return vec![self.about(&event, b"dropped: too many hooks waiting")];
        }
        self.queue.push_back(event);
        self.start_queued(now)
    }

    /// Reaps the hooks that ended, kills those past their deadline, starts
    /// queued ones; warnings for each hook that failed, once per event.
    pub fn tend(&mut self, now: Duration) -> Vec<Vec<u8>> {
        let mut warnings = Vec::new();
        let mut i = 0;
        while let Some(r) = self.running.get_mut(i) {
            match r.child.try_wait() {
                Ok(Some(status)) => {
                    let r = self.running.swap_remove(i);
                    let why = if r.killed {
                        Some(format!("killed after {} s, its process group too", self.limit.as_secs_f64()))
                    } else if let Some(code) = status.code().filter(|c| *c != 0) {
                        Some(format!("exited {code}"))
                    } else {
                        status.signal().map(|s| format!("killed by signal {s}"))
                    };
                    if let Some(why) = why {
                        warnings.push(self.about(&r.event, why.as_bytes()));
                    }
                    // Whatever it left in its group goes with it.
                    unix::process::kill(-(r.child.id() as libc::pid_t), libc::SIGKILL);
                    continue;
                }
                Ok(None) if now >= r.deadline && !r.killed => {
                    unix::process::kill(-(r.child.id() as libc::pid_t), libc::SIGKILL);
                    r.killed = true;
                }
                _ => {}
            }
            i += 1;
        }
        warnings.extend(self.start_queued(now));
        warnings
    }

    /// When [`Hooks::tend`] must be called at the latest (a deadline).
    pub fn next_deadline(&self) -> Option<Duration> {
        self.running.iter().filter(|r| !r.killed).map(|r| r.deadline).min()
    }

    /// Hooks running or waiting.
    pub fn busy(&self) -> usize {
        self.running.len() + self.queue.len()
    }

    fn start_queued(&mut self, now: Duration) -> Vec<Vec<u8>> {
        let mut warnings = Vec::new();
        while self.running.len() < self.at_once {
            let Some(event) = self.queue.pop_front() else { break };
            match self.spawn(&event) {
                Ok(child) => self.running.push(Running { child, deadline: now + self.limit, killed: false, event }),
                Err(e) => {
                    warnings.push(self.about(&event, format!("unable to run: {}", strerr::errstr(&e)).as_bytes()))
                }
            }
        }
        warnings
    }

    fn spawn(&self, event: &Event) -> std::io::Result<Child> {
        let service = OsStr::from_bytes(&event.service);
        let detail = event.detail();
        let mut cmd = Command::new(&self.program);
        cmd.arg(service).arg(event.word()).arg(&detail);
        cmd.env("TEND_SERVICE", service)
            .env("TEND_EVENT", event.word())
            .env("TEND_DETAIL", &detail)
            .env("TEND_LINE", OsStr::from_bytes(&event.line()));
        let log = std::io::stderr().as_fd().try_clone_to_owned()?;
        cmd.stdin(Stdio::null()).stdout(log).process_group(0);
        // A hook just written may still be open for writing in a process
        // forked meanwhile (ETXTBSY, "text file busy"): it is tried twice more.
        let mut tries = 0;
        loop {
            match cmd.spawn() {
                Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 2 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                r => return r,
            }
        }
    }

    /// `hook PROGRAM for SERVICE EVENT: WHY`.
    fn about(&self, event: &Event, why: &[u8]) -> Vec<u8> {
        let program = self.program.as_os_str().as_bytes();
        [b"hook ", program, b" for ", &event.service[..], b" ", event.word().as_bytes(), b": ", why].concat()
    }
}

impl Drop for Hooks {
    /// The watcher is ending: no hook outlives it.
    fn drop(&mut self) {
        for r in &mut self.running {
            unix::process::kill(-(r.child.id() as libc::pid_t), libc::SIGKILL);
            let _ = r.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::What;

    fn event() -> Event {
        Event { service: b"web".to_vec(), what: What::OomKill { kills: 1 } }
    }

    fn now() -> Duration {
        unix::time::clock_gettime(libc::CLOCK_MONOTONIC)
    }

    /// Tends the hooks until none runs (a test of the runner, not of time).
    fn settle(h: &mut Hooks) -> Vec<Vec<u8>> {
        let mut w = Vec::new();
        while h.busy() > 0 {
            w.extend(h.tend(now()));
            std::thread::sleep(Duration::from_millis(5));
        }
        w
    }

    /// One test, so that no other test thread forks while a script is
    /// written (its child would hold the file open: ETXTBSY at exec).
    #[test]
    fn hooks() {
        the_hook_gets_the_event_as_arguments_and_environment();
        a_hook_that_cannot_run_fails_or_hangs_is_reported_once();
    }

    fn the_hook_gets_the_event_as_arguments_and_environment() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let out = dir.join("out");
        let script = dir.join("hook");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$# $1|$2|$3|$TEND_SERVICE|$TEND_EVENT|$TEND_DETAIL|$TEND_LINE\" > {}\n",
                out.display()
            ),
        )
        .unwrap();
        chmod_x(&script);
        let mut h = Hooks::new(script, Duration::from_secs(600), 2);
        assert!(h.submit(event(), now()).is_empty());
        assert!(settle(&mut h).is_empty());
        let got = std::fs::read_to_string(&out).unwrap();
        let d = "1 process killed by the OOM killer";
        assert_eq!(got, format!("3 web|oom-kill|{d}|web|oom-kill|{d}|web: oom-kill: {d}\n"));
    }

    fn a_hook_that_cannot_run_fails_or_hangs_is_reported_once() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let missing = Hooks::new(dir.join("nothing"), Duration::from_secs(600), 1).submit(event(), now());
        assert_eq!(missing.len(), 1);
        let text = String::from_utf8_lossy(&missing[0]).into_owned();
        assert!(text.ends_with("nothing for web oom-kill: unable to run: file does not exist"), "{text}");

        let script = dir.join("hang");
        std::fs::write(&script, "#!/bin/sh\nsleep 1000 & exit 3\n").unwrap();
        chmod_x(&script);
        let mut h = Hooks::new(script.clone(), Duration::from_secs(600), 1);
        h.submit(event(), now());
        let w = settle(&mut h);
        assert_eq!(w.len(), 1);
        assert!(String::from_utf8_lossy(&w[0]).ends_with("oom-kill: exited 3"));

        std::fs::write(&script, "#!/bin/sh\nexec sleep 1000\n").unwrap();
        let mut h = Hooks::new(script, Duration::ZERO, 1);
        h.submit(event(), now());
        h.submit(event(), now());
        assert_eq!(h.busy(), 2, "one runs, one waits");
        let w = settle(&mut h);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(String::from_utf8_lossy(&w[1]).ends_with("oom-kill: killed after 0 s, its process group too"));
    }

    fn chmod_x(p: &std::path::Path) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}
