//! SQL of the upstream-sync outbox (see `sync/`): one row per (connector, call, step), with an
//! idempotency key. Rows are added by [`enqueue_for_changes`] inside the writer's transaction that changed
//! the call, so a call change and its upstream delivery commit or roll back together; a re-enqueue of the
//! same (connector, call, step) changes nothing (`INSERT OR IGNORE` on the unique key).
//!
//! States: `pending` (waiting or backing off), `delivered` (a 2xx was recorded), `dead` (gave up after
//! `sync.max_attempts`, last error kept) and `skipped` (an admin said so). Times are Unix milliseconds.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::Result;
use crate::journal::assembler::CallRow;
use crate::journal::notify::{CallChanged, ChangeKind};

/// The connectors, by the name stored in `outbox.connector`.
pub const PROPSTACK: &str = "propstack";
pub const CRMSENIOR: &str = "crmsenior";
pub const WEBHOOK: &str = "webhook";
pub const CONNECTORS: [&str; 3] = [PROPSTACK, CRMSENIOR, WEBHOOK];

/// The setting whose value turns a connector on (a non-empty base URL).
pub fn url_key(connector: &str) -> &'static str {
    match connector {
        PROPSTACK => "sync.propstack.url",
        CRMSENIOR => "sync.crmsenior.url",
        _ => "sync.webhook.url",
    }
}

/// The steps a connector delivers for one call change, in the order they must arrive.
fn steps(connector: &str, kind: ChangeKind) -> &'static [&'static str] {
    match (connector, kind) {
        (PROPSTACK, ChangeKind::Ended) => &["ended"],
        (CRMSENIOR, ChangeKind::Ringing) => &["ring"],
        (CRMSENIOR, ChangeKind::Ended) => &["ended"],
        (WEBHOOK, ChangeKind::Ringing) => &["ringing"],
        (WEBHOOK, ChangeKind::Answered) => &["answered"],
        (WEBHOOK, ChangeKind::Ended) => &["ended"],
        _ => &[],
    }
}

/// Adds the outbox rows for the changes one call just went through, for every connector that is turned
/// on. Runs inside the writer's transaction (the journal's `outbox_hook`), so it must stay cheap: one
/// settings read by primary key and a few inserts. Changes of other calls in `changes` (auto-handled
/// missed calls) are not delivered upstream.
pub fn enqueue_for_changes(tx: &Connection, call: &CallRow, changes: &[CallChanged]) -> Result<()> {
    if changes.is_empty() || call.suppressed.is_some() {
        return Ok(());
    }
    let now = now_ms();
    for connector in CONNECTORS {
        let on: Option<String> = tx
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([url_key(connector)], |r| r.get(0))
            .optional()?;
        if on.map(|v| v.trim().is_empty()).unwrap_or(true) {
            continue;
        }
        for change in changes.iter().filter(|c| c.call_id.0 == call.id) {
            let extra = mirror_step(tx, connector, call, change.kind)?;
            for step in steps(connector, change.kind).iter().chain(extra.iter()) {
                let key = idem_key(call.id, call.started_at, connector, step);
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO outbox(connector, call_id, step, idem_key, next_at, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5)",
                )?
                .execute(params![connector, call.id, step, key, now])?;
            }
        }
    }
    Ok(())
}

/// The idempotency key of one step of one call for one connector: the same whether the row was
/// queued live or by a backfill, so the unique key keeps a call from being queued twice. The start
/// time keeps keys unique across a restore of an older backup, whose call ids are handed out again.
fn idem_key(call_id: i64, started_at: i64, connector: &str, step: &str) -> String {
    format!("ringbook-{call_id}-{started_at}-{connector}-{step}")
}

/// The contact-mirror step: after a call whose number no contact had, Propstack is asked about it (in
/// the background, by the sync worker; `sync.propstack.contacts` turns it off).
fn mirror_step(
    tx: &Connection,
    connector: &str,
    call: &CallRow,
    kind: ChangeKind,
) -> Result<Option<&'static str>> {
    if connector != PROPSTACK
        || kind != ChangeKind::Ended
        || call.contact_id.is_some()
        || call.remote_is_employee
        || !call.remote_raw.chars().any(|c| c.is_ascii_digit())
    {
        return Ok(None);
    }
    let on: Option<String> = tx
        .query_row(
            "SELECT value FROM settings WHERE key = 'sync.propstack.contacts'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok((on.as_deref() != Some("false")).then_some("contact"))
}

/// One outbox row, as the worker, the API and the CLI see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    pub id: i64,
    pub connector: String,
    pub call_id: i64,
    pub step: String,
    pub idempotency_key: String,
    pub state: String,
    pub attempts: i64,
    pub next_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub delivered_at: Option<i64>,
}

