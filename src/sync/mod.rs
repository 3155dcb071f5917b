//! Upstream CRM sync: delivers the outbox (see `store/outbox.rs`) to the office's cloud CRMs.
//!
//! One worker thread per connector, so a slow or dead CRM never holds up another. A worker wakes when the
//! journal publishes a change (after COMMIT, through `journal::notify`; only while its connector is on)
//! or when its timer says the next row is due. Delivery rules:
//! - a row is marked delivered only after a 2xx was received, and that is recorded in the store; a row
//!   whose 2xx was received but not yet recorded when the process died is sent again (the
//!   `Idempotency-Key` header lets a CRM that honours it drop the repeat);
//! - a transport error (refused, reset, TLS), a timeout or a 5xx pauses the whole connector with
//!   exponential backoff and full jitter (`sync.backoff_max` caps it), so an outage costs one request per
//!   pause, not one per row; none of these counts as a failed attempt of the row, so an outage of any
//!   length never dead-letters a call;
//! - a 429 pauses it for `Retry-After` seconds (or the backoff) and doesn't count either;
//! - any other answer (a 4xx, a garbage or `{"error":..}` body) is a failure of that row alone;
//! - so that one row the CRM always answers with a 5xx can't hold up the queue for ever, rows that failed
//!   before are tried last in a round, and such a row's 5xx counts against it (no pause) when the CRM
//!   answered another row with a 2xx since its previous failure: the CRM is up, the row is the problem;
//! - after `sync.max_attempts` counted failures a row is dead-lettered with its last error kept;
//! - the steps of one call go out in order: a row waits while an earlier row of its call is pending;
//! - `sync.rate_per_minute` spaces requests per connector (0: no limit).
//!
//! Answers that carry contacts (Propstack's contact search, CRM Senior's consult) are stored in the
//! contact mirror (`mirror.rs`) in the same transaction that records the delivery. Network settings
//! (timeouts, custom CA, proxy) are in `net.rs`.
//!
//! The lookup path never touches any of this: it reads only the local store.

pub mod crmsenior;
pub mod mirror;
pub mod net;
pub mod propstack;
pub mod webhook;

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

use crate::contacts::Prepared;
use crate::journal::assembler::CallRow;
use crate::journal::notify::{self, CallChanged};
use crate::settings::{parse_duration, Settings};
use crate::store::outbox::{self, Row, CONNECTORS, CRMSENIOR, PROPSTACK};
use crate::store::{calls, Reader, Store};

/// Failed delivery attempts since start, for `/metrics`.
pub static FAILED_ATTEMPTS: AtomicU64 = AtomicU64::new(0);
/// Rows delivered since start, for `/metrics`.
pub static DELIVERED: AtomicU64 = AtomicU64::new(0);

/// One HTTP request to a CRM, built by a connector from a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// What a connector decides before sending.
#[derive(Debug, PartialEq, Eq)]
pub enum Build {
    Send(Request),
    /// Nothing to send for this row (e.g. an anonymous caller CRM Senior can't be asked about); the
    /// reason is kept on the row.
    Skip(String),
}

/// What one row is about: the call as it is now, its outbox row and any id the CRM gave the call.
pub struct Item<'a> {
    pub settings: &'a Settings,
    pub call: &'a CallRow,
    pub row: &'a Row,
    pub upstream: Option<String>,
}

fn build(connector: &str, item: &Item<'_>) -> Result<Build, String> {
    match connector {
        PROPSTACK => propstack::build(item),
        CRMSENIOR => crmsenior::build(item),
        _ => webhook::build(item),
    }
}

/// What a 2xx answer gives: an upstream id for the call, and contacts for the mirror.
#[derive(Debug, Default)]
struct Answer {
    upstream: Option<String>,
    contacts: Vec<crate::contacts::NewContact>,
}

/// Reads a 2xx answer, or says why the answer is a failure after all.
fn read_answer(connector: &str, row: &Row, body: &str) -> Result<Answer, String> {
    match connector {
        CRMSENIOR => {
            let upstream = crmsenior::read_answer(row, body)?;
            let contacts = if row.step == "ring" {
                mirror::crmsenior_contacts(body)
            } else {
                Vec::new()
            };
            Ok(Answer { upstream, contacts })
        }
        PROPSTACK if row.step == propstack::CONTACT_STEP => Ok(Answer {
            upstream: None,
            contacts: mirror::propstack_contacts(body)?,
        }),
        _ => Ok(Answer::default()),
    }
}

