//! The single writer thread and its group commit.
//!
//! Callers send a job (a closure over a transaction) through a crossbeam channel and block on a reply.
//! The thread takes the first job, then everything else already queued (up to [`MAX_BATCH`]), runs them
//! inside one `BEGIN IMMEDIATE … COMMIT`, and replies to every caller only after COMMIT has returned.
//! With `synchronous=FULL` that is one fsync for the whole batch instead of one per event.
//!
//! One failing job must not undo its neighbours. A job runs in its own savepoint, unless it is
//! *repeatable* ([`Writer::submit_repeatable`]: it only writes to the database, so running it again
//! after a rollback is harmless). A batch that starts with a repeatable job runs repeatable jobs
//! without savepoints; if one fails, the writer rolls the whole batch back and runs it again with a
//! savepoint per job. Call events take that path: a savepoint copies every page a job touches into
//! its sub-journal, which was a fifth of the writer's work per event, and an event that fails is rare.
//! A job that changes most of the database (a restore) runs *alone* ([`Writer::write_alone`]): in a
//! transaction of its own and without a savepoint, whose sub-journal would hold every page it
//! changes in memory.
//!
//! Draining the queue batches well only when jobs pile up while a batch is written. Jobs that arrive
//! spread out, such as a PBX's call events at a thousand a second, each found the writer idle and got
//! a commit of their own, and every commit costs an fsync and makes every reader drop its page cache
//! (SQLite discards a connection's cached pages once another connection has written). So once jobs
//! have been seen arriving together ([`Pacing`]), a batch that starts on an idle writer waits a
//! little for company. A lone caller writing one job after another is never taken for company (its
//! next job can't come before the reply to the last one, and the queue is looked at before the
//! replies go out), so a second after the last concurrent writes it doesn't wait at all.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded, Receiver, Sender, TryRecvError};
use rusqlite::Connection;

use super::{Result, StoreError};

/// The largest number of jobs committed together by default. Bounds the time one batch holds the
/// write lock.
pub const MAX_BATCH: usize = 1024;

/// How often the background checkpointer looks for new commits.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// When a batch that starts on an idle writer waits for more jobs (see the module docs).
#[derive(Clone, Copy, Debug)]
struct Pacing {
    /// The longest a batch waits for company: the most it adds to a write's reply. With 1,000 call
    /// events a second, 2 ms halves the commits (1.02 to 2.0 events a commit, and 1.1–1.3 to 1.8–2.0
    /// with 5,000 lookups a second beside them). A fixed 2 ms wait on every batch made three events
    /// share a commit and halved the lookups' p99 beside them, but slowed 64 closed-loop writers by
    /// 15%; waiting only on an idle writer, and only for as many jobs as the last batch had, does not.
    linger: Duration,
    /// How long after the last sign of concurrent writers (a job that arrived while a batch was
    /// written, or a batch of more than one job) batches keep waiting for company.
    concurrent_for: Duration,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            linger: Duration::from_millis(2),
            concurrent_for: Duration::from_secs(1),
        }
    }
}

/// A transaction as seen by a write job. Jobs get a shared reference; the writer owns commit and
/// rollback.
pub type Tx = Connection;

type Reply = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;

/// A job as the writer thread receives it.
enum Job {
    /// Runs once, in its own savepoint; what it returns replies after COMMIT. Given no connection
    /// (no transaction could begin) it doesn't run, and its reply only passes the failure on.
    Once(Once),
    /// May run again after a rollback; see the module docs.
    Repeatable(Box<dyn Repeat>),
    /// Runs in a transaction of its own, without a savepoint; see [`Writer::write_alone`]. Says
    /// whether it succeeded, so a failure can be rolled back.
    Alone(Alone),
}

/// See [`Job::Once`].
type Once = Box<dyn FnOnce(Option<&Connection>) -> Reply + Send>;

/// See [`Job::Alone`]; like [`Job::Once`], it doesn't run without a connection.
type Alone = Box<dyn FnOnce(Option<&Connection>) -> (Reply, bool) + Send>;

/// A repeatable job: `run` may be called more than once, each time on a transaction where its
/// previous run's writes were rolled back; `finish` replies once, after COMMIT.
trait Repeat: Send {
    /// Runs the job (in a savepoint when `savepoint`) and keeps its outcome; false if it failed.
    fn run(&mut self, conn: &Connection, savepoint: bool) -> bool;
    fn finish(self: Box<Self>, commit: std::result::Result<(), String>);
}

