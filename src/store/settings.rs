//! SQL for the `settings` and `meta` tables.

use rusqlite::{params, Connection, OptionalExtension};

use super::{now, Reader, Result};

pub fn put(tx: &Connection, key: &str, value: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO settings(key, value, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        params![key, value, now()],
    )?;
    Ok(())
}

/// Internal state that is not a user setting (the setup-code hash, for one).
pub fn meta_put(tx: &Connection, key: &str, value: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

pub fn meta_delete(tx: &Connection, key: &str) -> Result<()> {
    tx.execute("DELETE FROM meta WHERE key = ?1", [key])?;
    Ok(())
}

impl Reader {
    pub fn settings_all(&self) -> Result<Vec<(String, String)>> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT key, value FROM settings")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn meta_get(&self, key: &str) -> Result<Option<String>> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?;
        Ok(st.query_row([key], |r| r.get(0)).optional()?)
    }
}
