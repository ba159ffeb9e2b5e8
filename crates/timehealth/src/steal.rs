//! Steal time from /proc/stat: time the hypervisor gave this guest's vCPUs
//! to someone else (field report 004: a host fault starving a guest).

/// The aggregate `cpu` line of /proc/stat, in USER_HZ ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTimes {
    /// Sum of user, nice, system, idle, iowait, irq, softirq, steal
    /// (guest time is already counted in user).
    pub total: u64,
    pub steal: u64,
}

/// Reads the `cpu ` line; None if it is missing or malformed.
pub fn parse(proc_stat: &str) -> Option<CpuTimes> {
    let line = proc_stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line.split_whitespace().skip(1).take(8).map(|f| f.parse().ok()).collect::<Option<_>>()?;
    if fields.len() < 4 {
        return None;
    }
    Some(CpuTimes { total: fields.iter().sum(), steal: fields.get(7).copied().unwrap_or(0) })
}

/// Steal as a percentage of all CPU time between two readings; None if no
/// time passed (or the counters went back).
pub fn percent(before: CpuTimes, after: CpuTimes) -> Option<f64> {
    let total = after.total.checked_sub(before.total).filter(|&t| t > 0)?;
    let steal = after.steal.checked_sub(before.steal)?;
    Some(100.0 * steal as f64 / total as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_samples() {
        // /proc/stat on the project's KVM test machine, two samples.
        let a = parse("cpu  10588 0 5057 39488 939 0 117 21 0 0\ncpu0 5000 0 2500 19700 400 0 60 10 0 0\n").unwrap();
        assert_eq!(a, CpuTimes { total: 10588 + 5057 + 39488 + 939 + 117 + 21, steal: 21 });
        let b = CpuTimes { total: a.total + 200, steal: a.steal + 30 };
        assert_eq!(percent(a, b), Some(15.0));
        assert_eq!(percent(a, a), None);
    }

    #[test]
    fn old_kernels_without_steal_and_garbage() {
        assert_eq!(parse("cpu  1 2 3 4\n"), Some(CpuTimes { total: 10, steal: 0 }));
        assert_eq!(parse("cpu  x y z\n"), None);
        assert_eq!(parse("intr 5\n"), None);
        assert_eq!(parse(""), None);
    }
}
