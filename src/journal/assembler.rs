//! The assembler: turns normalized events into legs and legs into one logical call per conversation.
//! Everything here runs inside the store's writer thread, in the caller's job, so it does only indexed
//! lookups and small writes.
//!
//! # Legs
//!
//! A leg is everything one source said under one call key: `(source, key)` is unique. Events update
//! their leg idempotently: times only move towards the earliest start and answer, an end reported by
//! an event is final, and a repeated identical event is caught before it reaches the leg (by its
//! fingerprint in `call_events`).
//!
//! # Which call a new leg joins (the merge rule)
//!
//! The first event of a new key decides its call, in this order:
//! 1. **Same conversation key.** A leg with the same `(source, group)` exists (AMI `Linkedid`, sipgate
//!    `origCallId`): join its call.
//! 2. **Same remote, same direction, overlapping time.** Candidate calls have the same remote key (E.164
//!    number) and started no later than `at + journal.merge_window` and no earlier than
//!    `at - journal.stale_after`. Their direction must match the leg's (or either is unknown). A candidate
//!    whose legs from this source carry a *different* group is another conversation by the source's own
//!    word, and is skipped; so is one whose legs from this source rang a *different* known line than the
//!    new leg (one caller ringing the main number and the sales line at once: two calls, each missed or
//!    answered on its own). Then:
//!    - a call that is still **open** is joined: a ring group or queue ringing several phones, the phone
//!      and the PBX reporting the same call, an attended transfer;
//!    - a call that has **ended** is joined only if the leg starts at most `journal.merge_window` after
//!      its end *and* either no leg of the call came from this source (a PBX report arriving after the
//!      phone's events, or the other way round) or a leg of the call was transferred (a blind transfer:
//!      the first phone hangs up, the next one rings). A caller who redials after a missed call, reported
//!      by the same source, therefore gets a new call.
//! 3. **A withheld caller ringing a group of phones.** Desk phones report only their own leg, each
//!    under its own key and without a number when the caller withheld it, so rule 2 has nothing to
//!    match on. A new leg that is the phone's own (`per_phone`), inbound, from a withheld number
//!    (present but not a number), without a group and on a known line joins an open inbound call
//!    without a number on the same line that started at most `journal.merge_window` before or after
//!    it, when every leg of that call is such a leg from the same source, on another phone (another
//!    extension, or a shared line's extension on another phone: leg keys start with the phone). What
//!    keeps two withheld callers apart: a different line, a start further apart than the window, or
//!    the same phone already ringing for the other one (a phone rings once per call; a second ring on
//!    the same phone is call waiting, another call). Legs without a line never merge this way:
//!    nothing would tell two such callers apart.
//! 4. Otherwise the leg starts a new call.
//!
//! Withheld numbers never merge by rule 2; only an explicit group (rule 1) or rule 3 joins them.
//!
//! # A call from its legs
//!
//! - started = the earliest leg start; answered = the earliest answer; ended = the latest leg end once
//!   every leg has ended; duration = ended − answered.
//! - When a leg is answered, legs that were already ringing and are still unanswered stopped ringing
//!   then (the other phones of a ring group): they are closed at that moment as `inferred`. A later event
//!   on such a leg wins over the inference (the PBX's own "answered" for the same call reopens it).
//! - Status: answered if any leg was answered; ringing while open; then `busy` if every leg that gave a
//!   cause said busy, `failed` if every one said failed (for outbound calls: `not_answered`, issue 4 §4),
//!   else `missed` (inbound) or `not_answered` (outbound).
//! - Attribution: the answered leg whose extension an employee held, latest answer first (after a
//!   transfer, the person the caller ended up with); for unanswered calls the earliest leg with a held
//!   extension. The employee is whoever held that extension at that moment (assignment history).
//! - `end_estimated` is set when the leg that determines the end was closed by the janitor.

use rusqlite::Connection;

use super::cause::{self, CauseClass};
use super::notify::{CallChanged, ChangeKind};
use super::policy::{self, Policy, Reason};
use super::{CallId, CallPatch, Direction, EventKind, HandledHow, Ingested, JournalError, Status};
use crate::store::{self, calls, employees, StoreError};

/// The assembler's settings (from `journal.*`).
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    /// Seconds of slack when matching a new leg to a call by remote number and time (rule 2).
    pub merge_window: i64,
    /// Seconds after which an answered leg without an end is closed by the janitor; also bounds how far
    /// back rule 2 looks for an open call.
    pub stale_after: i64,
    pub policy: Policy,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            merge_window: 5,
            stale_after: 4 * 3600,
            policy: Policy::default(),
        }
    }
}

