//! The single writer thread and its group commit.
//!
//! Callers send a job (a closure over a transaction) through a crossbeam channel and block on a reply.
//! The thread takes the first job, then everything else already queued (up to [`MAX_BATCH`]), runs them
//! inside one `BEGIN IMMEDIATE … COMMIT`, each in its own savepoint so one failing job doesn't undo its
//! neighbours, and replies to every caller only after COMMIT has returned. With `synchronous=FULL`
//! that is one fsync for the whole batch instead of one per event.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

use crossbeam_channel::{bounded, unbounded, Receiver, Sender};
use rusqlite::Connection;

use super::{Result, StoreError};

/// The largest number of jobs committed together by default. Bounds the time one batch holds the
/// write lock.
pub const MAX_BATCH: usize = 1024;

/// How often the background checkpointer looks for new commits.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// A transaction as seen by a write job. Jobs get a shared reference; the writer owns commit and
/// rollback.
pub type Tx = Connection;

type Reply = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> Reply + Send>;

/// Handle to the writer thread. Cloning it shares the thread.
#[derive(Clone)]
pub struct Writer {
    tx: Sender<Job>,
    stats: Arc<WriterStats>,
}

/// Counters for `/metrics`.
#[derive(Default)]
pub struct WriterStats {
    pub commits: AtomicU64,
    pub jobs: AtomicU64,
}

impl Writer {
    pub(super) fn spawn(conn: Connection, max_batch: usize) -> Writer {
        let (tx, rx) = unbounded::<Job>();
        let stats = Arc::new(WriterStats::default());
        let thread_stats = stats.clone();
        thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || run(conn, rx, &thread_stats, max_batch.max(1)))
            .expect("the OS refused to start the writer thread");
        Writer { tx, stats }
    }

    /// A handle with no thread behind it: every write fails with [`StoreError::WriterGone`]. For
    /// read-only tools.
    pub(super) fn detached() -> Writer {
        let (tx, _rx) = unbounded::<Job>();
        Writer {
            tx,
            stats: Arc::new(WriterStats::default()),
        }
    }

    /// Jobs waiting for the writer, for `/metrics`.
    pub fn queue_depth(&self) -> usize {
        self.tx.len()
    }

    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Checkpoints the WAL from a thread of its own, so the writer's commits don't stop to copy pages
    /// into the database file (under ingest load that copying was a tenth of the writer's time). Every
    /// [`CHECKPOINT_EVERY`] after a commit it runs a PASSIVE checkpoint, which never blocks the writer
    /// or readers; the writer's own auto-checkpoint stays as a backstop at a larger WAL size. The thread
    /// ends when the writer does.
    pub(super) fn spawn_checkpointer(&self, conn: Connection) {
        let stats = Arc::downgrade(&self.stats);
        let spawned = thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || {
                let mut seen = 0;
                while let Some(stats) = stats.upgrade() {
                    let commits = stats.commits.load(Ordering::Relaxed);
                    drop(stats);
                    if commits != seen {
                        seen = commits;
                        if let Err(e) =
                            conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                        {
                            log::warn!("a background WAL checkpoint failed: {e}");
                        }
                    }
                    thread::sleep(CHECKPOINT_EVERY);
                }
            });
        if let Err(e) = spawned {
            log::warn!("no background checkpoints ({e}); the writer checkpoints by itself");
        }
    }

    /// Runs `f` in the next batch and returns its result after the batch has committed. If `f` fails,
    /// its savepoint is rolled back and the error is returned; the rest of the batch still commits.
    pub fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply_tx, reply_rx) = bounded::<Result<T>>(1);
        // The caller may have given up waiting; nothing to do then.
        self.submit(f, move |result| {
            let _ = reply_tx.send(result);
        })?;
        reply_rx.recv().map_err(|_| StoreError::WriterGone)?
    }

    /// Queues `f` for the next batch and returns at once; `done` gets its result on the writer thread
    /// after the batch's COMMIT returned (or failed). For callers that must not hold a thread while
    /// the commit happens, such as HTTP workers acknowledging call events. `done` must be quick: it
    /// runs between batches.
    pub fn submit<T, F, D>(&self, f: F, done: D) -> Result<()>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
        D: FnOnce(Result<T>) + Send + 'static,
    {
        let job: Job = Box::new(move |conn: &Connection| {
            let outcome = in_savepoint(conn, f);
            Box::new(move |commit: std::result::Result<(), String>| {
                done(match (outcome, commit) {
                    (Ok(v), Ok(())) => Ok(v),
                    (Err(e), _) => Err(e),
                    (Ok(_), Err(why)) => Err(StoreError::Invalid(format!(
                        "the write was not saved: {why}"
                    ))),
                })
            })
        });
        self.tx.send(job).map_err(|_| StoreError::WriterGone)
    }
}

/// Runs one job in its own savepoint. The statements are cached: parsing them per job was a visible
/// share of the writer's time under ingest load.
fn in_savepoint<T>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    conn.prepare_cached("SAVEPOINT job")?.execute([])?;
    match f(conn) {
        Ok(v) => {
            conn.prepare_cached("RELEASE job")?.execute([])?;
            Ok(v)
        }
        Err(e) => {
            conn.prepare_cached("ROLLBACK TO job")?.execute([])?;
            conn.prepare_cached("RELEASE job")?.execute([])?;
            Err(e)
        }
    }
}

fn run(conn: Connection, rx: Receiver<Job>, stats: &WriterStats, max_batch: usize) {
    let mut replies: Vec<Reply> = Vec::with_capacity(max_batch);
    while let Ok(first) = rx.recv() {
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            log::error!("the writer could not start a transaction: {e}");
            first(&conn)(Err(e.to_string()));
            continue;
        }
        replies.push(first(&conn));
        while replies.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => replies.push(job(&conn)),
                Err(_) => break,
            }
        }
        let commit = conn.execute_batch("COMMIT").map_err(|e| e.to_string());
        if let Err(why) = &commit {
            log::error!(
                "a batch of {} writes failed to commit: {why}",
                replies.len()
            );
            let _ = conn.execute_batch("ROLLBACK");
        }
        stats.commits.fetch_add(1, Ordering::Relaxed);
        stats
            .jobs
            .fetch_add(replies.len() as u64, Ordering::Relaxed);
        for reply in replies.drain(..) {
            reply(commit.clone());
        }
    }
    log::debug!("writer thread stopping: every handle was dropped");
}
