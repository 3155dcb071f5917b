//! The fuzz harness: one function per target, each feeding arbitrary bytes to one of ringbook's
//! parsers the way the server does. The cargo-fuzz targets in `fuzz_targets/` call these, and
//! `tests/fuzz_corpus.rs` in the main crate includes this file to replay every committed corpus file
//! through the same functions in `cargo test`, so a crash found once stays fixed.
//!
//! Beyond "doesn't panic", a few properties are checked where they are cheap and certain: a number's
//! E.164 form normalizes to itself, and a JSON endpoint answers with JSON and never with a 5xx on a
//! healthy store.
//!
//! The `http_*` targets serve ringbook in this process on a real store (a temporary SQLite file, on
//! tmpfs where there is one) and send each input as a request, so they also cover the JSON and form
//! bodies parsed inside handlers. They are slower than the pure parser targets, and the store grows
//! during a run.

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Cursor, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use ringbook::auth::{self, Scope};
use ringbook::backup::fuzzing as backup;
use ringbook::contacts::{self, NewContact, NewPhone, PhoneKind};
use ringbook::http::{self, form_pairs, percent_decode, Method, Request};
use ringbook::import::{self, Format};
use ringbook::number::{self, Normalized, NumberModel, E164};
use ringbook::password;
use ringbook::recovery;
use ringbook::settings;
use ringbook::store::Store;
use ringbook::totp;
use ringbook::vendors::asterisk::{client, frame, tracker};
use ringbook::vendors::snom::events as snom_events;
use ringbook::vendors::threecx::journal as tcx;
use ringbook::vendors::{cti, fritzbox, placetel, sipgate, threecx, yealink};

/// A fuzz target: takes arbitrary bytes, must not panic.
pub type Target = fn(&[u8]);

/// Every target by name, for the corpus replay test (which checks it against `fuzz_targets/`).
pub const TARGETS: &[(&str, Target)] = &[
    ("number", number),
    ("raw_query", raw_query),
    ("phone_query", phone_query),
    ("ami_frame", ami_frame),
    ("fritzbox_line", fritzbox_line),
    ("import", import),
    ("threecx_body", threecx_body),
    ("times", times),
    ("cti_form", cti_form),
    ("totp_input", totp_input),
    ("backup_open", backup_open),
    ("http_api_json", http_api_json),
    ("http_threecx", http_threecx),
    ("http_propstack", http_propstack),
    ("http_crmsenior", http_crmsenior),
    ("http_cti", http_cti),
    ("http_phones", http_phones),
];

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// A few office number models, picked by the input's first byte.
fn model(selector: u8) -> NumberModel {
    let country = |c: &str| number::parse_country(c).unwrap_or(NumberModel::default().country);
    match selector % 4 {
        0 => NumberModel::default(),
        1 => NumberModel {
            area_code: "30".into(),
            outside_prefix: "0".into(),
            ..NumberModel::default()
        },
        2 => NumberModel {
            country: country("US"),
            area_code: "212".into(),
            outside_prefix: "9".into(),
            ext_min: 3,
            ext_max: 5,
            ..NumberModel::default()
        },
        _ => NumberModel {
            country: country("IT"),
            area_code: "06".into(),
            ext_min: 2,
            ext_max: 2,
            match_tail: 6,
            ..NumberModel::default()
        },
    }
}

fn split_first(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((b, rest)) => (*b, rest),
        None => (0, data),
    }
}

/// `NumberModel::normalize` and what is built on it.
pub fn number(data: &[u8]) {
    let (sel, rest) = split_first(data);
    let m = model(sel);
    let raw = text(rest);
    if let Ok(n) = m.normalize(&raw) {
        let _ = n.digits_key();
        if let Some(e) = n.e164() {
            let _ = m.display(e);
            // Stored numbers are normalized again on lookup: the E.164 form must read as itself.
            match m.normalize(e.as_str()) {
                Ok(again) => assert_eq!(
                    again.e164(),
                    Some(e),
                    "{raw:?} normalized to {e:?}, which normalizes to {again:?}"
                ),
                Err(err) => panic!("{raw:?} normalized to {e:?}, which is refused: {err}"),
            }
        }
        if let Normalized::Public { how, .. } = &n {
            let _ = how.describe();
        }
    }
    let _ = E164::from_stored(&raw);
    let _ = number::parse_extension_digits(&raw);
    let _ = number::parse_country(&raw);
}

