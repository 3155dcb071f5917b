//! 3CX: the CRM template generated for this box, and the JSON endpoints that template calls.
//!
//! 3CX asks a CRM "who is calling?" through an uploaded XML template (see shared protocols:
//! pbx-apis.md §1). `GET /3cx/template.xml` writes that template for this ringbook: every URL points
//! here, the API key is a template parameter sent as the `X-Api-Key` header, and the scenarios are the
//! number lookup, `LookupByEmail`, `SearchContacts`, `CreateContactRecordFromClient` and four chained
//! `ReportCall` scenarios (Inbound, Outbound, Missed, Notanswered) that post to `/3cx/journal`.
//!
//! The endpoints answer `{"contacts":[...]}`, one object per contact, whose keys are the template's
//! output names (`ContactUrl`, `FirstName`, `PhoneBusiness`, `EntityId`, ...). Three 3CX quirks shape
//! them (pbx-apis.md §1.5–1.7):
//! - 3CX keeps a hit only if one phone output equals the number it searched for, so the number as
//!   received is echoed in the matched phone's place.
//! - 3CX journals only calls whose number matched, so a miss answers a placeholder contact (setting
//!   `threecx.placeholder_on_miss`) with `EntityId` `0` and `EntityType` `Placeholder`. It is built per
//!   request and never stored; its name is the number itself, because 3CX copies hits into its own
//!   phone book and a made-up name there would outlive the real contact.
//! - `[Number]` is put into the URL unencoded, so a `+` arrives as a literal `+` (kept by our raw query
//!   parser) or, through a form decoder on the way, as a space (read as a lost `+`).
//!
//! The Propstack and CRM Senior seed endpoints use the same lookup and echo rules in their own shapes.
//!
//! Scopes: the template is for the admin (`admin`), lookups and searches need `lookup`, and creating a
//! contact needs `phonebook` (the scope for maintaining the phone book). The key 3CX uses therefore
//! has `lookup`, `journal` and `phonebook`.
//!
//! The body `ReportCall` posts, as JSON, has the keys `call_type` (`Inbound`, `Outbound`, `Missed`,
//! `Notanswered`), `direction`, `number`, `name`, `agent`, `agent_first_name`, `duration` (`hh:mm:ss`),
//! `duration_seconds`, `date_time` (the PBX's locale), `start_utc`, `end_utc` (`yyyy-MM-ddTHH:mm:ssZ`),
//! `entity_id` and `entity_type`. 3CX gives no call id (pbx-apis.md §1.4), and a variable 3CX doesn't
//! fill may arrive as its literal `[Name]`. [`journal`] turns that body into call events.

pub mod journal;

use serde_json::{json, Map, Value};

use crate::auth::Scope;
use crate::contacts::{self, Contact, ContactId, NewContact, NewPhone, Phone, PhoneKind};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::lookup::{self, LookupError, Outcome};
use crate::number::{Normalized, NumberError};
use crate::provision::url_encode;
use crate::xml::XmlWriter;

/// Raised whenever the template's scenarios change, so that 3CX sees an update.
pub const TEMPLATE_VERSION: &str = "1";

/// At most this many contacts answer one search from the 3CX client.
pub const SEARCH_LIMIT: usize = 25;

/// `EntityType` of ringbook contacts, passed back to `ReportCall` as `[EntityType]`.
pub const ENTITY_TYPE: &str = "Contacts";
/// `EntityType` of the placeholder answered on a miss; its `EntityId` is `0`.
pub const PLACEHOLDER_TYPE: &str = "Placeholder";

/// The phone outputs of the template, with the kind of number each holds. Two per kind where 3CX has
/// two (see shared protocols: pbx-apis.md §1.2, Output types).
const SLOTS: &[(&str, PhoneKind)] = &[
    ("PhoneBusiness", PhoneKind::Office),
    ("PhoneBusiness2", PhoneKind::Office),
    ("PhoneMobile", PhoneKind::Mobile),
    ("PhoneMobile2", PhoneKind::Mobile),
    ("PhoneHome", PhoneKind::Home),
    ("PhoneHome2", PhoneKind::Home),
    ("PhoneOther", PhoneKind::Other),
    ("FaxBusiness", PhoneKind::Fax),
];