/// The `sync.*` settings a worker uses.
struct Tuning {
    enabled: bool,
    max_attempts: i64,
    rate_per_minute: u64,
    net: net::Net,
    backoff_max_ms: i64,
}

impl Tuning {
    fn of(settings: &Settings, connector: &str) -> Tuning {
        let secs = |k: &str, d: u64| parse_duration(settings.get(k)).unwrap_or(d);
        Tuning {
            enabled: !settings
                .get(&format!("sync.{connector}.url"))
                .trim()
                .is_empty(),
            max_attempts: settings.get("sync.max_attempts").parse().unwrap_or(12),
            rate_per_minute: settings.get("sync.rate_per_minute").parse().unwrap_or(0),
            net: net::Net::of(settings, connector),
            backoff_max_ms: (secs("sync.backoff_max", 300).max(1) * 1000) as i64,
        }
    }
}

/// Starts one worker thread per connector, and the address book puller (`mirror.rs`). Workers of
/// connectors that are off just re-read the settings now and then, so turning one on needs no restart.
pub fn start(store: Store) -> io::Result<()> {
    mirror::start(store.clone())?;
    for connector in CONNECTORS {
        let store = store.clone();
        crate::vital::spawn(format!("sync-{connector}"), move || run(store, connector))?;
    }
    Ok(())
}

/// How long a worker sleeps when nothing is due, at most: it also picks up settings changed by the CLI.
const IDLE: Duration = Duration::from_secs(2);
/// Rows fetched per round.
const BATCH: usize = 64;

fn run(store: Store, connector: &'static str) {
    let mut changes = None;
    let mut w = loop {
        match Worker::new(store.clone(), connector) {
            Ok(w) => break w,
            Err(e) => {
                log::error!("sync {connector}: the store can't be read ({e}); retrying");
                std::thread::sleep(Duration::from_secs(5));
            }
        }
    };
    loop {
        let wait = match w.round() {
            Ok(wait) => wait,
            Err(e) => {
                log::warn!("sync {connector}: {e}");
                Duration::from_secs(1)
            }
        };
        if wait.is_zero() || w.listen(&mut changes) {
            continue;
        }
        match &changes {
            Some(rx) => match rx.recv_timeout(wait) {
                Ok(_) | Err(RecvTimeoutError::Timeout) => while rx.try_recv().is_ok() {},
                // The journal never drops its senders; if it did, the timer alone keeps us going.
                Err(RecvTimeoutError::Disconnected) => std::thread::sleep(wait),
            },
            None => std::thread::sleep(wait),
        }
    }
}

struct Worker {
    store: Store,
    connector: &'static str,
    reader: Reader,
    settings: Settings,
    loaded: Instant,
    generation: u64,
    tuning: Tuning,
    /// The HTTP agent for `tuning.net`, or why none can be built (a bad CA file or proxy).
    agent: Result<ureq::Agent, String>,
    agent_net: net::Net,
    /// Consecutive transport failures, 5xx and 429s: the exponent of the connector's backoff.
    failures: u32,
    /// When this connector last received a 2xx (Unix ms): tells a CRM that is down from one row it
    /// always refuses with a 5xx.
    last_ok_ms: i64,
    paused_until: i64,
    next_send: Instant,
}

/// What became of one attempt, to be recorded in the store.
enum Outcome {
    Delivered {
        id: i64,
        call_id: i64,
        upstream: Option<String>,
        /// Contacts the answer carried, for the mirror.
        mirror: Vec<Prepared>,
    },
    Failed {
        id: i64,
        error: String,
        next_at: i64,
        count: bool,
    },
    Skipped {
        id: i64,
        why: String,
    },
}

