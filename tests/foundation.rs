//! The foundation end to end: the real binary, its CLI and its HTTP API on a temporary database.

mod common;

use common::*;

const CONTACTS: &str = "Vorname;Nachname;Firma;Telefon;Handy;E-Mail
Anna;Müller;Bäckerei & Söhne;030 1234567;0151 12345678;anna@example.de
Bernd;Beispiel;;+43 1 2345678;;
;;Zentrale Muster GmbH;+49 89 1234560;;
Carla;Gleich;;0221 99887766;;
Dora;Gleich;;+49 221 99887766;;
";

#[test]
fn lookup_finds_the_contact_from_every_input_form_with_the_rule() {
    let (srv, key) = berlin_office_with(CONTACTS, "lookup");
    let cases = [
        ("%2B49301234567", "exact_e164"),
        ("+49301234567", "exact_e164"),
        ("%2049301234567", "exact_e164"),
        ("0049301234567", "exact_e164"),
        ("030%201234567", "exact_e164"),
        ("030/123-45-67", "exact_e164"),
        ("301234567", "exact_e164"),
        ("1234567", "exact_e164"),
        ("00301234567", "exact_e164"),
        ("sip:%2B49301234567@pbx.local;user=phone", "exact_e164"),
        ("tel:%2B49-30-1234567", "exact_e164"),
        ("%2B494001234567", "last_digits"),
    ];
    for (q, rule) in cases {
        let r = srv.get(&format!("/api/v1/lookup?number={q}&key={key}"));
        assert_eq!(r.status, 200, "{q}: {}", r.text());
        let j = r.json();
        let m = &j["matches"][0];
        assert_eq!(m["display_name"], "Anna Müller", "{q}: {j}");
        assert_eq!(m["match"]["rule"], rule, "{q}: {j}");
        assert!(
            m["match"]["explanation"]
                .as_str()
                .unwrap()
                .contains("030 1234567"),
            "{q}: {j}"
        );
    }
    // A direct line into a company whose main number we know.
    let j = srv
        .get(&format!("/api/v1/lookup?number=%2B498912345617&key={key}"))
        .json();
    assert_eq!(j["matches"][0]["company"], "Zentrale Muster GmbH", "{j}");
    assert_eq!(j["matches"][0]["match"]["rule"], "did_to_main");
    assert_eq!(j["query"]["e164"], "+498912345617");
}

#[test]
fn ties_are_reported_not_guessed() {
    let (srv, key) = berlin_office_with(CONTACTS, "lookup");
    let j = srv
        .get(&format!("/api/v1/lookup?number=022199887766&key={key}"))
        .json();
    assert_eq!(j["tie"], true, "{j}");
    assert_eq!(j["matches"].as_array().unwrap().len(), 2);
    assert!(j["matches"][0]["match"]["explanation"]
        .as_str()
        .unwrap()
        .contains("tie"));
    let txt = srv
        .get(&format!("/lookup.txt?number=022199887766&key={key}"))
        .text();
    assert_eq!(txt, "Carla Gleich / Dora Gleich");
}

#[test]
fn withheld_extension_and_garbage_inputs() {
    let (srv, key) = berlin_office_with(CONTACTS, "lookup");
    let j = srv
        .get(&format!("/api/v1/lookup?number=anonymous&key={key}"))
        .json();
    assert_eq!(j["query"]["kind"], "anonymous");
    assert_eq!(j["matches"].as_array().unwrap().len(), 0);
    let j = srv
        .get(&format!("/api/v1/lookup?number=201&key={key}"))
        .json();
    assert_eq!(j["query"]["kind"], "extension");
    let r = srv.get(&format!("/api/v1/lookup?number=drop%20table&key={key}"));
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"].as_str().unwrap().contains("letters"),
        "{}",
        r.text()
    );
    let r = srv.get(&format!("/api/v1/lookup?key={key}"));
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].as_str().unwrap().contains("number"));
}

