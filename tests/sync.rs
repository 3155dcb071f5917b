//! Upstream CRM sync end to end: the real binary journals calls from `POST /api/v1/events`, and an
//! in-process fake CRM (tiny_http) records what ringbook pushes to it. Faults are injected into the fake
//! (500s, 429 with Retry-After, a hang past the timeout, garbage JSON) and the process is killed with
//! SIGKILL mid-drain, to show that every call arrives exactly once (per idempotency key), in order per
//! call, and nothing is lost.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

/// 2024-03-01T08:00:00Z.
const T: i64 = 1_709_280_000;

#[derive(Clone, Debug)]
struct Seen {
    method: String,
    url: String,
    headers: BTreeMap<String, String>,
    body: String,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    None,
    Status500,
    TooMany(u32),
    Hang(u64),
}

/// A fake CRM: records every request and answers per the current fault.
struct Fake {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    fault: Arc<Mutex<Fault>>,
    /// Every request while a fault is on, delivered or not.
    hits: Arc<Mutex<usize>>,
}

impl Fake {
    fn start(answer: &'static str) -> Fake {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let fault = Arc::new(Mutex::new(Fault::None));
        let hits = Arc::new(Mutex::new(0));
        let server = Arc::new(server);
        for _ in 0..4 {
            let (server, seen, fault, hits) =
                (server.clone(), seen.clone(), fault.clone(), hits.clone());
            std::thread::spawn(move || loop {
                let Ok(mut req) = server.recv() else { return };
                *hits.lock().unwrap() += 1;
                let mut body = String::new();
                let _ = req.as_reader().read_to_string(&mut body);
                let f = *fault.lock().unwrap();
                let resp = |code: u16, text: &str| {
                    tiny_http::Response::from_string(text).with_status_code(code)
                };
                match f {
                    Fault::Status500 => {
                        let _ = req.respond(resp(500, "down"));
                        continue;
                    }
                    Fault::TooMany(secs) => {
                        let h =
                            tiny_http::Header::from_bytes("Retry-After", secs.to_string()).unwrap();
                        let _ = req.respond(resp(429, "slow down").with_header(h));
                        continue;
                    }
                    // Answers late (recorded as received; past the timeout ringbook sends it again).
                    Fault::Hang(ms) => std::thread::sleep(Duration::from_millis(ms)),
                    Fault::None => {}
                }
                let headers = req
                    .headers()
                    .iter()
                    .map(|h| {
                        (
                            h.field.as_str().as_str().to_ascii_lowercase(),
                            h.value.as_str().to_string(),
                        )
                    })
                    .collect();
                seen.lock().unwrap().push(Seen {
                    method: req.method().as_str().to_string(),
                    url: req.url().to_string(),
                    headers,
                    body,
                });
                let _ = req.respond(resp(200, answer));
            });
        }
        Fake {
            url,
            seen,
            fault,
            hits,
        }
    }