impl Worker {
    fn new(store: Store, connector: &'static str) -> Result<Worker, String> {
        let reader = store.background_reader().map_err(|e| e.to_string())?;
        let settings = Settings::load(&reader).map_err(|e| e.to_string())?;
        let tuning = Tuning::of(&settings, connector);
        Ok(Worker {
            agent: tuning.net.agent(),
            agent_net: tuning.net.clone(),
            last_ok_ms: 0,
            store,
            connector,
            reader,
            settings,
            loaded: Instant::now(),
            generation: crate::settings::generation(),
            tuning,
            failures: 0,
            paused_until: 0,
            next_send: Instant::now(),
        })
    }

    /// Re-reads the settings when this process changed one, or every [`IDLE`] (the CLI is another process).
    fn refresh(&mut self) -> Result<(), String> {
        let generation = crate::settings::generation();
        if generation == self.generation && self.loaded.elapsed() < IDLE {
            return Ok(());
        }
        self.settings = Settings::load(&self.reader).map_err(|e| e.to_string())?;
        self.generation = generation;
        self.loaded = Instant::now();
        self.tuning = Tuning::of(&self.settings, self.connector);
        if self.tuning.net != self.agent_net {
            self.agent = self.tuning.net.agent();
            self.agent_net = self.tuning.net.clone();
        }
        Ok(())
    }

    /// Keeps `changes` subscribed to the journal's change feed while the connector is on, and drops
    /// the subscription while it is off. Most offices run without one CRM or another, and a worker
    /// that stays subscribed wakes for every call change only to find it has nothing to send: three
    /// such workers cost about 60 µs of CPU per change at 1,000 events a second. A connector that is
    /// off sleeps on its timer and sees a new URL within [`IDLE`].
    ///
    /// Returns true when it has just subscribed: a change committed between the last round and the
    /// subscription sent no wake-up, so the caller runs a round at once instead of waiting.
    fn listen(&self, changes: &mut Option<Receiver<CallChanged>>) -> bool {
        match (self.tuning.enabled, changes.is_some()) {
            (true, false) => {
                *changes = Some(notify::subscribe(1024));
                true
            }
            (false, true) => {
                *changes = None;
                false
            }
            _ => false,
        }
    }

    /// Delivers what is due and says how long to sleep before the next round.
    fn round(&mut self) -> Result<Duration, String> {
        self.refresh()?;
        if !self.tuning.enabled {
            return Ok(IDLE);
        }
        let now = outbox::now_ms();
        if self.paused_until > now {
            return Ok(Duration::from_millis((self.paused_until - now) as u64));
        }
        let rows = outbox::due(self.reader.conn(), self.connector, now, BATCH)
            .map_err(|e| e.to_string())?;
        if rows.is_empty() {
            let next =
                outbox::next_due(self.reader.conn(), self.connector).map_err(|e| e.to_string())?;
            let wait = next.map_or(IDLE, |at| Duration::from_millis((at - now).max(1) as u64));
            return Ok(wait.min(IDLE));
        }
        self.deliver(rows)?;
        Ok(Duration::ZERO)
    }

    fn deliver(&mut self, mut rows: Vec<Row>) -> Result<(), String> {
        // Rows that failed before go last (a stable sort keeps id order otherwise): a row the CRM keeps
        // refusing doesn't stop the rows behind it, and their 2xx show the CRM is up. Per-call order
        // holds, as `due` returns only the first pending row of each call.
        rows.sort_by_key(|r| r.last_error.is_some());
        let mut outcomes = Vec::with_capacity(rows.len());
        let mut last_flush = Instant::now();
        for row in &rows {
            let (outcome, stop) = self.attempt(row)?;
            outcomes.push(outcome);
            // Record promptly, so a crash re-sends as few delivered rows as possible.
            if stop || outcomes.len() >= 32 || last_flush.elapsed() > Duration::from_millis(200) {
                self.record(std::mem::take(&mut outcomes))?;
                last_flush = Instant::now();
            }
            if stop {
                break;
            }
        }
        self.record(outcomes)
    }

