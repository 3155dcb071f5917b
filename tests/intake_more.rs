//! The call journal's remaining intake rules, end to end through the real binary: every HTTP call
//! source answers after its commit without holding a worker, a short service number is an outside
//! number and not an extension, and a withheld caller ringing several Snom phones is one call.

mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

const TOKEN: &str = "cti-token-0123456789abcdef";

/// A Berlin office with 3-digit extensions (Anna 111, Ben 120, Carla 130), two lines and the CTI
/// token set.
fn office_db(tag: &str) -> Db {
    let db = Db::new(tag);
    db.berlin();
    db.ok(&["settings", "set", "number.extension_digits", "3"]);
    db.ok(&["settings", "set", "cti.token", TOKEN]);
    for (name, ext) in [("Anna", "111"), ("Ben", "120"), ("Carla", "130")] {
        db.ok(&["employee", "add", name]);
        db.ok(&["extension", "assign", ext, name, "--from", "2020-01-01"]);
    }
    db.ok(&["line", "add", "+4930123450", "Sales"]);
    db.ok(&["line", "add", "+4930123460", "Support"]);
    db
}

/// One Snom action URL as ringbook provisions it; `call` is (mac, Call-ID, $local, $remote,
/// $active_user).
fn snom(srv: &Server, key: &str, ev: &str, call: (&str, &str, &str, &str, &str)) -> Response {
    let (mac, cid, local, remote, user) = call;
    srv.get(&format!(
        "/snom/event?ev={ev}&mac={mac}&cid={cid}&local={local}&remote={remote}&id={user}&n=1&key={key}"
    ))
}

/// The requests of every deferred HTTP call source, each a new call with its own number.
fn one_request_per_source(key: &str) -> Vec<(&'static str, String, &'static str, String)> {
    let form = "application/x-www-form-urlencoded";
    let js = "application/json";
    vec![
        (
            "GET",
            format!("/snom/event?ev=incoming&mac=000413000001&cid=s1@pbx&local=sip:111@pbx&remote=%2B4930700001&id=111&key={key}"),
            "",
            String::new(),
        ),
        (
            "GET",
            format!("/snom/incoming?mac=000413000002&cid=s2@pbx&local=sip:120@pbx&remote=%2B4930700002&id=120&key={key}"),
            "",
            String::new(),
        ),
        (
            "GET",
            format!("/yealink/event?ev=incoming_call&mac=805EC0000003&call_id=y3&local=130&remote=030700003&active_user=130&key={key}"),
            "",
            String::new(),
        ),
        (
            "POST",
            format!("/3cx/journal?key={key}"),
            js,
            json!({"call_type":"Inbound","number":"+4930700004","agent":"111","duration":"00:01:05",
                   "start_utc":"2024-03-01T08:15:00Z","end_utc":"2024-03-01T08:16:10Z"})
            .to_string(),
        ),
        (
            "POST",
            format!("/v1/calls/3cx?key={key}"),
            js,
            json!({"duration":"00:00:40","direction":"in","from":"+4930700005","to":"120"}).to_string(),
        ),
        (
            "GET",
            format!("/v1/calls/phone?key={key}&type=snom&event=incoming&direction=in&from=%2B4930700006&to=130"),
            "",
            String::new(),
        ),
        (
            "POST",
            format!("/cti/{TOKEN}"),
            form,
            "event=newCall&from=4930700007&to=4930123450&direction=in&callId=z7".to_string(),
        ),
        (
            "POST",
            format!("/cti/{TOKEN}/sipgate"),
            form,
            "event=newCall&from=4930700008&to=4930123450&direction=in&callId=g8&origCallId=g8".to_string(),
        ),
        (
            "POST",
            format!("/cti/{TOKEN}/placetel"),
            form,
            "event=IncomingCall&from=4930700009&to=4930123450&call_id=p9&direction=in".to_string(),
        ),
    ]
}

