//! ringbook's own journal API: `POST /api/v1/events` takes call events in ringbook's JSON, the `calls`
//! endpoints read the journal and set a call's description and handling. All need the `journal` scope
//! (an `admin` key has every scope). The shapes are documented in the README.

use serde::Deserialize;
use serde_json::Value;

use crate::auth::Scope;
use crate::employees::{self, Local};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::journal::view::{self, CallFilter};
use crate::journal::{
    self, time, CallEvent, CallId, CallPatch, Direction, EventKind, JournalError, Status,
};

/// The most events one request may carry.
const MAX_EVENTS: usize = 1000;

/// One event in ringbook's own JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventJson {
    event: String,
    call_id: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    direction: Option<String>,
    #[serde(default)]
    remote: Option<String>,
    #[serde(default)]
    extension: Option<String>,
    #[serde(default)]
    line: Option<String>,
    #[serde(default)]
    agent: Option<String>,
    #[serde(default)]
    cause: Option<String>,
    #[serde(default)]
    time: Option<Value>,
    #[serde(default)]
    recording_url: Option<String>,
}

fn journal_error(e: JournalError) -> Response {
    let status = match &e {
        JournalError::Invalid { .. } | JournalError::BadRequest(_) => 400,
        JournalError::NotFound(_) => 404,
        JournalError::StillOpen(_) => 409,
        JournalError::Store(_) => 503,
    };
    Response::error(status, &e.to_string())
}

/// Turns one JSON event into a [`CallEvent`], checking what the journal would otherwise take leniently
/// from vendors (ringbook's own API can afford to be strict and say exactly what is wrong).
fn event_from_json(ctx: &Ctx, v: &Value) -> Result<CallEvent, String> {
    let j: EventJson = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    let kind = EventKind::parse(j.event.trim()).ok_or_else(|| {
        format!(
            "'{}' is not an event; use one of ringing, dialing, answered, hangup, missed, transfer",
            j.event
        )
    })?;
    let direction = match j.direction.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(d) => match Direction::parse(d) {
            Some(Direction::Unknown) | None => {
                return Err(format!("'{d}' is not a direction; use in, out or internal"))
            }
            Some(d) => Some(d),
        },
    };
    if let Some(r) = j.remote.as_deref().filter(|r| !r.trim().is_empty()) {
        ctx.model()
            .normalize(r)
            .map_err(|e| format!("remote: {e}"))?;
    }
    for (name, value) in [("extension", &j.extension), ("agent", &j.agent)] {
        if let Some(x) = value.as_deref().filter(|x| !x.trim().is_empty()) {
            if employees::local_of(ctx.model(), x) == Local::Nothing {
                return Err(format!(
                    "{name}: '{x}' is neither an extension nor a phone number"
                ));
            }
        }
    }
    if let Some(l) = j.line.as_deref().filter(|l| !l.trim().is_empty()) {
        match ctx.model().normalize(l) {
            Ok(n) if n.e164().is_some() => {}
            _ => {
                return Err(format!(
                    "line: '{l}' is not one of the office's public numbers"
                ))
            }
        }
    }
    let at = match &j.time {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(
            n.as_i64()
                .ok_or_else(|| format!("time: {n} is not a whole number of Unix seconds"))?,
        ),
        Some(Value::String(s)) => Some(time::parse(s).map_err(|e| format!("time: {e}"))?),
        Some(other) => {
            return Err(format!(
                "time: {other} is neither an RFC 3339 string nor Unix seconds"
            ))
        }
    };
    Ok(CallEvent {
        group: j.group,
        direction,
        remote: j.remote,
        extension: j.extension,
        line: j.line,
        agent: j.agent,
        cause: j.cause,
        at,
        recording_url: j.recording_url,
        payload: v.to_string(),
        ..CallEvent::new(
            j.source.as_deref().unwrap_or("api").trim(),
            &j.call_id,
            kind,
        )
    })
}

