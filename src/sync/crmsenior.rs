//! CRM Senior (seed 001): `GET {base}/cti3cx/consult-phone/{phone}` when a call rings, whose answer
//! `{"contact":[{...,"customvalue"}]}` gives the call's id in CRM Senior, kept as the call's upstream id;
//! and `PUT {base}/cti3cx/end-call/{that id}` with `{"data","hora_inicio","hora_fim","telefone",
//! "calltype","agent"}` when it ends. Both carry the headers `token_crm` and `tenant` (see shared
//! protocols: pbx-apis.md §1.9). A 2xx with `{"error":...}` is a failure, its message kept on the row.
//!
//! `data` is `DD/MM/YYYY` and the times `HH:MM:SS` in `office.timezone`, as ringbook's own
//! `vendors/crmsenior.rs` reads them; `calltype` is 3CX's `[CallType]`. The phone is sent as
//! `sync.crmsenior.phone_format`: `00` (default, `00` + country + area + number, as the seed's
//! integer path parameter needs), `plus` (E.164) or `digits` (E.164 without the `+`).

use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde_json::{json, Value};

use super::{call_type, encode, remote_number, Build, Item, Request};
use crate::store::outbox::Row;

/// The phone in the configured format; `None` for a caller without digits (anonymous).
pub fn phone(number: &str, format: &str) -> Option<String> {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    let international = number.starts_with('+');
    Some(match (format, international) {
        ("plus", true) => format!("+{digits}"),
        ("digits", _) | (_, false) => digits,
        _ => format!("00{digits}"),
    })
}

pub fn build(item: &Item<'_>) -> Result<Build, String> {
    let s = item.settings;
    let base = s.get("sync.crmsenior.url").trim_end_matches('/');
    let call = item.call;
    let headers = vec![
        (
            "token_crm".to_string(),
            s.get("sync.crmsenior.token").to_string(),
        ),
        (
            "tenant".to_string(),
            s.get("sync.crmsenior.tenant").to_string(),
        ),
        (
            "Idempotency-Key".to_string(),
            item.row.idempotency_key.clone(),
        ),
    ];
    let Some(phone) = phone(&remote_number(call), s.get("sync.crmsenior.phone_format")) else {
        return Ok(Build::Skip(
            "the caller has no number, so CRM Senior can't be asked about it".into(),
        ));
    };
    if item.row.step == "ring" {
        return Ok(Build::Send(Request {
            method: "GET",
            url: format!("{base}/cti3cx/consult-phone/{}", encode(&phone)),
            headers,
            body: None,
        }));
    }
    let Some(id) = item.upstream.as_deref() else {
        return Ok(Build::Skip(
            "CRM Senior gave no call id (customvalue) at consult-phone, so there is no call to end"
                .into(),
        ));
    };
    let tz = TimeZone::get(s.get("office.timezone")).unwrap_or(TimeZone::UTC);
    let local = |ts: i64, fmt: &str| {
        Timestamp::from_second(ts)
            .map(|t| t.to_zoned(tz.clone()).strftime(fmt).to_string())
            .map_err(|e| format!("the call's time {ts} is out of range: {e}"))
    };
    let end = call.ended_at.unwrap_or(call.started_at);
    let body = json!({
        "data": local(call.started_at, "%d/%m/%Y")?,
        "hora_inicio": local(call.started_at, "%H:%M:%S")?,
        "hora_fim": local(end, "%H:%M:%S")?,
        "telefone": phone,
        "calltype": call_type(call),
        "agent": call.extension.clone().unwrap_or_default(),
    });
    let mut headers = headers;
    headers.push(("Content-Type".into(), "application/json".into()));
    Ok(Build::Send(Request {
        method: "PUT",
        url: format!("{base}/cti3cx/end-call/{}", encode(id)),
        headers,
        body: Some(body.to_string().into_bytes()),
    }))
}

/// Reads a 2xx answer. `{"error":...}` is a failure; a consult's first contact's `customvalue` (text or
/// number) becomes the call's upstream id.
pub fn read_answer(row: &Row, body: &str) -> Result<Option<String>, String> {
    let v: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(_) if row.step != "ring" && body.trim().is_empty() => return Ok(None),
        Err(e) => {
            let shown: String = body.chars().take(100).collect();
            return Err(format!(
                "CRM Senior answered with something that isn't JSON ({e}): {shown}"
            ));
        }
    };
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        let msg = err
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| err.to_string());
        return Err(format!("CRM Senior answered an error: {msg}"));
    }
    if row.step != "ring" {
        return Ok(None);
    }
    let custom = v
        .get("contact")
        .and_then(|c| c.as_array())
        .and_then(|a| a.first())
        .and_then(|c| c.get("customvalue"));
    Ok(match custom {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_formats() {
        let cases = [
            ("+49301234567", "00", Some("0049301234567")),
            ("+49301234567", "plus", Some("+49301234567")),
            ("+49301234567", "digits", Some("49301234567")),
            ("0301234567", "00", Some("0301234567")),
            ("anonymous", "00", None),
        ];
        for (n, f, want) in cases {
            assert_eq!(phone(n, f).as_deref(), want, "{n} as {f}");
        }
    }

    fn row(step: &str) -> Row {
        Row {
            id: 1,
            connector: "crmsenior".into(),
            call_id: 1,
            step: step.into(),
            idempotency_key: "k".into(),
            state: "pending".into(),
            attempts: 0,
            next_at: 0,
            last_error: None,
            created_at: 0,
            updated_at: 0,
            delivered_at: None,
        }
    }

    #[test]
    fn answers() {
        let ring = row("ring");
        assert_eq!(
            read_answer(&ring, r#"{"contact":[{"id":3,"customvalue":"C-77"}]}"#),
            Ok(Some("C-77".into()))
        );
        assert_eq!(
            read_answer(&ring, r#"{"contact":[{"customvalue":77}]}"#),
            Ok(Some("77".into()))
        );
        assert_eq!(read_answer(&ring, r#"{"contact":[]}"#), Ok(None));
        let e = read_answer(&ring, r#"{"error":"tenant unknown"}"#).unwrap_err();
        assert!(e.contains("tenant unknown"), "{e}");
        assert!(read_answer(&ring, "<html>").is_err());
        assert_eq!(read_answer(&row("ended"), ""), Ok(None));
    }
}