    /// One attempt; `true` when the connector must pause (transport error, 5xx, 429).
    fn attempt(&mut self, row: &Row) -> Result<(Outcome, bool), String> {
        let conn = self.reader.conn();
        let Some(call) = calls::call_row(conn, row.call_id).map_err(|e| e.to_string())? else {
            let why = format!("call {} is no longer in the journal", row.call_id);
            return Ok((Outcome::Skipped { id: row.id, why }, false));
        };
        let upstream =
            outbox::upstream_id(conn, self.connector, row.call_id).map_err(|e| e.to_string())?;
        let item = Item {
            settings: &self.settings,
            call: &call,
            row,
            upstream,
        };
        let req = match build(self.connector, &item) {
            Ok(Build::Send(req)) => req,
            Ok(Build::Skip(why)) => return Ok((Outcome::Skipped { id: row.id, why }, false)),
            Err(e) => return Ok((self.failed_row(row, e), false)),
        };
        self.rate_wait();
        match self.send(&req) {
            Sent::Ok(body) => {
                self.failures = 0;
                self.last_ok_ms = outbox::now_ms();
                match read_answer(self.connector, row, &body) {
                    Ok(answer) => {
                        let mirror = if answer.contacts.is_empty() {
                            Vec::new()
                        } else {
                            mirror::prepare_all(&self.settings.number_model(), answer.contacts)
                        };
                        Ok((
                            Outcome::Delivered {
                                id: row.id,
                                call_id: row.call_id,
                                upstream: answer.upstream,
                                mirror,
                            },
                            false,
                        ))
                    }
                    Err(e) => Ok((self.failed_row(row, e), false)),
                }
            }
            Sent::Throttled(retry_after, error) => {
                self.failures = self.failures.saturating_add(1);
                let wait = retry_after
                    .map(|s| (s.min(3600) * 1000) as i64)
                    .unwrap_or_else(|| self.backoff(self.failures));
                Ok((self.pause(row, error, wait, false), true))
            }
            Sent::Down(error, http) => {
                // A 5xx for a row that failed before, while the CRM gave another row a 2xx since then:
                // the row, not an outage.
                if http && row.last_error.is_some() && self.last_ok_ms > row.updated_at {
                    return Ok((self.failed_row(row, error), false));
                }
                self.failures = self.failures.saturating_add(1);
                let wait = self.backoff(self.failures);
                Ok((self.pause(row, error, wait, false), true))
            }
            Sent::Rejected(error) => Ok((self.failed_row(row, error), false)),
        }
    }

    fn pause(&mut self, row: &Row, error: String, wait_ms: i64, count: bool) -> Outcome {
        let next_at = outbox::now_ms() + wait_ms;
        self.paused_until = next_at;
        FAILED_ATTEMPTS.fetch_add(1, Ordering::Relaxed);
        log::warn!(
            "sync {}: outbox row {} failed ({error}); pausing for {} ms",
            self.connector,
            row.id,
            wait_ms
        );
        Outcome::Failed {
            id: row.id,
            error,
            next_at,
            count,
        }
    }

    fn failed_row(&mut self, row: &Row, error: String) -> Outcome {
        FAILED_ATTEMPTS.fetch_add(1, Ordering::Relaxed);
        log::warn!(
            "sync {}: outbox row {} failed: {error}",
            self.connector,
            row.id
        );
        let attempts = u32::try_from(row.attempts.saturating_add(1)).unwrap_or(u32::MAX);
        Outcome::Failed {
            id: row.id,
            error,
            next_at: outbox::now_ms() + self.backoff(attempts),
            count: true,
        }
    }

    /// Exponential backoff from one second, capped by `sync.backoff_max`, with full jitter in its upper
    /// half so a fleet of rows (or of boxes) doesn't retry in lockstep.
    fn backoff(&self, n: u32) -> i64 {
        backoff_ms(n, self.tuning.backoff_max_ms, jitter())
    }

    /// Spaces requests by `sync.rate_per_minute`.
    fn rate_wait(&mut self) {
        let rate = self.tuning.rate_per_minute;
        if rate == 0 {
            return;
        }
        let now = Instant::now();
        if self.next_send > now {
            std::thread::sleep(self.next_send - now);
        }
        self.next_send = self.next_send.max(now) + Duration::from_secs(60) / rate as u32;
    }

