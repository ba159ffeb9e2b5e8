//! Resource limits from the service directory (`memory-max`, `cpu-max`,
//! `pids-max`), parsed, and applied to the service's cgroup before each
//! start of `run`: the controller is enabled in the base cgroup (the
//! parent's `cgroup.subtree_control`: supervise's own cgroup, or the one
//! svscan was started in), then the cgroup's interface
//! file is written. A limit that cannot be applied is a [`Problem`] of its
//! file (warned once per content, like a bad settings file); the service
//! starts anyway.

use std::ffi::CStr;
use std::io;

use unix::cgroup::{Cgroup, Controller};

use crate::config::{why, Problem};
use crate::group::Group;

/// A limit as a file gives it: a number, or `max` (none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    Max,
    Value(u64),
}

/// The limits a service directory asks for (None: no file).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// `memory-max`: bytes.
    pub memory: Option<Cap>,
    /// `cpu-max`: percent of one core.
    pub cpu: Option<Cap>,
    /// `pids-max`: processes (and threads).
    pub pids: Option<Cap>,
}

/// cgroup v2's `cpu.max` period, in microseconds (the kernel's default).
const CPU_PERIOD: u64 = 100_000;
/// The largest `cpu-max` taken, in percent (a thousand cores).
const CPU_PERCENT_MAX: u64 = 100_000;

/// `max`, or a number as `parse` reads it, at most i64::MAX (it is
/// written in decimal as svstatus writes numbers).
fn cap(s: &str, parse: impl FnOnce(&str) -> Option<u64>) -> Option<Cap> {
    if s == "max" {
        return Some(Cap::Max);
    }
    parse(s).filter(|&n| i64::try_from(n).is_ok()).map(Cap::Value)
}

fn digits(s: &str) -> Option<u64> {
    s.bytes().all(|b| b.is_ascii_digit()).then(|| s.parse().ok()).flatten()
}

/// `memory-max`: bytes, with an optional `K`, `M` or `G` (powers of 1024), or `max`.
pub fn memory_max(s: &str) -> Option<Cap> {
    cap(s, |s| {
        let shift = match s.as_bytes().last().map(u8::to_ascii_uppercase) {
            Some(b'K') => 10,
            Some(b'M') => 20,
            Some(b'G') => 30,
            _ => 0,
        };
        let number = if shift == 0 { s } else { s.get(..s.len() - 1)? };
        digits(number)?.checked_mul(1 << shift)
    })
}

/// `cpu-max`: a percentage of one core (`50%`, `150%`: 1 to 100000), or `max`.
pub fn cpu_max(s: &str) -> Option<Cap> {
    cap(s, |s| digits(s.strip_suffix('%')?).filter(|p| (1..=CPU_PERCENT_MAX).contains(p)))
}

/// `pids-max`: a number of processes, or `max`.
pub fn pids_max(s: &str) -> Option<Cap> {
    cap(s, digits)
}

/// Applies `limits` to the service's cgroup; what could not be is added
/// to `problems`. Without a limit file, a cgroup that has the controller
/// gets `max` (a limit removed from the directory is lifted at the next
/// start); a directory without any leaves the cgroup untouched.
pub(crate) fn apply(group: &Group, limits: &Limits, problems: &mut Vec<Problem>) {
    let cgroup = group.cgroup();
    if cgroup.is_none() && *limits == Limits::default() {
        return;
    }
    one(cgroup, c"memory-max", b"memory", b"memory.max", limits.memory, 1, problems);
    one(cgroup, c"cpu-max", b"cpu", b"cpu.max", limits.cpu, CPU_PERIOD / 100, problems);
    one(cgroup, c"pids-max", b"pids", b"pids.max", limits.pids, 1, problems);
}

/// One limit: `file`'s `cap` (times `scale`) written to `interface` once
/// `controller` is enabled.
fn one(
    cgroup: Option<&Cgroup>,
    file: &'static CStr,
    controller: &[u8],
    interface: &[u8],
    cap: Option<Cap>,
    scale: u64,
    problems: &mut Vec<Problem>,
) {
    let mut buf = [0u8; 2 * svstatus::DECIMAL_LEN + 1];
    let value = text(cap.unwrap_or(Cap::Max), scale, &mut buf);
    let Some(cgroup) = cgroup else {
        if cap.is_some_and(|c| c != Cap::Max) {
            problems.push(Problem::new(file, "no cgroup2 hierarchy supervise can use here, not applied", value));
        }
        return;
    };
    let Some(cap) = cap else {
        // Lifted, where the controller is on; else there is nothing to lift.
        let _ = cgroup.set(interface, value);
        return;
    };
    let result = match cgroup.enable(controller) {
        Ok(()) => cgroup.set(interface, value).map_err(|e| Some(io_why(&e))),
        Err(Controller::Missing) => Err(None),
        Err(Controller::Enable(e)) => Err(Some(io_why(&e))),
    };
    let why = match result {
        Ok(()) => return,
        // No limit asked: nothing to say.
        Err(None) if cap == Cap::Max => return,
        Err(None) => missing(controller),
        Err(Some(why)) => why,
    };
    problems.push(Problem::new(file, why, value));
}

/// Why a controller could not be enabled or a limit written: an errno's
/// text, EBUSY explained.
fn io_why(e: &io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(libc::EBUSY) => {
            "the cgroup the service's cgroup is in holds processes, and cgroup v2 enables controllers only below a cgroup without any (see doc/service-directory.md), not applied"
        }
        _ => why(e),
    }
}

/// The warning for a controller this hierarchy lacks.
fn missing(controller: &[u8]) -> &'static str {
    match controller {
        b"memory" => "the memory controller is not available in cgroup2 here, not applied",
        b"cpu" => "the cpu controller is not available in cgroup2 here, not applied",
        _ => "the pids controller is not available in cgroup2 here, not applied",
    }
}

