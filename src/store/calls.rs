//! SQL for the call journal: calls, their legs and the raw events. The assembler (journal/assembler.rs)
//! decides what to write; this file only reads and writes rows, with one prepared statement per query.

use std::fmt::Write as _;

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use super::{Reader, Result};
use crate::journal::assembler::{CallRow, Candidate, EndHow, LegLink, LegRow, Prepared};
use crate::journal::policy::Reason;
use crate::journal::view::{Call, CallFilter, Handling, Leg, Named, RawEvent};
use crate::journal::{Direction, HandledHow, Status};

fn direction(s: &str) -> Direction {
    Direction::parse(s).unwrap_or(Direction::Unknown)
}

fn status(s: &str) -> Status {
    Status::parse(s).unwrap_or(Status::Missed)
}

/// Stores a raw event unless the same event (same source, key, kind and fingerprint) is already there.
/// Returns false for a repeat.
pub fn insert_event(tx: &Connection, ev: &Prepared, now: i64) -> Result<bool> {
    let mut st = tx.prepare_cached(
        "INSERT INTO call_events(source, source_key, kind, fingerprint, at, at_trusted, received_at, payload)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(source, source_key, kind, fingerprint) DO NOTHING",
    )?;
    let n = st.execute(params![
        ev.source,
        ev.key,
        ev.kind.as_str(),
        ev.fingerprint,
        ev.at,
        ev.at_trusted,
        now,
        ev.payload
    ])?;
    Ok(n == 1)
}

/// The columns [`leg_from_row`] reads, as a macro so that each query's text is a constant: the writer
/// runs these for every event, and building the text with `format!` first was a visible share of its
/// time under ingest load.
macro_rules! leg_columns {
    () => {
        "id, call_id, source, source_key, grp, direction, direction_known, remote_raw, \
         remote_e164, remote_key, extension, agent, employee_id, line_id, started_at, answered_at, \
         ended_at, end_how, cause, transferred_to, last_event_at, touched_at"
    };
}

fn leg_from_row(r: &Row) -> rusqlite::Result<LegRow> {
    Ok(LegRow {
        id: r.get(0)?,
        call_id: r.get(1)?,
        source: r.get(2)?,
        source_key: r.get(3)?,
        grp: r.get(4)?,
        direction: direction(&r.get::<_, String>(5)?),
        direction_known: r.get(6)?,
        remote_raw: r.get(7)?,
        remote_e164: r.get(8)?,
        remote_key: r.get(9)?,
        extension: r.get(10)?,
        agent: r.get(11)?,
        employee_id: r.get(12)?,
        line_id: r.get(13)?,
        started_at: r.get(14)?,
        answered_at: r.get(15)?,
        ended_at: r.get(16)?,
        end_how: r
            .get::<_, Option<String>>(17)?
            .and_then(|s| EndHow::parse(&s)),
        cause: r.get(18)?,
        transferred_to: r.get(19)?,
        last_event_at: r.get(20)?,
        touched_at: r.get(21)?,
    })
}

pub fn leg_by_key(tx: &Connection, source: &str, key: &str) -> Result<Option<LegRow>> {
    let mut st = tx.prepare_cached(concat!(
        "SELECT ",
        leg_columns!(),
        " FROM call_legs WHERE source = ?1 AND source_key = ?2"
    ))?;
    Ok(st
        .query_row(params![source, key], leg_from_row)
        .optional()?)
}

