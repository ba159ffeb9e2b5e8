//! Warnings that every scan would repeat, printed once per change.

use std::collections::HashSet;

/// The warnings of the latest scan about its entries (a dangling symlink,
/// too many services). A scan may run for another reason than a change of
/// the directory (a supervise to restart), so a warning is printed when it
/// first appears and not again while every scan repeats it.
#[derive(Debug, Default)]
pub struct Standing {
    last: HashSet<Vec<u8>>,
}

impl Standing {
    /// Prints the warnings (whole lines) of a new scan that the previous one did not have.
    pub fn show(&mut self, warnings: Vec<Vec<u8>>) {
        for w in warnings.iter().filter(|w| !self.last.contains(*w)) {
            strerr::write_stderr(w);
        }
        self.last = warnings.into_iter().collect();
    }
}