    fn send(&self, req: &Request) -> Sent {
        let agent = match &self.agent {
            Ok(a) => a,
            Err(e) => return Sent::Down(e.clone(), false),
        };
        let mut r = agent.request(req.method, &req.url);
        for (k, v) in &req.headers {
            r = r.set(k, v);
        }
        let res = match &req.body {
            Some(b) => r.send_bytes(b),
            None => r.call(),
        };
        match res {
            Ok(resp) if (200..300).contains(&resp.status()) => match resp.into_string() {
                Ok(body) => Sent::Ok(body),
                Err(e) => Sent::Down(format!("the answer could not be read: {e}"), false),
            },
            Ok(resp) => Sent::Rejected(format!("HTTP {} (not a 2xx)", resp.status())),
            Err(ureq::Error::Status(code, resp)) => {
                let retry_after = resp
                    .header("Retry-After")
                    .and_then(|v| v.trim().parse::<u64>().ok());
                let body: String = resp
                    .into_string()
                    .unwrap_or_default()
                    .chars()
                    .take(300)
                    .collect();
                let error = format!("HTTP {code}: {}", body.trim());
                match code {
                    429 => Sent::Throttled(retry_after, error),
                    408 => Sent::Down(error, false),
                    500..=599 => Sent::Down(error, true),
                    _ => Sent::Rejected(error),
                }
            }
            Err(ureq::Error::Transport(t)) => Sent::Down(transport_error(&req.url, &t), false),
        }
    }

    fn record(&self, outcomes: Vec<Outcome>) -> Result<(), String> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let connector = self.connector;
        let max = self.tuning.max_attempts;
        let delivered = outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Delivered { .. }))
            .count() as u64;
        self.store
            .write(move |tx| {
                let now = outbox::now_ms();
                for o in &outcomes {
                    match o {
                        Outcome::Delivered {
                            id,
                            call_id,
                            upstream,
                            mirror,
                        } => {
                            if let Some(u) = upstream {
                                outbox::set_upstream_id(tx, connector, *call_id, u)?;
                            }
                            crate::store::contacts::mirror_upsert(tx, connector, mirror)?;
                            outbox::mark_delivered(tx, *id, now)?;
                        }
                        Outcome::Failed {
                            id,
                            error,
                            next_at,
                            count,
                        } => outbox::mark_failed(tx, *id, error, *next_at, *count, max, now)?,
                        Outcome::Skipped { id, why } => outbox::mark_skipped(tx, *id, why, now)?,
                    }
                }
                Ok(())
            })
            .map_err(|e| format!("the outcome could not be recorded: {e}"))?;
        DELIVERED.fetch_add(delivered, Ordering::Relaxed);
        Ok(())
    }
}

enum Sent {
    Ok(String),
    /// 429, with Retry-After in seconds when given.
    Throttled(Option<u64>, String),
    /// Transport error, timeout, 408 or 5xx (`true`: an HTTP 5xx answer): the CRM is down or
    /// overloaded.
    Down(String, bool),
    /// Any other answer: this row is wrong for the CRM.
    Rejected(String),
}

/// A transport error worded for the outbox listing: ureq's text, plus a hint for TLS failures, which are
/// most often a self-hosted CRM's own CA.
fn transport_error(url: &str, t: &ureq::Transport) -> String {
    let text = t.to_string();
    let tls = text.contains("certificate") || text.contains("TLS") || text.contains("tls");
    if tls && url.starts_with("https://") {
        format!("{text} (a self-hosted CRM with its own CA needs that CA's PEM file in sync.<connector>.ca_file)")
    } else {
        text
    }
}

/// The wait before attempt `n + 1` in milliseconds: 1 s doubling per failure, capped at `cap_ms`, then
/// somewhere in the upper half of that (`r` is a random number).
fn backoff_ms(n: u32, cap_ms: i64, r: u64) -> i64 {
    let exp = 1000i64.saturating_mul(1i64 << n.saturating_sub(1).min(30));
    let cap = exp.min(cap_ms).max(2);
    cap / 2 + (r % (cap as u64 / 2 + 1)) as i64
}

fn jitter() -> u64 {
    let mut b = [0u8; 8];
    // Without randomness the backoff is just not jittered; that is harmless.
    let _ = getrandom::getrandom(&mut b);
    u64::from_le_bytes(b)
}

