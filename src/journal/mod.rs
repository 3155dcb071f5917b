//! The call journal: one logical call per conversation, whatever reported it.
//!
//! # The boundary for call sources
//!
//! Every call source (Snom and Yealink action URLs, 3CX ReportCall, the Propstack and CRM Senior call
//! endpoints, AMI, the FRITZ!Box call monitor, Zammad CTI, sipgate, Placetel, ringbook's own
//! `POST /api/v1/events`) does exactly one thing: it turns vendor input into [`CallEvent`]s and hands
//! them to [`ingest`]. An adapter never writes SQL, never decides a call's status and never merges legs.
//! What an adapter must get right:
//! - `source`: a short fixed name per adapter (`snom`, `ami`, `3cx`, ...). Keys are unique per source.
//! - `key`: the source's id for one leg, stable across that leg's events: Snom `mac/Call-ID before '@'`,
//!   FRITZ!Box `connId@RING time`, 3CX a hash of start, agent, number and direction (design §5).
//! - `group`: the source's id for the whole conversation when it has one (AMI `Linkedid`, sipgate
//!   `origCallId`). Legs with the same `(source, group)` are always one call.
//! - `kind`, `direction` (when the source says it; Yealink swaps local/remote by direction, see shared
//!   protocols: snom-phones.md §6.2), `remote` exactly as sent, `extension` (our side: an extension or a
//!   SIP user), `line` (our public number that was called or used), `agent` (who answered, or the
//!   target of a transfer), `cause` verbatim (see [`cause`]), `at` only if the source's clock is
//!   trustworthy, and the raw `payload` for the call detail.
//!
//! Numbers are normalized here, with the office's number model, not in adapters.
//!
//! # Durability
//!
//! [`ingest`] runs all its writes as one job of the store's group-commit writer and returns only after
//! COMMIT, so an adapter that answers 2xx after `ingest` returned has made the event durable. Contact
//! matching ([`crate::lookup::lookup`]) runs before the job, on the caller's read connection, so the writer
//! does only indexed lookups and writes.

pub mod assembler;
pub mod cause;
pub mod janitor;
pub mod notify;
pub mod policy;
pub mod time;
pub mod view;

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::employees::{self, Local};
use crate::lookup::{self, LookupError};
use crate::number::{Normalized, NumberModel};
use crate::settings::{self, Settings};
use crate::store::{self, Reader, Store, StoreError};

pub use notify::{CallChanged, ChangeKind};

/// A logical call's id in the journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct CallId(pub i64);

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What happened on a leg (design §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// An incoming call rings on our side.
    Ringing,
    /// We dial out.
    Dialing,
    /// Someone answered (`agent` says who, if the source knows).
    Answered,
    /// The leg ended; `cause` says why if the source says.
    Hangup,
    /// The leg ended without being answered (Snom's `missed`).
    Missed,
    /// The leg is being transferred to `agent`.
    Transfer,
}

