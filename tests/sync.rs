//! Upstream CRM sync end to end: the real binary journals calls from `POST /api/v1/events`, and an
//! in-process fake CRM (a small HTTP/1.1 server, optionally behind TLS) records what ringbook pushes to
//! it. Faults are injected into the fake (500s, 429 with Retry-After, a hang past the timeout, a
//! connection reset, TLS failures, garbage JSON) and the process is killed with SIGKILL mid-drain, to
//! show that every call arrives exactly once (per idempotency key), in order per call, nothing is lost
//! and nothing that should be retried is dead-lettered. The contact mirror is fed by a fake Propstack
//! and a vCard address book URL, and found by the ordinary lookup.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
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
    /// The status the fake answered.
    status: u16,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    None,
    Status500,
    TooMany(u32),
    Hang(u64),
    /// Reads the request, then closes the connection with a TCP reset and no answer.
    Reset,
}

/// A canned answer for paths starting with a prefix; with an ETag, a request whose If-None-Match
/// carries it gets a 304.
#[derive(Clone)]
struct Route {
    prefix: String,
    content_type: String,
    body: String,
    etag: Option<String>,
}

/// A fake CRM: records every request and answers per the current fault and its routes.
struct Fake {
    url: String,
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    fault: Arc<Mutex<Fault>>,
    /// Every request while a fault is on, delivered or not.
    hits: Arc<Mutex<usize>>,
    routes: Arc<Mutex<Vec<Route>>>,
    /// Requests whose body contains this text are answered 500, whatever the fault.
    poison: Arc<Mutex<Option<String>>>,
}

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// One request off a connection: method, target, lowercased headers, body. `None` at EOF or on bytes
/// that aren't HTTP (such as a TLS ClientHello sent to this plain server).
fn read_request(
    r: &mut impl BufRead,
) -> Option<(String, String, BTreeMap<String, String>, String)> {
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next()?.to_string());
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some((
        method,
        target,
        headers,
        String::from_utf8_lossy(&body).into_owned(),
    ))
}

impl Fake {
    fn start(answer: &'static str) -> Fake {
        Fake::start_with(answer, None)
    }