/// The contact matched when the call's number first became known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactMatch {
    /// `None` on a tie.
    pub id: Option<i64>,
    pub rule: String,
    /// The tied contacts, when the lookup was a tie.
    pub tie: Vec<i64>,
}

/// A validated event with its numbers normalized and its contact matched, ready for the writer.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub source: String,
    pub key: String,
    pub group: Option<String>,
    pub kind: EventKind,
    pub direction: Option<Direction>,
    pub at: i64,
    pub at_trusted: bool,
    pub remote_raw: Option<String>,
    pub remote_key: Option<String>,
    pub remote_e164: Option<String>,
    pub extension: Option<String>,
    pub line_e164: Option<String>,
    pub agent: Option<String>,
    pub cause: Option<String>,
    pub recording_url: Option<String>,
    pub payload: String,
    pub fingerprint: i64,
    pub contact: Option<ContactMatch>,
    /// See `CallEvent::per_phone`.
    pub per_phone: bool,
}

/// How a leg's end became known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndHow {
    /// The source reported it.
    Event,
    /// Another leg of the call was answered while this one rang.
    Inferred,
    /// The janitor closed it after a timeout; the time is the last event's.
    Janitor,
}

impl EndHow {
    pub fn as_str(self) -> &'static str {
        match self {
            EndHow::Event => "event",
            EndHow::Inferred => "inferred",
            EndHow::Janitor => "janitor",
        }
    }
    pub fn parse(s: &str) -> Option<EndHow> {
        [EndHow::Event, EndHow::Inferred, EndHow::Janitor]
            .into_iter()
            .find(|e| e.as_str() == s)
    }
}

/// The cause written on legs that stopped ringing because another phone answered.
pub const ANSWERED_ELSEWHERE: &str = "answered_elsewhere";

/// A leg as the writer keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegRow {
    pub id: i64,
    pub call_id: i64,
    pub source: String,
    pub source_key: String,
    pub grp: Option<String>,
    pub direction: Direction,
    /// The source said the direction (rather than it being inferred from the first event).
    pub direction_known: bool,
    pub remote_raw: String,
    pub remote_e164: Option<String>,
    pub remote_key: Option<String>,
    pub extension: Option<String>,
    pub agent: Option<String>,
    pub employee_id: Option<i64>,
    pub line_id: Option<i64>,
    pub started_at: i64,
    pub answered_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub end_how: Option<EndHow>,
    pub cause: Option<String>,
    pub transferred_to: Option<String>,
    /// The latest event time (source or server clock): the estimated end if the janitor closes it.
    pub last_event_at: i64,
    /// Server time of the latest event: what the janitor's timeouts count from.
    pub touched_at: i64,
}

impl LegRow {
    fn new(call_id: i64, ev: &Prepared, now: i64) -> LegRow {
        LegRow {
            id: 0,
            call_id,
            source: ev.source.clone(),
            source_key: ev.key.clone(),
            grp: None,
            direction: Direction::Unknown,
            direction_known: false,
            remote_raw: String::new(),
            remote_e164: None,
            remote_key: None,
            extension: None,
            agent: None,
            employee_id: None,
            line_id: None,
            started_at: ev.at,
            answered_at: None,
            ended_at: None,
            end_how: None,
            cause: None,
            transferred_to: None,
            last_event_at: ev.at,
            touched_at: now,
        }
    }

    /// The extension the leg belongs to: who answered if it was answered, else the one it rang on.
    pub fn effective_ext(&self) -> Option<&str> {
        if self.answered_at.is_some() {
            self.agent.as_deref().or(self.extension.as_deref())
        } else {
            self.extension.as_deref()
        }
    }

    /// The moment whose extension holder the leg is attributed to.
    pub fn attribution_time(&self) -> i64 {
        self.answered_at.unwrap_or(self.started_at)
    }

    /// The leg's own outcome, for the call detail.
    pub fn status(&self) -> Status {
        if self.answered_at.is_some() {
            return Status::Answered;
        }
        if self.ended_at.is_none() {
            return Status::Ringing;
        }
        let class = self.cause.as_deref().map(cause::classify);
        match (class, self.direction) {
            (Some(CauseClass::Busy), _) => Status::Busy,
            (Some(CauseClass::Failed), Direction::Out) => Status::NotAnswered,
            (Some(CauseClass::Failed), _) => Status::Failed,
            (_, Direction::Out) => Status::NotAnswered,
            _ => Status::Missed,
        }
    }
}

