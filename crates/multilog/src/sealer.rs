//! Finishing rotated files off the input path.
//!
//! A rotated `current` is renamed at once to its archive name with the `.u`
//! suffix (so a crash leaves it exactly as daemontools leaves an unclean
//! file), and the input goes on into a fresh `current`. This thread then
//! fsyncs the file, sets its mode to 0744, renames it to `.s` and trims the
//! directory: a file carries its final `.s` name only once it is on disk.
//!
//! When several files of one file system are waiting, one syncfs(2) puts
//! them all on disk with one journal commit instead of one fsync each (a
//! batch spanning file systems gets one sync per file system); files that
//! trimming already removed are not synced at all.
//!
//! At start, `.u` files an earlier logger left (killed before sealing them,
//! or made from its unfinished `current`) are sealed the same way, as one
//! batch.
//!
//! The queue is a mutex and two condition variables: std's channels would
//! bring their whole implementation (mpmc) into the binary, and its panic
//! locations into the RELRO pages every supervise process owns
//! (ARCHITECTURE.md, "Build").

use std::ffi::OsStr;
use std::fs::{self, File};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use crate::archives::trim;
use crate::pause::{self, retry};

/// Files waiting for their fsync before input stalls (bounds open descriptors).
const QUEUE: usize = 64;

/// One rotated file to finish.
pub struct Job {
    pub file: File,
    /// The log directory, as the script spells it.
    pub dir: PathBuf,
    /// `@label.u` and `@label.s`.
    pub unclean: Vec<u8>,
    pub sealed: Vec<u8>,
    /// Files to keep, counting `current`.
    pub num: u64,
}

/// The background thread and its queue.
pub struct Sealer {
    queue: Arc<Queue>,
    thread: Option<JoinHandle<()>>,
}

/// Batches waiting for the thread.
struct Queue {
    state: Mutex<State>,
    /// A batch was queued, or the queue closed.
    queued: Condvar,
    /// The thread took the waiting batches.
    taken: Condvar,
}

#[derive(Default)]
struct State {
    batches: Vec<Vec<Job>>,
    /// No batch will come: the thread ends once the queue is empty.
    closed: bool,
}

impl Sealer {
    /// Starts the thread (call after blocking signals, so it inherits the mask).
    pub fn start() -> std::io::Result<Sealer> {
        let queue =
            Arc::new(Queue { state: Mutex::new(State::default()), queued: Condvar::new(), taken: Condvar::new() });
        let theirs = Arc::clone(&queue);
        let thread = std::thread::Builder::new().name("sealer".into()).spawn(move || run(&theirs))?;
        pause::wake_on_term(thread.thread().clone());
        Ok(Sealer { queue, thread: Some(thread) })
    }

    /// Queues a job; blocks only when [`QUEUE`] batches are already waiting.
    pub fn seal(&self, job: Job) {
        self.seal_all(vec![job]);
    }

    /// Queues jobs to be synced together.
    pub fn seal_all(&self, jobs: Vec<Job>) {
        if jobs.is_empty() {
            return;
        }
        match &self.thread {
            Some(t) if !t.is_finished() => {
                let mut state = lock(&self.queue.state);
                while state.batches.len() >= QUEUE {
                    state = self.queue.taken.wait(state).unwrap_or_else(PoisonError::into_inner);
                }
                state.batches.push(jobs);
                drop(state);
                self.queue.queued.notify_one();
            }
            // The thread is gone (it cannot panic in practice): do it here.
            Some(_) => seal_batch(jobs),
            None => {}
        }
    }

    /// Waits until every queued file is finished.
    pub fn finish(&mut self) {
        lock(&self.queue.state).closed = true;
        self.queue.queued.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Sealer {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The thread: every batch waiting is synced together with the others.
fn run(queue: &Queue) {
    loop {
        let mut state = lock(&queue.state);
        while state.batches.is_empty() && !state.closed {
            state = queue.queued.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        if state.batches.is_empty() {
            return;
        }
        let batch: Vec<Job> = state.batches.drain(..).flatten().collect();
        drop(state);
        queue.taken.notify_one();
        seal_batch(batch);
    }
}

/// A thread that panicked left the queue whole (batches are pushed and
/// taken whole): go on with it.
fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

fn seal_batch(batch: Vec<Job>) {
    // A file trimming removed before its turn needs nothing more.
    // A file whose device is unknown is synced on its own.
    let (batch, devices): (Vec<Job>, Vec<Option<u64>>) = batch
        .into_iter()
        .filter_map(|job| match job.file.metadata() {
            Ok(m) if m.nlink() == 0 => None,
            Ok(m) => Some((job, Some(m.dev()))),
            Err(_) => Some((job, None)),
        })
        .unzip();
    for group in by_device(&devices) {
        let job = &batch[group[0]];
        let what: &[&[u8]] = &[b"unable to write ", job.dir_bytes(), b"/", &job.unclean, b" to disk"];
        if group.len() == 1 {
            retry(|| job.file.sync_all(), what);
        } else {
            retry(|| unix::fs::syncfs(&job.file), what);
        }
    }
    for job in &batch {
        retry(
            || job.file.set_permissions(fs::Permissions::from_mode(0o744)),
            &[b"unable to set mode of ", job.dir_bytes(), b"/", &job.unclean],
        );
        retry(
            || match fs::rename(
                job.dir.join(OsStr::from_bytes(&job.unclean)),
                job.dir.join(OsStr::from_bytes(&job.sealed)),
            ) {
                // Trimming removed it already: nothing left to name.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                other => other,
            },
            &[b"unable to rename ", job.dir_bytes(), b"/", &job.unclean, b" to ", &job.sealed],
        );
    }
    let mut trimmed: Vec<&PathBuf> = Vec::new();
    for job in batch.iter().rev() {
        if !trimmed.contains(&&job.dir) {
            trim(&job.dir, job.num);
            trimmed.push(&job.dir);
        }
    }
}

/// Indices of `devices` grouped by device, each group in order, groups in
/// the order their device first appears: one sync per group.
fn by_device(devices: &[Option<u64>]) -> Vec<Vec<usize>> {
    let mut groups: Vec<(Option<u64>, Vec<usize>)> = Vec::new();
    for (i, &dev) in devices.iter().enumerate() {
        match groups.iter_mut().find(|(d, _)| dev.is_some() && *d == dev) {
            Some((_, g)) => g.push(i),
            None => groups.push((dev, vec![i])),
        }
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

impl Job {
    fn dir_bytes(&self) -> &[u8] {
        self.dir.as_os_str().as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sync_per_file_system_of_the_batch() {
        assert_eq!(by_device(&[Some(7), Some(7), Some(7)]), vec![vec![0, 1, 2]]);
        assert_eq!(by_device(&[Some(7), Some(9), Some(7), Some(9), Some(3)]), vec![vec![0, 2], vec![1, 3], vec![4]]);
        assert!(by_device(&[]).is_empty());
        // Unknown devices are never grouped: each file is synced itself.
        assert_eq!(by_device(&[None, Some(7), None, Some(7)]), vec![vec![0], vec![1, 3], vec![2]]);
    }
}
