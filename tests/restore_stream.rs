//! Restoring a large backup through the Settings page against the real binary: the upload is streamed
//! to a working copy on disk, never held in memory (the appliance runs with MemoryMax=512M and a
//! year of calls makes a database of hundreds of MB). A backup padded with free pages to tens of MB
//! restores, and the server's peak memory barely moves; a wrong CSRF token, a garbage file, an
//! upload that stops halfway and a request without a session change nothing and leave no file behind.
//!
//! Uploads here are larger than the ordinary 1 MiB body cap, so they take the streamed path; the small
//! in-memory path is covered by `ui_ops.rs`.
//!
//! The other way round, the exports (contacts, the call log) are written to a file and sent from it,
//! so a large one doesn't sit in memory either (1M contacts make a 203 MB vCard file).

mod common;
use common::*;

use std::io::{BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

const PASSWORD: &str = "correct horse battery";
const BOUNDARY: &str = "----ringbookRestoreBoundary9x";

/// A form body as a browser sends the restore form: the CSRF field first, then the file.
fn form(csrf: &str, file: &[u8]) -> Vec<u8> {
    let mut b = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"backup\"; filename=\"ringbook-backup.db\"\r\nContent-Type: application/vnd.sqlite3\r\n\r\n"
    )
    .into_bytes();
    b.extend_from_slice(file);
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

fn upload(srv: &Server, c: &Client, body: &[u8]) -> Response {
    srv.request(
        "POST",
        "/settings/restore",
        &[
            ("Cookie", &c.cookie_header()),
            (
                "Content-Type",
                &format!("multipart/form-data; boundary={BOUNDARY}"),
            ),
        ],
        body,
    )
}

/// Starts the server's peak-memory count afresh from its present size (Linux's `clear_refs` 5), so
/// what an upload costs isn't hidden under an earlier peak, such as the download's key derivation.
fn reset_peak(srv: &Server) {
    std::fs::write(format!("/proc/{}/clear_refs", srv.child.id()), "5")
        .expect("reset the peak resident size in /proc/<pid>/clear_refs");
}

/// The server's peak resident memory so far (VmHWM), in KiB.
fn peak_kib(srv: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", srv.child.id())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status")
}

/// Working copies a restore leaves beside the database (there must be none once it answered).
fn leftovers(srv: &Server) -> Vec<String> {
    files_beside_db(srv, ".ringbook-restore-")
}