impl EventKind {
    pub const ALL: [EventKind; 6] = [
        EventKind::Ringing,
        EventKind::Dialing,
        EventKind::Answered,
        EventKind::Hangup,
        EventKind::Missed,
        EventKind::Transfer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Ringing => "ringing",
            EventKind::Dialing => "dialing",
            EventKind::Answered => "answered",
            EventKind::Hangup => "hangup",
            EventKind::Missed => "missed",
            EventKind::Transfer => "transfer",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A call's direction, seen from the office.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    In,
    Out,
    /// Between two extensions.
    Internal,
    /// No source said, and nothing could be inferred (a leg whose first event was `answered`).
    Unknown,
}

impl Direction {
    pub const ALL: [Direction; 4] = [
        Direction::In,
        Direction::Out,
        Direction::Internal,
        Direction::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
            Direction::Internal => "internal",
            Direction::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Direction> {
        Direction::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// A call's state. `ringing` and `answered` may still be going on (`ended_at` says); the others are final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ringing,
    Answered,
    /// Inbound and never answered.
    Missed,
    /// Outbound and never answered, including failed outbound attempts (issue 4 §4).
    NotAnswered,
    Busy,
    Failed,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Ringing,
        Status::Answered,
        Status::Missed,
        Status::NotAnswered,
        Status::Busy,
        Status::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ringing => "ringing",
            Status::Answered => "answered",
            Status::Missed => "missed",
            Status::NotAnswered => "not_answered",
            Status::Busy => "busy",
            Status::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// How a call came to be handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HandledHow {
    /// Someone marked this one call.
    Manual,
    /// Marked together with others.
    Bulk,
    /// We called the number back and they answered.
    Callback,
    /// The caller called again and someone answered.
    AnsweredAgain,
}

impl HandledHow {
    pub fn as_str(self) -> &'static str {
        match self {
            HandledHow::Manual => "manual",
            HandledHow::Bulk => "bulk",
            HandledHow::Callback => "callback",
            HandledHow::AnsweredAgain => "answered_again",
        }
    }

    pub fn parse(s: &str) -> Option<HandledHow> {
        [
            HandledHow::Manual,
            HandledHow::Bulk,
            HandledHow::Callback,
            HandledHow::AnsweredAgain,
        ]
        .into_iter()
        .find(|h| h.as_str() == s)
    }
}

/// One normalized call event: the only thing call sources hand to the journal. See the module docs for
/// what each field must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallEvent {
    pub source: String,
    pub key: String,
    pub group: Option<String>,
    pub kind: EventKind,
    pub direction: Option<Direction>,
    /// The other party's number exactly as the source sent it.
    pub remote: Option<String>,
    pub extension: Option<String>,
    pub line: Option<String>,
    pub agent: Option<String>,
    pub cause: Option<String>,
    /// Unix seconds from the source's own clock; `None` means "now" (the server's time at ingest).
    pub at: Option<i64>,
    pub recording_url: Option<String>,
    /// The vendor input this event came from, kept in `call_events` for the call detail.
    pub payload: String,
    /// The source is a desk phone reporting only its own leg (Snom, Yealink action URLs): a ring
    /// group makes every phone report the same call under its own key, with no conversation id. Lets
    /// the assembler merge such legs of a withheld caller (see `assembler`, rule 3).
    pub per_phone: bool,
}

impl CallEvent {
    /// An event with only the required fields; set the others with struct update syntax.
    pub fn new(source: &str, key: &str, kind: EventKind) -> CallEvent {
        CallEvent {
            source: source.to_string(),
            key: key.to_string(),
            group: None,
            kind,
            direction: None,
            remote: None,
            extension: None,
            line: None,
            agent: None,
            cause: None,
            at: None,
            recording_url: None,
            payload: String::new(),
            per_phone: false,
        }
    }
}

/// What [`ingest`] did with one event.
#[derive(Clone, Debug, Serialize)]
pub struct Ingested {
    pub call_id: CallId,
    /// The event had been received before; nothing changed.
    pub duplicate: bool,
    /// The call is in the journal; false when a policy keeps it out (see `suppressed`).
    pub journaled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<policy::Reason>,
}

/// The journal's settings, read once per request from [`Settings`].
#[derive(Clone, Debug)]
pub struct Config {
    pub model: NumberModel,
    pub rules: assembler::Rules,
    pub ring_timeout: i64,
    pub retention: i64,
    pub janitor_interval: i64,
}

impl Config {
    pub fn from_settings(s: &Settings) -> Config {
        let secs = |key: &str, default: u64| -> i64 {
            settings::parse_duration(s.get(key)).unwrap_or(default) as i64
        };
        Config {
            model: s.number_model(),
            rules: assembler::Rules {
                merge_window: secs("journal.merge_window", 5),
                stale_after: secs("journal.stale_after", 4 * 3600),
                policy: policy::Policy {
                    skip_internal: s.flag("journal.skip_internal"),
                    skip_unheld_extensions: s.flag("journal.skip_unheld_extensions"),
                    skip_employee_numbers: s.flag("journal.skip_employee_numbers"),
                },
            },
            ring_timeout: secs("journal.ring_timeout", 300),
            retention: secs("journal.retention", 90 * 86_400),
            janitor_interval: secs("journal.janitor_interval", 30),
        }
    }
}

/// Errors of the journal, each mapped once to an HTTP status at the edge.
#[derive(Debug)]
pub enum JournalError {
    /// Event `index` of the batch is unusable; nothing of the batch was stored.
    Invalid {
        index: usize,
        why: String,
    },
    /// A change request that makes no sense (empty, too long).
    BadRequest(String),
    NotFound(CallId),
    /// Handling can only be set once the call has ended (seed 000).
    StillOpen(CallId),
    Store(StoreError),
}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JournalError::Invalid { index, why } => write!(f, "event {index}: {why}"),
            JournalError::BadRequest(why) => f.write_str(why),
            JournalError::NotFound(id) => write!(f, "there is no call {id} in the journal"),
            JournalError::StillOpen(id) => write!(
                f,
                "call {id} is still going on; it can be marked handled once it has ended"
            ),
            JournalError::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for JournalError {}

impl From<StoreError> for JournalError {
    fn from(e: StoreError) -> Self {
        JournalError::Store(e)
    }
}

/// The remote key calls are matched and filtered by: the E.164 number, the digits of a number that
/// never parsed, or `x` + the extension for internal parties. Withheld numbers have none.
pub fn remote_key(n: &Normalized) -> Option<String> {
    match n {
        Normalized::Public { e164, .. } => Some(e164.as_str().to_string()),
        Normalized::Digits(d) => Some(d.clone()),
        Normalized::Extension(x) => Some(format!("x{x}")),
        Normalized::Anonymous => None,
    }
}

/// Earliest time accepted from a source (2000-01-01); anything before is a clock that was never set.
const MIN_TIME: i64 = 946_684_800;
/// How far ahead of the server's clock a source's time may be.
const MAX_AHEAD: i64 = 86_400;
const MAX_PAYLOAD: usize = 16 * 1024;

/// Takes a batch of events from one request (or one TCP read) into the journal. All of it is written in
/// one job of the group-commit writer and committed before this returns; if any event is invalid,
/// nothing is stored. Committed changes are then published to [`notify`] subscribers.
///
/// `reader` is the caller's read connection; contact matching runs on it before the write.
pub fn ingest(
    store: &Store,
    reader: &Reader,
    config: &Config,
    events: Vec<CallEvent>,
) -> Result<Vec<Ingested>, JournalError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let now = store::now();
    let prepared = prepare(reader, &config.model, events, now)?;
    let rules = config.rules;
    let (out, changes) = store
        .writer()
        .write_repeatable(move |tx| assembler::apply(tx, &rules, now, &prepared))?;
    notify::publish(&changes);
    Ok(out)
}

