//! Call actions in the web UI against the real binary: screen-pop actions in the Bpium shape (JSON API
//! and the live event stream), click-to-call to a fake Snom phone that demands HTTP Digest and a fake
//! Yealink that demands Basic, the plain-words answers when it fails, desk phone settings that never
//! show the password back, and the Users page (create, disable, reset) with session and CSRF.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use md5::{Digest, Md5};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";
const PHONE_USER: &str = "admin";
const PHONE_PASSWORD: &str = "desk-Secret-42";

const CONTACTS: &str = "Vorname;Nachname;Firma;Telefon
Anna;Müller;Bäckerei Müller;030 1234567
";

/// A Berlin office (outside line 0) with Anna Müller as a contact, the admin `owner`, and the
/// employee Eva on extension 201.
fn office() -> (Server, String) {
    let db = Db::new("ui-actions");
    db.berlin();
    db.import_csv(CONTACTS);
    let out = db.cli_with_stdin(&["user", "add", "owner", "--role", "admin"], PASSWORD);
    assert!(out.status.success(), "{out:?}");
    db.ok(&["employee", "add", "Eva"]);
    db.ok(&["extension", "assign", "201", "Eva"]);
    let key = db.key("journal");
    (Server::start(db), key)
}

fn post_event(srv: &Server, key: &str, body: serde_json::Value) {
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

/// The id of the call with this source key, from the journal API.
fn call_id(srv: &Server, key: &str, remote_digits: &str) -> i64 {
    let r = srv.request(
        "GET",
        "/api/v1/calls",
        &[("Authorization", &format!("Bearer {key}"))],
        b"",
    );
    let j = r.json();
    j["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["remote"]["e164"]
                .as_str()
                .unwrap_or("")
                .ends_with(remote_digits)
        })
        .unwrap_or_else(|| panic!("no call from {remote_digits}: {j}"))["id"]
        .as_i64()
        .unwrap()
}

fn actions(srv: &Server, key: &str, id: i64) -> serde_json::Value {
    let r = srv.request(
        "GET",
        &format!("/api/v1/calls/{id}/actions"),
        &[("Authorization", &format!("Bearer {key}"))],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

#[test]
fn actions_open_a_known_callers_contact_and_offer_to_create_an_unknown_one() {
    let (srv, key) = office();
    post_event(
        &srv,
        &key,
        json!({"event": "ringing", "call_id": "k1", "remote": "+49 30 1234567", "extension": "201"}),
    );
    post_event(
        &srv,
        &key,
        json!({"event": "ringing", "call_id": "u1", "remote": "030 5550177", "extension": "201"}),
    );
    post_event(
        &srv,
        &key,
        json!({"event": "ringing", "call_id": "a1", "remote": "anonymous", "extension": "201"}),
    );

    let known = call_id(&srv, &key, "301234567");
    let j = actions(&srv, &key, known);
    assert_eq!(j["call_id"], known);
    let a = &j["actions"][0];
    assert_eq!(j["actions"].as_array().unwrap().len(), 1, "{j}");
    assert_eq!(a["type"], "openRecord", "{j}");
    assert!(a["title"].as_str().unwrap().contains("Anna Müller"), "{j}");
    assert!(a["recordId"].as_i64().unwrap() > 0);
    assert_eq!(a["number"], "+49301234567");
    assert_eq!(a["triggerImmediately"], true, "default rule 'known': {j}");
    assert_eq!(a["triggerOnAbonentClick"], true);
    assert_eq!(a["url"], format!("/contacts/{}", a["recordId"]));

    let unknown = call_id(&srv, &key, "305550177");
    let j = actions(&srv, &key, unknown);
    let a = &j["actions"][0];
    assert_eq!(a["type"], "createRecord", "{j}");
    assert!(a["recordId"].is_null());
    assert_eq!(
        a["triggerImmediately"], false,
        "an unknown number only gets the button: {j}"
    );
    assert_eq!(a["triggerOnAbonentClick"], true);
    let url = a["url"].as_str().unwrap();
    assert!(
        url.starts_with("/contacts/new?number=%2B49305550177")
            && url.contains(&format!("from_call={unknown}")),
        "{url}"
    );
    // The prefilled form the action names really is prefilled.
    let mut admin = Client::login(&srv, "owner", PASSWORD);
    let form = admin.get(url).text();
    assert!(form.contains("+49305550177"), "{form}");

    // A withheld number has nothing to open or create.
    let anon_calls = srv
        .request(
            "GET",
            "/api/v1/calls",
            &[("Authorization", &format!("Bearer {key}"))],
            b"",
        )
        .json();
    let anon = anon_calls["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["remote"]["raw"] == "anonymous")
        .expect("the anonymous call")["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        actions(&srv, &key, anon)["actions"],
        json!([]),
        "withheld numbers get no action"
    );

    // The rule is a setting: 'always' opens the new-contact form by itself too, 'off' nothing.
    srv.db
        .ok(&["settings", "set", "screenpop.open_immediately", "always"]);
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        actions(&srv, &key, unknown)["actions"][0]["triggerImmediately"],
        true
    );
    srv.db
        .ok(&["settings", "set", "screenpop.open_immediately", "off"]);
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        actions(&srv, &key, known)["actions"][0]["triggerImmediately"],
        false
    );

    // The API needs a key with the journal scope, and a real call.
    assert_eq!(
        srv.get(&format!("/api/v1/calls/{known}/actions")).status,
        401
    );
    let r = srv.request(
        "GET",
        "/api/v1/calls/99999/actions",
        &[("Authorization", &format!("Bearer {key}"))],
        b"",
    );
    assert_eq!(r.status, 404);
    assert!(r.text().contains("no call"), "{}", r.text());
}

#[test]
fn the_live_pop_up_carries_the_same_actions() {
    let (srv, key) = office();
    let c = Client::login(&srv, "owner", PASSWORD);
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /events HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n\r\n",
        c.cookie_header()
    )
    .unwrap();
    let mut r = BufReader::new(s);
    let mut line = String::new();
    loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        if line.starts_with("retry") {
            break;
        }
    }
    post_event(
        &srv,
        &key,
        json!({"event": "ringing", "call_id": "live-1", "remote": "+49 30 1234567", "extension": "201"}),
    );
    let ev = loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        if let Some(d) = line.strip_prefix("data: ") {
            break serde_json::from_str::<serde_json::Value>(d.trim()).unwrap();
        }
    };
    assert_eq!(ev["notify"], true, "{ev}");
    assert_eq!(ev["actions"][0]["type"], "openRecord", "{ev}");
    assert_eq!(ev["actions"][0]["triggerImmediately"], true, "{ev}");
    assert!(ev["actions"][0]["url"]
        .as_str()
        .unwrap()
        .starts_with("/contacts/"));
    assert!(ev["labels"]["open_call"].is_string(), "{ev}");
}

