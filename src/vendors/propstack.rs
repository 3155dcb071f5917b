//! Propstack's contact lookup, served as is so that a 3CX template written for Propstack (seed 004)
//! can point at ringbook instead: `GET /v1/contacts?phone_number=...&with_meta=1`.
//!
//! The answer is `{"data":[{"id","first_name","last_name","company","email","office_phone",
//! "home_cell","home_phone"}],"meta":{"total_count":N}}`; without `with_meta=1` it is the bare array,
//! as Propstack's API answers. Such templates send the key in the `X-API-KEY` header, which ringbook
//! accepts like `X-Api-Key` (header names ignore case). The lookup, the echo of the searched number and
//! the placeholder on a miss are those of every 3CX lookup (see `vendors::threecx` and shared protocols:
//! pbx-apis.md §1.9).

use serde_json::{json, Map, Value};

use crate::auth::Scope;
use crate::contacts::{Contact, PhoneKind};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::vendors::threecx;

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
