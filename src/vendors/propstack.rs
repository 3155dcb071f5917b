//! Propstack's contact lookup, served as is so that a 3CX template written for Propstack (seed 004)
//! can point at ringbook instead: `GET /v1/contacts?phone_number=...&with_meta=1`.
//!
//! The answer is `{"data":[{"id","first_name","last_name","company","email","office_phone",
//! "home_cell","home_phone"}],"meta":{"total_count":N}}`; without `with_meta=1` it is the bare array,
//! as Propstack's API answers. Such templates send the key in the `X-API-KEY` header, which ringbook
//! accepts like `X-Api-Key` (header names ignore case). The lookup, the echo of the searched number and
//! the placeholder on a miss are those of every 3CX lookup (see `vendors::threecx` and shared protocols:
//! pbx-apis.md §1.9).
//!
//! Calls, in the seed's shapes (key with the `journal` scope):
//! - `POST /v1/calls/3cx`, the template's `ReportCall` body `{"duration","direction":"in|out","from",
//!   "to","hangup_cause"?}`, one finished call. Inbound: `from` is the caller, `to` our agent;
//!   outbound the other way round. A `hangup_cause` other than a normal clearing (the seed sends
//!   `notAnswered`) means nobody answered: a missed inbound or an unanswered outbound call.
//! - `GET /v1/calls/phone?type=&duration=mm:ss&to=&from=&direction=in|out&event=`, a phone's call
//!   events: `event` `incoming`/`outgoing` starts a call, `connected` answers it, `disconnected` or
//!   `hangup` ends it, and `missed`, `notAnswered`, `busy`, `rejected` end it unanswered; without an
//!   `event` the request reports a whole finished call. A `type` that is a 3CX call type (`Missed`,
//!   `Notanswered`, ...) says the same.
//!
//! Neither carries a call id or a time: times are the server's (the end is "now", the answer is
//! `end − duration`), and calls are found again by their direction and numbers (see
//! `threecx::journal::resolve`), so a resent report changes nothing. Both answer
//! `{"ok":true,"id":CALL_ID}` once committed, and `{"error":"..."}` with a 4xx for a bad request.

use serde_json::{json, Map, Value};

use crate::auth::Scope;
use crate::contacts::{Contact, PhoneKind};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::journal::{self, CallEvent, Direction, EventKind};
use crate::store;
use crate::vendors::threecx;
use crate::vendors::threecx::journal::{
    answered_by_cause, conversation, number_part, number_text, parse_duration, report_events,
    resolve, text, CallType, Report, Resolved,
};

/// The journal source name of Propstack-shaped call reports.
pub const SOURCE: &str = "propstack";

/// Propstack's three phone fields and the kind of number each holds.
const SLOTS: &[(&str, PhoneKind)] = &[
    ("office_phone", PhoneKind::Office),
    ("home_cell", PhoneKind::Mobile),
    ("home_phone", PhoneKind::Home),
];

fn record(id: i64, c: Option<&Contact>, phones: Vec<(&'static str, String)>) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), id.into());
    let text = |f: fn(&Contact) -> &String| c.map(|c| f(c).clone()).unwrap_or_default();
    m.insert("first_name".into(), text(|c| &c.first_name).into());
    m.insert("last_name".into(), text(|c| &c.last_name).into());
    m.insert("company".into(), text(|c| &c.company).into());
    m.insert("email".into(), text(|c| &c.email).into());
    for (name, value) in phones {
        m.insert(name.into(), value.into());
    }
    Value::Object(m)
}

/// `GET /v1/contacts?phone_number=`: the contacts with this number in Propstack's shape.
pub fn contacts(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Lookup) {
        return Response::unauthorized(&e, true);
    }
    let Some(number) = req.param("phone_number") else {
        return Response::error(
            400,
            "add the number to look up, e.g. /v1/contacts?phone_number=%2B49301234567&with_meta=1",
        );
    };
    let a = match threecx::lookup_number(ctx, &number) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let data: Vec<Value> = if a.placeholder {
        let mut v = record(
            0,
            None,
            threecx::fill_slots(SLOTS, &[], None, Some(&a.echo)),
        );
        v["last_name"] = a.echo.clone().into();
        vec![v]
    } else {
        a.outcome
            .matches
            .iter()
            .map(|m| {
                let phones = threecx::fill_slots(
                    SLOTS,
                    &m.contact.phones,
                    Some(&m.matched_number),
                    Some(&a.echo),
                );
                record(m.contact.id.0, Some(&m.contact), phones)
            })
            .collect()
    };
    let with_meta = req
        .param("with_meta")
        .is_some_and(|v| matches!(v.trim(), "1" | "true"));
    if with_meta {
        let n = data.len();
        Response::json(200, &json!({ "data": data, "meta": { "total_count": n } }))
    } else {
        Response::json(200, &data)
    }
}

