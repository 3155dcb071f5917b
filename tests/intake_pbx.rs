//! The PBX intake adapters end to end, against the real binary:
//! - a scripted fake Asterisk manager interface (plain `TcpListener` threads) that greets, checks the
//!   login and replays the raw AMI captures in `tests/fixtures/asterisk-ami/` and the scripted
//!   scenarios in `tests/fixtures/asterisk-ami/scripted/`;
//! - a fake FRITZ!Box call monitor writing RING/CALL/CONNECT/DISCONNECT lines;
//! - the Zammad generic CTI, sipgate.io and Placetel pushes replayed as their documentation shows.
//!
//! Each checks that exactly the expected logical calls come out of `GET /api/v1/calls` (direction,
//! status, extension, employee, duration), that replaying adds nothing, and that bad input is refused
//! with a clear 4xx and changes nothing.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;
use serde_json::{json, Value};

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A Berlin office whose employees hold extensions 201 to 204 and 10, 11.
fn office(tag: &str) -> Db {
    let db = Db::new(tag);
    db.berlin();
    for (name, ext) in [
        ("Anna", "201"),
        ("Bob", "202"),
        ("Carla", "203"),
        ("Dora", "204"),
        ("Emil", "10"),
        ("Fritz", "11"),
    ] {
        db.ok(&["employee", "add", name]);
        db.ok(&["extension", "assign", ext, name, "--from", "2020-01-01"]);
    }
    db
}

fn calls(srv: &Server, key: &str, query: &str) -> Vec<Value> {
    let r = srv.request(
        "GET",
        &format!("/api/v1/calls?limit=200{query}"),
        &[("Authorization", &format!("Bearer {key}"))],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["calls"].as_array().unwrap().clone()
}

/// Polls the journal until `done` holds, or fails with what was there.
fn wait_for(srv: &Server, key: &str, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = calls(srv, key, "");
        if done(&all) {
            return all;
        }
        if Instant::now() > deadline {
            panic!(
                "timed out waiting for {what}; calls: {all:#?}\nlog:\n{}",
                srv.log_text()
            );
        }
        thread::sleep(Duration::from_millis(100));
    }
}

fn all_ended(all: &[Value]) -> bool {
    all.iter().all(|c| !c["ended_at"].is_null())
}

fn by_remote<'a>(all: &'a [Value], raw: &str) -> &'a Value {
    all.iter()
        .find(|c| c["remote"]["raw"] == raw)
        .unwrap_or_else(|| panic!("no call with {raw}: {all:#?}"))
}

/// Checks direction, status, extension, employee and duration of one call.
fn expect(c: &Value, direction: &str, status: &str, ext: &str, employee: &str, duration: i64) {
    let what = format!("{c:#}");
    assert_eq!(c["direction"], direction, "{what}");
    assert_eq!(c["status"], status, "{what}");
    assert_eq!(c["extension"], ext, "{what}");
    assert_eq!(c["employee"]["name"], employee, "{what}");
    assert_eq!(c["duration"], duration, "{what}");
}

// ---------------------------------------------------------------------------------------------------
// The fake Asterisk

const CAPTURES: [&str; 4] = [
    "answered_inbound",
    "missed_inbound",
    "busy_inbound",
    "outbound",
];
const SCRIPTS: [&str; 4] = [
    "ring_group_missed",
    "queue_answered",
    "outbound_busy",
    "attended_transfer",
];