const COLUMNS: &str =
    "id, connector, call_id, step, idem_key, state, attempts, next_at, last_error, \
    created_at, updated_at, delivered_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        id: r.get(0)?,
        connector: r.get(1)?,
        call_id: r.get(2)?,
        step: r.get(3)?,
        idempotency_key: r.get(4)?,
        state: r.get(5)?,
        attempts: r.get(6)?,
        next_at: r.get(7)?,
        last_error: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
        delivered_at: r.get(11)?,
    })
}

/// The pending rows of a connector that are due now, oldest first. A row waits while an earlier row of
/// the same call is still pending, so the steps of one call arrive in order.
pub fn due(conn: &Connection, connector: &str, now: i64, limit: usize) -> Result<Vec<Row>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM outbox o
         WHERE o.connector = ?1 AND o.state = 'pending' AND o.next_at <= ?2
           AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.connector = o.connector
                           AND p.call_id = o.call_id AND p.id < o.id AND p.state = 'pending')
         ORDER BY o.id LIMIT ?3"
    );
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st.query_map(params![connector, now, limit as i64], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// When the next pending row of a connector falls due, if any.
pub fn next_due(conn: &Connection, connector: &str) -> Result<Option<i64>> {
    Ok(conn.query_row(
        "SELECT min(next_at) FROM outbox WHERE connector = ?1 AND state = 'pending'",
        [connector],
        |r| r.get(0),
    )?)
}

/// Records a 2xx for a row. Only a pending row moves (an admin may have skipped it meanwhile).
pub fn mark_delivered(tx: &Connection, id: i64, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET state = 'delivered', delivered_at = ?2, updated_at = ?2, last_error = NULL
         WHERE id = ?1 AND state = 'pending'",
        params![id, now],
    )?;
    Ok(())
}

/// Records a failed attempt: the row waits until `next_at`, or is dead-lettered when `dead`.
/// `count` is false for answers that are no failure of the row (429: the CRM asked us to slow down).
pub fn mark_failed(
    tx: &Connection,
    id: i64,
    error: &str,
    next_at: i64,
    count: bool,
    max_attempts: i64,
    now: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET attempts = attempts + ?3, last_error = ?2, next_at = ?4, updated_at = ?5,
             state = CASE WHEN attempts + ?3 >= ?6 THEN 'dead' ELSE 'pending' END
         WHERE id = ?1 AND state = 'pending'",
        params![id, error, count as i64, next_at, now, max_attempts],
    )?;
    Ok(())
}

/// Records that a row has nothing to send (e.g. an anonymous caller), with the reason.
pub fn mark_skipped(tx: &Connection, id: i64, why: &str, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET state = 'skipped', last_error = ?2, updated_at = ?3 WHERE id = ?1 AND state = 'pending'",
        params![id, why, now],
    )?;
    Ok(())
}

/// Stores the id a CRM gave a call (CRM Senior's `customvalue`).
pub fn set_upstream_id(
    tx: &Connection,
    connector: &str,
    call_id: i64,
    upstream: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO call_upstream(connector, call_id, upstream_id) VALUES (?1, ?2, ?3)
         ON CONFLICT(connector, call_id) DO UPDATE SET upstream_id = excluded.upstream_id",
        params![connector, call_id, upstream],
    )?;
    Ok(())
}

/// The id a CRM gave a call, if it gave one.
pub fn upstream_id(conn: &Connection, connector: &str, call_id: i64) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT upstream_id FROM call_upstream WHERE connector = ?1 AND call_id = ?2",
            params![connector, call_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// Rows for the API and the CLI, newest first; `state` filters when given.
pub fn list(conn: &Connection, state: Option<&str>, limit: usize) -> Result<Vec<Row>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM outbox WHERE (?1 IS NULL OR state = ?1) ORDER BY id DESC LIMIT ?2"
    );
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st.query_map(params![state, limit as i64], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One row by id.
pub fn get(conn: &Connection, id: i64) -> Result<Option<Row>> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], row).optional()?)
}

/// Puts a dead, skipped or waiting row back in the queue, due now with a fresh attempt count.
/// Returns false when there is no such row or it was already delivered.
pub fn retry(tx: &Connection, id: i64, now: i64) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE outbox SET state = 'pending', attempts = 0, next_at = ?2, updated_at = ?2
         WHERE id = ?1 AND state != 'delivered'",
        params![id, now],
    )? == 1)
}