/// A call as the writer keeps it (everything but the free-text description).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRow {
    pub id: i64,
    pub direction: Direction,
    pub status: Status,
    pub started_at: i64,
    pub answered_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub duration: i64,
    pub end_estimated: bool,
    pub remote_raw: String,
    pub remote_e164: Option<String>,
    pub remote_key: Option<String>,
    pub remote_is_employee: bool,
    pub contact_id: Option<i64>,
    pub contact_rule: Option<String>,
    pub contact_tie: Option<String>,
    pub line_id: Option<i64>,
    pub extension: Option<String>,
    pub employee_id: Option<i64>,
    pub handled_at: Option<i64>,
    pub recording_url: Option<String>,
    pub sources: String,
    pub suppressed: Option<Reason>,
    pub updated_at: i64,
}

impl CallRow {
    /// A call before any leg was applied to it: what [`derive_call`] starts from for a new call.
    fn placeholder(started_at: i64, now: i64) -> CallRow {
        CallRow {
            id: 0,
            direction: Direction::Unknown,
            status: Status::Ringing,
            started_at,
            answered_at: None,
            ended_at: None,
            duration: 0,
            end_estimated: false,
            remote_raw: String::new(),
            remote_e164: None,
            remote_key: None,
            remote_is_employee: false,
            contact_id: None,
            contact_rule: None,
            contact_tie: None,
            line_id: None,
            extension: None,
            employee_id: None,
            handled_at: None,
            recording_url: None,
            sources: String::new(),
            suppressed: None,
            updated_at: now,
        }
    }
}

/// An existing call that a new leg might join (rule 2).
#[derive(Clone, Debug)]
pub struct Candidate {
    pub id: i64,
    pub direction: Direction,
    pub started_at: i64,
    pub ended_at: Option<i64>,
}

/// What rule 2 needs to know about a candidate's legs.
#[derive(Clone, Debug)]
pub struct LegLink {
    pub source: String,
    pub grp: Option<String>,
    pub transferred: bool,
    pub line_id: Option<i64>,
}

/// Applies a batch of events. Returns what happened to each and the changes to publish after COMMIT.
pub fn apply(
    tx: &Connection,
    rules: &Rules,
    now: i64,
    events: &[Prepared],
) -> store::Result<(Vec<Ingested>, Vec<CallChanged>)> {
    // The journal uses more distinct statements than rusqlite's default cache of 16 holds; growing the
    // writer connection's cache is idempotent and keeps every statement prepared once.
    tx.set_prepared_statement_cache_capacity(128);
    let mut out = Vec::with_capacity(events.len());
    let mut changes = Vec::new();
    for ev in events {
        if !calls::insert_event(tx, ev, now)? {
            if let Some(leg) = calls::leg_by_key(tx, &ev.source, &ev.key)? {
                let suppressed = calls::suppressed_of(tx, leg.call_id)?;
                out.push(Ingested {
                    call_id: CallId(leg.call_id),
                    duplicate: true,
                    journaled: suppressed.is_none(),
                    suppressed,
                });
                continue;
            }
            // The leg was purged with its hidden call; take the event as new.
        }
        let (call_id, suppressed) = apply_one(tx, rules, now, ev, &mut changes)?;
        out.push(Ingested {
            call_id: CallId(call_id),
            duplicate: false,
            journaled: suppressed.is_none(),
            suppressed,
        });
    }
    Ok((out, changes))
}

fn apply_one(
    tx: &Connection,
    rules: &Rules,
    now: i64,
    ev: &Prepared,
    changes: &mut Vec<CallChanged>,
) -> store::Result<(i64, Option<Reason>)> {
    let line_id = match &ev.line_e164 {
        Some(e) => calls::line_id(tx, e)?,
        None => None,
    };
    let (mut leg, is_new) = match calls::leg_by_key(tx, &ev.source, &ev.key)? {
        Some(l) => (l, false),
        None => match find_call(tx, rules, ev, line_id)? {
            Some(call_id) => (LegRow::new(call_id, ev, now), true),
            None => return start_call(tx, rules, now, ev, line_id, changes),
        },
    };
    let old = leg.clone();
    let before = (
        leg.effective_ext().map(str::to_string),
        leg.attribution_time(),
    );
    apply_event(&mut leg, ev, line_id, now);
    let after = (
        leg.effective_ext().map(str::to_string),
        leg.attribution_time(),
    );
    if is_new || before != after {
        leg.employee_id = match &after.0 {
            Some(x) => employees::holder_at(tx, x, after.1)?,
            None => None,
        };
    }
    if is_new {
        leg.id = calls::insert_leg(tx, &leg)?;
    } else {
        calls::update_leg(tx, &old, &leg)?;
    }
    let suppressed = refresh(tx, rules, now, leg.call_id, Some(ev), changes)?;
    Ok((leg.call_id, suppressed))
}

