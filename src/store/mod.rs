//! The store owns the SQLite file and every line of SQL in ringbook.
//!
//! - Writes go through one writer thread ([`Writer`]) that commits jobs in batches (group commit) and
//!   answers each caller only after COMMIT has returned, so an acknowledged write survives a power cut
//!   (WAL, `synchronous=FULL`).
//! - Reads use their own connections ([`Reader`]), one per HTTP worker, so lookups never queue behind
//!   writes.
//! - The schema is migrated forward by numbered steps keyed on `PRAGMA user_version` ([`migrate`]).
//!
//! Domain modules call named functions here (`Reader::phones_by_e164`, `contacts::insert`), never SQL.

pub mod auth;
pub mod call_reads;
pub mod calls;
pub mod contacts;
pub mod desk_phones;
pub mod directory;
pub mod email;
pub mod employees;
pub mod lines;
pub mod migrate;
pub mod outbox;
pub mod restore;
pub mod settings;
pub mod tls;
pub mod users;
pub mod web;
mod writer;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use writer::{Tx, Writer, MAX_BATCH};

/// Errors from the store, worded for whoever reads the log or the CLI output.
#[derive(Debug)]
pub enum StoreError {
    Sqlite(rusqlite::Error),
    /// The database was written by a newer ringbook; refusing to touch it protects the data.
    TooNew {
        found: i64,
        known: i64,
    },
    /// The writer thread is gone (the process is shutting down).
    WriterGone,
    NotFound(String),
    Invalid(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Sqlite(e) => write!(f, "database error: {e}"),
            StoreError::TooNew { found, known } => write!(
                f,
                "the database has schema version {found}, but this ringbook only knows up to {known}; \
                 use a newer ringbook or restore a backup"
            ),
            StoreError::WriterGone => write!(f, "the database writer has stopped"),
            StoreError::NotFound(what) => write!(f, "{what} was not found"),
            StoreError::Invalid(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e)
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// How long a connection waits for a lock held by another process (the CLI, a backup) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The WAL's size (frames of a page each, so about 40 MB) at which the writer checkpoints after its
/// commit, so that its next commit starts the WAL over.
///
/// The WAL starts over only when a write begins on a WAL that is copied back in full, and the
/// background checkpointer can't arrange that: under sustained writes the writer commits again while
/// it copies, and it can't win the write lock from a writer that takes it back at once. So this is
/// what bounds the WAL under full ingest, which writes some 3.7 pages a call event (25,000–40,000
/// frames a second here). At 4,096 frames the WAL peaked at 17–19 MB instead of 40, but ingest at
/// full load was slower in 5 of 6 alternating 10-second runs (9,721 against 10,150 events/s on
/// average), the writer doing more of the copying itself. An office's few events a second never
/// come near either size: the background checkpointer copies them back between commits.
pub(crate) const WAL_FRAMES: i64 = 10_000;

/// The size the WAL file is cut back to when the WAL starts over. A transaction larger than the
/// bound above (an import, a restore, a migration) grows the file past it, and SQLite otherwise
/// keeps the file at its largest size for good: 150 MB after the bench's 1M-contact import.
const WAL_FILE_LIMIT: i64 = 32 << 20;

/// The opened database: its path and the handle to its writer thread. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    path: PathBuf,
    writer: Writer,
}

impl Store {
    /// Opens (creating if missing) the database at `path`, migrates it to the current schema and starts
    /// the writer thread.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with_batch(path, writer::MAX_BATCH)
    }