/// Queues, for `connector`, every ended call that started in `[since, until)` with the steps a live
/// call would have produced (ringing, answered when it was, ended), in call order: an office that
/// connects its CRM gets the calls from before, too. The idempotency keys are the live ones, so a call
/// already queued or delivered is not sent again. Returns the rows added.
pub fn backfill(
    tx: &Connection,
    connector: &str,
    since: i64,
    until: i64,
    now: i64,
) -> Result<usize> {
    let mut rows = Vec::new();
    for kind in [ChangeKind::Ringing, ChangeKind::Answered, ChangeKind::Ended] {
        for step in steps(connector, kind) {
            rows.push((*step, kind == ChangeKind::Answered));
        }
    }
    let mut added = 0;
    // One statement per call keeps the steps of a call in order (outbox ids decide the order of
    // delivery) and the calls in the order they happened.
    let mut calls = tx.prepare_cached(
        "SELECT id, started_at, answered_at IS NOT NULL FROM calls
         WHERE started_at >= ?1 AND started_at < ?2 AND ended_at IS NOT NULL AND suppressed IS NULL
         ORDER BY started_at, id",
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO outbox(connector, call_id, step, idem_key, next_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5)",
    )?;
    let mut found = calls.query(params![since, until])?;
    while let Some(r) = found.next()? {
        let (id, started, answered): (i64, i64, bool) = (r.get(0)?, r.get(1)?, r.get(2)?);
        for (step, needs_answer) in &rows {
            if *needs_answer && !answered {
                continue;
            }
            let key = idem_key(id, started, connector, step);
            added += insert.execute(params![connector, id, step, key, now])?;
        }
    }
    Ok(added)
}

/// Gives up on a pending or dead row by hand. Returns false when there is no such row or it was
/// already delivered.
pub fn skip(tx: &Connection, id: i64, now: i64) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE outbox SET state = 'skipped', updated_at = ?2 WHERE id = ?1 AND state IN ('pending', 'dead')",
        params![id, now],
    )? == 1)
}

/// Rows per state, for `/metrics` and the CLI: (pending, delivered, dead, skipped).
pub fn counts(conn: &Connection) -> Result<(i64, i64, i64, i64)> {
    let mut st = conn.prepare_cached("SELECT state, count(*) FROM outbox GROUP BY state")?;
    let mut out = (0, 0, 0, 0);
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    for r in rows {
        let (state, n) = r?;
        match state.as_str() {
            "pending" => out.0 = n,
            "delivered" => out.1 = n,
            "dead" => out.2 = n,
            _ => out.3 += n,
        }
    }
    Ok(out)
}

/// Milliseconds since the Unix epoch, the time unit of the outbox.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// One connector's sync health for the dashboard and the Integrations page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Health {
    pub connector: String,
    /// Whether its URL is set (new calls are queued for it).
    pub enabled: bool,
    /// Pending rows, failed ones included.
    pub queued: i64,
    /// Pending rows whose last attempt failed (counted or not) and that wait for the next one.
    pub failing: i64,
    /// Rows given up on after `sync.max_attempts`.
    pub dead: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    pub last_delivered_at: Option<i64>,
}

/// The health of every connector. Reads only pending and dead rows and one delivered row per
/// connector (through `outbox_by_state`), however long the delivered history is.
pub fn health(conn: &Connection) -> Result<Vec<Health>> {
    let mut out = Vec::new();
    let mut counts = conn.prepare_cached(
        "SELECT state, count(*), coalesce(sum(last_error IS NOT NULL), 0) FROM outbox
         WHERE state IN ('pending', 'dead') AND connector = ?1 GROUP BY state",
    )?;
    let mut last_err = conn.prepare_cached(
        "SELECT last_error, updated_at FROM outbox
         WHERE state IN ('pending', 'dead') AND connector = ?1 AND last_error IS NOT NULL
         ORDER BY updated_at DESC LIMIT 1",
    )?;
    let mut delivered = conn.prepare_cached(
        "SELECT delivered_at FROM outbox WHERE state = 'delivered' AND connector = ?1
         ORDER BY id DESC LIMIT 1",
    )?;
    let mut setting = conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")?;
    for c in CONNECTORS {
        let mut h = Health {
            connector: c.to_string(),
            ..Health::default()
        };
        let url: Option<String> = setting.query_row([url_key(c)], |r| r.get(0)).optional()?;
        h.enabled = url.is_some_and(|u| !u.trim().is_empty());
        let rows = counts.query_map([c], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for r in rows {
            let (state, n, tried) = r?;
            if state == "pending" {
                h.queued = n;
                h.failing = tried;
            } else {
                h.dead = n;
            }
        }
        if let Some((e, at)) = last_err
            .query_row([c], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .optional()?
        {
            h.last_error = Some(e);
            h.last_error_at = Some(at);
        }
        h.last_delivered_at = delivered
            .query_row([c], |r| r.get::<_, Option<i64>>(0))
            .optional()?
            .flatten();
        out.push(h);
    }
    Ok(out)
}

/// The rows an admin may act on: dead ones and pending ones whose last attempt failed, newest change
/// first.
pub fn troubled(conn: &Connection, limit: usize) -> Result<Vec<Row>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM outbox
         WHERE state = 'dead' OR (state = 'pending' AND last_error IS NOT NULL)
         ORDER BY updated_at DESC, id DESC LIMIT ?1"
    );
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st.query_map([limit as i64], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl super::Reader {
    /// Rows per state (see [`counts`]) on a reader, for tools outside the crate such as the drain
    /// benchmark (`bin/drainbench.rs`).
    pub fn outbox_counts(&self) -> Result<(i64, i64, i64, i64)> {
        counts(self.conn())
    }
}