/// A leg that joins no call starts one. Its call is derived from the leg in memory and written whole,
/// leg after call: the same row [`refresh`] would give, without first inserting a placeholder row
/// and then updating it and most of its indexes, and without reading back the two rows just written.
/// Of a call's ringing, answered and hangup, the first starts here, and it ran the most statements.
fn start_call(
    tx: &Connection,
    rules: &Rules,
    now: i64,
    ev: &Prepared,
    line_id: Option<i64>,
    changes: &mut Vec<CallChanged>,
) -> store::Result<(i64, Option<Reason>)> {
    let mut leg = LegRow::new(0, ev, now);
    apply_event(&mut leg, ev, line_id, now);
    leg.employee_id = match leg.effective_ext() {
        Some(x) => employees::holder_at(tx, x, leg.attribution_time())?,
        None => None,
    };
    // One leg has no siblings whose ends an answer could imply (`infer_sibling_ends`).
    let old = CallRow::placeholder(ev.at, now);
    let mut c = derive_call(tx, rules, std::slice::from_ref(&leg), &old, Some(ev))?;
    c.updated_at = now;
    c.id = calls::insert_call(tx, &c, now)?;
    leg.call_id = c.id;
    leg.id = calls::insert_leg(tx, &leg)?;
    let old = CallRow { id: c.id, ..old };
    finish(tx, now, &old, &c, true, changes)?;
    Ok((c.id, c.suppressed))
}

/// The direction a new leg will have, for matching it to a call.
fn leg_direction(ev: &Prepared) -> Direction {
    if ev.remote_key.as_deref().is_some_and(|k| k.starts_with('x')) {
        return Direction::Internal;
    }
    ev.direction.unwrap_or(match ev.kind {
        EventKind::Ringing => Direction::In,
        EventKind::Dialing => Direction::Out,
        _ => Direction::Unknown,
    })
}

fn find_call(
    tx: &Connection,
    rules: &Rules,
    ev: &Prepared,
    line_id: Option<i64>,
) -> store::Result<Option<i64>> {
    if let Some(g) = &ev.group {
        if let Some(id) = calls::call_of_group(tx, &ev.source, g)? {
            return Ok(Some(id));
        }
    }
    let Some(key) = &ev.remote_key else {
        return find_ring_group_call(tx, rules, ev, line_id);
    };
    let dir = leg_direction(ev);
    for cand in calls::merge_candidates(
        tx,
        key,
        ev.at - rules.stale_after,
        ev.at + rules.merge_window,
    )? {
        let links = calls::leg_links(tx, cand.id)?;
        if may_join(
            &cand,
            &links,
            (&ev.source, ev.group.as_deref(), line_id),
            ev.at,
            dir,
            rules.merge_window,
        ) {
            return Ok(Some(cand.id));
        }
    }
    Ok(None)
}

/// Rule 3: the open call of a withheld caller that this phone's leg is another ring of.
fn find_ring_group_call(
    tx: &Connection,
    rules: &Rules,
    ev: &Prepared,
    line_id: Option<i64>,
) -> store::Result<Option<i64>> {
    let withheld = ev.remote_raw.is_some() && ev.remote_key.is_none();
    let (Some(line), Some(ext)) = (line_id, ev.extension.as_deref()) else {
        return Ok(None);
    };
    if !ev.per_phone || !withheld || ev.group.is_some() || leg_direction(ev) != Direction::In {
        return Ok(None);
    }
    let window = rules.merge_window;
    for cand in calls::ring_group_candidates(tx, line, ev.at - window, ev.at + window)? {
        let legs = calls::legs_of(tx, cand.id)?;
        if may_join_ring_group(&cand, &legs, &ev.source, (ext, &ev.key), ev.at, window) {
            return Ok(Some(cand.id));
        }
    }
    Ok(None)
}

/// Rule 3 for one candidate: an open inbound call that started within `window` of `at`, whose legs
/// are all withheld, group-less legs of `source` rung on another phone: another extension, or the
/// same extension on another phone (a shared line: several desk phones registered as one
/// extension, each reporting its own leg). `(ext, key)` is the new leg's extension and leg key;
/// per-phone leg keys start with the phone (`MAC/Call-ID`). Pure, so the rule is unit-tested.
pub fn may_join_ring_group(
    cand: &Candidate,
    legs: &[LegRow],
    source: &str,
    (ext, key): (&str, &str),
    at: i64,
    window: i64,
) -> bool {
    let phone = |k: &str| k.split_once('/').map(|(p, _)| p.to_string());
    let mine = phone(key);
    let another_phone = |l: &LegRow| {
        l.extension.as_deref().is_some_and(|x| x != ext)
            || (l.extension.as_deref() == Some(ext)
                && mine.is_some()
                && phone(&l.source_key).is_some_and(|p| Some(p) != mine))
    };
    cand.direction == Direction::In
        && cand.ended_at.is_none()
        && (at - cand.started_at).abs() <= window
        && !legs.is_empty()
        && legs.iter().all(|l| {
            l.source == source && l.grp.is_none() && l.remote_key.is_none() && another_phone(l)
        })
}

