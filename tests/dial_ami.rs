//! Click-to-call through Asterisk's manager interface (AMI) against the real binary: an admin sets up
//! the AMI source and the click-to-call context on the Settings page, a staff user on extension 201
//! without a desk phone clicks the call button, and a scripted fake Asterisk checks the login and
//! records the `Originate` it gets. Also what the user reads when Asterisk says no, refuses the login,
//! or is not there at all.
//!
//! The fake speaks AMI as Asterisk does (shared protocols: pbx-apis.md §2.4): a banner line, then
//! `Key: Value` frames ended by a blank line, each answer echoing the action's `ActionID`. ringbook's
//! journal source connects to the same address too (it reads `ami.host` as well), so the fake serves
//! any number of connections and keeps each one's actions apart.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery";
const AMI_USER: &str = "ringbook";
const AMI_SECRET: &str = "ami-Secret-7f3";
const CONTEXT: &str = "from-office";

/// One AMI frame as received: its `Key: Value` pairs in order.
type Frame = Vec<(String, String)>;

fn get<'a>(f: &'a Frame, key: &str) -> Option<&'a str> {
    f.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// How the fake answers an `Originate`.
#[derive(Clone, Copy)]
enum Answer {
    Queued,
    NoSuchExtension,
}

/// Every action the fake got: (connection number, frame).
type Seen = Arc<Mutex<Vec<(usize, Frame)>>>;

/// A scripted Asterisk manager interface on a free loopback port.
fn fake_ami(answer: Answer) -> (u16, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    let s = seen.clone();
    std::thread::spawn(move || {
        for (n, conn) in listener.incoming().enumerate() {
            let Ok(conn) = conn else { return };
            let s = s.clone();
            std::thread::spawn(move || serve_ami(n, conn, answer, &s));
        }
    });
    (port, seen)
}

fn read_frame(r: &mut impl BufRead) -> Option<Frame> {
    let mut frame = Frame::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if frame.is_empty() {
                continue;
            }
            return Some(frame);
        }
        let (k, v) = line.split_once(':')?;
        frame.push((k.trim().to_string(), v.trim().to_string()));
    }
}