/// What a fake phone saw: the request lines it accepted.
type Seen = Arc<Mutex<Vec<String>>>;

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The value of `name` in a Digest `Authorization` header.
fn digest_param(h: &str, name: &str) -> String {
    let at = h
        .find(&format!("{name}="))
        .unwrap_or_else(|| panic!("no {name} in {h}"));
    let rest = &h[at + name.len() + 1..];
    if let Some(q) = rest.strip_prefix('"') {
        q[..q.find('"').unwrap()].to_string()
    } else {
        rest.split([',', ' ']).next().unwrap().to_string()
    }
}

/// A fake Snom phone: `command.htm` behind HTTP Digest (MD5, qop=auth), which it checks itself; a
/// dial it accepts is answered with the phone's redirect to `index.htm`.
fn fake_snom(password: &'static str) -> (String, Seen) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let addr = server.server_addr().to_ip().unwrap().to_string();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        let nonce = "5f1a9c0d3b7e";
        for req in server.incoming_requests() {
            let auth = req
                .headers()
                .iter()
                .find(|h| h.field.equiv("Authorization"))
                .map(|h| h.value.as_str().to_string());
            let ok = auth.as_deref().is_some_and(|h| {
                h.starts_with("Digest ") && {
                    let ha1 = md5_hex(&format!("{}:snom:{password}", digest_param(h, "username")));
                    let ha2 = md5_hex(&format!("GET:{}", digest_param(h, "uri")));
                    let want = md5_hex(&format!(
                        "{ha1}:{nonce}:{}:{}:auth:{ha2}",
                        digest_param(h, "nc"),
                        digest_param(h, "cnonce")
                    ));
                    digest_param(h, "response") == want
                        && digest_param(h, "uri") == req.url()
                        && digest_param(h, "nonce") == nonce
                }
            });
            let resp = if ok {
                log.lock().unwrap().push(req.url().to_string());
                tiny_http::Response::empty(302)
                    .with_header(tiny_http::Header::from_bytes("Location", "/index.htm").unwrap())
            } else {
                tiny_http::Response::empty(401).with_header(
                    tiny_http::Header::from_bytes(
                        "WWW-Authenticate",
                        format!(
                            r#"Digest realm="snom", nonce="{nonce}", qop="auth", algorithm=MD5"#
                        ),
                    )
                    .unwrap(),
                )
            };
            let _ = req.respond(resp);
        }
    });
    (addr, seen)
}