/// Rule 2 for one candidate (see the module docs). Pure, so the merge rules are unit-tested.
/// `leg` is the new leg's source, group and line.
pub fn may_join(
    cand: &Candidate,
    links: &[LegLink],
    leg: (&str, Option<&str>, Option<i64>),
    at: i64,
    dir: Direction,
    window: i64,
) -> bool {
    let (source, group, line) = leg;
    let compatible =
        dir == cand.direction || dir == Direction::Unknown || cand.direction == Direction::Unknown;
    if !compatible || at + window < cand.started_at {
        return false;
    }
    if let Some(g) = group {
        let other_conversation = links
            .iter()
            .any(|l| l.source == source && l.grp.as_deref().is_some_and(|x| x != g));
        if other_conversation {
            return false;
        }
    }
    if let Some(line) = line {
        let other_line = links
            .iter()
            .any(|l| l.source == source && l.line_id.is_some_and(|x| x != line));
        if other_line {
            return false;
        }
    }
    match cand.ended_at {
        None => true,
        Some(end) => {
            at <= end + window
                && (links.iter().all(|l| l.source != source) || links.iter().any(|l| l.transferred))
        }
    }
}

/// Applies one event to its leg. Pure; every transition is idempotent.
pub fn apply_event(leg: &mut LegRow, ev: &Prepared, line_id: Option<i64>, now: i64) {
    leg.started_at = leg.started_at.min(ev.at);
    leg.last_event_at = leg.last_event_at.max(ev.at);
    leg.touched_at = now;
    if leg.grp.is_none() {
        leg.grp = ev.group.clone();
    }
    if leg.remote_key.is_none() && ev.remote_key.is_some() {
        leg.remote_key = ev.remote_key.clone();
        leg.remote_e164 = ev.remote_e164.clone();
        leg.remote_raw = ev.remote_raw.clone().unwrap_or_default();
    }
    if leg.remote_raw.is_empty() {
        if let Some(r) = &ev.remote_raw {
            leg.remote_raw = r.clone();
        }
    }
    if leg.extension.is_none() {
        leg.extension = ev.extension.clone();
    }
    if leg.line_id.is_none() {
        leg.line_id = line_id;
    }
    match ev.direction {
        Some(d) if !leg.direction_known => {
            leg.direction = d;
            leg.direction_known = true;
        }
        None if !leg.direction_known && leg.direction == Direction::Unknown => {
            leg.direction = match ev.kind {
                EventKind::Ringing => Direction::In,
                EventKind::Dialing => Direction::Out,
                _ => Direction::Unknown,
            };
        }
        _ => {}
    }
    match ev.kind {
        EventKind::Ringing | EventKind::Dialing => {}
        EventKind::Answered => {
            leg.answered_at = Some(leg.answered_at.map_or(ev.at, |a| a.min(ev.at)));
            if let Some(a) = ev.agent.as_ref().or(ev.extension.as_ref()) {
                leg.agent = Some(a.clone());
            }
            if matches!(leg.end_how, Some(EndHow::Inferred | EndHow::Janitor)) {
                leg.ended_at = None;
                leg.end_how = None;
                if leg.cause.as_deref() == Some(ANSWERED_ELSEWHERE) {
                    leg.cause = None;
                }
            }
        }
        EventKind::Hangup | EventKind::Missed => {
            if leg.end_how != Some(EndHow::Event) {
                leg.ended_at = Some(ev.at.max(leg.started_at));
                leg.end_how = Some(EndHow::Event);
            }
            if let Some(c) = &ev.cause {
                leg.cause = Some(c.clone());
            } else if ev.kind == EventKind::Missed && leg.cause.is_none() {
                leg.cause = Some("missed".into());
            }
        }
        EventKind::Transfer => {
            leg.transferred_to = Some(
                ev.agent
                    .clone()
                    .or_else(|| ev.extension.clone())
                    .unwrap_or_default(),
            );
        }
    }
}