/// The files in the database's directory whose names start with `prefix`.
fn files_beside_db(srv: &Server, prefix: &str) -> Vec<String> {
    std::fs::read_dir(srv.db.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect()
}

/// A Berlin office with the admin `owner` and `contacts` demo contacts and `calls` demo calls,
/// served.
fn demo_office(tag: &str, contacts: usize, calls: usize) -> Server {
    let db = Db::new(tag);
    db.berlin();
    let out = db.cli_with_stdin(&["user", "add", "owner", "--role", "admin"], PASSWORD);
    assert!(out.status.success(), "{out:?}");
    let (contacts, calls) = (contacts.to_string(), calls.to_string());
    let out = db.cli(&["demo-data", "--contacts", &contacts, "--calls", &calls]);
    assert!(out.status.success(), "{out:?}");
    Server::start(db)
}

fn contact_names(c: &mut Client) -> String {
    let r = c.get("/contacts");
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

/// A Berlin office with the contact Anna Alpha and the admin `owner`, served.
fn office() -> Server {
    let db = Db::new("restore-stream");
    db.berlin();
    db.import_csv("first_name,last_name,phone\nAnna,Alpha,030 5550101\n");
    let out = db.cli_with_stdin(&["user", "add", "owner", "--role", "admin"], PASSWORD);
    assert!(out.status.success(), "{out:?}");
    Server::start(db)
}

/// The backup the Settings page downloads, opened with its passphrase and padded with `mb` MB of
/// free pages: still a sound ringbook database with the same rows, just as large as a year of calls
/// would make it.
fn padded_backup(srv: &Server, c: &mut Client, mb: usize) -> Vec<u8> {
    let token = csrf_of(&c.get("/settings").text());
    let pass = "blue tram at nine";
    let r = c.post(
        "/settings/backup",
        &[
            ("csrf", &token),
            ("passphrase", pass),
            ("passphrase2", pass),
        ],
    );
    assert_eq!(r.status, 200);
    // Opened here to a plain database file, as an older backup or a copy of the file would be.
    let mut plain = Vec::new();
    ringbook::backup::open(&r.body[..], pass, &mut plain).unwrap();
    let path = srv.db.dir.path().join("padded.db");
    std::fs::write(&path, &plain).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(&format!(
        "CREATE TABLE pad(x BLOB); INSERT INTO pad SELECT zeroblob(1024 * 1024) FROM generate_series(1, {mb});"
    ))
    .or_else(|_| {
        // Without the series extension: one row at a time.
        conn.execute_batch("CREATE TABLE IF NOT EXISTS pad(x BLOB)")?;
        for _ in 0..mb {
            conn.execute("INSERT INTO pad VALUES (zeroblob(1024 * 1024))", [])?;
        }
        Ok::<_, rusqlite::Error>(())
    })
    .unwrap();
    conn.execute_batch("DROP TABLE pad").unwrap();
    drop(conn);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(bytes.len() >= mb * 1024 * 1024, "{}", bytes.len());
    bytes
}

#[test]
fn a_large_backup_restores_through_the_form_without_being_held_in_memory() {
    let server = office();
    let srv = &server;
    let mut c = Client::login(srv, "owner", PASSWORD);
    let backup = padded_backup(srv, &mut c, 48);
    srv.db
        .import_csv("first_name,last_name,phone\nBert,Beta,030 5550102\n");
    assert!(contact_names(&mut c).contains("Beta"));
    let token = c.token("/settings");

    reset_peak(srv);
    let before = peak_kib(srv);
    let r = upload(srv, &c, &form(&token, &backup));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("The backup was restored"), "{}", r.text());
    let grew = peak_kib(srv).saturating_sub(before);
    assert!(
        grew < 16 * 1024,
        "a {} MB upload raised the server's peak memory by {grew} KiB",
        backup.len() >> 20
    );
    // Beta came after the backup and is gone; Alpha is back; every worker reads the restored rows.
    for _ in 0..8 {
        let names = contact_names(&mut c);
        assert!(
            names.contains("Alpha") && !names.contains("Beta"),
            "{names}"
        );
    }
    assert!(leftovers(srv).is_empty(), "{:?}", leftovers(srv));
}

/// A backup whose rows fill tens of MB, restored over a database just as full: every page of the
/// live database changes. Run in a savepoint, the restore kept the old content of each of them in
/// memory (a 143 MB backup took the server to 190 MB); it must not.
#[test]
fn restoring_many_rows_over_as_many_keeps_memory_flat() {
    // 28 MB: contacts, calls and their word index.
    let server = demo_office("restore-rows", 20_000, 20_000);
    let srv = &server;
    let mut c = Client::login(srv, "owner", PASSWORD);
    let backup = padded_backup(srv, &mut c, 0);
    let token = c.token("/settings");

    reset_peak(srv);
    let before = peak_kib(srv);
    let r = upload(srv, &c, &form(&token, &backup));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("Contacts: 20000"), "{}", r.text());
    let grew = peak_kib(srv).saturating_sub(before);
    // The writer's page cache (8 MB) fills as it writes every page; the savepoint took 45 MB here.
    assert!(
        grew < 24 * 1024,
        "restoring {} MB of rows over as many raised the server's peak memory by {grew} KiB",
        backup.len() >> 20
    );
    assert!(leftovers(srv).is_empty(), "{:?}", leftovers(srv));
}

