//! The HTTP call sources end to end: Snom and Yealink action URLs, 3CX `ReportCall`, and the Propstack
//! and CRM Senior call endpoints. Each test replays the exact request shapes of shared protocols:
//! snom-phones.md §4, §6.2 and pbx-apis.md §1 against the real binary, and reads the logical calls back
//! from `GET /api/v1/calls`.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const ANNA: &str = "+49301234567";

const CONTACTS: &str = "first_name,last_name,company,office
Anna,Kundin,Kunde GmbH,030 1234567
";

/// Anna Kundin's office is Berlin; employees Anna, Bob and Carla hold extensions 10, 11 and 12.
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

/// A served office and a key as the provisioned devices get it (lookup and journal).
fn office(tag: &str) -> (Server, String) {
    let db = office_db(tag);
    let key = db.key("lookup,journal");
    (Server::start(db), key)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn pause(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

/// The one call with this remote number.
fn with_remote<'a>(calls: &'a [Value], e164: &str) -> &'a Value {
    let found: Vec<&Value> = calls
        .iter()
        .filter(|c| c["remote"]["e164"] == e164)
        .collect();
    assert_eq!(found.len(), 1, "one call with {e164} expected: {calls:#?}");
    found[0]
}

/// A phone's GET, sent exactly as given (a `+` stays unencoded).
fn phone_get(srv: &Server, path: &str) -> Response {
    srv.get(path)
}

/// Posts a body with the key in `X-Api-Key`, as the 3CX template sends it.
fn post(srv: &Server, key: &str, path: &str, content_type: &str, body: &str) -> Response {
    srv.request(
        "POST",
        path,
        &[("X-Api-Key", key), ("Content-Type", content_type)],
        body.as_bytes(),
    )
}

fn post_json(srv: &Server, key: &str, path: &str, body: &Value) -> Response {
    post(srv, key, path, "application/json", &body.to_string())
}

/// Runs `f` and insists that the journal is exactly as before, details included.
fn changes_nothing(srv: &Server, key: &str, f: impl FnOnce()) {
    let before = journal(srv, key);
    let details: Vec<Value> = before.iter().map(|c| detail(srv, key, &c["id"])).collect();
    f();
    let after = journal(srv, key);
    assert_eq!(after, before, "the journal changed");
    for (c, d) in after.iter().zip(&details) {
        assert_eq!(&detail(srv, key, &c["id"]), d, "call {} changed", c["id"]);
    }
}

// ---------------------------------------------------------------------------------------------
// Snom (snom-phones.md §4)

const MAC: &str = "000413AABB01";

fn snom_event(key: &str, ev: &str, cid: &str, remote: &str, ext: &str) -> String {
    format!(
        "/snom/event?ev={ev}&mac={MAC}&cid={cid}&local=sip:{ext}@pbx.local&remote={remote}&id={ext}&n=1&key={key}"
    )
}

/// Three conversations on one Snom phone: an answered incoming call announced by the pop-up URL, a
/// missed call with the `+` turned into a space, and an outgoing call nobody answered.
fn snom_sequence(srv: &Server, key: &str) {
    let r = phone_get(
        srv,
        &format!(
            "/snom/incoming?key={key}&remote=sip:+49301234567@pbx.local&local=sip:10@pbx.local&cid=3c3b966053be-phxdiv27t9gm@10.0.0.1&mac={MAC}"
        ),
    );
    assert_eq!(r.status, 200);
    assert!(r.text().contains("Anna Kundin"), "{}", r.text());
    let cid = "3c3b966053be-phxdiv27t9gm@10.0.0.1";
    let remote = "sip:+49301234567@pbx.local";
    assert_empty_200(
        &phone_get(srv, &snom_event(key, "offhook", cid, remote, "10")),
        "offhook",
    );
    assert_empty_200(
        &phone_get(srv, &snom_event(key, "connected", cid, remote, "10")),
        "connected",
    );
    pause(1100);
    assert_empty_200(
        &phone_get(srv, &snom_event(key, "disconnected", cid, remote, "10")),
        "disconnected",
    );
    let cid = "7027a58643aeb25149e4861076f1b0a9@10.0.0.1";
    for ev in ["incoming", "missed"] {
        assert_empty_200(
            &phone_get(srv, &snom_event(key, ev, cid, "%20494012345678", "10")),
            ev,
        );
    }
    let cid = "out-1@10.0.0.1";
    for ev in ["outgoing", "disconnected"] {
        assert_empty_200(
            &phone_get(
                srv,
                &snom_event(key, ev, cid, "sip:004989123456@pbx.local", "10"),
            ),
            ev,
        );
    }
}