/// Closes the ringing legs that another leg's answer silenced. Returns the indexes changed.
pub fn infer_sibling_ends(legs: &mut [LegRow]) -> Vec<usize> {
    let Some(first) = legs.iter().filter_map(|l| l.answered_at).min() else {
        return Vec::new();
    };
    let mut changed = Vec::new();
    for (i, l) in legs.iter_mut().enumerate() {
        if l.answered_at.is_none() && l.ended_at.is_none() && l.started_at <= first {
            l.ended_at = Some(first);
            l.end_how = Some(EndHow::Inferred);
            if l.cause.is_none() {
                l.cause = Some(ANSWERED_ELSEWHERE.into());
            }
            changed.push(i);
        }
    }
    changed
}

/// A call's state computed from its legs (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Derived {
    pub direction: Direction,
    pub status: Status,
    pub started_at: i64,
    pub answered_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub end_estimated: bool,
    pub duration: i64,
    /// The index of the leg the call is attributed to.
    pub attribution: Option<usize>,
}

/// Derives the call from its legs. Pure.
pub fn derive(legs: &[LegRow], remote_key: Option<&str>, fallback_start: i64) -> Derived {
    let mut order: Vec<usize> = (0..legs.len()).collect();
    order.sort_by_key(|&i| (legs[i].started_at, legs[i].id));
    let direction = if remote_key.is_some_and(|k| k.starts_with('x')) {
        Direction::Internal
    } else {
        order
            .iter()
            .map(|&i| &legs[i])
            .find(|l| l.direction_known && l.direction != Direction::Unknown)
            .or_else(|| {
                order
                    .iter()
                    .map(|&i| &legs[i])
                    .find(|l| l.direction != Direction::Unknown)
            })
            .map_or(Direction::Unknown, |l| l.direction)
    };
    let started_at = legs
        .iter()
        .map(|l| l.started_at)
        .min()
        .unwrap_or(fallback_start);
    let answered_at = legs.iter().filter_map(|l| l.answered_at).min();
    let all_ended = !legs.is_empty() && legs.iter().all(|l| l.ended_at.is_some());
    let end_leg = if all_ended {
        legs.iter().max_by_key(|l| {
            (
                l.ended_at,
                l.end_how != Some(EndHow::Janitor),
                std::cmp::Reverse(l.id),
            )
        })
    } else {
        None
    };
    let ended_at = end_leg.and_then(|l| l.ended_at);
    let end_estimated = end_leg.is_some_and(|l| l.end_how == Some(EndHow::Janitor));
    let status = if answered_at.is_some() {
        Status::Answered
    } else if ended_at.is_none() {
        Status::Ringing
    } else {
        let classes: Vec<CauseClass> = legs
            .iter()
            .filter_map(|l| l.cause.as_deref().map(cause::classify))
            .filter(|c| {
                matches!(
                    c,
                    CauseClass::Busy
                        | CauseClass::Failed
                        | CauseClass::NoAnswer
                        | CauseClass::Rejected
                )
            })
            .collect();
        let all = |want: CauseClass| !classes.is_empty() && classes.iter().all(|c| *c == want);
        if all(CauseClass::Busy) {
            Status::Busy
        } else if all(CauseClass::Failed) && direction != Direction::Out {
            Status::Failed
        } else if direction == Direction::Out {
            Status::NotAnswered
        } else {
            Status::Missed
        }
    };
    let duration = match (answered_at, ended_at) {
        (Some(a), Some(e)) => (e - a).max(0),
        _ => 0,
    };
    let attribution = if answered_at.is_some() {
        (0..legs.len())
            .filter(|&i| legs[i].answered_at.is_some())
            .max_by_key(|&i| {
                let l = &legs[i];
                (
                    l.employee_id.is_some(),
                    l.effective_ext().is_some(),
                    l.answered_at,
                    std::cmp::Reverse(l.id),
                )
            })
    } else {
        order
            .iter()
            .copied()
            .filter(|&i| legs[i].effective_ext().is_some())
            .min_by_key(|&i| legs[i].employee_id.is_none())
    };
    Derived {
        direction,
        status,
        started_at,
        answered_at,
        ended_at,
        end_estimated,
        duration,
        attribution,
    }
}

/// Recomputes a call from its legs, writes what changed, applies the policies, auto-handles missed
/// calls from the same number when this one was answered, and records the changes to publish.
pub(crate) fn refresh(
    tx: &Connection,
    rules: &Rules,
    now: i64,
    call_id: i64,
    ev: Option<&Prepared>,
    changes: &mut Vec<CallChanged>,
) -> store::Result<Option<Reason>> {
    let mut legs = calls::legs_of(tx, call_id)?;
    let before = legs.clone();
    for i in infer_sibling_ends(&mut legs) {
        calls::update_leg(tx, &before[i], &legs[i])?;
    }
    let old = calls::call_row(tx, call_id)?
        .ok_or_else(|| StoreError::NotFound(format!("call {call_id}")))?;
    let mut c = derive_call(tx, rules, &legs, &old, ev)?;
    if c != old {
        c.updated_at = now;
        calls::update_call(tx, &old, &c)?;
    }
    finish(tx, now, &old, &c, false, changes)?;
    Ok(c.suppressed)
}

