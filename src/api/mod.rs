//! ringbook's own JSON API: health, metrics and the lookup here; the journal API in its own file. Vendor
//! formats live in `vendors/`.

pub mod actions;
pub mod calls;
pub mod openapi;
pub mod outbox;

use serde::Serialize;

use crate::auth::Scope;
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::lookup::{self, LookupError, MatchInfo, Outcome};
use crate::number::Normalized;
use crate::store::migrate;

pub fn healthz(ctx: &mut Ctx, _req: &Request, _p: &Params) -> Response {
    match ctx.reader.integrity_quick() {
        Ok(()) => {
            let mut body = serde_json::json!({
                "status": "ok",
                "version": env!("CARGO_PKG_VERSION"),
                "schema": migrate::latest(),
                "uptime_seconds": ctx.app.started.elapsed().as_secs(),
            });
            // A full disk doesn't stop lookups, so it doesn't fail the check; it is said instead.
            if let Some((free, low)) = crate::disk::measure(ctx.app.store.path(), ctx.settings()) {
                body["disk_free_bytes"] = free.into();
                body["disk_low"] = low.into();
            }
            Response::json(200, &body)
        }
        Err(e) => Response::error(503, &format!("the database can't be read: {e}")),
    }
}

pub fn metrics(ctx: &mut Ctx, _req: &Request, _p: &Params) -> Response {
    let writer = ctx.app.store.writer();
    let stats = writer.stats();
    let db = ctx.reader.db_size_bytes().unwrap_or(-1) as f64;
    let (pending, delivered, dead, skipped) =
        crate::store::outbox::counts(ctx.reader.conn()).unwrap_or((-1, -1, -1, -1));
    let relaxed = std::sync::atomic::Ordering::Relaxed;
    let gauges = [
        (
            "ringbook_outbox_pending",
            "Outbox rows waiting to be delivered upstream.",
            pending as f64,
        ),
        (
            "ringbook_outbox_delivered",
            "Outbox rows delivered (a 2xx was recorded).",
            delivered as f64,
        ),
        (
            "ringbook_outbox_dead",
            "Outbox rows given up after too many failures (dead letters).",
            dead as f64,
        ),
        (
            "ringbook_outbox_skipped",
            "Outbox rows skipped by hand or as undeliverable.",
            skipped as f64,
        ),
        (
            "ringbook_header_floods_cut_total",
            "Connections closed since start for a request header that went on without end.",
            crate::http::guard::CUT.load(relaxed) as f64,
        ),
        (
            "ringbook_crowded_connections_closed_total",
            "Connections closed since start because their client held more at once than one address may.",
            crate::http::guard::CROWDED.load(relaxed) as f64,
        ),
        (
            "ringbook_sync_delivered_total",
            "Upstream deliveries since start.",
            crate::sync::DELIVERED.load(relaxed) as f64,
        ),
        (
            "ringbook_sync_failed_attempts_total",
            "Failed upstream delivery attempts since start.",
            crate::sync::FAILED_ATTEMPTS.load(relaxed) as f64,
        ),
        (
            "ringbook_call_changes_dropped_total",
            "Call-change notices dropped since start because a subscriber fell behind: a live browser view (it missed updates) or a sync worker busy with a backlog (it re-reads the outbox, so no delivery is lost).",
            crate::journal::notify::dropped() as f64,
        ),
        (
            "ringbook_writer_queue_depth",
            "Write jobs waiting for the writer thread.",
            writer.queue_depth() as f64,
        ),
        (
            "ringbook_writer_commits",
            "Transactions the writer has committed.",
            stats.commits.load(std::sync::atomic::Ordering::Relaxed) as f64,
        ),
        (
            "ringbook_writer_jobs",
            "Write jobs the writer has run.",
            stats.jobs.load(std::sync::atomic::Ordering::Relaxed) as f64,
        ),
        (
            "ringbook_db_size_bytes",
            "Size of the SQLite database in bytes.",
            db,
        ),
        (
            "ringbook_disk_free_bytes",
            "Bytes left on the disk that holds the database.",
            crate::disk::free_bytes(ctx.app.store.path()).map_or(-1.0, |b| b as f64),
        ),
        (
            "ringbook_uptime_seconds",
            "Seconds since ringbook started.",
            ctx.app.started.elapsed().as_secs_f64(),
        ),
    ];
    Response::new(
        200,
        "text/plain; version=0.0.4; charset=utf-8",
        ctx.app.metrics.render(&gauges),
    )
}

#[derive(Serialize)]
struct QueryJson<'a> {
    raw: &'a str,
    e164: Option<&'a str>,
    kind: &'static str,
    reading: Option<&'static str>,
}

#[derive(Serialize)]
struct MatchJson<'a> {
    contact_id: i64,
    display_name: String,
    first_name: &'a str,
    last_name: &'a str,
    company: &'a str,
    email: &'a str,
    phones: &'a [crate::contacts::Phone],
    matched_number: &'a str,
    #[serde(rename = "match")]
    info: &'a MatchInfo,
}

/// The JSON shape of a lookup, shared by every endpoint that answers in ringbook's own format.
#[derive(Serialize)]
pub struct OutcomeJson<'a> {
    query: QueryJson<'a>,
    matches: Vec<MatchJson<'a>>,
    tie: bool,
}

/// The JSON shape of a lookup, written straight from the outcome: a `serde_json::Value` tree would
/// copy every key and string once more on the hottest path ringbook has.
pub fn outcome_json(o: &Outcome) -> OutcomeJson<'_> {
    let (kind, reading) = match &o.normalized {
        Normalized::Public { how, .. } => ("public", Some(how.describe())),
        Normalized::Extension(_) => ("extension", None),
        Normalized::Anonymous => ("anonymous", None),
        Normalized::Digits(_) => ("digits", None),
    };
    let query = QueryJson {
        raw: &o.raw,
        e164: o.normalized.e164().map(|e| e.as_str()),
        kind,
        reading,
    };
    let matches = o
        .matches
        .iter()
        .map(|m| MatchJson {
            contact_id: m.contact.id.0,
            display_name: m.contact.display_name(),
            first_name: &m.contact.first_name,
            last_name: &m.contact.last_name,
            company: &m.contact.company,
            email: &m.contact.email,
            phones: &m.contact.phones,
            matched_number: &m.matched_number,
            info: &m.info,
        })
        .collect();
    OutcomeJson {
        query,
        matches,
        tie: o.is_tie(),
    }
}

/// `GET /api/v1/lookup?number=`: every match with its rule and explanation.
pub fn lookup(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Lookup) {
        return Response::unauthorized(&e, true);
    }
    let Some(number) = req.param("number") else {
        return Response::error(
            400,
            "add the number to look up, e.g. /api/v1/lookup?number=%2B49301234567",
        );
    };
    match lookup::lookup(&ctx.reader, ctx.model(), &number) {
        Ok(o) => Response::json(200, &outcome_json(&o)),
        Err(LookupError::Number(e)) => Response::error(400, &e.to_string()),
        Err(LookupError::Store(e)) => Response::error(503, &e.to_string()),
    }
}
