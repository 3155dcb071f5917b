//! Reads of the journal that the intake adapters need: the caller's previous call for the Snom pop-up,
//! and the legs a source without call ids (3CX, Propstack, CRM Senior) or a phone's on-hook event has
//! to find again. Read-only; every write goes through `journal::ingest`.
//!
//! Prefix searches run on the `UNIQUE (source, source_key)` index as a key range, so they stay cheap
//! however long the journal grows.

use rusqlite::{params, OptionalExtension};

use super::{Reader, Result};
use crate::journal::{Direction, Status};

/// The caller's previous call, as the Snom pop-up words it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastCallRow {
    pub started_at: i64,
    pub direction: Direction,
    pub status: Status,
    pub extension: Option<String>,
    /// Who held the extension at the time.
    pub employee: Option<String>,
}

/// A leg as an adapter finds it again: its key, its call and whether it has ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegRef {
    pub key: String,
    pub call_id: i64,
    pub ended_at: Option<i64>,
    /// Server time of the leg's latest event.
    pub touched_at: i64,
}

/// The exclusive upper bound of the keys that start with `prefix`: the prefix with its last byte
/// raised by one. Prefixes end in an ASCII separator (`/`, `.`), so this never leaves ASCII.
fn prefix_end(prefix: &str) -> String {
    let mut b = prefix.as_bytes().to_vec();
    match b.last_mut() {
        Some(last) if *last < 0x7f => *last += 1,
        _ => b.push(0x7f),
    }
    String::from_utf8(b).unwrap_or_else(|_| format!("{prefix}\u{7f}"))
}

impl Reader {
    /// The most recent call with this remote key (see `journal::remote_key`) that has ended and is
    /// shown in the journal. Calls still going on are left out, so the call that is ringing right now
    /// (or its other legs in a ring group) is never its own "last call".
    pub fn last_ended_call(&self, remote_key: &str) -> Result<Option<LastCallRow>> {
        let mut st = self.conn().prepare_cached(
            "SELECT c.started_at, c.direction, c.status, c.extension, e.name
             FROM calls c LEFT JOIN employees e ON e.id = c.employee_id
             WHERE c.remote_key = ?1 AND c.ended_at IS NOT NULL AND c.suppressed IS NULL
             ORDER BY c.started_at DESC, c.id DESC LIMIT 1",
        )?;
        Ok(st
            .query_row([remote_key], |r| {
                Ok(LastCallRow {
                    started_at: r.get(0)?,
                    direction: Direction::parse(&r.get::<_, String>(1)?)
                        .unwrap_or(Direction::Unknown),
                    status: Status::parse(&r.get::<_, String>(2)?).unwrap_or(Status::Missed),
                    extension: r.get(3)?,
                    employee: r.get(4)?,
                })
            })
            .optional()?)
    }

    /// The leg of `source` with the greatest key starting with `prefix`. Adapters that make keys as
    /// `PREFIX` + a zero-padded start time get the latest leg of that prefix.
    pub fn latest_leg_with_prefix(&self, source: &str, prefix: &str) -> Result<Option<LegRef>> {
        let mut st = self.conn().prepare_cached(
            "SELECT source_key, call_id, ended_at, touched_at FROM call_legs
             WHERE source = ?1 AND source_key >= ?2 AND source_key < ?3
             ORDER BY source_key DESC LIMIT 1",
        )?;
        Ok(st
            .query_row(params![source, prefix, prefix_end(prefix)], leg_ref)
            .optional()?)
    }

    /// The keys of the legs of `source` starting with `prefix` that have not ended, at most `limit`.
    pub fn open_legs_with_prefix(
        &self,
        source: &str,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<String>> {
        let mut st = self.conn().prepare_cached(
            "SELECT source_key FROM call_legs
             WHERE source = ?1 AND source_key >= ?2 AND source_key < ?3 AND ended_at IS NULL
             ORDER BY source_key LIMIT ?4",
        )?;
        let rows = st.query_map(
            params![source, prefix, prefix_end(prefix), limit as i64],
            |r| r.get(0),
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The latest leg of `source` in call `call_id`, if that source reported on the call at all.
    pub fn leg_of_call(&self, source: &str, call_id: i64) -> Result<Option<LegRef>> {
        let mut st = self.conn().prepare_cached(
            "SELECT source_key, call_id, ended_at, touched_at FROM call_legs
             WHERE call_id = ?1 AND source = ?2
             ORDER BY started_at DESC, id DESC LIMIT 1",
        )?;
        Ok(st.query_row(params![call_id, source], leg_ref).optional()?)
    }
}

fn leg_ref(r: &rusqlite::Row) -> rusqlite::Result<LegRef> {
    Ok(LegRef {
        key: r.get(0)?,
        call_id: r.get(1)?,
        ended_at: r.get(2)?,
        touched_at: r.get(3)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges_cover_exactly_the_prefix() {
        assert_eq!(prefix_end("abc/"), "abc0");
        assert_eq!(prefix_end("h12."), "h12/");
        let (lo, hi) = ("0004f2aabbcc/", prefix_end("0004f2aabbcc/"));
        for inside in ["0004f2aabbcc/x", "0004f2aabbcc/zzzz@host"] {
            assert!(inside >= lo && inside < hi.as_str(), "{inside}");
        }
        for outside in ["0004f2aabbcc", "0004f2aabbcc0", "0004f2aabbcd/x"] {
            assert!(!(outside >= lo && outside < hi.as_str()), "{outside}");
        }
    }
}
