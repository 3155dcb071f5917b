//! `POST /cti/{token}/placetel` (and Placetel's events posted to `/cti/{token}`): Placetel's Notify API
//! (see shared protocols: pbx-apis.md §3.2). Form-encoded, one push per event:
//!
//! - `IncomingCall`: `from` (or `anonymous`), `to` (our number), `call_id` (hex SHA-256),
//!   `direction=in`;
//! - `OutgoingCall`: `from` (the calling SIP user, e.g. `7777abcdefg@fpbx.de`, or in older accounts the
//!   caller id with the SIP user in `peer`), `to`, `call_id`, `direction=out`;
//! - `CallAccepted` (incoming only): `peer`, the SIP user who answered;
//! - `HungUp`: `type` (`voicemail, missed, blocked, accepted, busy, canceled, unavailable,
//!   congestion`) and `duration`, the seconds of the accepted part. Outgoing calls have no
//!   `CallAccepted`, so there a `HungUp` with `accepted` and a duration says when the call was
//!   answered (that long before the push).
//!
//! When `placetel.secret` is set, every push must carry `X-PLACETEL-SIGNATURE`: the hex HMAC-SHA256
//! of the raw body with that secret; a missing or wrong signature is refused with a 401 and nothing is
//! stored. The answer is an empty 200: in notify mode Placetel needs nothing. (Don't route a number
//! to this URL as Placetel's *call control* "External API": it would wait for routing XML.)
//!
//! The SIP user (`7777abcdefg`) is the extension: assign it to an employee like any extension.

use sha2::{Digest, Sha256};

use super::cti::{self, Fields};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::journal::{CallEvent, Direction, EventKind};
use crate::number::NumberModel;
use crate::store;

/// The journal's source name for Placetel.
pub const SOURCE: &str = "placetel";

/// Placetel's event names, which `/cti/{token}` recognises.
pub const EVENTS: [&str; 4] = ["IncomingCall", "OutgoingCall", "CallAccepted", "HungUp"];

/// HMAC-SHA256 (RFC 2104) over SHA-256 with its 64-byte block.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut ipad = [0x36u8; BLOCK];
    let mut opad = [0x5cu8; BLOCK];
    for i in 0..BLOCK {
        ipad[i] ^= k[i];
        opad[i] ^= k[i];
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize()
        .into()
}

/// Checks `X-PLACETEL-SIGNATURE` against the body when a secret is set.
pub fn verify(secret: &str, body: &[u8], signature: Option<&str>) -> Result<(), &'static str> {
    if secret.is_empty() {
        return Ok(());
    }
    let Some(sig) = signature.map(str::trim).filter(|s| !s.is_empty()) else {
        return Err("this Placetel push has no X-PLACETEL-SIGNATURE, but placetel.secret is set: set the same secret in Placetel's External API settings");
    };
    let want = crate::hex::lower(&hmac_sha256(secret.as_bytes(), body));
    if crate::auth::same_secret(sig.to_ascii_lowercase().as_bytes(), want.as_bytes()) {
        Ok(())
    } else {
        Err("the X-PLACETEL-SIGNATURE does not match the body: check that placetel.secret is the secret set in Placetel's External API settings")
    }
}