    /// Like [`Store::open`], with at most `max_batch` writes per commit. A batch of 1 is one commit per
    /// write: the benchmark's baseline for what group commit buys.
    pub fn open_with_batch(path: &Path, max_batch: usize) -> Result<Store> {
        configure_sqlite_memory();
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        migrate::run(&mut conn)?;
        // The background checkpointer copies the WAL back; the writer's own checkpoint at this size
        // is what starts the WAL over under sustained writes (see [`WAL_FRAMES`]).
        conn.pragma_update(None, "wal_autocheckpoint", WAL_FRAMES)?;
        let writer = Writer::spawn(conn, max_batch);
        let checkpointer = Connection::open(path)?;
        without_lookaside(&checkpointer);
        checkpointer.busy_timeout(BUSY_TIMEOUT)?;
        checkpointer.pragma_update(None, "cache_size", -256)?;
        writer.spawn_checkpointer(checkpointer);
        Ok(Store {
            path: path.to_path_buf(),
            writer,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// A new read-only connection. Each HTTP worker keeps one for its lifetime.
    pub fn reader(&self) -> Result<Reader> {
        self.open_reader(true)
    }

    /// A read-only connection for a thread that runs a statement now and then (the janitor, the
    /// call sources' supervisor, the CRM sync, a browser's event stream): like [`Store::reader`], without SQLite's lookaside allocator.
    /// Lookaside serves a busy connection's small allocations from a 48 KB buffer of its own, which
    /// SQLite touches in full when it opens the connection; for a thread that wakes every few
    /// seconds, that is memory held for nothing.
    pub fn background_reader(&self) -> Result<Reader> {
        self.open_reader(false)
    }

    fn open_reader(&self, lookaside: bool) -> Result<Reader> {
        configure_sqlite_memory();
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        if !lookaside {
            without_lookaside(&conn);
        }
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "query_only", true)?;
        // A small page cache per reader keeps memory low with many workers; the OS page cache does
        // the rest. Measured on 1M contacts: 8 MB instead of 512 KB cut the reads per lookup from 7.4
        // to 4.1, but searching the larger cache cost as much CPU as the reads saved. Memory-mapped
        // I/O (`mmap_size`) was no faster either, and counts each page read in RSS once per reader.
        conn.pragma_update(None, "cache_size", -512)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Reader { conn })
    }

    /// A read connection to a database without opening it for writing (no migration, no writer thread),
    /// for tools that only read, such as the benchmark's load generator.
    pub fn reader_only(path: &Path) -> Result<Reader> {
        Store {
            path: path.to_path_buf(),
            writer: Writer::detached(),
        }
        .reader()
    }

    /// Runs `f` in the writer thread inside the current batch's transaction and returns its result
    /// once the batch has committed.
    pub fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Tx) -> Result<T> + Send + 'static,
    {
        self.writer.write(f)
    }

    /// Runs `f` in a transaction of its own, without a savepoint ([`Writer::write_alone`]), for a job
    /// that writes all over a large database (an import, a re-normalization, a mirror's refresh).
    /// In a savepoint its old pages would be kept in memory: re-normalizing the bench's 2M numbers
    /// that way took the CLI to 455 MB, 300 MB more than alone.
    pub fn write_alone<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Tx) -> Result<T> + Send + 'static,
    {
        self.writer.write_alone(f)
    }
}

/// A fresh, empty directory for one unit test's database, named after the test (`tag`) and the
/// process, so tests running in parallel never share a file.
#[cfg(test)]
pub(crate) fn test_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ringbook-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the test directory can be made");
    dir
}

/// Sets SQLite's process-wide memory options, once, before the first connection opens.
///
/// By default every connection allocates room for 20 pages (88 KB) in one block the first time it
/// reads, and SQLite touches all of it. ringbook keeps some sixteen connections, most of which only
/// ever read the schema and a few settings, so those blocks were 1.4 MB of the idle server's 20 MB.
/// Without the block a connection allocates each page when it first needs it; a lookup worker's
/// cache fills within its first requests and from then on reuses its pages, as before.
fn configure_sqlite_memory() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: SQLITE_CONFIG_PAGECACHE takes a pointer (null: no caller-provided buffer), a page
        // size and a count. sqlite3_config may only run before SQLite initialises; `Once` keeps it
        // to one call, and if a connection was opened earlier it just returns SQLITE_MISUSE.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_config(
                rusqlite::ffi::SQLITE_CONFIG_PAGECACHE,
                std::ptr::null_mut::<std::ffi::c_void>(),
                0 as std::ffi::c_int,
                0 as std::ffi::c_int,
            )
        };
        if rc != rusqlite::ffi::SQLITE_OK {
            log::debug!("SQLite keeps its default page-cache allocation (code {rc})");
        }
    });
}

/// Turns off the lookaside allocator of a connection that has run no statement yet (see
/// [`Store::background_reader`]). If SQLite refuses, the connection keeps it: that costs memory,
/// nothing else.
fn without_lookaside(conn: &Connection) {
    // SAFETY: SQLITE_DBCONFIG_LOOKASIDE takes a buffer pointer (null: none), a slot size and a slot
    // count; zero slots turn lookaside off. The handle is valid for the call, and no lookaside
    // memory is in use on a connection that has not run a statement.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_db_config(
            conn.handle(),
            rusqlite::ffi::SQLITE_DBCONFIG_LOOKASIDE,
            std::ptr::null_mut::<std::ffi::c_void>(),
            0 as std::ffi::c_int,
            0 as std::ffi::c_int,
        )
    };
    if rc != rusqlite::ffi::SQLITE_OK {
        log::debug!("a background connection keeps SQLite's lookaside allocator (code {rc})");
    }
}

/// The pragmas every read-write connection gets. WAL with `synchronous=FULL` makes a COMMIT durable
/// when it returns; foreign keys keep phones from outliving their contact.
fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Invalid(format!(
            "the database could not switch to WAL mode (it is in {mode})"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "journal_size_limit", WAL_FILE_LIMIT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "cache_size", -8192)?;
    // Each writer job runs in a savepoint, whose statement journal would otherwise be a temporary
    // file opened and written per job; in memory it costs a few page copies (ingest: the writer
    // thread spent a sixth of its time there).
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // The journal's assembler alone uses some 30 statements per event; rusqlite's default cache of
    // 16 would re-parse them on every job.
    conn.set_prepared_statement_cache_capacity(128);
    Ok(())
}