/// Every output of a contact scenario, in the order the template maps them.
const OUTPUTS: &[&str] = &[
    "ContactUrl",
    "FirstName",
    "LastName",
    "CompanyName",
    "Email",
    "PhoneBusiness",
    "PhoneBusiness2",
    "PhoneMobile",
    "PhoneMobile2",
    "PhoneHome",
    "PhoneHome2",
    "PhoneOther",
    "FaxBusiness",
    "EntityId",
    "EntityType",
];

/// The contact's page in ringbook, opened by the 3CX client.
pub fn contact_url(base: &str, id: ContactId) -> String {
    format!("{base}/contacts/{id}")
}

/// The page for creating a contact with this number, the link of a placeholder.
pub fn new_contact_url(base: &str, number: &str) -> String {
    format!("{base}/contacts/new?number={}", url_encode(number))
}

/// The number as 3CX searched for it, for echoing back. A leading space before digits is a `+` that a
/// form decoder turned into a space on the way (see shared protocols: pbx-apis.md §1.6).
pub fn echo_number(raw: &str) -> String {
    let t = raw.trim_end();
    if t.starts_with(' ') && t.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
        format!("+{}", t.trim_start())
    } else {
        t.trim_start().to_string()
    }
}

/// How a stored phone is shown to a PBX: E.164 where it parsed (what 3CX's phone book matches and
/// dials best), the raw form otherwise.
fn shown(p: &Phone) -> String {
    p.e164.clone().unwrap_or_else(|| p.number.clone())
}

