//! `POST /cti/{token}/sipgate`: the sipgate.io push API (see shared protocols: pbx-apis.md §3.1).
//!
//! sipgate posts form-encoded `newCall` to the URL set in its console, and posts `answer` and
//! `hangup` only to the URLs the answer to `newCall` names:
//!
//! ```xml
//! <?xml version="1.0" encoding="UTF-8"?>
//! <Response onAnswer="https://box/cti/TOKEN/sipgate" onHangup="https://box/cti/TOKEN/sipgate"></Response>
//! ```
//!
//! So every `newCall` is answered with that document (`Content-Type: application/xml`), pointing back
//! at this same URL, built from `http.public_url` (sipgate needs a public HTTPS address it can reach;
//! self-signed certificates are refused by sipgate). Answers to `answer`, `hangup` and `dtmf` are
//! discarded by sipgate; they get an empty 200.
//!
//! Fields: `event`, `from`, `to` (international numbers without `+`, or `anonymous`), `direction`,
//! `callId` (the leg), `origCallId` (stable across transfers: the conversation), `user[]` (names),
//! `userId[]` (`w0`) and `fullUserId[]`; `answer` adds `user`, `userId` and `answeringNumber`;
//! `hangup` adds `cause` (`normalClearing, busy, cancel, noAnswer, congestion, notFound,
//! forwarded`). A transfer makes a new `callId` with the same `origCallId`, so it stays one call.
//! The sipgate user id (`w0`) is the extension: assign it to an employee like any extension.

use super::cti::{self, Fields};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::journal::{CallEvent, Direction, EventKind};
use crate::number::NumberModel;
use crate::provision;
use crate::xml::XmlWriter;

/// The journal's source name for sipgate.io.
pub const SOURCE: &str = "sipgate";

/// The answer to `newCall`: subscribe to `answer` and `hangup` at `url`.
pub fn subscribe_xml(url: &str) -> String {
    let mut w = XmlWriter::new();
    w.text("Response", &[("onAnswer", url), ("onHangup", url)], "");
    w.finish()
}

/// Turns one sipgate push into a call event; `None` for events that are not about the call's state
/// (`dtmf`).
pub fn event_from(model: &NumberModel, f: &Fields) -> Result<Option<CallEvent>, Response> {
    let kind = match f.get("event").unwrap_or("") {
        "newCall" => None,
        "answer" => Some(EventKind::Answered),
        "hangup" => Some(EventKind::Hangup),
        "dtmf" => return Ok(None),
        "" => {
            return Err(Response::error(
                400,
                "the push has no 'event'; sipgate sends newCall, answer, hangup or dtmf",
            ))
        }
        other => {
            return Err(Response::error(
                400,
                &format!(
                    "'{other}' is not a sipgate.io event; use newCall, answer, hangup or dtmf"
                ),
            ))
        }
    };
    let id = cti::call_id(f, "callId")?;
    let dir = cti::direction(f)?;
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
    let (remote, line) = cti::sides(model, f, dir);
    // One sipgate user on the call is its extension; a group ringing several says nothing yet.
    let users = f.all("userId");
    let user = (users.len() == 1).then(|| users[0].to_string());
    let agent = match kind {
        EventKind::Answered => user
            .clone()
            .or_else(|| f.get("answeringNumber").map(|n| cti::push_number(model, n))),
        _ => None,
    };
    Ok(Some(CallEvent {
        group: f.get("origCallId").map(str::to_string),
        direction: dir,
        remote,
        line,
        extension: user,
        agent,
        cause: (kind == EventKind::Hangup)
            .then(|| f.get("cause").map(str::to_string))
            .flatten(),
        payload: f.raw.clone(),
        ..CallEvent::new(SOURCE, id, kind)
    }))
}