/// `POST /api/v1/events`: one event object, or an array of up to 1000. Answers only after the events
/// are committed; a bad event gets a 400 and nothing of the request is stored.
pub fn post_events(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Journal) {
        return Response::unauthorized(&e, true);
    }
    let text = match req.body_text() {
        Ok(t) => t,
        Err(e) => return Response::error(400, &e),
    };
    let body: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Response::error(
                400,
                &format!("the body is not JSON: {e}; send an event object or an array of them"),
            )
        }
    };
    let items: Vec<Value> = match body {
        Value::Array(a) => a,
        o @ Value::Object(_) => vec![o],
        _ => {
            return Response::error(
                400,
                "send an event object such as {\"event\":\"ringing\",\"call_id\":\"c1\",\"remote\":\"+4930123456\"}, or an array of them",
            )
        }
    };
    if items.is_empty() {
        return Response::error(400, "the array holds no events");
    }
    if items.len() > MAX_EVENTS {
        return Response::error(
            400,
            &format!("at most {MAX_EVENTS} events per request; split the batch"),
        );
    }
    let mut events = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        match event_from_json(ctx, v) {
            Ok(e) => events.push(e),
            Err(why) => return Response::error(400, &format!("event {i}: {why}")),
        }
    }
    let config = journal::Config::from_settings(ctx.settings());
    // Answered from a responder thread once the group commit holding these events returned.
    let (reply, later) = crossbeam_channel::bounded(1);
    let queued = journal::ingest_then(&ctx.app.store, &ctx.reader, &config, events, move |r| {
        let _ = reply.send(match r {
            Ok(done) => Response::json(200, &serde_json::json!({ "events": done })),
            Err(e) => journal_error(e),
        });
    });
    match queued {
        Ok(()) => Response::deferred(later),
        Err(e) => journal_error(e),
    }
}

const LIST_PARAMS: &[&str] = &[
    "since",
    "until",
    "direction",
    "status",
    "extension",
    "employee",
    "line",
    "number",
    "handling",
    "include_suppressed",
    "limit",
    "cursor",
    "key",
];

fn filter_from_query(ctx: &Ctx, req: &Request) -> Result<CallFilter, String> {
    let mut f = CallFilter {
        limit: view::DEFAULT_LIMIT,
        ..CallFilter::default()
    };
    for (k, v) in req.params() {
        let v = v.trim().to_string();
        match k.as_str() {
            "since" => f.since = Some(time::parse(&v).map_err(|e| format!("since: {e}"))?),
            "until" => f.until = Some(time::parse(&v).map_err(|e| format!("until: {e}"))?),
            "direction" => {
                for d in v.split(',') {
                    f.directions.push(Direction::parse(d.trim()).ok_or_else(|| {
                        format!("direction: '{d}' is not one of in, out, internal, unknown")
                    })?);
                }
            }
            "status" => {
                for s in v.split(',') {
                    f.statuses.push(Status::parse(s.trim()).ok_or_else(|| {
                        format!("status: '{s}' is not one of ringing, answered, missed, not_answered, busy, failed")
                    })?);
                }
            }
            "extension" => {
                f.extension = Some(match employees::local_of(ctx.model(), &v) {
                    Local::Extension(x) => x,
                    _ => return Err(format!("extension: '{v}' is not an extension")),
                })
            }
            "employee" => {
                f.employee = Some(v.parse().map_err(|_| {
                    format!("employee: '{v}' is not an employee id (see 'ringbook employee list')")
                })?)
            }
            "line" => {
                f.line = Some(v.parse().map_err(|_| {
                    format!("line: '{v}' is not a line id (see 'ringbook line list')")
                })?)
            }
            "number" => {
                let n = ctx
                    .model()
                    .normalize(&v)
                    .map_err(|e| format!("number: {e}"))?;
                f.remote_key = Some(journal::remote_key(&n).ok_or_else(|| {
                    "number: a withheld number can't be searched for".to_string()
                })?);
            }
            "handling" => {
                f.handled = match v.as_str() {
                    "open" => Some(false),
                    "handled" => Some(true),
                    _ => return Err(format!("handling: '{v}' is not open or handled")),
                }
            }
            "include_suppressed" => {
                f.include_suppressed = match v.as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(format!("include_suppressed: '{v}' is not true or false")),
                }
            }
            "limit" => {
                f.limit = match v.parse::<usize>() {
                    Ok(n) if (1..=view::MAX_LIMIT).contains(&n) => n,
                    _ => {
                        return Err(format!(
                            "limit: '{v}' must be a whole number from 1 to {}",
                            view::MAX_LIMIT
                        ))
                    }
                }
            }
            "cursor" => {
                f.after = Some(view::decode_cursor(&v).ok_or_else(|| {
                    "cursor: this is not a cursor from a previous page; start without one"
                        .to_string()
                })?)
            }
            "key" => {}
            other => {
                return Err(format!(
                    "'{other}' is not a filter; the filters are: {}",
                    LIST_PARAMS[..LIST_PARAMS.len() - 1].join(", ")
                ))
            }
        }
    }
    Ok(f)
}