fn request(
    method: Method,
    path: &str,
    query: &str,
    headers: Vec<(String, String)>,
    body: &[u8],
) -> Request {
    Request {
        method,
        path: path.to_string(),
        query: query.to_string(),
        headers,
        remote: SocketAddr::from(([192, 0, 2, 7], 5060)),
        body: body.to_vec(),
    }
}

/// The raw query parser: `percent_decode`, `Request::param` and friends, and form bodies.
pub fn raw_query(data: &[u8]) {
    let s = text(data);
    let _ = percent_decode(&s);
    let _ = form_pairs(&s);
    let (query, header) = s.split_once('\n').unwrap_or((&s, ""));
    let req = request(
        Method::Get,
        "/x",
        query,
        vec![
            ("cookie".into(), header.into()),
            ("authorization".into(), header.into()),
        ],
        data,
    );
    for name in ["number", "key", "q", "remote", ""] {
        let _ = req.param(name);
    }
    let _ = req.params();
    let _ = req.api_key();
    let _ = req.cookie("rb_session");
    let _ = req.form();
    let _ = req.body_text();
}

/// The Snom and Yealink action-URL queries: event names, parameters, leg keys and the party swap.
pub fn phone_query(data: &[u8]) {
    let (sel, rest) = split_first(data);
    let m = model(sel);
    let query = text(rest);
    let req = request(Method::Get, "/snom/event", &query, Vec::new(), b"");
    let ev = req.param("ev").unwrap_or_default();
    let _ = snom_events::snom_action(&ev);
    let _ = yealink::action(&ev);
    let hit = snom_events::Hit::snom(&req);
    let phone = snom_events::phone_id(hit.mac.as_deref(), req.remote.ip());
    if let Some(cid) = &hit.call_id {
        let _ = snom_events::leg_key(&phone, cid);
    }
    let _ = snom_events::parties(&m, &hit);
    let _ = snom_events::payload(&req);
    let yealink_hit = snom_events::Hit {
        mac: snom_events::value(&req, "mac"),
        call_id: snom_events::value(&req, "call_id"),
        local: snom_events::value(&req, "local"),
        remote: snom_events::value(&req, "remote"),
        user: snom_events::value(&req, "active_user"),
        ongoing: None,
    };
    let _ = snom_events::parties(&m, &yealink_hit);
}

/// The AMI frame reader and the call tracker fed with its frames.
pub fn ami_frame(data: &[u8]) {
    let (sel, rest) = split_first(data);
    let m = model(sel);
    let _ = frame::parse_all(&text(rest));
    let mut reader = frame::FrameReader::new(Cursor::new(rest));
    let mut t = tracker::Tracker::new();
    let _ = reader.banner();
    // A cursor never times out, so the reader ends with an error at the end of the input; the
    // bound is only a guard against a reader that stops making progress.
    for _ in 0..100_000 {
        match reader.next_frame() {
            Ok(Some(f)) => {
                let at = client::timestamp(&f);
                let _ = f.encode();
                let _ = t.on_frame(&m, &f, at, 1_700_000_000);
            }
            Ok(None) | Err(_) => break,
        }
    }
    let _ = t.open_conversations();
}

/// The FRITZ!Box call-monitor line parser and its call tracker.
pub fn fritzbox_line(data: &[u8]) {
    let s = text(data);
    let tz = jiff::tz::TimeZone::get("Europe/Berlin").unwrap_or(jiff::tz::TimeZone::UTC);
    let mut t = fritzbox::Tracker::new();
    for line in s.lines() {
        if let Ok(Some(l)) = fritzbox::parse_line(line) {
            let at = fritzbox::parse_date(&l.date).and_then(|c| fritzbox::to_unix(c, &tz));
            let _ = t.on_line(&l, line, at);
        }
    }
}

