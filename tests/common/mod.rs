//! Shared harness for integration tests: starts the real `ringbook` binary on a free loopback port with
//! a temporary database, runs its CLI against the same database, and speaks raw HTTP/1.1 to it, so that
//! tests can replay byte for byte what phones and PBXs send (a literal `+` in a query, odd headers).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_ringbook");

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ringbook-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A database prepared with the CLI before (or while) a server runs on it.
pub struct Db {
    pub dir: TempDir,
    pub path: PathBuf,
}

impl Db {
    pub fn new(tag: &str) -> Db {
        let dir = TempDir::new(tag);
        let path = dir.path().join("ringbook.db");
        Db { dir, path }
    }

    /// Runs `ringbook --db <this db> ARGS` and returns its output.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.cli_with_stdin(args, "")
    }

    pub fn cli_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        if args.first() == Some(&"user") {
            breach_check_off_unless_asked(self);
        }
        let mut child = Command::new(BIN)
            .arg("--db")
            .arg(&self.path)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ringbook cli");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().expect("ringbook cli output")
    }

    /// Runs the CLI and insists it succeeds; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "ringbook {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Sets the office number model used by most tests: Berlin, outside line 0, extensions of 2-4 digits.
    pub fn berlin(&self) -> &Self {
        self.ok(&["settings", "set", "number.country", "DE"]);
        self.ok(&["settings", "set", "number.area_code", "30"]);
        self.ok(&["settings", "set", "number.outside_prefix", "0"]);
        self
    }

    /// Creates an API key with these scopes and returns it.
    pub fn key(&self, scopes: &str) -> String {
        self.ok(&["apikey", "create", "--name", "test", "--scopes", scopes])
            .trim()
            .to_string()
    }

    /// Imports a CSV given as text.
    pub fn import_csv(&self, csv: &str) -> String {
        let f = self.dir.path().join(format!(
            "import-{}.csv",
            Instant::now().elapsed().as_nanos()
        ));
        std::fs::write(&f, csv).unwrap();
        self.ok(&["import", "contacts", f.to_str().unwrap()])
    }
}

/// A running server; killed on drop.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub db: Db,
    pub log: PathBuf,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Turns the HTTPS listener off (`web.https_port` 0) unless the test chose a port itself. Its default,
/// 8443, is one port for the whole machine: parallel test servers would race for it, and the losers
/// would log a warning that has nothing to do with the test.
fn https_off_unless_asked(db: &Db) {
    set_unless_chosen(db, "web.https_port", "0");
}

/// ringbook asks Have I Been Pwned about every password being set (`web.breached_passwords_url`).
/// Tests stay off the network: the test passwords are breached ones ("correct horse battery"), and
/// the tests of the check itself answer with a fake service, which they set before this runs.
fn breach_check_off_unless_asked(db: &Db) {
    set_unless_chosen(db, "web.breached_passwords_url", "");
}