#[test]
fn snom_action_urls_make_one_call_per_conversation() {
    let (srv, key) = office("snom");
    snom_sequence(&srv, &key);
    let calls = journal(&srv, &key);
    assert_eq!(calls.len(), 3, "{calls:#?}");

    let answered = with_remote(&calls, ANNA);
    assert_eq!(answered["direction"], "in");
    assert_eq!(answered["status"], "answered");
    assert_eq!(answered["extension"], "10");
    assert_eq!(answered["employee"]["name"], "Anna");
    assert_eq!(answered["contact"]["name"], "Anna Kundin");
    assert!(answered["duration"].as_i64().unwrap() >= 1, "{answered}");
    assert_eq!(answered["sources"], json!(["snom"]));
    let d = detail(&srv, &key, &answered["id"]);
    assert_eq!(
        d["legs"][0]["key"],
        "000413aabb01/3c3b966053be-phxdiv27t9gm"
    );
    // The API key is not kept with the raw events.
    assert!(!d.to_string().contains(&key), "{d}");

    let missed = with_remote(&calls, "+494012345678");
    assert_eq!(missed["direction"], "in");
    assert_eq!(missed["status"], "missed");
    assert_eq!(missed["extension"], "10");
    assert_eq!(missed["duration"], 0);

    let out = with_remote(&calls, "+4989123456");
    assert_eq!(out["direction"], "out");
    assert_eq!(out["status"], "not_answered");
    assert_eq!(out["employee"]["name"], "Anna");
    assert_eq!(out["notify"], false);

    // The phone sends it all again: nothing changes.
    changes_nothing(&srv, &key, || snom_sequence(&srv, &key));
}

#[test]
fn snom_pop_up_shows_the_callers_last_call() {
    let (srv, key) = office("snom-last");
    let cid = "first@10.0.0.1";
    let remote = "sip:+49301234567@pbx.local";
    for ev in ["incoming", "connected", "disconnected"] {
        phone_get(&srv, &snom_event(&key, ev, cid, remote, "11"));
    }
    let popup = phone_get(
        &srv,
        &format!("/snom/incoming?key={key}&remote={remote}&local=sip:10@pbx.local&cid=second@10.0.0.1&mac={MAC}"),
    )
    .text();
    assert!(
        popup.contains("<SnomIPPhoneText state=\"relevant\">"),
        "{popup}"
    );
    assert!(popup.contains("Last call: today "), "{popup}");
    assert!(popup.contains("answered by Bob"), "{popup}");
    // The second call is journaled too, and is still ringing.
    let calls = journal(&srv, &key);
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert_eq!(calls.iter().filter(|c| c["status"] == "ringing").count(), 1);
    // A key without the journal scope still gets the pop-up, but nothing is journaled.
    let lookup_only = srv.db.key("lookup");
    changes_nothing(&srv, &key, || {
        let r = phone_get(
            &srv,
            &format!("/snom/incoming?key={lookup_only}&remote={remote}&local=sip:10@pbx.local&cid=third@10.0.0.1&mac={MAC}"),
        );
        assert!(r.text().contains("Anna Kundin"));
    });
}

#[test]
fn snom_on_hook_with_no_calls_left_ends_the_open_leg() {
    let (srv, key) = office("snom-onhook");
    let cid = "lost-disconnect@10.0.0.1";
    for ev in ["incoming", "connected"] {
        phone_get(
            &srv,
            &snom_event(&key, ev, cid, "sip:0301234567@pbx.local", "12"),
        );
    }
    // On hook while another call is still going on ends nothing.
    phone_get(
        &srv,
        &format!("/snom/event?ev=onhook&mac={MAC}&cid=$call-id&n=1&key={key}"),
    );
    assert_eq!(journal(&srv, &key)[0]["ended_at"], Value::Null);
    phone_get(
        &srv,
        &format!("/snom/event?ev=onhook&mac={MAC}&cid=&n=0&key={key}"),
    );
    let c = &journal(&srv, &key)[0];
    assert_eq!(c["status"], "answered");
    assert_ne!(c["ended_at"], Value::Null);
    assert_eq!(c["employee"]["name"], "Carla");
}