/// `in`/`out` (also `inbound`, `outbound`, any case).
fn direction(v: Option<&str>) -> Result<Direction, String> {
    match v.map(|d| d.trim().to_ascii_lowercase()).as_deref() {
        Some("in" | "inbound") => Ok(Direction::In),
        Some("out" | "outbound") => Ok(Direction::Out),
        Some(other) => Err(format!("direction '{other}' is not in or out")),
        None => Err("direction is missing; send in or out".into()),
    }
}

/// The other party and our side: inbound calls come `from` the caller `to` us, outbound ones the other
/// way round.
fn sides(
    dir: Direction,
    from: Option<String>,
    to: Option<String>,
) -> (Option<String>, Option<String>) {
    if dir == Direction::Out {
        (to, from)
    } else {
        (from, to)
    }
}

fn ok(call_id: i64) -> Response {
    Response::json(200, &json!({ "ok": true, "id": call_id }))
}

/// A finished call reported at the moment it ended, with server times.
fn finished(
    dir: Direction,
    remote: Option<String>,
    local: Option<String>,
    duration: i64,
    cause: Option<String>,
    payload: String,
) -> Report {
    let now = store::now();
    let answered = answered_by_cause(cause.as_deref());
    Report {
        call_type: CallType::of(dir, answered),
        remote,
        agent: local,
        start: now - duration,
        answered: answered.then_some(now - duration),
        end: now,
        cause,
        payload,
    }
}

const POST_EXAMPLE: &str =
    r#"{"duration":"00:01:05","direction":"in","from":"+49301234567","to":"11"}"#;

/// `POST /v1/calls/3cx`: one call as the seed's 3CX template reports it.
pub fn post_call(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Journal) {
        return Response::unauthorized(&e, true);
    }
    let obj = match threecx::journal::body_fields(req, POST_EXAMPLE) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let dir = match direction(text(&obj, &["direction"]).as_deref()) {
        Ok(d) => d,
        Err(e) => return Response::error(400, &e),
    };
    let (remote, local) = sides(
        dir,
        number_text(&obj, &["from"]),
        number_text(&obj, &["to"]),
    );
    if remote.is_none() && local.is_none() {
        return Response::error(
            400,
            &format!("from and to are both empty; send e.g. {POST_EXAMPLE}"),
        );
    }
    let duration = match text(&obj, &["duration"]).map(|d| parse_duration(&d)) {
        Some(Ok(d)) => d,
        Some(Err(e)) => return Response::error(400, &format!("duration: {e}")),
        None => 0,
    };
    let cause = text(&obj, &["hangupcause"]);
    let conv = conversation(&[
        "3cx",
        dir.as_str(),
        &number_part(ctx, remote.as_deref()),
        local.as_deref().unwrap_or(""),
        &duration.to_string(),
        cause.as_deref().unwrap_or(""),
    ]);
    let key = match resolve(&ctx.reader, SOURCE, &conv, store::now(), 0, true) {
        Ok(Resolved::Repeat(l)) => return ok(l.call_id),
        Ok(Resolved::Open(l)) => l.key,
        Ok(Resolved::New(k)) => k,
        Err(e) => return Response::error(503, &format!("the journal can't be read: {e}")),
    };
    let payload = String::from_utf8_lossy(&req.body).into_owned();
    let report = finished(dir, remote, local, duration, cause, payload);
    threecx::journal::ingest_then(ctx, report_events(SOURCE, &key, &report), |last, _| {
        ok(last.call_id.0)
    })
}

/// What a `GET /v1/calls/phone` request says about its call.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Start,
    Answer,
    /// The call ended; with a cause when it was not answered.
    End(Option<String>),
}

