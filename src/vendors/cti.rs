//! `POST /cti/{token}`: PBXs that speak the Zammad generic CTI push (see shared protocols: pbx-apis.md
//! §3.4, peers.md §1.2): `newCall`, `answer` and `hangup` with `from`, `to`, `direction` (`in` or
//! `out`), `callId` (the same on every event of a call), optional `user[]`, `queue` and
//! `answeringNumber`, and on `hangup` a `cause` from `normalClearing, busy, cancel, noAnswer,
//! congestion, notFound, forwarded`. Form-encoded or JSON, as Zammad takes them. The answer is
//! Zammad's: `{}` (we never ask the PBX to reject or redial).
//!
//! Placetel's notify events (`IncomingCall`, ...) posted to the same URL are handed to
//! [`super::placetel`], so one URL serves both.
//!
//! What the three push formats (this one, [`super::sipgate`], [`super::placetel`]) share is here:
//! - the token in the path is the only credential a pushing PBX presents; it is compared with the
//!   setting `cti.token` in constant time, and an empty setting refuses every push;
//! - form or JSON bodies become one list of fields (`user[]` and `user` alike);
//! - numbers: Zammad and sipgate write international numbers without the `+` (`493055571600`), and
//!   national ones with their trunk `0` (`02214710334`). Digits that don't start with `0` and are
//!   longer than an extension get their `+` back before the number model reads them (Zammad reads
//!   them the same way);
//! - a push is answered only after its events are committed; a bad push gets a 400 with the reason
//!   and changes nothing.

use serde_json::Value;

use crate::http::routes::Params;
use crate::http::{form_pairs, Ctx, Request, Response};
use crate::journal::{CallEvent, Direction, EventKind, JournalError};
use crate::number::NumberModel;

/// The journal's source name for Zammad generic CTI pushes.
pub const SOURCE: &str = "cti";

/// Checks the `{token}` of the path against `cti.token`.
pub(crate) fn check_token(ctx: &Ctx, p: &Params) -> Result<(), Response> {
    let want = ctx.settings().get("cti.token");
    if want.is_empty() {
        return Err(Response::error(
            403,
            "CTI pushes are switched off: set a token with 'ringbook settings set cti.token TOKEN' and use /cti/TOKEN as the URL",
        ));
    }
    let got = p.get("token").unwrap_or("");
    if crate::auth::same_secret(got.as_bytes(), want.as_bytes()) {
        Ok(())
    } else {
        Err(Response::error(
            403,
            "the token in this URL is not this box's CTI token (setting cti.token)",
        ))
    }
}

/// The fields of a push, from a form body or a flat JSON object.
#[derive(Debug, Default)]
pub struct Fields {
    pairs: Vec<(String, String)>,
    /// The body as received, kept with the events.
    pub raw: String,
}

impl Fields {
    /// The fields of a form-encoded body.
    pub fn from_form(body: &str) -> Fields {
        Fields {
            pairs: form_pairs(body),
            raw: body.to_string(),
        }
    }

    /// The first non-empty value of `name` (or `name[]`), trimmed.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.all(name).into_iter().next()
    }

    /// Every non-empty value of `name` and `name[]`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        let array = format!("{name}[]");
        self.pairs
            .iter()
            .filter(|(k, _)| *k == name || *k == array)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// Reads a form-encoded or JSON body (JSON when the type says so or the body starts with `{`).
pub(crate) fn fields(req: &Request) -> Result<Fields, Response> {
    let raw = req
        .body_text()
        .map_err(|e| Response::error(400, &e))?
        .to_string();
    if raw.trim().is_empty() {
        return Err(Response::error(
            400,
            "the push has no body: send the event's fields form-encoded or as JSON",
        ));
    }
    let json = req
        .header("content-type")
        .is_some_and(|t| t.to_ascii_lowercase().contains("json"))
        || raw.trim_start().starts_with('{');
    let pairs = if json {
        let v: Value = serde_json::from_str(&raw)
            .map_err(|e| Response::error(400, &format!("the body is not JSON: {e}")))?;
        let Value::Object(map) = v else {
            return Err(Response::error(
                400,
                "the JSON body must be one object of event fields, e.g. {\"event\":\"newCall\",\"callId\":\"...\"}",
            ));
        };
        let mut pairs = Vec::new();
        for (k, v) in map {
            match v {
                Value::Null => {}
                Value::String(s) => pairs.push((k, s)),
                Value::Number(n) => pairs.push((k, n.to_string())),
                Value::Bool(b) => pairs.push((k, b.to_string())),
                Value::Array(items) => {
                    for item in items {
                        match item {
                            Value::String(s) => pairs.push((k.clone(), s)),
                            Value::Number(n) => pairs.push((k.clone(), n.to_string())),
                            _ => {
                                return Err(Response::error(
                                    400,
                                    &format!("'{k}' must be a list of strings"),
                                ))
                            }
                        }
                    }
                }
                Value::Object(_) => {
                    return Err(Response::error(
                        400,
                        &format!("'{k}' is an object; the event fields are plain values"),
                    ))
                }
            }
        }
        pairs
    } else {
        form_pairs(&raw)
    };
    Ok(Fields { pairs, raw })
}

