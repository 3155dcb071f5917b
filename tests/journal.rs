//! The call journal end to end: scripted event sequences go into `POST /api/v1/events` of the real
//! binary, and exactly the expected logical calls come out of `GET /api/v1/calls`, with direction,
//! status, agent and duration.

mod common;

use common::*;
use serde_json::{json, Value};

/// 2024-03-01T08:00:00Z.
const T: i64 = 1_709_280_000;
const CALLER: &str = "+49301234567";

const CONTACTS: &str = "first_name,last_name,company,office
Anna,Kundin,Kunde GmbH,030 1234567
";

/// A Berlin office with a contact and three employees on extensions 10, 11 and 12, and a journal key.
fn office_db(tag: &str) -> Db {
    let db = Db::new(tag);
    db.berlin();
    db.import_csv(CONTACTS);
    for (name, ext) in [("Anna", "10"), ("Bob", "11"), ("Carla", "12")] {
        db.ok(&["employee", "add", name]);
        db.ok(&["extension", "assign", ext, name, "--from", "2020-01-01"]);
    }
    db
}

fn office(tag: &str) -> (Server, String) {
    let db = office_db(tag);
    let key = db.key("journal");
    (Server::start(db), key)
}

fn post(srv: &Server, key: &str, body: &Value) -> Response {
    srv.request(
        "POST",
        "/api/v1/events",
        &[
            ("Authorization", &format!("Bearer {key}")),
            ("Content-Type", "application/json"),
        ],
        body.to_string().as_bytes(),
    )
}

fn post_ok(srv: &Server, key: &str, body: &Value) -> Value {
    let r = post(srv, key, body);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// An event at `T + dt` seconds.
fn ev(kind: &str, call_id: &str, dt: i64, extra: Value) -> Value {
    let mut v = json!({ "event": kind, "call_id": call_id, "time": T + dt });
    if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
        o.extend(e);
    }
    v
}

fn get(srv: &Server, key: &str, path: &str) -> Response {
    srv.request(
        "GET",
        path,
        &[("Authorization", &format!("Bearer {key}"))],
        b"",
    )
}

fn calls(srv: &Server, key: &str, query: &str) -> Vec<Value> {
    let r = get(srv, key, &format!("/api/v1/calls?{query}"));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["calls"].as_array().unwrap().clone()
}

fn the_call(srv: &Server, key: &str) -> Value {
    let all = calls(srv, key, "limit=500");
    assert_eq!(all.len(), 1, "expected exactly one call: {all:#?}");
    all[0].clone()
}