/// Turns one Placetel push into call events; `now` places the answer of a `HungUp` that reports an
/// accepted call.
pub fn events_from(model: &NumberModel, f: &Fields, now: i64) -> Result<Vec<CallEvent>, Response> {
    let event = f.get("event").unwrap_or("");
    if !EVENTS.contains(&event) {
        return Err(Response::error(
            400,
            &if event.is_empty() {
                "the push has no 'event'; Placetel sends IncomingCall, OutgoingCall, CallAccepted or HungUp".to_string()
            } else {
                format!("'{event}' is not a Placetel event; use IncomingCall, OutgoingCall, CallAccepted or HungUp")
            },
        ));
    }
    let id = cti::call_id(f, "call_id")?;
    let dir = match (cti::direction(f)?, event) {
        (Some(d), _) => Some(d),
        (None, "IncomingCall" | "CallAccepted") => Some(Direction::In),
        (None, "OutgoingCall") => Some(Direction::Out),
        (None, _) => None,
    };
    let num = |name: &str| f.get(name).map(|s| cti::push_number(model, s));
    let (remote, local) = match dir {
        Some(Direction::Out) => (num("to"), f.get("peer").map(str::to_string).or(num("from"))),
        Some(_) => (num("from"), num("to")),
        None => (None, None),
    };
    let base = CallEvent {
        direction: dir,
        remote,
        // Our number (a line) or a SIP user (an extension); the journal tells which.
        extension: local,
        payload: f.raw.clone(),
        ..CallEvent::new(SOURCE, id, EventKind::Ringing)
    };
    let mut out = Vec::new();
    match event {
        "IncomingCall" => out.push(base),
        "OutgoingCall" => {
            // An outgoing push with a caller id in `from` and the SIP user in `peer` names our line too.
            let line = f
                .get("peer")
                .and(num("from"))
                .filter(|_| dir == Some(Direction::Out));
            out.push(CallEvent {
                kind: EventKind::Dialing,
                line,
                ..base
            });
        }
        "CallAccepted" => out.push(CallEvent {
            kind: EventKind::Answered,
            agent: f.get("peer").map(str::to_string),
            ..base
        }),
        _ => {
            let kind = f.get("type").map(str::to_string);
            let seconds = match f.get("duration") {
                None => 0,
                Some(d) => d.parse::<i64>().ok().filter(|s| *s >= 0).ok_or_else(|| {
                    Response::error(400, &format!("'{d}' is not a duration in seconds"))
                })?,
            };
            // Outgoing calls have no CallAccepted: the duration is the only word on the answer.
            if kind.as_deref() == Some("accepted") && seconds > 0 && dir == Some(Direction::Out) {
                out.push(CallEvent {
                    kind: EventKind::Answered,
                    at: Some(now - seconds),
                    ..base.clone()
                });
            }
            out.push(CallEvent {
                kind: EventKind::Hangup,
                cause: kind,
                ..base
            });
        }
    }
    Ok(out)
}

/// Handles a Placetel push whose token was already checked and whose fields were read.
pub(crate) fn handle(ctx: &mut Ctx, req: &Request, f: &Fields) -> Response {
    if let Err(why) = verify(
        ctx.settings().get("placetel.secret"),
        &req.body,
        req.header("x-placetel-signature"),
    ) {
        return Response::error(401, why);
    }
    let events = match events_from(ctx.model(), f, store::now()) {
        Ok(e) => e,
        Err(r) => return r,
    };
    cti::ingest_then(ctx, events, || Response::text(200, ""))
}

