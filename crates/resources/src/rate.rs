//! Rates between two samples of one service: CPU % and the process that
//! burned most of it.

use std::collections::HashMap;
use std::time::Duration;

use crate::usage::{Proc, Source, Usage};

/// CPU use between two samples of one service, in percent of one core
/// (200 = two cores busy). None if no time passed between them, or the
/// source changed (cgroup vs process tree, or another cgroup).
///
/// From a cgroup, the difference of its exact totals. From a process tree,
/// the sum over the processes of `after` of what each burned since
/// `before` (matched by pid and start time; a process new since then
/// counts whole): a process that left the tree takes its time with it
/// instead of making the total go backwards.
pub fn cpu_percent(before: &Usage, after: &Usage) -> Option<f64> {
    let dt = interval(before, after)?;
    let burned = match after.source {
        Source::Cgroup(_) => after.cpu().saturating_sub(before.cpu()),
        Source::ProcessTree | Source::None => {
            let old = by_process(before);
            after.procs.iter().map(|p| burned_by(p, &old)).fold(Duration::ZERO, Duration::saturating_add)
        }
    };
    Some(percent(burned, dt))
}

/// The process of `after` that burned most CPU since `before`, with its
/// percent of one core; a reused pid is a new process, never given the old
/// one's time. None if none burned any, or as for [`cpu_percent`].
pub fn busiest<'a>(before: &Usage, after: &'a Usage) -> Option<(&'a Proc, f64)> {
    let dt = interval(before, after)?;
    let old = by_process(before);
    let (p, burned) = after.procs.iter().map(|p| (p, burned_by(p, &old))).max_by_key(|&(_, d)| d)?;
    (!burned.is_zero()).then(|| (p, percent(burned, dt)))
}

/// What each process of `after` burned since `before`, in percent of one
/// core, in the order of `after.procs`; None as for [`cpu_percent`].
pub fn process_percents(before: &Usage, after: &Usage) -> Option<Vec<f64>> {
    let dt = interval(before, after)?;
    let old = by_process(before);
    Some(after.procs.iter().map(|p| percent(burned_by(p, &old), dt)).collect())
}

fn interval(before: &Usage, after: &Usage) -> Option<Duration> {
    if before.source != after.source {
        return None;
    }
    Some(after.at.checked_sub(before.at)?).filter(|d| !d.is_zero())
}

fn by_process(u: &Usage) -> HashMap<(u32, u64), Duration> {
    u.procs.iter().map(|p| ((p.pid, p.start), p.cpu)).collect()
}

fn burned_by(p: &Proc, old: &HashMap<(u32, u64), Duration>) -> Duration {
    p.cpu.saturating_sub(old.get(&(p.pid, p.start)).copied().unwrap_or(Duration::ZERO))
}

fn percent(burned: Duration, dt: Duration) -> f64 {
    burned.as_secs_f64() * 100.0 / dt.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc(pid: u32, start: u64, cpu_ms: u64) -> Proc {
        Proc {
            pid,
            ppid: 1,
            start,
            depth: 0,
            comm: b"x".to_vec(),
            cmdline: Vec::new(),
            cpu: Duration::from_millis(cpu_ms),
            rss: 0,
            state: b'R',
        }
    }

    fn sample(at_ms: u64, source: Source, procs: Vec<Proc>) -> Usage {
        let cpu = procs.iter().map(|p| p.cpu).sum();
        Usage {
            at: Duration::from_millis(at_ms),
            source,
            cpu_user: cpu,
            cpu_system: Duration::ZERO,
            rss: 0,
            rss_peak: None,
            processes: procs.len() as u32,
            io_read: None,
            io_write: None,
            fds: None,
            oom_kills: None,
            memory_max: None,
            procs,
            notes: Vec::new(),
        }
    }

    #[test]
    fn tree_percent_and_busiest() {
        let a = sample(1000, Source::ProcessTree, vec![proc(10, 5, 100), proc(11, 6, 50)]);
        let b = sample(2000, Source::ProcessTree, vec![proc(10, 5, 150), proc(11, 6, 950)]);
        assert_eq!(cpu_percent(&a, &b), Some(95.0));
        let (p, pct) = busiest(&a, &b).unwrap();
        assert_eq!((p.pid, pct), (11, 90.0));
        assert_eq!(process_percents(&a, &b), Some(vec![5.0, 90.0]));
    }

    #[test]
    fn a_reused_pid_is_a_new_process() {
        // pid 11 ended after burning 5 s; a new pid 11 has burned 0.2 s.
        let a = sample(0, Source::ProcessTree, vec![proc(10, 5, 100), proc(11, 6, 5000)]);
        let b = sample(1000, Source::ProcessTree, vec![proc(10, 5, 100), proc(11, 900, 200)]);
        assert_eq!(cpu_percent(&a, &b), Some(20.0));
        assert_eq!(busiest(&a, &b).map(|(p, pct)| (p.start, pct)), Some((900, 20.0)));
    }

    #[test]
    fn a_process_that_left_takes_its_time() {
        let a = sample(0, Source::ProcessTree, vec![proc(10, 5, 100), proc(11, 6, 5000)]);
        let b = sample(500, Source::ProcessTree, vec![proc(10, 5, 150)]);
        assert_eq!(cpu_percent(&a, &b), Some(10.0));
    }

    #[test]
    fn cgroup_totals_and_refusals() {
        let cg = || Source::Cgroup(b"/sys/fs/cgroup/tend-x".to_vec());
        let a = sample(0, cg(), vec![proc(10, 5, 100)]);
        let b = sample(2000, cg(), vec![proc(10, 5, 100), proc(12, 7, 3000)]);
        assert_eq!(cpu_percent(&a, &b), Some(150.0));
        assert_eq!(cpu_percent(&a, &a), None, "no time passed");
        assert_eq!(cpu_percent(&b, &a), None, "backwards");
        let c = sample(3000, Source::ProcessTree, vec![proc(10, 5, 100)]);
        assert_eq!(cpu_percent(&b, &c), None, "the source changed");
        let idle = sample(4000, cg(), b.procs.clone());
        assert!(busiest(&b, &idle).is_none(), "nobody burned anything");
    }
}