/// Sets `key` unless the database already has a value for it. A database that is not (yet) readable
/// as ringbook's is left alone, so tests that start from a foreign or newer file see it untouched.
fn set_unless_chosen(db: &Db, key: &str, value: &str) {
    if db.path.exists() {
        let chosen = rusqlite::Connection::open_with_flags(
            &db.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .and_then(|c| {
            c.query_row("SELECT count(*) FROM settings WHERE key = ?1", [key], |r| {
                r.get::<_, i64>(0)
            })
        });
        match chosen {
            Ok(0) => {}
            _ => return,
        }
    }
    // A database the CLI refuses (newer, damaged) is the test's business: the server reports it.
    let _ = db.cli(&["settings", "set", key, value]);
}

impl Server {
    /// Starts ringbook on the database and waits until `/healthz` answers.
    pub fn start(db: Db) -> Server {
        Self::start_with(db, &[])
    }

    pub fn start_with(db: Db, extra_env: &[(&str, &str)]) -> Server {
        https_off_unless_asked(&db);
        breach_check_off_unless_asked(&db);
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let log = db.dir.path().join("server.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(BIN);
        cmd.arg("--db")
            .arg(&db.path)
            .arg("--listen")
            .arg(addr.to_string())
            .env("RUST_LOG", "info");
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("start ringbook");
        let server = Server {
            child,
            addr,
            db,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(r) = server.try_get("/healthz") {
                if r.status == 200 {
                    return server;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "ringbook did not answer /healthz within 20 s; log:\n{}",
            server.log_text()
        );
    }

    /// Kills ringbook at once (as a crash, or a restart by its supervisor, would) and starts it again
    /// on the same database.
    pub fn kill_and_restart(mut self) -> Server {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let db = std::mem::replace(&mut self.db, Db::new("restart-leftover"));
        Server::start(db)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends raw bytes (a full request) and reads one response.
    pub fn raw(&self, request: &[u8]) -> Response {
        self.try_raw(request)
            .unwrap_or_else(|e| panic!("request failed: {e}\nlog:\n{}", self.log_text()))
    }

    pub fn try_raw(&self, request: &[u8]) -> std::io::Result<Response> {
        let mut s = TcpStream::connect(self.addr)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        s.write_all(request)?;
        read_response(&mut BufReader::new(s))
    }

    fn try_get(&self, path_and_query: &str) -> std::io::Result<Response> {
        self.try_raw(
            format!(
                "GET {path_and_query} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                self.addr
            )
            .as_bytes(),
        )
    }

    /// `GET` with the path and query sent exactly as given (nothing is encoded).
    pub fn get(&self, path_and_query: &str) -> Response {
        self.request("GET", path_and_query, &[], b"")
    }

    /// Any method, exact path, extra headers and a body.
    pub fn request(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let mut req = format!(
            "{method} {path_and_query} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.raw(&bytes)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("body is UTF-8")
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one HTTP/1.1 response (Content-Length or chunked, or until close).
pub fn read_response(r: &mut impl BufRead) -> std::io::Result<Response> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let find = |n: &str| {
        headers
            .iter()
            .find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    if let Some(len) = find("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(len, 0);
        r.read_exact(&mut body)?;
    } else if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let n = usize::from_str_radix(line.trim(), 16).map_err(std::io::Error::other)?;
            if n == 0 {
                line.clear();
                r.read_line(&mut line)?;
                break;
            }
            let mut chunk = vec![0; n];
            r.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk);
            line.clear();
            r.read_line(&mut line)?;
        }
    } else {
        r.read_to_end(&mut body)?;
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// A Berlin office with a few contacts and a lookup key, served: the starting point of most tests.
pub fn berlin_office_with(csv: &str, scopes: &str) -> (Server, String) {
    let db = Db::new("office");
    db.berlin();
    if !csv.is_empty() {
        db.import_csv(csv);
    }
    let key = db.key(scopes);
    (Server::start(db), key)
}

// --- the admin web UI, as a browser would use it -------------------------------------------------------

/// A browser-like client: keeps the cookies the server sets.
pub struct Client<'a> {
    srv: &'a Server,
    cookies: Vec<(String, String)>,
}

impl<'a> Client<'a> {
    pub fn new(srv: &'a Server) -> Self {
        Client {
            srv,
            cookies: Vec::new(),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn keep(&mut self, r: &Response) {
        for (k, v) in &r.headers {
            if !k.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = v.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies.retain(|(n, _)| n != name);
                if !value.is_empty() {
                    self.cookies.push((name.to_string(), value.to_string()));
                }
            }
        }
    }

    pub fn get(&mut self, path: &str) -> Response {
        let c = self.cookie_header();
        let r = self.srv.request("GET", path, &[("Cookie", &c)], b"");
        self.keep(&r);
        r
    }

    pub fn post_with(&mut self, path: &str, form: &[(&str, &str)], accept: &str) -> Response {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let c = self.cookie_header();
        let r = self.srv.request(
            "POST",
            path,
            &[
                ("Cookie", &c),
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Accept", accept),
            ],
            body.as_bytes(),
        );
        self.keep(&r);
        r
    }

    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Response {
        self.post_with(path, form, "text/html")
    }

    /// Logs in through the login form; panics unless it works.
    pub fn login(srv: &'a Server, name: &str, password: &str) -> Client<'a> {
        let mut c = Client::new(srv);
        let token = csrf_of(&c.get("/login").text());
        let r = c.post(
            "/login",
            &[("csrf", &token), ("name", name), ("password", password)],
        );
        assert_eq!(r.status, 303, "login as {name}: {}", r.text());
        c
    }

    /// The CSRF token of a logged-in page.
    pub fn token(&mut self, path: &str) -> String {
        csrf_of(&self.get(path).text())
    }
}

pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The value of the first hidden `csrf` field in a page.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no csrf field in:\n{html}"));
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

// --- the journal API and the setup wizard, as several test files read them -----------------------------

/// The journal as the API lists it, hidden calls included, so that nothing can change unseen.
pub fn journal(srv: &Server, key: &str) -> Vec<serde_json::Value> {
    let r = srv.request(
        "GET",
        "/api/v1/calls?limit=500&include_suppressed=true",
        &[("Authorization", &format!("Bearer {key}"))],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["calls"].as_array().unwrap().clone()
}

pub fn detail(srv: &Server, key: &str, id: &serde_json::Value) -> serde_json::Value {
    let r = srv.request(
        "GET",
        &format!("/api/v1/calls/{id}"),
        &[("Authorization", &format!("Bearer {key}"))],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// The setup code the server printed in its log.
pub fn setup_code(srv: &Server) -> String {
    let log = srv.log_text();
    let at = log
        .find("setup code is ")
        .unwrap_or_else(|| panic!("no setup code in the log:\n{log}"));
    log[at + "setup code is ".len()..]
        .chars()
        .take(14)
        .collect()
}

/// What phones get for an event, good or bad: an empty 200.
pub fn assert_empty_200(r: &Response, what: &str) {
    assert_eq!(
        r.status,
        200,
        "{what}: {}",
        String::from_utf8_lossy(&r.body)
    );
    assert!(
        r.body.is_empty(),
        "{what}: {}",
        String::from_utf8_lossy(&r.body)
    );
}

/// Creates a staff user `login` linked to the employee named `employee` through the Users page, as an
/// admin would, and logs them in.
pub fn staff_for<'a>(
    srv: &'a Server,
    admin: &mut Client<'a>,
    employee: &str,
    login: &str,
    password: &str,
) -> Client<'a> {
    let page = admin.get("/users").text();
    let id = page
        .split("<option value=\"")
        .filter_map(|s| s.split_once("\">"))
        .find(|(_, rest)| rest.starts_with(&format!("{employee}<")))
        .map(|(id, _)| id.to_string())
        .unwrap_or_else(|| panic!("{employee} is not in the employee list"));
    let token = csrf_of(&page);
    let r = admin.post(
        "/users",
        &[
            ("csrf", &token),
            ("name", login),
            ("password", password),
            ("role", "staff"),
            ("employee", &id),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    Client::login(srv, login, password)
}

/// Clicks a number's call button as the page's script does: `POST /dial` asking for JSON.
pub fn dial(c: &mut Client, number: &str) -> (u16, serde_json::Value) {
    let token = c.token("/");
    let r = c.post_with(
        "/dial",
        &[("csrf", &token), ("number", number), ("back", "/")],
        "application/json",
    );
    (r.status, r.json())
}