/// A fake Yealink phone: `servlet?key=number=` behind Basic auth.
fn fake_yealink() -> (String, Seen) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let addr = server.server_addr().to_ip().unwrap().to_string();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        // base64("admin:desk-Secret-42")
        let want = "Basic YWRtaW46ZGVzay1TZWNyZXQtNDI=";
        for mut req in server.incoming_requests() {
            let mut sink = Vec::new();
            let _ = req.as_reader().read_to_end(&mut sink);
            let ok = req
                .headers()
                .iter()
                .any(|h| h.field.equiv("Authorization") && h.value.as_str() == want);
            let resp = if ok {
                log.lock().unwrap().push(req.url().to_string());
                tiny_http::Response::empty(200)
            } else {
                tiny_http::Response::empty(401).with_header(
                    tiny_http::Header::from_bytes("WWW-Authenticate", r#"Basic realm="Yealink""#)
                        .unwrap(),
                )
            };
            let _ = req.respond(resp);
        }
    });
    (addr, seen)
}

fn save_phone(admin: &mut Client, kind: &str, address: &str, user: &str, password: &str) {
    let token = admin.token("/operators");
    let r = admin.post(
        "/operators/phone",
        &[
            ("csrf", &token),
            ("extension", "201"),
            ("kind", kind),
            ("address", address),
            ("username", user),
            ("password", password),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
}

#[test]
fn click_to_call_rings_the_users_snom_with_digest_auth() {
    let (srv, key) = office();
    let (phone, seen) = fake_snom(PHONE_PASSWORD);
    let mut admin = Client::login(&srv, "owner", PASSWORD);
    save_phone(&mut admin, "snom", &phone, PHONE_USER, PHONE_PASSWORD);

    // The operators page says a password is set, and never shows it.
    let ops = admin.get("/operators").text();
    assert!(ops.contains(&phone), "the address is shown");
    assert!(
        !ops.contains(PHONE_PASSWORD),
        "the password is never shown back"
    );

    // The admin is linked to no employee: ringbook says so instead of guessing a phone.
    let (status, j) = dial(&mut admin, "030 1234567");
    assert_eq!(status, 409, "{j}");
    assert_eq!(j["ok"], false);
    assert!(j["message"].as_str().unwrap().contains("not linked"), "{j}");

    let mut eva = staff_for(&srv, &mut admin, "Eva", "eva", PASSWORD);
    // The call button sits next to the number on the contact page and on the call page.
    post_event(
        &srv,
        &key,
        json!({"event": "ringing", "call_id": "c1", "remote": "+49 30 1234567", "extension": "201"}),
    );
    let id = call_id(&srv, &key, "301234567");
    let call_page = eva.get(&format!("/calls/{id}")).text();
    assert!(
        call_page.contains("action=\"/dial\"") && call_page.contains("value=\"+49301234567\""),
        "{call_page}"
    );

    let (status, j) = dial(&mut eva, "+49 30 1234567");
    assert_eq!(status, 200, "{j}");
    assert_eq!(j["ok"], true);
    assert!(j["message"].as_str().unwrap().contains("ringing"), "{j}");
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["/command.htm?number=00301234567"],
        "dialled with the outside-line prefix, national form"
    );

    // An empty password field keeps the stored password.
    save_phone(&mut admin, "snom", &phone, PHONE_USER, "");
    assert_eq!(dial(&mut eva, "0221 99887766").0, 200);
    assert_eq!(seen.lock().unwrap().len(), 2);

    // A wrong password: the phone refuses, and the user is told in plain words.
    save_phone(&mut admin, "snom", &phone, PHONE_USER, "wrong-password");
    let (status, j) = dial(&mut eva, "+49 30 1234567");
    assert_eq!(status, 502, "{j}");
    assert!(
        j["message"]
            .as_str()
            .unwrap()
            .contains("refused the user name or password"),
        "{j}"
    );
    assert_eq!(seen.lock().unwrap().len(), 2, "nothing was dialled");

    // A phone that is off.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = closed.local_addr().unwrap().to_string();
    drop(closed);
    save_phone(&mut admin, "snom", &gone, PHONE_USER, PHONE_PASSWORD);
    let (status, j) = dial(&mut eva, "+49 30 1234567");
    assert_eq!(status, 502, "{j}");
    assert!(
        j["message"].as_str().unwrap().contains("did not answer"),
        "{j}"
    );

    // Without JavaScript the same answer comes as a page with a way back.
    let token = eva.token("/");
    let r = eva.post(
        "/dial",
        &[
            ("csrf", &token),
            ("number", "+49 30 1234567"),
            ("back", "/contacts"),
        ],
    );
    assert_eq!(r.status, 502);
    assert!(r.text().contains("did not answer") && r.text().contains("href=\"/contacts\""));

    // Without its CSRF token nothing is dialled.
    let r = eva.post_with("/dial", &[("number", "+49 30 1234567")], "application/json");
    assert_eq!(r.status, 403);

    // The password never reaches the log.
    assert!(
        !srv.log_text().contains(PHONE_PASSWORD),
        "the log holds the phone password"
    );
}

#[test]
fn click_to_call_rings_a_yealink_with_basic_auth() {
    let (srv, _key) = office();
    let (phone, seen) = fake_yealink();
    let mut admin = Client::login(&srv, "owner", PASSWORD);
    save_phone(&mut admin, "yealink", &phone, PHONE_USER, PHONE_PASSWORD);
    let mut eva = staff_for(&srv, &mut admin, "Eva", "eva", PASSWORD);
    let (status, j) = dial(&mut eva, "+43 1 2345678");
    assert_eq!(status, 200, "{j}");
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["/servlet?key=number=0004312345678"],
        "a foreign number: outside line, then 00 and the country code"
    );
    // A withheld number can't be dialled, and the phone is not bothered.
    let (status, j) = dial(&mut eva, "anonymous");
    assert_eq!(status, 400, "{j}");
    assert_eq!(seen.lock().unwrap().len(), 1);
    // A bad address is refused with words, and nothing is stored.
    let token = admin.token("/operators");
    let r = admin.post(
        "/operators/phone",
        &[
            ("csrf", &token),
            ("extension", "201"),
            ("kind", "yealink"),
            ("address", "http://x/evil path"),
        ],
    );
    assert_eq!(r.status, 400);
    assert!(r.text().contains("not a phone address"), "{}", r.text());
    assert!(admin.get("/operators").text().contains(&phone));
}

