//! PBX-facing lookups end to end: the 3CX template and its JSON endpoints, the Propstack and CRM Senior
//! seed endpoints, FreePBX cidlookup, Superfecta and Asterisk `CURL()`, and `ringbook provision`.
//! Requests are replayed byte for byte as the PBXs send them (see shared protocols: pbx-apis.md).
//!
//! Golden files live under tests/golden/threecx and tests/golden/provision; run with UPDATE_GOLDEN=1
//! to rewrite them on purpose.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;

const CONTACTS: &str = "Vorname;Nachname;Firma;Telefon;Handy;E-Mail
Anna;Müller;Bäckerei & Söhne;030 1234567;0151 12345678;anna@example.de
Erika;Mustermann;;+49 30 123456;;
Max;Missed;;+49 30 555000;;
Bettina;Busy;;+49 30 777000;;
\"<script>alert('x')</script>\";\"O'Brien & <b>Söhne</b>\";\"Evil \"\"Corp\"\"\";030 9999999;;
";

const XSS_FIRST: &str = "<script>alert('x')</script>";
const XSS_LAST: &str = "O'Brien & <b>Söhne</b>";
const XSS_COMPANY: &str = "Evil \"Corp\"";

/// The base URL golden files are made with.
const GOLDEN_BASE: &str = "http://ringbook.test:8080";

fn check_golden(rel: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(rel);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "golden file {} is missing; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    assert!(
        actual == want,
        "{} differs from the output (run with UPDATE_GOLDEN=1 if the change is intended):\n--- want\n{want}\n--- got\n{actual}",
        path.display()
    );
}

/// A strict little XML check: one declaration, balanced and properly nested tags, quoted attributes,
/// only the five named entities or numeric ones. Returns the root and the names of its children.
fn xml_outline(doc: &str) -> Result<(String, Vec<String>), String> {
    let rest = doc
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .ok_or("no XML declaration with UTF-8")?;
    let check_entities = |s: &str| -> Result<(), String> {
        let mut it = s.split('&');
        it.next();
        for part in it {
            let ok = ["amp;", "lt;", "gt;", "quot;", "apos;"]
                .iter()
                .any(|e| part.starts_with(e))
                || (part.starts_with('#') && part.contains(';'));
            if !ok {
                return Err(format!("bare & before {:?}", &part[..part.len().min(12)]));
            }
        }
        Ok(())
    };
    let mut stack: Vec<String> = Vec::new();
    let mut root = None;
    let mut children = Vec::new();
    let mut s = rest;
    while let Some(i) = s.find('<') {
        let text = &s[..i];
        if stack.is_empty() && !text.trim().is_empty() {
            return Err(format!("text outside the root: {text:?}"));
        }
        check_entities(text)?;
        if text.contains('>') {
            return Err(format!("bare > in text {text:?}"));
        }
        let end = s[i..].find('>').ok_or("unclosed tag")? + i;
        let tag = &s[i + 1..end];
        s = &s[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or("close without open")?;
            if open != name {
                return Err(format!("</{name}> closes <{open}>"));
            }
            continue;
        }
        if tag.ends_with('/') {
            return Err(format!("self-closing <{tag}>"));
        }
        let name = tag
            .split_whitespace()
            .next()
            .ok_or("empty tag")?
            .to_string();
        let attrs = tag[name.len()..].trim();
        let quotes = attrs.matches('"').count();
        if quotes % 2 != 0 || attrs.contains('<') {
            return Err(format!("bad attributes in <{tag}>"));
        }
        check_entities(attrs)?;
        match stack.len() {
            0 if root.is_some() => return Err("two roots".into()),
            0 => root = Some(name.clone()),
            1 => children.push(name.clone()),
            _ => {}
        }
        stack.push(name);
    }
    if !stack.is_empty() || !s.trim().is_empty() {
        return Err(format!("unclosed elements {stack:?}"));
    }
    Ok((root.ok_or("no root")?, children))
}