#[test]
fn snom_ringing_with_no_further_event_is_left_for_the_janitor() {
    let db = office_db("snom-janitor");
    db.ok(&["settings", "set", "journal.ring_timeout", "1s"]);
    db.ok(&["settings", "set", "journal.janitor_interval", "1s"]);
    let key = db.key("lookup,journal");
    let srv = Server::start(db);
    // The user rejects the call: a Snom phone sends nothing more (snom-phones.md §4.5, pitfall 1).
    let r = phone_get(
        &srv,
        &format!("/snom/incoming?key={key}&remote=sip:+49301234567@pbx.local&local=sip:10@pbx.local&cid=rejected@10.0.0.1&mac={MAC}"),
    );
    assert_eq!(r.status, 200);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let calls = journal(&srv, &key);
        assert_eq!(calls.len(), 1, "{calls:#?}");
        let c = &calls[0];
        if c["ended_at"] != Value::Null {
            assert_eq!(c["status"], "missed");
            assert_eq!(c["end_estimated"], true);
            break;
        }
        assert_eq!(c["status"], "ringing");
        assert!(std::time::Instant::now() < deadline, "never closed: {c}");
        pause(200);
    }
}

// ---------------------------------------------------------------------------------------------
// Yealink (snom-phones.md §6.2)

fn yealink(key: &str, ev: &str, call_id: &str, local: &str, remote: &str, user: &str) -> String {
    format!(
        "/yealink/event?ev={ev}&mac=805EC0AABB02&call_id={call_id}&local={local}&remote={remote}&active_user={user}&key={key}"
    )
}

fn yealink_sequence(srv: &Server, key: &str) {
    // Incoming: $remote is the caller.
    let (id, local, remote) = (
        "0_1234@10.0.0.5",
        "sip:11@pbx.local",
        "sip:0301234567@pbx.local",
    );
    for ev in ["incoming_call", "call_established"] {
        assert_empty_200(
            &phone_get(srv, &yealink(key, ev, id, local, remote, "11")),
            ev,
        );
    }
    pause(1100);
    assert_empty_200(
        &phone_get(
            srv,
            &yealink(key, "call_terminated", id, local, remote, "11"),
        ),
        "terminated",
    );
    // Outgoing: $local is the caller (us) and $remote the callee.
    let (id, local, remote) = (
        "0_5678@10.0.0.5",
        "sip:12@pbx.local",
        "sip:004989123456@pbx.local",
    );
    for ev in ["outgoing_call", "remote_busy", "idle_to_busy"] {
        assert_empty_200(
            &phone_get(srv, &yealink(key, ev, id, local, remote, "12")),
            ev,
        );
    }
    // Missed: the caller gave up.
    let (id, local, remote) = ("0_9999@10.0.0.5", "sip:10@pbx.local", "anonymous");
    for ev in ["incoming_call", "call_remote_canceled"] {
        assert_empty_200(
            &phone_get(srv, &yealink(key, ev, id, local, remote, "10")),
            ev,
        );
    }
}

#[test]
fn yealink_action_urls_keep_the_other_party_in_both_directions() {
    let (srv, key) = office("yealink");
    yealink_sequence(&srv, &key);
    let calls = journal(&srv, &key);
    assert_eq!(calls.len(), 3, "{calls:#?}");
    let inbound = with_remote(&calls, ANNA);
    assert_eq!(inbound["direction"], "in");
    assert_eq!(inbound["status"], "answered");
    assert_eq!(inbound["employee"]["name"], "Bob");
    assert!(inbound["duration"].as_i64().unwrap() >= 1);
    let outbound = with_remote(&calls, "+4989123456");
    assert_eq!(outbound["direction"], "out");
    assert_eq!(outbound["status"], "busy");
    assert_eq!(outbound["extension"], "12");
    assert_eq!(outbound["employee"]["name"], "Carla");
    let withheld: Vec<&Value> = calls
        .iter()
        .filter(|c| c["remote"]["raw"] == "anonymous")
        .collect();
    assert_eq!(withheld.len(), 1);
    assert_eq!(withheld[0]["status"], "missed");
    assert_eq!(withheld[0]["sources"], json!(["yealink"]));
    changes_nothing(&srv, &key, || yealink_sequence(&srv, &key));
}

// ---------------------------------------------------------------------------------------------
// 3CX ReportCall (pbx-apis.md §1.4, §1.5)

/// A ReportCall body exactly as the generated template posts it.
#[allow(clippy::too_many_arguments)]
fn report(
    call_type: &str,
    direction: &str,
    number: &str,
    agent: &str,
    duration: &str,
    seconds: &str,
    date_time: &str,
    start: &str,
    end: &str,
) -> Value {
    json!({
        "call_type": call_type,
        "direction": direction,
        "number": number,
        "name": "[Name]",
        "agent": agent,
        "agent_first_name": "[AgentFirstName]",
        "duration": duration,
        "duration_seconds": seconds,
        "date_time": date_time,
        "start_utc": start,
        "end_utc": end,
        "entity_id": "[EntityId]",
        "entity_type": "[EntityType]"
    })
}