/// `GET /api/v1/calls`: the journal newest first, filtered, with keyset pagination.
pub fn list_calls(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Journal) {
        return Response::unauthorized(&e, true);
    }
    let f = match filter_from_query(ctx, req) {
        Ok(f) => f,
        Err(why) => return Response::error(400, &why),
    };
    match view::list(&ctx.reader, &f) {
        Ok(page) => Response::json(200, &page),
        Err(e) => Response::error(503, &format!("the journal can't be read: {e}")),
    }
}

fn call_id(p: &Params) -> Result<CallId, Response> {
    let raw = p.get("id").unwrap_or("");
    match raw.parse::<i64>() {
        Ok(id) if id > 0 => Ok(CallId(id)),
        _ => Err(Response::error(
            404,
            &format!("there is no call '{raw}'; call ids are whole numbers"),
        )),
    }
}

/// `GET /api/v1/calls/{id}`: one call with its legs and raw events.
pub fn get_call(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Journal) {
        return Response::unauthorized(&e, true);
    }
    let id = match call_id(p) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match view::detail(&ctx.reader, id) {
        Ok(Some(d)) => Response::json(200, &d),
        Ok(None) => journal_error(JournalError::NotFound(id)),
        Err(e) => Response::error(503, &format!("the journal can't be read: {e}")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchJson {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    handling: Option<String>,
    #[serde(default)]
    handled_by: Option<String>,
}

/// `PATCH /api/v1/calls/{id}`: `{"description": "...", "handling": "open"|"handled", "handled_by": "..."}`.
/// A call can be marked handled only after it has ended (409 otherwise, and nothing changes).
pub fn patch_call(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    let key = match ctx.authorize(req, Scope::Journal) {
        Ok(k) => k,
        Err(e) => return Response::unauthorized(&e, true),
    };
    let id = match call_id(p) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let text = match req.body_text() {
        Ok(t) => t,
        Err(e) => return Response::error(400, &e),
    };
    let j: PatchJson = match serde_json::from_str(text) {
        Ok(j) => j,
        Err(e) => {
            return Response::error(
                400,
                &format!(
                    "the body must be a JSON object with 'description' and/or 'handling': {e}"
                ),
            )
        }
    };
    let handled = match j.handling.as_deref() {
        None => None,
        Some("handled") => Some(true),
        Some("open") => Some(false),
        Some(other) => {
            return Response::error(400, &format!("handling: '{other}' is not open or handled"))
        }
    };
    let patch = CallPatch {
        description: j.description,
        handled,
        handled_by: j.handled_by,
    };
    if let Err(e) = journal::update(&ctx.app.store, id, patch, &key.name) {
        return journal_error(e);
    }
    match view::detail(&ctx.reader, id) {
        Ok(Some(d)) => Response::json(200, &d.call),
        Ok(None) => journal_error(JournalError::NotFound(id)),
        Err(e) => Response::error(503, &format!("the journal can't be read: {e}")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkJson {
    ids: Vec<i64>,
    #[serde(default)]
    handled_by: Option<String>,
}

/// `POST /api/v1/calls/handled`: `{"ids": [..], "handled_by": "..."}` marks ended calls handled in bulk,
/// all or nothing.
pub fn post_handled(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    let key = match ctx.authorize(req, Scope::Journal) {
        Ok(k) => k,
        Err(e) => return Response::unauthorized(&e, true),
    };
    let text = match req.body_text() {
        Ok(t) => t,
        Err(e) => return Response::error(400, &e),
    };
    let j: BulkJson = match serde_json::from_str(text) {
        Ok(j) => j,
        Err(e) => {
            return Response::error(
                400,
                &format!("the body must be a JSON object such as {{\"ids\": [12, 13]}}: {e}"),
            )
        }
    };
    let who = j
        .handled_by
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(key.name);
    let ids = j.ids.into_iter().map(CallId).collect();
    match journal::mark_handled(&ctx.app.store, ids, who.trim()) {
        Ok(marked) => Response::json(200, &serde_json::json!({ "handled": marked })),
        Err(e) => journal_error(e),
    }
}