/// CSV and vCard import.
pub fn import(data: &[u8]) {
    let (sel, rest) = split_first(data);
    let m = model(sel);
    let s = text(rest);
    let _ = Format::sniff(&s);
    let _ = import::parse(&s, Format::Csv, &m);
    let _ = import::parse(&s, Format::Vcard, &m);
}

/// The 3CX ReportCall body (JSON or form) and its field parsers, as shared by the Propstack and
/// CRM Senior endpoints.
pub fn threecx_body(data: &[u8]) {
    let (sel, rest) = split_first(data);
    let content_type = if sel & 1 == 1 {
        "application/x-www-form-urlencoded"
    } else {
        "application/json"
    };
    let req = request(
        Method::Post,
        "/3cx/journal",
        "",
        vec![("content-type".into(), content_type.into())],
        rest,
    );
    let tz = jiff::tz::TimeZone::get("Europe/Berlin").unwrap_or(jiff::tz::TimeZone::UTC);
    let _ = threecx::echo_number(&text(rest));
    if let Ok(obj) = tcx::body_fields(&req, "{}") {
        for names in [
            &["calltype", "type"][..],
            &["number"],
            &["duration"],
            &["startutc"],
            &["start"],
            &["data"],
            &["horainicio"],
        ] {
            if let Some(v) = tcx::text(&obj, names) {
                let _ = tcx::CallType::parse(&v);
                let _ = tcx::parse_duration(&v);
                let _ = tcx::parse_utc(&v);
                let _ = tcx::parse_local(&v, &tz, sel & 2 == 2);
                let _ = tcx::unfilled(&v);
                let _ = tcx::answered_by_cause(Some(&v));
            }
        }
    }
}

/// Times as sources and filters write them: the journal's RFC 3339 / date / Unix seconds, 3CX's UTC
/// and local forms, the FRITZ!Box's `dd.mm.yy HH:MM:SS`, and setting durations.
pub fn times(data: &[u8]) {
    let (sel, rest) = split_first(data);
    let s = text(rest);
    if let Ok(t) = ringbook::journal::time::parse(&s) {
        let _ = ringbook::journal::time::format(t);
    }
    let tz = jiff::tz::TimeZone::get("Europe/Berlin").unwrap_or(jiff::tz::TimeZone::UTC);
    let _ = tcx::parse_utc(&s);
    let _ = tcx::parse_local(&s, &tz, sel & 1 == 1);
    let _ = tcx::parse_duration(&s);
    if let Some(c) = fritzbox::parse_date(&s) {
        let _ = fritzbox::to_unix(c, &tz);
    }
    let _ = settings::parse_duration(&s);
}

/// The CTI push bodies (Zammad generic CTI, sipgate.io, Placetel) as forms.
pub fn cti_form(data: &[u8]) {
    let (sel, rest) = split_first(data);
    let m = model(sel);
    let f = cti::Fields::from_form(&text(rest));
    let _ = cti::event_from(&m, &f);
    let _ = sipgate::event_from(&m, &f);
    let _ = placetel::events_from(&m, &f, 1_700_000_000);
    let _ = placetel::verify("secret", rest, f.get("signature"));
    let _ = auth::same_secret(rest, b"token");
}

/// What the login's code step and the account page read from a form: a typed code, a recovery code,
/// the base32 key the enrolment form sends back, and a new password. A key that reads must write
/// back to the same text's bytes; a recovery code that reads is 16 base32 characters, and reads as
/// itself again; a password that may be set is within the length limits.
pub fn totp_input(data: &[u8]) {
    let typed = text(data);
    if password::check(&typed, "owner").is_ok() {
        let n = typed.chars().count();
        assert!(
            (password::MIN_LENGTH..=password::MAX_LENGTH).contains(&n),
            "{typed:?}"
        );
    }
    if let Some(code) = recovery::read(&typed) {
        assert_eq!(code.len(), 16, "{typed:?} read as {code:?}");
        assert_eq!(recovery::read(&code).as_deref(), Some(code.as_str()));
    }
    let key = b"12345678901234567890";
    let _ = totp::verify(key, &typed, 1_700_000_000, 0);
    let _ = totp::verify(key, &typed, i64::MAX, i64::MIN);
    if let Some(secret) = totp::from_base32(&typed) {
        assert_eq!(
            totp::from_base32(&totp::base32(&secret)).as_deref(),
            Some(secret.as_slice()),
            "base32 round trip of {typed:?}"
        );
        let _ = totp::verify(&secret, "123456", 1_700_000_000, 0);
    }
}