#[test]
fn lookup_txt_returns_the_name_only_and_empty_on_a_miss() {
    let (srv, key) = berlin_office_with(CONTACTS, "lookup");
    let r = srv.get(&format!("/lookup.txt?number=%2B49301234567&key={key}"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.text(), "Anna Müller (Bäckerei & Söhne)");
    let r = srv.request(
        "GET",
        "/lookup.txt/015112345678",
        &[("X-Api-Key", &key)],
        b"",
    );
    assert_eq!(r.text(), "Anna Müller (Bäckerei & Söhne)");
    let r = srv.request(
        "GET",
        "/lookup.txt/%2B498912345600",
        &[("Authorization", &format!("Bearer {key}"))],
        b"",
    );
    assert_eq!(r.text(), "Zentrale Muster GmbH");
    let r = srv.get(&format!("/lookup.txt?number=0401111111&key={key}"));
    assert_eq!((r.status, r.body.len()), (200, 0));
    let r = srv.get(&format!("/lookup.txt?number=garbage&key={key}"));
    assert_eq!((r.status, r.body.len()), (200, 0));
}

#[test]
fn requests_without_a_valid_key_are_refused() {
    let (srv, key) = berlin_office_with(CONTACTS, "lookup");
    let r = srv.get("/api/v1/lookup?number=0301234567");
    assert_eq!(r.status, 401);
    assert!(r.json()["error"].as_str().unwrap().contains("API key"));
    let r = srv.get("/api/v1/lookup?number=0301234567&key=rbk_nope_nope");
    assert_eq!(r.status, 401);
    let r = srv.get("/lookup.txt?number=0301234567");
    assert_eq!((r.status, r.body.len()), (401, 0));
    // A key for another scope is refused with 403.
    let journal_key = srv.db.key("journal");
    let r = srv.get(&format!(
        "/api/v1/lookup?number=0301234567&key={journal_key}"
    ));
    assert_eq!(r.status, 403, "{}", r.text());
    // A revoked key stops working.
    let out = srv.db.ok(&["apikey", "list"]);
    assert!(out.contains("test"));
    assert!(!out.contains(&key), "apikey list must never show a secret");
}

#[test]
fn ip_allowlist_keys_work_without_a_secret() {
    let db = Db::new("iponly");
    db.berlin();
    db.import_csv(CONTACTS);
    let out = db.cli(&[
        "apikey",
        "create",
        "--name",
        "phones",
        "--scopes",
        "lookup",
        "--allow",
        "127.0.0.0/8",
        "--no-secret",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let srv = Server::start(db);
    let r = srv.get("/lookup.txt?number=0301234567");
    assert_eq!(r.text(), "Anna Müller (Bäckerei & Söhne)");
    // A key restricted to another network is refused from here even with its secret.
    let other = srv
        .db
        .ok(&[
            "apikey",
            "create",
            "--name",
            "far",
            "--scopes",
            "lookup",
            "--allow",
            "10.9.9.0/24",
        ])
        .trim()
        .to_string();
    let r = srv.request(
        "GET",
        "/api/v1/lookup?number=0301234567",
        &[("X-Api-Key", &other)],
        b"",
    );
    assert_eq!(r.status, 403, "{}", r.text());
}

#[test]
fn oversized_bodies_get_413_and_unknown_paths_404() {
    let (srv, _key) = berlin_office_with("", "lookup");
    let big = vec![b'x'; 2 * 1024 * 1024];
    let r = srv.request("POST", "/api/v1/lookup", &[], &big);
    assert_eq!(r.status, 413);
    assert!(r.json()["error"].as_str().unwrap().contains("larger than"));
    let r = srv.get("/nope");
    assert_eq!(r.status, 404);
    assert!(r.json()["error"].is_string());
    let r = srv.request("DELETE", "/healthz", &[], b"");
    assert_eq!(r.status, 405);
    // A literal route wins over a `{id}` route: this is POST-only, not a call named "handled".
    let r = srv.request("PATCH", "/api/v1/calls/handled", &[], b"{}");
    assert_eq!(r.status, 405, "{}", r.text());
    assert!(r.json()["error"].as_str().unwrap().contains("POST"));
}

#[test]
fn metrics_count_requests_and_lookups() {
    let (srv, key) = berlin_office_with(CONTACTS, "lookup");
    for _ in 0..3 {
        srv.get(&format!("/api/v1/lookup?number=0301234567&key={key}"));
    }
    let m = srv.get("/metrics").text();
    assert!(
        m.contains("ringbook_http_requests_total{route=\"api_lookup\",status=\"200\"} 3"),
        "{m}"
    );
    assert!(
        m.contains("ringbook_lookup_duration_seconds_count 3"),
        "{m}"
    );
    assert!(m.contains("ringbook_writer_queue_depth"));
    assert!(m.contains("ringbook_db_size_bytes"));
    assert!(
        m.contains("\nringbook_call_changes_dropped_total 0\n"),
        "{m}"
    );
}

#[test]
fn fresh_database_prints_setup_code_until_an_admin_exists() {
    let db = Db::new("setup");
    let srv = Server::start(db);
    let log = srv.log_text();
    assert!(log.contains("listening on http://127.0.0.1:"), "{log}");
    let code_line = log
        .lines()
        .find(|l| l.contains("setup code is"))
        .expect("setup code printed");
    let code = code_line.rsplit(' ').next().unwrap();
    assert_eq!(code.len(), 14, "{code}");
    drop(srv);
    let db = Db::new("setup2");
    // 11 characters: one short of ASVS's 12.
    let out = db.cli_with_stdin(
        &["user", "add", "owner", "--role", "admin"],
        "eleven char\n",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 12"));
    // Long enough, but mostly a common word and a run of digits; then mostly the user's own name.
    for guessable in ["Passwort123456!", "owner-owner-owner"] {
        let out = db.cli_with_stdin(
            &["user", "add", "owner", "--role", "admin"],
            &format!("{guessable}\n"),
        );
        assert!(!out.status.success(), "{guessable} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("too easy to guess"), "{guessable}: {err}");
    }
    let out = db.cli_with_stdin(
        &["user", "add", "owner", "--role", "admin"],
        "a long enough passphrase\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let srv = Server::start(db);
    assert!(
        !srv.log_text().contains("setup code"),
        "no code once an admin exists"
    );
}

#[test]
fn settings_are_validated_and_unknown_keys_listed() {
    let db = Db::new("settings");
    let out = db.cli(&["settings", "set", "number.contry", "DE"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("number.country") && err.contains("number.extension_digits"),
        "{err}"
    );
    let out = db.cli(&["settings", "set", "number.extension_digits", "9-2"]);
    assert!(!out.status.success());
    assert_eq!(
        db.ok(&["settings", "set", "number.country", "at"]).trim(),
        "number.country = \"AT\""
    );
    assert_eq!(db.ok(&["settings", "get", "number.country"]).trim(), "AT");
    let list = db.ok(&["settings", "list"]);
    assert!(list.contains("number.match_tail = \"8\""), "{list}");
}

#[test]
fn import_reports_bad_rows_and_imports_nothing_unless_skip_bad() {
    let db = Db::new("import");
    db.berlin();
    let f = db.dir.path().join("c.csv");
    std::fs::write(
        &f,
        "first_name,last_name,office\nAnna,Muster,030 1234567\nBad,Row,not a number\n,,\n",
    )
    .unwrap();
    let out = db.cli(&["import", "contacts", f.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 3") && err.contains("not a number"),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    let export = db.ok(&["export", "contacts", "--format", "csv"]);
    assert_eq!(export.lines().count(), 1, "only the header: {export}");
    let out = db.ok(&["import", "contacts", f.to_str().unwrap(), "--skip-bad"]);
    assert!(
        out.contains("imported 1 contact, skipped 1 bad row\n"),
        "{out}"
    );
    let export = db.ok(&["export", "contacts", "--format", "csv"]);
    assert!(export.contains("Anna,Muster,,,,+49301234567"), "{export}");
    let vcf = db.ok(&["export", "contacts", "--format", "vcf"]);
    assert!(
        vcf.contains("TEL;VALUE=uri;TYPE=\"work,voice\":tel:+49301234567"),
        "{vcf}"
    );
    // The vCard export imports back to the same contact.
    let back = db.dir.path().join("back.vcf");
    std::fs::write(&back, &vcf).unwrap();
    let db2 = Db::new("import2");
    db2.berlin();
    db2.ok(&["import", "contacts", back.to_str().unwrap()]);
    assert!(db2
        .ok(&["export", "contacts"])
        .contains("Anna,Muster,,,,+49301234567"));
}

#[test]
fn cli_has_help_on_every_subcommand() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["user", "add", "--help"],
        vec!["apikey", "create", "--help"],
        vec!["settings", "set", "--help"],
        vec!["import", "contacts", "--help"],
        vec!["export", "contacts", "--help"],
        vec!["line", "add", "--help"],
        vec!["demo-data", "--help"],
        vec!["lookup", "--help"],
    ] {
        let out = std::process::Command::new(BIN)
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage:"),
            "{args:?}"
        );
    }
}

#[test]
fn silent_connections_are_closed_after_the_io_timeout() {
    use std::io::Read;
    let db = Db::new("timeout");
    let srv = Server::start_with(db, &[("RINGBOOK_IO_TIMEOUT", "1")]);
    let mut idle = std::net::TcpStream::connect(srv.addr).unwrap();
    idle.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    // Half a request line, then silence: a slow or stalled client.
    std::io::Write::write_all(&mut idle, b"GET /heal").unwrap();
    let started = std::time::Instant::now();
    let mut buf = Vec::new();
    let _ = idle.read_to_end(&mut buf);
    let waited = started.elapsed();
    assert!(
        waited < std::time::Duration::from_secs(5),
        "the server kept a silent connection for {waited:?}"
    );
    // The server still answers everyone else.
    assert_eq!(srv.get("/healthz").status, 200);
    // And the listener survived several timeout periods of no new connections.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(srv.get("/healthz").status, 200);
}