/// A read connection with the queries the HTTP workers and the CLI need.
pub struct Reader {
    conn: Connection,
}

impl Reader {
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f`'s reads in one read transaction, so they all see the database as of one moment: a
    /// lookup's phone hit and the contact it then reads can't be split by a delete committed in
    /// between. It is also cheaper: outside a transaction every statement takes and releases
    /// SQLite's file and WAL read locks itself (four `fcntl` calls), and a lookup runs two to ten
    /// statements. Measured on the 1M-contact bench database: 8 → 2 `fcntl` calls and 26.5 → 21 µs
    /// per lookup, single-threaded. Nested calls join the outer transaction.
    pub fn snapshot<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        if !self.conn.is_autocommit() {
            return f();
        }
        self.conn
            .prepare_cached("BEGIN")
            .and_then(|mut st| st.execute([]))
            .map_err(StoreError::from)?;
        let result = f();
        // A read-only transaction has nothing to lose; ending it only releases the read locks.
        if let Err(e) = self
            .conn
            .prepare_cached("COMMIT")
            .and_then(|mut st| st.execute([]))
        {
            log::warn!("a read transaction did not end cleanly, rolling it back: {e}");
            if let Err(e) = self.conn.execute_batch("ROLLBACK") {
                log::error!("a read transaction could not be rolled back: {e}");
            }
        }
        result
    }

    /// Size of the database file plus its WAL, for `/metrics`.
    pub fn db_size_bytes(&self) -> Result<i64> {
        let pages: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let size: i64 = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        Ok(pages * size)
    }

    /// A cheap query proving the file is readable, for `/healthz`.
    pub fn integrity_quick(&self) -> Result<()> {
        self.conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
        Ok(())
    }

    /// Runs SQLite's own consistency check; `ok` when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

/// Seconds since the Unix epoch, the time format of every column in the store.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many small allocations SQLite served from a connection's lookaside buffer so far.
    fn lookaside_hits(conn: &Connection) -> i32 {
        let (mut current, mut high) = (0, 0);
        // SAFETY: a valid handle and two out-pointers that live for the call.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_db_status(
                conn.handle(),
                rusqlite::ffi::SQLITE_DBSTATUS_LOOKASIDE_HIT,
                &mut current,
                &mut high,
                0,
            )
        };
        assert_eq!(rc, rusqlite::ffi::SQLITE_OK);
        high
    }

    #[test]
    fn background_readers_run_without_lookaside_and_workers_with_it() {
        let dir = test_dir("lookaside");
        let store = Store::open(&dir.join("t.db")).unwrap();
        let worker = store.reader().unwrap();
        let background = store.background_reader().unwrap();
        for r in [&worker, &background] {
            r.integrity_quick().unwrap();
            let _ = crate::settings::Settings::load(r).unwrap();
        }
        assert!(lookaside_hits(worker.conn()) > 0);
        assert_eq!(lookaside_hits(background.conn()), 0);
        drop((worker, background, store));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The WAL index's frame count and how many of those frames are already copied back into the
    /// database file (`mxFrame` and `nBackfill`, at byte offsets 16 and 96 of the `-shm` file in
    /// SQLite's documented WAL-index format; native byte order).
    fn wal_frames_and_backfilled(db: &Path) -> (u32, u32) {
        let mut shm = db.as_os_str().to_owned();
        shm.push("-shm");
        let bytes = std::fs::read(&shm).expect("the WAL index exists");
        let word = |at: usize| u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap());
        (word(16), word(96))
    }

    /// [`wal_frames_and_backfilled`] once every frame is copied back, or after 10 s.
    fn wal_once_copied_back(db: &Path) -> (u32, u32) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let (frames, backfilled) = wal_frames_and_backfilled(db);
            if backfilled == frames || std::time::Instant::now() > deadline {
                return (frames, backfilled);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn a_wal_left_by_an_unclean_exit_is_checkpointed_at_open_before_any_commit() {
        let dir = test_dir("leftover-wal");
        let db = dir.join("t.db");
        drop(Store::open(&db).unwrap());
        // A run that ends without closing its connection (killed, or the power cut) leaves frames
        // in the WAL that no checkpoint has copied back.
        let conn = Connection::open(&db).unwrap();
        conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        conn.execute_batch(
            "CREATE TABLE filler(x);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
             INSERT INTO filler SELECT randomblob(500) FROM n;",
        )
        .unwrap();
        std::mem::forget(conn);
        let (frames, backfilled) = wal_frames_and_backfilled(&db);
        assert!(
            frames > 100 && backfilled < frames,
            "{frames} frames, {backfilled} copied"
        );

        let store = Store::open(&db).unwrap();
        let (frames, backfilled) = wal_once_copied_back(&db);
        assert_eq!(
            backfilled, frames,
            "the frames left over should be copied back without waiting for a commit"
        );
        assert!(frames > 100);
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn frames_a_reader_held_back_are_checkpointed_once_it_is_done_without_another_commit() {
        let dir = test_dir("held-wal");
        let db = dir.join("t.db");
        let store = Store::open(&db).unwrap();
        store
            .write(|c| Ok(c.execute_batch("CREATE TABLE filler(x)")?))
            .unwrap();
        // A long read (a weekly report) holds its snapshot while calls come in.
        let reader = store.reader().unwrap();
        reader.conn().execute_batch("BEGIN").unwrap();
        let _: i64 = reader
            .conn()
            .query_row("SELECT count(*) FROM filler", [], |r| r.get(0))
            .unwrap();
        store
            .write(|c| {
                Ok(c.execute_batch(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
                     INSERT INTO filler SELECT randomblob(500) FROM n;",
                )?)
            })
            .unwrap();
        std::thread::sleep(Duration::from_millis(600));
        let (frames, backfilled) = wal_frames_and_backfilled(&db);
        assert!(
            backfilled < frames,
            "the open read should hold frames back: {backfilled} of {frames} copied"
        );

        reader.conn().execute_batch("COMMIT").unwrap();
        let (frames, backfilled) = wal_once_copied_back(&db);
        assert_eq!(
            backfilled, frames,
            "once the read is over, the rest should be copied back without another commit"
        );
        drop((reader, store));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn sustained_writes_keep_the_wal_bounded_and_a_large_transaction_leaves_no_large_file() {
        let dir = test_dir("bounded-wal");
        let db = dir.join("t.db");
        let store = Store::open(&db).unwrap();
        let wal_len = || std::fs::metadata(dir.join("t.db-wal")).unwrap().len();
        // An import: one transaction larger than the file limit.
        store
            .writer
            .write_alone(|c| {
                Ok(c.execute_batch(
                    "CREATE TABLE big(x);
                     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000)
                     INSERT INTO big SELECT randomblob(3500) FROM n;
                     CREATE TABLE t(k BLOB, v BLOB);
                     CREATE INDEX t_by_k ON t(k);",
                )?)
            })
            .unwrap();
        assert!(wal_len() > WAL_FILE_LIMIT as u64, "{} bytes", wal_len());

        // Calls coming in while lookups read: each commit scatters rows over random index pages, and
        // the writer commits again before the background checkpointer is done. (A read that lasts
        // longer than the WAL takes to pass the bound, such as a long report, holds it back until
        // it ends; that is not what this tests.)
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (reader, stop) = (store.reader().unwrap(), stop.clone());
                std::thread::spawn(move || {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let _: i64 = reader
                            .conn()
                            .query_row("SELECT count(*) FROM t WHERE k = randomblob(16)", [], |r| {
                                r.get(0)
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        // Frames written since the WAL first started over after the import, the most it held since,
        // and the file's size right after that start.
        let (mut written, mut most, mut cut_to) = (0, 0, None);
        // Some 50 frames a commit: enough commits to write the bound and half again.
        for _ in 0..1_000 {
            if written >= WAL_FRAMES as u32 + 5_000 {
                break;
            }
            let before = wal_frames_and_backfilled(&db).0;
            store
                .write(|c| {
                    Ok(c.execute_batch(
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
                         INSERT INTO t SELECT randomblob(16), randomblob(900) FROM n;",
                    )?)
                })
                .unwrap();
            let after = wal_frames_and_backfilled(&db).0;
            if cut_to.is_none() {
                if after < before {
                    cut_to = Some(wal_len());
                } else {
                    continue;
                }
            }
            written += if after > before {
                after - before
            } else {
                after
            };
            most = most.max(after);
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        readers.into_iter().for_each(|r| r.join().unwrap());
        let cut_to = cut_to.expect("the WAL never started over after the import");
        assert!(
            cut_to <= WAL_FILE_LIMIT as u64,
            "the WAL file stayed at {cut_to} bytes after starting over"
        );
        // Without the writer's checkpoint the WAL would hold everything written. With it, the
        // checkpoint runs after the commit that passes the bound, and a lookup that still reads an
        // older snapshot then (a busy machine may pause its thread) puts the restart off by a commit
        // or a few.
        assert!(
            most < WAL_FRAMES as u32 + 2_000,
            "the WAL reached {most} frames ({written} written); the bound is {WAL_FRAMES}"
        );
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
