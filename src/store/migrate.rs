//! Numbered, forward-only schema migrations keyed on `PRAGMA user_version`.
//!
//! Migration N (1-based) turns a version N-1 database into version N. A step is never edited once it has
//! shipped; a change to the schema is a new step at the end. Each step runs in its own transaction
//! together with the version bump, so a crash mid-upgrade leaves the previous version intact.

use rusqlite::Connection;

use super::{Result, StoreError};

/// The steps, in order. Append only.
pub const MIGRATIONS: &[&str] = &[
    // 1: settings, internal state, people who log in, and machine keys.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE settings (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        role          TEXT NOT NULL CHECK (role IN ('admin', 'staff')),
        language      TEXT NOT NULL DEFAULT 'en',
        created_at    INTEGER NOT NULL,
        disabled_at   INTEGER
    );
    CREATE TABLE api_keys (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL,
        key_id       TEXT NOT NULL UNIQUE,
        secret_hash  TEXT,
        scopes       TEXT NOT NULL,
        allow_cidrs  TEXT NOT NULL DEFAULT '',
        created_at   INTEGER NOT NULL,
        revoked_at   INTEGER
    );
    "#,
    // 2: contacts with typed numbers, employees (extended by the journal), and the office's own lines.
    r#"
    CREATE TABLE employees (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        email      TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL
    );
    CREATE TABLE contacts (
        id             INTEGER PRIMARY KEY,
        first_name     TEXT NOT NULL DEFAULT '',
        last_name      TEXT NOT NULL DEFAULT '',
        company        TEXT NOT NULL DEFAULT '',
        email          TEXT NOT NULL DEFAULT '',
        notes          TEXT NOT NULL DEFAULT '',
        responsible_id INTEGER REFERENCES employees(id) ON DELETE SET NULL,
        source         TEXT NOT NULL DEFAULT 'local',
        upstream_id    TEXT,
        created_at     INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL
    );
    CREATE INDEX contacts_by_name ON contacts(last_name COLLATE NOCASE, first_name COLLATE NOCASE);
    CREATE INDEX contacts_by_company ON contacts(company COLLATE NOCASE);
    CREATE UNIQUE INDEX contacts_by_upstream ON contacts(source, upstream_id) WHERE upstream_id IS NOT NULL;
    CREATE TABLE phones (
        id         INTEGER PRIMARY KEY,
        contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        kind       TEXT NOT NULL CHECK (kind IN ('office', 'mobile', 'home', 'fax', 'other')),
        raw        TEXT NOT NULL,
        e164       TEXT,
        digits     TEXT NOT NULL,
        rdigits    TEXT NOT NULL,
        position   INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX phones_by_contact ON phones(contact_id, position);
    CREATE INDEX phones_by_e164 ON phones(e164) WHERE e164 IS NOT NULL;
    CREATE INDEX phones_by_digits ON phones(digits);
    CREATE INDEX phones_by_rdigits ON phones(rdigits);
    CREATE TABLE lines (
        id         INTEGER PRIMARY KEY,
        raw        TEXT NOT NULL,
        e164       TEXT NOT NULL UNIQUE,
        name       TEXT NOT NULL,
        is_main    INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    );
    "#,
];

/// The schema version this build writes.
pub fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

pub fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Brings the database up to [`latest`]. Refuses a database from a newer ringbook.
pub fn run(conn: &mut Connection) -> Result<()> {
    run_to(conn, latest())
}

/// Migrates up to `target` only; the upgrade tests use it to build every earlier version.
pub fn run_to(conn: &mut Connection, target: i64) -> Result<()> {
    let found = version(conn)?;
    if found > latest() {
        return Err(StoreError::TooNew {
            found,
            known: latest(),
        });
    }
    for (i, step) in MIGRATIONS
        .iter()
        .enumerate()
        .take(target as usize)
        .skip(found as usize)
    {
        let next = i as i64 + 1;
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", next)?;
        tx.commit()?;
        log::info!("database migrated to schema version {next}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a database at every earlier version, puts a row in it, and upgrades it to the latest:
    /// the upgrade must succeed and keep what was there.
    #[test]
    fn upgrades_from_every_earlier_version() {
        for start in 0..latest() {
            let mut conn = Connection::open_in_memory().unwrap();
            run_to(&mut conn, start).unwrap();
            assert_eq!(version(&conn).unwrap(), start);
            if start >= 1 {
                conn.execute("INSERT INTO settings(key, value, updated_at) VALUES ('number.country', 'AT', 0)", [])
                    .unwrap();
            }
            run(&mut conn).unwrap();
            assert_eq!(version(&conn).unwrap(), latest(), "from version {start}");
            if start >= 1 {
                let v: String = conn
                    .query_row(
                        "SELECT value FROM settings WHERE key = 'number.country'",
                        [],
                        |r| r.get(0),
                    )
                    .unwrap();
                assert_eq!(
                    v, "AT",
                    "a setting written at version {start} survives the upgrade"
                );
            }
            let check: String = conn
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            assert_eq!(check, "ok");
        }
    }

    #[test]
    fn refuses_a_newer_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", latest() + 1)
            .unwrap();
        let err = run(&mut conn).unwrap_err();
        assert!(err.to_string().contains("newer ringbook"), "{err}");
    }

    #[test]
    fn running_twice_changes_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        run(&mut conn).unwrap();
        assert_eq!(version(&conn).unwrap(), latest());
    }
}