struct RepeatJob<T, F, D> {
    f: F,
    done: D,
    outcome: Option<Result<T>>,
}

impl<T, F, D> Repeat for RepeatJob<T, F, D>
where
    T: Send,
    F: FnMut(&Connection) -> Result<T> + Send,
    D: FnOnce(Result<T>) + Send,
{
    fn run(&mut self, conn: &Connection, savepoint: bool) -> bool {
        let outcome = if savepoint {
            in_savepoint(conn, &mut self.f)
        } else {
            (self.f)(conn)
        };
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn finish(self: Box<Self>, commit: std::result::Result<(), String>) {
        (self.done)(settle(self.outcome, commit))
    }
}

/// A job's result once its batch's COMMIT returned: a write that COMMIT failed to save is an error.
/// `None` is a job that never ran, because its transaction could not begin.
fn settle<T>(outcome: Option<Result<T>>, commit: std::result::Result<(), String>) -> Result<T> {
    match (outcome, commit) {
        (Some(Ok(v)), Ok(())) => Ok(v),
        (Some(Err(e)), _) => Err(e),
        (_, Err(why)) => Err(StoreError::Invalid(format!(
            "the write was not saved: {why}"
        ))),
        (None, Ok(())) => Err(StoreError::WriterGone),
    }
}

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
        Writer::spawn_paced(conn, max_batch, Pacing::default())
    }

    fn spawn_paced(conn: Connection, max_batch: usize, pacing: Pacing) -> Writer {
        let (tx, rx) = unbounded::<Job>();
        let stats = Arc::new(WriterStats::default());
        let thread_stats = stats.clone();
        crate::vital::spawn("store-writer", move || {
            run(conn, rx, &thread_stats, max_batch.max(1), pacing)
        })
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
    /// or readers. Under sustained writes it never finds the WAL copied back in full before the next
    /// commit, so the writer's own checkpoint at [`super::WAL_FRAMES`] is what lets the WAL start
    /// over. The thread ends when the writer does.
    ///
    /// Until every frame is copied back, every page a reader needs is first looked up in the WAL's
    /// index, one hash table per 4,096 frames: with 27,000 frames left, that was a fifth of a lookup's
    /// CPU. So the thread does not wait for a commit to finish the job:
    /// - it checkpoints once as it starts, for the WAL a run left behind when it ended without closing
    ///   the database (a restart, a power cut), instead of counting on some start-up job to commit;
    /// - it tries again every [`CHECKPOINT_EVERY`] while a checkpoint had to leave frames behind for
    ///   a reader's older snapshot (a weekly report that read while calls came in). Before, those
    ///   frames stayed until the next commit: in a quiet office, for hours.
    pub(super) fn spawn_checkpointer(&self, conn: Connection) {
        let stats = Arc::downgrade(&self.stats);
        let spawned = crate::vital::spawn("store-checkpoint", move || {
            let (mut seen, mut behind) = (None, false);
            while let Some(stats) = stats.upgrade() {
                let commits = stats.commits.load(Ordering::Relaxed);
                drop(stats);
                if behind || seen != Some(commits) {
                    seen = Some(commits);
                    behind = checkpoint_passive(&conn).unwrap_or_else(|e| {
                        log::warn!("a background WAL checkpoint failed: {e}");
                        false
                    });
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
        wait(|reply| self.submit(f, reply))
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
        let job = Job::Once(Box::new(move |conn: Option<&Connection>| -> Reply {
            let outcome = conn.map(|conn| in_savepoint(conn, f));
            Box::new(move |commit: std::result::Result<(), String>| done(settle(outcome, commit)))
        }));
        self.tx.send(job).map_err(|_| StoreError::WriterGone)
    }

    /// Like [`Writer::submit`], for a job that only writes to the database: `f` may run more than
    /// once, each time after its previous run's writes were rolled back, so it must not change
    /// anything else (see the module docs). `done` gets the outcome of its last run.
    pub fn submit_repeatable<T, F, D>(&self, f: F, done: D) -> Result<()>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> Result<T> + Send + 'static,
        D: FnOnce(Result<T>) + Send + 'static,
    {
        let job = Job::Repeatable(Box::new(RepeatJob {
            f,
            done,
            outcome: None,
        }));
        self.tx.send(job).map_err(|_| StoreError::WriterGone)
    }

    /// Runs `f` in a transaction of its own, without a savepoint, and returns its result after
    /// COMMIT; if `f` fails, the transaction is rolled back. For a job that changes most of the
    /// database, such as a restore: a savepoint keeps the old content of every page its job changes
    /// in memory (`temp_store=MEMORY`), as much memory as the database is large. A batch that is
    /// under way when it arrives commits first without it.
    pub fn write_alone<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        wait(|reply| {
            let job = Job::Alone(Box::new(move |conn: Option<&Connection>| {
                let outcome = conn.map(f);
                let ok = matches!(outcome, Some(Ok(_)));
                let reply: Reply = Box::new(move |commit: std::result::Result<(), String>| {
                    reply(settle(outcome, commit))
                });
                (reply, ok)
            }));
            self.tx.send(job).map_err(|_| StoreError::WriterGone)
        })
    }

    /// [`Writer::write`] for a repeatable job (see [`Writer::submit_repeatable`]).
    pub fn write_repeatable<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> Result<T> + Send + 'static,
    {
        wait(|reply| self.submit_repeatable(f, reply))
    }
}

/// Queues a job with `submit`, handing it the callback that passes its outcome back, and waits for it.
fn wait<T: Send + 'static>(
    submit: impl FnOnce(Box<dyn FnOnce(Result<T>) + Send>) -> Result<()>,
) -> Result<T> {
    let (reply_tx, reply_rx) = bounded::<Result<T>>(1);
    submit(Box::new(move |result| {
        // The caller may have given up waiting; nothing to do then.
        let _ = reply_tx.send(result);
    }))?;
    reply_rx.recv().map_err(|_| StoreError::WriterGone)?
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

/// A job of the batch being written, after it ran.
enum Ran {
    Once(Reply),
    Repeatable(Box<dyn Repeat>),
}

fn run(conn: Connection, rx: Receiver<Job>, stats: &WriterStats, max_batch: usize, pacing: Pacing) {
    let mut batch: Vec<Ran> = Vec::with_capacity(max_batch);
    let mut next: Option<Job> = None;
    // Until when batches wait for company, and how many jobs the last batch had.
    let mut concurrent_until: Option<Instant> = None;
    let mut last_batch = 0;
    loop {
        let (first, idle) = match next.take() {
            Some(job) => (job, false),
            None => match rx.try_recv() {
                Ok(job) => (job, false),
                Err(TryRecvError::Empty) => match rx.recv() {
                    Ok(job) => (job, true),
                    Err(_) => break,
                },
                Err(TryRecvError::Disconnected) => break,
            },
        };
        let started = Instant::now();
        // Waits at most `linger` for the batch to grow to the last one's size (at least two): jobs
        // arriving together fill it at once, and spread-out ones share a commit by twos.
        let linger_until = match concurrent_until {
            Some(until) if idle && started < until => Some(started + pacing.linger),
            _ => None,
        };
        let fill_to = last_batch.max(2);
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            log::error!("the writer could not start a transaction: {e}");
            // The job doesn't run: outside a transaction its writes would commit on their own while
            // its caller heard that the write failed.
            match first {
                Job::Once(job) => job(None)(Err(e.to_string())),
                Job::Repeatable(job) => job.finish(Err(e.to_string())),
                Job::Alone(job) => job(None).0(Err(e.to_string())),
            }
            continue;
        }
        // Repeatable jobs skip their savepoints while every job of the batch is repeatable.
        let optimistic = matches!(first, Job::Repeatable(_));
        let mut failed = false;
        let mut alone_failed = false;
        let mut job = Some(first);
        while let Some(j) = job.take() {
            match j {
                Job::Once(f) => batch.push(Ran::Once(f(Some(&conn)))),
                Job::Repeatable(mut r) => {
                    failed = !r.run(&conn, !optimistic);
                    batch.push(Ran::Repeatable(r));
                }
                Job::Alone(f) => {
                    let (reply, ok) = f(Some(&conn));
                    batch.push(Ran::Once(reply));
                    alone_failed = !ok;
                    break;
                }
            }
            if (optimistic && failed) || batch.len() >= max_batch {
                break;
            }
            job = match (rx.try_recv(), linger_until) {
                (Ok(j), _) => Some(j),
                (Err(_), Some(deadline)) if batch.len() < fill_to => {
                    rx.recv_deadline(deadline).ok()
                }
                (Err(_), _) => None,
            };
            // A job that can't run again would be lost if the batch had to be rolled back; a job
            // that runs alone starts the next batch.
            if (optimistic && matches!(job, Some(Job::Once(_))))
                || matches!(job, Some(Job::Alone(_)))
            {
                next = job.take();
            }
        }
        if optimistic && failed {
            rerun_with_savepoints(&conn, &mut batch);
        }
        let commit = if alone_failed {
            // Without a savepoint the failed job's writes are in the transaction: undo them all.
            let _ = conn.execute_batch("ROLLBACK");
            Err("the write failed and was rolled back".to_string())
        } else {
            conn.execute_batch("COMMIT").map_err(|e| e.to_string())
        };
        if let (Err(why), false) = (&commit, alone_failed) {
            log::error!("a batch of {} writes failed to commit: {why}", batch.len());
            let _ = conn.execute_batch("ROLLBACK");
        }
        stats.commits.fetch_add(1, Ordering::Relaxed);
        stats.jobs.fetch_add(batch.len() as u64, Ordering::Relaxed);
        last_batch = batch.len();
        // Signs of concurrent writers: a batch of more than one job, or a job that arrived while this
        // one was written. Looked for before the replies go out: a lone caller's next job comes only
        // after its reply, and may be queued before this loop gets back to the queue.
        if last_batch > 1 || next.is_some() || !rx.is_empty() {
            concurrent_until = Some(Instant::now() + pacing.concurrent_for);
        }
        for ran in batch.drain(..) {
            match ran {
                Ran::Once(reply) => reply(commit.clone()),
                Ran::Repeatable(job) => job.finish(commit.clone()),
            }
        }
    }
    log::debug!("writer thread stopping: every handle was dropped");
}

/// A job of an optimistic batch failed, and the writes of the jobs before it (and its own, up to the
/// failure) are in the transaction. Rolls all of them back and runs the batch again in a new
/// transaction, each job in its own savepoint, so only the failing one is undone. A batch that can't
/// get a new transaction is left to fail at COMMIT, and every job in it is told so.
fn rerun_with_savepoints(conn: &Connection, batch: &mut [Ran]) {
    // An I/O or memory error may have rolled the transaction back already; then there is nothing
    // to roll back here.
    let _ = conn.execute_batch("ROLLBACK");
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        log::error!("the writer could not restart a batch after a failed write: {e}");
        return;
    }
    for ran in batch.iter_mut() {
        if let Ran::Repeatable(job) = ran {
            job.run(conn, true);
        }
    }
}

/// Copies what it can of the WAL back into the database file without waiting for anyone, and says
/// whether frames were left behind because a reader's snapshot still needs them.
fn checkpoint_passive(conn: &Connection) -> Result<bool> {
    let (frames, copied): (i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get(1)?, r.get(2)?))
        })?;
    Ok(copied < frames)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    fn insert(conn: &Connection, x: i64) -> Result<()> {
        conn.execute("INSERT INTO t(x) VALUES (?1)", [x])?;
        Ok(())
    }

    /// Counts its runs and inserts `xs` in turn; the runs counter shows whether it ran again.
    fn counted(
        xs: &'static [i64],
        runs: &Arc<AtomicUsize>,
    ) -> impl FnMut(&Connection) -> Result<()> {
        let runs = runs.clone();
        move |conn| {
            runs.fetch_add(1, Ordering::SeqCst);
            xs.iter().try_for_each(|&x| insert(conn, x))
        }
    }

    /// A writer over an in-memory database with one table, `t(x INTEGER UNIQUE)`.
    fn writer_over_a_table() -> Writer {
        paced_writer_over_a_table(Pacing::default())
    }

    fn paced_writer_over_a_table(pacing: Pacing) -> Writer {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t(x INTEGER UNIQUE)")
            .unwrap();
        Writer::spawn_paced(conn, MAX_BATCH, pacing)
    }

    /// Starts a job that inserts `x` once it is released, and returns when the writer is in it: jobs
    /// queued meanwhile wait behind it. `done` hears whether it committed.
    fn hold(writer: &Writer, x: i64, done: &Sender<bool>) -> Sender<()> {
        let (started_tx, started) = bounded(1);
        let (release, released) = bounded::<()>(1);
        let done = done.clone();
        writer
            .submit(
                move |conn| {
                    started_tx.send(()).unwrap();
                    released.recv().unwrap();
                    insert(conn, x)
                },
                move |r| done.send(r.is_ok()).unwrap(),
            )
            .unwrap();
        started.recv().unwrap();
        release
    }

    /// Holds the writer in a job until `jobs` more are queued behind it, so they share a batch.
    fn batch_together(writer: &Writer, jobs: std::ops::Range<i64>) {
        let (done_tx, done) = unbounded();
        let release = hold(writer, -1_000_000 - jobs.start, &done_tx);
        let n = jobs.end - jobs.start + 1;
        for x in jobs {
            submit_insert(writer, x, &done_tx);
        }
        release.send(()).unwrap();
        for _ in 0..n {
            assert!(done.recv().unwrap());
        }
    }

    /// Queues an insert of `x`; `done` hears whether it committed.
    fn submit_insert(writer: &Writer, x: i64, done: &Sender<bool>) {
        let done = done.clone();
        writer
            .submit(
                move |conn| insert(conn, x),
                move |r| done.send(r.is_ok()).unwrap(),
            )
            .unwrap();
    }

    /// Every `x` in the table, in order.
    fn stored(writer: &Writer) -> Vec<i64> {
        writer
            .write(|conn| {
                let mut st = conn.prepare("SELECT x FROM t ORDER BY x")?;
                let xs = st.query_map([], |r| r.get(0))?;
                Ok(xs.collect::<rusqlite::Result<Vec<i64>>>()?)
            })
            .unwrap()
    }

    fn commits(writer: &Writer) -> u64 {
        writer.stats().commits.load(Ordering::SeqCst)
    }

    /// How long writing each of `xs` takes, one after another from one caller.
    fn sequential_writes(writer: &Writer, xs: std::ops::Range<i64>) -> Duration {
        let t0 = Instant::now();
        for x in xs {
            writer.write(move |conn| insert(conn, x)).unwrap();
        }
        t0.elapsed()
    }

    #[test]
    fn a_lone_caller_does_not_wait_outside_a_spell_of_concurrent_writes() {
        let pacing = Pacing {
            linger: Duration::from_millis(100),
            concurrent_for: Duration::from_millis(300),
        };
        let writer = paced_writer_over_a_table(pacing);
        // Ten writes that each waited for company would take a second.
        let alone = sequential_writes(&writer, 0..10);
        assert!(alone < Duration::from_millis(500), "{alone:?}");

        batch_together(&writer, 100..103);
        std::thread::sleep(pacing.concurrent_for + Duration::from_millis(100));
        let after = sequential_writes(&writer, 10..20);
        assert!(after < Duration::from_millis(500), "{after:?}");
    }

    #[test]
    fn spread_out_writes_share_a_commit_once_writers_were_concurrent() {
        let pacing = Pacing {
            linger: Duration::from_millis(400),
            concurrent_for: Duration::from_secs(30),
        };
        let writer = paced_writer_over_a_table(pacing);
        batch_together(&writer, 100..103);

        let before = commits(&writer);
        let (done_tx, done) = unbounded();
        for x in [1, 2] {
            submit_insert(&writer, x, &done_tx);
            // The second comes well after the first has found the writer idle.
            std::thread::sleep(Duration::from_millis(30));
        }
        assert!(done.recv().unwrap() && done.recv().unwrap());
        assert_eq!(commits(&writer) - before, 1);
    }

    #[test]
    fn a_failing_repeatable_job_undoes_only_itself() {
        let writer = writer_over_a_table();

        // The first job holds the writer until every other job is queued, so they share its batch.
        let (started_tx, started) = bounded(1);
        let (release, released) = bounded::<()>(1);
        let mut hold = Some((started_tx, released));
        let (first_tx, first) = bounded(1);
        writer
            .submit_repeatable(
                move |conn| {
                    if let Some((started, released)) = hold.take() {
                        started.send(()).unwrap();
                        released.recv().unwrap();
                    }
                    insert(conn, 0)
                },
                move |r| first_tx.send(r.is_ok()).unwrap(),
            )
            .unwrap();
        started.recv().unwrap();

        let runs: Vec<Arc<AtomicUsize>> = (0..3).map(|_| Arc::new(AtomicUsize::new(0))).collect();
        let (done_tx, done) = unbounded();
        for (name, xs, runs) in [
            ("a", &[1][..], &runs[0]),
            // Inserts 2, then fails on 1: its 2 must not be saved either.
            ("b", &[2, 1][..], &runs[1]),
            ("c", &[3][..], &runs[2]),
        ] {
            let done_tx = done_tx.clone();
            writer
                .submit_repeatable(counted(xs, runs), move |r| {
                    done_tx.send((name, r.is_ok())).unwrap()
                })
                .unwrap();
        }
        // A job that can't run twice, queued behind them: it must wait for a batch of its own.
        let once_tx = done_tx.clone();
        writer
            .submit(
                |conn| insert(conn, 4),
                move |r| once_tx.send(("once", r.is_ok())).unwrap(),
            )
            .unwrap();
        release.send(()).unwrap();

        assert!(first.recv().unwrap());
        let mut outcomes: Vec<(&str, bool)> = (0..4).map(|_| done.recv().unwrap()).collect();
        outcomes.sort();
        assert_eq!(
            outcomes,
            [("a", true), ("b", false), ("c", true), ("once", true)]
        );
        assert_eq!(stored(&writer), [0, 1, 3, 4]);
        // a and b ran once without savepoints and again after the rollback; c came after the failure.
        let counts: Vec<usize> = runs.iter().map(|r| r.load(Ordering::SeqCst)).collect();
        assert_eq!(counts, [2, 2, 1]);
    }

    /// A job whose transaction can't begin is told so and never runs: outside a transaction its
    /// writes would commit on their own while its caller heard that the write failed.
    #[test]
    fn a_job_whose_transaction_cannot_begin_does_not_run() {
        let dir = crate::store::test_dir("writer-begin");
        let path = dir.join("t.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t(x INTEGER UNIQUE)")
            .unwrap();
        conn.busy_timeout(Duration::from_millis(50)).unwrap();
        let writer = Writer::spawn_paced(conn, MAX_BATCH, Pacing::default());
        // Another connection holds the write lock; each job would end that transaction first, so
        // that its own write could go through if it ran.
        let locked = || {
            let lock = Connection::open(&path).unwrap();
            lock.execute_batch("BEGIN IMMEDIATE").unwrap();
            lock
        };
        let lock = locked();
        let once = writer.write(move |conn| {
            lock.execute_batch("COMMIT")?;
            insert(conn, 1)
        });
        assert!(once.is_err(), "{once:?}");
        let lock = locked();
        let alone = writer.write_alone(move |conn| {
            lock.execute_batch("COMMIT")?;
            insert(conn, 2)
        });
        assert!(alone.is_err(), "{alone:?}");
        assert_eq!(stored(&writer), Vec::<i64>::new());
        drop(writer);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_job_alone_gets_a_transaction_of_its_own_without_a_savepoint() {
        let writer = writer_over_a_table();
        // Hold the writer so that an insert, the lone job and another insert queue up behind it.
        let (done_tx, done) = unbounded();
        let release = hold(&writer, 1, &done_tx);
        submit_insert(&writer, 2, &done_tx);
        let lone = {
            let writer = writer.clone();
            thread::spawn(move || {
                writer.write_alone(|conn| {
                    // Inside a savepoint named `job` this would release it.
                    let in_savepoint = conn.execute_batch("RELEASE job").is_ok();
                    insert(conn, 3)?;
                    Ok(in_savepoint)
                })
            })
        };
        while writer.tx.len() < 2 {
            thread::yield_now();
        }
        submit_insert(&writer, 4, &done_tx);
        let before = commits(&writer);
        release.send(()).unwrap();
        assert!(
            !lone.join().unwrap().unwrap(),
            "the lone job ran in a savepoint"
        );
        for _ in 0..3 {
            assert!(done.recv().unwrap());
        }
        // The held batch with 2, the lone job, then 4: three commits.
        assert_eq!(commits(&writer) - before, 3);

        // A lone job that fails leaves nothing behind, and the writer carries on.
        let err = writer.write_alone(|conn| {
            insert(conn, 5)?;
            insert(conn, 1)
        });
        assert!(err.is_err());
        assert_eq!(stored(&writer), [1, 2, 3, 4]);
    }

    #[test]
    fn repeatable_jobs_commit_together_without_reruns() {
        let writer = writer_over_a_table();
        let runs = Arc::new(AtomicUsize::new(0));
        for x in [&[10][..], &[11][..], &[12][..]] {
            writer.write_repeatable(counted(x, &runs)).unwrap();
        }
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        let err = writer.write_repeatable(counted(&[10], &runs)).unwrap_err();
        assert!(err.to_string().contains("UNIQUE"), "{err}");
        let n: i64 = writer
            .write(|conn| Ok(conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(n, 3);
    }
}