/// With a single worker and the database's write lock held by someone else, every call source's
/// request waits for its commit, and the worker still answers other requests meanwhile: the
/// answers come from the responder threads once the writer could commit, never before.
#[test]
fn every_http_call_source_answers_after_its_commit_without_holding_a_worker() {
    let db = office_db("deferred");
    let key = db.key("lookup,journal");
    let path = db.path.clone();
    let srv = Server::start_with(db, &[("RINGBOOK_WORKERS", "1")]);
    let requests = one_request_per_source(&key);

    // Someone else holds the write lock: the writer's BEGIN IMMEDIATE waits (busy timeout 5 s).
    let lock = rusqlite::Connection::open(&path).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let released: Mutex<Option<Instant>> = Mutex::new(None);
    let answers: Mutex<Vec<(String, u16, String, Instant)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for (method, path, ctype, body) in &requests {
            let (srv, answers) = (&srv, &answers);
            s.spawn(move || {
                let headers: Vec<(&str, &str)> = if ctype.is_empty() {
                    Vec::new()
                } else {
                    vec![("Content-Type", *ctype)]
                };
                let r = srv.request(method, path, &headers, body.as_bytes());
                answers.lock().unwrap().push((
                    path.clone(),
                    r.status,
                    String::from_utf8_lossy(&r.body).into_owned(),
                    Instant::now(),
                ));
            });
        }
        // Let every request reach the (only) worker and queue its events.
        std::thread::sleep(Duration::from_millis(700));
        let t = Instant::now();
        let h = srv.get("/healthz");
        assert_eq!(h.status, 200);
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "the only worker was held by a request waiting for its commit ({:?})",
            t.elapsed()
        );
        assert!(
            answers.lock().unwrap().is_empty(),
            "answered before the commit: {:?}",
            answers.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(300));
        *released.lock().unwrap() = Some(Instant::now());
        lock.execute_batch("ROLLBACK").unwrap();
    });
    let released = released.into_inner().unwrap().unwrap();
    let answers = answers.into_inner().unwrap();
    assert_eq!(answers.len(), requests.len());
    for (path, status, body, at) in &answers {
        assert_eq!(*status, 200, "{path}: {body}");
        assert!(*at >= released, "{path} was answered before its commit");
    }
    // Each source's exact answer shape.
    let body_of = |needle: &str| {
        &answers
            .iter()
            .find(|(p, ..)| p.contains(needle) || p == needle)
            .unwrap_or_else(|| panic!("no answer for {needle}"))
            .2
    };
    assert_eq!(body_of("/snom/event"), "");
    assert_eq!(body_of("/yealink/event"), "");
    assert_eq!(body_of("/placetel"), "");
    let zammad = answers
        .iter()
        .find(|(p, ..)| *p == format!("/cti/{TOKEN}"))
        .unwrap();
    assert_eq!(zammad.2, "{}");
    assert!(body_of("/sipgate").contains("<Response onAnswer="));
    let threecx: Value = serde_json::from_str(body_of("/3cx/journal")).unwrap();
    assert_eq!(threecx["ok"], true);
    assert!(threecx["call_id"].as_i64().is_some());
    let propstack: Value = serde_json::from_str(body_of("/v1/calls/3cx")).unwrap();
    assert_eq!(propstack["ok"], true);
    // Every answer stands for a committed call.
    let calls = journal(&srv, &key);
    for n in 1..=9 {
        let e164 = format!("+49307000{n:02}");
        assert_eq!(
            calls
                .iter()
                .filter(|c| c["remote"]["e164"] == e164.as_str())
                .count(),
            1,
            "{e164}: {calls:#?}"
        );
    }
}

/// A bad Snom event still gets the phone's empty 200 and stores nothing; a stored one is the same
/// empty 200 once committed.
#[test]
fn snom_answers_an_empty_200_for_bad_and_good_events() {
    let db = office_db("snom-bad");
    let key = db.key("lookup,journal");
    let srv = Server::start(db);
    let bad = srv.get(&format!(
        "/snom/event?ev=incoming&mac=000413000001&cid=x@y&remote=%01%02&key={key}"
    ));
    assert_empty_200(&bad, "a control character in the number");
    assert!(journal(&srv, &key).is_empty());
    let call = (
        "000413000001",
        "c1@pbx",
        "sip:111@pbx",
        "%2B4930700001",
        "111",
    );
    let good = snom(&srv, &key, "incoming", call);
    assert_empty_200(&good, "incoming");
    assert_eq!(journal(&srv, &key).len(), 1);
}

/// In a Berlin office with 3-digit extensions, a phone dialling 112 (or 0112 through the outside
/// line) makes an outbound call to 112, not an internal call to extension 112, and a call from
/// extension 120 to 130 stays internal.
#[test]
fn a_call_to_112_is_an_outbound_call_not_an_internal_one() {
    let db = office_db("service");
    let key = db.key("lookup,journal");
    let srv = Server::start(db);
    let mac = "000413000001";
    for (cid, remote) in [
        ("e1@pbx", "sip:112@pbx"),
        ("e2@pbx", "sip:0116117@pbx"),
        ("i1@pbx", "sip:130@pbx"),
    ] {
        for ev in ["outgoing", "connected", "disconnected"] {
            assert_empty_200(
                &snom(&srv, &key, ev, (mac, cid, "sip:120@pbx", remote, "120")),
                ev,
            );
        }
    }
    let calls = journal(&srv, &key);
    assert_eq!(calls.len(), 3, "{calls:#?}");
    let by_raw = |raw: &str| {
        calls
            .iter()
            .find(|c| c["remote"]["raw"] == raw)
            .unwrap_or_else(|| panic!("no call with {raw}: {calls:#?}"))
    };
    let emergency = by_raw("sip:112@pbx");
    assert_eq!(emergency["direction"], "out", "{emergency:#}");
    assert_eq!(emergency["status"], "answered");
    assert_eq!(emergency["extension"], "120");
    let doctor = by_raw("sip:0116117@pbx");
    assert_eq!(doctor["direction"], "out", "{doctor:#}");
    let internal = by_raw("sip:130@pbx");
    assert_eq!(internal["direction"], "internal", "{internal:#}");
    // Filtering by number finds the service number by its digits.
    let r = srv.request(
        "GET",
        "/api/v1/calls?number=112",
        &[("Authorization", &format!("Bearer {key}"))],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let found = r.json()["calls"].as_array().unwrap().clone();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["id"], emergency["id"]);
}

