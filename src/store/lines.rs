//! SQL for the office's own numbers: main numbers and DIDs with their line names.

use rusqlite::{params, Connection};

use super::{now, Reader, Result, StoreError};
use crate::lines::Line;

pub fn insert(tx: &Connection, raw: &str, e164: &str, name: &str, is_main: bool) -> Result<i64> {
    tx.execute(
        "INSERT INTO lines(raw, e164, name, is_main, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(e164) DO UPDATE SET raw = excluded.raw, name = excluded.name, is_main = excluded.is_main",
        params![raw, e164, name, is_main, now()],
    )?;
    Ok(tx.query_row("SELECT id FROM lines WHERE e164 = ?1", [e164], |r| r.get(0))?)
}

pub fn delete(tx: &Connection, id: i64) -> Result<()> {
    if tx.execute("DELETE FROM lines WHERE id = ?1", [id])? == 0 {
        return Err(StoreError::NotFound(format!("line {id}")));
    }
    Ok(())
}

impl Reader {
    pub fn lines(&self) -> Result<Vec<Line>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, raw, e164, name, is_main FROM lines ORDER BY is_main DESC, e164",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Line {
                id: r.get(0)?,
                raw: r.get(1)?,
                e164: r.get(2)?,
                name: r.get(3)?,
                is_main: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
