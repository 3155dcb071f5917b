//! Restoring a backup: check an uploaded file completely, bring it to this version's schema, then copy
//! its rows over the live database in one write transaction.
//!
//! Copying rows through the writer, rather than swapping the file, keeps every open connection valid:
//! the HTTP workers, the call sources and the sync threads keep their readers and simply see the
//! restored data after the COMMIT, and a failure anywhere rolls back and leaves the data as it was.

use std::path::Path;

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};

use super::{migrate, Result, Store, StoreError};

/// The tables every ringbook database has had since its first versions; a file without them is not
/// a ringbook backup, whatever else it holds.
const SIGNATURE: [&str; 3] = ["settings", "users", "api_keys"];

/// What a checked backup holds, shown after the restore.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Its schema version before it was brought up to date.
    pub version: i64,
    pub contacts: i64,
    pub calls: i64,
    pub users: i64,
}

fn invalid(why: impl Into<String>) -> StoreError {
    StoreError::Invalid(why.into())
}

/// Checks the file at `path` (a private copy: it is migrated in place) and brings it to the current
/// schema. Refuses anything that is not a sound ringbook database of this or an earlier version.
pub fn check(path: &Path) -> Result<Summary> {
    let head = {
        use std::io::Read;
        let mut f = std::fs::File::open(path).map_err(|e| invalid(e.to_string()))?;
        let mut h = [0u8; 16];
        f.read_exact(&mut h).map(|_| h).ok()
    };
    if head.as_ref().map(|h| &h[..]) != Some(b"SQLite format 3\0".as_slice()) {
        return Err(invalid(
            "this file is not a ringbook backup: it is not an SQLite database",
        ));
    }
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| invalid(format!("the backup could not be opened: {e}")))?;
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| invalid(format!("the backup is damaged: {e}")))?;
    if integrity != "ok" {
        return Err(invalid(format!(
            "the backup is damaged (SQLite's check says: {integrity})"
        )));
    }
    let version = migrate::version(&conn)?;
    for t in SIGNATURE {
        let found: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [t],
            |r| r.get(0),
        )?;
        if found == 0 || version < 1 {
            return Err(invalid(
                "this SQLite file is not a ringbook backup (its tables are not ringbook's)",
            ));
        }
    }
    if version > migrate::latest() {
        return Err(invalid(format!(
            "this backup comes from a newer ringbook (schema version {version}; this one knows up to {}); update ringbook first",
            migrate::latest()
        )));
    }
    conn.pragma_update(None, "journal_mode", "DELETE")?;
    migrate::run(&mut conn)
        .map_err(|e| invalid(format!("the backup could not be brought up to date: {e}")))?;
    let fk: Option<String> = conn
        .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
        .ok();
    if let Some(table) = fk {
        return Err(invalid(format!(
            "the backup is inconsistent: rows of {table} point at rows that don't exist"
        )));
    }
    let count = |t: &str| -> Result<i64> {
        Ok(conn.query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))?)
    };
    Ok(Summary {
        version,
        contacts: count("contacts")?,
        calls: count("calls")?,
        users: count("users")?,
    })
}

/// The ordinary tables, whose rows are copied. Virtual tables (the FTS5 word index) and their
/// internal tables are left out: they are rebuilt from the copied rows.
fn tables(conn: &Connection) -> Result<Vec<String>> {
    let mut st = conn.prepare(
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )?;
    let rows = st.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn columns(conn: &Connection, table: &str) -> Result<Vec<String>> {
    let mut st = conn.prepare(&format!("PRAGMA table_info(\"{table}\")"))?;
    let rows = st.query_map([], |r| r.get(1))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Replaces every row of the live database with the rows of the checked backup at `path`, in one
/// transaction of the writer. The file must have passed [`check`].
///
/// It runs alone ([`super::writer::Writer::write_alone`]), without a savepoint: a savepoint's
/// sub-journal keeps the old content of every page its job changes, in memory
/// (`temp_store=MEMORY`), and replacing every row changes every page. In a savepoint, restoring a
/// 143 MB backup took the server to 190 MB of resident memory, and a backup of a few hundred MB
/// would have met the service's 512 MB limit.
pub fn apply(store: &Store, path: &Path) -> Result<()> {
    let path = path.to_path_buf();
    store.writer().write_alone(move |tx| {
        let src = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        if migrate::version(&src)? != migrate::version(tx)? {
            return Err(invalid(
                "the backup's schema does not match; nothing was changed",
            ));
        }
        let live = tables(tx)?;
        let theirs = tables(&src)?;
        if live != theirs {
            return Err(invalid(
                "the backup's tables do not match; nothing was changed",
            ));
        }
        // Rows are copied in any order; the foreign keys are checked once, at COMMIT.
        tx.execute_batch("PRAGMA defer_foreign_keys = ON")?;
        for t in &live {
            tx.execute(&format!("DELETE FROM {}", quote(t)), [])?;
        }
        for t in &live {
            let cols = columns(&src, t)?;
            let list = cols.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", ");
            let marks = (1..=cols.len())
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut read = src.prepare(&format!("SELECT {list} FROM {}", quote(t)))?;
            let mut write = tx.prepare(&format!(
                "INSERT INTO {} ({list}) VALUES ({marks})",
                quote(t)
            ))?;
            let mut rows = read.query([])?;
            while let Some(r) = rows.next()? {
                let vals: Vec<Value> = (0..cols.len())
                    .map(|i| r.get::<_, Value>(i))
                    .collect::<rusqlite::Result<_>>()?;
                write.execute(rusqlite::params_from_iter(vals))?;
            }
        }
        super::directory::rebuild_word_index(tx)?;
        Ok(())
    })
}
