//! Finishing rotated files off the input path.
//!
//! A rotated `current` is renamed at once to its archive name with the `.u`
//! suffix (so a crash leaves it exactly as daemontools leaves an unclean
//! file), and the input goes on into a fresh `current`. This thread then
//! fsyncs the file, sets its mode to 0744, renames it to `.s` and trims the
//! directory: a file carries its final `.s` name only once it is on disk.
//!
//! When several files are waiting, one syncfs(2) puts them all on disk with
//! one journal commit instead of one fsync each; files that trimming already
//! removed are not synced at all.

use std::fs::{self, File};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use crate::logdir::trim;
use crate::pause::retry;

/// Files waiting for their fsync before input stalls (bounds open descriptors).
const QUEUE: usize = 64;

/// One rotated file to finish.
pub struct Job {
    pub file: File,
    /// The log directory, and its name as the script spells it.
    pub dir: PathBuf,
    pub dir_name: String,
    /// `@label.u` and `@label.s`.
    pub unclean: String,
    pub sealed: String,
    /// Files to keep, counting `current`.
    pub num: u64,
}

/// The background thread and its queue.
pub struct Sealer {
    queue: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Sealer {
    /// Starts the thread (call after blocking signals, so it inherits the mask).
    pub fn start() -> std::io::Result<Sealer> {
        let (tx, rx) = sync_channel(QUEUE);
        let thread = std::thread::Builder::new().name("sealer".into()).spawn(move || run(rx))?;
        Ok(Sealer { queue: Some(tx), thread: Some(thread) })
    }

    /// Queues a job; blocks only when [`QUEUE`] files are already waiting.
    pub fn seal(&self, job: Job) {
        if let Some(q) = &self.queue {
            if let Err(e) = q.send(job) {
                // The thread is gone (it cannot panic in practice): do it here.
                seal_one(e.0);
            }
        }
    }

    /// Waits until every queued file is finished.
    pub fn finish(&mut self) {
        self.queue = None;
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

fn run(rx: Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        seal_batch(batch);
    }
}

fn seal_one(job: Job) {
    seal_batch(vec![job]);
}

fn seal_batch(mut batch: Vec<Job>) {
    // A file trimming removed before its turn needs nothing more.
    batch.retain(|job| job.file.metadata().map_or(true, |m| m.nlink() > 0));
    match &batch[..] {
        [] => return,
        [job] => retry(|| job.file.sync_all(), || format!("unable to write {} to disk", job.unclean_path())),
        [job, ..] => {
            retry(|| unix::fs::syncfs(&job.file), || format!("unable to write {} to disk", job.unclean_path()))
        }
    }
    for job in &batch {
        retry(
            || job.file.set_permissions(fs::Permissions::from_mode(0o744)),
            || format!("unable to set mode of {}", job.unclean_path()),
        );
        retry(
            || match fs::rename(job.dir.join(&job.unclean), job.dir.join(&job.sealed)) {
                // Trimming removed it already: nothing left to name.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                other => other,
            },
            || format!("unable to rename {} to {}", job.unclean_path(), job.sealed),
        );
    }
    let mut trimmed: Vec<&PathBuf> = Vec::new();
    for job in batch.iter().rev() {
        if !trimmed.contains(&&job.dir) {
            trim(&job.dir, &job.dir_name, job.num);
            trimmed.push(&job.dir);
        }
    }
}

impl Job {
    fn unclean_path(&self) -> String {
        format!("{}/{}", self.dir_name, self.unclean)
    }
}
