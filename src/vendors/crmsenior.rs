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

use serde_json::{json, Map, Value};

use crate::auth::Scope;
use crate::contacts::PhoneKind;
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::vendors::threecx::{self, NumberAnswer};

/// CRM Senior's four phone fields and the kind of number each holds.
const SLOTS: &[(&str, PhoneKind)] = &[
    ("businessphone", PhoneKind::Office),
    ("businessphone2", PhoneKind::Office),
    ("mobilephone", PhoneKind::Mobile),
    ("mobilephone2", PhoneKind::Mobile),
];

/// The call this consult opens, as the id for `customvalue`. Empty until the call journal opens calls
/// here; the journal adds that in this function and nowhere else.
fn open_call(_ctx: &mut Ctx, _req: &Request, _answer: &NumberAnswer) -> String {
    String::new()
}

/// `GET /cti3cx/consult-phone/{phone}`: the contacts with this number in CRM Senior's shape.
pub fn consult_phone(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Lookup) {
        return Response::unauthorized(&e, true);
    }
    let phone = p.get("phone").unwrap_or_default().to_string();
    let answer = match threecx::lookup_number(ctx, &phone) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let call_id = open_call(ctx, req, &answer);
    let base = threecx::request_base(ctx, req);
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