/// Reads `event` (and `type`, when it is a 3CX call type).
fn phase(event: Option<&str>, call_type: Option<&str>) -> Result<Phase, String> {
    let unanswered_type = call_type
        .and_then(CallType::parse)
        .filter(|t| !t.answered())
        .map(|t| {
            if t == CallType::Missed {
                "missed"
            } else {
                "notAnswered"
            }
            .to_string()
        });
    let Some(ev) = event else {
        return Ok(Phase::End(unanswered_type));
    };
    let k: String = ev
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect();
    Ok(match k.as_str() {
        "incoming" | "ringing" | "newcall" | "outgoing" | "dialing" | "start" | "callstarted" => {
            Phase::Start
        }
        "connected" | "answered" | "answer" | "established" | "callestablished" => Phase::Answer,
        "disconnected" | "hangup" | "terminated" | "end" | "ended" | "finished" | "completed"
        | "callended" | "callterminated" => Phase::End(unanswered_type),
        "missed" | "missedcall" | "notanswered" | "noanswer" | "busy" | "rejected" | "cancel"
        | "canceled" | "cancelled" | "failed" => Phase::End(Some(ev.trim().to_string())),
        _ => {
            return Err(format!(
                "event '{ev}' is not one of incoming, outgoing, connected, disconnected, hangup, \
                 missed, notAnswered, busy, rejected"
            ))
        }
    })
}

/// `GET /v1/calls/phone`: a phone's call event in the seed's query shape.
pub fn phone_call(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Journal) {
        return Response::unauthorized(&e, true);
    }
    let param = |n: &str| {
        req.param(n)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty() && !threecx::journal::unfilled(v))
    };
    let dir = match direction(param("direction").as_deref()) {
        Ok(d) => d,
        Err(e) => return Response::error(400, &e),
    };
    // A number keeps a `+` that arrived as a space (`from=+4930…` unencoded); trimmed, it would be
    // read as a national number.
    let number = |n: &str| {
        req.param(n)
            .map(|v| threecx::echo_number(&v))
            .filter(|v| !v.is_empty() && !threecx::journal::unfilled(v))
    };
    let (remote, local) = sides(dir, number("from"), number("to"));
    if remote.is_none() && local.is_none() {
        return Response::error(400, "from and to are both empty");
    }
    let phase = match phase(param("event").as_deref(), param("type").as_deref()) {
        Ok(p) => p,
        Err(e) => return Response::error(400, &e),
    };
    let duration = match param("duration").map(|d| parse_duration(&d)) {
        Some(Ok(d)) => d,
        Some(Err(e)) => return Response::error(400, &format!("duration: {e}")),
        None => 0,
    };
    let now = store::now();
    let stale_after = journal::Config::from_settings(ctx.settings())
        .rules
        .stale_after;
    let conv = conversation(&[
        "phone",
        dir.as_str(),
        &number_part(ctx, remote.as_deref()),
        local.as_deref().unwrap_or(""),
    ]);
    let (key, open) = match resolve(&ctx.reader, SOURCE, &conv, now, stale_after, true) {
        Ok(Resolved::Repeat(l)) => return ok(l.call_id),
        Ok(Resolved::Open(l)) => (l.key, true),
        Ok(Resolved::New(k)) => (k, false),
        Err(e) => return Response::error(503, &format!("the journal can't be read: {e}")),
    };
    let payload = format!(
        "GET {}?{}",
        req.path,
        req.query
            .split('&')
            .filter(|p| !p.starts_with("key="))
            .collect::<Vec<_>>()
            .join("&")
    );
    let event = |kind: EventKind| CallEvent {
        direction: Some(dir),
        remote: remote.clone(),
        extension: local.clone(),
        payload: payload.clone(),
        ..CallEvent::new(SOURCE, &key, kind)
    };
    let events = match phase {
        // Nothing of this call was reported before: the request is the whole call.
        Phase::End(cause) if !open => {
            let report = finished(
                dir,
                remote.clone(),
                local.clone(),
                duration,
                cause,
                payload.clone(),
            );
            report_events(SOURCE, &key, &report)
        }
        Phase::Start => vec![event(if dir == Direction::Out {
            EventKind::Dialing
        } else {
            EventKind::Ringing
        })],
        Phase::Answer => vec![CallEvent {
            agent: local.clone(),
            ..event(EventKind::Answered)
        }],
        Phase::End(cause) => {
            let mut v = Vec::new();
            if cause.is_none() && duration > 0 {
                v.push(CallEvent {
                    agent: local.clone(),
                    at: Some(now - duration),
                    ..event(EventKind::Answered)
                });
            }
            let kind = if cause.is_some() && dir != Direction::Out {
                EventKind::Missed
            } else {
                EventKind::Hangup
            };
            v.push(CallEvent {
                cause,
                ..event(kind)
            });
            v
        }
    };
    threecx::journal::ingest_then(ctx, events, |last, _| ok(last.call_id.0))
}
