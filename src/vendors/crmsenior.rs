//! CRM Senior's caller lookup, served as is so that a 3CX template written for CRM Senior (seed 001)
//! can point at ringbook instead: `GET /cti3cx/consult-phone/{phone}` with the key in the header
//! `token_crm` and the header `tenant`.
//!
//! The answer is `{"contact":[{"id","firstname","lastname","company","email","businessphone",
//! "businessphone2","mobilephone","mobilephone2","url","customvalue"}]}`, or `{"error":"..."}` with a
//! 4xx status. `url` is the contact's page in ringbook. `customvalue` is meant to carry the id of the
//! call this lookup opens, for the template's `PUT end-call/{id}` (see shared protocols: pbx-apis.md
//! §1.9); [`open_call`] is the one place where that happens. The lookup, the echo of the searched
//! number and the placeholder on a miss are those of every 3CX lookup (see `vendors::threecx`).
//!
//! ringbook serves one office, so the `tenant` header is accepted and not checked.
//!
//! The call (seed 001): when the key also has the `journal` scope, a consult for an outside number
//! opens a ringing call (inbound until the end says otherwise) and answers its journal id in
//! `customvalue`; another consult for the same number while that call is open answers the same id.
//! `PUT /cti3cx/end-call/{id}` with `{"data","hora_inicio","hora_fim","telefone","calltype","agent"}`
//! closes it: `calltype` is 3CX's `[CallType]` (`Inbound`, `Outbound`, `Missed`, `Notanswered`),
//! `data` the date and `hora_inicio`/`hora_fim` the start and end times in the office's time zone
//! (`01/03/2024` with `09:15:00`, or full date-times; day first, as in Brazil). It answers
//! `{"success":"..."}`, or `{"error":"..."}` with a 4xx for an id consult-phone never gave or a bad
//! body, and nothing changes. A consult that is never ended is closed by the journal's janitor.

use serde_json::{json, Map, Value};

use jiff::tz::TimeZone;

use crate::auth::Scope;
use crate::contacts::PhoneKind;
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::journal::{self, CallEvent, EventKind};
use crate::number::Normalized;
use crate::store;
use crate::vendors::threecx::journal::{
    body_fields, conversation, number_text, office_tz, parse_local, report_events, resolve, text,
    CallType, LocalTime, Report, Resolved,
};
use crate::vendors::threecx::{self, NumberAnswer};

/// The journal source name of CRM Senior-shaped calls.
pub const SOURCE: &str = "crmsenior";

/// CRM Senior's four phone fields and the kind of number each holds.
const SLOTS: &[(&str, PhoneKind)] = &[
    ("businessphone", PhoneKind::Office),
    ("businessphone2", PhoneKind::Office),
    ("mobilephone", PhoneKind::Mobile),
    ("mobilephone2", PhoneKind::Mobile),
];

/// The call this consult opens, as the id for `customvalue`: a ringing call for an outside number,
/// or the one still open for it. Empty when there is no call to open (a withheld number, an internal
/// extension) or it could not be stored; the lookup is answered either way.
fn open_call(ctx: &Ctx, answer: &NumberAnswer, phone: &str) -> String {
    if !matches!(
        answer.outcome.normalized,
        Normalized::Public { .. } | Normalized::Digits(_)
    ) {
        return String::new();
    }
    let Some(remote_key) = journal::remote_key(&answer.outcome.normalized) else {
        return String::new();
    };
    let ring_timeout = journal::Config::from_settings(ctx.settings()).ring_timeout;
    let conv = conversation(&["consult", &remote_key]);
    let key = match resolve(
        &ctx.reader,
        SOURCE,
        &conv,
        store::now(),
        ring_timeout,
        false,
    ) {
        Ok(Resolved::Open(l) | Resolved::Repeat(l)) => return l.call_id.to_string(),
        Ok(Resolved::New(k)) => k,
        Err(e) => {
            log::warn!(
                "crm senior consult for {phone}: no call opened, the journal can't be read: {e}"
            );
            return String::new();
        }
    };
    let ev = CallEvent {
        remote: Some(phone.to_string()),
        payload: format!("GET /cti3cx/consult-phone/{phone}"),
        ..CallEvent::new(SOURCE, &key, EventKind::Ringing)
    };
    // This one stays blocking: the lookup's answer carries the id of the call this consult opens
    // (`customvalue`), which exists only once the ringing is committed. A consult is a lookup, one
    // per call, so holding the worker for one commit costs little.
    match journal::ingest_with(&ctx.app.store, &ctx.reader, ctx.settings(), vec![ev]) {
        Ok(done) => done
            .last()
            .map(|i| i.call_id.to_string())
            .unwrap_or_default(),
        Err(e) => {
            log::warn!("crm senior consult for {phone}: no call opened: {e}");
            String::new()
        }
    }
}