/// `HH:MM:SS` for a duration in seconds (3CX's `[Duration]`).
pub fn hms(secs: i64) -> String {
    let s = secs.max(0);
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// The other party's number as stored: E.164 when it parsed, the raw form otherwise.
pub fn remote_number(call: &CallRow) -> String {
    call.remote_e164
        .clone()
        .unwrap_or_else(|| call.remote_raw.clone())
}

/// 3CX's `[CallType]` for a finished call, which both seed CRMs use.
pub fn call_type(call: &CallRow) -> &'static str {
    use crate::journal::Direction;
    match (call.direction == Direction::Out, call.answered_at.is_some()) {
        (false, true) => "Inbound",
        (true, true) => "Outbound",
        (false, false) => "Missed",
        (true, false) => "Notanswered",
    }
}

/// Percent-encodes a query or path value (everything but RFC 3986 unreserved characters).
pub fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// Validators of the `sync.*` settings (see settings::SPECS).

pub fn valid_propstack_mode(v: &str) -> Result<String, String> {
    one_of(v, &["3cx", "phone"])
}

pub fn valid_phone_format(v: &str) -> Result<String, String> {
    one_of(v, &["00", "plus", "digits"])
}

pub fn valid_webhook_format(v: &str) -> Result<String, String> {
    one_of(v, &["ringbook", "zammad"])
}

pub fn valid_attempts(v: &str) -> Result<String, String> {
    match v.trim().parse::<u32>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n.to_string()),
        _ => Err(format!("'{v}' must be a whole number from 1 to 1000")),
    }
}

pub fn valid_rate(v: &str) -> Result<String, String> {
    match v.trim().parse::<u32>() {
        Ok(n) if n <= 600_000 => Ok(n.to_string()),
        _ => Err(format!(
            "'{v}' must be a whole number of requests per minute (0 for no limit)"
        )),
    }
}

fn one_of(v: &str, allowed: &[&str]) -> Result<String, String> {
    let v = v.trim().to_ascii_lowercase();
    if allowed.contains(&v.as_str()) {
        Ok(v)
    } else {
        Err(format!("'{v}' must be one of {}", allowed.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_listens_to_the_journal_only_while_its_connector_is_on() {
        use crate::journal::{CallId, ChangeKind};
        let dir = crate::store::test_dir("sync-listen");
        let store = Store::open(&dir.join("t.db")).unwrap();
        let mut w = Worker::new(store.clone(), "webhook").unwrap();
        let mut changes = None;
        assert!(!w.listen(&mut changes), "off: nothing to subscribe to");
        assert!(changes.is_none());

        crate::settings::set(&store, "sync.webhook.url", "http://127.0.0.1:9/hook").unwrap();
        w.refresh().unwrap();
        assert!(
            w.listen(&mut changes),
            "turned on: a round must follow at once"
        );
        assert!(!w.listen(&mut changes), "already listening");
        let change = CallChanged {
            call_id: CallId(7),
            kind: ChangeKind::Ringing,
            notify: true,
        };
        notify::publish(&[change]);
        let rx = changes.as_ref().expect("subscribed");
        // Other tests in this process may publish too; ours must be among what arrived.
        assert!(rx.try_iter().any(|c| c == change));

        crate::settings::set(&store, "sync.webhook.url", "").unwrap();
        w.refresh().unwrap();
        assert!(!w.listen(&mut changes));
        assert!(changes.is_none(), "turned off: the subscription is dropped");
        drop((w, store));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn hms_and_encode() {
        assert_eq!(hms(65), "00:01:05");
        assert_eq!(hms(3725), "01:02:05");
        assert_eq!(encode("+49 30"), "%2B49%2030");
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        for r in [0u64, 1, 777, u64::MAX] {
            for (n, lo, hi) in [
                (1, 500, 1000),
                (2, 1000, 2000),
                (4, 4000, 8000),
                (10, 5000, 10_000),
                (60, 5000, 10_000),
            ] {
                let b = backoff_ms(n, 10_000, r);
                assert!((lo..=hi).contains(&b), "n={n} r={r}: {b}");
            }
        }
        assert_ne!(
            backoff_ms(3, 10_000, 0),
            backoff_ms(3, 10_000, 1999),
            "jitter spreads retries"
        );
    }
}