/// A number as a push wrote it, made readable for the number model (see the module docs).
pub(crate) fn push_number(model: &NumberModel, s: &str) -> String {
    let t = s.trim();
    if t.len() > model.ext_max && !t.starts_with('0') && t.bytes().all(|b| b.is_ascii_digit()) {
        format!("+{t}")
    } else {
        t.to_string()
    }
}

/// `direction` as the pushes write it.
pub(crate) fn direction(f: &Fields) -> Result<Option<Direction>, Response> {
    match f.get("direction") {
        None => Ok(None),
        Some("in") => Ok(Some(Direction::In)),
        Some("out") => Ok(Some(Direction::Out)),
        Some(d) => Err(Response::error(
            400,
            &format!("'{d}' is not a direction; use in or out"),
        )),
    }
}

/// The call id under `name`, required and at most 250 characters (Zammad's limit).
pub(crate) fn call_id<'a>(f: &'a Fields, name: &str) -> Result<&'a str, Response> {
    let id = f.get(name).ok_or_else(|| {
        Response::error(
            400,
            &format!("the push has no '{name}': every event must name its call"),
        )
    })?;
    if id.chars().count() > 250 {
        return Err(Response::error(
            400,
            &format!("'{name}' is longer than 250 characters"),
        ));
    }
    Ok(id)
}

/// Commits the events and answers `ok()` after COMMIT: a push is acknowledged only once it is
/// stored, and the worker is not held meanwhile (see `vendors::answer_after_commit`).
pub(crate) fn ingest_then(
    ctx: &Ctx,
    events: Vec<CallEvent>,
    ok: impl FnOnce() -> Response + Send + 'static,
) -> Response {
    crate::vendors::answer_after_commit(ctx, events, move |r| match r {
        Ok(_) => ok(),
        Err(e) => {
            let status = match &e {
                JournalError::Invalid { .. } | JournalError::BadRequest(_) => 400,
                JournalError::Store(_) => 503,
                JournalError::NotFound(_) | JournalError::StillOpen(_) => 409,
            };
            Response::error(status, &e.to_string())
        }
    })
}

/// Our side and the other side of a call, by its direction: (remote, local) from `from` and `to`.
pub(crate) fn sides(
    model: &NumberModel,
    f: &Fields,
    dir: Option<Direction>,
) -> (Option<String>, Option<String>) {
    let from = f.get("from").map(|s| push_number(model, s));
    let to = f.get("to").map(|s| push_number(model, s));
    match dir {
        Some(Direction::Out) => (to, from),
        Some(_) => (from, to),
        None => (None, None),
    }
}

/// Turns one Zammad generic CTI push into a call event.
pub fn event_from(model: &NumberModel, f: &Fields) -> Result<CallEvent, Response> {
    let event = f.get("event").unwrap_or("");
    let kind =
        match event {
            "newCall" => None,
            "answer" => Some(EventKind::Answered),
            "hangup" => Some(EventKind::Hangup),
            "" => return Err(Response::error(
                400,
                "the push has no 'event'; the Zammad generic CTI sends newCall, answer or hangup",
            )),
            other => {
                return Err(Response::error(
                    400,
                    &format!("'{other}' is not a Zammad CTI event; use newCall, answer or hangup"),
                ))
            }
        };
    let id = call_id(f, "callId")?;
    let dir = direction(f)?;
    let kind = match (kind, dir) {
        (Some(k), _) => k,
        (None, Some(Direction::Out)) => EventKind::Dialing,
        (None, Some(_)) => EventKind::Ringing,
        (None, None) => {
            return Err(Response::error(
                400,
                "a newCall must say its 'direction': in or out",
            ))
        }
    };
    let (remote, local) = sides(model, f, dir);
    let answering = f.get("answeringNumber").map(|s| push_number(model, s));
    Ok(CallEvent {
        direction: dir,
        remote,
        // The local side is our number (a line) or an extension; the journal tells which.
        extension: local,
        agent: (kind == EventKind::Answered).then_some(answering).flatten(),
        cause: (kind == EventKind::Hangup)
            .then(|| f.get("cause").map(str::to_string))
            .flatten(),
        payload: f.raw.clone(),
        ..CallEvent::new(SOURCE, id, kind)
    })
}