/// `GET /cti3cx/consult-phone/{phone}`: the contacts with this number in CRM Senior's shape.
pub fn consult_phone(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    let key = match ctx.authorize(req, Scope::Lookup) {
        Ok(k) => k,
        Err(e) => return Response::unauthorized(&e, true),
    };
    let phone = p.get("phone").unwrap_or_default().to_string();
    let answer = match threecx::lookup_number(ctx, &phone) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let call_id = if key.has_scope(Scope::Journal) {
        open_call(ctx, &answer, &phone)
    } else {
        String::new()
    };
    let base = ctx.base_url(req);
    let record = |id: i64, names: [&str; 4], url: String, phones: Vec<(&'static str, String)>| {
        let mut m = Map::new();
        m.insert("id".into(), id.into());
        m.insert("firstname".into(), names[0].into());
        m.insert("lastname".into(), names[1].into());
        m.insert("company".into(), names[2].into());
        m.insert("email".into(), names[3].into());
        for (name, value) in phones {
            m.insert(name.into(), value.into());
        }
        m.insert("url".into(), url.into());
        m.insert("customvalue".into(), call_id.clone().into());
        Value::Object(m)
    };
    let list: Vec<Value> = if answer.placeholder {
        let echo = answer.echo.as_str();
        vec![record(
            0,
            ["", echo, "", ""],
            threecx::new_contact_url(&base, echo),
            threecx::fill_slots(SLOTS, &[], None, Some(echo)),
        )]
    } else {
        answer
            .outcome
            .matches
            .iter()
            .map(|m| {
                let c = &m.contact;
                record(
                    c.id.0,
                    [&c.first_name, &c.last_name, &c.company, &c.email],
                    threecx::contact_url(&base, c.id),
                    threecx::fill_slots(
                        SLOTS,
                        &c.phones,
                        Some(&m.matched_number),
                        Some(&answer.echo),
                    ),
                )
            })
            .collect()
    };
    Response::json(200, &json!({ "contact": list }))
}

/// A moment of the end-call body: `hora` as a full date-time, or `data`'s date with `hora`'s time.
fn moment(tz: &TimeZone, data: Option<&str>, hora: &str, label: &str) -> Result<LocalTime, String> {
    if let Ok(t) = parse_local(hora, tz, false) {
        return Ok(t);
    }
    let Some(date) = data.and_then(|d| d.split([' ', 'T']).find(|p| !p.is_empty())) else {
        return Err(format!(
            "{label} '{hora}' is a time without a date; send data as well, e.g. \"data\":\"01/03/2024\""
        ));
    };
    parse_local(&format!("{date} {hora}"), tz, false).map_err(|_| {
        format!("data '{date}' with {label} '{hora}' is not a date and time, e.g. 01/03/2024 and 09:15:00")
    })
}

const END_EXAMPLE: &str = r#"{"data":"01/03/2024","hora_inicio":"09:15:00","hora_fim":"09:16:05","telefone":"49301234567","calltype":"Inbound","agent":"11"}"#;

/// `PUT /cti3cx/end-call/{id}`: closes the call consult-phone opened.
pub fn end_call(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Journal) {
        return Response::unauthorized(&e, true);
    }
    let raw = p.get("id").unwrap_or_default();
    let unknown = || {
        Response::error(
            404,
            &format!("there is no call '{raw}' opened by consult-phone; send the customvalue it answered"),
        )
    };
    let Some(id) = raw.trim().parse::<i64>().ok().filter(|i| *i > 0) else {
        return unknown();
    };
    let leg = match ctx.reader.leg_of_call(SOURCE, id) {
        Ok(Some(l)) => l,
        Ok(None) => return unknown(),
        Err(e) => return Response::error(503, &format!("the journal can't be read: {e}")),
    };
    let obj = match body_fields(req, END_EXAMPLE) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let raw_type = text(&obj, &["calltype"]).unwrap_or_default();
    let Some(call_type) = CallType::parse(&raw_type) else {
        return Response::error(
            400,
            &format!("calltype '{raw_type}' is not one of Inbound, Outbound, Missed, Notanswered"),
        );
    };
    let tz = office_tz(ctx.settings());
    let data = text(&obj, &["data"]);
    let (Some(inicio), Some(fim)) = (text(&obj, &["horainicio"]), text(&obj, &["horafim"])) else {
        return Response::error(
            400,
            &format!("hora_inicio and hora_fim are needed, e.g. {END_EXAMPLE}"),
        );
    };
    let (start, mut end) = match (
        moment(&tz, data.as_deref(), &inicio, "hora_inicio"),
        moment(&tz, data.as_deref(), &fim, "hora_fim"),
    ) {
        (Ok(s), Ok(e)) => (s.at, e.at),
        (Err(e), _) | (_, Err(e)) => return Response::error(400, &e),
    };
    // An end before the start on the same date is after midnight.
    if end < start && start - end < 86_400 {
        end += 86_400;
    }
    let report = Report {
        call_type,
        remote: number_text(&obj, &["telefone"]),
        agent: text(&obj, &["agent"]),
        start,
        answered: call_type.answered().then_some(start),
        end,
        cause: None,
        payload: String::from_utf8_lossy(&req.body).into_owned(),
    };
    threecx::journal::ingest_then(
        ctx,
        report_events(SOURCE, &leg.key, &report),
        move |last, _| {
            Response::json(
                200,
                &json!({ "success": format!("call {} was closed as {raw_type}", last.call_id) }),
            )
        },
    )
}