#[test]
fn a_wrong_token_garbage_or_a_broken_upload_changes_nothing() {
    let server = office();
    let srv = &server;
    let mut c = Client::login(srv, "owner", PASSWORD);
    let backup = padded_backup(srv, &mut c, 4);
    srv.db
        .import_csv("first_name,last_name,phone\nBert,Beta,030 5550102\n");
    let token = c.token("/settings");
    let unchanged = |c: &mut Client, what: &str| {
        let names = contact_names(c);
        assert!(
            names.contains("Alpha") && names.contains("Beta"),
            "{what}: {names}"
        );
        assert!(leftovers(srv).is_empty(), "{what}: {:?}", leftovers(srv));
    };

    // A wrong CSRF token: refused before the file is written, and the rest of the body is read and
    // dropped so the answer still arrives.
    let r = upload(srv, &c, &form("not-the-token", &backup));
    assert_eq!(r.status, 403, "{}", r.text());
    unchanged(&mut c, "wrong token");

    // Without a session nothing is read at all: the browser is sent to the login.
    let r = srv.request(
        "POST",
        "/settings/restore",
        &[
            ("Cookie", "rb_session=forged"),
            (
                "Content-Type",
                &format!("multipart/form-data; boundary={BOUNDARY}"),
            ),
        ],
        &form(&token, &backup),
    );
    assert!(
        r.status == 303 || r.status == 401 || r.status == 403,
        "{} {}",
        r.status,
        r.text()
    );
    unchanged(&mut c, "no session");

    // Garbage of several MB: a 400 in words, as before.
    let garbage: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let r = upload(srv, &c, &form(&token, &garbage));
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text()
            .contains("not a ringbook backup: it is not an SQLite database"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("notice error"), "{}", r.text());
    unchanged(&mut c, "garbage");

    // A form without the file: the usual "choose a file".
    let mut no_file = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n"
    )
    .into_bytes();
    no_file.extend(std::iter::repeat_n(b'x', 2 * 1024 * 1024));
    no_file.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let r = upload(srv, &c, &no_file);
    assert_eq!(r.status, 400, "{}", r.text());
    unchanged(&mut c, "no file");

    // An upload that stops halfway (the browser closed): a 400, no half file left behind.
    let body = form(&token, &backup);
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "POST /settings/restore HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        srv.addr,
        c.cookie_header(),
        body.len()
    )
    .unwrap();
    s.write_all(&body[..body.len() / 2]).unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let r = read_response(&mut BufReader::new(s)).expect("an answer to the cut-off upload");
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("cut off"), "{}", r.text());
    // The cap is 4 GiB, since the file goes to disk: a declared 600 MB upload is read (and refused
    // here for its token, before the file), a declared 5 GiB one is not read at all.
    let declared = |len: u64, head: &[u8]| {
        let mut s = TcpStream::connect(srv.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            s,
            "POST /settings/restore HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n",
            srv.addr,
            c.cookie_header(),
        )
        .unwrap();
        s.write_all(head).unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        read_response(&mut BufReader::new(s)).expect("an answer")
    };
    let r = declared(
        600 << 20,
        &form("not-the-token", b"SQLite format 3\0")[..300],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    let r = declared(5 << 30, b"");
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.text().contains("4 GiB"), "{}", r.text());
    // The server goes on, and takes the next upload (the one-at-a-time slot was freed).
    std::thread::sleep(Duration::from_millis(200));
    unchanged(&mut c, "cut off");
    let r = upload(srv, &c, &form(&token, &backup));
    assert_eq!(r.status, 200, "{}", r.text());
    let names = contact_names(&mut c);
    assert!(
        names.contains("Alpha") && !names.contains("Beta"),
        "{names}"
    );
    assert!(leftovers(srv).is_empty(), "{:?}", leftovers(srv));
}

/// The exports of a large office (contacts as CSV and vCard, the call log as CSV): every row in the
/// file, sent from a file that is gone once the download is under way, and the server's peak memory
/// barely moves. Built in memory, 1M contacts' vCard took the server to 417 MB; and the call log's
/// export stopped at 100,000 calls without a word.
#[test]
fn large_exports_are_whole_and_sent_from_a_file_not_memory() {
    let (contacts, calls) = (50_000, 101_000);
    let server = demo_office("export-stream", contacts, calls);
    let srv = &server;
    let exports = || files_beside_db(srv, ".ringbook-export-");
    fn csv_rows(text: &str) -> usize {
        csv::Reader::from_reader(text.as_bytes()).records().count()
    }
    fn cards(text: &str) -> usize {
        text.matches("BEGIN:VCARD").count()
    }

    for path in ["/contacts/export.csv", "/calls.csv"] {
        assert_ne!(srv.get(path).status, 200, "no {path} without a session");
    }
    let mut c = Client::login(srv, "owner", PASSWORD);
    /// Path, content type, how to count the rows, how many there are.
    type Check = (&'static str, &'static str, fn(&str) -> usize, usize);
    let checks: [Check; 3] = [
        ("/contacts/export.csv", "text/csv", csv_rows, contacts),
        ("/contacts/export.vcf", "text/vcard", cards, contacts),
        ("/calls.csv", "text/csv", csv_rows, calls),
    ];
    for (path, ty, count, expected) in checks {
        c.get("/contacts");
        reset_peak(srv);
        let before = peak_kib(srv);
        let r = c.get(path);
        let grew = peak_kib(srv).saturating_sub(before);
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert!(r.header("Content-Type").unwrap().starts_with(ty), "{path}");
        assert!(
            r.header("Content-Disposition")
                .unwrap()
                .starts_with("attachment"),
            "{path}"
        );
        let text = r.text();
        assert_eq!(count(&text), expected, "{path}");
        assert!(
            grew < 4 * 1024,
            "a {} MB export ({path}) raised the server's peak memory by {grew} KiB",
            text.len() >> 20
        );
        assert!(exports().is_empty(), "{:?}", exports());
    }
}