fn fixture(name: &str) -> String {
    let dir = env!("CARGO_MANIFEST_DIR");
    let path = if !CAPTURES.contains(&name) {
        format!("{dir}/tests/fixtures/asterisk-ami/scripted/{name}.txt")
    } else {
        format!("{dir}/tests/fixtures/asterisk-ami/{name}.txt")
    };
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-11-22 05:24:32` (the capture machine ran on UTC) as Unix seconds.
fn cel_time(s: &str) -> Option<i64> {
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    Some(
        days_from_civil(n(0..4)?, n(5..7)?, n(8..10)?) * 86_400
            + n(11..13)? * 3600
            + n(14..16)? * 60
            + n(17..19)?,
    )
}

/// The frames Asterisk sent in a capture or script, as a real Asterisk with `timestampevents = yes`
/// would send them, moved in time so that the call started at `base`. Scripts carry their own
/// `Timestamp:` lines; the captures were taken without, so their time is read from the CEL
/// `EventTime` and `Uniqueid` fields that were there (the capture box ran on UTC).
fn stamped(name: &str, base: i64) -> Vec<u8> {
    let text = fixture(name);
    let body = text
        .split_once("### <<< RECEIVED (raw frames follow)")
        .map(|(_, b)| b)
        .unwrap();
    let mut frames: Vec<Vec<(String, String)>> = Vec::new();
    let mut cur = Vec::new();
    for line in body.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            if !cur.is_empty() {
                frames.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let (k, v) = line.split_once(':').unwrap();
        cur.push((k.to_string(), v.trim_start().to_string()));
    }
    if !cur.is_empty() {
        frames.push(cur);
    }
    let get = |f: &[(String, String)], k: &str| {
        f.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    let scripted = frames.iter().any(|f| get(f, "Timestamp").is_some());
    let mut first: Option<i64> = None;
    let mut clock: i64 = 0;
    let mut out = String::new();
    for f in &frames {
        let t = if scripted {
            get(f, "Timestamp")
                .and_then(|t| t.split('.').next().and_then(|s| s.parse().ok()))
                .unwrap_or(clock)
        } else {
            let from_uid = get(f, "Uniqueid")
                .and_then(|u| u.split('.').next().and_then(|s| s.parse::<i64>().ok()));
            let from_cel = get(f, "EventTime").and_then(|t| cel_time(&t));
            from_cel
                .or(if clock == 0 { from_uid } else { None })
                .unwrap_or(clock)
                .max(clock)
        };
        clock = t;
        let is_event = get(f, "Event").is_some();
        if is_event && t > 0 && first.is_none() {
            first = Some(t);
        }
        let ts = format!("{}.000000", t - first.unwrap_or(t) + base);
        for (k, v) in f {
            if k == "Timestamp" {
                continue;
            }
            out.push_str(&format!("{k}: {v}\r\n"));
            if is_event && k == "Privilege" {
                out.push_str(&format!("Timestamp: {ts}\r\n"));
            }
        }
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// A short inbound call nobody else makes: the marker that a replay has been read to its end.
fn sentinel(base: i64) -> Vec<u8> {
    let l = "1700009000.90";
    let chan = |p: &str, name: &str, uid: &str, caller: &str, exten: &str| {
        format!(
            "{p}Channel: {name}\r\n{p}CallerIDNum: {caller}\r\n{p}Context: from-trunk\r\n{p}Exten: {exten}\r\n{p}Uniqueid: {uid}\r\n{p}Linkedid: {l}\r\n"
        )
    };
    let trunk = |p: &str| chan(p, "PJSIP/trunk-00000090", l, "+4930999000", "+4930123459");
    let phone = |p: &str| chan(p, "PJSIP/201-00000091", "1700009000.91", "201", "s");
    let ev = |name: &str, t: i64, rest: String| {
        format!(
            "Event: {name}\r\nPrivilege: call,all\r\nTimestamp: {}.000000\r\n{rest}\r\n",
            base + t
        )
    };
    [
        ev("Newchannel", 0, trunk("")),
        ev(
            "DialBegin",
            0,
            format!("{}{}DialString: 201\r\n", trunk(""), phone("Dest")),
        ),
        ev(
            "DialEnd",
            2,
            format!("{}{}DialStatus: ANSWER\r\n", trunk(""), phone("Dest")),
        ),
        ev("Hangup", 12, format!("{}Cause: 16\r\n", phone(""))),
        ev("Hangup", 12, format!("{}Cause: 16\r\n", trunk(""))),
    ]
    .concat()
    .into_bytes()
}

enum Plan {
    /// Greet, accept the login, send these bytes, then close or keep the connection open until the
    /// client goes away.
    Replay { data: Vec<u8>, close: bool },
    /// Accept and close at once: Asterisk restarting.
    Drop,
}

struct FakeAmi {
    port: u16,
    accepts: Arc<Mutex<Vec<Instant>>>,
    logins: Arc<Mutex<Vec<String>>>,
}

fn fake_ami(plan: Vec<Plan>) -> FakeAmi {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepts = Arc::new(Mutex::new(Vec::new()));
    let logins = Arc::new(Mutex::new(Vec::new()));
    let (a, l) = (accepts.clone(), logins.clone());
    thread::spawn(move || {
        let mut plan = plan.into_iter();
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            a.lock().unwrap().push(Instant::now());
            let (data, close) = match plan.next() {
                Some(Plan::Drop) => continue,
                Some(Plan::Replay { data, close }) => (data, close),
                None => (Vec::new(), false),
            };
            let _ = s.write_all(b"Asterisk Call Manager/13.0.0\r\n");
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut login = String::new();
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                login.push_str(&line);
            }
            l.lock().unwrap().push(login);
            let _ = s.write_all(
                b"Response: Success\r\nActionID: ringbook-login\r\nMessage: Authentication accepted\r\n\r\nEvent: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n",
            );
            let _ = s.write_all(&data);
            if !close {
                // Hold the connection until the client goes away.
                let mut sink = [0u8; 1024];
                while matches!(r.read(&mut sink), Ok(n) if n > 0) {}
            }
        }
    });
    FakeAmi {
        port,
        accepts,
        logins,
    }
}

fn configure_ami(db: &Db, port: u16) {
    db.ok(&["settings", "set", "ami.host", "127.0.0.1"]);
    db.ok(&["settings", "set", "ami.port", &port.to_string()]);
    db.ok(&["settings", "set", "ami.user", "ringbook"]);
    db.ok(&["settings", "set", "ami.secret", "s3cret-ami-pw"]);
}

/// Every capture and script, each moved to its own start time within the last few minutes (close
/// enough to our clock for its times to be trusted).
fn everything(t0: i64) -> Vec<u8> {
    let mut all = Vec::new();
    for (i, name) in CAPTURES.iter().chain(SCRIPTS.iter()).enumerate() {
        all.extend(stamped(name, t0 + 30 * i as i64));
    }
    all
}

#[test]
fn ami_scenarios_become_the_expected_calls_and_a_replay_adds_nothing() {
    let t0 = now() - 400;
    let replay = everything(t0);
    let mut second = replay.clone();
    second.extend(sentinel(now() - 60));
    let ami = fake_ami(vec![
        Plan::Replay {
            data: replay,
            close: false,
        },
        Plan::Replay {
            data: second,
            close: false,
        },
    ]);
    let db = office("ami");
    configure_ami(&db, ami.port);
    let key = db.key("journal");
    let db_path = db.path.clone();
    let mut srv = Server::start(db);

    let all = wait_for(&srv, &key, "the 8 calls of the captures and scripts", |c| {
        c.len() == 8 && all_ended(c)
    });
    // The captures from a real Asterisk (Local channels; durations from the capture's clock).
    let c = by_remote(&all, "+4930123456");
    expect(c, "in", "answered", "201", "Anna", 2);
    assert_eq!(c["sources"], json!(["ami"]));
    assert_eq!(c["end_estimated"], false);
    expect(
        by_remote(&all, "+4930555000"),
        "in",
        "missed",
        "203",
        "Carla",
        0,
    );
    expect(
        by_remote(&all, "+4930777000"),
        "in",
        "busy",
        "204",
        "Dora",
        0,
    );
    let out = by_remote(&all, "004930999888");
    assert_eq!(out["direction"], "out");
    assert_eq!(out["status"], "answered");
    assert_eq!(out["extension"], "202");
    assert_eq!(out["employee"]["name"], "Bob");
    assert_eq!(out["notify"], false);
    // 2 s of talk by the CDR; the capture's CEL clock has whole seconds.
    let d = out["duration"].as_i64().unwrap();
    assert!((2..=3).contains(&d), "{out:#}");

    // The scripted scenarios.
    let ring_group = by_remote(&all, "+4930111222");
    expect(ring_group, "in", "missed", "201", "Anna", 0);
    let legs = detail(&srv, &key, &ring_group["id"])["legs"].clone();
    assert_eq!(legs.as_array().unwrap().len(), 2, "{legs:#}");
    assert!(legs
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["cause"] == "NOANSWER"));

    let queue = by_remote(&all, "+4930333444");
    expect(queue, "in", "answered", "202", "Bob", 40);
    assert_eq!(queue["ring_seconds"], 6);
    // Local channel halves are not extra phones: one leg per queue member.
    let legs = detail(&srv, &key, &queue["id"])["legs"].clone();
    let mut exts: Vec<&str> = legs
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["extension"].as_str().unwrap())
        .collect();
    exts.sort();
    assert_eq!(exts, ["201", "202"], "{legs:#}");

    let busy = by_remote(&all, "0304567890");
    expect(busy, "out", "busy", "202", "Bob", 0);
    assert_eq!(busy["remote"]["e164"], "+49304567890");

    let transfer = by_remote(&all, "+4930555666");
    // Answered by 201 after 3 s, handed to 202 at 30 s, the caller hung up at 90 s.
    expect(transfer, "in", "answered", "202", "Bob", 87);
    let legs = detail(&srv, &key, &transfer["id"])["legs"].clone();
    let legs = legs.as_array().unwrap();
    assert_eq!(legs.len(), 2, "{legs:#?}");
    let first = legs.iter().find(|l| l["extension"] == "201").unwrap();
    assert_eq!(first["transferred_to"], "202");
    // The consultation between 201 and 202 is an internal call, kept out of the journal.
    let hidden = calls(&srv, &key, "&include_suppressed=true");
    assert_eq!(hidden.len(), 9);
    let consult = hidden
        .iter()
        .find(|c| c["suppressed"] == "internal")
        .unwrap();
    assert_eq!(consult["direction"], "internal");

    // The login as Asterisk saw it, and no secret in our log.
    let logins = ami.logins.lock().unwrap().clone();
    assert!(logins[0].starts_with("Action: Login\r\n"), "{logins:?}");
    assert!(logins[0].contains("Username: ringbook\r\nSecret: s3cret-ami-pw\r\n"));
    assert!(!srv.log_text().contains("s3cret-ami-pw"));
    let listing = srv.db.ok(&["settings", "list"]);
    assert!(
        !listing.contains("s3cret-ami-pw") && listing.contains("(set)"),
        "{listing}"
    );

    // A restarted ringbook reads the same events again (a fresh tracker, the same database): the
    // journal takes none of them twice. The sentinel call at the end shows the replay was read.
    let before: Vec<Value> = all.clone();
    let before_events = detail(&srv, &key, &queue["id"])["events"].clone();
    let _ = srv.child.kill();
    let _ = srv.child.wait();
    let db2 = Db {
        dir: TempDir::new("ami-restart"),
        path: db_path,
    };
    let srv2 = Server::start(db2);
    let after = wait_for(&srv2, &key, "the sentinel call after the replay", |c| {
        c.iter()
            .any(|c| c["remote"]["raw"] == "+4930999000" && !c["ended_at"].is_null())
    });
    assert_eq!(after.len(), before.len() + 1, "{after:#?}");
    for c in &before {
        let again = after.iter().find(|a| a["id"] == c["id"]).unwrap();
        assert_eq!(again, c);
    }
    assert_eq!(
        detail(&srv2, &key, &queue["id"])["events"],
        before_events,
        "no raw event was stored twice"
    );
    expect(
        by_remote(&after, "+4930999000"),
        "in",
        "answered",
        "201",
        "Anna",
        10,
    );
}

/// Replays scripted scenarios, each at its own start within the last few minutes, to an office set
/// up by `setup`, and returns the server, a journal key and every call (the hidden ones too) once
/// all have ended.
fn replay_scripts(
    tag: &str,
    names: &[&str],
    setup: impl FnOnce(&Db),
) -> (Server, String, Vec<Value>) {
    let t0 = now() - 400;
    let mut data = Vec::new();
    for (i, name) in names.iter().enumerate() {
        data.extend(stamped(name, t0 + 100 * i as i64));
    }
    let ami = fake_ami(vec![Plan::Replay { data, close: false }]);
    let db = office(tag);
    setup(&db);
    configure_ami(&db, ami.port);
    let key = db.key("journal");
    let srv = Server::start(db);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = calls(&srv, &key, "&include_suppressed=true");
        if all.len() >= names.len() && all_ended(&all) {
            return (srv, key, all);
        }
        if Instant::now() > deadline {
            panic!(
                "timed out waiting for {names:?}; calls: {all:#?}\nlog:\n{}",
                srv.log_text()
            );
        }
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn ami_outbound_call_through_a_chan_sip_trunk_is_outbound() {
    // `Dial(SIP/mytrunk/004930999888)`: the trunk's name is the way out, not an extension.
    let (_srv, _key, all) = replay_scripts("ami-sip-trunk", &["outbound_chan_sip_trunk"], |_| {});
    assert_eq!(all.len(), 1, "{all:#?}");
    let c = by_remote(&all, "004930999888");
    expect(c, "out", "answered", "202", "Bob", 30);
    assert_eq!(c["remote"]["e164"], "+4930999888");
    assert_eq!(c["suppressed"], Value::Null, "{c:#}");
}

#[test]
fn ami_named_endpoint_presenting_the_main_number_calls_out() {
    // alice's caller id is the company's main number, one of the office's lines: it says the call
    // is ours, not that the main number called in.
    let (_srv, _key, all) = replay_scripts("ami-named", &["outbound_named_endpoint"], |db| {
        db.ok(&["line", "add", "030 123450", "Zentrale"]);
    });
    assert_eq!(all.len(), 1, "{all:#?}");
    let c = by_remote(&all, "004930999888");
    assert_eq!(c["direction"], "out", "{c:#}");
    assert_eq!(c["status"], "answered", "{c:#}");
    assert_eq!(c["extension"], "alice", "{c:#}");
    assert_eq!(c["duration"], 20, "{c:#}");
    assert_eq!(c["remote"]["e164"], "+4930999888");
    assert_eq!(c["suppressed"], Value::Null, "{c:#}");
}

#[test]
fn ami_call_through_an_optimized_local_channel_lasts_until_its_real_end() {
    // Asterisk optimizes `Local/201@internal` away 5 s in and hangs up both halves; 201 and the
    // caller talk on until 90 s.
    let (srv, key, all) = replay_scripts("ami-local-opt", &["local_channel_optimized"], |_| {});
    assert_eq!(all.len(), 1, "{all:#?}");
    let c = by_remote(&all, "+4930444555");
    expect(c, "in", "answered", "201", "Anna", 85);
    let legs = detail(&srv, &key, &c["id"])["legs"].clone();
    assert_eq!(legs.as_array().unwrap().len(), 1, "{legs:#}");
}

#[test]
fn ami_client_reconnects_and_backs_off_while_asterisk_is_away() {
    let t0 = now() - 120;
    let ami = fake_ami(vec![
        Plan::Replay {
            data: stamped("missed_inbound", t0),
            close: true,
        },
        Plan::Drop,
        Plan::Drop,
        Plan::Drop,
        Plan::Replay {
            data: stamped("busy_inbound", t0 + 30),
            close: false,
        },
    ]);
    let db = office("ami-backoff");
    configure_ami(&db, ami.port);
    let key = db.key("journal");
    let srv = Server::start(db);
    let all = wait_for(&srv, &key, "the calls before and after the outage", |c| {
        c.len() == 2 && all_ended(c)
    });
    expect(
        by_remote(&all, "+4930555000"),
        "in",
        "missed",
        "203",
        "Carla",
        0,
    );
    expect(
        by_remote(&all, "+4930777000"),
        "in",
        "busy",
        "204",
        "Dora",
        0,
    );

    let accepts = ami.accepts.lock().unwrap().clone();
    assert_eq!(accepts.len(), 5, "one attempt per wait, no hammering");
    let gaps: Vec<f64> = accepts
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs_f64())
        .collect();
    // 0.5 s after the first connection ended, then 1 s, 2 s, 4 s while Asterisk kept hanging up.
    assert!(gaps[0] >= 0.45, "{gaps:?}");
    assert!(gaps[1] >= 0.9, "{gaps:?}");
    assert!(gaps[2] >= 1.8, "{gaps:?}");
    assert!(gaps[3] >= 3.6, "{gaps:?}");
    let log = srv.log_text();
    assert!(log.contains("trying again in"), "{log}");
    assert!(!log.contains("s3cret-ami-pw"));
}

// ---------------------------------------------------------------------------------------------------
// The fake FRITZ!Box

fn box_time(t: i64) -> String {
    let tz = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
    jiff::Timestamp::from_second(t)
        .unwrap()
        .to_zoned(tz)
        .strftime("%d.%m.%y %H:%M:%S")
        .to_string()
}

/// A call monitor that writes `lines` to each connection in turn, then closes it; the last one stays
/// open.
fn fake_fritzbox(connections: Vec<String>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let n = connections.len();
        for (i, text) in connections.into_iter().enumerate() {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            // Line by line, as the box writes them.
            for line in text.split_inclusive('\n') {
                let _ = s.write_all(line.as_bytes());
                thread::sleep(Duration::from_millis(5));
            }
            if i + 1 == n {
                let mut sink = [0u8; 64];
                while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
            }
        }
    });
    port
}

#[test]
fn fritzbox_call_monitor_lines_become_calls_and_a_replay_adds_nothing() {
    let t0 = now() - 300;
    let l = |dt: i64, rest: &str| format!("{};{rest}\r\n", box_time(t0 + dt));
    let lines = [
        l(0, "RING;0;0301234567;123450;SIP0;"),
        l(5, "CONNECT;0;10;0301234567;"),
        l(65, "DISCONNECT;0;60;"),
        l(100, "CALL;1;11;123450;0309876543;SIP0;"),
        l(120, "DISCONNECT;1;0;"),
        // Connection id 0 again: a new call.
        l(150, "RING;0;01701234567;123450;SIP0;"),
        l(175, "DISCONNECT;0;0;"),
        // Withheld caller, taken by the answering machine.
        l(200, "RING;2;;123450;SIP0;"),
        l(210, "CONNECT;2;40;;"),
        l(240, "DISCONNECT;2;30;"),
    ]
    .concat();
    let sentinel = [
        l(250, "RING;4;0305550000;123450;SIP0;"),
        l(255, "DISCONNECT;4;0;"),
    ]
    .concat();
    let port = fake_fritzbox(vec![lines.clone(), format!("{lines}{sentinel}")]);
    let db = office("fritzbox");
    db.ok(&["settings", "set", "office.timezone", "Europe/Berlin"]);
    db.ok(&["line", "add", "030 123450", "Zentrale"]);
    db.ok(&["settings", "set", "fritzbox.host", "127.0.0.1"]);
    db.ok(&["settings", "set", "fritzbox.port", &port.to_string()]);
    let key = db.key("journal");
    let srv = Server::start(db);

    let all = wait_for(&srv, &key, "the replayed call monitor", |c| {
        c.iter()
            .any(|c| c["remote"]["raw"] == "0305550000" && !c["ended_at"].is_null())
    });
    assert_eq!(all.len(), 5, "{all:#?}");
    let c = by_remote(&all, "0301234567");
    expect(c, "in", "answered", "10", "Emil", 60);
    assert_eq!(c["ring_seconds"], 5);
    assert_eq!(c["started_at"], t0);
    assert_eq!(c["line"]["name"], "Zentrale");
    assert_eq!(c["sources"], json!(["fritzbox"]));
    let out = by_remote(&all, "0309876543");
    expect(out, "out", "not_answered", "11", "Fritz", 0);
    assert_eq!(out["started_at"], t0 + 100);
    let again = by_remote(&all, "01701234567");
    assert_eq!(again["status"], "missed");
    assert_eq!(again["started_at"], t0 + 150);
    assert_ne!(again["id"], c["id"]);
    let machine = by_remote(&all, "anonymous");
    assert_eq!(machine["status"], "missed");
    assert_eq!(machine["extension"], Value::Null);
    // The second connection replayed every line before the sentinel: nothing was stored twice.
    let d = detail(&srv, &key, &c["id"]);
    assert_eq!(d["events"].as_array().unwrap().len(), 3, "{d:#}");
}

// ---------------------------------------------------------------------------------------------------
// Pushes: Zammad generic CTI, sipgate.io, Placetel

const TOKEN: &str = "tok-0123456789abcdef";

fn push_office(tag: &str) -> (Server, String) {
    let db = office(tag);
    db.ok(&["settings", "set", "cti.token", TOKEN]);
    db.ok(&[
        "settings",
        "set",
        "http.public_url",
        "https://ringbook.example.com",
    ]);
    db.ok(&["settings", "set", "placetel.secret", "pl4cetel-secret"]);
    db.ok(&["extension", "assign", "w0", "Anna", "--from", "2020-01-01"]);
    db.ok(&["extension", "assign", "w1", "Bob", "--from", "2020-01-01"]);
    db.ok(&[
        "extension",
        "assign",
        "7777abcdefg",
        "Carla",
        "--from",
        "2020-01-01",
    ]);
    let key = db.key("journal");
    (Server::start(db), key)
}

fn form(srv: &Server, path: &str, body: &str, extra: &[(&str, &str)]) -> Response {
    let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
    headers.extend_from_slice(extra);
    srv.request("POST", path, &headers, body.as_bytes())
}

fn ok(r: Response) -> Response {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r
}

/// The answer is a 4xx with a JSON reason that says what is wrong.
fn refused(r: Response, status: u16, reason: &str) {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    let msg = r.json()["error"].as_str().unwrap().to_string();
    assert!(msg.contains(reason), "{msg}");
}

#[test]
fn zammad_generic_cti_pushes_form_and_json() {
    let (srv, key) = push_office("zammad");
    let path = format!("/cti/{TOKEN}");
    let r = ok(srv.request(
        "POST",
        &path,
        &[("Content-Type", "application/json")],
        json!({"event":"newCall","from":"493055571600","to":"4930123450","direction":"in","callId":"z1","user":["Anna Arm"]})
            .to_string()
            .as_bytes(),
    ));
    assert_eq!(r.json(), json!({}));
    ok(form(&srv, &path, "event=answer&from=493055571600&to=4930123450&direction=in&callId=z1&answeringNumber=201&user=Anna+Arm", &[]));
    ok(form(&srv, &path, "event=hangup&from=493055571600&to=4930123450&direction=in&callId=z1&cause=normalClearing&answeringNumber=201", &[]));
    ok(form(&srv, &path, "event=newCall&from=anonymous&to=4930123450&direction=in&callId=z2&user%5B%5D=Anna+Arm&user%5B%5D=Bob+B", &[]));
    ok(form(
        &srv,
        &path,
        "event=hangup&from=anonymous&to=4930123450&direction=in&callId=z2&cause=noAnswer",
        &[],
    ));
    ok(form(
        &srv,
        &path,
        "event=newCall&from=202&to=02214710334&direction=out&callId=z3",
        &[],
    ));
    ok(form(
        &srv,
        &path,
        "event=hangup&from=202&to=02214710334&direction=out&callId=z3&cause=busy",
        &[],
    ));
    // The same hangup again changes nothing.
    ok(form(
        &srv,
        &path,
        "event=hangup&from=202&to=02214710334&direction=out&callId=z3&cause=busy",
        &[],
    ));

    let all = calls(&srv, &key, "");
    assert_eq!(all.len(), 3, "{all:#?}");
    let c = by_remote(&all, "+493055571600");
    assert_eq!(c["direction"], "in");
    assert_eq!(c["status"], "answered");
    assert_eq!(c["extension"], "201");
    assert_eq!(c["employee"]["name"], "Anna");
    assert_eq!(c["sources"], json!(["cti"]));
    assert_eq!(by_remote(&all, "anonymous")["status"], "missed");
    let out = by_remote(&all, "02214710334");
    expect(out, "out", "busy", "202", "Bob", 0);

    // Bad pushes: a clear 4xx, and nothing stored changes.
    let before = calls(&srv, &key, "");
    refused(
        form(
            &srv,
            "/cti/not-the-token-0000",
            "event=newCall&from=1&to=2&direction=in&callId=x1",
            &[],
        ),
        403,
        "not this box's CTI token",
    );
    refused(
        form(&srv, &path, "event=ring&callId=x2", &[]),
        400,
        "not a Zammad CTI event",
    );
    refused(
        form(&srv, &path, "event=newCall&from=1&to=2&direction=in", &[]),
        400,
        "no 'callId'",
    );
    refused(
        form(&srv, &path, "event=newCall&callId=x3&direction=up", &[]),
        400,
        "not a direction",
    );
    refused(
        srv.request(
            "POST",
            &path,
            &[("Content-Type", "application/json")],
            b"[1,2]",
        ),
        400,
        "one object",
    );
    refused(
        srv.request(
            "POST",
            &path,
            &[("Content-Type", "application/json")],
            b"{\"event\":",
        ),
        400,
        "not JSON",
    );
    refused(form(&srv, &path, "", &[]), 400, "no body");
    refused(
        form(
            &srv,
            &path,
            "event=hangup&direction=in&callId=z1&cause=bad%01cause",
            &[],
        ),
        400,
        "control characters",
    );
    assert_eq!(calls(&srv, &key, ""), before);
    assert!(!srv.log_text().contains(TOKEN));
}

#[test]
fn sipgate_new_call_subscribes_to_answer_and_hangup() {
    let (srv, key) = push_office("sipgate");
    let path = format!("/cti/{TOKEN}/sipgate");
    let r = ok(form(&srv, &path, "event=newCall&from=493055571600&to=4930123450&direction=in&callId=A1&origCallId=O1&user%5B%5D=Bob+B&userId%5B%5D=w1&fullUserId%5B%5D=1234567w1&xcid=x1", &[]));
    assert_eq!(r.header("Content-Type"), Some("application/xml"));
    assert_eq!(
        r.text(),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response onAnswer=\"https://ringbook.example.com/cti/{TOKEN}/sipgate\" onHangup=\"https://ringbook.example.com/cti/{TOKEN}/sipgate\"></Response>\n"
        )
    );
    let r = ok(form(&srv, &path, "event=answer&callId=A1&origCallId=O1&user=Bob+B&userId=w1&fullUserId=1234567w1&from=493055571600&to=4930123450&direction=in&answeringNumber=4930123450", &[]));
    assert!(r.body.is_empty());
    // Bob transfers the call to Anna's sipgate user: a new callId, the same origCallId.
    thread::sleep(Duration::from_millis(1100));
    ok(form(&srv, &path, "event=newCall&from=493055571600&to=4930123450&direction=in&callId=A2&origCallId=O1&userId%5B%5D=w0", &[]));
    ok(form(&srv, &path, "event=hangup&cause=normalClearing&callId=A1&from=493055571600&to=4930123450&direction=in&answeringNumber=4930123450", &[]));
    ok(form(&srv, &path, "event=answer&callId=A2&origCallId=O1&userId=w0&from=493055571600&to=4930123450&direction=in", &[]));
    ok(form(
        &srv,
        &path,
        "event=hangup&cause=normalClearing&callId=A2&from=493055571600&to=4930123450&direction=in",
        &[],
    ));
    // An outgoing call that finds the line busy.
    ok(form(
        &srv,
        &path,
        "event=newCall&from=4930123450&to=01701234567&direction=out&callId=B1&userId%5B%5D=w1",
        &[],
    ));
    ok(form(
        &srv,
        &path,
        "event=hangup&cause=busy&callId=B1&from=4930123450&to=01701234567&direction=out",
        &[],
    ));
    ok(form(&srv, &path, "event=dtmf&dtmf=1&callId=B1", &[]));

    let all = calls(&srv, &key, "");
    assert_eq!(all.len(), 2, "{all:#?}");
    let c = by_remote(&all, "+493055571600");
    assert_eq!(c["direction"], "in");
    assert_eq!(c["status"], "answered");
    // After the transfer the caller ended up with Anna.
    assert_eq!(c["extension"], "w0");
    assert_eq!(c["employee"]["name"], "Anna");
    assert_eq!(
        detail(&srv, &key, &c["id"])["legs"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    expect(
        by_remote(&all, "01701234567"),
        "out",
        "busy",
        "w1",
        "Bob",
        0,
    );

    let before = calls(&srv, &key, "");
    refused(form(&srv, &path, "from=1&callId=x", &[]), 400, "no 'event'");
    refused(
        form(&srv, &path, "event=newCall&from=1&to=2&callId=x", &[]),
        400,
        "direction",
    );
    refused(
        form(
            &srv,
            "/cti/wrong-token-000000/sipgate",
            "event=newCall&from=1&to=2&direction=in&callId=y",
            &[],
        ),
        403,
        "CTI token",
    );
    assert_eq!(calls(&srv, &key, ""), before);
}

#[test]
fn placetel_pushes_are_checked_against_their_signature() {
    use ringbook::vendors::placetel::hmac_sha256;
    let (srv, key) = push_office("placetel");
    let path = format!("/cti/{TOKEN}/placetel");
    let sign = |body: &str| {
        hmac_sha256(b"pl4cetel-secret", body.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let post = |path: &str, body: &str, sig: Option<&str>| {
        let mut h = Vec::new();
        if let Some(s) = sig {
            h.push(("X-PLACETEL-SIGNATURE", s));
        }
        form(&srv, path, body, &h)
    };
    let call = "call_id=4a4cbb39578170aed9a2761a7bec8c7e704a541f52291ef603d6f5f152980c3c";
    let incoming = format!("{call}&event=IncomingCall&from=022129191999&to=030123450&direction=in");
    let r = ok(post(&path, &incoming, Some(&sign(&incoming))));
    assert!(r.body.is_empty());
    let accepted = format!("{call}&event=CallAccepted&from=022129191999&to=030123450&peer=7777abcdefg%40fpbx.de&direction=in");
    // Placetel's events are also recognised on the generic URL.
    ok(post(
        &format!("/cti/{TOKEN}"),
        &accepted,
        Some(&sign(&accepted)),
    ));
    let hungup = format!(
        "{call}&event=HungUp&from=022129191999&to=030123450&type=accepted&duration=30&direction=in"
    );

    // A forged or unsigned hangup is refused and changes nothing.
    let before = calls(&srv, &key, "");
    assert_eq!(before[0]["ended_at"], Value::Null);
    refused(
        post(&path, &hungup, Some(&sign("something else"))),
        401,
        "does not match",
    );
    refused(post(&path, &hungup, None), 401, "no X-PLACETEL-SIGNATURE");
    refused(
        post(
            &path,
            "event=Ringing&call_id=x",
            Some(&sign("event=Ringing&call_id=x")),
        ),
        400,
        "not a Placetel event",
    );
    assert_eq!(calls(&srv, &key, ""), before);

    ok(post(&path, &hungup, Some(&sign(&hungup))));
    let outgoing =
        "event=OutgoingCall&from=7777abcdefg%40fpbx.de&to=01701234567&call_id=cd34&direction=out";
    ok(post(&path, outgoing, Some(&sign(outgoing))));
    let busy = "event=HungUp&from=7777abcdefg%40fpbx.de&to=01701234567&call_id=cd34&type=busy&duration=0&direction=out";
    ok(post(&path, busy, Some(&sign(busy))));

    let all = calls(&srv, &key, "");
    assert_eq!(all.len(), 2, "{all:#?}");
    let c = by_remote(&all, "022129191999");
    assert_eq!(c["direction"], "in");
    assert_eq!(c["status"], "answered");
    assert_eq!(c["extension"], "7777abcdefg");
    assert_eq!(c["employee"]["name"], "Carla");
    assert_eq!(c["sources"], json!(["placetel"]));
    expect(
        by_remote(&all, "01701234567"),
        "out",
        "busy",
        "7777abcdefg",
        "Carla",
        0,
    );
    assert!(!srv.log_text().contains("pl4cetel-secret"));
}

#[test]
fn one_caller_ringing_two_lines_at_once_makes_two_calls() {
    let (srv, key) = push_office("cti-two-lines");
    srv.db.ok(&["line", "add", "+4930123450", "Main"]);
    srv.db.ok(&["line", "add", "+4930123457", "Sales"]);
    let path = format!("/cti/{TOKEN}");
    let push = |body: &str| ok(form(&srv, &path, body, &[]));
    // The same caller reaches the main number and the sales line; Anna answers the first, nobody
    // the second.
    push("event=newCall&from=4930888999&to=4930123450&direction=in&callId=A1");
    push("event=newCall&from=4930888999&to=4930123457&direction=in&callId=B1");
    push("event=answer&from=4930888999&to=4930123450&direction=in&callId=A1&answeringNumber=201");
    push("event=hangup&from=4930888999&to=4930123457&direction=in&callId=B1&cause=noAnswer");
    push("event=hangup&from=4930888999&to=4930123450&direction=in&callId=A1&cause=normalClearing");

    let all = calls(&srv, &key, "");
    assert_eq!(all.len(), 2, "{all:#?}");
    let on = |line: &str| {
        all.iter()
            .find(|c| c["line"]["name"] == line)
            .unwrap_or_else(|| panic!("no call on {line}: {all:#?}"))
    };
    assert_eq!(on("Main")["status"], "answered");
    assert_eq!(on("Main")["extension"], "201");
    assert_eq!(
        on("Sales")["status"],
        "missed",
        "the missed call is in the list"
    );
}
