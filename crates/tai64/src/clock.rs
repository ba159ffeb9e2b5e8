//! The injectable clock.

use std::cell::Cell;
use std::time::Duration;

/// Where the cores read time. Durations and deadlines use [`Clock::monotonic`];
/// only labels and stamps that people read use [`Clock::wall`].
pub trait Clock {
    /// Time on CLOCK_MONOTONIC since an arbitrary origin; never goes back.
    fn monotonic(&self) -> Duration;
    /// Wall-clock time since the unix epoch (may jump either way).
    fn wall(&self) -> Duration;
}

/// The real clocks (CLOCK_MONOTONIC and CLOCK_REALTIME).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn monotonic(&self) -> Duration {
        unix::time::clock_gettime(libc::CLOCK_MONOTONIC)
    }
    fn wall(&self) -> Duration {
        unix::time::clock_gettime(libc::CLOCK_REALTIME)
    }
}

/// A clock whose readings are plain fields, for tests: advance both, or step
/// only the wall clock.
#[derive(Debug, Default)]
pub struct TestClock {
    monotonic: Cell<Duration>,
    wall: Cell<Duration>,
}

impl TestClock {
    /// A clock reading `wall` on the wall and zero on the monotonic clock.
    pub fn new(wall: Duration) -> TestClock {
        TestClock { monotonic: Cell::new(Duration::ZERO), wall: Cell::new(wall) }
    }
    /// Lets `d` pass on both clocks.
    pub fn advance(&self, d: Duration) {
        self.monotonic.set(self.monotonic.get() + d);
        self.wall.set(self.wall.get() + d);
    }
    /// Steps the wall clock forward (positive) or back (negative) by `secs`.
    pub fn step_wall(&self, secs: i64) {
        let w = self.wall.get();
        let d = Duration::from_secs(secs.unsigned_abs());
        self.wall.set(if secs >= 0 { w + d } else { w.saturating_sub(d) });
    }
}

impl Clock for TestClock {
    fn monotonic(&self) -> Duration {
        self.monotonic.get()
    }
    fn wall(&self) -> Duration {
        self.wall.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_steps_leave_monotonic_alone() {
        let c = TestClock::new(Duration::from_secs(1_000_000));
        c.advance(Duration::from_secs(5));
        c.step_wall(-3600);
        assert_eq!(c.monotonic(), Duration::from_secs(5));
        assert_eq!(c.wall(), Duration::from_secs(1_000_005 - 3600));
    }

    #[test]
    fn system_monotonic_does_not_go_back() {
        let a = SystemClock.monotonic();
        let b = SystemClock.monotonic();
        assert!(b >= a);
        assert!(SystemClock.wall() > Duration::from_secs(1_500_000_000));
    }
}