/// Distributes a contact's phones over a vendor's typed phone fields. The matched phone (its raw form
/// as stored) goes first into its kind's field, holding `echo` (the number as searched) when given, so
/// the PBX finds the searched number among the outputs. Other phones fill the remaining fields of their
/// kind; phones without a free field are left out. A matched phone whose kind has no field takes the
/// first free field, or the last field when all are taken.
pub fn fill_slots(
    slots: &[(&'static str, PhoneKind)],
    phones: &[Phone],
    matched: Option<&str>,
    echo: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> =
        slots.iter().map(|(n, _)| (*n, String::new())).collect();
    let matched_idx = matched.and_then(|m| phones.iter().position(|p| p.number == m));
    let mut pending = None;
    match matched_idx {
        Some(i) => {
            let value = echo
                .map(str::to_string)
                .unwrap_or_else(|| shown(&phones[i]));
            match slots.iter().position(|(_, k)| *k == phones[i].kind) {
                Some(s) => out[s].1 = value,
                None => pending = Some(value),
            }
        }
        None => pending = echo.map(str::to_string),
    }
    for (i, p) in phones.iter().enumerate() {
        if Some(i) == matched_idx {
            continue;
        }
        let free = (0..slots.len()).find(|&s| slots[s].1 == p.kind && out[s].1.is_empty());
        if let Some(s) = free {
            out[s].1 = shown(p);
        }
    }
    if let Some(v) = pending {
        match out.iter().position(|(_, v)| v.is_empty()) {
            Some(s) => out[s].1 = v,
            None => {
                if let Some(last) = out.last_mut() {
                    last.1 = v;
                }
            }
        }
    }
    out
}

/// A number lookup as every 3CX-facing endpoint answers it.
pub struct NumberAnswer {
    pub outcome: Outcome,
    /// The number as received, to echo in the matched phone's place.
    pub echo: String,
    /// Nobody matched a real outside number and the placeholder setting is on: answer a placeholder.
    pub placeholder: bool,
}

/// Looks a number up for 3CX (and the seed templates 3CX runs). A withheld number or an internal
/// extension finds nobody and gets no placeholder: neither is a caller to journal against a contact.
/// Input that is no phone number at all is a 400 with the reason.
pub fn lookup_number(ctx: &mut Ctx, raw: &str) -> Result<NumberAnswer, Response> {
    let outcome = match lookup::lookup(&ctx.reader, ctx.model(), raw) {
        Ok(o) => o,
        // A template fills in an empty `[Number]` for a caller without one: that caller is withheld,
        // and gets the empty answer of one, not an error of unknown effect in the PBX.
        Err(LookupError::Number(NumberError::Empty)) => Outcome {
            raw: String::new(),
            normalized: Normalized::Anonymous,
            matches: Vec::new(),
        },
        Err(LookupError::Number(e)) => return Err(Response::error(400, &e.to_string())),
        Err(LookupError::Store(e)) => return Err(Response::error(503, &e.to_string())),
    };
    let outside = matches!(
        outcome.normalized,
        Normalized::Public { .. } | Normalized::Digits(_)
    );
    let placeholder =
        outcome.matches.is_empty() && outside && ctx.settings().flag("threecx.placeholder_on_miss");
    Ok(NumberAnswer {
        outcome,
        echo: echo_number(raw),
        placeholder,
    })
}

/// One contact in the template's JSON shape.
fn render(base: &str, c: &Contact, matched: Option<&str>, echo: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("ContactUrl".into(), contact_url(base, c.id).into());
    m.insert("FirstName".into(), c.first_name.clone().into());
    m.insert("LastName".into(), c.last_name.clone().into());
    m.insert("CompanyName".into(), c.company.clone().into());
    m.insert("Email".into(), c.email.clone().into());
    for (name, value) in fill_slots(SLOTS, &c.phones, matched, echo) {
        m.insert(name.into(), value.into());
    }
    m.insert("EntityId".into(), c.id.to_string().into());
    m.insert("EntityType".into(), ENTITY_TYPE.into());
    Value::Object(m)
}

/// The contact answered on a miss so that 3CX still journals the call. Never stored.
fn render_placeholder(base: &str, echo: &str) -> Value {
    let mut m = Map::new();
    m.insert("ContactUrl".into(), new_contact_url(base, echo).into());
    m.insert("FirstName".into(), "".into());
    m.insert("LastName".into(), echo.into());
    m.insert("CompanyName".into(), "".into());
    m.insert("Email".into(), "".into());
    for (name, value) in fill_slots(SLOTS, &[], None, Some(echo)) {
        m.insert(name.into(), value.into());
    }
    m.insert("EntityId".into(), "0".into());
    m.insert("EntityType".into(), PLACEHOLDER_TYPE.into());
    Value::Object(m)
}

fn contacts_json(list: Vec<Value>) -> Response {
    Response::json(200, &json!({ "contacts": list }))
}

/// `GET /3cx/template.xml`: the CRM template for this box, for the admin to upload to 3CX.
pub fn template_xml(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Admin) {
        return Response::unauthorized(&e, true);
    }
    let base = ctx.base_url(req);
    let country = ctx.settings().get("number.country").to_string();
    Response::xml(template(&base, &country)).with_header(
        "Content-Disposition",
        "attachment; filename=\"ringbook-3cx.xml\"",
    )
}

/// `GET /3cx/lookup?number=` (the screen-pop lookup) or `?email=` (`LookupByEmail`).
pub fn lookup(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Lookup) {
        return Response::unauthorized(&e, true);
    }
    let base = ctx.base_url(req);
    if let Some(number) = req.param("number") {
        let a = match lookup_number(ctx, &number) {
            Ok(a) => a,
            Err(r) => return r,
        };
        if a.placeholder {
            return contacts_json(vec![render_placeholder(&base, &a.echo)]);
        }
        let list = a
            .outcome
            .matches
            .iter()
            .map(|m| {
                render(
                    &base,
                    &m.contact,
                    Some(&m.matched_number),
                    Some(a.echo.as_str()),
                )
            })
            .collect();
        return contacts_json(list);
    }
    if let Some(email) = req.param("email") {
        let email = email.trim();
        if email.is_empty() {
            return contacts_json(Vec::new());
        }
        return match ctx.reader.contacts_by_email(email, SEARCH_LIMIT) {
            Ok(found) => {
                contacts_json(found.iter().map(|c| render(&base, c, None, None)).collect())
            }
            Err(e) => Response::error(503, &e.to_string()),
        };
    }
    Response::error(
        400,
        "add the number to look up, e.g. /3cx/lookup?number=%2B49301234567, or an e-mail address with ?email=",
    )
}