fn threecx_reports() -> Vec<Value> {
    vec![
        report(
            "Inbound",
            "Inbound",
            "+49301234567",
            "11",
            "00:01:05",
            "65",
            "01.03.2024 09:15:00",
            "2024-03-01T08:15:00Z",
            "2024-03-01T08:16:15Z",
        ),
        report(
            "Outbound",
            "Outbound",
            "+4989123456",
            "12",
            "00:02:00",
            "120",
            "01.03.2024 10:00:00",
            "2024-03-01T09:00:00Z",
            "2024-03-01T09:02:05Z",
        ),
        report(
            "Missed",
            "Inbound",
            "+4940123456",
            "10",
            "00:00:00",
            "0",
            "01.03.2024 11:00:00",
            "2024-03-01T10:00:00Z",
            "2024-03-01T10:00:25Z",
        ),
        report(
            "Notanswered",
            "Outbound",
            "+4940999888",
            "12",
            "00:00:00",
            "0",
            "01.03.2024 12:00:00",
            "2024-03-01T11:00:00Z",
            "2024-03-01T11:00:30Z",
        ),
        // A 3CX that fills neither UTC time nor the seconds: the local [DateTime] and [Duration].
        report(
            "Inbound",
            "[CallDirection]",
            "030 555666",
            "10",
            "0:00:30",
            "[DurationSeconds]",
            "01.03.2024 13:00",
            "[StartUtc]",
            "[EndUtc]",
        ),
    ]
}

/// A hand-written template posting a form (pbx-apis.md §1.5).
const FORM_REPORT: &str = "call_type=Missed&number=%2B4930777888&agent=11&duration=00%3A00%3A00&date_time=3%2F1%2F2024+2%3A00%3A00+PM";

fn post_threecx(srv: &Server, key: &str) -> Vec<Value> {
    let mut acks: Vec<Value> = threecx_reports()
        .iter()
        .map(|r| {
            let a = post_json(srv, key, "/3cx/journal", r);
            assert_eq!(a.status, 200, "{r}: {}", a.text());
            a.json()
        })
        .collect();
    let a = post(
        srv,
        key,
        "/3cx/journal",
        "application/x-www-form-urlencoded",
        FORM_REPORT,
    );
    assert_eq!(a.status, 200, "{}", a.text());
    acks.push(a.json());
    acks
}

#[test]
fn threecx_report_call_journals_the_four_call_types() {
    let (srv, key) = office("threecx");
    let acks = post_threecx(&srv, &key);
    assert!(
        acks.iter()
            .all(|a| a["ok"] == true && a["duplicate"] == false),
        "{acks:#?}"
    );
    let calls = journal(&srv, &key);
    assert_eq!(calls.len(), 6, "{calls:#?}");
    // 2024-03-01T08:15:00Z
    let t = 1_709_280_900;

    let c = with_remote(&calls, ANNA);
    assert_eq!(
        (c["direction"].as_str(), c["status"].as_str()),
        (Some("in"), Some("answered"))
    );
    assert_eq!(c["started_at"], t);
    assert_eq!(c["answered_at"], t + 10);
    assert_eq!(c["ended_at"], t + 75);
    assert_eq!(c["duration"], 65);
    assert_eq!(c["employee"]["name"], "Bob");
    assert_eq!(c["contact"]["name"], "Anna Kundin");
    assert_eq!(c["sources"], json!(["3cx"]));

    let c = with_remote(&calls, "+4989123456");
    assert_eq!(
        (c["direction"].as_str(), c["status"].as_str()),
        (Some("out"), Some("answered"))
    );
    assert_eq!(c["duration"], 120);
    assert_eq!(c["employee"]["name"], "Carla");
    assert_eq!(c["notify"], false);

    let c = with_remote(&calls, "+4940123456");
    assert_eq!(
        (c["direction"].as_str(), c["status"].as_str()),
        (Some("in"), Some("missed"))
    );
    assert_eq!(c["duration"], 0);
    assert_eq!(c["extension"], "10");
    assert_eq!(c["employee"]["name"], "Anna");

    let c = with_remote(&calls, "+4940999888");
    assert_eq!(
        (c["direction"].as_str(), c["status"].as_str()),
        (Some("out"), Some("not_answered"))
    );
    assert_eq!(c["employee"]["name"], "Carla");

    // 13:00 in Berlin (UTC+1 in March) is 12:00 UTC.
    let c = with_remote(&calls, "+4930555666");
    assert_eq!(c["status"], "answered");
    assert_eq!(c["started_at"], t + 3 * 3600 + 45 * 60);
    assert_eq!(c["duration"], 30);
    assert_eq!(c["employee"]["name"], "Anna");

    // The form: 2 PM in the US order (3/1) is 14:00 Berlin, 13:00 UTC.
    let c = with_remote(&calls, "+4930777888");
    assert_eq!(c["status"], "missed");
    assert_eq!(c["started_at"], t + 4 * 3600 + 45 * 60);
    assert_eq!(c["employee"]["name"], "Bob");

    // 3CX posts it all again: every report is a duplicate and nothing changes.
    changes_nothing(&srv, &key, || {
        let again = post_threecx(&srv, &key);
        for (a, b) in again.iter().zip(&acks) {
            assert_eq!(a["duplicate"], true, "{a}");
            assert_eq!(a["call_id"], b["call_id"]);
        }
    });
}