#[test]
fn admins_manage_users_and_the_last_admin_stays() {
    let (srv, _key) = office();
    let mut admin = Client::login(&srv, "owner", PASSWORD);

    // Staff can't open the Users page.
    let mut eva = staff_for(&srv, &mut admin, "Eva", "eva", PASSWORD);
    assert_eq!(eva.get("/users").status, 403);
    let list = admin.get("/users").text();
    assert!(list.contains("data-user=\"eva\""), "{list}");

    // Bad input is refused with a reason; nothing is created.
    let token = admin.token("/users");
    let r = admin.post(
        "/users",
        &[
            ("csrf", &token),
            ("name", "EVA"),
            ("password", PASSWORD),
            ("role", "staff"),
        ],
    );
    assert_eq!(r.status, 409);
    assert!(r.text().contains("already exists"), "{}", r.text());
    let r = admin.post(
        "/users",
        &[
            ("csrf", &token),
            ("name", "tom"),
            ("password", "short"),
            ("role", "staff"),
        ],
    );
    assert_eq!(r.status, 400);
    assert!(r.text().contains("at least 12 characters"));
    for (password, why) in [
        ("qwertz123456", "too easy to guess"),
        ("tom-tom-tom-tom", "too easy to guess"),
        (&"x7#".repeat(43)[..129], "at most 128 characters"),
    ] {
        let r = admin.post(
            "/users",
            &[
                ("csrf", &token),
                ("name", "tom"),
                ("password", password),
                ("role", "staff"),
            ],
        );
        assert_eq!(r.status, 400, "{password}");
        assert!(r.text().contains(why), "{password}: {}", r.text());
    }
    assert!(
        !admin.get("/users").text().contains("data-user=\"tom\""),
        "no refused password made a user"
    );
    let r = admin.post(
        "/users",
        &[
            ("name", "mallory"),
            ("password", PASSWORD),
            ("role", "admin"),
        ],
    );
    assert_eq!(r.status, 403, "no CSRF token, no user");
    assert!(!admin.get("/users").text().contains("mallory"));

    // The only admin can't disable themselves.
    let owner_id = user_id(&admin.get("/users").text(), "owner");
    let r = admin.post(&format!("/users/{owner_id}/disable"), &[("csrf", &token)]);
    assert_eq!(r.status, 409);
    assert_eq!(admin.get("/users").status, 200, "still an admin");

    // Disabling ends eva's session at once, and she can't log in again.
    let eva_id = user_id(&admin.get("/users").text(), "eva");
    assert_eq!(eva.get("/calls").status, 200);
    let r = admin.post(&format!("/users/{eva_id}/disable"), &[("csrf", &token)]);
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(eva.get("/calls").status, 303, "the session ended");
    let mut again = Client::new(&srv);
    let t = csrf_of(&again.get("/login").text());
    let r = again.post(
        "/login",
        &[("csrf", &t), ("name", "eva"), ("password", PASSWORD)],
    );
    assert_eq!(r.status, 401);

    // Enabled again with a new password: the old one no longer works, the new one does.
    let r = admin.post(&format!("/users/{eva_id}/enable"), &[("csrf", &token)]);
    assert_eq!(r.status, 303);
    let mut before = Client::login(&srv, "eva", PASSWORD);
    assert_eq!(before.get("/calls").status, 200);
    let r = admin.post(
        &format!("/users/{eva_id}/password"),
        &[("csrf", &token), ("password", "a brand new passphrase")],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        before.get("/calls").status,
        303,
        "an admin's reset ends the sessions of the old password"
    );
    let t = csrf_of(&again.get("/login").text());
    let r = again.post(
        "/login",
        &[("csrf", &t), ("name", "eva"), ("password", PASSWORD)],
    );
    assert_eq!(r.status, 401);
    Client::login(&srv, "eva", "a brand new passphrase");

    // A second admin may disable the first; the first one is then locked out.
    let r = admin.post(
        "/users",
        &[
            ("csrf", &token),
            ("name", "boss"),
            ("password", PASSWORD),
            ("role", "admin"),
        ],
    );
    assert_eq!(r.status, 303);
    let mut boss = Client::login(&srv, "boss", PASSWORD);
    let bt = boss.token("/users");
    let r = boss.post(&format!("/users/{owner_id}/disable"), &[("csrf", &bt)]);
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(admin.get("/users").status, 303);
}