/// `GET /3cx/search?q=`: contacts by name, company or number, for the 3CX client's search.
pub fn search(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Lookup) {
        return Response::unauthorized(&e, true);
    }
    let Some(q) = req.param("q") else {
        return Response::error(400, "add the text to search for, e.g. /3cx/search?q=Müller");
    };
    // `[EscapedSearchText]` may be form-encoded, with `+` for a space; a name never holds a `+`, while
    // a number may start with one.
    let q = if q.chars().any(char::is_alphabetic) {
        q.replace('+', " ")
    } else {
        q
    };
    if q.trim().is_empty() {
        return contacts_json(Vec::new());
    }
    let base = ctx.base_url(req);
    match ctx.reader.search_contacts(&q, SEARCH_LIMIT, 0) {
        Ok(found) => contacts_json(found.iter().map(|c| render(&base, c, None, None)).collect()),
        Err(e) => Response::error(503, &e.to_string()),
    }
}

/// A text field of the create body: keys compared without case and underscores, so `FirstName`,
/// `first_name` and `firstname` all work. A value that is still a 3CX variable (`[Company]`, not
/// filled by this 3CX version) counts as empty.
fn field(obj: &Map<String, Value>, names: &[&str]) -> String {
    cleaned(raw_field(obj, names).trim().to_string())
}

/// A number field of the body, as [`field`] reads text fields except that a leading space before
/// digits is read as the `+` a form encoder turned into it (`number=+4922…` sent unencoded): trimmed
/// away, the number would read as a national one.
pub(super) fn number_field(obj: &Map<String, Value>, names: &[&str]) -> String {
    cleaned(echo_number(&raw_field(obj, names)))
}

/// The value of the first key matching one of `names`, as sent.
fn raw_field(obj: &Map<String, Value>, names: &[&str]) -> String {
    let norm = |k: &str| k.replace('_', "").to_lowercase();
    let v = obj
        .iter()
        .find(|(k, _)| names.contains(&norm(k).as_str()))
        .map(|(_, v)| v);
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A value that is still a 3CX variable counts as empty.
fn cleaned(s: String) -> String {
    let unfilled = s.starts_with('[')
        && s.ends_with(']')
        && s[1..s.len() - 1].chars().all(|c| c.is_ascii_alphanumeric());
    if unfilled {
        String::new()
    } else {
        s
    }
}

/// `POST /3cx/contacts` (`CreateContactRecordFromClient`): creates a contact from a JSON object with
/// `FirstName`, `LastName`, `Company`, `Email`, `Number` and optionally `PhoneType` (office when absent)
/// and answers it in the lookup shape with status 201. Nothing is stored unless the contact is valid.
pub fn create(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Phonebook) {
        return Response::unauthorized(&e, true);
    }
    const EXAMPLE: &str = r#"{"FirstName":"Anna","LastName":"Muster","Company":"","Email":"","Number":"+49301234567"}"#;
    let text = match req.body_text() {
        Ok(t) => t,
        Err(e) => return Response::error(400, &e),
    };
    let obj = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(o)) => o,
        Ok(_) => {
            return Response::error(
                400,
                &format!("the body must be a JSON object such as {EXAMPLE}"),
            )
        }
        Err(e) => {
            return Response::error(
                400,
                &format!("the body is not JSON ({e}); send an object such as {EXAMPLE}"),
            )
        }
    };
    let number = field(&obj, &["number", "phone", "phonenumber"]);
    let kind_text = field(&obj, &["phonetype", "type"]);
    let kind = if kind_text.is_empty() {
        PhoneKind::Office
    } else {
        match PhoneKind::parse(&kind_text) {
            Some(k) => k,
            None => {
                return Response::error(
                    422,
                    &format!(
                        "'{kind_text}' is not a phone type; use office, mobile, home, fax or other"
                    ),
                )
            }
        }
    };
    let new = NewContact {
        first_name: field(&obj, &["firstname"]),
        last_name: field(&obj, &["lastname"]),
        company: field(&obj, &["company", "companyname"]),
        email: field(&obj, &["email"]),
        phones: if number.is_empty() {
            Vec::new()
        } else {
            vec![NewPhone {
                kind,
                raw: number.clone(),
            }]
        },
        ..Default::default()
    };
    let id = match contacts::create(&ctx.app.store, ctx.model(), new) {
        Ok(id) => id,
        Err(contacts::Error::Invalid(e)) => return Response::error(422, &e.to_string()),
        Err(contacts::Error::Store(e)) => return Response::error(503, &e.to_string()),
    };
    let base = ctx.base_url(req);
    match ctx.reader.contact(id) {
        Ok(Some(c)) => {
            let matched = c.phones.first().map(|p| p.number.clone());
            let echo = (!number.is_empty()).then(|| echo_number(&number));
            let body = render(&base, &c, matched.as_deref(), echo.as_deref());
            Response::json(201, &json!({ "contacts": [body] }))
        }
        Ok(None) => Response::error(
            503,
            &format!("contact {id} was stored but could not be read back"),
        ),
        Err(e) => Response::error(503, &e.to_string()),
    }
}