/// Like [`ingest`], but returns as soon as the events are queued for the writer; `done` gets the
/// outcome on the writer thread once the batch's COMMIT returned. HTTP handlers use it to answer
/// after the commit without holding a worker thread meanwhile (see `http::Response::later`), which
/// lets one commit carry every event that arrived while the previous one was being written.
pub fn ingest_then(
    store: &Store,
    reader: &Reader,
    config: &Config,
    events: Vec<CallEvent>,
    done: impl FnOnce(Result<Vec<Ingested>, JournalError>) + Send + 'static,
) -> Result<(), JournalError> {
    if events.is_empty() {
        done(Ok(Vec::new()));
        return Ok(());
    }
    let now = store::now();
    let prepared = prepare(reader, &config.model, events, now)?;
    let rules = config.rules;
    store.writer().submit_repeatable(
        move |tx| assembler::apply(tx, &rules, now, &prepared),
        move |result| match result {
            Ok((out, changes)) => {
                notify::publish(&changes);
                done(Ok(out))
            }
            Err(e) => done(Err(e.into())),
        },
    )?;
    Ok(())
}

/// [`ingest`] with the journal settings taken from `settings`, for HTTP handlers that hold a worker's
/// cached settings.
pub fn ingest_with(
    store: &Store,
    reader: &Reader,
    settings: &Settings,
    events: Vec<CallEvent>,
) -> Result<Vec<Ingested>, JournalError> {
    ingest(store, reader, &Config::from_settings(settings), events)
}