fn detail(srv: &Server, key: &str, id: &Value) -> Value {
    let r = get(srv, key, &format!("/api/v1/calls/{id}"));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn patch(srv: &Server, key: &str, id: &Value, body: &Value) -> Response {
    srv.request(
        "PATCH",
        &format!("/api/v1/calls/{id}"),
        &[("Authorization", &format!("Bearer {key}"))],
        body.to_string().as_bytes(),
    )
}

fn inbound_answered(id: &str, ext: &str, t0: i64) -> Value {
    json!([
        ev(
            "ringing",
            id,
            t0,
            json!({"remote": "030 1234567", "extension": ext, "direction": "in"})
        ),
        ev("answered", id, t0 + 5, json!({})),
        ev("hangup", id, t0 + 65, json!({"cause": "normalClearing"})),
    ])
}

#[test]
fn inbound_answered_call() {
    let (srv, key) = office("in-answered");
    let out = post_ok(&srv, &key, &inbound_answered("c1", "10", 0));
    assert_eq!(out["events"].as_array().unwrap().len(), 3);
    let c = the_call(&srv, &key);
    assert_eq!(c["direction"], "in");
    assert_eq!(c["status"], "answered");
    assert_eq!(c["started_at"], T);
    assert_eq!(c["answered_at"], T + 5);
    assert_eq!(c["ended_at"], T + 65);
    assert_eq!(c["duration"], 60);
    assert_eq!(c["ring_seconds"], 5);
    assert_eq!(c["remote"]["raw"], "030 1234567");
    assert_eq!(c["remote"]["e164"], CALLER);
    assert_eq!(c["contact"]["name"], "Anna Kundin");
    assert_eq!(c["contact"]["rule"], "exact_e164");
    assert_eq!(c["extension"], "10");
    assert_eq!(c["employee"]["name"], "Anna");
    assert_eq!(c["end_estimated"], false);
    assert_eq!(c["notify"], true);
    assert_eq!(c["sources"], json!(["api"]));
    assert_eq!(c["handling"]["status"], "open");
    assert_eq!(out["events"][0]["call_id"], c["id"]);
}

#[test]
fn inbound_missed_through_a_ring_group_is_one_missed_call() {
    let (srv, key) = office("ring-group");
    let mut seq = Vec::new();
    for (phone, ext) in [("p1", "10"), ("p2", "11"), ("p3", "12")] {
        seq.push(ev(
            "ringing",
            &format!("{phone}/call-1"),
            0,
            json!({"remote": CALLER, "extension": ext}),
        ));
    }
    for phone in ["p1", "p2", "p3"] {
        seq.push(ev("missed", &format!("{phone}/call-1"), 25, json!({})));
    }
    post_ok(&srv, &key, &Value::Array(seq));
    let c = the_call(&srv, &key);
    assert_eq!(c["status"], "missed");
    assert_eq!(c["direction"], "in");
    assert_eq!(c["duration"], 0);
    assert_eq!(c["ended_at"], T + 25);
    let d = detail(&srv, &key, &c["id"]);
    let legs = d["legs"].as_array().unwrap();
    assert_eq!(legs.len(), 3);
    assert!(legs.iter().all(|l| l["status"] == "missed"), "{legs:#?}");
    assert_eq!(d["events"].as_array().unwrap().len(), 6);
}

#[test]
fn answered_on_the_second_of_two_phones_is_that_phones_employee() {
    let (srv, key) = office("second-phone");
    post_ok(
        &srv,
        &key,
        &json!([
            ev(
                "ringing",
                "p1/x",
                0,
                json!({"remote": CALLER, "extension": "10"})
            ),
            ev(
                "ringing",
                "p2/x",
                0,
                json!({"remote": CALLER, "extension": "11"})
            ),
            ev("answered", "p2/x", 7, json!({})),
            ev("hangup", "p2/x", 37, json!({})),
        ]),
    );
    let c = the_call(&srv, &key);
    assert_eq!(c["status"], "answered");
    assert_eq!(c["employee"]["name"], "Bob");
    assert_eq!(c["extension"], "11");
    assert_eq!(c["duration"], 30);
    // Phone 1 never said anything more: it stopped ringing when phone 2 answered.
    let d = detail(&srv, &key, &c["id"]);
    let p1 = d["legs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "p1/x")
        .unwrap()
        .clone();
    assert_eq!(p1["end"], "inferred");
    assert_eq!(p1["cause"], "answered_elsewhere");
    assert_eq!(c["end_estimated"], false);
}

#[test]
fn a_transfer_is_one_call_with_the_last_agent() {
    let (srv, key) = office("transfer");
    post_ok(
        &srv,
        &key,
        &json!([
            ev(
                "ringing",
                "p1/t",
                0,
                json!({"remote": CALLER, "extension": "10"})
            ),
            ev("answered", "p1/t", 4, json!({})),
            ev("transfer", "p1/t", 40, json!({"agent": "11"})),
            ev("hangup", "p1/t", 41, json!({})),
            ev(
                "ringing",
                "p2/t",
                42,
                json!({"remote": CALLER, "extension": "11"})
            ),
            ev("answered", "p2/t", 45, json!({})),
            ev("hangup", "p2/t", 125, json!({})),
        ]),
    );
    let c = the_call(&srv, &key);
    assert_eq!(c["status"], "answered");
    assert_eq!(c["employee"]["name"], "Bob", "the caller ended up with Bob");
    assert_eq!(c["answered_at"], T + 4);
    assert_eq!(c["ended_at"], T + 125);
    assert_eq!(c["duration"], 121);
    let d = detail(&srv, &key, &c["id"]);
    let legs = d["legs"].as_array().unwrap();
    assert_eq!(legs.len(), 2);
    assert_eq!(legs[0]["transferred_to"], "11");
    assert_eq!(legs[0]["employee"]["name"], "Anna");
}

#[test]
fn outbound_answered_is_journaled_but_never_notified() {
    let (srv, key) = office("out-answered");
    post_ok(
        &srv,
        &key,
        &json!([
            ev(
                "dialing",
                "o1",
                0,
                json!({"remote": "0030 1234567", "extension": "12", "direction": "out"})
            ),
            ev("answered", "o1", 9, json!({})),
            ev("hangup", "o1", 129, json!({})),
        ]),
    );
    let c = the_call(&srv, &key);
    assert_eq!(c["direction"], "out");
    assert_eq!(c["status"], "answered");
    assert_eq!(
        c["remote"]["e164"], CALLER,
        "the outside-line prefix is removed"
    );
    assert_eq!(c["employee"]["name"], "Carla");
    assert_eq!(c["duration"], 120);
    assert_eq!(c["notify"], false);
}

#[test]
fn outbound_not_answered_and_failed_outbound_attempts() {
    let (srv, key) = office("out-not-answered");
    post_ok(
        &srv,
        &key,
        &json!([
            ev(
                "dialing",
                "o1",
                0,
                json!({"remote": CALLER, "extension": "10"})
            ),
            ev("hangup", "o1", 30, json!({"cause": "noAnswer"})),
            ev(
                "dialing",
                "o2",
                600,
                json!({"remote": "+4989123456", "extension": "10"})
            ),
            ev("hangup", "o2", 601, json!({"cause": "congestion"})),
        ]),
    );
    let all = calls(&srv, &key, "");
    assert_eq!(all.len(), 2);
    for c in &all {
        assert_eq!(c["direction"], "out", "{c}");
        assert_eq!(c["status"], "not_answered", "{c}");
        assert_eq!(c["answered_at"], Value::Null);
    }
}

#[test]
fn busy_outbound_and_busy_inbound() {
    let (srv, key) = office("busy");
    post_ok(
        &srv,
        &key,
        &json!([
            ev(
                "dialing",
                "o1",
                0,
                json!({"remote": CALLER, "extension": "10"})
            ),
            ev("hangup", "o1", 3, json!({"cause": "busy"})),
            ev(
                "ringing",
                "i1",
                900,
                json!({"remote": "+4989123456", "direction": "in"})
            ),
            ev("hangup", "i1", 901, json!({"cause": "17"})),
        ]),
    );
    let all = calls(&srv, &key, "");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["direction"], "in");
    assert_eq!(all[0]["status"], "busy");
    assert_eq!(all[1]["direction"], "out");
    assert_eq!(all[1]["status"], "busy");
}

#[test]
fn the_same_sequence_replayed_twice_adds_nothing() {
    let (srv, key) = office("replay");
    // With the source's times, and without (server time is left out of the repeat check).
    let timed = inbound_answered("c1", "10", 0);
    let untimed = json!([
        {"event": "ringing", "call_id": "c2", "remote": "+4989123456", "extension": "11"},
        {"event": "answered", "call_id": "c2"},
        {"event": "hangup", "call_id": "c2"},
    ]);
    post_ok(&srv, &key, &timed);
    post_ok(&srv, &key, &untimed);
    let before = calls(&srv, &key, "");
    let details: Vec<Value> = before
        .iter()
        .map(|c| detail(&srv, &key, &c["id"]))
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let again = post_ok(&srv, &key, &timed);
    assert!(again["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["duplicate"] == true));
    post_ok(&srv, &key, &untimed);
    assert_eq!(calls(&srv, &key, ""), before);
    for (c, d) in before.iter().zip(&details) {
        assert_eq!(&detail(&srv, &key, &c["id"]), d);
    }
}

#[test]
fn phone_and_pbx_events_for_the_same_conversation_merge() {
    let db = office_db("phone-pbx");
    db.ok(&["line", "add", "030 12345600", "Sales"]);
    let key = db.key("journal");
    let srv = Server::start(db);
    // The PBX and the phone report the same call, interleaved, with slightly different clocks and
    // number formats.
    post_ok(
        &srv,
        &key,
        &json!([
            ev(
                "ringing",
                "1709280000.17",
                0,
                json!({"source": "pbx", "group": "1709280000.17", "remote": "+49301234567", "direction": "in", "line": "+493012345600"})
            ),
            ev(
                "ringing",
                "000413aabbcc/a8c3",
                1,
                json!({"source": "phone", "remote": "sip:0301234567@pbx.local", "extension": "sip:11@pbx.local"})
            ),
            ev(
                "answered",
                "000413aabbcc/a8c3",
                6,
                json!({"source": "phone", "remote": "sip:0301234567@pbx.local"})
            ),
            ev(
                "answered",
                "1709280000.17",
                6,
                json!({"source": "pbx", "agent": "11"})
            ),
            ev(
                "hangup",
                "000413aabbcc/a8c3",
                70,
                json!({"source": "phone", "remote": "sip:0301234567@pbx.local"})
            ),
            ev(
                "hangup",
                "1709280000.17",
                71,
                json!({"source": "pbx", "cause": "16"})
            ),
        ]),
    );
    let c = the_call(&srv, &key);
    assert_eq!(c["sources"], json!(["pbx", "phone"]));
    assert_eq!(c["status"], "answered");
    assert_eq!(c["employee"]["name"], "Bob");
    assert_eq!(c["duration"], 65);
    assert_eq!(c["line"]["name"], "Sales");
    assert_eq!(c["contact"]["name"], "Anna Kundin");
    assert_eq!(
        detail(&srv, &key, &c["id"])["legs"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn the_janitor_closes_a_dangling_call() {
    let db = office_db("janitor");
    db.ok(&["settings", "set", "journal.ring_timeout", "1s"]);
    db.ok(&["settings", "set", "journal.janitor_interval", "1s"]);
    let key = db.key("journal");
    let srv = Server::start(db);
    // A Snom phone that rejects a ringing call reports nothing more.
    post_ok(
        &srv,
        &key,
        &json!({"event": "ringing", "call_id": "mac/rejected", "remote": CALLER, "extension": "10"}),
    );
    let c = the_call(&srv, &key);
    assert_eq!(c["status"], "ringing");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let c = the_call(&srv, &key);
        if c["ended_at"] != Value::Null {
            assert_eq!(c["status"], "missed");
            assert_eq!(c["end_estimated"], true);
            assert_eq!(c["ended_at"], c["started_at"]);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the janitor never closed the call: {c}\n{}",
            srv.log_text()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn policy_internal_calls_stay_out() {
    let (srv, key) = office("policy-internal");
    let out = post_ok(
        &srv,
        &key,
        &json!([
            ev(
                "dialing",
                "i1",
                0,
                json!({"remote": "11", "extension": "10"})
            ),
            ev("answered", "i1", 3, json!({})),
            ev("hangup", "i1", 20, json!({})),
        ]),
    );
    assert_eq!(out["events"][0]["journaled"], false);
    assert_eq!(out["events"][0]["suppressed"], "internal");
    assert!(calls(&srv, &key, "").is_empty());
    let hidden = calls(&srv, &key, "include_suppressed=true");
    assert_eq!(hidden.len(), 1);
    assert_eq!(hidden[0]["suppressed"], "internal");
    assert_eq!(hidden[0]["direction"], "internal");
    let r = get(&srv, &key, &format!("/api/v1/calls/{}", hidden[0]["id"]));
    assert_eq!(r.status, 404);
    // With the policy off, the same kind of call is journaled.
    srv.db
        .ok(&["settings", "set", "journal.skip_internal", "false"]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    post_ok(
        &srv,
        &key,
        &json!(ev(
            "dialing",
            "i2",
            100,
            json!({"remote": "12", "extension": "10"})
        )),
    );
    assert_eq!(calls(&srv, &key, "")[0]["direction"], "internal");
}

#[test]
fn policy_unheld_extensions_stay_out_when_set() {
    let db = office_db("policy-unheld");
    db.ok(&["settings", "set", "journal.skip_unheld_extensions", "true"]);
    let key = db.key("journal");
    let srv = Server::start(db);
    let out = post_ok(
        &srv,
        &key,
        &json!(ev(
            "ringing",
            "x1",
            0,
            json!({"remote": CALLER, "extension": "99"})
        )),
    );
    assert_eq!(out["events"][0]["suppressed"], "unheld_extension");
    assert!(calls(&srv, &key, "").is_empty());
    post_ok(
        &srv,
        &key,
        &json!(ev(
            "ringing",
            "x2",
            600,
            json!({"remote": CALLER, "extension": "10"})
        )),
    );
    assert_eq!(calls(&srv, &key, "").len(), 1);
}

#[test]
fn policy_employees_own_numbers_stay_out() {
    let db = office_db("policy-own");
    db.ok(&["employee", "add", "Dora", "--number", "0151 12345678"]);
    let key = db.key("journal");
    let srv = Server::start(db);
    let out = post_ok(
        &srv,
        &key,
        &json!([
            ev(
                "ringing",
                "m1",
                0,
                json!({"remote": "+4915112345678", "extension": "10"})
            ),
            ev(
                "dialing",
                "m2",
                100,
                json!({"remote": "015112345678", "extension": "11"})
            ),
        ]),
    );
    for e in out["events"].as_array().unwrap() {
        assert_eq!(e["suppressed"], "employee_number", "{e}");
    }
    assert!(calls(&srv, &key, "").is_empty());
    // Anyone else's number is journaled.
    post_ok(
        &srv,
        &key,
        &json!(ev(
            "ringing",
            "m3",
            200,
            json!({"remote": "+4915199999999", "extension": "10"})
        )),
    );
    assert_eq!(calls(&srv, &key, "").len(), 1);
}

#[test]
fn missed_call_closes_on_callback_and_on_a_repeat_answered_call() {
    let (srv, key) = office("auto-handle");
    let missed = |id: &str, t: i64| {
        json!([
            ev(
                "ringing",
                id,
                t,
                json!({"remote": CALLER, "extension": "10"})
            ),
            ev("missed", id, t + 20, json!({})),
        ])
    };
    post_ok(&srv, &key, &missed("m1", 0));
    // An unanswered callback does not handle it.
    post_ok(
        &srv,
        &key,
        &json!([
            ev(
                "dialing",
                "cb0",
                1800,
                json!({"remote": CALLER, "extension": "11"})
            ),
            ev("hangup", "cb0", 1830, json!({"cause": "noAnswer"})),
        ]),
    );
    let open = calls(&srv, &key, "status=missed&handling=open");
    assert_eq!(open.len(), 1);
    // Bob calls back and the caller answers.
    post_ok(
        &srv,
        &key,
        &json!([
            ev(
                "dialing",
                "cb1",
                3600,
                json!({"remote": CALLER, "extension": "11"})
            ),
            ev("answered", "cb1", 3610, json!({})),
            ev("hangup", "cb1", 3700, json!({})),
        ]),
    );
    assert!(calls(&srv, &key, "status=missed&handling=open").is_empty());
    let m1 = &calls(&srv, &key, "status=missed")[0];
    assert_eq!(m1["handling"]["status"], "handled");
    assert_eq!(m1["handling"]["how"], "callback");
    assert_eq!(m1["handling"]["by"], "Bob");
    let cb1 = calls(&srv, &key, "direction=out&status=answered");
    assert_eq!(m1["handling"]["by_call"], cb1[0]["id"]);

    // Missed again; this time the caller rings again and Carla answers.
    post_ok(&srv, &key, &missed("m2", 7200));
    post_ok(
        &srv,
        &key,
        &json!([
            ev(
                "ringing",
                "r1",
                9000,
                json!({"remote": CALLER, "extension": "12"})
            ),
            ev("answered", "r1", 9004, json!({})),
        ]),
    );
    let handled = calls(&srv, &key, "status=missed&handling=handled");
    assert_eq!(handled.len(), 2);
    assert_eq!(handled[0]["handling"]["how"], "answered_again");
    assert_eq!(handled[0]["handling"]["by"], "Carla");
}

#[test]
fn attribution_follows_the_assignment_history() {
    let db = Db::new("history");
    db.berlin();
    db.ok(&["employee", "add", "Anna"]);
    db.ok(&["employee", "add", "Bob", "--email", "bob@example.de"]);
    db.ok(&["extension", "assign", "10", "Anna", "--from", "2024-01-01"]);
    let key = db.key("journal");
    let srv = Server::start(db);
    post_ok(&srv, &key, &inbound_answered("early", "10", 0));
    // The extension passes to Bob (by id this time) while the server runs.
    let list = srv.db.ok(&["employee", "list"]);
    let bob_id = list
        .lines()
        .find(|l| l.contains("Bob"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    srv.db.ok(&[
        "extension",
        "assign",
        "10",
        &bob_id,
        "--from",
        "2024-06-01T00:00:00+02:00",
    ]);
    let later = 120 * 86_400; // 2024-06-29
    post_ok(&srv, &key, &inbound_answered("late", "10", later));
    let all = calls(&srv, &key, "");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["employee"]["name"], "Bob");
    assert_eq!(all[1]["employee"]["name"], "Anna");
    let ext = srv.db.ok(&["extension", "list"]);
    assert!(ext.contains("Bob"), "{ext}");
    assert!(ext.contains("2024-05-31T22:00:00Z"), "{ext}");
}

#[test]
fn bad_payloads_get_a_clear_4xx_and_change_nothing() {
    let (srv, key) = office("bad");
    post_ok(&srv, &key, &inbound_answered("c1", "10", 0));
    let before = calls(&srv, &key, "include_suppressed=true");
    let cases: Vec<(&[u8], &str)> =
        vec![
        (b"not json", "not JSON"),
        (b"42", "event object"),
        (b"[]", "no events"),
        (br#"{"call_id":"x"}"#, "event"),
        (br#"{"event":"ringing"}"#, "call_id"),
        (br#"{"event":"ring","call_id":"x"}"#, "not an event"),
        (br#"{"event":"ringing","call_id":"x","colour":"red"}"#, "colour"),
        (br#"{"event":"ringing","call_id":"x","direction":"sideways"}"#, "direction"),
        (br#"{"event":"ringing","call_id":"x","remote":"call me maybe"}"#, "remote"),
        (br#"{"event":"ringing","call_id":"x","time":"yesterday"}"#, "time"),
        (br#"{"event":"ringing","call_id":"x","time":"2024-03-01T08:00:00"}"#, "time zone"),
        (br#"{"event":"ringing","call_id":"x","time":4102444800}"#, "future"),
        (br#"{"event":"ringing","call_id":"x","source":"My PBX"}"#, "source"),
        (br#"{"event":"ringing","call_id":"   "}"#, "call id is empty"),
        (br#"{"event":"ringing","call_id":"x","recording_url":"ftp://x"}"#, "http"),
        // One bad event spoils the batch: the good one before it is not stored either.
        (
            br#"[{"event":"ringing","call_id":"good","remote":"+4989123456"},{"event":"hangup"}]"#,
            "event 1",
        ),
    ];
    for (body, needle) in cases {
        let r = srv.request(
            "POST",
            "/api/v1/events",
            &[("Authorization", &format!("Bearer {key}"))],
            body,
        );
        assert_eq!(
            r.status,
            400,
            "{}: {}",
            String::from_utf8_lossy(body),
            r.text()
        );
        let msg = r.json()["error"].as_str().unwrap().to_string();
        assert!(
            msg.contains(needle),
            "{}: '{msg}' should mention '{needle}'",
            String::from_utf8_lossy(body)
        );
    }
    // No key, and a key without the journal scope.
    let r = srv.request(
        "POST",
        "/api/v1/events",
        &[],
        br#"{"event":"ringing","call_id":"y"}"#,
    );
    assert_eq!(r.status, 401);
    let lookup_key = srv.db.key("lookup");
    let r = post(&srv, &lookup_key, &json!({"event":"ringing","call_id":"y"}));
    assert_eq!(r.status, 403);
    assert_eq!(get(&srv, &lookup_key, "/api/v1/calls").status, 403);
    assert_eq!(calls(&srv, &key, "include_suppressed=true"), before);
    // Bad filters.
    for q in [
        "status=lost",
        "direction=up",
        "limit=501",
        "limit=0",
        "since=soon",
        "cursor=xyz",
        "colour=red",
        "number=abc",
    ] {
        let r = get(&srv, &key, &format!("/api/v1/calls?{q}"));
        assert_eq!(r.status, 400, "{q}: {}", r.text());
    }
}

#[test]
fn pagination_with_a_cursor_and_filters() {
    let (srv, key) = office("pages");
    let mut seq = Vec::new();
    for i in 0..7 {
        let id = format!("c{i}");
        let ext = ["10", "11"][i % 2];
        seq.push(ev(
            "ringing",
            &id,
            i as i64 * 600,
            json!({"remote": format!("+49302{:06}", 100_000 + i), "extension": ext}),
        ));
        if i % 3 != 0 {
            seq.push(ev("answered", &id, i as i64 * 600 + 5, json!({})));
        }
        seq.push(ev("hangup", &id, i as i64 * 600 + 60, json!({})));
    }
    post_ok(&srv, &key, &Value::Array(seq));
    let mut seen = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let q = if cursor.is_empty() {
            "limit=3".to_string()
        } else {
            format!("limit=3&cursor={cursor}")
        };
        let r = get(&srv, &key, &format!("/api/v1/calls?{q}"));
        assert_eq!(r.status, 200, "{}", r.text());
        let page = r.json();
        pages += 1;
        for c in page["calls"].as_array().unwrap() {
            seen.push(c["started_at"].as_i64().unwrap());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
        assert!(pages < 10);
    }
    assert_eq!(pages, 3);
    let want: Vec<i64> = (0..7).rev().map(|i| T + i * 600).collect();
    assert_eq!(seen, want, "newest first, each call once");

    assert_eq!(calls(&srv, &key, "status=missed").len(), 3);
    assert_eq!(calls(&srv, &key, "status=missed,answered").len(), 7);
    assert_eq!(calls(&srv, &key, "extension=10").len(), 4);
    assert_eq!(calls(&srv, &key, "direction=out").len(), 0);
    assert_eq!(calls(&srv, &key, "number=030%202100003").len(), 1);
    assert_eq!(calls(&srv, &key, "number=%2B49302100003").len(), 1);
    let since = T + 1200;
    let until = T + 2400;
    assert_eq!(
        calls(&srv, &key, &format!("since={since}&until={until}")).len(),
        2
    );
    assert_eq!(
        calls(
            &srv,
            &key,
            "since=2024-03-01T08:30:00Z&until=2024-03-01T09:50:00%2B01:00"
        )
        .len(),
        2
    );
    let bob = calls(&srv, &key, "extension=11")[0]["employee"]["id"].clone();
    assert_eq!(calls(&srv, &key, &format!("employee={bob}")).len(), 3);
}

#[test]
fn patch_sets_description_and_handling_only_after_the_end() {
    let (srv, key) = office("patch");
    post_ok(
        &srv,
        &key,
        &json!([
            ev(
                "ringing",
                "m1",
                0,
                json!({"remote": CALLER, "extension": "10"})
            ),
            ev("missed", "m1", 20, json!({})),
            ev(
                "ringing",
                "live",
                100,
                json!({"remote": "+4989123456", "extension": "11"})
            ),
            ev("answered", "live", 103, json!({})),
        ]),
    );
    let missed = calls(&srv, &key, "status=missed")[0].clone();
    let live = calls(&srv, &key, "status=answered")[0].clone();

    // Still going on: refused, and the description in the same request is not saved either.
    let r = patch(
        &srv,
        &key,
        &live["id"],
        &json!({"description": "x", "handling": "handled"}),
    );
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .contains("still going on"));
    assert_eq!(detail(&srv, &key, &live["id"])["description"], "");
    // The description alone can be set at any time.
    let r = patch(
        &srv,
        &key,
        &live["id"],
        &json!({"description": "asks for a quote"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["description"], "asks for a quote");

    let r = patch(
        &srv,
        &key,
        &missed["id"],
        &json!({"handling": "handled", "handled_by": "Anna"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let h = &r.json()["handling"];
    assert_eq!(h["status"], "handled");
    assert_eq!(h["how"], "manual");
    assert_eq!(h["by"], "Anna");
    assert!(h["at"].as_i64().is_some());
    let r = patch(&srv, &key, &missed["id"], &json!({"handling": "open"}));
    assert_eq!(r.json()["handling"]["status"], "open");

    for (body, status) in [
        (json!({}), 400),
        (json!({"handling": "done"}), 400),
        (json!({"status": "handled"}), 400),
        (json!({"description": "x".repeat(10_001)}), 400),
    ] {
        assert_eq!(
            patch(&srv, &key, &missed["id"], &body).status,
            status,
            "{body}"
        );
    }
    assert_eq!(
        patch(&srv, &key, &json!(99999), &json!({"description": "x"})).status,
        404
    );
    assert_eq!(get(&srv, &key, "/api/v1/calls/abc").status, 404);

    // In bulk: all or nothing.
    let bulk = |ids: Value| {
        srv.request(
            "POST",
            "/api/v1/calls/handled",
            &[("Authorization", &format!("Bearer {key}"))],
            json!({"ids": ids}).to_string().as_bytes(),
        )
    };
    assert_eq!(bulk(json!([missed["id"], live["id"]])).status, 409);
    assert_eq!(calls(&srv, &key, "handling=handled").len(), 0);
    let r = bulk(json!([missed["id"]]));
    assert_eq!(r.status, 200, "{}", r.text());
    let m = detail(&srv, &key, &missed["id"]);
    assert_eq!(m["handling"]["how"], "bulk");
}

#[test]
fn an_acknowledged_event_survives_a_kill() {
    let (srv, key) = office("durable");
    post_ok(&srv, &key, &inbound_answered("c1", "10", 0));
    let mut srv = srv;
    srv.child.kill().unwrap();
    srv.child.wait().unwrap();
    let db = Db {
        dir: TempDir::new("durable-restart"),
        path: srv.db.path.clone(),
    };
    let again = Server::start(db);
    let c = the_call(&again, &key);
    assert_eq!(c["status"], "answered");
    assert_eq!(c["duration"], 60);
}

/// Durable ingest throughput through the real HTTP endpoint, with concurrent keep-alive clients each
/// sending one event per request (ringing, answered, hangup of distinct calls). Every 200 means the
/// event was committed. `RINGBOOK_BENCH_CLIENTS` (default 64), `RINGBOOK_BENCH_WORKERS` (server
/// workers, default 64) and `RINGBOOK_BENCH_EVENTS` (per client, default 1500) tune it; with 1 client
/// every event is its own commit: the baseline that group commit must beat. A batch can never hold
/// more events than there are workers, so durable events/s is bounded by workers / fsync time.
#[test]
#[ignore = "a benchmark: cargo test --release --test journal ingest_throughput -- --ignored --nocapture"]
fn ingest_throughput() {
    use std::io::{BufReader, Write};
    use std::net::TcpStream;
    use std::time::Instant;

    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let clients = env("RINGBOOK_BENCH_CLIENTS", 64);
    let per_client = env("RINGBOOK_BENCH_EVENTS", 1500) / 3 * 3;
    let workers = env("RINGBOOK_BENCH_WORKERS", 64).to_string();
    let db = office_db("bench");
    let key = db.key("journal");
    let srv = Server::start_with(db, &[("RINGBOOK_WORKERS", &workers)]);
    let addr = srv.addr;
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            let key = key.clone();
            std::thread::spawn(move || {
                let stream = TcpStream::connect(addr).unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                stream.set_nodelay(true).unwrap();
                let mut w = stream;
                let ext = ["10", "11", "12"][c % 3];
                for i in 0..per_client {
                    let call = format!("bench-{c}-{}", i / 3);
                    let body = match i % 3 {
                        0 => json!({"event": "ringing", "call_id": call,
                                    "remote": format!("+4930{:07}", 2_000_000 + c * 10_000 + i / 3),
                                    "extension": ext}),
                        1 => json!({"event": "answered", "call_id": call}),
                        _ => json!({"event": "hangup", "call_id": call}),
                    }
                    .to_string();
                    // One write per request, and no Nagle delay: the numbers measure ringbook, not TCP.
                    let req = format!(
                        "POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    w.write_all(req.as_bytes()).unwrap();
                    let r = read_response(&mut reader).unwrap();
                    assert_eq!(r.status, 200, "{}", r.text());
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let total = clients * per_client;
    // The server's own CPU time (utime + stime, in clock ticks of 10 ms), per event.
    let cpu_ms = std::fs::read_to_string(format!("/proc/{}/stat", srv.child.id()))
        .ok()
        .and_then(|s| {
            let f: Vec<&str> = s.rsplit_once(')')?.1.split_whitespace().collect();
            Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) * 10.0)
        })
        .unwrap_or(f64::NAN);
    println!(
        "server CPU {:.0} ms = {:.0} µs per event",
        cpu_ms,
        cpu_ms * 1000.0 / total as f64
    );
    let metrics = srv.get("/metrics").text();
    let commits = metrics
        .lines()
        .find(|l| l.starts_with("ringbook_writer_commits "))
        .unwrap_or("")
        .to_string();
    println!(
        "{clients} clients, {workers} workers: {total} events in {secs:.2} s = {:.0} durable events/s ({commits})",
        total as f64 / secs
    );
    assert_eq!(
        calls(&srv, &key, "limit=1")[0]["status"],
        "answered",
        "the last call is complete"
    );
}