fn keys(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn office(db_setup: impl FnOnce(&Db)) -> Server {
    let db = Db::new("pbx");
    db.berlin();
    db.import_csv(CONTACTS);
    db_setup(&db);
    Server::start(db)
}

fn contact_id(srv: &Server, key: &str, number: &str) -> String {
    let j = srv
        .get(&format!("/api/v1/lookup?number={number}&key={key}"))
        .json();
    j["matches"][0]["contact_id"].to_string()
}

fn contact_count(srv: &Server) -> usize {
    srv.db.ok(&["export", "contacts"]).lines().count() - 1
}

// ---------------------------------------------------------------- 3CX template

#[test]
fn template_is_generated_for_this_box_and_needs_an_admin_key() {
    let srv = office(|db| {
        db.ok(&["settings", "set", "http.public_url", GOLDEN_BASE]);
    });
    let admin = srv.db.key("admin");
    let lookup = srv.db.key("lookup,journal,phonebook");
    assert_eq!(srv.get("/3cx/template.xml").status, 401);
    let r = srv.get(&format!("/3cx/template.xml?key={lookup}"));
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.json()["error"].as_str().unwrap().contains("admin"));
    let r = srv.request("GET", "/3cx/template.xml", &[("X-Api-Key", &admin)], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/xml; charset=utf-8"));
    assert!(r
        .header("content-disposition")
        .unwrap()
        .contains("ringbook-3cx.xml"));
    let doc = r.text();
    let (root, children) = xml_outline(&doc).unwrap_or_else(|e| panic!("{e}\n{doc}"));
    assert_eq!(root, "Crm");
    // The file structure of pbx-apis.md §1.2, in this order.
    assert_eq!(
        children,
        [
            "Number",
            "Connection",
            "Parameters",
            "Authentication",
            "Scenarios"
        ]
    );
    check_golden("threecx/template.xml", &doc);
}

#[test]
fn template_takes_the_host_header_without_public_url_and_escapes_the_address() {
    let srv = office(|_| {});
    let admin = srv.db.key("admin");
    let r = srv.raw(
        format!(
            "GET /3cx/template.xml?key={admin} HTTP/1.1\r\nHost: 192.168.1.50:8080\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    );
    let doc = r.text();
    assert!(
        doc.contains("Url=\"http://192.168.1.50:8080/3cx/lookup?number=[Number]\""),
        "{doc}"
    );
    assert!(doc.contains("Url=\"http://192.168.1.50:8080/3cx/journal\""));
    // A Host header with markup is not trusted.
    let r = srv.raw(
        format!(
            "GET /3cx/template.xml?key={admin} HTTP/1.1\r\nHost: x\"><b>\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    );
    let doc = r.text();
    assert!(!doc.contains("<b>") && doc.contains("http://ringbook.local/3cx/lookup"));
    xml_outline(&doc).unwrap();
    drop(srv);
    // A configured address with characters XML must escape comes out escaped and well formed.
    let srv = office(|db| {
        db.ok(&["settings", "set", "http.public_url", "http://box:8080/a&b"]);
    });
    let admin = srv.db.key("admin");
    let doc = srv.get(&format!("/3cx/template.xml?key={admin}")).text();
    assert!(doc.contains("Url=\"http://box:8080/a&amp;b/3cx/lookup?number=[Number]\""));
    xml_outline(&doc).unwrap_or_else(|e| panic!("{e}\n{doc}"));
}

// ---------------------------------------------------------------- 3CX lookup, search, create

const THREECX_KEYS: &[&str] = &[
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

#[test]
fn threecx_lookup_finds_the_contact_and_echoes_the_searched_number() {
    let srv = office(|db| {
        db.ok(&["settings", "set", "http.public_url", GOLDEN_BASE]);
    });
    let key = srv.db.key("lookup");
    let anna = contact_id(&srv, &key, "0301234567");
    // (number as 3CX puts it into the URL, the echo expected in PhoneBusiness)
    let cases = [
        ("+49301234567", "+49301234567"),
        ("%2B49301234567", "+49301234567"),
        ("%2049301234567", "+49301234567"),
        ("0049301234567", "0049301234567"),
        ("0301234567", "0301234567"),
    ];
    for (q, echo) in cases {
        let r = srv.request(
            "GET",
            &format!("/3cx/lookup?number={q}"),
            &[("X-Api-Key", &key)],
            b"",
        );
        assert_eq!(r.status, 200, "{q}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("application/json"));
        let j = r.json();
        let list = j["contacts"].as_array().unwrap();
        assert_eq!(list.len(), 1, "{q}: {j}");
        let c = &list[0];
        assert_eq!(keys(c), set(THREECX_KEYS), "{q}");
        assert_eq!(c["ContactUrl"], format!("{GOLDEN_BASE}/contacts/{anna}"));
        assert_eq!(c["FirstName"], "Anna");
        assert_eq!(c["LastName"], "Müller");
        assert_eq!(c["CompanyName"], "Bäckerei & Söhne");
        assert_eq!(c["Email"], "anna@example.de");
        assert_eq!(c["PhoneBusiness"], echo, "{q}");
        assert_eq!(c["PhoneMobile"], "+4915112345678");
        assert_eq!(c["PhoneBusiness2"], "");
        assert_eq!(c["EntityId"], anna);
        assert_eq!(c["EntityType"], "Contacts");
    }
    // Matched on the mobile: the echo goes into the mobile field.
    let c = &srv
        .get(&format!("/3cx/lookup?number=015112345678&key={key}"))
        .json()["contacts"][0];
    assert_eq!(c["PhoneMobile"], "015112345678");
    assert_eq!(c["PhoneBusiness"], "+49301234567");
    // LookupByEmail.
    let j = srv
        .get(&format!("/3cx/lookup?email=ANNA@example.de&key={key}"))
        .json();
    assert_eq!(j["contacts"][0]["EntityId"], anna, "{j}");
    let j = srv
        .get(&format!("/3cx/lookup?email=nobody@example.de&key={key}"))
        .json();
    assert_eq!(j["contacts"].as_array().unwrap().len(), 0);
    // Neither number nor email.
    let r = srv.get(&format!("/3cx/lookup?key={key}"));
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].as_str().unwrap().contains("number"));
    let r = srv.get(&format!("/3cx/lookup?number=drop%20table&key={key}"));
    assert_eq!(r.status, 400);
}

#[test]
fn threecx_miss_answers_a_placeholder_that_is_never_stored() {
    let srv = office(|db| {
        db.ok(&["settings", "set", "http.public_url", GOLDEN_BASE]);
    });
    let key = srv.db.key("lookup");
    let before = contact_count(&srv);
    let j = srv
        .get(&format!("/3cx/lookup?number=%2B494098765432&key={key}"))
        .json();
    let list = j["contacts"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{j}");
    let p = &list[0];
    assert_eq!(keys(p), set(THREECX_KEYS));
    assert_eq!(p["EntityType"], "Placeholder");
    assert_eq!(p["EntityId"], "0");
    assert_eq!(p["FirstName"], "");
    assert_eq!(p["LastName"], "+494098765432");
    assert_eq!(p["PhoneBusiness"], "+494098765432");
    assert_eq!(
        p["ContactUrl"],
        format!("{GOLDEN_BASE}/contacts/new?number=%2B494098765432")
    );
    // Never stored: the number is still unknown everywhere, and nothing was added.
    let j = srv
        .get(&format!("/api/v1/lookup?number=%2B494098765432&key={key}"))
        .json();
    assert_eq!(j["matches"].as_array().unwrap().len(), 0, "{j}");
    assert_eq!(contact_count(&srv), before);
    // A withheld number, an empty one (a caller without a number) and an internal extension get
    // an empty answer without a placeholder, in 3CX's and Propstack's shape alike.
    for q in ["anonymous", "", "%20", "201"] {
        let r = srv.get(&format!("/3cx/lookup?number={q}&key={key}"));
        assert_eq!(r.status, 200, "{q}: {}", r.text());
        assert_eq!(r.json()["contacts"].as_array().unwrap().len(), 0, "{q}");
        let r = srv.get(&format!("/v1/contacts?phone_number={q}&key={key}"));
        assert_eq!(r.status, 200, "{q}: {}", r.text());
    }
}

#[test]
fn placeholder_can_be_turned_off() {
    let srv = office(|db| {
        db.ok(&["settings", "set", "threecx.placeholder_on_miss", "false"]);
    });
    let key = srv.db.key("lookup");
    let j = srv
        .get(&format!("/3cx/lookup?number=%2B494098765432&key={key}"))
        .json();
    assert_eq!(j, serde_json::json!({ "contacts": [] }));
    // Hits are unaffected.
    let j = srv
        .get(&format!("/3cx/lookup?number=0301234567&key={key}"))
        .json();
    assert_eq!(j["contacts"][0]["LastName"], "Müller");
}

#[test]
fn threecx_search_finds_by_name_company_and_number() {
    let srv = office(|_| {});
    let key = srv.db.key("lookup");
    let cases = [
        ("M%C3%BCller", "Müller"),
        ("anna+m", "Müller"),
        ("Anna%20M", "Müller"),
        ("B%C3%A4ckerei", "Müller"),
        ("12345678", "Müller"),
        ("Musterm", "Mustermann"),
        // As German users type a number: with the trunk 0 or the international 00.
        ("030%201234567", "Müller"),
        ("0049301234567", "Müller"),
        ("%2B49%2030%20123456", "Mustermann"),
    ];
    for (q, last) in cases {
        let r = srv.request(
            "GET",
            &format!("/3cx/search?q={q}"),
            &[("X-Api-Key", &key)],
            b"",
        );
        assert_eq!(r.status, 200, "{q}");
        let j = r.json();
        let list = j["contacts"].as_array().unwrap();
        assert_eq!(list.len(), 1, "{q}: {j}");
        assert_eq!(list[0]["LastName"], last, "{q}");
        assert_eq!(keys(&list[0]), set(THREECX_KEYS));
    }
    let j = srv.get(&format!("/3cx/search?q=Zzz&key={key}")).json();
    assert_eq!(j["contacts"].as_array().unwrap().len(), 0);
    let j = srv.get(&format!("/3cx/search?q=&key={key}")).json();
    assert_eq!(j["contacts"].as_array().unwrap().len(), 0);
    assert_eq!(srv.get(&format!("/3cx/search?key={key}")).status, 400);
}

#[test]
fn threecx_create_then_lookup_finds_it_and_bad_input_stores_nothing() {
    let srv = office(|db| {
        db.ok(&["settings", "set", "http.public_url", GOLDEN_BASE]);
    });
    let key = srv.db.key("lookup,phonebook");
    let lookup_only = srv.db.key("lookup");
    let before = contact_count(&srv);
    let post = |k: &str, body: &str| {
        srv.request(
            "POST",
            "/3cx/contacts",
            &[("X-Api-Key", k), ("Content-Type", "application/json")],
            body.as_bytes(),
        )
    };
    // The body 3CX's CreateContactRecordFromClient posts; [Company] is a variable 3CX left unfilled.
    let r = post(
        &key,
        r#"{"FirstName":"Neu","LastName":"Kundin","Company":"[Company]","Email":"neu@example.de","Number":"+49 30 4444444"}"#,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let c = r.json()["contacts"][0].clone();
    assert_eq!(keys(&c), set(THREECX_KEYS));
    assert_eq!(c["FirstName"], "Neu");
    assert_eq!(c["CompanyName"], "");
    assert_eq!(c["PhoneBusiness"], "+49 30 4444444");
    let id = c["EntityId"].as_str().unwrap().to_string();
    assert_eq!(c["ContactUrl"], format!("{GOLDEN_BASE}/contacts/{id}"));
    let j = srv
        .get(&format!("/3cx/lookup?number=%2B49304444444&key={key}"))
        .json();
    assert_eq!(j["contacts"][0]["EntityId"], id.as_str(), "{j}");
    assert_eq!(j["contacts"][0]["EntityType"], "Contacts");
    assert_eq!(contact_count(&srv), before + 1);
    // Bad input: a clear 4xx, and nothing is stored.
    let bad = [
        ("not json", 400, "not JSON"),
        ("[1,2]", 400, "JSON object"),
        (r#"{"Number":"+4930555111"}"#, 422, "first name"),
        (
            r#"{"LastName":"X","Email":"nope"}"#,
            422,
            "'nope' is not an email",
        ),
        (r#"{"LastName":"X","Number":"call me"}"#, 422, "call me"),
        (
            r#"{"LastName":"X","Number":"030 1","PhoneType":"pager"}"#,
            422,
            "pager",
        ),
    ];
    for (body, status, msg) in bad {
        let r = post(&key, body);
        assert_eq!(r.status, status, "{body}: {}", r.text());
        let err = r.json()["error"].as_str().unwrap().to_string();
        assert!(err.contains(msg), "{body}: {err}");
    }
    let r = post(&lookup_only, r#"{"LastName":"X"}"#);
    assert_eq!(r.status, 403, "{}", r.text());
    let r = post("", r#"{"LastName":"X"}"#);
    assert_eq!(r.status, 401);
    assert_eq!(contact_count(&srv), before + 1);
}

// ---------------------------------------------------------------- seed APIs

#[test]
fn propstack_contacts_answer_in_the_seed_shape() {
    let srv = office(|_| {});
    let key = srv.db.key("lookup");
    let anna: i64 = contact_id(&srv, &key, "0301234567").parse().unwrap();
    // Templates written for Propstack send the key as X-API-KEY.
    let r = srv.request(
        "GET",
        "/v1/contacts?phone_number=+49301234567&with_meta=1",
        &[("X-API-KEY", &key)],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(keys(&j), set(&["data", "meta"]));
    assert_eq!(j["meta"], serde_json::json!({ "total_count": 1 }));
    let c = &j["data"][0];
    assert_eq!(
        keys(c),
        set(&[
            "id",
            "first_name",
            "last_name",
            "company",
            "email",
            "office_phone",
            "home_cell",
            "home_phone"
        ])
    );
    assert_eq!(c["id"], anna);
    assert_eq!(c["first_name"], "Anna");
    assert_eq!(c["last_name"], "Müller");
    assert_eq!(c["company"], "Bäckerei & Söhne");
    assert_eq!(c["email"], "anna@example.de");
    assert_eq!(c["office_phone"], "+49301234567");
    assert_eq!(c["home_cell"], "+4915112345678");
    assert_eq!(c["home_phone"], "");
    // Without with_meta: the bare array.
    let j = srv
        .get(&format!("/v1/contacts?phone_number=015112345678&key={key}"))
        .json();
    assert_eq!(j[0]["id"], anna, "{j}");
    assert_eq!(j[0]["home_cell"], "015112345678");
    // A miss: the placeholder, in the same shape.
    let j = srv
        .get(&format!(
            "/v1/contacts?phone_number=%2B494098765432&with_meta=1&key={key}"
        ))
        .json();
    assert_eq!(j["data"][0]["id"], 0, "{j}");
    assert_eq!(j["data"][0]["office_phone"], "+494098765432");
    assert_eq!(keys(&j["data"][0]), keys(c));
    // No key.
    let r = srv.get("/v1/contacts?phone_number=0301234567&with_meta=1");
    assert_eq!(r.status, 401);
    assert!(r.json()["error"].as_str().unwrap().contains("API key"));
    assert_eq!(srv.get(&format!("/v1/contacts?key={key}")).status, 400);
}

#[test]
fn crm_senior_consult_phone_answers_in_the_seed_shape() {
    let srv = office(|db| {
        db.ok(&["settings", "set", "http.public_url", GOLDEN_BASE]);
    });
    let key = srv.db.key("lookup");
    let anna: i64 = contact_id(&srv, &key, "0301234567").parse().unwrap();
    // The template for CRM Senior needs Prefix="Off": digits only, in the path.
    let r = srv.request(
        "GET",
        "/cti3cx/consult-phone/49301234567",
        &[("token_crm", &key), ("tenant", "office")],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(keys(&j), set(&["contact"]));
    let c = &j["contact"][0];
    let fields = set(&[
        "id",
        "firstname",
        "lastname",
        "company",
        "email",
        "businessphone",
        "businessphone2",
        "mobilephone",
        "mobilephone2",
        "url",
        "customvalue",
    ]);
    assert_eq!(keys(c), fields);
    assert_eq!(c["id"], anna);
    assert_eq!(c["firstname"], "Anna");
    assert_eq!(c["lastname"], "Müller");
    assert_eq!(c["company"], "Bäckerei & Söhne");
    assert_eq!(c["email"], "anna@example.de");
    assert_eq!(c["businessphone"], "49301234567");
    assert_eq!(c["businessphone2"], "");
    assert_eq!(c["mobilephone"], "+4915112345678");
    assert_eq!(c["url"], format!("{GOLDEN_BASE}/contacts/{anna}"));
    assert_eq!(c["customvalue"], "");
    // A miss: the placeholder in the same shape.
    let j = srv
        .request(
            "GET",
            "/cti3cx/consult-phone/494098765432",
            &[("token_crm", &key), ("tenant", "office")],
            b"",
        )
        .json();
    assert_eq!(keys(&j["contact"][0]), fields, "{j}");
    assert_eq!(j["contact"][0]["id"], 0);
    assert_eq!(j["contact"][0]["businessphone"], "494098765432");
    // Errors are {"error": "..."} only.
    let r = srv.request(
        "GET",
        "/cti3cx/consult-phone/49301234567",
        &[("tenant", "office")],
        b"",
    );
    assert_eq!(r.status, 401);
    assert_eq!(keys(&r.json()), set(&["error"]));
    let r = srv.request(
        "GET",
        "/cti3cx/consult-phone/not-a-number",
        &[("token_crm", &key), ("tenant", "office")],
        b"",
    );
    assert_eq!(r.status, 400);
    assert_eq!(keys(&r.json()), set(&["error"]));
}

#[test]
fn markup_in_names_comes_out_intact_in_json_and_harmless_in_text() {
    let srv = office(|_| {});
    let key = srv.db.key("lookup");
    let c = &srv
        .get(&format!("/3cx/lookup?number=0309999999&key={key}"))
        .json()["contacts"][0];
    assert_eq!(c["FirstName"], XSS_FIRST);
    assert_eq!(c["LastName"], XSS_LAST);
    assert_eq!(c["CompanyName"], XSS_COMPANY);
    let j = srv
        .get(&format!(
            "/v1/contacts?phone_number=0309999999&with_meta=1&key={key}"
        ))
        .json();
    assert_eq!(j["data"][0]["first_name"], XSS_FIRST);
    assert_eq!(j["data"][0]["company"], XSS_COMPANY);
    let r = srv.request(
        "GET",
        "/cti3cx/consult-phone/0309999999",
        &[("token_crm", &key)],
        b"",
    );
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.json()["contact"][0]["lastname"], XSS_LAST);
    // The PBX text answer: no quotes or semicolons that would end Asterisk's CALLERID field.
    let t = srv
        .get(&format!("/lookup.txt?number=0309999999&key={key}"))
        .text();
    assert!(
        t.starts_with("<script>alert('x')</script> O'Brien & <b>Söhne</b>"),
        "{t}"
    );
    assert!(
        !t.contains(['"', ';', '\n']) && t.chars().count() <= 60,
        "{t}"
    );
}

// ---------------------------------------------------------------- FreePBX, Superfecta, Asterisk

const NAME: &str = "Anna Müller (Bäckerei & Söhne)";

#[test]
fn freepbx_cidlookup_request_gets_the_name_only() {
    let srv = office(|_| {});
    let key = srv.db.key("lookup");
    // cidlookup 16: `http://host:port/path?query` with [NUMBER] -> ${STRREPLACE(CALLERID(num),"+",%2B)}
    // and Set(CURLOPT(httptimeout)=7) before CURL(): pbx-apis.md §2.1.
    let started = Instant::now();
    let r = srv.raw(
        format!(
            "GET /lookup.txt/%2B49301234567?key={key} HTTP/1.1\r\nHost: {}\r\nUser-Agent: asterisk-libcurl-agent/1.0\r\nAccept: */*\r\n\r\n",
            srv.addr
        )
        .as_bytes(),
    );
    assert!(started.elapsed() < Duration::from_secs(3), "far inside 7 s");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.text(), NAME, "the whole body is the name");
    // The query form, with the trunk's national number.
    let r = srv.get(&format!("/lookup.txt?number=0301234567&key={key}"));
    assert_eq!(r.text(), NAME);
    // An unknown caller: an empty 200, so FreePBX keeps showing the number.
    let r = srv.get(&format!("/lookup.txt/%2B494098765432?key={key}"));
    assert_eq!((r.status, r.text().as_str()), (200, ""));
    // A caller without a number (substituted as is) and cidlookup's example URL with its final `/`.
    let r = srv.get(&format!("/lookup.txt/?key={key}"));
    assert_eq!((r.status, r.text().as_str()), (200, ""));
    let r = srv.get(&format!("/lookup.txt/%2B49301234567/?key={key}"));
    assert_eq!((r.status, r.text().as_str()), (200, NAME));
    // No key: a status and an empty body, never text that would become the name.
    let r = srv.get("/lookup.txt/%2B49301234567");
    assert_eq!((r.status, r.body.len()), (401, 0));
}

#[test]
fn superfecta_regular_expression_sources_get_the_name() {
    let srv = office(|_| {});
    let key = srv.db.key("lookup");
    const UA: &str =
        "Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US; rv:1.8.1.1) Gecko/20061204 Firefox/2.0.0.1";
    // Regular Expressions 1: GET with $thenumber in the URL; the regex (.+) takes the whole line.
    let started = Instant::now();
    let r = srv.request(
        "GET",
        &format!("/lookup.txt?number=+49301234567&key={key}"),
        &[("User-Agent", UA), ("Accept", "*/*")],
        b"",
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "Superfecta waits 3 s"
    );
    assert_eq!(r.status, 200);
    let body = r.text();
    assert!(!body.contains('\n') && !body.is_empty());
    assert_eq!(body, NAME);
    // Regular Expressions 2 with POST_Data `"number" = "$thenumber"`: PHP urlencodes the fields and
    // leaves a trailing `&` (superfecta_base.php cisf_url_encode_array).
    let r = srv.request(
        "POST",
        &format!("/lookup.txt?key={key}"),
        &[
            ("User-Agent", UA),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"number=%2B49301234567&",
    );
    assert_eq!((r.status, r.text().as_str()), (200, NAME));
    let r = srv.request(
        "POST",
        &format!("/lookup.txt?key={key}"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"number=%2B494098765432&",
    );
    assert_eq!((r.status, r.body.len()), (200, 0));
    // Superfecta treats HTTP >= 400 as "no result".
    let r = srv.request("POST", "/lookup.txt", &[], b"number=%2B49301234567&");
    assert!(r.status >= 400 && r.body.is_empty());
}

#[test]
fn asterisk_curl_requests_from_the_fixture_get_the_names() {
    // The exact requests in shared fixtures asterisk-ami/curl_lookup_request.log: no key (the PBX is
    // let in by an address-only key), the `+` sent raw in the path.
    let srv = office(|db| {
        db.ok(&[
            "apikey",
            "create",
            "--name",
            "asterisk",
            "--scopes",
            "lookup",
            "--allow",
            "127.0.0.0/8",
            "--no-secret",
        ]);
    });
    for (number, name) in [
        ("+4930123456", "Erika Mustermann"),
        ("+4930555000", "Max Missed"),
        ("+4930777000", "Bettina Busy"),
    ] {
        let r = srv.raw(
            format!(
                "GET /lookup.txt/{number} HTTP/1.1\r\nHost: 127.0.0.1:18181\r\nUser-Agent: asterisk-libcurl-agent/1.0\r\nAccept: */*\r\n\r\n"
            )
            .as_bytes(),
        );
        assert_eq!((r.status, r.text().as_str()), (200, name), "{number}");
    }
    // The provisioned dialplan's shape: ?number=${URIENCODE(${CALLERID(num)})}.
    let r = srv.get("/lookup.txt?number=%2B4930123456");
    assert_eq!(r.text(), "Erika Mustermann");
}

// ---------------------------------------------------------------- provisioning

const TARGETS: &[&str] = &[
    "snom",
    "yealink",
    "grandstream",
    "dect",
    "3cx",
    "freepbx",
    "asterisk",
];

#[test]
fn provisioning_output_matches_golden_files() {
    let db = Db::new("provision");
    for t in TARGETS {
        let out = db.cli(&[
            "provision",
            t,
            "--key",
            "rbk_GOLDENkey_secret",
            "--url",
            GOLDEN_BASE,
        ]);
        assert!(
            out.status.success(),
            "{t}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("rbk_GOLDENkey_secret"), "{t}");
        assert!(
            text.contains(GOLDEN_BASE) || text.contains("ringbook.test"),
            "{t}"
        );
        assert!(!text.contains("RINGBOOK-ADDRESS"), "{t}");
        check_golden(&format!("provision/{t}.txt"), &text);
        // A key that this box doesn't know is pointed out.
        assert!(String::from_utf8_lossy(&out.stderr).contains("can't be used"));
    }
    let help = db.ok(&["provision", "--help"]);
    assert!(help.contains("Usage:") && help.contains("--key") && help.contains("--url"));
    let out = db.cli(&["provision", "fritzbox"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("asterisk"));
    let out = db.cli(&["provision", "snom", "--url", "ringbook.local"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("http://"));
}

#[test]
fn provisioning_without_an_address_says_how_to_set_it() {
    let db = Db::new("provision-unset");
    let out = db.cli(&["provision", "asterisk", "--key", "k"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("http://RINGBOOK-ADDRESS:8080/lookup.txt"),
        "{text}"
    );
    assert!(
        text.contains("ringbook settings set http.public_url"),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("http.public_url is not set"));
    db.ok(&["settings", "set", "http.public_url", "http://pbx-box:8080/"]);
    let text = db.ok(&["provision", "asterisk", "--key", "k"]);
    assert!(
        text.contains("${CURL(http://pbx-box:8080/lookup.txt?number="),
        "{text}"
    );
    assert!(!text.contains("RINGBOOK-ADDRESS"));
}

/// Runs `provision TARGET` against the served database with the server's own address.
fn provision(srv: &Server, target: &str) -> (String, String) {
    let url = format!("http://{}", srv.addr);
    let out = srv.db.cli(&["provision", target, "--url", &url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The path and query of a URL on this server found in provisioning text after `marker`.
fn url_after(text: &str, marker: &str, srv: &Server) -> String {
    let base = format!("http://{}", srv.addr);
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {text}"))
        + marker.len();
    let rest = text[start..].trim_start();
    let url: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '<')
        .collect();
    url.strip_prefix(&base)
        .unwrap_or_else(|| panic!("{url} is not on {base}"))
        .to_string()
}

#[test]
fn provisioned_pbx_settings_get_the_callers_name() {
    let srv = office(|_| {});
    // FreePBX: a new key with the lookup scope, the cidlookup fields as FreePBX 16 assembles them.
    let (text, notes) = provision(&srv, "freepbx");
    assert!(
        notes.contains("created API key") && notes.contains("'FreePBX'"),
        "{notes}"
    );
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .unwrap_or_else(|| panic!("{name} in {text}"))
            .trim()
            .to_string()
    };
    assert_eq!(field("Host:"), "127.0.0.1");
    assert_eq!(field("Port:"), srv.addr.port().to_string());
    let path = field("Path:").replace("[NUMBER]", "%2B49301234567");
    let query = field("Query:");
    let r = srv.get(&format!("{path}?{query}"));
    assert_eq!((r.status, r.text().as_str()), (200, NAME));
    // Superfecta with the same key.
    let url = url_after(&text, "URL:", &srv).replace("$thenumber", "+49301234567");
    assert_eq!(srv.get(&url).text(), NAME);
    // Asterisk: the CURL() URL with URIENCODE(CALLERID(num)) filled in.
    let (text, _) = provision(&srv, "asterisk");
    assert!(text.contains("Set(CURLOPT(httptimeout)=2)"));
    let url = url_after(&text, "${CURL(", &srv);
    let url = url
        .trim_end_matches(")})")
        .replace("${URIENCODE(${CALLERID(num)})}", "%2B49301234567");
    assert_eq!(srv.get(&url).text(), NAME, "{url}");
    // 3CX: the key to paste works for lookups and contact creation, not for the template.
    let (text, _) = provision(&srv, "3cx");
    let key = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("ringbook API key:"))
        .unwrap()
        .trim()
        .to_string();
    let r = srv.request(
        "GET",
        "/3cx/lookup?number=+49301234567",
        &[("X-Api-Key", &key)],
        b"",
    );
    assert_eq!(r.json()["contacts"][0]["LastName"], "Müller");
    let r = srv.request(
        "POST",
        "/3cx/contacts",
        &[("X-Api-Key", &key)],
        br#"{"LastName":"Aus 3CX"}"#,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let r = srv.request("GET", "/3cx/template.xml", &[("X-Api-Key", &key)], b"");
    assert_eq!(r.status, 403);
    assert!(text.contains(&format!("http://{}/3cx/template.xml", srv.addr)));
}

#[test]
fn provisioned_phone_urls_match_the_phone_routes() {
    let srv = office(|_| {});
    let fill = |u: String| {
        u.replace("&amp;", "&")
            .replace("$remote", "sip:0301234567@pbx")
            .replace("$local", "sip:201@pbx")
            .replace("$call-id", "abc123@pbx")
            .replace("$mac", "000413000001")
            .replace("#SEARCH", "")
    };
    let (text, _) = provision(&srv, "snom");
    for marker in [
        "<action_incoming_url perm=\"R\">",
        "<dkey_directory perm=\"R\">url ",
        "on the phone's web UI:",
    ] {
        let url = fill(url_after(&text, marker, &srv));
        let r = srv.get(&url);
        assert_eq!(r.status, 200, "{marker} {url}: {}", r.text());
    }
    let (text, _) = provision(&srv, "yealink");
    let url = fill(url_after(&text, "remote_phonebook.data.1.url =", &srv));
    assert_eq!(srv.get(&url).status, 200, "{url}");
    let (text, _) = provision(&srv, "dect");
    let url = fill(url_after(&text, "joined:", &srv));
    assert_eq!(srv.get(&url).status, 200, "{url}");
    let (text, _) = provision(&srv, "grandstream");
    let p331 = text
        .lines()
        .find_map(|l| l.strip_prefix("P331 = "))
        .unwrap()
        .to_string();
    let path = p331
        .strip_prefix(&srv.addr.to_string())
        .unwrap_or_else(|| panic!("{p331}"));
    // The phone appends /phonebook.xml to P331 itself.
    let r = srv.get(&format!("{path}/phonebook.xml"));
    assert_eq!(r.status, 200, "{path}: {}", r.text());
}