fn serve_ami(n: usize, conn: TcpStream, answer: Answer, seen: &Seen) {
    let mut w = conn.try_clone().unwrap();
    let mut r = BufReader::new(conn);
    if w.write_all(b"Asterisk Call Manager/6.0.0\r\n").is_err() {
        return;
    }
    let mut logged_in = false;
    while let Some(f) = read_frame(&mut r) {
        seen.lock().unwrap().push((n, f.clone()));
        let id = get(&f, "ActionID").unwrap_or("").to_string();
        let reply = |w: &mut TcpStream, lines: &[(&str, &str)]| {
            let mut out = String::new();
            for (k, v) in lines {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            if !id.is_empty() {
                out.push_str(&format!("ActionID: {id}\r\n"));
            }
            out.push_str("\r\n");
            w.write_all(out.as_bytes())
        };
        let action = get(&f, "Action").unwrap_or("").to_ascii_lowercase();
        let sent = match action.as_str() {
            "login" => {
                if get(&f, "Username") == Some(AMI_USER) && get(&f, "Secret") == Some(AMI_SECRET) {
                    logged_in = true;
                    reply(
                        &mut w,
                        &[
                            ("Response", "Success"),
                            ("Message", "Authentication accepted"),
                        ],
                    )
                } else {
                    // Asterisk answers a bad login and hangs up.
                    let _ = reply(
                        &mut w,
                        &[("Response", "Error"), ("Message", "Authentication failed")],
                    );
                    return;
                }
            }
            _ if !logged_in => reply(
                &mut w,
                &[("Response", "Error"), ("Message", "Permission denied")],
            ),
            "originate" => match answer {
                Answer::Queued => reply(
                    &mut w,
                    &[
                        ("Response", "Success"),
                        ("Message", "Originate successfully queued"),
                    ],
                ),
                Answer::NoSuchExtension => reply(
                    &mut w,
                    &[
                        ("Response", "Error"),
                        ("Message", "Extension does not exist."),
                    ],
                ),
            },
            "ping" => reply(&mut w, &[("Response", "Success"), ("Ping", "Pong")]),
            "logoff" => {
                let _ = reply(
                    &mut w,
                    &[
                        ("Response", "Goodbye"),
                        ("Message", "Thanks for all the fish."),
                    ],
                );
                return;
            }
            _ => reply(
                &mut w,
                &[
                    ("Response", "Error"),
                    ("Message", "Invalid/unknown command"),
                ],
            ),
        };
        if sent.is_err() {
            return;
        }
    }
}

/// The actions of the connection that sent an `Originate`, waiting a moment for its `Logoff`.
fn dial_connection(seen: &Seen) -> Vec<Frame> {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let all = seen.lock().unwrap().clone();
        let conn = all
            .iter()
            .find(|(_, f)| get(f, "Action") == Some("Originate"))
            .map(|(n, _)| *n);
        if let Some(n) = conn {
            let frames: Vec<Frame> = all
                .into_iter()
                .filter(|(c, _)| *c == n)
                .map(|(_, f)| f)
                .collect();
            let done = frames
                .last()
                .is_some_and(|f| get(f, "Action") == Some("Logoff"));
            if done || Instant::now() > deadline {
                return frames;
            }
        } else if Instant::now() > deadline {
            return Vec::new();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn originates(seen: &Seen) -> usize {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|(_, f)| get(f, "Action") == Some("Originate"))
        .count()
}

/// A Berlin office (outside line 0), the admin `owner`, and the employee Eva on extension 201 with
/// no desk phone set up, served.
fn office() -> Server {
    let db = Db::new("dial-ami");
    db.berlin();
    let out = db.cli_with_stdin(&["user", "add", "owner", "--role", "admin"], PASSWORD);
    assert!(out.status.success(), "{out:?}");
    db.ok(&["employee", "add", "Eva"]);
    db.ok(&["extension", "assign", "201", "Eva"]);
    Server::start(db)
}

/// The admin fills in the AMI fields of the Settings page, as a person would.
fn set_up_ami(admin: &mut Client, port: u16, secret: &str) {
    let token = admin.token("/settings");
    let port = port.to_string();
    let r = admin.post(
        "/settings",
        &[
            ("csrf", &token),
            ("ami.host", "127.0.0.1"),
            ("ami.port", &port),
            ("ami.user", AMI_USER),
            ("ami.secret", secret),
            ("dial.ami_context", CONTEXT),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(!r.text().contains("class=\"notice error"), "{}", r.text());
}

/// What the call button sends (app.js: the button's form, `Accept: application/json`).
fn message(j: &serde_json::Value) -> &str {
    j["message"].as_str().unwrap_or("")
}

#[test]
fn click_to_call_originates_from_the_users_extension_through_ami() {
    let srv = office();
    let (port, seen) = fake_ami(Answer::Queued);
    let mut admin = Client::login(&srv, "owner", PASSWORD);
    set_up_ami(&mut admin, port, AMI_SECRET);
    let mut eva = staff_for(&srv, &mut admin, "Eva", "eva", PASSWORD);

    let (status, j) = dial(&mut eva, "+49 30 1234567");
    assert_eq!(status, 200, "{j}");
    assert_eq!(j["ok"], true, "{j}");
    assert!(message(&j).contains("ringing"), "{j}");

    let frames = dial_connection(&seen);
    let actions: Vec<&str> = frames
        .iter()
        .map(|f| get(f, "Action").unwrap_or(""))
        .collect();
    assert_eq!(
        actions,
        ["Login", "Originate", "Logoff"],
        "one short connection: {frames:?}"
    );
    let login = &frames[0];
    assert_eq!(get(login, "Username"), Some(AMI_USER));
    assert_eq!(get(login, "Secret"), Some(AMI_SECRET));
    let o = &frames[1];
    assert_eq!(
        get(o, "Channel"),
        Some("PJSIP/201"),
        "the user's own extension rings first: {o:?}"
    );
    assert_eq!(
        get(o, "Exten"),
        Some("00301234567"),
        "the number as the office dials it: outside line 0, then the national form: {o:?}"
    );
    assert_eq!(get(o, "Context"), Some(CONTEXT), "{o:?}");
    let priority = get(o, "Priority").unwrap_or("");
    assert!(
        !priority.is_empty() && priority.bytes().all(|b| b.is_ascii_digit()),
        "{o:?}"
    );
    assert!(get(o, "ActionID").is_some_and(|id| !id.is_empty()), "{o:?}");
    assert_eq!(
        get(o, "Async"),
        Some("true"),
        "the answer must not wait for the pick-up: {o:?}"
    );
    assert_eq!(originates(&seen), 1);

    // A changed channel template is used as the admin wrote it.
    let token = admin.token("/settings");
    let r = admin.post(
        "/settings",
        &[
            ("csrf", &token),
            ("dial.ami_channel", "Local/{extension}@from-internal"),
        ],
    );
    assert_eq!(r.status, 200);
    seen.lock().unwrap().clear();
    let (status, j) = dial(&mut eva, "201");
    assert_eq!(status, 200, "{j}");
    let frames = dial_connection(&seen);
    let o = frames
        .iter()
        .find(|f| get(f, "Action") == Some("Originate"))
        .expect("an Originate");
    assert_eq!(get(o, "Channel"), Some("Local/201@from-internal"));
    assert_eq!(
        get(o, "Exten"),
        Some("201"),
        "an extension is dialled as is"
    );

    // Without JavaScript the browser posts the form and gets a page saying the same.
    let token = eva.token("/");
    let r = eva.post(
        "/dial",
        &[
            ("csrf", &token),
            ("number", "0221 99887766"),
            ("back", "/contacts"),
        ],
    );
    assert_eq!(r.status, 200);
    assert!(r.text().contains("ringing") && r.text().contains("href=\"/contacts\""));

    // Without its CSRF token nothing reaches Asterisk.
    let before = originates(&seen);
    let r = eva.post_with("/dial", &[("number", "+49 30 1234567")], "application/json");
    assert_eq!(r.status, 403);
    assert_eq!(originates(&seen), before);

    assert!(
        !srv.log_text().contains(AMI_SECRET),
        "the log holds the AMI secret"
    );
}

#[test]
fn asterisk_refusing_the_originate_is_explained_not_a_server_error() {
    let srv = office();
    let (port, seen) = fake_ami(Answer::NoSuchExtension);
    let mut admin = Client::login(&srv, "owner", PASSWORD);
    set_up_ami(&mut admin, port, AMI_SECRET);
    let mut eva = staff_for(&srv, &mut admin, "Eva", "eva", PASSWORD);

    let (status, j) = dial(&mut eva, "+49 30 1234567");
    assert!(
        (400..500).contains(&status),
        "Asterisk's no is not a server error: {status} {j}"
    );
    assert_eq!(j["ok"], false, "{j}");
    let m = message(&j);
    assert!(m.contains("did not place the call"), "{j}");
    assert!(
        m.contains("Extension does not exist."),
        "Asterisk's reason is passed on: {j}"
    );
    assert_eq!(originates(&seen), 1);

    // The no-script page says it too.
    let token = eva.token("/");
    let r = eva.post(
        "/dial",
        &[
            ("csrf", &token),
            ("number", "+49 30 1234567"),
            ("back", "/"),
        ],
    );
    assert!((400..500).contains(&r.status), "{}", r.status);
    assert!(
        r.text().contains("Extension does not exist."),
        "{}",
        r.text()
    );
}

#[test]
fn a_wrong_ami_secret_points_to_the_settings_not_the_phone() {
    let srv = office();
    let (port, seen) = fake_ami(Answer::Queued);
    let mut admin = Client::login(&srv, "owner", PASSWORD);
    set_up_ami(&mut admin, port, "not-the-secret");
    let mut eva = staff_for(&srv, &mut admin, "Eva", "eva", PASSWORD);

    let (status, j) = dial(&mut eva, "+49 30 1234567");
    assert_eq!(status, 502, "{j}");
    assert_eq!(j["ok"], false);
    assert!(message(&j).contains("ami.secret"), "{j}");
    assert_eq!(
        originates(&seen),
        0,
        "nothing is dialled after a refused login"
    );
    assert!(!srv.log_text().contains("not-the-secret"));
}

#[test]
fn no_asterisk_listening_is_a_clear_error_within_seconds() {
    let srv = office();
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut admin = Client::login(&srv, "owner", PASSWORD);
    set_up_ami(&mut admin, port, AMI_SECRET);
    let mut eva = staff_for(&srv, &mut admin, "Eva", "eva", PASSWORD);

    let started = Instant::now();
    let (status, j) = dial(&mut eva, "+49 30 1234567");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(status, 502, "{j}");
    assert_eq!(j["ok"], false);
    let m = message(&j);
    assert!(m.contains("phone system could not be reached"), "{j}");
    assert!(m.contains("ami.host"), "it says what to check: {j}");
}

#[test]
fn a_silent_asterisk_is_given_up_on_in_time() {
    // Accepts the connection and never greets (a firewall's proxy, the wrong service on the port).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in listener.incoming().flatten() {
            held.push(c);
        }
    });
    let srv = office();
    let mut admin = Client::login(&srv, "owner", PASSWORD);
    set_up_ami(&mut admin, port, AMI_SECRET);
    let mut eva = staff_for(&srv, &mut admin, "Eva", "eva", PASSWORD);

    let started = Instant::now();
    let (status, j) = dial(&mut eva, "+49 30 1234567");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(12), "took {took:?}");
    assert_eq!(status, 502, "{j}");
    assert!(message(&j).contains("could not be reached"), "{j}");
}