#[test]
fn snom_events_and_threecx_report_for_one_conversation_merge() {
    let (srv, key) = office("snom-3cx");
    let start = now();
    let cid = "merge-1@10.0.0.1";
    let remote = "sip:+49301234567@pbx.local";
    phone_get(
        &srv,
        &format!(
            "/snom/incoming?key={key}&remote={remote}&local=sip:11@pbx.local&cid={cid}&mac={MAC}"
        ),
    );
    phone_get(&srv, &snom_event(&key, "connected", cid, remote, "11"));
    pause(1100);
    phone_get(&srv, &snom_event(&key, "disconnected", cid, remote, "11"));
    let end = now();
    let utc = |t: i64| {
        jiff::Timestamp::from_second(t)
            .unwrap()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let dur = end - start;
    let r = post_json(
        &srv,
        &key,
        "/3cx/journal",
        &report(
            "Inbound",
            "Inbound",
            "0301234567",
            "11",
            &format!("00:00:{dur:02}"),
            &dur.to_string(),
            "[DateTime]",
            &utc(start),
            &utc(end),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let calls = journal(&srv, &key);
    assert_eq!(calls.len(), 1, "one conversation, one call: {calls:#?}");
    let c = &calls[0];
    assert_eq!(c["sources"], json!(["3cx", "snom"]));
    assert_eq!(c["status"], "answered");
    assert_eq!(c["direction"], "in");
    assert_eq!(c["employee"]["name"], "Bob");
    assert_eq!(
        detail(&srv, &key, &c["id"])["legs"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

// ---------------------------------------------------------------------------------------------
// Propstack (seed 004, pbx-apis.md §1.9)

fn propstack_posts() -> Vec<Value> {
    vec![
        json!({"duration": "00:01:05", "direction": "in", "from": "+49301234567", "to": "11"}),
        json!({"duration": "00:02:00", "direction": "out", "from": "12", "to": "+4989123456"}),
        json!({"duration": "00:00:00", "direction": "in", "from": "+4940123456", "to": "10", "hangup_cause": "notAnswered"}),
        json!({"duration": "00:00:00", "direction": "out", "from": "12", "to": "+4940999888", "hangup_cause": "notAnswered"}),
    ]
}

fn propstack_phone_requests(key: &str) -> Vec<String> {
    let q = |rest: &str| format!("/v1/calls/phone?key={key}&type=snom&{rest}");
    vec![
        q("direction=in&from=%2B4930777888&to=10&event=incoming&duration=00:00"),
        q("direction=in&from=%2B4930777888&to=10&event=connected&duration=00:00"),
        q("direction=in&from=%2B4930777888&to=10&event=disconnected&duration=00:01"),
        q("direction=out&from=11&to=%2B4930222333&event=hangup&duration=01:30"),
        q("direction=in&from=%2B4930444555&to=12&event=missed&duration=00:00"),
    ]
}

fn send_propstack(srv: &Server, key: &str) -> Vec<Value> {
    let mut ids = Vec::new();
    for body in propstack_posts() {
        let r = srv.request(
            "POST",
            "/v1/calls/3cx",
            &[("X-API-KEY", key), ("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{body}: {}", r.text());
        assert_eq!(r.json()["ok"], true);
        ids.push(r.json()["id"].clone());
    }
    for (i, path) in propstack_phone_requests(key).iter().enumerate() {
        let r = srv.get(path);
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        ids.push(r.json()["id"].clone());
        if i == 1 {
            pause(1100);
        }
    }
    ids
}

#[test]
fn propstack_call_reports_in_the_seed_shapes() {
    let (srv, key) = office("propstack");
    let ids = send_propstack(&srv, &key);
    let calls = journal(&srv, &key);
    assert_eq!(calls.len(), 7, "{calls:#?}");

    let c = with_remote(&calls, ANNA);
    assert_eq!(
        (c["direction"].as_str(), c["status"].as_str()),
        (Some("in"), Some("answered"))
    );
    assert_eq!(c["duration"], 65);
    assert_eq!(c["employee"]["name"], "Bob");
    assert_eq!(c["sources"], json!(["propstack"]));
    let c = with_remote(&calls, "+4989123456");
    assert_eq!(
        (c["direction"].as_str(), c["status"].as_str()),
        (Some("out"), Some("answered"))
    );
    assert_eq!(c["duration"], 120);
    assert_eq!(c["employee"]["name"], "Carla");
    let c = with_remote(&calls, "+4940123456");
    assert_eq!(
        (c["direction"].as_str(), c["status"].as_str()),
        (Some("in"), Some("missed"))
    );
    assert_eq!(c["employee"]["name"], "Anna");
    let c = with_remote(&calls, "+4940999888");
    assert_eq!(
        (c["direction"].as_str(), c["status"].as_str()),
        (Some("out"), Some("not_answered"))
    );

    // GET /v1/calls/phone: the three events of one call are one call.
    let c = with_remote(&calls, "+4930777888");
    assert_eq!(
        (c["direction"].as_str(), c["status"].as_str()),
        (Some("in"), Some("answered"))
    );
    assert!(c["duration"].as_i64().unwrap() >= 1, "{c}");
    assert_eq!(c["employee"]["name"], "Anna");
    assert_eq!(ids[4], ids[5]);
    assert_eq!(ids[5], ids[6]);
    let c = with_remote(&calls, "+4930222333");
    assert_eq!(
        (c["direction"].as_str(), c["status"].as_str()),
        (Some("out"), Some("answered"))
    );
    assert_eq!(c["duration"], 90);
    assert_eq!(c["employee"]["name"], "Bob");
    let c = with_remote(&calls, "+4930444555");
    assert_eq!(
        (c["direction"].as_str(), c["status"].as_str()),
        (Some("in"), Some("missed"))
    );

    changes_nothing(&srv, &key, || {
        assert_eq!(send_propstack(&srv, &key), ids);
    });
}

// ---------------------------------------------------------------------------------------------
// CRM Senior (seed 001, pbx-apis.md §1.9)

fn consult(srv: &Server, key: &str, phone: &str) -> String {
    let r = srv.request(
        "GET",
        &format!("/cti3cx/consult-phone/{phone}"),
        &[("token_crm", key), ("tenant", "office")],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["contact"][0]["customvalue"]
        .as_str()
        .unwrap()
        .to_string()
}

fn end_call(srv: &Server, key: &str, id: &str, body: &str) -> Response {
    srv.request(
        "PUT",
        &format!("/cti3cx/end-call/{id}"),
        &[
            ("token_crm", key),
            ("tenant", "office"),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    )
}

/// The end-call body with times in Berlin, as CRM Senior's template writes them.
fn end_body(call_type: &str, phone: &str, start: i64, end: i64, agent: &str) -> String {
    let tz = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
    let local = |t: i64| {
        jiff::Timestamp::from_second(t)
            .unwrap()
            .to_zoned(tz.clone())
    };
    json!({
        "data": local(start).strftime("%d/%m/%Y").to_string(),
        "hora_inicio": local(start).strftime("%H:%M:%S").to_string(),
        "hora_fim": local(end).strftime("%H:%M:%S").to_string(),
        "telefone": phone,
        "calltype": call_type,
        "agent": agent,
    })
    .to_string()
}

#[test]
fn crm_senior_consult_opens_the_call_and_end_call_closes_it() {
    let (srv, key) = office("crmsenior");
    let t0 = now();
    let id = consult(&srv, &key, "49301234567");
    assert!(
        id.parse::<i64>().is_ok(),
        "customvalue is the call id: {id:?}"
    );
    // 3CX asks again while the call rings: the same call.
    assert_eq!(consult(&srv, &key, "49301234567"), id);
    let calls = journal(&srv, &key);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["id"].to_string(), id);
    assert_eq!(calls[0]["status"], "ringing");
    assert_eq!(calls[0]["direction"], "in");

    let body = end_body("Inbound", "49301234567", t0 - 2, t0 + 63, "11");
    let r = end_call(&srv, &key, &id, &body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.json()["success"].as_str().unwrap().contains(&id),
        "{}",
        r.text()
    );
    let c = &journal(&srv, &key)[0];
    assert_eq!(c["status"], "answered");
    assert_eq!(c["duration"], 65);
    assert_eq!(c["employee"]["name"], "Bob");
    assert_eq!(c["contact"]["name"], "Anna Kundin");
    assert_eq!(c["sources"], json!(["crmsenior"]));

    // An unknown caller still gets a call (the placeholder answers the lookup) and can be missed.
    let missed = consult(&srv, &key, "494098765432");
    assert_ne!(missed, id);
    let r = end_call(
        &srv,
        &key,
        &missed,
        &end_body("Missed", "494098765432", t0, t0 + 20, "12"),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let calls = journal(&srv, &key);
    assert_eq!(calls.len(), 2);
    let c = with_remote(&calls, "+494098765432");
    assert_eq!(c["status"], "missed");
    assert_eq!(c["employee"]["name"], "Carla");

    // The same end-call again changes nothing.
    changes_nothing(&srv, &key, || {
        let r = end_call(&srv, &key, &id, &body);
        assert_eq!(r.status, 200, "{}", r.text());
    });
}

// ---------------------------------------------------------------------------------------------
// Bad input, every adapter: a clear 4xx (or a phone's empty 200) and nothing stored changes.

#[test]
fn bad_payloads_get_a_clear_answer_and_change_nothing() {
    let (srv, key) = office("bad");
    // One call of each source exists, so that a bad request could only change it.
    snom_sequence(&srv, &key);
    post_threecx(&srv, &key);
    let id = consult(&srv, &key, "49301234567");
    let ok_end = end_body("Inbound", "49301234567", now() - 10, now(), "11");
    assert_eq!(end_call(&srv, &key, &id, &ok_end).status, 200);
    let lookup_only = srv.db.key("lookup");

    changes_nothing(&srv, &key, || {
        // Phones: an empty 200 whatever they send, an empty 401 without a key.
        for path in [
            format!("/snom/event?mac={MAC}&cid=x@y&key={key}"),
            format!("/snom/event?ev=ringing&mac={MAC}&cid=x@y&key={key}"),
            format!("/snom/event?ev=connected&mac={MAC}&key={key}"),
            format!("/snom/event?ev=incoming&mac={MAC}&cid=$call-id&remote=%2B4930111&key={key}"),
            format!("/snom/event?ev=disconnected&mac={MAC}&cid=@host&key={key}"),
            format!("/snom/event?ev=incoming&mac={MAC}&cid=x@y&remote=%01%02&key={key}"),
            format!("/yealink/event?ev=bogus&call_id=1&key={key}"),
            format!("/yealink/event?ev=incoming_call&remote=0301234567&key={key}"),
            format!("/yealink/event?ev=call_established&call_id=$call_id&key={key}"),
        ] {
            assert_empty_200(&srv.get(&path), &path);
        }
        for path in [
            "/snom/event?ev=incoming&mac=000413AABB01&cid=x&remote=0301234567".to_string(),
            "/yealink/event?ev=incoming_call&call_id=1&remote=0301234567&key=wrong".to_string(),
            format!("/snom/event?ev=incoming&cid=x&remote=0301234567&key={lookup_only}"),
        ] {
            let r = srv.get(&path);
            assert!(matches!(r.status, 401 | 403), "{path}: {}", r.status);
            assert!(r.body.is_empty(), "{path}");
        }

        // 3CX: 400 with the reason, 401 without a key.
        let good = threecx_reports()[0].clone();
        let with = |k: &str, v: Value| {
            let mut b = good.clone();
            b[k] = v;
            b.to_string()
        };
        for (body, needle) in [
            ("not json".to_string(), "neither JSON nor a form"),
            ("{\"call_type\":".to_string(), "not JSON"),
            ("[1,2]".to_string(), "JSON object"),
            (String::new(), "empty"),
            (with("call_type", json!("Forwarded")), "call_type"),
            (with("call_type", json!("[CallType]")), "call_type"),
            (with("duration_seconds", json!("a while")), "duration"),
            (with("start_utc", json!("yesterday")), "start_utc"),
            (with("end_utc", json!("2024-02-01T08:00:00Z")), "before"),
            (with("number", json!("sip:\u{1}@x")), "control"),
        ] {
            let r = post(&srv, &key, "/3cx/journal", "application/json", &body);
            assert_eq!(r.status, 400, "{body}: {}", r.text());
            let e = r.json()["error"].as_str().unwrap().to_string();
            assert!(e.contains(needle), "{body}: {e}");
        }
        let mut future = good.clone();
        future["start_utc"] = json!("2099-03-01T08:15:00Z");
        future["end_utc"] = json!("2099-03-01T08:16:15Z");
        let r = post_json(&srv, &key, "/3cx/journal", &future);
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(r.text().contains("future"), "{}", r.text());
        let mut no_times = good.clone();
        no_times["start_utc"] = json!("[StartUtc]");
        no_times["date_time"] = json!("1st of March");
        let r = post_json(&srv, &key, "/3cx/journal", &no_times);
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(r.text().contains("date_time"), "{}", r.text());
        let r = srv.request("POST", "/3cx/journal", &[], good.to_string().as_bytes());
        assert_eq!(r.status, 401);
        assert!(r.json()["error"].is_string());
        let r = post_json(&srv, &lookup_only, "/3cx/journal", &good);
        assert_eq!(r.status, 403, "{}", r.text());

        // Propstack.
        for body in [
            json!({"duration": "00:01:05", "direction": "sideways", "from": "+49301234567", "to": "11"}),
            json!({"duration": "00:01:05", "from": "+49301234567", "to": "11"}),
            json!({"duration": "a minute", "direction": "in", "from": "+49301234567", "to": "11"}),
            json!({"duration": "00:01:05", "direction": "in"}),
        ] {
            let r = post_json(&srv, &key, "/v1/calls/3cx", &body);
            assert_eq!(r.status, 400, "{body}: {}", r.text());
            assert!(r.json()["error"].is_string());
        }
        for q in [
            "direction=in&from=%2B4930777888&to=10&event=exploded",
            "from=%2B4930777888&to=10&event=incoming",
            "direction=in&from=%2B4930777888&to=10&event=hangup&duration=soon",
            "direction=in&event=hangup",
        ] {
            let r = srv.get(&format!("/v1/calls/phone?key={key}&{q}"));
            assert_eq!(r.status, 400, "{q}: {}", r.text());
            assert!(r.json()["error"].is_string());
        }

        // CRM Senior: {"error": ...} for a bad id or body.
        for (call, body, status) in [
            ("999999", ok_end.clone(), 404),
            ("abc", ok_end.clone(), 404),
            (id.as_str(), "not json".to_string(), 400),
            (id.as_str(), "{\"calltype\":\"Inbound\"}".to_string(), 400),
            (id.as_str(), ok_end.replace("Inbound", "Transferred"), 400),
            (
                id.as_str(),
                ok_end.replace("\"hora_fim\":\"", "\"hora_fim\":\"x"),
                400,
            ),
        ] {
            let r = end_call(&srv, &key, call, &body);
            assert_eq!(r.status, status, "{call} {body}: {}", r.text());
            let j = r.json();
            assert!(j["error"].is_string() && j.get("success").is_none(), "{j}");
        }
        let r = srv.request(
            "PUT",
            &format!("/cti3cx/end-call/{id}"),
            &[("tenant", "office")],
            ok_end.as_bytes(),
        );
        assert_eq!(r.status, 401);
        assert!(r.json()["error"].is_string());
    });
}

#[test]
fn a_plus_sent_unencoded_in_a_form_report_stays_a_plus() {
    let (srv, key) = office("intake-form-plus");
    let start = now() - 120;
    let utc = |t: i64| {
        jiff::Timestamp::from_second(t)
            .unwrap()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    // The digits after the `+` also read as a valid national number (0 49221335906), so a `+`
    // trimmed away as a space would file the call under +4949221335906.
    let body = |number: &str| {
        format!(
            "call_type=Notanswered&number={number}&agent=11&duration=00:00:00&start_utc={}&end_utc={}",
            utc(start),
            utc(start + 20)
        )
    };
    let form = "application/x-www-form-urlencoded";
    let r = post(&srv, &key, "/3cx/journal", form, &body("+49221335906"));
    assert_eq!(r.status, 200, "{}", r.text());
    let calls = journal(&srv, &key);
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!(
        calls[0]["remote"]["e164"], "+49221335906",
        "{:#?}",
        calls[0]
    );
    // The same report with the `+` encoded is the same call, a repeat.
    let r = post(&srv, &key, "/3cx/journal", form, &body("%2B49221335906"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(journal(&srv, &key).len(), 1);
    // The Propstack seed's phone events read a `+` sent as a space the same way.
    let r = srv.get(&format!(
        "/v1/calls/phone?direction=in&from=%204940774158&to=11&event=incoming&key={key}"
    ));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        journal(&srv, &key)
            .iter()
            .any(|c| c["remote"]["e164"] == "+4940774158"),
        "{:#?}",
        journal(&srv, &key)
    );
}
