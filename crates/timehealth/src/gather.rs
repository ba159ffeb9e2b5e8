//! Work that may hang (name resolution, a query tool's output) run on
//! threads of its own and gathered until a deadline on the monotonic clock:
//! what has not finished by then is left to finish unseen.
//!
//! One mutex and condition variable: std's channels would bring their
//! whole implementation (mpmc) into the binary, and its panic locations into
//! the RELRO pages every supervise process owns (ARCHITECTURE.md, "Build").

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tai64::Clock;

type Slots<T> = (Mutex<Vec<Option<T>>>, Condvar);

/// Runs each job on a thread of its own and returns their results in order,
/// `None` for a job that had not finished `timeout` after the call.
pub(crate) fn gather<T, F>(jobs: Vec<F>, timeout: Duration, clock: &dyn Clock) -> Vec<Option<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let deadline = clock.monotonic().saturating_add(timeout);
    let slots: Arc<Slots<T>> = Arc::new((Mutex::new(jobs.iter().map(|_| None).collect()), Condvar::new()));
    for (i, job) in jobs.into_iter().enumerate() {
        let slots = Arc::clone(&slots);
        std::thread::spawn(move || {
            let result = job();
            let (results, filled) = &*slots;
            // Gone once the caller stopped waiting: the result is dropped.
            if let Some(slot) = lock(results).get_mut(i) {
                *slot = Some(result);
            }
            filled.notify_one();
        });
    }
    let (results, filled) = &*slots;
    let mut done = lock(results);
    while done.iter().any(Option::is_none) {
        let left = deadline.saturating_sub(clock.monotonic());
        if left.is_zero() {
            break;
        }
        done = filled.wait_timeout(done, left).unwrap_or_else(PoisonError::into_inner).0;
    }
    std::mem::take(&mut *done)
}

/// A job that panicked holds nothing half-written: its slot stays `None`.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_in_order_once_every_job_is_done() {
        let got = gather((7..10).map(|n| move || n).collect(), Duration::from_secs(3600), &tai64::SystemClock);
        assert_eq!(got, vec![Some(7), Some(8), Some(9)]);
    }

    #[test]
    fn a_job_still_running_at_the_deadline_is_none() {
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let got = gather(vec![move || hold.recv().is_ok()], Duration::ZERO, &tai64::SystemClock);
        assert_eq!(got, vec![None]);
        drop(release);
    }
}