/// A withheld caller on the Sales line rings Anna's and Ben's phones (each reports its own Call-ID,
/// no number); Anna answers. At the same moment another withheld caller on the Support line rings
/// Carla. The two phones' legs are one answered call; Carla's caller is another call.
#[test]
fn a_withheld_callers_ring_group_on_snom_phones_is_one_call() {
    let db = office_db("anon-group");
    let key = db.key("lookup,journal");
    let srv = Server::start(db);
    let sales = "sip:%2B4930123450@pbx";
    let support = "sip:%2B4930123460@pbx";
    let (anna, ben, carla) = ("000413000111", "000413000120", "000413000130");
    let steps: &[(&str, &str, &str, &str, &str)] = &[
        ("incoming", anna, "a-leg@pbx", sales, "111"),
        ("incoming", ben, "b-leg@pbx", sales, "120"),
        ("incoming", carla, "c-leg@pbx", support, "130"),
        ("connected", anna, "a-leg@pbx", sales, "111"),
        ("missed", ben, "b-leg@pbx", sales, "120"),
        ("missed", carla, "c-leg@pbx", support, "130"),
        ("disconnected", anna, "a-leg@pbx", sales, "111"),
    ];
    for (ev, mac, cid, local, user) in steps {
        assert_empty_200(
            &snom(&srv, &key, ev, (mac, cid, local, "anonymous", user)),
            ev,
        );
    }
    let calls = journal(&srv, &key);
    assert_eq!(calls.len(), 2, "{calls:#?}");
    let on_line = |name: &str| {
        calls
            .iter()
            .find(|c| c["line"]["name"] == name)
            .unwrap_or_else(|| panic!("no call on {name}: {calls:#?}"))
    };
    let group = on_line("Sales");
    assert_eq!(group["direction"], "in");
    assert_eq!(group["status"], "answered", "{group:#}");
    assert_eq!(group["extension"], "111");
    let legs = detail(&srv, &key, &group["id"])["legs"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(legs, 2, "both phones' legs are kept as detail");
    let other = on_line("Support");
    assert_eq!(other["status"], "missed", "{other:#}");
    assert_eq!(other["extension"], "130");
    assert_ne!(group["id"], other["id"]);
}

/// A shared line: two desk phones registered as the same extension 111 (front desk and back
/// office) both ring for a withheld caller on the Sales line, each reporting its own leg. That is one
/// call. A second withheld caller ringing one of those phones meanwhile (call waiting, the same
/// phone) is another call.
#[test]
fn a_withheld_caller_on_a_shared_line_is_one_call_and_call_waiting_another() {
    let db = office_db("anon-shared");
    let key = db.key("lookup,journal");
    let srv = Server::start(db);
    let sales = "sip:%2B4930123450@pbx";
    let (front, back) = ("000413000111", "000413000112");
    let steps: &[(&str, &str, &str)] = &[
        ("incoming", front, "one-front@pbx"),
        ("incoming", back, "one-back@pbx"),
        ("connected", front, "one-front@pbx"),
        ("missed", back, "one-back@pbx"),
        // While the first caller talks at the front desk, a second one rings there: call waiting.
        ("incoming", front, "two-front@pbx"),
        ("missed", front, "two-front@pbx"),
        ("disconnected", front, "one-front@pbx"),
    ];
    for (ev, mac, cid) in steps {
        assert_empty_200(
            &snom(&srv, &key, ev, (mac, cid, sales, "anonymous", "111")),
            ev,
        );
    }
    let calls = journal(&srv, &key);
    assert_eq!(calls.len(), 2, "{calls:#?}");
    let answered: Vec<&Value> = calls.iter().filter(|c| c["status"] == "answered").collect();
    assert_eq!(answered.len(), 1, "{calls:#?}");
    let legs = detail(&srv, &key, &answered[0]["id"])["legs"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(legs, 2, "both phones' legs are one call");
    let waiting: Vec<&Value> = calls.iter().filter(|c| c["status"] == "missed").collect();
    assert_eq!(
        waiting.len(),
        1,
        "the call waiting is its own call: {calls:#?}"
    );
}