/// `POST /cti/{token}/sipgate`.
pub fn post(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    if let Err(r) = cti::check_token(ctx, p) {
        return r;
    }
    let f = match cti::fields(req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let ev = match event_from(ctx.model(), &f) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let new_call = ev
        .as_ref()
        .is_some_and(|e| matches!(e.kind, EventKind::Ringing | EventKind::Dialing));
    let answer = if new_call {
        let base = ctx.base_url(req);
        let token = p.get("token").unwrap_or("");
        let url = format!("{base}/cti/{}/sipgate", provision::url_encode(token));
        Response::new(200, "application/xml", subscribe_xml(&url))
    } else {
        Response::new(200, "application/xml", Vec::new())
    };
    match ev {
        Some(ev) => cti::ingest_then(ctx, vec![ev], move || answer),
        None => answer,
    }
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

    fn push(body: &str) -> Result<Option<CallEvent>, Response> {
        let f = Fields::from_form(body);
        let m = NumberModel {
            area_code: "211".into(),
            ..NumberModel::default()
        };
        event_from(&m, &f)
    }

    #[test]
    fn the_subscription_document_is_exact() {
        assert_eq!(
            subscribe_xml("https://box.example/cti/t0k3n-0123456789ab/sipgate"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response onAnswer=\"https://box.example/cti/t0k3n-0123456789ab/sipgate\" onHangup=\"https://box.example/cti/t0k3n-0123456789ab/sipgate\"></Response>\n"
        );
        // Whatever the base URL holds is escaped.
        assert!(subscribe_xml("http://a/?x=1&y=\"2\"").contains("x=1&amp;y=&quot;2&quot;"));
    }

    #[test]
    fn sipgate_events_map_to_call_events() {
        let e = ok(push("event=newCall&from=492111234567&to=4921100000000&direction=in&callId=A1&origCallId=O1&user%5B%5D=Anna&userId%5B%5D=w0&fullUserId%5B%5D=1234567w0&xcid=x")).unwrap();
        assert_eq!(e.kind, EventKind::Ringing);
        assert_eq!(e.key, "A1");
        assert_eq!(e.group.as_deref(), Some("O1"));
        assert_eq!(e.remote.as_deref(), Some("+492111234567"));
        assert_eq!(e.line.as_deref(), Some("+4921100000000"));
        assert_eq!(e.extension.as_deref(), Some("w0"));
        let e = ok(push("event=newCall&from=4921100000000&to=01701234567&direction=out&callId=B1&user%5B%5D=Anna&userId%5B%5D=w0")).unwrap();
        assert_eq!(e.kind, EventKind::Dialing);
        assert_eq!(e.remote.as_deref(), Some("01701234567"));
        assert_eq!(e.line.as_deref(), Some("+4921100000000"));
        // A group: two users ring, nobody is the extension yet; the answer names who took it.
        let e = ok(push("event=newCall&from=anonymous&to=4921100000000&direction=in&callId=C1&userId%5B%5D=w0&userId%5B%5D=w1")).unwrap();
        assert_eq!(e.extension, None);
        assert_eq!(e.remote.as_deref(), Some("anonymous"));
        let e = ok(push("event=answer&callId=C1&user=Bob&userId=w1&fullUserId=1234567w1&from=anonymous&to=4921100000000&direction=in&answeringNumber=4921100000001")).unwrap();
        assert_eq!(e.kind, EventKind::Answered);
        assert_eq!(e.agent.as_deref(), Some("w1"));
        let e = ok(push(
            "event=hangup&cause=busy&callId=B1&from=4921100000000&to=01701234567&direction=out",
        ))
        .unwrap();
        assert_eq!(e.kind, EventKind::Hangup);
        assert_eq!(e.cause.as_deref(), Some("busy"));
        assert!(ok(push("event=dtmf&dtmf=1&callId=A1")).is_none());
        for body in ["event=ring&callId=x", "event=hangup", "from=1"] {
            assert_eq!(push(body).unwrap_err().status, 400, "{body}");
        }
    }
}