    fn set(&self, f: Fault) {
        *self.fault.lock().unwrap() = f;
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits until `n` distinct idempotency keys have arrived (re-sends of one key count once, so a
    /// re-send can't stand in for a row that never came), or `secs` passed.
    fn wait_for(&self, n: usize, secs: u64) -> Vec<Seen> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.seen();
            let keys: HashSet<Option<&String>> =
                s.iter().map(|r| r.headers.get("idempotency-key")).collect();
            if keys.len() >= n || Instant::now() > deadline {
                return s;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A Berlin office with employees on 10 and 11, fast sync tuning, and the given `sync.*` settings.
fn office(tag: &str, settings: &[(&str, &str)]) -> Db {
    let db = Db::new(tag);
    db.berlin();
    for (name, ext) in [("Anna", "10"), ("Bob", "11")] {
        db.ok(&["employee", "add", name]);
        db.ok(&["extension", "assign", ext, name, "--from", "2020-01-01"]);
    }
    for (k, v) in [
        ("sync.rate_per_minute", "0"),
        ("sync.backoff_max", "1s"),
        ("sync.timeout", "1s"),
    ]
    .iter()
    .chain(settings)
    {
        db.ok(&["settings", "set", k, v]);
    }
    db
}

fn post(srv: &Server, key: &str, body: &Value) {
    let r = srv.request(
        "POST",
        "/api/v1/events",
        &[
            ("Authorization", &format!("Bearer {key}")),
            ("Content-Type", "application/json"),
        ],
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

/// A whole call as events: inbound or outbound, answered or not.
fn call(id: &str, dir: &str, answered: bool, t0: i64) -> Value {
    let first = if dir == "in" { "ringing" } else { "dialing" };
    let mut evs = vec![
        json!({"event": first, "call_id": id, "time": t0, "remote": "030 1234567",
        "extension": "10", "direction": dir}),
    ];
    if answered {
        evs.push(json!({"event": "answered", "call_id": id, "time": t0 + 5}));
        evs.push(
            json!({"event": "hangup", "call_id": id, "time": t0 + 70, "cause": "normalClearing"}),
        );
    } else {
        evs.push(json!({"event": "hangup", "call_id": id, "time": t0 + 20, "cause": "noAnswer"}));
    }
    Value::Array(evs)
}

#[test]
fn propstack_gets_the_seeds_four_shapes() {
    let fake = Fake::start("{}");
    let db = office(
        "sync-propstack",
        &[
            ("sync.propstack.url", &fake.url),
            ("sync.propstack.api_key", "PSKEY-123"),
        ],
    );
    let key = db.key("journal");
    let srv = Server::start(db);
    let cases = [("in", true), ("out", true), ("in", false), ("out", false)];
    for (i, (dir, answered)) in cases.iter().enumerate() {
        post(
            &srv,
            &key,
            &call(&format!("c{i}"), dir, *answered, T + 1000 * i as i64),
        );
    }
    let seen = fake.wait_for(4, 20);
    assert_eq!(seen.len(), 4, "{seen:#?}");
    let mut bodies = Vec::new();
    for s in &seen {
        assert_eq!(
            (s.method.as_str(), s.url.as_str()),
            ("POST", "/v1/calls/3cx")
        );
        assert_eq!(
            s.headers.get("x-api-key").map(String::as_str),
            Some("PSKEY-123")
        );
        assert_eq!(
            s.headers.get("content-type").map(String::as_str),
            Some("application/json")
        );
        assert!(s
            .headers
            .get("idempotency-key")
            .is_some_and(|k| !k.is_empty()));
        bodies.push(serde_json::from_str::<Value>(&s.body).unwrap());
    }
    let want = [
        json!({"duration": "00:01:05", "direction": "in", "from": "+49301234567", "to": "10"}),
        json!({"duration": "00:01:05", "direction": "out", "from": "10", "to": "+49301234567"}),
        json!({"duration": "00:00:00", "direction": "in", "from": "+49301234567", "to": "10", "hangup_cause": "notAnswered"}),
        json!({"duration": "00:00:00", "direction": "out", "from": "10", "to": "+49301234567", "hangup_cause": "notAnswered"}),
    ];
    for w in &want {
        assert!(bodies.contains(w), "missing {w}; got {bodies:#?}");
    }
    // The API key is a secret: never in the log.
    assert!(!srv.log_text().contains("PSKEY-123"));
}

/// The webhook requests per call, in arrival order: (call id, event).
fn webhook_steps(seen: &[Seen]) -> BTreeMap<i64, Vec<String>> {
    let mut per: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for s in seen {
        let v: Value = serde_json::from_str(&s.body).unwrap();
        per.entry(v["call"]["id"].as_i64().unwrap())
            .or_default()
            .push(v["event"].as_str().unwrap().to_string());
    }
    per
}

#[test]
fn an_outage_then_recovery_delivers_every_call_once_and_in_order() {
    let fake = Fake::start("{}");
    fake.set(Fault::Status500);
    let db = office(
        "sync-outage",
        &[
            ("sync.webhook.url", &format!("{}/hook", fake.url)),
            ("sync.webhook.secret", "s3cret-s3cret"),
            ("sync.max_attempts", "1000"),
        ],
    );
    let key = db.key("journal");
    let srv = Server::start(db);
    const N: usize = 200;
    for i in 0..N {
        post(
            &srv,
            &key,
            &call(&format!("o{i}"), "in", true, T + 100 * i as i64),
        );
    }
    // Down for a while: ringbook backs off instead of hammering (one request per pause, not per row).
    std::thread::sleep(Duration::from_millis(1500));
    let hits_during_outage = *fake.hits.lock().unwrap();
    assert!(
        (1..20).contains(&hits_during_outage),
        "{hits_during_outage} requests while down"
    );
    // Then 429 with Retry-After, then a hang past the timeout, then garbage (fine for a webhook: 2xx).
    fake.set(Fault::TooMany(1));
    std::thread::sleep(Duration::from_millis(800));
    fake.set(Fault::Hang(1500));
    std::thread::sleep(Duration::from_millis(1200));
    fake.set(Fault::None);
    let seen = fake.wait_for(3 * N, 60);
    std::thread::sleep(Duration::from_millis(300));
    let seen_after = fake.seen();
    let keys: Vec<&String> = seen_after
        .iter()
        .map(|s| &s.headers["idempotency-key"])
        .collect();
    let unique: HashSet<&String> = keys.iter().copied().collect();
    assert_eq!(
        unique.len(),
        3 * N,
        "every step delivered; got {} of {}",
        unique.len(),
        3 * N
    );
    assert_eq!(seen.len(), seen_after.len());
    let per = webhook_steps(&seen_after);
    assert_eq!(per.len(), N);
    for (id, steps) in &per {
        // A request cut off by the timeout may have been recorded by the fake and then re-sent: at most
        // such repeats, each with the same idempotency key; the order holds.
        let mut dedup = steps.clone();
        dedup.dedup();
        assert_eq!(
            dedup,
            ["ringing", "answered", "ended"],
            "call {id}: {steps:?}"
        );
    }
    // Every body is signed: t=UNIX,v1=64 hex.
    for s in &seen_after {
        let sig = &s.headers["x-ringbook-signature"];
        assert!(
            sig.starts_with("t=") && sig.contains(",v1=") && sig.len() > 70,
            "{sig}"
        );
    }
}

#[test]
fn kill_9_mid_drain_loses_nothing() {
    let fake = Fake::start("{}");
    fake.set(Fault::Status500);
    let db = office(
        "sync-kill",
        &[
            ("sync.webhook.url", &fake.url),
            ("sync.max_attempts", "1000"),
        ],
    );
    let key = db.key("journal");
    let mut srv = Server::start(db);
    const N: usize = 150;
    for i in 0..N {
        post(
            &srv,
            &key,
            &call(&format!("k{i}"), "in", true, T + 100 * i as i64),
        );
    }
    fake.set(Fault::Hang(5));
    let deadline = Instant::now() + Duration::from_secs(20);
    while fake.seen().len() < 50 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    // SIGKILL: no chance to record anything more.
    srv.child.kill().unwrap();
    srv.child.wait().unwrap();
    let before = fake.seen().len();
    assert!(
        before < 3 * N,
        "the drain must be cut off mid-way ({before})"
    );
    fake.set(Fault::None);
    let db = Db {
        dir: TempDir(srv.db.dir.0.clone()),
        path: srv.db.path.clone(),
    };
    std::mem::forget(srv);
    let _srv = Server::start(db);
    fake.wait_for(3 * N, 60);
    let seen = fake.seen();
    let unique: HashSet<&String> = seen.iter().map(|s| &s.headers["idempotency-key"]).collect();
    assert_eq!(unique.len(), 3 * N, "nothing lost across kill -9");
    // Re-sends can only be rows whose 2xx wasn't recorded: a few, never the whole queue.
    assert!(seen.len() - 3 * N <= 64, "{} re-sends", seen.len() - 3 * N);
}

#[test]
fn outbox_is_visible_in_the_api_and_the_cli() {
    let db = Db::new("outbox-visible");
    db.berlin();
    // A webhook target nobody listens on: rows stay pending and are listed as such.
    db.ok(&[
        "settings",
        "set",
        "sync.webhook.url",
        "http://127.0.0.1:9/hook",
    ]);
    let admin = db.key("admin");
    let journal = db.key("journal");
    let srv = Server::start(db);
    let ev = r#"{"event":"ringing","call_id":"ob-1","direction":"in","remote":"+49301234567","extension":"201"}"#;
    let r = srv.request(
        "POST",
        "/api/v1/events",
        &[("X-Api-Key", &journal)],
        ev.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(srv.get("/api/v1/outbox").status, 401);
    assert_eq!(
        srv.get(&format!("/api/v1/outbox?key={journal}")).status,
        403
    );
    let j = srv.get(&format!("/api/v1/outbox?key={admin}")).json();
    let rows = j["rows"].as_array().unwrap();
    assert!(!rows.is_empty(), "{j}");
    assert_eq!(rows[0]["connector"], "webhook");
    assert!(j["counts"]["pending"].as_i64().unwrap() >= 1, "{j}");
    assert_eq!(
        srv.get(&format!("/api/v1/outbox?key={admin}&state=nope"))
            .status,
        400
    );
    let id = rows[0]["id"].as_i64().unwrap().to_string();
    assert!(srv.db.ok(&["outbox", "list"]).contains("webhook"));
    assert!(srv.db.ok(&["outbox", "skip", &id]).contains("skipped"));
    let out = srv.db.cli(&["outbox", "skip", &id]);
    assert!(!out.status.success(), "skipping twice is refused");
    assert!(srv
        .db
        .ok(&["outbox", "retry", &id])
        .contains("queued again"));
    let m = srv.get("/metrics").text();
    assert!(m.contains("ringbook_outbox_pending"), "{m}");
}