/// `POST /cti/{token}/placetel`.
pub fn post(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    if let Err(r) = cti::check_token(ctx, p) {
        return r;
    }
    match cti::fields(req) {
        Ok(f) => handle(ctx, req, &f),
        Err(r) => r,
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

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn hmac_matches_rfc_4231_and_placetels_example() {
        let cases: &[(Vec<u8>, Vec<u8>, &str)] = &[
            // RFC 4231 test case 1
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            // Test case 2: a key shorter than the output
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            // Test case 3: 50 bytes of 0xdd
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            // Test case 6: a key longer than the block is hashed first
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            // Placetel's README: secret 12345 and this payload
            (
                b"12345".to_vec(),
                b"call_id=4a4cbb39578170aed9a2761a7bec8c7e704a541f52291ef603d6f5f152980c3c&event=CallAccepted&from=0123456789&to=0987654321".to_vec(),
                "c4f823c5b8806432fe2b83b1fc2ee714422e0cdfb4b5129152a7d0bbcd7792d0",
            ),
        ];
        for (key, msg, want) in cases {
            assert_eq!(crate::hex::lower(&hmac_sha256(key, msg)), *want);
            assert_eq!(unhex(want).len(), 32);
        }
    }

    #[test]
    fn signatures_are_checked_only_with_a_secret() {
        let body = b"call_id=4a4cbb39578170aed9a2761a7bec8c7e704a541f52291ef603d6f5f152980c3c&event=CallAccepted&from=0123456789&to=0987654321";
        let good = "c4f823c5b8806432fe2b83b1fc2ee714422e0cdfb4b5129152a7d0bbcd7792d0";
        assert!(verify("", body, None).is_ok());
        assert!(verify("12345", body, Some(good)).is_ok());
        assert!(verify("12345", body, Some(&good.to_ascii_uppercase())).is_ok());
        assert!(verify("12345", body, None)
            .unwrap_err()
            .contains("no X-PLACETEL-SIGNATURE"));
        assert!(verify("12346", body, Some(good))
            .unwrap_err()
            .contains("does not match"));
        assert!(verify("12345", b"tampered", Some(good)).is_err());
    }

    fn push(body: &str) -> Result<Vec<CallEvent>, Response> {
        let m = NumberModel {
            area_code: "221".into(),
            ..NumberModel::default()
        };
        events_from(&m, &Fields::from_form(body), 1_800_000_000)
    }

    #[test]
    fn placetel_events_map_to_call_events() {
        let e = ok(push(
            "event=IncomingCall&from=022129191999&to=022199998560&call_id=ab12&direction=in",
        ));
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].kind, EventKind::Ringing);
        assert_eq!(e[0].remote.as_deref(), Some("022129191999"));
        assert_eq!(e[0].extension.as_deref(), Some("022199998560"));
        let e = ok(push("event=CallAccepted&from=022129191999&to=022199998560&call_id=ab12&peer=7777abcdefg%40fpbx.de&direction=in"));
        assert_eq!(e[0].kind, EventKind::Answered);
        assert_eq!(e[0].agent.as_deref(), Some("7777abcdefg@fpbx.de"));
        let e = ok(push("event=OutgoingCall&from=7777abcdefg%40fpbx.de&to=022129191999&call_id=cd34&direction=out"));
        assert_eq!(e[0].kind, EventKind::Dialing);
        assert_eq!(e[0].remote.as_deref(), Some("022129191999"));
        assert_eq!(e[0].extension.as_deref(), Some("7777abcdefg@fpbx.de"));
        assert_eq!(e[0].line, None);
        // The older shape: caller id in `from`, SIP user in `peer`.
        let e = ok(push("event=OutgoingCall&from=022199998560&peer=7777abcdefg%40fpbx.de&to=022129191999&call_id=cd35&direction=out"));
        assert_eq!(e[0].extension.as_deref(), Some("7777abcdefg@fpbx.de"));
        assert_eq!(e[0].line.as_deref(), Some("022199998560"));
        let e = ok(push("event=HungUp&from=7777abcdefg%40fpbx.de&to=022129191999&call_id=cd34&type=accepted&duration=42&direction=out"));
        assert_eq!(
            e.iter().map(|e| (e.kind, e.at)).collect::<Vec<_>>(),
            [
                (EventKind::Answered, Some(1_800_000_000 - 42)),
                (EventKind::Hangup, None)
            ]
        );
        assert_eq!(e[1].cause.as_deref(), Some("accepted"));
        let e = ok(push("event=HungUp&from=022129191999&to=022199998560&call_id=ab13&type=missed&duration=0&direction=in"));
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].cause.as_deref(), Some("missed"));
        for (body, want) in [
            ("from=1&call_id=x", "no 'event'"),
            ("event=newCall&callId=x", "not a Placetel event"),
            ("event=HungUp&direction=in", "no 'call_id'"),
            (
                "event=HungUp&call_id=x&direction=in&duration=soon",
                "not a duration",
            ),
        ] {
            let r = push(body).unwrap_err();
            assert_eq!(r.status, 400);
            let text = String::from_utf8(r.body).unwrap();
            assert!(text.contains(want), "{body}: {text}");
        }
    }
}