/// The id in the disable/password form of a user's row.
fn user_id(page: &str, name: &str) -> i64 {
    let row = page
        .split(&format!("data-user=\"{name}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no row for {name}"));
    let at = row.find("/users/").unwrap() + "/users/".len();
    row[at..].split('/').next().unwrap().parse().unwrap()
}

#[test]
fn staff_who_see_only_their_own_calls_see_only_those_on_a_contact_page() {
    let (srv, key) = office();
    let mut admin = Client::login(&srv, "owner", PASSWORD);
    let mut eva = staff_for(&srv, &mut admin, "Eva", "eva", PASSWORD);
    // Anna calls twice, one call after the other: once Eva's extension, once one that is no
    // employee's.
    for (call, extension) in [("c-eva", "201"), ("c-other", "299")] {
        post_event(
            &srv,
            &key,
            json!({"event": "ringing", "call_id": call, "remote": "+49 30 1234567", "extension": extension}),
        );
        post_event(&srv, &key, json!({"event": "hangup", "call_id": call}));
    }
    let calls = |c: &mut Client, path: &str| -> Vec<String> {
        let page = c.get(path).text();
        page.split("data-call=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next().map(str::to_string))
            .collect()
    };
    let contacts = admin.get("/contacts").text();
    let link = "class=\"contact-name\" href=\"/contacts/";
    let at = contacts.find(link).unwrap_or_else(|| panic!("{contacts}")) + link.len();
    let anna = format!("/contacts/{}", contacts[at..].split('"').next().unwrap());
    assert_eq!(calls(&mut admin, &anna).len(), 2, "admins see both calls");
    assert_eq!(calls(&mut eva, &anna).len(), 2, "the setting is off");

    let token = admin.token("/settings");
    let r = admin.post(
        "/settings",
        &[("csrf", &token), ("web.staff_own_calls_only", "true")],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let shown = calls(&mut eva, &anna);
    assert_eq!(shown.len(), 1, "only Eva's call: {shown:?}");
    assert_eq!(calls(&mut eva, "/calls"), shown, "as in the call log");
    assert_eq!(calls(&mut admin, &anna).len(), 2, "admins still see both");
}