/// The CRM template for a box reached at `base`. Follows the file structure of shared protocols:
/// pbx-apis.md §1.2: `Crm` with `Number`, `Connection`, `Parameters`, `Authentication`, `Scenarios`.
/// Built with the one XML writer, so empty elements are open/close pairs, which XML treats as the
/// same as self-closing ones.
pub fn template(base: &str, country: &str) -> String {
    let mut w = XmlWriter::new();
    w.open(
        "Crm",
        &[
            ("Country", country),
            ("Name", "ringbook"),
            ("Version", TEMPLATE_VERSION),
            ("SupportsEmojis", "false"),
        ],
    );
    // `[MaxLength]` is 3CX's own "match last N digits" value; ringbook normalizes whatever arrives.
    w.text(
        "Number",
        &[("Prefix", "AsIs"), ("MaxLength", "[MaxLength]")],
        "",
    );
    // Lookups are answered from the local database in milliseconds; a few parallel requests keep a
    // burst of calls from queueing behind journal posts.
    w.text("Connection", &[("MaxConcurrentRequests", "4")], "");
    w.open("Parameters", &[]);
    w.text(
        "Parameter",
        &[
            ("Name", "ApiKey"),
            ("Type", "Password"),
            ("Parent", "General Configuration"),
            ("Editor", "String"),
            (
                "Title",
                "ringbook API key (scopes lookup, journal, phonebook):",
            ),
        ],
        "",
    );
    w.text(
        "Parameter",
        &[
            ("Name", "ReportCallEnabled"),
            ("Type", "Boolean"),
            ("Editor", "String"),
            ("Title", "Journal calls in ringbook"),
            ("Default", "True"),
        ],
        "",
    );
    w.text(
        "Parameter",
        &[
            ("Name", "CreateContactEnabled"),
            ("Type", "Boolean"),
            ("Editor", "String"),
            ("Title", "Create contacts in ringbook from the 3CX client"),
            ("Default", "True"),
        ],
        "",
    );
    w.close();
    // The key travels as a header on every request (the "API key in a header" pattern of §1.2).
    w.text("Authentication", &[("Type", "No")], "");
    w.open("Scenarios", &[]);
    contact_scenario(
        &mut w,
        "",
        "",
        &format!("{base}/3cx/lookup?number=[Number]"),
        None,
    );
    contact_scenario(
        &mut w,
        "LookupByEmail",
        "",
        &format!("{base}/3cx/lookup?email=[Email]"),
        None,
    );
    contact_scenario(
        &mut w,
        "SearchContacts",
        "",
        &format!("{base}/3cx/search?q=[EscapedSearchText]"),
        None,
    );
    contact_scenario(
        &mut w,
        "CreateContactRecordFromClient",
        "[CreateContactEnabled]!=True",
        &format!("{base}/3cx/contacts"),
        Some(&[
            ("FirstName", "[FirstName]"),
            ("LastName", "[LastName]"),
            ("Company", "[Company]"),
            ("Email", "[Email]"),
            ("Number", "[Number]"),
        ]),
    );
    // One scenario per call type, chained with `Next` like shipping templates do (§1.5); each posts
    // the same body, `call_type` included, so a type that slipped past its `SkipIf` is still labelled.
    let chain = [
        ("ReportCall", "Inbound", Some("ReportCallOutbound")),
        ("ReportCallOutbound", "Outbound", Some("ReportCallMissed")),
        ("ReportCallMissed", "Missed", Some("ReportCallNotanswered")),
        ("ReportCallNotanswered", "Notanswered", None),
    ];
    for (id, call_type, next) in chain {
        report_scenario(&mut w, base, id, call_type, next);
    }
    w.close();
    w.finish()
}