/// A backup file from anywhere (a restore's upload, which an admin may have been handed). The first
/// byte picks what the rest is:
/// - even: a file to open, which must not panic, whatever its header asks for;
/// - odd: data to seal, which must open to itself, and must not open once one byte of the sealed
///   file (chosen by the input) is changed or its last byte is cut.
///
/// Keys use the harness's low costs (`backup::fuzzing`); the format is the same.
pub fn backup_open(data: &[u8]) {
    const PASS: &str = "blue tram at nine";
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let _ = backup::open_cheap(rest, PASS);
        return;
    }
    let sealed = backup::seal_cheap(rest, PASS);
    assert_eq!(
        backup::open_cheap(&sealed, PASS).expect("a file just sealed opens"),
        rest
    );
    let at = (usize::from(mode) * 131 + rest.len()) % sealed.len();
    let mut changed = sealed.clone();
    changed[at] ^= 1;
    assert!(
        backup::open_cheap(&changed, PASS).is_err(),
        "byte {at} of {} changed, and the file still opened",
        sealed.len()
    );
    assert!(backup::open_cheap(&sealed[..sealed.len() - 1], PASS).is_err());
}

// ---------------------------------------------------------------------------------------------------
// Handlers on a real store.
//
// The `http_*` targets serve ringbook in this process (`http::serve` on a loopback port, two workers)
// and send each input as one request over a keep-alive connection. The handlers run in the server's
// threads; coverage is counted for every thread, and libFuzzer's panic hook aborts the process on a
// panic in any of them. So these targets also cover tiny_http's request reading and the deferred
// answers of the journal endpoints, exactly as deployed.

/// The CTI token the harness store is set up with.
const CTI_TOKEN: &str = "fuzz-token-0123456789";

struct Harness {
    addr: SocketAddr,
    conn: Option<(TcpStream, BufReader<TcpStream>)>,
    key: String,
    /// A call opened through CRM Senior's consult-phone, for end-call.
    crmsenior_call: String,
    /// A call made through the journal API, for PATCH.
    api_call: i64,
    _db: TempFile,
}

struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", self.0.display()));
        }
    }
}

thread_local! {
    static HARNESS: RefCell<Option<Harness>> = const { RefCell::new(None) };
}

