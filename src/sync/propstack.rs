//! Propstack (seed 004): every finished call, pushed the way Propstack's own 3CX template reports it.
//!
//! `sync.propstack.mode = 3cx` (default): `POST {base}/v1/calls/3cx` with JSON in the seed's four shapes:
//! inbound answered `{"duration","direction":"in","from":number,"to":agent}`, outbound answered
//! `direction:"out"` with `from` and `to` swapped, and inbound missed and outbound not answered add
//! `"hangup_cause":"notAnswered"`. `duration` is 3CX's `[Duration]` (`HH:MM:SS`). `mode = phone`:
//! `GET {base}/v1/calls/phone?type=&duration=mm:ss&to=&from=&direction=&event=`. The API key goes in the
//! `X-API-KEY` header (see shared protocols: pbx-apis.md §1.9; ringbook's own `vendors/propstack.rs`
//! accepts the same shapes).
//!
//! The `contact` step (added after a call whose number no contact had, `sync.propstack.contacts`) asks
//! `GET {base}/v1/contacts?with_meta=1&phone_number=` and the answer fills the contact mirror.

use serde_json::json;

use super::{call_type, encode, hms, remote_number, Build, Item, Request};
use crate::journal::Direction;

/// The outbox step that asks Propstack about a number no contact had (see `sync::mirror`).
pub const CONTACT_STEP: &str = "contact";

pub fn build(item: &Item<'_>) -> Result<Build, String> {
    let s = item.settings;
    let base = s.get("sync.propstack.url").trim_end_matches('/');
    let call = item.call;
    let number = remote_number(call);
    if item.row.step == CONTACT_STEP {
        if !number.chars().any(|c| c.is_ascii_digit()) {
            return Ok(Build::Skip(
                "the caller has no number to ask Propstack about".into(),
            ));
        }
        // A read: no Idempotency-Key, nothing changes upstream.
        return Ok(Build::Send(Request {
            method: "GET",
            url: format!(
                "{base}/v1/contacts?with_meta=1&phone_number={}",
                encode(&number)
            ),
            headers: vec![
                (
                    "X-API-KEY".to_string(),
                    s.get("sync.propstack.api_key").to_string(),
                ),
                ("Accept".to_string(), "application/json".to_string()),
            ],
            body: None,
        }));
    }
    let agent = call.extension.clone().unwrap_or_default();
    let out = call.direction == Direction::Out;
    let (from, to) = if out {
        (agent, number)
    } else {
        (number, agent)
    };
    let answered = call.answered_at.is_some();
    let mut headers = vec![
        (
            "X-API-KEY".to_string(),
            s.get("sync.propstack.api_key").to_string(),
        ),
        (
            "Idempotency-Key".to_string(),
            item.row.idempotency_key.clone(),
        ),
    ];
    let direction = if out { "out" } else { "in" };
    if s.get("sync.propstack.mode") == "phone" {
        let d = call.duration.max(0);
        let event = match (answered, out) {
            (true, _) => "hangup",
            (false, false) => "missed",
            (false, true) => "notAnswered",
        };
        let url = format!(
            "{base}/v1/calls/phone?type={}&duration={}&to={}&from={}&direction={direction}&event={event}",
            call_type(call),
            encode(&format!("{:02}:{:02}", d / 60, d % 60)),
            encode(&to),
            encode(&from),
        );
        return Ok(Build::Send(Request {
            method: "GET",
            url,
            headers,
            body: None,
        }));
    }
    let mut body = json!({
        "duration": hms(call.duration),
        "direction": direction,
        "from": from,
        "to": to,
    });
    if !answered {
        body["hangup_cause"] = "notAnswered".into();
    }
    headers.push(("Content-Type".into(), "application/json".into()));
    Ok(Build::Send(Request {
        method: "POST",
        url: format!("{base}/v1/calls/3cx"),
        headers,
        body: Some(body.to_string().into_bytes()),
    }))
}