fn api_key_header(w: &mut XmlWriter) {
    w.open("Headers", &[]);
    w.text("Value", &[("Key", "X-Api-Key")], "[ApiKey]");
    w.close();
}

/// A scenario answered with `{"contacts":[...]}`: the request, the hit rule and the outputs.
fn contact_scenario(
    w: &mut XmlWriter,
    id: &str,
    skip_if: &str,
    url: &str,
    post: Option<&[(&str, &str)]>,
) {
    w.open("Scenario", &[("Id", id), ("Type", "REST")]);
    let (content_type, encoding, method) = match post {
        Some(_) => ("application/json", "Json", "Post"),
        None => ("", "UrlEncoded", "Get"),
    };
    w.open(
        "Request",
        &[
            ("SkipIf", skip_if),
            ("Url", url),
            ("MessagePasses", "0"),
            ("RequestContentType", content_type),
            ("RequestEncoding", encoding),
            ("RequestType", method),
            ("ResponseType", "Json"),
        ],
    );
    api_key_header(w);
    if let Some(values) = post {
        w.open("PostValues", &[("Key", "")]);
        for (key, value) in values {
            w.text(
                "Value",
                &[("Key", key), ("Passes", "1"), ("Type", "String")],
                value,
            );
        }
        w.close();
    }
    w.close();
    w.open("Rules", &[]);
    w.text("Rule", &[("Type", "Any")], "contacts.EntityId");
    w.close();
    w.open("Variables", &[]);
    for &name in OUTPUTS {
        let path = format!("contacts.{name}");
        w.text("Variable", &[("Name", name), ("Path", &path)], "");
    }
    w.close();
    w.open("Outputs", &[("AllowEmpty", "false")]);
    for &name in OUTPUTS {
        let value = format!("[{name}]");
        w.text(
            "Output",
            &[("Type", name), ("Passes", "0"), ("Value", &value)],
            "",
        );
    }
    w.close();
    w.close();
}

