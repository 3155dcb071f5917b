//! Any webhook: `POST sync.webhook.url` for each step of a call (ringing, answered, ended), as ringbook's
//! own call JSON (`sync.webhook.format = ringbook`) or as Zammad's generic CTI `newCall`, `answer` and
//! `hangup` events (`zammad`; see shared protocols: pbx-apis.md §3.4).
//!
//! When `sync.webhook.secret` is set the body is signed: `X-Ringbook-Signature: t=UNIX,v1=HEX`, where
//! HEX is the HMAC-SHA256 (key: the secret) of `UNIX + "." + body`. A receiver recomputes it and should
//! refuse a `t` far from its own clock, so a captured request can't be replayed later.

use serde_json::json;

use super::{remote_number, Build, Item, Request};
use crate::journal::{Direction, Status};

/// The signature header's value for a body sent at `t` (Unix seconds).
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let mut msg = format!("{t}.").into_bytes();
    msg.extend_from_slice(body);
    let mac = crate::vendors::placetel::hmac_sha256(secret.as_bytes(), &msg);
    format!("t={t},v1={}", crate::hex::lower(&mac))
}

fn zammad_cause(status: Status) -> &'static str {
    match status {
        Status::Answered | Status::Ringing => "normalClearing",
        Status::Missed | Status::NotAnswered => "noAnswer",
        Status::Busy => "busy",
        Status::Failed => "congestion",
    }
}

pub fn build(item: &Item<'_>) -> Result<Build, String> {
    let s = item.settings;
    let call = item.call;
    let step = item.row.step.as_str();
    let number = remote_number(call);
    let ext = call.extension.clone().unwrap_or_default();
    let out = call.direction == Direction::Out;
    let body = if s.get("sync.webhook.format") == "zammad" {
        let (from, to) = if out {
            (ext.clone(), number)
        } else {
            (number, ext.clone())
        };
        let mut b = json!({
            "callId": format!("ringbook-{}", call.id),
            "from": from,
            "to": to,
            "direction": if out { "out" } else { "in" },
        });
        match step {
            "ringing" => b["event"] = "newCall".into(),
            "answered" => {
                b["event"] = "answer".into();
                b["answeringNumber"] = ext.into();
            }
            _ => {
                b["event"] = "hangup".into();
                b["cause"] = zammad_cause(call.status).into();
            }
        }
        b
    } else {
        json!({
            "event": step,
            "idempotency_key": item.row.idempotency_key,
            "call": {
                "id": call.id,
                "direction": call.direction.as_str(),
                "status": call.status.as_str(),
                "started_at": call.started_at,
                "answered_at": call.answered_at,
                "ended_at": call.ended_at,
                "end_estimated": call.end_estimated,
                "duration": call.duration,
                "remote": { "raw": call.remote_raw, "e164": call.remote_e164 },
                "extension": call.extension,
                "contact_id": call.contact_id,
            },
        })
    };
    let body = body.to_string().into_bytes();
    let mut headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        (
            "Idempotency-Key".to_string(),
            item.row.idempotency_key.clone(),
        ),
    ];
    let secret = s.get("sync.webhook.secret");
    if !secret.is_empty() {
        headers.push((
            "X-Ringbook-Signature".into(),
            signature(secret, crate::store::now(), &body),
        ));
    }
    Ok(Build::Send(Request {
        method: "POST",
        url: s.get("sync.webhook.url").to_string(),
        headers,
        body: Some(body),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_time_dot_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"; here t=what, body=rest.
        let sig = signature("Jefe", 0, b"x");
        assert!(sig.starts_with("t=0,v1="), "{sig}");
        assert_eq!(sig.len(), "t=0,v1=".len() + 64);
        let mac = crate::vendors::placetel::hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            crate::hex::lower(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_ne!(signature("Jefe", 1, b"x"), sig, "the time is signed");
        assert_ne!(signature("Jefe", 0, b"y"), sig, "the body is signed");
    }
}
