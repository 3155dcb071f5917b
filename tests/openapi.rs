//! The OpenAPI document (`assets/openapi.json`, served at `/api/openapi.json`) against the route
//! table: every route that answers JSON is documented, nothing documented is missing from the router,
//! and the document holds together.
//!
//! Which routes answer JSON is decided by path prefix, with the two lists below. A new route that
//! fits neither fails `every_route_is_classified`: put it in one of them (and, if it answers JSON,
//! into the document).

mod common;
use common::*;

use std::collections::BTreeSet;
use std::path::Path;

use ringbook::http::routes::ROUTES;
use ringbook::http::Method;
use serde_json::Value;

/// Path prefixes of routes that answer JSON: ringbook's API, the 3CX, Propstack and CRM Senior
/// endpoints and the CTI pushes.
const JSON_PREFIXES: &[&str] = &[
    "/api/",
    "/healthz",
    "/3cx/lookup",
    "/3cx/search",
    "/3cx/contacts",
    "/3cx/journal",
    "/v1/",
    "/cti3cx/",
    "/cti/",
];

/// Path prefixes of routes that answer something else, and what. `/` is matched exactly.
const OTHER_PREFIXES: &[(&str, &str)] = &[
    ("/metrics", "Prometheus text"),
    ("/lookup.txt", "a caller's name as text, for PBXs"),
    ("/3cx/template.xml", "the 3CX template (XML)"),
    ("/snom/", "phone XML"),
    ("/dect/", "phone XML"),
    ("/yealink/", "phone XML"),
    ("/grandstream/", "phone XML"),
    ("/assets/", "the web UI's CSS and script"),
    ("/events", "Server-Sent Events for the web UI"),
    ("/", "the web UI's dashboard (HTML)"),
    ("/setup", "web UI (HTML)"),
    ("/login", "web UI (HTML)"),
    ("/logout", "web UI (HTML)"),
    ("/me", "web UI (HTML)"),
    ("/calls", "web UI (HTML, CSV)"),
    ("/contacts", "web UI (HTML, CSV, vCard)"),
    ("/operators", "web UI (HTML)"),
    ("/reports", "web UI (HTML)"),
    ("/integrations", "web UI (HTML)"),
    ("/settings", "web UI (HTML, backup file)"),
    ("/dial", "web UI click-to-call (HTML, or JSON for app.js)"),
    ("/users", "web UI (HTML)"),
    (
        "/password-check",
        "web UI password strength meter (JSON for app.js)",
    ),
];

fn document() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/openapi.json");
    let text = std::fs::read_to_string(&path).expect("assets/openapi.json reads");
    serde_json::from_str(&text).expect("assets/openapi.json is JSON")
}

fn method(m: Method) -> &'static str {
    match m {
        Method::Get => "get",
        Method::Head => "head",
        Method::Post => "post",
        Method::Put => "put",
        Method::Patch => "patch",
        Method::Delete => "delete",
        Method::Options => "options",
        Method::Other => "other",
    }
}

fn prefix_matches(prefix: &str, pattern: &str) -> bool {
    if prefix == "/" {
        pattern == "/"
    } else {
        pattern.starts_with(prefix)
    }
}

fn is_json(pattern: &str) -> bool {
    JSON_PREFIXES.iter().any(|p| prefix_matches(p, pattern))
}

#[test]
fn every_route_is_classified() {
    let mut problems = Vec::new();
    for r in ROUTES {
        let json = is_json(r.pattern);
        let other = OTHER_PREFIXES
            .iter()
            .any(|(p, _)| prefix_matches(p, r.pattern));
        match (json, other) {
            (true, true) => problems.push(format!(
                "{} (route {}) matches both a JSON and a non-JSON prefix in tests/openapi.rs",
                r.pattern, r.name
            )),
            (false, false) => problems.push(format!(
                "{} (route {}) is in neither JSON_PREFIXES nor OTHER_PREFIXES in tests/openapi.rs; \
                 add it to one (and document it in assets/openapi.json if it answers JSON)",
                r.pattern, r.name
            )),
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_json_route_is_in_the_openapi_document() {
    let doc = document();
    let missing: Vec<String> = ROUTES
        .iter()
        .filter(|r| is_json(r.pattern))
        .filter(|r| doc["paths"][r.pattern][method(r.method)].is_null())
        .map(|r| {
            format!(
                "{} {} (route {}) is not in assets/openapi.json",
                method(r.method).to_uppercase(),
                r.pattern,
                r.name
            )
        })
        .collect();
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn everything_documented_is_routed() {
    let doc = document();
    let routed: BTreeSet<(String, &str)> = ROUTES
        .iter()
        .map(|r| (r.pattern.to_string(), method(r.method)))
        .collect();
    let mut stale = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths is an object") {
        for (m, _) in item.as_object().expect("a path item is an object") {
            if matches!(m.as_str(), "parameters" | "summary" | "description") {
                continue;
            }
            if !routed.contains(&(path.clone(), m.as_str())) {
                stale.push(format!(
                    "{} {path} is documented but not in the route table",
                    m.to_uppercase()
                ));
            }
        }
    }
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

/// Every `$ref` points at something in the document.
#[test]
fn every_reference_resolves() {
    fn walk(v: &Value, doc: &Value, bad: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    let target = r
                        .strip_prefix('#')
                        .and_then(|p| doc.pointer(p))
                        .filter(|t| !t.is_null());
                    if target.is_none() {
                        bad.push(r.clone());
                    }
                }
                m.values().for_each(|x| walk(x, doc, bad));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, doc, bad)),
            _ => {}
        }
    }
    let doc = document();
    let mut bad = Vec::new();
    walk(&doc, &doc, &mut bad);
    assert!(bad.is_empty(), "unresolved references: {bad:?}");
}

#[test]
fn the_document_is_openapi_3_1_with_every_key_scheme() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["apiKeyHeader"]["name"], "X-Api-Key");
    assert_eq!(schemes["apiKeyQuery"]["in"], "query");
    assert_eq!(schemes["apiKeyQuery"]["name"], "key");
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (m, op) in item.as_object().unwrap() {
            if m == "parameters" {
                continue;
            }
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{m} {path} documents no responses"
            );
            assert!(
                op["operationId"].is_string(),
                "{m} {path} has no operationId"
            );
        }
    }
}

#[test]
fn the_server_serves_the_document_without_a_key() {
    let server = Server::start(Db::new("openapi"));
    let r = server.get("/api/openapi.json");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json(), document());
}