    /// A fake that speaks TLS with this server configuration.
    fn start_with(answer: &'static str, tls: Option<Arc<rustls::ServerConfig>>) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let fake = Fake {
            url: format!("{scheme}://127.0.0.1:{port}"),
            port,
            seen: Arc::new(Mutex::new(Vec::new())),
            fault: Arc::new(Mutex::new(Fault::None)),
            hits: Arc::new(Mutex::new(0)),
            routes: Arc::new(Mutex::new(vec![Route {
                prefix: "/".into(),
                content_type: "application/json".into(),
                body: answer.into(),
                etag: None,
            }])),
            poison: Arc::new(Mutex::new(None)),
        };
        let (seen, fault, hits, routes, poison) = (
            fake.seen.clone(),
            fake.fault.clone(),
            fake.hits.clone(),
            fake.routes.clone(),
            fake.poison.clone(),
        );
        std::thread::spawn(move || {
            for tcp in listener.incoming() {
                let Ok(tcp) = tcp else { continue };
                let _ = tcp.set_nodelay(true);
                let (seen, fault, hits, routes, poison, tls) = (
                    seen.clone(),
                    fault.clone(),
                    hits.clone(),
                    routes.clone(),
                    poison.clone(),
                    tls.clone(),
                );
                std::thread::spawn(move || {
                    let raw = tcp.try_clone().unwrap();
                    let stream: Box<dyn Stream> = match tls {
                        Some(cfg) => {
                            let conn = rustls::ServerConnection::new(cfg).unwrap();
                            Box::new(rustls::StreamOwned::new(conn, tcp))
                        }
                        None => Box::new(tcp),
                    };
                    let state = State {
                        seen,
                        fault,
                        hits,
                        routes,
                        poison,
                    };
                    serve(stream, &raw, &state);
                });
            }
        });
        fake
    }

    fn set(&self, f: Fault) {
        *self.fault.lock().unwrap() = f;
    }

    /// Answers requests whose path starts with `prefix` with this body (newest route first).
    fn route(&self, prefix: &str, content_type: &str, body: &str, etag: Option<&str>) {
        self.routes.lock().unwrap().insert(
            0,
            Route {
                prefix: prefix.into(),
                content_type: content_type.into(),
                body: body.into(),
                etag: etag.map(str::to_string),
            },
        );
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits until `n` distinct idempotency keys have arrived (re-sends of one key count once, so a
    /// re-send can't stand in for a row that never came; requests without a key don't count), or
    /// `secs` passed.
    fn wait_for(&self, n: usize, secs: u64) -> Vec<Seen> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.seen();
            let keys: HashSet<&String> = s
                .iter()
                .filter_map(|r| r.headers.get("idempotency-key"))
                .collect();
            if keys.len() >= n || Instant::now() > deadline {
                return s;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until a request satisfies `f`, or `secs` passed.
    fn wait_until(&self, secs: u64, f: impl Fn(&[Seen]) -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if f(&self.seen()) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

/// What a connection of the fake shares with the test.
struct State {
    seen: Arc<Mutex<Vec<Seen>>>,
    fault: Arc<Mutex<Fault>>,
    hits: Arc<Mutex<usize>>,
    routes: Arc<Mutex<Vec<Route>>>,
    poison: Arc<Mutex<Option<String>>>,
}

/// Serves one connection (keep-alive) until it closes.
fn serve(stream: Box<dyn Stream>, raw: &TcpStream, st: &State) {
    let (seen, hits, routes) = (&st.seen, &st.hits, &st.routes);
    let mut r = BufReader::new(stream);
    while let Some((method, url, headers, body)) = read_request(&mut r) {
        *hits.lock().unwrap() += 1;
        let poisoned = st
            .poison
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|p| body.contains(p.as_str()));
        let f = if poisoned {
            Fault::Status500
        } else {
            *st.fault.lock().unwrap()
        };
        let mut extra = String::new();
        let (status, ctype, text) = match f {
            Fault::Status500 => (500, "text/plain".to_string(), "down".to_string()),
            Fault::TooMany(secs) => {
                extra = format!("Retry-After: {secs}\r\n");
                (429, "text/plain".to_string(), "slow down".to_string())
            }
            Fault::Reset => {
                let _ = socket2::SockRef::from(raw).set_linger(Some(Duration::ZERO));
                return;
            }
            // Answers late (recorded as received; past the timeout ringbook sends it again).
            Fault::Hang(_) | Fault::None => {
                if let Fault::Hang(ms) = f {
                    std::thread::sleep(Duration::from_millis(ms));
                }
                let route = routes
                    .lock()
                    .unwrap()
                    .iter()
                    .find(|x| url.starts_with(&x.prefix))
                    .cloned()
                    .unwrap();
                let status = match &route.etag {
                    Some(tag) => {
                        extra = format!("ETag: {tag}\r\n");
                        if headers.get("if-none-match") == Some(tag) {
                            304
                        } else {
                            200
                        }
                    }
                    None => 200,
                };
                seen.lock().unwrap().push(Seen {
                    method: method.clone(),
                    url: url.clone(),
                    headers: headers.clone(),
                    body: body.clone(),
                    status,
                });
                let answer = if status == 304 {
                    String::new()
                } else {
                    route.body
                };
                (status, route.content_type, answer)
            }
        };
        let reason = match status {
            200 => "OK",
            304 => "Not Modified",
            429 => "Too Many Requests",
            _ => "Internal Server Error",
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{extra}\r\n",
            if status == 304 { 0 } else { text.len() }
        );
        // One write: a head and a body in two small segments would wait on Nagle and delayed ACKs.
        let mut out = head.into_bytes();
        if status != 304 {
            out.extend_from_slice(text.as_bytes());
        }
        let w = r.get_mut();
        if w.write_all(&out).is_err() || w.flush().is_err() {
            return;
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
    let (pushes, asks): (Vec<Seen>, Vec<Seen>) = seen.into_iter().partition(|s| s.method == "POST");
    assert_eq!(pushes.len(), 4, "{pushes:#?}");
    // The number is in no contact, so Propstack is asked about it after each call, in the background.
    assert!(
        fake.wait_until(20, |s| s.iter().filter(|r| r.method == "GET").count() >= 4),
        "{asks:#?}"
    );
    for a in fake.seen().iter().filter(|r| r.method == "GET") {
        assert_eq!(
            a.url, "/v1/contacts?with_meta=1&phone_number=%2B49301234567",
            "{a:#?}"
        );
        assert_eq!(
            a.headers.get("x-api-key").map(String::as_str),
            Some("PSKEY-123")
        );
    }
    let mut bodies = Vec::new();
    for s in &pushes {
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
    // Default sync.max_attempts: an outage must never dead-letter a call, however long it lasts.
    let db = office(
        "sync-outage",
        &[
            ("sync.webhook.url", &format!("{}/hook", fake.url)),
            ("sync.webhook.secret", "s3cret-s3cret"),
        ],
    );
    let key = db.key("journal");
    let admin = db.key("admin");
    let srv = Server::start(db);
    const N: usize = 5000;
    // 50 calls (150 events) per request, so journaling 5,000 calls takes seconds, not minutes.
    let t0 = Instant::now();
    for chunk in (0..N).collect::<Vec<_>>().chunks(50) {
        let mut events = Vec::new();
        for &i in chunk {
            let Value::Array(evs) = call(&format!("o{i}"), "in", true, T + 100 * i as i64) else {
                unreachable!()
            };
            events.extend(evs);
        }
        post(&srv, &key, &Value::Array(events));
    }
    let journaled = t0.elapsed();
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
    // Then connections reset with no answer at all.
    fake.set(Fault::Reset);
    std::thread::sleep(Duration::from_millis(1200));
    let dead = srv
        .get(&format!("/api/v1/outbox?key={admin}&state=dead"))
        .json();
    assert_eq!(dead["counts"]["dead"], 0, "{dead}");
    fake.set(Fault::None);
    let recovered = Instant::now();
    let seen = fake.wait_for(3 * N, 120);
    let drained = recovered.elapsed();
    eprintln!(
        "outage test: {N} calls journaled in {journaled:?}, {} steps drained in {drained:?}",
        3 * N
    );
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
    let j = srv.get(&format!("/api/v1/outbox?key={admin}")).json();
    assert_eq!(
        j["counts"]["dead"], 0,
        "nothing dead-lettered: {}",
        j["counts"]
    );
    assert_eq!(j["counts"]["pending"], 0, "{}", j["counts"]);
}

#[test]
fn kill_9_mid_drain_loses_nothing() {
    let fake = Fake::start("{}");
    fake.set(Fault::Status500);
    let db = office("sync-kill", &[("sync.webhook.url", &fake.url)]);
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

/// The outbox as the API shows it (admin key).
fn outbox(srv: &Server, admin: &str) -> Value {
    srv.get(&format!("/api/v1/outbox?key={admin}")).json()
}

/// Sets a setting through the CLI while the server runs (workers re-read settings every 2 s).
fn set(srv: &Server, key: &str, value: &str) {
    srv.db.ok(&["settings", "set", key, value]);
}

#[test]
fn a_reset_or_a_tls_failure_is_retried_not_dead_lettered() {
    let fake = Fake::start("{}");
    fake.set(Fault::Reset);
    // One counted failure would dead-letter a row: a reset or a TLS failure must not count.
    let db = office(
        "sync-reset-tls",
        &[("sync.webhook.url", &fake.url), ("sync.max_attempts", "1")],
    );
    let key = db.key("journal");
    let admin = db.key("admin");
    let srv = Server::start(db);
    for i in 0..3 {
        post(&srv, &key, &call(&format!("r{i}"), "in", true, T + 100 * i));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while *fake.hits.lock().unwrap() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(*fake.hits.lock().unwrap() >= 3, "retried after the resets");
    let j = outbox(&srv, &admin);
    assert_eq!(j["counts"]["dead"], 0, "{j}");
    assert!(fake.seen().is_empty(), "nothing was answered");
    // TLS spoken to a plain HTTP server: the handshake fails. The fake answers again only once the
    // worker has picked up the https URL (it re-reads settings from another process within 2 s and
    // retries within sync.backoff_max), or a retry to the old URL would be answered.
    set(
        &srv,
        "sync.webhook.url",
        &format!("https://127.0.0.1:{}/hook", fake.port),
    );
    std::thread::sleep(Duration::from_millis(3500));
    fake.set(Fault::None);
    std::thread::sleep(Duration::from_millis(4500));
    let j = outbox(&srv, &admin);
    assert_eq!(j["counts"]["dead"], 0, "{j}");
    assert!(
        fake.seen().is_empty(),
        "TLS to a plain server delivers nothing"
    );
    let errors: Vec<&str> = j["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["last_error"].as_str())
        .collect();
    assert!(!errors.is_empty(), "{j}");
    // Back to plain HTTP: everything arrives.
    set(&srv, "sync.webhook.url", &format!("{}/hook", fake.url));
    let seen = fake.wait_for(9, 30);
    let unique: HashSet<&String> = seen.iter().map(|s| &s.headers["idempotency-key"]).collect();
    assert_eq!(unique.len(), 9, "{seen:#?}");
    let j = outbox(&srv, &admin);
    assert_eq!(j["counts"]["dead"], 0, "{j}");
}

/// A CA and a server certificate for 127.0.0.1 signed by it: the fake's TLS configuration, and the
/// CA's PEM file.
fn private_ca(dir: &std::path::Path) -> (Arc<rustls::ServerConfig>, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "ringbook test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(params, ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let cfg = rustls::ServerConfig::builder_with_provider(
        rustls::crypto::ring::default_provider().into(),
    )
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![leaf.der().clone()], key)
    .unwrap();
    let pem = dir.join("crm-ca.pem");
    std::fs::write(&pem, ca.pem()).unwrap();
    (Arc::new(cfg), pem.to_str().unwrap().to_string())
}

#[test]
fn a_custom_ca_file_makes_a_self_hosted_https_crm_work() {
    let db = office("sync-custom-ca", &[("sync.max_attempts", "1")]);
    let (tls, ca_file) = private_ca(db.dir.path());
    let fake = Fake::start_with("{}", Some(tls));
    db.ok(&[
        "settings",
        "set",
        "sync.webhook.url",
        &format!("{}/hook", fake.url),
    ]);
    // A file that is no PEM is refused when it is set, with the reason.
    let bad = db.dir.path().join("not-a-ca.pem");
    std::fs::write(&bad, "hello\n").unwrap();
    let out = db.cli(&[
        "settings",
        "set",
        "sync.webhook.ca_file",
        bad.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no certificate"),
        "{out:?}"
    );
    let key = db.key("journal");
    let admin = db.key("admin");
    let srv = Server::start(db);
    post(&srv, &key, &call("tls1", "in", true, T));
    // Without the CA, the certificate is not trusted: retried, never dead, the error says why.
    std::thread::sleep(Duration::from_millis(2500));
    assert!(fake.seen().is_empty());
    let j = outbox(&srv, &admin);
    assert_eq!(j["counts"]["dead"], 0, "{j}");
    let errors: Vec<&str> = j["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["last_error"].as_str())
        .collect();
    assert!(
        !errors.is_empty() && errors.iter().all(|e| e.contains("ca_file")),
        "{j}"
    );
    set(&srv, "sync.webhook.ca_file", &ca_file);
    let seen = fake.wait_for(3, 30);
    let unique: HashSet<&String> = seen.iter().map(|s| &s.headers["idempotency-key"]).collect();
    assert_eq!(unique.len(), 3, "{seen:#?}");
    assert!(seen.iter().all(|s| s.url == "/hook"));
}

/// Logs `owner` into the web UI: the session's `Cookie` header.
fn login(srv: &Server) -> String {
    fn cookies(r: &Response, jar: &mut Vec<String>) {
        for (k, v) in &r.headers {
            if k.eq_ignore_ascii_case("set-cookie") {
                let pair = v.split(';').next().unwrap_or("").to_string();
                let name = pair.split('=').next().unwrap_or("").to_string();
                jar.retain(|p| !p.starts_with(&format!("{name}=")));
                jar.push(pair);
            }
        }
    }
    let mut jar = Vec::new();
    let page = srv.get("/login");
    cookies(&page, &mut jar);
    let csrf = csrf_of(&page.text());
    let r = srv.request(
        "POST",
        "/login",
        &[
            ("Cookie", &jar.join("; ")),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        format!("csrf={csrf}&name=owner&password=correct+horse+battery").as_bytes(),
    );
    assert_eq!(r.status, 303, "login: {}", r.text());
    cookies(&r, &mut jar);
    jar.join("; ")
}

fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

#[test]
fn propstack_contacts_are_mirrored_after_a_call_and_read_only() {
    let fake = Fake::start("{}");
    fake.route(
        "/v1/contacts",
        "application/json",
        r#"{"data":[{"id":4711,"first_name":"Erika","last_name":"Mustermann","company":"Muster GmbH","email":"erika@example.de","office_phone":"+49 30 1234567","home_cell":"0151 2345678","home_phone":null}],"meta":{"total_count":1}}"#,
        None,
    );
    let db = office(
        "sync-mirror",
        &[
            ("sync.propstack.url", &fake.url),
            ("sync.propstack.api_key", "PSKEY-9"),
        ],
    );
    db.cli_with_stdin(
        &["user", "add", "owner", "--role", "admin"],
        "correct horse battery\n",
    );
    let key = db.key("journal,lookup");
    let srv = Server::start(db);
    let lookup = |n: &str| srv.get(&format!("/lookup.txt?number={n}&key={key}")).text();
    assert_eq!(lookup("%2B49301234567"), "", "unknown before the call");
    post(&srv, &key, &call("m1", "in", true, T));
    let deadline = Instant::now() + Duration::from_secs(20);
    while lookup("%2B49301234567").is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(lookup("%2B49301234567"), "Erika Mustermann (Muster GmbH)");
    assert_eq!(lookup("01512345678"), "Erika Mustermann (Muster GmbH)");
    let j = srv
        .get(&format!("/api/v1/lookup?number=%2B49301234567&key={key}"))
        .json();
    let id = j["matches"][0]["contact_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{j}"));
    // Read-only in the UI: marked, and edit and delete are refused with the reason.
    let cookie = login(&srv);
    let page = srv.request(
        "GET",
        &format!("/contacts/{id}"),
        &[("Cookie", &cookie)],
        b"",
    );
    assert_eq!(page.status, 200);
    assert!(page.text().contains("From Propstack"), "{}", page.text());
    assert!(!page.text().contains(&format!("/contacts/{id}/edit")));
    let edit = srv.request(
        "GET",
        &format!("/contacts/{id}/edit"),
        &[("Cookie", &cookie)],
        b"",
    );
    assert_eq!(edit.status, 409);
    assert!(edit.text().contains("read-only copy"), "{}", edit.text());
    let list = srv.request("GET", "/contacts", &[("Cookie", &cookie)], b"");
    let csrf = csrf_of(&list.text());
    let del = srv.request(
        "POST",
        &format!("/contacts/{id}/delete"),
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        format!("csrf={csrf}").as_bytes(),
    );
    assert_eq!(del.status, 409, "{}", del.text());
    assert_eq!(lookup("%2B49301234567"), "Erika Mustermann (Muster GmbH)");
    // A second call from the number: the mirror knows it, so Propstack is not asked again.
    post(&srv, &key, &call("m2", "in", true, T + 500));
    fake.wait_for(2, 20);
    std::thread::sleep(Duration::from_millis(500));
    let asks = fake.seen().iter().filter(|s| s.method == "GET").count();
    assert_eq!(asks, 1, "{:#?}", fake.seen());
}

#[test]
fn crmsenior_consult_contact_is_mirrored() {
    let fake = Fake::start(
        r#"{"contact":[{"id":88,"firstname":"João","lastname":"Silva","company":"Loja Azul","email":"","businessphone":"0049301234567","mobilephone":"","customvalue":"CS-1"}]}"#,
    );
    let db = office(
        "sync-crmsenior-mirror",
        &[
            ("sync.crmsenior.url", &fake.url),
            ("sync.crmsenior.token", "tok"),
            ("sync.crmsenior.tenant", "t1"),
        ],
    );
    let key = db.key("journal,lookup");
    let srv = Server::start(db);
    post(&srv, &key, &call("cs1", "in", true, T));
    let deadline = Instant::now() + Duration::from_secs(20);
    let lookup = || {
        srv.get(&format!("/lookup.txt?number=%2B49301234567&key={key}"))
            .text()
    };
    while lookup().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(lookup(), "João Silva (Loja Azul)");
}

#[test]
fn an_address_book_url_is_mirrored_and_a_304_changes_nothing() {
    let fake = Fake::start("{}");
    let v1 = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Berg;Hanna;;;\r\nORG:Bergbau AG\r\nTEL;TYPE=WORK:030 7654321\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Karl Klein\r\nTEL;TYPE=CELL:0170 1112223\r\nEND:VCARD\r\n";
    fake.route("/book.vcf", "text/vcard", v1, Some("\"v1\""));
    let db = office(
        "sync-addressbook",
        &[
            ("sync.contacts.url", &format!("{}/book.vcf", fake.url)),
            ("sync.contacts.interval", "1s"),
            ("sync.contacts.username", "office"),
            ("sync.contacts.password", "pa55"),
        ],
    );
    let key = db.key("lookup");
    let srv = Server::start(db);
    let contact_of = |n: &str| {
        srv.get(&format!("/api/v1/lookup?number={n}&key={key}"))
            .json()["matches"][0]["contact_id"]
            .as_i64()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while contact_of("%2B49307654321").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let hanna = contact_of("%2B49307654321").expect("Hanna Berg mirrored");
    let karl = contact_of("%2B491701112223").expect("Karl Klein mirrored");
    let first = &fake.seen()[0];
    // Basic auth "office:pa55".
    assert_eq!(
        first.headers.get("authorization").map(String::as_str),
        Some("Basic b2ZmaWNlOnBhNTU=")
    );
    // The next pulls are conditional and answered 304: nothing changes.
    assert!(
        fake.wait_until(10, |s| s.iter().any(|r| r.status == 304)),
        "{:#?}",
        fake.seen()
    );
    let not_modified = fake.seen().into_iter().find(|r| r.status == 304).unwrap();
    assert_eq!(
        not_modified
            .headers
            .get("if-none-match")
            .map(String::as_str),
        Some("\"v1\"")
    );
    assert_eq!(contact_of("%2B49307654321"), Some(hanna));
    assert_eq!(contact_of("%2B491701112223"), Some(karl));
    // A new version: Karl is gone, Hanna unchanged keeps her row, a new contact comes.
    let v2 = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Berg;Hanna;;;\r\nORG:Bergbau AG\r\nTEL;TYPE=WORK:030 7654321\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Lena Lang\r\nTEL:030 5556667\r\nEND:VCARD\r\n";
    fake.route("/book.vcf", "text/vcard", v2, Some("\"v2\""));
    let deadline = Instant::now() + Duration::from_secs(20);
    while contact_of("%2B491701112223").is_some() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        contact_of("%2B491701112223"),
        None,
        "Karl was removed upstream"
    );
    assert!(contact_of("%2B49305556667").is_some(), "Lena is new");
    assert_eq!(
        contact_of("%2B49307654321"),
        Some(hanna),
        "Hanna kept her row"
    );
    // An address book past the 16 MB ringbook reads is refused whole. Read up to the limit, it
    // replaced the mirror with the cards before the cut: Hanna, without Lena.
    let hanna_card =
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Berg;Hanna;;;\r\nTEL:030 7654321\r\nEND:VCARD\r\n";
    let mut v3 = format!(
        "{hanna_card}BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Otto Ohm\r\nTEL:030 5550009\r\nNOTE:"
    );
    v3.push_str(&"x".repeat(16 << 20));
    v3.push_str("\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Lena Lang\r\nTEL:030 5556667\r\nEND:VCARD\r\n");
    fake.route("/book.vcf", "text/vcard", &v3, Some("\"v3\""));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !srv.log_text().contains("larger than 16 MB") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        srv.log_text().contains("is larger than 16 MB, more than ringbook reads; the contacts of the last pull are kept"),
        "{}",
        srv.log_text()
    );
    assert!(contact_of("%2B49305556667").is_some(), "Lena is kept");
    assert_eq!(
        contact_of("%2B49305550009"),
        None,
        "nothing of the refused file"
    );
}

#[test]
fn a_row_the_crm_always_refuses_with_a_5xx_does_not_block_the_others() {
    let fake = Fake::start("{}");
    // The first call's number: every request about it gets a 500, while the CRM takes all others.
    *fake.poison.lock().unwrap() = Some("+49309999999".into());
    let db = office(
        "sync-poison",
        &[
            ("sync.webhook.url", &format!("{}/hook", fake.url)),
            ("sync.max_attempts", "50"),
        ],
    );
    let key = db.key("journal");
    let admin = db.key("admin");
    let srv = Server::start(db);
    let mut first = call("p0", "in", true, T);
    for e in first.as_array_mut().unwrap() {
        if e.get("remote").is_some() {
            e["remote"] = "030 9999999".into();
        }
    }
    post(&srv, &key, &first);
    for i in 1..5 {
        post(&srv, &key, &call(&format!("p{i}"), "in", true, T + 100 * i));
    }
    // The four good calls arrive within a few seconds, not after the bad row's 50 attempts.
    let seen = fake.wait_for(12, 8);
    let unique: HashSet<&String> = seen.iter().map(|s| &s.headers["idempotency-key"]).collect();
    assert_eq!(unique.len(), 12, "{seen:#?}");
    assert!(seen.iter().all(|s| !s.body.contains("+49309999999")));
    let j = outbox(&srv, &admin);
    let bad: Vec<&Value> = j["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["last_error"].as_str().is_some_and(|e| e.contains("500")))
        .collect();
    assert_eq!(bad.len(), 1, "{j}");
    assert!(
        bad[0]["attempts"].as_i64().unwrap() >= 1,
        "counted against the row: {j}"
    );
}

/// An office that connects its CRM after weeks of calls queues the old ones with `outbox backfill`:
/// each call arrives with the steps it would have had live, in order, and a second backfill (or a
/// call that was already delivered) sends nothing twice.
#[test]
fn backfill_sends_past_calls_once_with_their_steps_in_order() {
    let db = office("sync-backfill", &[]);
    let key = db.key("journal");
    let srv = Server::start(db);
    let t0 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 7200;
    post(&srv, &key, &call("bf-1", "in", true, t0));
    post(&srv, &key, &call("bf-2", "in", false, t0 + 300));
    post(&srv, &key, &call("bf-3", "out", true, t0 + 600));
    // No connector yet: nothing is queued while the calls happen.
    assert!(srv.db.ok(&["outbox", "list"]).trim().lines().count() <= 1);

    let out = srv
        .db
        .cli(&["outbox", "backfill", "webhook", "--since", "2020-01-01"]);
    assert!(!out.status.success(), "a connector that is off is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("sync.webhook.url"));
    let out = srv
        .db
        .cli(&["outbox", "backfill", "zoho", "--since", "2020-01-01"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("propstack, crmsenior, webhook"));

    let fake = Fake::start("{}");
    set(&srv, "sync.webhook.url", &format!("{}/hook", fake.url));
    let since = (t0 - 60).to_string();
    let first = srv
        .db
        .ok(&["outbox", "backfill", "webhook", "--since", &since]);
    // ringing + answered + ended, ringing + ended, ringing + answered + ended.
    assert!(first.starts_with("8 outbox rows queued"), "{first}");
    let seen = fake.wait_for(8, 20);
    let per = webhook_steps(&seen);
    let mut steps: Vec<Vec<String>> = per.values().cloned().collect();
    steps.sort_by_key(|s| s.len());
    assert_eq!(
        steps,
        [
            vec!["ringing", "ended"],
            vec!["ringing", "answered", "ended"],
            vec!["ringing", "answered", "ended"],
        ]
        .map(|v| v.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        "{per:?}"
    );
    let again = srv
        .db
        .ok(&["outbox", "backfill", "webhook", "--since", &since]);
    assert!(again.starts_with("0 outbox rows queued"), "{again}");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(fake.seen().len(), 8, "nothing is sent twice");
}

/// CRM Senior answering its consult with an HTML error page, or with its own `{"error": ...}`, is a
/// failure of that row, with CRM Senior's words kept for the outbox listing; after
/// `sync.max_attempts` the row is dead-lettered, never marked delivered.
#[test]
fn crmsenior_garbage_or_error_answers_are_failures_with_the_message_kept() {
    for (tag, answer, expect) in [
        (
            "sync-cs-garbage",
            "<html><body>Bad Gateway</body></html>",
            "JSON",
        ),
        (
            "sync-cs-error",
            r#"{"error":"tenant unknown"}"#,
            "tenant unknown",
        ),
    ] {
        let fake = Fake::start(answer);
        let db = office(
            tag,
            &[
                ("sync.crmsenior.url", &fake.url),
                ("sync.crmsenior.token", "tok"),
                ("sync.crmsenior.tenant", "t1"),
                ("sync.max_attempts", "2"),
            ],
        );
        let key = db.key("journal");
        let admin = db.key("admin");
        let srv = Server::start(db);
        post(&srv, &key, &call("cs-bad", "in", true, T));
        let deadline = Instant::now() + Duration::from_secs(20);
        let dead = loop {
            let j = srv
                .get(&format!("/api/v1/outbox?key={admin}&state=dead"))
                .json();
            if j["rows"].as_array().is_some_and(|r| !r.is_empty()) || Instant::now() > deadline {
                break j;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let rows = dead["rows"].as_array().unwrap();
        assert!(!rows.is_empty(), "{tag}: nothing dead-lettered: {dead}");
        assert_eq!(rows[0]["step"], "ring", "{dead}");
        let error = rows[0]["last_error"].as_str().unwrap_or("");
        assert!(error.contains(expect), "{tag}: {error}");
        assert_eq!(dead["counts"]["delivered"], 0, "{dead}");
    }
}