/// `POST /cti/{token}`.
pub fn post(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    if let Err(r) = check_token(ctx, p) {
        return r;
    }
    let f = match fields(req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if f.get("event")
        .is_some_and(|e| super::placetel::EVENTS.contains(&e))
    {
        return super::placetel::handle(ctx, req, &f);
    }
    let ev = match event_from(ctx.model(), &f) {
        Ok(e) => e,
        Err(r) => return r,
    };
    ingest_then(ctx, vec![ev], || {
        Response::json(200, &serde_json::json!({}))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value, or a panic that shows the refused push's answer (`Response` has no `Debug`).
    fn ok<T>(r: Result<T, Response>) -> T {
        match r {
            Ok(v) => v,
            Err(r) => panic!("{}: {}", r.status, String::from_utf8_lossy(&r.body)),
        }
    }

    fn form(body: &str) -> Fields {
        Fields::from_form(body)
    }

    fn model() -> NumberModel {
        NumberModel {
            area_code: "30".into(),
            ..NumberModel::default()
        }
    }

    #[test]
    fn zammad_events_map_to_call_events() {
        type Row<'a> = (
            &'a str,
            EventKind,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
        );
        // body, kind, remote, local, agent, cause
        let cases: &[Row] = &[
            (
                "event=newCall&from=493055571600&to=4930123450&direction=in&callId=c1&user%5B%5D=Anna+M",
                EventKind::Ringing,
                Some("+493055571600"),
                Some("+4930123450"),
                None,
                None,
            ),
            (
                "event=newCall&from=10&to=02214710334&direction=out&callId=c2",
                EventKind::Dialing,
                Some("02214710334"),
                Some("10"),
                None,
                None,
            ),
            (
                "event=answer&from=493055571600&to=4930123450&direction=in&callId=c1&answeringNumber=11",
                EventKind::Answered,
                Some("+493055571600"),
                Some("+4930123450"),
                Some("11"),
                None,
            ),
            (
                "event=hangup&from=anonymous&to=4930123450&direction=in&callId=c3&cause=noAnswer",
                EventKind::Hangup,
                Some("anonymous"),
                Some("+4930123450"),
                None,
                Some("noAnswer"),
            ),
        ];
        for (body, kind, remote, local, agent, cause) in cases {
            let e = ok(event_from(&model(), &form(body)));
            assert_eq!(e.kind, *kind, "{body}");
            assert_eq!(e.remote.as_deref(), *remote, "{body}");
            assert_eq!(e.extension.as_deref(), *local, "{body}");
            assert_eq!(e.agent.as_deref(), *agent, "{body}");
            assert_eq!(e.cause.as_deref(), *cause, "{body}");
            assert_eq!(e.source, "cti");
            assert_eq!(e.payload, *body);
        }
    }

    #[test]
    fn bad_pushes_say_what_is_wrong() {
        let cases: &[(&str, &str)] = &[
            ("from=1&to=2&callId=x", "has no 'event'"),
            ("event=ring&callId=x", "not a Zammad CTI event"),
            ("event=newCall&direction=in", "has no 'callId'"),
            ("event=newCall&callId=x", "must say its 'direction'"),
            (
                "event=hangup&callId=x&direction=sideways",
                "not a direction",
            ),
        ];
        for (body, want) in cases {
            let r = event_from(&model(), &form(body)).unwrap_err();
            assert_eq!(r.status, 400, "{body}");
            let text = String::from_utf8(r.body).unwrap();
            assert!(text.contains(want), "{body}: {text}");
        }
        let long = format!("event=hangup&direction=in&callId={}", "x".repeat(251));
        assert_eq!(event_from(&model(), &form(&long)).unwrap_err().status, 400);
    }

    #[test]
    fn numbers_get_their_plus_back_only_when_international() {
        let m = model();
        let cases: &[(&str, &str)] = &[
            ("493055571600", "+493055571600"),
            ("02214710334", "02214710334"),
            ("+4930123", "+4930123"),
            ("anonymous", "anonymous"),
            ("42", "42"),
            ("7777abcdefg@fpbx.de", "7777abcdefg@fpbx.de"),
        ];
        for (raw, want) in cases {
            assert_eq!(push_number(&m, raw), *want, "{raw}");
        }
    }

    #[test]
    fn user_lists_read_with_and_without_brackets() {
        let f = form("user%5B%5D=Anna&user%5B%5D=Bob&user=&queue=support");
        assert_eq!(f.all("user"), ["Anna", "Bob"]);
        assert_eq!(f.get("queue"), Some("support"));
        assert_eq!(f.get("missing"), None);
    }
}