/// One `ReportCall` scenario of the chain: posts the call to `/3cx/journal` when `[CallType]` is
/// `call_type`, then hands over to `next`.
fn report_scenario(w: &mut XmlWriter, base: &str, id: &str, call_type: &str, next: Option<&str>) {
    let skip = format!("[ReportCallEnabled]!=True||[CallType]!={call_type}");
    let url = format!("{base}/3cx/journal");
    w.open("Scenario", &[("Id", id), ("Type", "REST")]);
    w.open(
        "Request",
        &[
            ("SkipIf", &skip),
            ("Url", &url),
            ("MessagePasses", "0"),
            ("RequestContentType", "application/json"),
            ("RequestEncoding", "Json"),
            ("RequestType", "Post"),
            ("ResponseType", "Json"),
        ],
    );
    api_key_header(w);
    w.open("PostValues", &[("Key", "")]);
    let values = [
        ("call_type", "[CallType]"),
        ("direction", "[CallDirection]"),
        ("number", "[Number]"),
        ("name", "[Name]"),
        ("agent", "[Agent]"),
        ("agent_first_name", "[AgentFirstName]"),
        ("duration", "[Duration]"),
        (
            "duration_seconds",
            "[[[DurationTimespan].get_TotalSeconds()].ToString(\"F0\")]",
        ),
        ("date_time", "[DateTime]"),
        (
            "start_utc",
            "[[CallStartTimeUTC].ToString(\"yyyy-MM-ddTHH:mm:ssZ\")]",
        ),
        (
            "end_utc",
            "[[CallEndTimeUTC].ToString(\"yyyy-MM-ddTHH:mm:ssZ\")]",
        ),
        ("entity_id", "[EntityId]"),
        ("entity_type", "[EntityType]"),
    ];
    for (key, value) in values {
        w.text(
            "Value",
            &[("Key", key), ("Passes", "1"), ("Type", "String")],
            value,
        );
    }
    w.close();
    w.close();
    w.text("Variables", &[], "");
    match next {
        Some(n) => w.text("Outputs", &[("Next", n), ("AllowEmpty", "true")], ""),
        None => w.text("Outputs", &[("AllowEmpty", "false")], ""),
    };
    w.close();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(kind: PhoneKind, number: &str, e164: Option<&str>) -> Phone {
        Phone {
            kind,
            number: number.into(),
            e164: e164.map(str::to_string),
        }
    }

    #[test]
    fn echo_restores_a_plus_lost_as_a_space() {
        let cases = [
            ("+49301234567", "+49301234567"),
            (" 49301234567", "+49301234567"),
            ("0301234567 ", "0301234567"),
            ("  ", ""),
            (" anonymous", "anonymous"),
        ];
        for (raw, want) in cases {
            assert_eq!(echo_number(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn matched_phone_carries_the_echo_in_its_kind() {
        let phones = vec![
            phone(PhoneKind::Office, "030 111", Some("+4930111")),
            phone(PhoneKind::Mobile, "0151 2", Some("+491512")),
            phone(PhoneKind::Office, "030 222", Some("+4930222")),
        ];
        let s = fill_slots(SLOTS, &phones, Some("030 222"), Some("0049 30 222"));
        let get = |n: &str| s.iter().find(|(k, _)| *k == n).unwrap().1.clone();
        assert_eq!(get("PhoneBusiness"), "0049 30 222");
        assert_eq!(get("PhoneBusiness2"), "+4930111");
        assert_eq!(get("PhoneMobile"), "+491512");
        assert_eq!(get("PhoneHome"), "");
    }

    #[test]
    fn a_matched_kind_without_field_takes_a_free_one() {
        let slots = &[
            ("business", PhoneKind::Office),
            ("mobile", PhoneKind::Mobile),
        ];
        let phones = vec![
            phone(PhoneKind::Home, "030 9", None),
            phone(PhoneKind::Office, "030 1", Some("+49301")),
        ];
        let s = fill_slots(slots, &phones, Some("030 9"), Some("+49309"));
        assert_eq!(s[0].1, "+49301");
        assert_eq!(s[1].1, "+49309");
        let full = vec![
            phone(PhoneKind::Home, "030 9", None),
            phone(PhoneKind::Office, "030 1", None),
            phone(PhoneKind::Mobile, "0151", None),
        ];
        let s = fill_slots(slots, &full, Some("030 9"), None);
        assert_eq!(s[1].1, "030 9", "the match wins over an unmatched phone");
        let placeholder = fill_slots(slots, &[], None, Some("+49309"));
        assert_eq!(placeholder[0].1, "+49309");
    }

    #[test]
    fn unfilled_3cx_variables_count_as_empty() {
        let obj: Map<String, Value> =
            serde_json::from_str(r#"{"first_name":"Anna","Company":"[Company]","Number":4930}"#)
                .unwrap();
        assert_eq!(field(&obj, &["firstname"]), "Anna");
        assert_eq!(field(&obj, &["company"]), "");
        assert_eq!(field(&obj, &["number"]), "4930");
        assert_eq!(field(&obj, &["email"]), "");
    }

    #[test]
    fn template_has_every_scenario_and_the_box_urls() {
        let t = template("http://box:8080", "DE");
        for needle in [
            "<Crm Country=\"DE\" Name=\"ringbook\"",
            "<Number Prefix=\"AsIs\" MaxLength=\"[MaxLength]\"></Number>",
            "<Connection MaxConcurrentRequests=\"4\"></Connection>",
            "<Scenario Id=\"\" Type=\"REST\">",
            "Url=\"http://box:8080/3cx/lookup?number=[Number]\"",
            "<Scenario Id=\"LookupByEmail\"",
            "<Scenario Id=\"SearchContacts\"",
            "<Scenario Id=\"CreateContactRecordFromClient\"",
            "<Value Key=\"X-Api-Key\">[ApiKey]</Value>",
            "[CallType]!=Inbound",
            "[CallType]!=Outbound",
            "[CallType]!=Missed",
            "[CallType]!=Notanswered",
            "Url=\"http://box:8080/3cx/journal\"",
            "ToString(&quot;F0&quot;)",
        ] {
            assert!(t.contains(needle), "missing {needle}\n{t}");
        }
        assert_eq!(t.matches("<Scenario ").count(), 8);
    }
}