fn setup() -> Harness {
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    // One store per thread: the corpus replay test runs targets on parallel threads.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = base.join(format!("ringbook-fuzz-{}-{n}.db", std::process::id()));
    // A leftover from a run that was killed would carry its state over: start clean.
    drop(TempFile(path.clone()));
    let file = TempFile(path.clone());
    let store = Store::open(&path).expect("the harness store opens");
    for (k, v) in [
        ("number.country", "DE"),
        ("number.area_code", "30"),
        ("number.outside_prefix", "0"),
        ("cti.token", CTI_TOKEN),
        // No HTTPS listener: it would hold port 8443 for as long as the target runs.
        ("web.https_port", "0"),
    ] {
        settings::set(&store, k, v).expect("the harness settings are valid");
    }
    let model = NumberModel {
        area_code: "30".into(),
        outside_prefix: "0".into(),
        ..NumberModel::default()
    };
    for (first, last, company, phone) in [
        ("Anna", "Müller", "Müller & Söhne GmbH", "030 1234567"),
        ("Bernd", "Schulz", "", "+49 171 2345678"),
        ("", "", "Praxis Dr. Weiß", "+49 30 9876543"),
    ] {
        contacts::create(
            &store,
            &model,
            NewContact {
                first_name: first.into(),
                last_name: last.into(),
                company: company.into(),
                phones: vec![NewPhone {
                    kind: PhoneKind::Office,
                    raw: phone.into(),
                }],
                ..NewContact::default()
            },
        )
        .expect("the harness contacts are valid");
    }
    let key = auth::create_key(&store, "fuzz", &[Scope::Admin], &[], true)
        .expect("the harness key is created")
        .full_key
        .expect("a key with a secret");
    let (tx, rx) = std::sync::mpsc::channel();
    let config = http::Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers: 2,
        io_timeout: Duration::from_secs(30),
    };
    std::thread::spawn(move || {
        let r = http::serve(config, store, move |addr| {
            let _ = tx.send(addr);
        });
        panic!("the harness server stopped: {r:?}");
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the harness server starts");
    let mut h = Harness {
        addr,
        conn: None,
        key,
        crmsenior_call: String::new(),
        api_call: 1,
        _db: file,
    };
    let consult = h.call("GET", "/cti3cx/consult-phone/0301234567", None, b"");
    assert_eq!(
        consult.0,
        200,
        "consult-phone: {}",
        String::from_utf8_lossy(&consult.1)
    );
    let v: serde_json::Value = serde_json::from_slice(&consult.1).unwrap_or_default();
    h.crmsenior_call = v["contact"][0]["customvalue"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let ev = h.call(
        "POST",
        "/api/v1/events",
        Some("application/json"),
        br#"{"event":"ringing","call_id":"fuzz-1","direction":"in","remote":"+49301234567"}"#,
    );
    assert_eq!(ev.0, 200, "an event: {}", String::from_utf8_lossy(&ev.1));
    let v: serde_json::Value = serde_json::from_slice(&ev.1).unwrap_or_default();
    h.api_call = v["events"][0]["call_id"].as_i64().unwrap_or(1);
    h
}

impl Harness {
    /// Sends one request (`target` is path and query) and reads the answer: status, body and
    /// content type. A connection the server closed is opened again once.
    fn call(
        &mut self,
        method: &str,
        target: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> (u16, Vec<u8>, String) {
        let mut req = format!(
            "{method} {target} HTTP/1.1\r\nHost: ringbook.local\r\nX-Api-Key: {}\r\nContent-Length: {}\r\n",
            self.key,
            body.len()
        );
        if let Some(t) = content_type {
            req.push_str(&format!("Content-Type: {t}\r\n"));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        for _ in 0..2 {
            if self.conn.is_none() {
                let s = TcpStream::connect(self.addr).expect("the harness server accepts");
                s.set_read_timeout(Some(Duration::from_secs(60))).ok();
                s.set_nodelay(true).ok();
                let r = BufReader::new(s.try_clone().expect("a socket clones"));
                self.conn = Some((s, r));
            }
            if let Some(answer) = self.conn.as_mut().and_then(|c| exchange(c, &bytes)) {
                return answer;
            }
            self.conn = None;
        }
        panic!("{method} {target}: the server closed the connection twice without an answer");
    }
}

fn exchange(
    c: &mut (TcpStream, BufReader<TcpStream>),
    req: &[u8],
) -> Option<(u16, Vec<u8>, String)> {
    c.0.write_all(req).ok()?;
    let r = &mut c.1;
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let status: u16 = line.split_whitespace().nth(1)?.parse().ok()?;
    let (mut len, mut ct, mut close) = (0usize, String::new(), false);
    loop {
        line.clear();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "content-length" => len = v.trim().parse().ok()?,
                "content-type" => ct = v.trim().to_string(),
                "connection" => close = v.trim().eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    if close {
        let _ = c.0.shutdown(std::net::Shutdown::Both);
    }
    Some((status, body, ct))
}

/// What a fuzzed request goes to: method, path, and whether the input is the query, a path segment
/// or the body.
#[derive(Clone, Copy)]
enum Part {
    Query,
    Segment,
    Body,
}

fn dispatch(routes: &[(&str, &str, Part)], data: &[u8]) {
    if routes.is_empty() {
        return;
    }
    let (sel, rest) = split_first(data);
    let (method, path, part) = routes[usize::from(sel >> 2) % routes.len()];
    let content_type = match sel & 3 {
        0 => Some("application/json"),
        1 => Some("application/x-www-form-urlencoded"),
        2 => Some("text/plain"),
        _ => None,
    };
    HARNESS.with(|cell| {
        let mut slot = cell.borrow_mut();
        let h = slot.get_or_insert_with(setup);
        let path = path
            .replace("{crmsenior_call}", &h.crmsenior_call)
            .replace("{api_call}", &h.api_call.to_string())
            .replace("{token}", CTI_TOKEN);
        // A request line is ASCII without spaces or controls (tiny_http refuses anything else before
        // ringbook sees it); what the escapes decode to may be anything.
        let ascii: String = text(rest)
            .chars()
            .map(|c| if c.is_ascii_graphic() { c } else { '%' })
            .collect();
        let (target, body) = match part {
            Part::Query => (format!("{path}?{ascii}"), &[][..]),
            Part::Segment => {
                let seg = ascii.replace(['/', '?', '#'], "%2F");
                if seg.is_empty() {
                    return;
                }
                (format!("{path}{seg}"), &[][..])
            }
            Part::Body => (path, rest),
        };
        let (status, body, ct) = h.call(method, &target, content_type, body);
        let shown = String::from_utf8_lossy(&body);
        assert!(status < 500, "{method} {target} answered {status}: {shown}");
        if ct.starts_with("application/json") {
            assert!(
                serde_json::from_slice::<serde_json::Value>(&body).is_ok(),
                "{method} {target} answered invalid JSON: {shown}"
            );
        }
    });
}

/// ringbook's own JSON API: events, call patches and bulk handling, lookups and the call list.
pub fn http_api_json(data: &[u8]) {
    dispatch(
        &[
            ("POST", "/api/v1/events", Part::Body),
            ("PATCH", "/api/v1/calls/{api_call}", Part::Body),
            ("POST", "/api/v1/calls/handled", Part::Body),
            ("GET", "/api/v1/lookup", Part::Query),
            ("GET", "/api/v1/calls", Part::Query),
            ("GET", "/api/v1/calls/", Part::Segment),
        ],
        data,
    );
}

/// The 3CX CRM template's endpoints: create contact, ReportCall, lookup and search.
pub fn http_threecx(data: &[u8]) {
    dispatch(
        &[
            ("POST", "/3cx/contacts", Part::Body),
            ("POST", "/3cx/journal", Part::Body),
            ("GET", "/3cx/lookup", Part::Query),
            ("GET", "/3cx/search", Part::Query),
        ],
        data,
    );
}

/// The Propstack seed's endpoints.
pub fn http_propstack(data: &[u8]) {
    dispatch(
        &[
            ("POST", "/v1/calls/3cx", Part::Body),
            ("GET", "/v1/calls/phone", Part::Query),
            ("GET", "/v1/contacts", Part::Query),
        ],
        data,
    );
}

/// The CRM Senior seed's endpoints.
pub fn http_crmsenior(data: &[u8]) {
    dispatch(
        &[
            ("PUT", "/cti3cx/end-call/{crmsenior_call}", Part::Body),
            ("GET", "/cti3cx/consult-phone/", Part::Segment),
        ],
        data,
    );
}

/// The CTI pushes as they arrive, form or JSON.
pub fn http_cti(data: &[u8]) {
    dispatch(
        &[
            ("POST", "/cti/{token}", Part::Body),
            ("POST", "/cti/{token}/sipgate", Part::Body),
            ("POST", "/cti/{token}/placetel", Part::Body),
        ],
        data,
    );
}

/// What phones and PBXs send: Snom and Yealink events and lookups, phone books, `lookup.txt`.
pub fn http_phones(data: &[u8]) {
    dispatch(
        &[
            ("GET", "/snom/incoming", Part::Query),
            ("GET", "/snom/event", Part::Query),
            ("GET", "/snom/directory", Part::Query),
            ("GET", "/yealink/event", Part::Query),
            ("GET", "/yealink/phonebook.xml", Part::Query),
            ("GET", "/lookup.txt", Part::Query),
            ("GET", "/lookup.txt/", Part::Segment),
            ("POST", "/lookup.txt", Part::Body),
        ],
        data,
    );
}