pub fn legs_of(tx: &Connection, call_id: i64) -> Result<Vec<LegRow>> {
    let mut st = tx.prepare_cached(concat!(
        "SELECT ",
        leg_columns!(),
        " FROM call_legs WHERE call_id = ?1 ORDER BY started_at, id"
    ))?;
    let rows = st.query_map([call_id], leg_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn insert_leg(tx: &Connection, l: &LegRow) -> Result<i64> {
    let mut st = tx.prepare_cached(
        "INSERT INTO call_legs(call_id, source, source_key, grp, direction, direction_known, remote_raw,
             remote_e164, remote_key, extension, agent, employee_id, line_id, started_at, answered_at,
             ended_at, end_how, cause, transferred_to, last_event_at, touched_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
    )?;
    st.execute(params![
        l.call_id,
        l.source,
        l.source_key,
        l.grp,
        l.direction.as_str(),
        l.direction_known,
        l.remote_raw,
        l.remote_e164,
        l.remote_key,
        l.extension,
        l.agent,
        l.employee_id,
        l.line_id,
        l.started_at,
        l.answered_at,
        l.ended_at,
        l.end_how.map(EndHow::as_str),
        l.cause,
        l.transferred_to,
        l.last_event_at,
        l.touched_at
    ])?;
    Ok(tx.last_insert_rowid())
}

fn int(v: Option<i64>) -> Value {
    v.map_or(Value::Null, Value::Integer)
}

fn text(v: Option<&str>) -> Value {
    v.map_or(Value::Null, |s| Value::Text(s.to_string()))
}

/// Collects `column = ?N` pairs for the columns whose value changed. An UPDATE rewrites every index on
/// the columns it sets, whether the value changed or not, so setting only what changed keeps the
/// writer's cost per event down to the indexes that really move.
struct Changes {
    sets: String,
    vals: Vec<Value>,
}

impl Changes {
    fn new() -> Changes {
        Changes {
            sets: String::new(),
            vals: Vec::new(),
        }
    }
    fn set(&mut self, changed: bool, column: &str, v: impl FnOnce() -> Value) {
        if changed {
            self.vals.push(v());
            if !self.sets.is_empty() {
                self.sets.push_str(", ");
            }
            let _ = write!(self.sets, "{column} = ?{}", self.vals.len());
        }
    }
    fn run(mut self, tx: &Connection, table: &str, id: i64) -> Result<()> {
        if self.vals.is_empty() {
            return Ok(());
        }
        self.vals.push(Value::Integer(id));
        let sql = format!(
            "UPDATE {table} SET {} WHERE id = ?{}",
            self.sets,
            self.vals.len()
        );
        tx.prepare_cached(&sql)?
            .execute(params_from_iter(self.vals))?;
        Ok(())
    }
}

/// Writes the columns of leg `new` that differ from `old`.
pub fn update_leg(tx: &Connection, old: &LegRow, new: &LegRow) -> Result<()> {
    let mut c = Changes::new();
    c.set(old.grp != new.grp, "grp", || text(new.grp.as_deref()));
    c.set(old.direction != new.direction, "direction", || {
        Value::Text(new.direction.as_str().into())
    });
    c.set(
        old.direction_known != new.direction_known,
        "direction_known",
        || Value::Integer(new.direction_known.into()),
    );
    c.set(old.remote_raw != new.remote_raw, "remote_raw", || {
        Value::Text(new.remote_raw.clone())
    });
    c.set(old.remote_e164 != new.remote_e164, "remote_e164", || {
        text(new.remote_e164.as_deref())
    });
    c.set(old.remote_key != new.remote_key, "remote_key", || {
        text(new.remote_key.as_deref())
    });
    c.set(old.extension != new.extension, "extension", || {
        text(new.extension.as_deref())
    });
    c.set(old.agent != new.agent, "agent", || {
        text(new.agent.as_deref())
    });
    c.set(old.employee_id != new.employee_id, "employee_id", || {
        int(new.employee_id)
    });
    c.set(old.line_id != new.line_id, "line_id", || int(new.line_id));
    c.set(old.started_at != new.started_at, "started_at", || {
        Value::Integer(new.started_at)
    });
    c.set(old.answered_at != new.answered_at, "answered_at", || {
        int(new.answered_at)
    });
    c.set(old.ended_at != new.ended_at, "ended_at", || {
        int(new.ended_at)
    });
    c.set(old.end_how != new.end_how, "end_how", || {
        text(new.end_how.map(EndHow::as_str))
    });
    c.set(old.cause != new.cause, "cause", || {
        text(new.cause.as_deref())
    });
    c.set(
        old.transferred_to != new.transferred_to,
        "transferred_to",
        || text(new.transferred_to.as_deref()),
    );
    c.set(
        old.last_event_at != new.last_event_at,
        "last_event_at",
        || Value::Integer(new.last_event_at),
    );
    c.set(old.touched_at != new.touched_at, "touched_at", || {
        Value::Integer(new.touched_at)
    });
    c.run(tx, "call_legs", new.id)
}

/// Writes a new call, derived from its first leg; returns its id (`c.id` is ignored). The columns
/// that aren't in [`CallRow`] (description, handling details, assignee) take their defaults.
pub fn insert_call(tx: &Connection, c: &CallRow, now: i64) -> Result<i64> {
    let mut st = tx.prepare_cached(
        "INSERT INTO calls(direction, status, started_at, answered_at, ended_at, duration, end_estimated,
             remote_raw, remote_e164, remote_key, remote_is_employee, contact_id, contact_rule, contact_tie,
             line_id, extension, employee_id, handled_at, recording_url, sources, suppressed, created_at,
             updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
             ?21, ?22, ?23)",
    )?;
    st.execute(params![
        c.direction.as_str(),
        c.status.as_str(),
        c.started_at,
        c.answered_at,
        c.ended_at,
        c.duration,
        c.end_estimated,
        c.remote_raw,
        c.remote_e164,
        c.remote_key,
        c.remote_is_employee,
        c.contact_id,
        c.contact_rule,
        c.contact_tie,
        c.line_id,
        c.extension,
        c.employee_id,
        c.handled_at,
        c.recording_url,
        c.sources,
        c.suppressed.map(Reason::as_str),
        now,
        c.updated_at
    ])?;
    Ok(tx.last_insert_rowid())
}

/// The row [`call_row`] reads; a constant for the reason given at `leg_columns!`.
const CALL_ROW: &str = "SELECT id, direction, status, started_at, answered_at, ended_at, duration, \
    end_estimated, remote_raw, remote_e164, remote_key, remote_is_employee, contact_id, contact_rule, \
    contact_tie, line_id, extension, employee_id, handled_at, recording_url, sources, suppressed, updated_at \
    FROM calls WHERE id = ?1";

pub fn call_row(tx: &Connection, id: i64) -> Result<Option<CallRow>> {
    let mut st = tx.prepare_cached(CALL_ROW)?;
    Ok(st
        .query_row([id], |r| {
            Ok(CallRow {
                id: r.get(0)?,
                direction: direction(&r.get::<_, String>(1)?),
                status: status(&r.get::<_, String>(2)?),
                started_at: r.get(3)?,
                answered_at: r.get(4)?,
                ended_at: r.get(5)?,
                duration: r.get(6)?,
                end_estimated: r.get(7)?,
                remote_raw: r.get(8)?,
                remote_e164: r.get(9)?,
                remote_key: r.get(10)?,
                remote_is_employee: r.get(11)?,
                contact_id: r.get(12)?,
                contact_rule: r.get(13)?,
                contact_tie: r.get(14)?,
                line_id: r.get(15)?,
                extension: r.get(16)?,
                employee_id: r.get(17)?,
                handled_at: r.get(18)?,
                recording_url: r.get(19)?,
                sources: r.get(20)?,
                suppressed: r
                    .get::<_, Option<String>>(21)?
                    .and_then(|s| Reason::parse(&s)),
                updated_at: r.get(22)?,
            })
        })
        .optional()?)
}

/// Writes the columns of call `new` that differ from `old`.
pub fn update_call(tx: &Connection, old: &CallRow, new: &CallRow) -> Result<()> {
    let mut c = Changes::new();
    c.set(old.direction != new.direction, "direction", || {
        Value::Text(new.direction.as_str().into())
    });
    c.set(old.status != new.status, "status", || {
        Value::Text(new.status.as_str().into())
    });
    c.set(old.started_at != new.started_at, "started_at", || {
        Value::Integer(new.started_at)
    });
    c.set(old.answered_at != new.answered_at, "answered_at", || {
        int(new.answered_at)
    });
    c.set(old.ended_at != new.ended_at, "ended_at", || {
        int(new.ended_at)
    });
    c.set(old.duration != new.duration, "duration", || {
        Value::Integer(new.duration)
    });
    c.set(
        old.end_estimated != new.end_estimated,
        "end_estimated",
        || Value::Integer(new.end_estimated.into()),
    );
    c.set(old.remote_raw != new.remote_raw, "remote_raw", || {
        Value::Text(new.remote_raw.clone())
    });
    c.set(old.remote_e164 != new.remote_e164, "remote_e164", || {
        text(new.remote_e164.as_deref())
    });
    c.set(old.remote_key != new.remote_key, "remote_key", || {
        text(new.remote_key.as_deref())
    });
    c.set(
        old.remote_is_employee != new.remote_is_employee,
        "remote_is_employee",
        || Value::Integer(new.remote_is_employee.into()),
    );
    c.set(old.contact_id != new.contact_id, "contact_id", || {
        int(new.contact_id)
    });
    c.set(old.contact_rule != new.contact_rule, "contact_rule", || {
        text(new.contact_rule.as_deref())
    });
    c.set(old.contact_tie != new.contact_tie, "contact_tie", || {
        text(new.contact_tie.as_deref())
    });
    c.set(old.line_id != new.line_id, "line_id", || int(new.line_id));
    c.set(old.extension != new.extension, "extension", || {
        text(new.extension.as_deref())
    });
    c.set(old.employee_id != new.employee_id, "employee_id", || {
        int(new.employee_id)
    });
    c.set(
        old.recording_url != new.recording_url,
        "recording_url",
        || text(new.recording_url.as_deref()),
    );
    c.set(old.sources != new.sources, "sources", || {
        Value::Text(new.sources.clone())
    });
    c.set(old.suppressed != new.suppressed, "suppressed", || {
        text(new.suppressed.map(Reason::as_str))
    });
    c.set(old.updated_at != new.updated_at, "updated_at", || {
        Value::Integer(new.updated_at)
    });
    c.run(tx, "calls", new.id)
}

pub fn suppressed_of(tx: &Connection, call_id: i64) -> Result<Option<Reason>> {
    let mut st = tx.prepare_cached("SELECT suppressed FROM calls WHERE id = ?1")?;
    let s: Option<Option<String>> = st.query_row([call_id], |r| r.get(0)).optional()?;
    Ok(s.flatten().and_then(|s| Reason::parse(&s)))
}

pub fn line_id(tx: &Connection, e164: &str) -> Result<Option<i64>> {
    let mut st = tx.prepare_cached("SELECT id FROM lines WHERE e164 = ?1")?;
    Ok(st.query_row([e164], |r| r.get(0)).optional()?)
}

pub fn call_of_group(tx: &Connection, source: &str, grp: &str) -> Result<Option<i64>> {
    let mut st =
        tx.prepare_cached("SELECT call_id FROM call_legs WHERE source = ?1 AND grp = ?2 LIMIT 1")?;
    Ok(st
        .query_row(params![source, grp], |r| r.get(0))
        .optional()?)
}

/// A row of `SELECT id, direction, started_at, ended_at FROM calls`.
fn candidate_from_row(r: &Row) -> rusqlite::Result<Candidate> {
    Ok(Candidate {
        id: r.get(0)?,
        direction: direction(&r.get::<_, String>(1)?),
        started_at: r.get(2)?,
        ended_at: r.get(3)?,
    })
}

/// Calls with this remote key that started within `[from, to]`, nearest first.
pub fn merge_candidates(tx: &Connection, key: &str, from: i64, to: i64) -> Result<Vec<Candidate>> {
    let mut st = tx.prepare_cached(
        "SELECT id, direction, started_at, ended_at FROM calls
         WHERE remote_key = ?1 AND started_at BETWEEN ?2 AND ?3
         ORDER BY started_at DESC LIMIT 8",
    )?;
    let rows = st.query_map(params![key, from, to], candidate_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn leg_links(tx: &Connection, call_id: i64) -> Result<Vec<LegLink>> {
    let mut st = tx.prepare_cached(
        "SELECT source, grp, transferred_to IS NOT NULL, line_id FROM call_legs WHERE call_id = ?1",
    )?;
    let rows = st.query_map([call_id], |r| {
        Ok(LegLink {
            source: r.get(0)?,
            grp: r.get(1)?,
            transferred: r.get(2)?,
            line_id: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Marks the open missed (or busy, failed) inbound calls from `key` that started before `before`
/// handled by call `by_call`. Returns their ids.
pub fn auto_handle(
    tx: &Connection,
    key: &str,
    before: i64,
    by_call: i64,
    how: HandledHow,
    who: &str,
    now: i64,
) -> Result<Vec<i64>> {
    let mut st = tx.prepare_cached(
        "UPDATE calls SET handled_at = ?5, handled_by = ?4, handled_how = ?3, handled_by_call = ?6,
             updated_at = ?5
         WHERE remote_key = ?1 AND handled_at IS NULL AND direction = 'in'
           AND (status = 'missed' OR status = 'busy' OR status = 'failed') AND suppressed IS NULL
           AND started_at <= ?2 AND id != ?6
         RETURNING id",
    )?;
    let rows = st.query_map(params![key, before, how.as_str(), who, now, by_call], |r| {
        r.get(0)
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Assigns a call to an employee (or to nobody) for the missed-call worklist. False if there is no
/// such call.
pub fn set_assignee(tx: &Connection, id: i64, employee: Option<i64>, now: i64) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE calls SET assignee_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, employee, now],
    )? == 1)
}

pub fn set_description(tx: &Connection, id: i64, text: &str, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE calls SET description = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, text, now],
    )?;
    Ok(())
}

pub fn set_handled(tx: &Connection, id: i64, now: i64, who: &str, how: HandledHow) -> Result<()> {
    tx.execute(
        "UPDATE calls SET handled_at = ?2, handled_by = ?3, handled_how = ?4, handled_by_call = NULL,
             updated_at = ?2
         WHERE id = ?1",
        params![id, now, who, how.as_str()],
    )?;
    Ok(())
}

pub fn clear_handled(tx: &Connection, id: i64, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE calls SET handled_at = NULL, handled_by = NULL, handled_how = NULL, handled_by_call = NULL,
             updated_at = ?2
         WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

/// Open legs last touched before `before`: unanswered ones (`answered` false) for the ring timeout,
/// answered ones for the stale timeout. Oldest first, at most `limit`.
pub fn stale_legs(
    tx: &Connection,
    before: i64,
    answered: bool,
    limit: usize,
) -> Result<Vec<LegRow>> {
    let mut st = tx.prepare_cached(concat!(
        "SELECT ",
        leg_columns!(),
        " FROM call_legs
         WHERE ended_at IS NULL AND touched_at < ?1 AND (answered_at IS NOT NULL) = ?2
         ORDER BY touched_at LIMIT ?3"
    ))?;
    let rows = st.query_map(params![before, answered, limit as i64], leg_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Deletes up to `limit` raw events received before `before`. Returns how many.
pub fn purge_events(tx: &Connection, before: i64, limit: usize) -> Result<usize> {
    Ok(tx.execute(
        "DELETE FROM call_events WHERE id IN (
             SELECT id FROM call_events WHERE received_at < ?1 ORDER BY received_at LIMIT ?2)",
        params![before, limit as i64],
    )?)
}

/// Deletes up to `limit` hidden calls (kept out by a policy) that started before `before`, with their
/// legs. Returns how many.
pub fn purge_suppressed(tx: &Connection, before: i64, limit: usize) -> Result<usize> {
    Ok(tx.execute(
        "DELETE FROM calls WHERE id IN (
             SELECT id FROM calls WHERE suppressed IS NOT NULL AND started_at < ?1
             ORDER BY started_at LIMIT ?2)",
        params![before, limit as i64],
    )?)
}

const VIEW_COLUMNS: &str = "c.id, c.direction, c.status, c.started_at, c.answered_at, c.ended_at, \
    c.duration, c.end_estimated, c.remote_raw, c.remote_e164, c.contact_id, ct.first_name, ct.last_name, \
    ct.company, c.contact_rule, c.contact_tie, c.line_id, l.name, l.e164, c.extension, c.employee_id, e.name, \
    c.description, c.handled_at, c.handled_by, c.handled_how, c.handled_by_call, c.recording_url, c.sources, \
    c.suppressed, c.assignee_id, ea.name";

const VIEW_FROM: &str = "FROM calls c
    LEFT JOIN contacts ct ON ct.id = c.contact_id
    LEFT JOIN lines l ON l.id = c.line_id
    LEFT JOIN employees e ON e.id = c.employee_id
    LEFT JOIN employees ea ON ea.id = c.assignee_id";

fn call_from_row(r: &Row) -> rusqlite::Result<Call> {
    let contact_id: Option<i64> = r.get(10)?;
    let contact = match contact_id {
        Some(id) => {
            let first: String = r.get::<_, Option<String>>(11)?.unwrap_or_default();
            let last: String = r.get::<_, Option<String>>(12)?.unwrap_or_default();
            let company: String = r.get::<_, Option<String>>(13)?.unwrap_or_default();
            let person = format!("{} {}", first.trim(), last.trim())
                .trim()
                .to_string();
            Some(crate::journal::view::CallContact {
                id,
                name: if person.is_empty() {
                    company.clone()
                } else {
                    person
                },
                company,
                rule: r.get::<_, Option<String>>(14)?.unwrap_or_default(),
            })
        }
        None => None,
    };
    let tie: Option<String> = r.get(15)?;
    let direction_v = direction(&r.get::<_, String>(1)?);
    let suppressed: Option<String> = r.get(29)?;
    let handled_at: Option<i64> = r.get(23)?;
    let started_at: i64 = r.get(3)?;
    let answered_at: Option<i64> = r.get(4)?;
    let ended_at: Option<i64> = r.get(5)?;
    Ok(Call {
        id: crate::journal::CallId(r.get(0)?),
        direction: direction_v,
        status: status(&r.get::<_, String>(2)?),
        started_at,
        answered_at,
        ended_at,
        duration: r.get(6)?,
        ring_seconds: answered_at.or(ended_at).map(|t| (t - started_at).max(0)),
        end_estimated: r.get(7)?,
        remote: crate::journal::view::Remote {
            raw: r.get(8)?,
            e164: r.get(9)?,
        },
        contact,
        contact_tie: tie
            .map(|t| t.split(',').filter_map(|x| x.parse().ok()).collect())
            .unwrap_or_default(),
        line: match r.get::<_, Option<i64>>(16)? {
            Some(id) => Some(crate::journal::view::CallLine {
                id,
                name: r.get::<_, Option<String>>(17)?.unwrap_or_default(),
                e164: r.get::<_, Option<String>>(18)?.unwrap_or_default(),
            }),
            None => None,
        },
        extension: r.get(19)?,
        employee: match r.get::<_, Option<i64>>(20)? {
            Some(id) => Some(Named {
                id,
                name: r.get::<_, Option<String>>(21)?.unwrap_or_default(),
            }),
            None => None,
        },
        assignee: match r.get::<_, Option<i64>>(30)? {
            Some(id) => Some(Named {
                id,
                name: r.get::<_, Option<String>>(31)?.unwrap_or_default(),
            }),
            None => None,
        },
        description: r.get(22)?,
        handling: Handling {
            status: if handled_at.is_some() {
                "handled"
            } else {
                "open"
            },
            at: handled_at,
            by: r.get(24)?,
            how: r
                .get::<_, Option<String>>(25)?
                .and_then(|s| HandledHow::parse(&s)),
            by_call: r.get(26)?,
        },
        recording_url: r.get(27)?,
        sources: r
            .get::<_, String>(28)?
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        notify: direction_v == Direction::In && suppressed.is_none(),
        suppressed,
    })
}

impl Reader {
    /// One page of the journal, newest first, after the filter's cursor. Fetches `limit + 1` rows so the
    /// caller knows whether there is a next page.
    pub fn calls(&self, f: &CallFilter) -> Result<Vec<Call>> {
        // The conditions, all on `calls c` alone.
        let mut sql = String::new();
        let mut args: Vec<Value> = Vec::new();
        let mut arg = |sql: &mut String, clause: &str, v: Value| {
            args.push(v);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        };
        if !f.include_suppressed {
            sql.push_str(" AND c.suppressed IS NULL");
        }
        if let Some(t) = f.since {
            arg(&mut sql, " AND c.started_at >= ?", Value::Integer(t));
        }
        if let Some(t) = f.until {
            arg(&mut sql, " AND c.started_at < ?", Value::Integer(t));
        }
        // Status and direction filters without a more selective one (a contact, a number, an
        // employee, an extension, a line) are read as one ordered walk of `calls_by_kind` per
        // (status, direction) pair, merged (see below); otherwise they are plain conditions.
        let by_kind = (!f.statuses.is_empty() || !f.directions.is_empty())
            && f.contact_ids.is_none()
            && f.remote_key.is_none()
            && f.employee.is_none()
            && f.extension.is_none()
            && f.line.is_none();
        if !by_kind && !f.directions.is_empty() {
            let list: Vec<String> = f
                .directions
                .iter()
                .map(|d| format!("'{}'", d.as_str()))
                .collect();
            sql.push_str(&format!(" AND c.direction IN ({})", list.join(",")));
        }
        if !by_kind && !f.statuses.is_empty() {
            let list: Vec<String> = f
                .statuses
                .iter()
                .map(|s| format!("'{}'", s.as_str()))
                .collect();
            sql.push_str(&format!(" AND c.status IN ({})", list.join(",")));
        }
        if let Some(x) = &f.extension {
            arg(&mut sql, " AND c.extension = ?", Value::Text(x.clone()));
        }
        if let Some(e) = f.employee {
            arg(&mut sql, " AND c.employee_id = ?", Value::Integer(e));
        }
        if let Some(l) = f.line {
            arg(&mut sql, " AND c.line_id = ?", Value::Integer(l));
        }
        if let Some(k) = &f.remote_key {
            arg(&mut sql, " AND c.remote_key = ?", Value::Text(k.clone()));
        }
        if let Some(ids) = &f.contact_ids {
            // A list of literal integers: the planner walks `calls_by_contact` once per contact.
            if ids.is_empty() {
                sql.push_str(" AND 0");
            } else {
                let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
                sql.push_str(&format!(" AND c.contact_id IN ({})", list.join(",")));
            }
        }
        match f.handled {
            Some(true) => sql.push_str(" AND c.handled_at IS NOT NULL"),
            Some(false) => sql.push_str(" AND c.handled_at IS NULL"),
            None => {}
        }
        if let Some((t, id)) = f.after {
            args.push(Value::Integer(t));
            args.push(Value::Integer(id));
            sql.push_str(&format!(
                " AND (c.started_at, c.id) < (?{}, ?{})",
                args.len() - 1,
                args.len()
            ));
        }
        args.push(Value::Integer(f.limit as i64 + 1));
        let order = format!(
            " ORDER BY c.started_at DESC, c.id DESC LIMIT ?{}",
            args.len()
        );
        let sql = if by_kind {
            // Walking the time order and skipping what the filter doesn't want reads the whole
            // journal for a status that is rare (1M calls: 360 ms for `busy`); one `IN` over the
            // statuses reads every match and sorts them (115 ms for `missed`). Each pair's walk
            // of `calls_by_kind` is already in time order, and SQLite merges the ordered arms of a
            // UNION ALL and stops at the LIMIT: 0.03 ms for any of them.
            let statuses: &[Status] = if f.statuses.is_empty() {
                &Status::ALL
            } else {
                &f.statuses
            };
            let directions: &[Direction] = if f.directions.is_empty() {
                &Direction::ALL
            } else {
                &f.directions
            };
            let mut arms = Vec::with_capacity(statuses.len() * directions.len());
            for s in statuses {
                for d in directions {
                    arms.push(format!(
                        "SELECT c.started_at, c.id FROM calls c WHERE c.status = '{}' AND c.direction = '{}'{sql}",
                        s.as_str(),
                        d.as_str()
                    ));
                }
            }
            format!(
                "SELECT {VIEW_COLUMNS} {VIEW_FROM} WHERE c.id IN (SELECT id FROM ({} \
                 ORDER BY started_at DESC, id DESC LIMIT ?{})){order}",
                arms.join(" UNION ALL "),
                args.len()
            )
        } else if f.contact_ids.as_ref().is_some_and(|ids| !ids.is_empty()) {
            // The calls of many contacts come from one index range per contact and must be sorted.
            // Sorting only ids (no joins, no text columns) and then reading the page's rows keeps a
            // name matching hundreds of contacts to a few milliseconds with a million calls.
            format!(
                "SELECT {VIEW_COLUMNS} {VIEW_FROM} WHERE c.id IN \
                 (SELECT c.id FROM calls c WHERE 1 = 1{sql}{order}){order}"
            )
        } else {
            format!("SELECT {VIEW_COLUMNS} {VIEW_FROM} WHERE 1 = 1{sql}{order}")
        };
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map(params_from_iter(args), call_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Contacts whose folded name words start with every one of `words`, at most `limit`, in id
    /// order: from the word index (`store::directory::word_query`), which reads its hits in id
    /// order and stops at `limit` (1M demo contacts: well under a millisecond for a common name);
    /// words the index can't answer exactly are checked on every contact.
    pub fn contact_ids_by_words(&self, words: &[String], limit: usize) -> Result<Vec<i64>> {
        use super::directory::{word_like, word_query, WordSearch};
        match word_query(self.conn(), words)? {
            WordSearch::Nothing => Ok(Vec::new()),
            WordSearch::Match(q) => {
                let mut st = self.conn().prepare_cached(
                    "SELECT rowid FROM contact_words WHERE contact_words MATCH ?1 ORDER BY rowid LIMIT ?2",
                )?;
                let rows = st.query_map(params![q, limit as i64], |r| r.get(0))?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            }
            WordSearch::Scan => {
                let mut likes = String::new();
                let mut args: Vec<Value> = Vec::new();
                for w in words {
                    args.push(Value::Text(word_like(w)));
                    likes.push_str(&format!(
                        " AND search_words LIKE ?{} ESCAPE '\\'",
                        args.len()
                    ));
                }
                args.push(Value::Integer(limit as i64));
                let sql = format!(
                    "SELECT id FROM contacts WHERE 1 = 1{likes} ORDER BY id LIMIT ?{}",
                    args.len()
                );
                let mut st = self.conn().prepare_cached(&sql)?;
                let rows = st.query_map(params_from_iter(args), |r| r.get(0))?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            }
        }
    }

    /// One call, hidden ones included (the caller decides what to show).
    pub fn call(&self, id: i64) -> Result<Option<Call>> {
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT {VIEW_COLUMNS} {VIEW_FROM} WHERE c.id = ?1"
        ))?;
        Ok(st.query_row([id], call_from_row).optional()?)
    }

    pub fn call_legs(&self, call_id: i64) -> Result<Vec<Leg>> {
        let legs = legs_of(self.conn(), call_id)?;
        let mut name = self
            .conn()
            .prepare_cached("SELECT name FROM employees WHERE id = ?1")?;
        let mut out = Vec::with_capacity(legs.len());
        for l in legs {
            let employee = match l.employee_id {
                Some(id) => Some(Named {
                    id,
                    name: name
                        .query_row([id], |r| r.get(0))
                        .optional()?
                        .unwrap_or_default(),
                }),
                None => None,
            };
            out.push(Leg {
                id: l.id,
                status: l.status(),
                source: l.source,
                key: l.source_key,
                group: l.grp,
                direction: l.direction,
                remote: l.remote_raw,
                extension: l.extension,
                agent: l.agent,
                employee,
                line_id: l.line_id,
                started_at: l.started_at,
                answered_at: l.answered_at,
                ended_at: l.ended_at,
                end: l.end_how.map(EndHow::as_str),
                cause: l.cause,
                transferred_to: l.transferred_to,
            });
        }
        Ok(out)
    }

    /// The raw events of a call's legs, in the order they were received.
    pub fn call_events(&self, call_id: i64) -> Result<Vec<RawEvent>> {
        let mut st = self.conn().prepare_cached(
            "SELECT e.id, e.source, e.source_key, e.kind, e.at, e.at_trusted, e.received_at, e.payload
             FROM call_legs l
             JOIN call_events e ON e.source = l.source AND e.source_key = l.source_key
             WHERE l.call_id = ?1
             ORDER BY e.id",
        )?;
        let rows = st.query_map([call_id], |r| {
            Ok(RawEvent {
                id: r.get(0)?,
                source: r.get(1)?,
                key: r.get(2)?,
                kind: r.get(3)?,
                at: r.get(4)?,
                time_from_source: r.get(5)?,
                received_at: r.get(6)?,
                payload: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whether the leg `(source, key)` exists and already knows its remote number: then a later event's
    /// number changes nothing, and the journal skips matching it to a contact.
    pub fn leg_remote_known(&self, source: &str, key: &str) -> Result<bool> {
        let mut st = self.conn().prepare_cached(
            "SELECT 1 FROM call_legs WHERE source = ?1 AND source_key = ?2 AND remote_key IS NOT NULL",
        )?;
        Ok(st.exists(params![source, key])?)
    }

    /// How many calls are in the journal, hidden ones included: for tests and `/metrics`.
    pub fn call_count(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM calls", [], |r| r.get(0))?)
    }
}

/// Writes `n` finished calls for benchmarks (the call log with a million calls): one per `step`
/// seconds back from `newest`, from the contacts in `contacts` in turn (every `known`-th call from
/// an unknown number), mixed directions and statuses. Not used by ringbook itself.
#[doc(hidden)]
pub fn bench_fill_calls(
    tx: &Connection,
    contacts: &[(i64, String)],
    n: usize,
    newest: i64,
    step: i64,
) -> Result<usize> {
    let mut st = tx.prepare_cached(
        "INSERT INTO calls(direction, status, started_at, answered_at, ended_at, duration, remote_raw,
             remote_e164, remote_key, contact_id, contact_rule, extension, sources, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7, ?8, ?9, ?10, 'bench', ?3, ?3)",
    )?;
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let started = newest - (i as i64) * step;
        let dir = if x % 3 == 0 { "out" } else { "in" };
        let answered = x % 5 != 0;
        let (status, answered_at, duration) = if answered {
            ("answered", Some(started + 8), (x % 600) as i64)
        } else {
            (
                if dir == "in" {
                    "missed"
                } else {
                    "not_answered"
                },
                None,
                0,
            )
        };
        let known = !contacts.is_empty() && x % 7 != 0;
        let (contact, number) = if known {
            let (id, e164) = &contacts[(x >> 8) as usize % contacts.len()];
            (Some(*id), e164.clone())
        } else {
            (None, format!("+4930{:07}", x % 10_000_000))
        };
        st.execute(params![
            dir,
            status,
            started,
            answered_at,
            started + 8 + duration,
            duration,
            number,
            contact,
            contact.map(|_| "exact"),
            format!("{}", 10 + x % 40),
        ])?;
    }
    Ok(n)
}

/// The open inbound calls without a number on line `line_id` that started between `from` and `to`:
/// the calls a withheld caller's ring on one more phone may belong to (the assembler's rule 3).
pub fn ring_group_candidates(
    tx: &Connection,
    line_id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<Candidate>> {
    let mut st = tx.prepare_cached(
        "SELECT id, direction, started_at, ended_at FROM calls
         WHERE line_id = ?1 AND started_at BETWEEN ?2 AND ?3
           AND remote_key IS NULL AND ended_at IS NULL AND direction = 'in'
         ORDER BY started_at DESC LIMIT 8",
    )?;
    let rows = st.query_map(params![line_id, from, to], candidate_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// A filter by status and direction lists, page by page, exactly the calls that a plain check of
    /// every call finds, newest first, equal start times in id order: the merged walk of
    /// `calls_by_kind` and the plain conditions (with an employee, which takes the other path) agree.
    #[test]
    fn status_and_direction_filters_page_like_a_plain_check() {
        let dir = crate::store::test_dir("calls-kind");
        let store = Store::open(&dir.join("t.db")).unwrap();
        // (started_at, status, direction, suppressed, employee): a few starts shared by several calls.
        let mut rows = Vec::new();
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for i in 0..600i64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let status = Status::ALL[(x % 6) as usize];
            // `failed` only now and then: the rare status the plain walk used to read everything for.
            let status = if status == Status::Failed && i % 50 != 0 {
                Status::Answered
            } else {
                status
            };
            let direction = Direction::ALL[((x >> 8) % 4) as usize];
            rows.push((
                1_000 + i / 3,
                status,
                direction,
                (x >> 16) % 9 == 0,
                (x >> 20) % 2 == 0,
            ));
        }
        let inserted = rows.clone();
        store
            .write(move |tx| {
                tx.execute("INSERT INTO employees(id, name, created_at) VALUES (1, 'E', 0)", [])?;
                let mut st = tx.prepare(
                    "INSERT INTO calls(direction, status, started_at, suppressed, employee_id, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, 0, 0)",
                )?;
                for (at, status, direction, suppressed, employee) in &inserted {
                    st.execute(params![
                        direction.as_str(),
                        status.as_str(),
                        at,
                        suppressed.then_some("test"),
                        employee.then_some(1),
                    ])?;
                }
                Ok(())
            })
            .unwrap();
        let r = store.reader().unwrap();
        // (statuses, directions, since, employee, include suppressed)
        type Case = (Vec<Status>, Vec<Direction>, Option<i64>, Option<i64>, bool);
        let filters: Vec<Case> = vec![
            (vec![Status::Missed], vec![Direction::In], None, None, false),
            (vec![Status::Failed], vec![], None, None, false),
            (
                vec![Status::Missed, Status::Busy, Status::Failed],
                vec![],
                Some(1_050),
                None,
                false,
            ),
            (
                vec![],
                vec![Direction::Out, Direction::Internal],
                None,
                None,
                true,
            ),
            (
                vec![Status::Answered],
                vec![Direction::Out],
                None,
                Some(1),
                false,
            ),
            (
                Status::ALL.to_vec(),
                Direction::ALL.to_vec(),
                None,
                None,
                false,
            ),
        ];
        for (statuses, directions, since, employee, include_suppressed) in filters {
            // Ids are 1-based in insertion order.
            let mut expected: Vec<(i64, i64)> = rows
                .iter()
                .enumerate()
                .filter(|(_, (at, s, d, sup, emp))| {
                    (statuses.is_empty() || statuses.contains(s))
                        && (directions.is_empty() || directions.contains(d))
                        && since.is_none_or(|t| *at >= t)
                        && employee.is_none_or(|_| *emp)
                        && (include_suppressed || !sup)
                })
                .map(|(i, (at, ..))| (*at, i as i64 + 1))
                .collect();
            expected.sort_by(|a, b| b.cmp(a));
            let mut f = CallFilter {
                statuses: statuses.clone(),
                directions: directions.clone(),
                since,
                employee,
                include_suppressed,
                limit: 7,
                ..CallFilter::default()
            };
            let mut listed = Vec::new();
            loop {
                let page = r.calls(&f).unwrap();
                let more = page.len() > f.limit;
                let page: Vec<(i64, i64)> = page
                    .iter()
                    .take(f.limit)
                    .map(|c| (c.started_at, c.id.0))
                    .collect();
                listed.extend_from_slice(&page);
                if !more {
                    break;
                }
                f.after = page.last().copied();
            }
            assert!(
                !expected.is_empty(),
                "{statuses:?} {directions:?}: the test needs matches"
            );
            assert_eq!(
                listed, expected,
                "{statuses:?} {directions:?} since {since:?} employee {employee:?}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