/// The AMI secret, once saved, never comes back to the browser: the Settings page shows only that it
/// is set. Saving the page again with the field left empty keeps it (the next call still logs in with
/// it), and the Remove box clears it.
#[test]
fn the_settings_page_never_shows_the_ami_secret_and_an_empty_field_keeps_it() {
    let srv = office();
    let (port, seen) = fake_ami(Answer::Queued);
    let mut admin = Client::login(&srv, "owner", PASSWORD);
    set_up_ami(&mut admin, port, AMI_SECRET);

    let page = admin.get("/settings").text();
    assert!(!page.contains(AMI_SECRET), "the secret is on the page");
    assert!(
        page.contains("name=\"clear:ami.secret\""),
        "no way to remove it"
    );

    // The whole form saved again, the password field empty as the browser sends it.
    let token = csrf_of(&page);
    let r = admin.post(
        "/settings",
        &[("csrf", &token), ("ami.secret", ""), ("ami.user", AMI_USER)],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(!r.text().contains(AMI_SECRET));
    assert_eq!(
        srv.db.ok(&["settings", "get", "ami.secret"]).trim(),
        AMI_SECRET
    );
    let mut eva = staff_for(&srv, &mut admin, "Eva", "eva", PASSWORD);
    let (status, j) = dial(&mut eva, "+49 30 1234567");
    assert_eq!(status, 200, "{j}");
    assert_eq!(get(&dial_connection(&seen)[0], "Secret"), Some(AMI_SECRET));

    let token = admin.token("/settings");
    let r = admin.post(
        "/settings",
        &[
            ("csrf", &token),
            ("ami.secret", ""),
            ("clear:ami.secret", "1"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(srv.db.ok(&["settings", "get", "ami.secret"]).trim(), "");
}