/// `cap` as its interface file takes it: `max`, or the value times `scale`
/// (`cpu.max`: the quota, then the period).
fn text(cap: Cap, scale: u64, buf: &mut [u8; 2 * svstatus::DECIMAL_LEN + 1]) -> &[u8] {
    let Cap::Value(n) = cap else { return b"max" };
    let mut a = [0u8; svstatus::DECIMAL_LEN];
    let mut b = [0u8; svstatus::DECIMAL_LEN];
    let n = i64::try_from(n.saturating_mul(scale)).unwrap_or(i64::MAX);
    let number = svstatus::decimal(n, &mut a);
    let period: &[u8] = if scale == 1 { b"" } else { svstatus::decimal(CPU_PERIOD as i64, &mut b) };
    let mut len = 0;
    for (i, &byte) in number.iter().chain(if period.is_empty() { &b""[..] } else { b" " }).chain(period).enumerate() {
        if let Some(slot) = buf.get_mut(i) {
            *slot = byte;
            len = i + 1;
        }
    }
    buf.get(..len).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_max_takes_bytes_with_a_suffix_or_max() {
        assert_eq!(memory_max("max"), Some(Cap::Max));
        assert_eq!(memory_max("4096"), Some(Cap::Value(4096)));
        assert_eq!(memory_max("512K"), Some(Cap::Value(512 << 10)));
        assert_eq!(memory_max("200M"), Some(Cap::Value(200 << 20)));
        assert_eq!(memory_max("2g"), Some(Cap::Value(2 << 30)));
        for bad in ["", "M", "-1", "1.5G", "10 M", "10T", "MAX", "99999999999999999999", "9999999999999G", "+5"] {
            assert_eq!(memory_max(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cpu_max_takes_a_percentage_of_one_core_or_max() {
        assert_eq!(cpu_max("50%"), Some(Cap::Value(50)));
        assert_eq!(cpu_max("150%"), Some(Cap::Value(150)));
        assert_eq!(cpu_max("max"), Some(Cap::Max));
        for bad in ["50", "0%", "%", "-5%", "100001%", "1.5%", "50 %", "half"] {
            assert_eq!(cpu_max(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn pids_max_takes_a_number_or_max() {
        assert_eq!(pids_max("64"), Some(Cap::Value(64)));
        assert_eq!(pids_max("max"), Some(Cap::Max));
        for bad in ["", "-1", "1k", "sixty"] {
            assert_eq!(pids_max(bad), None, "{bad:?}");
        }
    }

    /// A temporary directory standing in for supervise's cgroup (the
    /// controllers `controllers` available) and the service's, `c`.
    fn fake(controllers: &str, files: &[&str]) -> (tempfile::TempDir, Group) {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("cgroup.controllers"), controllers).unwrap();
        std::fs::write(d.path().join("cgroup.subtree_control"), "").unwrap();
        std::fs::create_dir(d.path().join("c")).unwrap();
        for f in ["cgroup.procs", "cgroup.events"].iter().chain(files) {
            std::fs::write(d.path().join("c").join(f), "").unwrap();
        }
        let parent = std::ffi::CString::new(d.path().as_os_str().as_encoded_bytes()).unwrap();
        (d, Group::Cgroup(Cgroup::open(&parent, b"c").unwrap()))
    }

    #[test]
    fn limits_are_written_where_the_controller_is_and_reported_where_it_is_not() {
        let (d, group) = fake("memory pids\n", &["memory.max", "pids.max"]);
        let limits = Limits { memory: Some(Cap::Value(200 << 20)), cpu: Some(Cap::Value(50)), pids: None };
        let mut problems = vec![];
        apply(&group, &limits, &mut problems);
        let read = |f: &str| std::fs::read_to_string(d.path().join(f)).unwrap();
        assert_eq!(read("c/memory.max"), "209715200");
        assert_eq!(read("c/pids.max"), "max", "no file: lifted");
        assert_eq!(read("cgroup.subtree_control"), "+memory", "the last one enabled");
        let cpu = "the cpu controller is not available in cgroup2 here, not applied";
        assert_eq!(problems, vec![Problem::new(c"cpu-max", cpu, b"50000 100000")]);
        // `max` where the controller is missing asks for nothing: no warning.
        let mut problems = vec![];
        apply(&group, &Limits { cpu: Some(Cap::Max), ..Limits::default() }, &mut problems);
        assert_eq!(problems, vec![]);
    }

    #[test]
    fn without_a_cgroup_a_limit_is_reported_and_no_limit_is_quiet() {
        let group = Group::Process { pgid: 0 };
        let mut problems = vec![];
        apply(&group, &Limits::default(), &mut problems);
        apply(&group, &Limits { pids: Some(Cap::Max), ..Limits::default() }, &mut problems);
        assert_eq!(problems, vec![]);
        apply(&group, &Limits { pids: Some(Cap::Value(10)), ..Limits::default() }, &mut problems);
        let why = "no cgroup2 hierarchy supervise can use here, not applied";
        assert_eq!(problems, vec![Problem::new(c"pids-max", why, b"10")]);
    }

    #[test]
    fn values_are_written_as_the_interface_files_take_them() {
        let mut buf = [0u8; 2 * svstatus::DECIMAL_LEN + 1];
        assert_eq!(text(Cap::Value(200 << 20), 1, &mut buf), b"209715200");
        assert_eq!(text(Cap::Value(50), CPU_PERIOD / 100, &mut buf), b"50000 100000");
        assert_eq!(text(Cap::Value(150), CPU_PERIOD / 100, &mut buf), b"150000 100000");
        assert_eq!(text(Cap::Max, CPU_PERIOD / 100, &mut buf), b"max");
    }
}
