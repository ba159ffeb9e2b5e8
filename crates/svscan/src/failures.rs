//! Services whose supervise svscan could not start itself (no descriptors
//! for the log pipe, no process for the fork). They are retried on the
//! table's back-off (1, 2, 4, then every 5 seconds), but each is warned
//! about once per cause, not at every retry, and a summary says how many
//! services are affected and why, so that out of descriptors a thousand
//! services do not fill the log with the same line every few seconds.

use std::collections::HashMap;

use crate::table::Role;

#[derive(Debug, Default)]
pub struct Failures {
    /// Service id -> the start that failed and its errno, as last warned.
    failing: HashMap<u64, (Role, i32)>,
    /// errno -> how many services the latest summary for it counted.
    summarized: HashMap<i32, usize>,
}

impl Failures {
    /// A start of `role` failed with `errno`: returns whether to warn, that
    /// is, whether this is a new cause for this service.
    pub fn failed(&mut self, id: u64, role: Role, errno: i32) -> bool {
        let new = self.failing.get(&id).map(|&(_, e)| e) != Some(errno);
        if new {
            self.failing.insert(id, (role, errno));
        }
        new
    }

    /// A start of `role` succeeded: a failure it had is over.
    pub fn started(&mut self, id: u64, role: Role) {
        if self.failing.get(&id).is_some_and(|&(r, _)| r == role) {
            self.failing.remove(&id);
        }
    }

    /// The service left the table.
    pub fn forget(&mut self, id: u64) {
        self.failing.remove(&id);
    }

    /// (errno, services) for each cause that now keeps more services from
    /// starting than its latest summary said; a cause that is over is
    /// forgotten, so that its return is summarized again.
    pub fn summaries(&mut self) -> Vec<(i32, usize)> {
        let mut counts: HashMap<i32, usize> = HashMap::new();
        for &(_, errno) in self.failing.values() {
            *counts.entry(errno).or_default() += 1;
        }
        self.summarized.retain(|e, _| counts.contains_key(e));
        let mut grown: Vec<(i32, usize)> =
            counts.into_iter().filter(|&(e, n)| n > self.summarized.get(&e).copied().unwrap_or(0)).collect();
        grown.sort_unstable();
        for &(e, n) in &grown {
            self.summarized.insert(e, n);
        }
        grown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMFILE: i32 = libc::EMFILE;
    const EAGAIN: i32 = libc::EAGAIN;

    #[test]
    fn a_failure_is_warned_once_per_service_and_cause() {
        let mut f = Failures::default();
        assert!(f.failed(1, Role::Main, EMFILE));
        // The logger of the same service fails for the same reason (the pipe).
        assert!(!f.failed(1, Role::Log, EMFILE));
        for _ in 0..10 {
            assert!(!f.failed(1, Role::Main, EMFILE), "a retry is not warned again");
        }
        assert!(f.failed(1, Role::Main, EAGAIN), "a new cause is");
        f.started(1, Role::Main);
        assert!(f.failed(1, Role::Main, EAGAIN), "a failure after a start is new");
    }

    #[test]
    fn the_start_of_the_other_role_does_not_end_a_failure() {
        let mut f = Failures::default();
        assert!(f.failed(1, Role::Log, EAGAIN));
        f.started(1, Role::Main);
        assert!(!f.failed(1, Role::Log, EAGAIN));
    }

    #[test]
    fn the_summary_counts_services_and_is_repeated_only_when_more_fail() {
        let mut f = Failures::default();
        assert!(f.summaries().is_empty());
        for id in 0..40 {
            f.failed(id, Role::Main, EMFILE);
            f.failed(id, Role::Log, EMFILE);
        }
        f.failed(40, Role::Log, EAGAIN);
        assert_eq!(f.summaries(), [(EAGAIN, 1), (EMFILE, 40)]);
        assert!(f.summaries().is_empty(), "retries change nothing");
        f.started(0, Role::Main);
        f.forget(1);
        assert!(f.summaries().is_empty(), "fewer failing services are not summarized");
        f.failed(41, Role::Main, EMFILE);
        assert!(f.summaries().is_empty(), "39 is not more than 40");
        f.failed(42, Role::Main, EMFILE);
        f.failed(43, Role::Main, EMFILE);
        assert_eq!(f.summaries(), [(EMFILE, 41)]);
        // The cause goes away, then comes back: summarized again.
        for id in 2..44 {
            f.forget(id);
        }
        assert!(f.summaries().iter().all(|&(e, _)| e != EMFILE));
        f.failed(50, Role::Main, EMFILE);
        assert_eq!(f.summaries(), [(EMFILE, 1)]);
    }
}