fn is_source_name(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

fn clean(field: &str, v: Option<String>, max: usize) -> Result<Option<String>, String> {
    let Some(v) = v else { return Ok(None) };
    let t = v.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().count() > max {
        return Err(format!("{field} is longer than {max} characters"));
    }
    if t.chars().any(char::is_control) {
        return Err(format!("{field} contains control characters"));
    }
    Ok(Some(t.to_string()))
}

/// Validates and normalizes a batch outside the writer: numbers through the number model, the local
/// side into extension or line, contacts through `lookup::lookup` (once per distinct number).
fn prepare(
    reader: &Reader,
    model: &NumberModel,
    events: Vec<CallEvent>,
    now: i64,
) -> Result<Vec<assembler::Prepared>, JournalError> {
    let mut contacts: HashMap<String, Option<assembler::ContactMatch>> = HashMap::new();
    let mut out = Vec::with_capacity(events.len());
    for (index, ev) in events.into_iter().enumerate() {
        let invalid = |why: String| JournalError::Invalid { index, why };
        if !is_source_name(&ev.source) {
            return Err(invalid(format!(
                "the source '{}' must be 1 to 32 lower-case letters, digits, '.', '_' or '-'",
                ev.source
            )));
        }
        let key = clean("the call id", Some(ev.key.clone()), 256)
            .map_err(invalid)?
            .ok_or_else(|| invalid("the call id is empty".into()))?;
        let group = clean("the group", ev.group.clone(), 256).map_err(invalid)?;
        let remote_raw = clean("the remote number", ev.remote.clone(), 128).map_err(invalid)?;
        let extension = clean("the extension", ev.extension.clone(), 128).map_err(invalid)?;
        let line = clean("the line", ev.line.clone(), 128).map_err(invalid)?;
        let agent = clean("the agent", ev.agent.clone(), 128).map_err(invalid)?;
        let cause = clean("the cause", ev.cause.clone(), 64).map_err(invalid)?;
        let recording_url =
            clean("the recording URL", ev.recording_url.clone(), 2048).map_err(invalid)?;
        if let Some(u) = &recording_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(invalid(format!(
                    "the recording URL '{u}' must start with http:// or https://"
                )));
            }
        }
        if let Some(at) = ev.at {
            if at < MIN_TIME {
                return Err(invalid(format!(
                    "the time {} is before 2000; is the source's clock set?",
                    time::format(at)
                )));
            }
            if at > now + MAX_AHEAD {
                return Err(invalid(format!(
                    "the time {} is more than a day in the future",
                    time::format(at)
                )));
            }
        }

        let normalized = remote_raw.as_deref().and_then(|r| model.normalize(r).ok());
        let (remote_key, remote_e164) = match &normalized {
            Some(n) => (remote_key(n), n.e164().map(|e| e.as_str().to_string())),
            None => (None, None),
        };
        // Only a leg's first number is used, so a number repeated on later events (Snom sends
        // `$remote` with every event) is not matched again. Ringing and dialing usually start a leg;
        // for them the check would cost more than it saves.
        let repeat = !matches!(ev.kind, EventKind::Ringing | EventKind::Dialing)
            && normalized.is_some()
            && reader.leg_remote_known(&ev.source, &key)?;
        let contact = match (&remote_raw, &normalized) {
            _ if repeat => None,
            (Some(raw), Some(Normalized::Public { .. } | Normalized::Digits(_))) => {
                match contacts.get(raw) {
                    Some(c) => c.clone(),
                    None => {
                        let c = match_contact(reader, model, raw)?;
                        contacts.insert(raw.clone(), c.clone());
                        c
                    }
                }
            }
            _ => None,
        };

        let mut line_e164 = line
            .as_deref()
            .and_then(|l| model.normalize(l).ok())
            .and_then(|n| n.e164().map(|e| e.as_str().to_string()));
        let extension = match extension.as_deref().map(|x| employees::local_of(model, x)) {
            Some(Local::Extension(x)) => Some(x),
            Some(Local::Line(e)) => {
                line_e164.get_or_insert_with(|| e.as_str().to_string());
                None
            }
            _ => None,
        };
        let agent = match agent.as_deref().map(|a| employees::local_of(model, a)) {
            Some(Local::Extension(x)) => Some(x),
            // A public number as agent (a mobile the call was forwarded to) is kept as written.
            Some(Local::Line(e)) => Some(e.as_str().to_string()),
            _ => None,
        };

        let per_phone = ev.per_phone;
        let mut payload = ev.payload;
        if payload.len() > MAX_PAYLOAD {
            let mut cut = MAX_PAYLOAD;
            while !payload.is_char_boundary(cut) {
                cut -= 1;
            }
            payload.truncate(cut);
            payload.push_str("…[truncated]");
        }
        let fingerprint = fingerprint(&[
            ev.kind.as_str(),
            group.as_deref().unwrap_or(""),
            ev.direction.map(Direction::as_str).unwrap_or(""),
            remote_raw.as_deref().unwrap_or(""),
            extension.as_deref().unwrap_or(""),
            line_e164.as_deref().unwrap_or(""),
            agent.as_deref().unwrap_or(""),
            cause.as_deref().unwrap_or(""),
            recording_url.as_deref().unwrap_or(""),
            &ev.at.map(|t| t.to_string()).unwrap_or_default(),
        ]);
        out.push(assembler::Prepared {
            source: ev.source,
            key,
            group,
            kind: ev.kind,
            direction: ev.direction,
            at: ev.at.unwrap_or(now),
            at_trusted: ev.at.is_some(),
            remote_raw,
            remote_key,
            remote_e164,
            extension,
            line_e164,
            agent,
            cause,
            recording_url,
            payload,
            fingerprint,
            contact,
            per_phone,
        });
    }
    Ok(out)
}