/// The call that `legs` make of `old` (see the module docs), with `old`'s `updated_at`.
fn derive_call(
    tx: &Connection,
    rules: &Rules,
    legs: &[LegRow],
    old: &CallRow,
    ev: Option<&Prepared>,
) -> store::Result<CallRow> {
    let mut c = old.clone();

    if c.remote_key.is_none() {
        let first = legs
            .iter()
            .filter(|l| l.remote_key.is_some())
            .min_by_key(|l| (l.started_at, l.id));
        if let Some(l) = first {
            c.remote_key = l.remote_key.clone();
            c.remote_e164 = l.remote_e164.clone();
            c.remote_raw = l.remote_raw.clone();
            c.remote_is_employee = match c.remote_key.as_deref() {
                Some(k) if !k.starts_with('x') => employees::is_employee_number(tx, k)?,
                _ => false,
            };
            if let Some(m) = ev
                .filter(|e| e.remote_key == c.remote_key)
                .and_then(|e| e.contact.as_ref())
            {
                c.contact_id = m.id;
                c.contact_rule = Some(m.rule.clone());
                c.contact_tie = (!m.tie.is_empty()).then(|| {
                    m.tie
                        .iter()
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                });
            }
        }
    }
    if c.remote_raw.is_empty() {
        if let Some(l) = legs.iter().find(|l| !l.remote_raw.is_empty()) {
            c.remote_raw = l.remote_raw.clone();
        }
    }

    let d = derive(legs, c.remote_key.as_deref(), old.started_at);
    c.direction = d.direction;
    c.status = d.status;
    c.started_at = d.started_at;
    c.answered_at = d.answered_at;
    c.ended_at = d.ended_at;
    c.end_estimated = d.end_estimated;
    c.duration = d.duration;
    match d.attribution.map(|i| &legs[i]) {
        Some(l) => {
            c.extension = l.effective_ext().map(str::to_string);
            c.employee_id = l.employee_id;
        }
        None => {
            c.extension = None;
            c.employee_id = None;
        }
    }
    let mut by_start: Vec<&LegRow> = legs.iter().collect();
    by_start.sort_by_key(|l| (l.started_at, l.id));
    c.line_id = by_start.iter().find_map(|l| l.line_id);
    let mut sources: Vec<&str> = legs.iter().map(|l| l.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    c.sources = sources.join(",");
    if let Some(url) = ev.and_then(|e| e.recording_url.clone()) {
        c.recording_url = Some(url);
    }
    c.suppressed = policy::evaluate(
        &rules.policy,
        &policy::Facts {
            direction: c.direction,
            remote_is_employee: c.remote_is_employee,
            has_extension: legs.iter().any(|l| l.effective_ext().is_some()),
            has_holder: legs.iter().any(|l| l.employee_id.is_some()),
        },
    );

    Ok(c)
}

/// After call `old` became `c` (or was first written as `c`, when `new_call`): records the changes to
/// publish, auto-handles missed calls from the same number when this one was answered, and queues
/// the call for upstream sync.
fn finish(
    tx: &Connection,
    now: i64,
    old: &CallRow,
    c: &CallRow,
    new_call: bool,
    changes: &mut Vec<CallChanged>,
) -> store::Result<()> {
    let first_change = changes.len();
    let visible = c.suppressed.is_none();
    let was_visible = !new_call && old.suppressed.is_none();
    let notify = visible && c.direction == Direction::In;
    let mut push = |kind| {
        changes.push(CallChanged {
            call_id: CallId(c.id),
            kind,
            notify,
        })
    };
    if visible {
        let mut any = false;
        if !was_visible {
            push(ChangeKind::Ringing);
            any = true;
        }
        if old.answered_at.is_none() && c.answered_at.is_some() {
            push(ChangeKind::Answered);
            any = true;
        }
        if old.ended_at.is_none() && c.ended_at.is_some() {
            push(ChangeKind::Ended);
            any = true;
        }
        if !any && c != old {
            push(ChangeKind::Updated);
        }
    } else if was_visible {
        push(ChangeKind::Hidden);
    }

    if visible && old.answered_at.is_none() && c.answered_at.is_some() {
        auto_handle(tx, now, c, changes)?;
    }
    outbox_hook(tx, c, &changes[first_change..])
}

/// A missed call is handled when the caller calls again and is answered, or when we call the number back
/// and they answer (seed 000, design §5).
fn auto_handle(
    tx: &Connection,
    now: i64,
    c: &CallRow,
    changes: &mut Vec<CallChanged>,
) -> store::Result<()> {
    let Some(key) = c.remote_key.as_deref().filter(|k| !k.starts_with('x')) else {
        return Ok(());
    };
    let how = match c.direction {
        Direction::In => HandledHow::AnsweredAgain,
        Direction::Out => HandledHow::Callback,
        _ => return Ok(()),
    };
    let who = match c.employee_id {
        Some(e) => employees::name_of(tx, e)?,
        None => None,
    }
    .unwrap_or_else(|| "ringbook".into());
    for id in calls::auto_handle(tx, key, c.started_at, c.id, how, &who, now)? {
        changes.push(CallChanged {
            call_id: CallId(id),
            kind: ChangeKind::Handled,
            notify: false,
        });
    }
    Ok(())
}

/// The hook point for the upstream-sync outbox (issue 6): it runs inside the same transaction as the call
/// change, after the call row is written, with the changes that call just went through. The outbox adds
/// its rows here, so a call change and its upstream delivery commit or roll back together. It must stay
/// cheap (indexed lookups, a few inserts): it runs in the writer for every event.
fn outbox_hook(tx: &Connection, call: &CallRow, changes: &[CallChanged]) -> store::Result<()> {
    // Issue 6: the outbox rows for this change, written in this same transaction (see store/outbox.rs).
    store::outbox::enqueue_for_changes(tx, call, changes)
}

/// Sets description and handling of one call; see [`super::update`].
pub(crate) fn patch(
    tx: &Connection,
    now: i64,
    id: CallId,
    patch: &CallPatch,
    by: &str,
) -> store::Result<Result<Vec<CallChanged>, JournalError>> {
    let Some(c) = calls::call_row(tx, id.0)?.filter(|c| c.suppressed.is_none()) else {
        return Ok(Err(JournalError::NotFound(id)));
    };
    if patch.handled == Some(true) && c.ended_at.is_none() {
        return Ok(Err(JournalError::StillOpen(id)));
    }
    let notify = c.direction == Direction::In;
    let mut changes = Vec::new();
    if let Some(d) = &patch.description {
        calls::set_description(tx, id.0, d, now)?;
        changes.push(CallChanged {
            call_id: id,
            kind: ChangeKind::Updated,
            notify,
        });
    }
    match patch.handled {
        Some(true) if c.handled_at.is_none() => {
            calls::set_handled(tx, id.0, now, by, HandledHow::Manual)?;
            changes.push(CallChanged {
                call_id: id,
                kind: ChangeKind::Handled,
                notify: false,
            });
        }
        Some(false) if c.handled_at.is_some() => {
            calls::clear_handled(tx, id.0, now)?;
            changes.push(CallChanged {
                call_id: id,
                kind: ChangeKind::Updated,
                notify: false,
            });
        }
        _ => {}
    }
    if let Some(c) = calls::call_row(tx, id.0)? {
        outbox_hook(tx, &c, &changes)?;
    }
    Ok(Ok(changes))
}

/// The calls a bulk mark changed, and the changes to publish.
pub(crate) type Marked = (Vec<CallId>, Vec<CallChanged>);

/// Marks several calls handled, all or nothing; see [`super::mark_handled`].
pub(crate) fn mark_handled(
    tx: &Connection,
    now: i64,
    ids: &[CallId],
    who: &str,
    how: HandledHow,
) -> store::Result<Result<Marked, JournalError>> {
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(c) = calls::call_row(tx, id.0)?.filter(|c| c.suppressed.is_none()) else {
            return Ok(Err(JournalError::NotFound(*id)));
        };
        if c.ended_at.is_none() {
            return Ok(Err(JournalError::StillOpen(*id)));
        }
        rows.push(c);
    }
    let mut marked = Vec::new();
    let mut changes = Vec::new();
    for c in rows.iter().filter(|c| c.handled_at.is_none()) {
        calls::set_handled(tx, c.id, now, who, how)?;
        marked.push(CallId(c.id));
        let change = CallChanged {
            call_id: CallId(c.id),
            kind: ChangeKind::Handled,
            notify: false,
        };
        changes.push(change);
        if let Some(now_row) = calls::call_row(tx, c.id)? {
            outbox_hook(tx, &now_row, &[change])?;
        }
    }
    Ok(Ok((marked, changes)))
}

#[cfg(test)]
mod tests;