/// The contact matched at call time. On a tie nobody is picked: the id stays empty and the tied ids are
/// kept, so the UI can ask which one it was (design §4: "don't guess silently").
fn match_contact(
    reader: &Reader,
    model: &NumberModel,
    raw: &str,
) -> Result<Option<assembler::ContactMatch>, JournalError> {
    let outcome = match lookup::lookup(reader, model, raw) {
        Ok(o) => o,
        Err(LookupError::Number(_)) => return Ok(None),
        Err(LookupError::Store(e)) => return Err(e.into()),
    };
    let Some(first) = outcome.matches.first() else {
        return Ok(None);
    };
    let rule = serde_json::to_value(first.info.rule)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    Ok(Some(if outcome.is_tie() {
        assembler::ContactMatch {
            id: None,
            rule,
            tie: lookup::contact_ids(&outcome).iter().map(|c| c.0).collect(),
        }
    } else {
        assembler::ContactMatch {
            id: Some(first.contact.id.0),
            rule,
            tie: Vec::new(),
        }
    }))
}

/// A 63-bit digest of an event's content, for the "repeated event changes nothing" check. The time is
/// part of it only when the source gave one; server time differs on every resend.
fn fingerprint(parts: &[&str]) -> i64 {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    (u64::from_be_bytes(b) >> 1) as i64
}

/// A change to a call's description and handling, as the API and UI send it.
#[derive(Clone, Debug, Default)]
pub struct CallPatch {
    pub description: Option<String>,
    /// `Some(true)` marks the call handled, `Some(false)` reopens it.
    pub handled: Option<bool>,
    /// Who handled it; defaults to the caller's identity.
    pub handled_by: Option<String>,
}

const MAX_DESCRIPTION: usize = 10_000;

/// Sets a call's description and/or handling. Marking handled requires the call to have ended; if it
/// hasn't, nothing changes (not even the description).
pub fn update(store: &Store, id: CallId, patch: CallPatch, who: &str) -> Result<(), JournalError> {
    if patch.description.is_none() && patch.handled.is_none() {
        return Err(JournalError::BadRequest(
            "nothing to change: send 'description' and/or 'handling' (\"open\" or \"handled\")"
                .into(),
        ));
    }
    if let Some(d) = &patch.description {
        if d.chars().count() > MAX_DESCRIPTION {
            return Err(JournalError::BadRequest(format!(
                "the description is longer than {MAX_DESCRIPTION} characters"
            )));
        }
    }
    let by = patch
        .handled_by
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(who)
        .chars()
        .take(200)
        .collect::<String>();
    let now = store::now();
    let changes = store.write(move |tx| assembler::patch(tx, now, id, &patch, &by))??;
    notify::publish(&changes);
    Ok(())
}

/// Marks several ended calls handled at once ("in bulk"). All or nothing: if one id is unknown or still
/// going on, nothing is marked. Returns the ids that were open before.
pub fn mark_handled(
    store: &Store,
    ids: Vec<CallId>,
    who: &str,
) -> Result<Vec<CallId>, JournalError> {
    if ids.is_empty() {
        return Err(JournalError::BadRequest(
            "no calls were given: send 'ids', e.g. {\"ids\": [12, 13]}".into(),
        ));
    }
    if ids.len() > 1000 {
        return Err(JournalError::BadRequest(
            "at most 1000 calls can be marked at once".into(),
        ));
    }
    let mut ids = ids;
    ids.sort();
    ids.dedup();
    let who = who.chars().take(200).collect::<String>();
    let now = store::now();
    let (marked, changes) =
        store.write(move |tx| assembler::mark_handled(tx, now, &ids, &who, HandledHow::Bulk))??;
    notify::publish(&changes);
    Ok(marked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Direction::parse("out"), Some(Direction::Out));
        assert_eq!(Direction::parse("outbound"), None);
        assert_eq!(
            HandledHow::parse("answered_again"),
            Some(HandledHow::AnsweredAgain)
        );
    }

    #[test]
    fn fingerprints_separate_fields() {
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
        assert_eq!(fingerprint(&["a", "b"]), fingerprint(&["a", "b"]));
        assert!(fingerprint(&["x"]) >= 0);
    }

    #[test]
    fn source_names() {
        assert!(is_source_name("snom"));
        assert!(is_source_name("3cx"));
        assert!(!is_source_name("Snom"));
        assert!(!is_source_name(""));
        assert!(!is_source_name("a b"));
    }
}
