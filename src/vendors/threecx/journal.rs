//! 3CX `ReportCall` into the journal (`POST /3cx/journal`), and what the seed CRMs' call endpoints
//! share with it: 3CX's call types, its duration and time formats, one finished call as events, and
//! keys for reports that carry no call id.
//!
//! 3CX fires `ReportCall` once per finished call, with `[CallType]` `Inbound` (answered), `Outbound`
//! (answered), `Missed` (inbound, not answered) or `Notanswered` (outbound, not answered), and no call
//! id (see shared protocols: pbx-apis.md §1.4, §1.5). The template this box generates (`super::template`)
//! posts JSON with `call_type`, `direction`, `number`, `name`, `agent`, `agent_first_name`, `duration`
//! (`[Duration]`, `hh:mm:ss`), `duration_seconds`, `date_time` (`[DateTime]`, the PBX's locale),
//! `start_utc`, `end_utc`, `entity_id` and `entity_type`; hand-written templates may post a form
//! instead (§1.5), which is read the same way. A variable 3CX doesn't fill arrives literally
//! (`[Name]`) and counts as absent.
//!
//! Times: `start_utc`/`end_utc` are preferred. Without them `[DateTime]` is read in the common locale
//! forms (`01.03.2024 09:15:00`, `3/1/2024 9:15:00 AM`, `01/03/2024 09:15`, `2024-03-01 09:15:00`) as
//! local time in `office.timezone`. The talk time is the duration; the answer is `end − duration`.
//!
//! The call key is a hash of start, agent, number and direction (design §5), so a resent report is the
//! same leg and changes nothing. When the start is known only to the minute, the call type and the
//! duration join the hash, so two short calls from one caller within a minute stay two calls. A report
//! with no time at all is keyed like the seed CRMs' reports: see [`resolve`].

use jiff::tz::TimeZone;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::auth::Scope;
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::journal::{self, cause, time, CallEvent, Direction, EventKind, Ingested, JournalError};
use crate::settings::Settings;
use crate::store::call_reads::LegRef;
use crate::store::{self, Reader};

/// The journal source name of 3CX `ReportCall`.
pub const SOURCE: &str = "3cx";

/// A report sent again within this many seconds of the first, with the same content and no call id
/// or time of its own, is taken as a resend and changes nothing. Long enough for a PBX's retry, short
/// enough that a caller who rings again gets a new call.
pub const REPEAT_WINDOW: i64 = 30;

/// The longest call a report may describe; anything longer is a unit mix-up (milliseconds, minutes).
const MAX_DURATION: i64 = 7 * 86_400;

/// Earliest time a PBX could mean (2000-01-01). 3CX writes .NET's `DateTime.MinValue` (year 1) for a
/// time it doesn't have, which this treats as absent.
const MIN_TIME: i64 = 946_684_800;

/// 3CX's `[CallType]`, the outcome of a finished call (see shared protocols: pbx-apis.md §1.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallType {
    /// Inbound and answered.
    Inbound,
    /// Outbound and answered.
    Outbound,
    /// Inbound and not answered.
    Missed,
    /// Outbound and not answered.
    NotAnswered,
}

impl CallType {
    /// Reads 3CX's names, ignoring case, spaces and `_` (`Notanswered`, `NotAnswered`, `not_answered`).
    pub fn parse(s: &str) -> Option<CallType> {
        let k: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-'))
            .flat_map(char::to_lowercase)
            .collect();
        match k.as_str() {
            "inbound" => Some(CallType::Inbound),
            "outbound" => Some(CallType::Outbound),
            "missed" => Some(CallType::Missed),
            "notanswered" => Some(CallType::NotAnswered),
            _ => None,
        }
    }

    pub fn direction(self) -> Direction {
        match self {
            CallType::Inbound | CallType::Missed => Direction::In,
            CallType::Outbound | CallType::NotAnswered => Direction::Out,
        }
    }

    pub fn answered(self) -> bool {
        matches!(self, CallType::Inbound | CallType::Outbound)
    }

    /// The type of a call with this direction that was or wasn't answered.
    pub fn of(direction: Direction, answered: bool) -> CallType {
        match (direction, answered) {
            (Direction::Out, true) => CallType::Outbound,
            (Direction::Out, false) => CallType::NotAnswered,
            (_, true) => CallType::Inbound,
            (_, false) => CallType::Missed,
        }
    }
}

/// A text value that is still a template variable or expression (`[Name]`,
/// `[[CallStartTimeUTC].ToString("…")]`): 3CX had nothing to put there.
pub fn unfilled(v: &str) -> bool {
    let t = v.trim();
    t.len() >= 2 && t.starts_with('[') && t.ends_with(']')
}

/// A duration as 3CX and the seed templates write it: `hh:mm:ss`, `mm:ss`, .NET's `d.hh:mm:ss` with
/// optional fractions (`00:01:05.1234567`), or whole seconds (`65`, also `65.0`).
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let bad = || {
        format!("'{t}' is not a duration; write hh:mm:ss (00:01:05), mm:ss (01:05) or seconds (65)")
    };
    let digits = |p: &str| !p.is_empty() && p.len() <= 12 && p.bytes().all(|b| b.is_ascii_digit());
    let secs = if !t.contains(':') {
        let whole = match t.split_once('.') {
            Some((w, f)) if digits(w) && digits(f) => w,
            None if digits(t) => t,
            _ => return Err(bad()),
        };
        whole.parse::<i64>().map_err(|_| bad())?
    } else {
        let parts: Vec<&str> = t.split(':').collect();
        // The seconds may carry a fraction; the hours may carry .NET's days (`1.02:03:04`).
        let last = parts[parts.len() - 1];
        let last = match last.split_once('.') {
            Some((w, f)) if digits(f) => w,
            _ => last,
        };
        let (days, first) = match parts[0].split_once('.') {
            Some((d, h)) if parts.len() == 3 && digits(d) => (d.parse::<i64>().unwrap_or(0), h),
            _ => (0, parts[0]),
        };
        let mut nums = Vec::with_capacity(parts.len());
        for (i, p) in parts.iter().enumerate() {
            let p = if i == 0 {
                first
            } else if i == parts.len() - 1 {
                last
            } else {
                p
            };
            if !digits(p) {
                return Err(bad());
            }
            nums.push(p.parse::<i64>().map_err(|_| bad())?);
        }
        match nums.as_slice() {
            [m, s] if *s < 60 => m * 60 + s,
            [h, m, s] if *m < 60 && *s < 60 => days * 86_400 + h * 3600 + m * 60 + s,
            _ => return Err(bad()),
        }
    };
    if secs > MAX_DURATION {
        return Err(format!(
            "'{t}' is longer than 7 days; is it in milliseconds?"
        ));
    }
    Ok(secs)
}

/// A UTC time as the template formats it (`yyyy-MM-ddTHH:mm:ssZ`). .NET writes the culture's time
/// separator for `:`, so `08.15.00` is read too; also RFC 3339, a UTC time without `Z`, and Unix
/// seconds or milliseconds (`[CallStartTimeUTCMillis]`). `None` for .NET's "no value" (year 1).
pub fn parse_utc(s: &str) -> Result<Option<i64>, String> {
    let t = s.trim();
    let at = if !t.is_empty() && t.len() <= 20 && t.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = t
            .parse()
            .map_err(|_| format!("'{t}' is too large to be a time"))?;
        if t.len() >= 13 {
            n / 1000
        } else {
            n
        }
    } else {
        match time::parse(t) {
            Ok(v) => v,
            Err(_) => {
                let b = t.as_bytes();
                let fixed = if t.is_ascii()
                    && b.len() >= 19
                    && b[4] == b'-'
                    && b[7] == b'-'
                    && matches!(b[10], b'T' | b't' | b' ')
                {
                    let hms = t[11..19].replace('.', ":");
                    let rest = if t.len() == 19 { "Z" } else { &t[19..] };
                    format!("{}T{hms}{rest}", &t[..10])
                } else {
                    t.to_string()
                };
                time::parse(&fixed).map_err(|_| {
                    format!(
                        "'{t}' is not a UTC time; the template writes e.g. 2024-03-01T08:15:00Z"
                    )
                })?
            }
        }
    };
    Ok((at >= MIN_TIME).then_some(at))
}

/// A local time read from a PBX's locale text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    /// UTC Unix seconds.
    pub at: i64,
    /// False when the text gave hours and minutes only.
    pub to_the_second: bool,
}

/// Reads a date and time in the PBX's locale as local time in `tz` (see shared protocols:
/// pbx-apis.md §1.4, `[DateTime]`): day-month-year with `.`, `/` or `-` (`01.03.2024 09:15:00`,
/// `1-3-2024 9:15`), year first (`2024-03-01 09:15:00`, `2024/03/01`), two-digit years, and the US
/// month-day order with AM/PM (`3/1/2024 9:15:00 AM`). A day above 12 settles the order; otherwise
/// `/` dates are month first when the text has AM/PM or `us_order` says the office is in the US.
pub fn parse_local(s: &str, tz: &TimeZone, us_order: bool) -> Result<LocalTime, String> {
    let t = s.trim();
    let bad = || {
        format!(
            "'{t}' is not a date and time; the PBX writes e.g. 01.03.2024 09:15:00, 3/1/2024 9:15:00 AM \
             or 2024-03-01 09:15:00"
        )
    };
    let letters: Vec<String> = t
        .to_ascii_lowercase()
        .replace('.', "")
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let pm = letters.iter().any(|w| w == "pm");
    let am = letters.iter().any(|w| w == "am");
    if letters
        .iter()
        .any(|w| !matches!(w.as_str(), "am" | "pm" | "t" | "z"))
    {
        return Err(bad());
    }
    let mut nums: Vec<(i64, usize)> = Vec::new();
    let mut date_sep = None;
    let mut run = String::new();
    for c in t.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            run.push(c);
            continue;
        }
        if !run.is_empty() {
            if run.len() > 4 {
                return Err(bad());
            }
            nums.push((run.parse().map_err(|_| bad())?, run.len()));
            run.clear();
            if nums.len() == 1 {
                date_sep = Some(c);
            }
        }
    }
    if nums.len() < 5 {
        return Err(bad());
    }
    let (y, m, d) = if nums[0].1 == 4 {
        (nums[0].0, nums[1].0, nums[2].0)
    } else {
        let (a, b) = (nums[0].0, nums[1].0);
        let y = match nums[2] {
            (y, 2) => 2000 + y,
            (y, 4) => y,
            _ => return Err(bad()),
        };
        let month_first = if a > 12 {
            false
        } else if b > 12 {
            true
        } else {
            date_sep == Some('/') && (am || pm || us_order)
        };
        if month_first {
            (y, a, b)
        } else {
            (y, b, a)
        }
    };
    let mut h = nums[3].0;
    if pm && h < 12 {
        h += 12;
    } else if am && h == 12 {
        h = 0;
    }
    let (mi, sec) = (nums[4].0, nums.get(5).map_or(0, |n| n.0));
    let small = |v: i64| i8::try_from(v).map_err(|_| bad());
    let dt = jiff::civil::DateTime::new(
        i16::try_from(y).map_err(|_| bad())?,
        small(m)?,
        small(d)?,
        small(h)?,
        small(mi)?,
        small(sec)?,
        0,
    )
    .map_err(|_| bad())?;
    let at = dt
        .to_zoned(tz.clone())
        .map_err(|_| bad())?
        .timestamp()
        .as_second();
    Ok(LocalTime {
        at,
        to_the_second: nums.len() >= 6,
    })
}

/// The office's time zone, in which PBXs write local times; UTC if the setting can't be read.
pub fn office_tz(settings: &Settings) -> TimeZone {
    TimeZone::get(settings.get("office.timezone")).unwrap_or(TimeZone::UTC)
}

/// One finished call as a report describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub call_type: CallType,
    /// The other party's number as sent.
    pub remote: Option<String>,
    /// Our extension: who answered, who called, or where it rang.
    pub agent: Option<String>,
    pub start: i64,
    /// Set only for answered calls.
    pub answered: Option<i64>,
    pub end: i64,
    /// The source's own words for why it ended, if it gave any.
    pub cause: Option<String>,
    pub payload: String,
}

/// The events of a finished call under one key: the start (ringing or dialing), the answer if any, and
/// the end (`missed` for a missed call, `hangup` otherwise, with `notAnswered` as the cause of an
/// unanswered outbound call if the source gave none). Every event carries the source's times, so a
/// resent report is the same events and changes nothing.
pub fn report_events(source: &str, key: &str, r: &Report) -> Vec<CallEvent> {
    let dir = r.call_type.direction();
    let event = |kind: EventKind, at: i64| CallEvent {
        direction: Some(dir),
        remote: r.remote.clone(),
        at: Some(at),
        payload: r.payload.clone(),
        ..CallEvent::new(source, key, kind)
    };
    let start_kind = if dir == Direction::Out {
        EventKind::Dialing
    } else {
        EventKind::Ringing
    };
    let mut out = vec![CallEvent {
        extension: r.agent.clone(),
        ..event(start_kind, r.start)
    }];
    if let Some(a) = r.answered {
        out.push(CallEvent {
            agent: r.agent.clone(),
            ..event(EventKind::Answered, a)
        });
    }
    let (end_kind, default_cause) = match r.call_type {
        CallType::Missed => (EventKind::Missed, None),
        CallType::NotAnswered => (EventKind::Hangup, Some("notAnswered")),
        _ => (EventKind::Hangup, None),
    };
    out.push(CallEvent {
        cause: r
            .cause
            .clone()
            .or_else(|| default_cause.map(str::to_string)),
        ..event(end_kind, r.end)
    });
    out
}

/// A short digest naming one conversation of a source that has no call ids, from the report's parts.
pub fn conversation(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.trim().as_bytes());
        h.update([0x1f]);
    }
    crate::hex::lower(&h.finalize()[..8])
}

/// Where the events of a report without a call id go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// The same report came in moments ago: nothing to do; answer with its call.
    Repeat(LegRef),
    /// A leg of this conversation is still open: the events continue it.
    Open(LegRef),
    /// A new leg under this key.
    New(String),
}

/// Finds the leg for a report that names no call, by its conversation digest (from
/// [`conversation`]). Keys are `DIGEST.START`, with `START` the server time in zero-padded seconds, so
/// the latest leg of a conversation is the greatest key. That leg is continued while it is open and was
/// touched within `open_within` seconds; when `repeat_is_duplicate`, a leg that ended within
/// [`REPEAT_WINDOW`] makes this report a resend. Otherwise a new key.
///
/// Two identical reports racing in parallel may both get a new key; a PBX doesn't resend that fast.
pub fn resolve(
    reader: &Reader,
    source: &str,
    conv: &str,
    now: i64,
    open_within: i64,
    repeat_is_duplicate: bool,
) -> store::Result<Resolved> {
    let prefix = format!("{conv}.");
    let latest = reader.latest_leg_with_prefix(source, &prefix)?;
    let candidate = format!("{prefix}{now:010}");
    Ok(match latest {
        Some(l) if l.ended_at.is_none() && l.touched_at >= now - open_within => Resolved::Open(l),
        Some(l)
            if repeat_is_duplicate
                && l.ended_at.is_some()
                && l.touched_at >= now - REPEAT_WINDOW =>
        {
            Resolved::Repeat(l)
        }
        // A leg of this conversation began in this same second: a key that sorts after it.
        Some(l) if l.key >= candidate => Resolved::New(format!("{}+", l.key)),
        _ => Resolved::New(candidate),
    })
}

/// Hands events to the journal for a JSON endpoint and answers `ok(last, all_duplicate)` with the
/// outcome of the last event once they are committed, without holding the worker meanwhile (see
/// `vendors::answer_after_commit`); or the error response (400 for an event the journal refuses,
/// 503 when it can't be stored).
pub fn ingest_then(
    ctx: &Ctx,
    events: Vec<CallEvent>,
    ok: impl FnOnce(Ingested, bool) -> Response + Send + 'static,
) -> Response {
    crate::vendors::answer_after_commit(ctx, events, move |r| match r {
        Ok(done) => {
            let all_duplicate = done.iter().all(|i| i.duplicate);
            match done.into_iter().last() {
                Some(last) => ok(last, all_duplicate),
                None => Response::error(500, "no event was made from this report"),
            }
        }
        Err(e) => refused(e),
    })
}

/// The answer to a report the journal refused.
pub fn refused(e: JournalError) -> Response {
    match e {
        JournalError::Invalid { why, .. } => Response::error(400, &why),
        e @ JournalError::Store(_) => Response::error(
            503,
            &format!("the call could not be stored, send it again: {e}"),
        ),
        e => Response::error(400, &e.to_string()),
    }
}

/// The fields of a report body: a JSON object, or a form (`application/x-www-form-urlencoded`, as
/// hand-written templates post it; see shared protocols: pbx-apis.md §1.5).
pub fn body_fields(req: &Request, example: &str) -> Result<Map<String, Value>, Response> {
    let text = req.body_text().map_err(|e| Response::error(400, &e))?;
    let t = text.trim();
    if t.is_empty() {
        return Err(Response::error(
            400,
            &format!("the body is empty; send a JSON object such as {example}"),
        ));
    }
    if t.starts_with('{') || t.starts_with('[') {
        return match serde_json::from_str::<Value>(t) {
            Ok(Value::Object(o)) => Ok(o),
            Ok(_) => Err(Response::error(
                400,
                &format!("the body must be a JSON object such as {example}"),
            )),
            Err(e) => Err(Response::error(
                400,
                &format!("the body is not JSON ({e}); send an object such as {example}"),
            )),
        };
    }
    let form = req
        .header("content-type")
        .is_some_and(|c| c.to_ascii_lowercase().contains("x-www-form-urlencoded"));
    if form || t.contains('=') {
        let pairs = req.form();
        if pairs.iter().any(|(k, _)| !k.trim().is_empty()) {
            return Ok(pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect());
        }
    }
    Err(Response::error(
        400,
        &format!("the body is neither JSON nor a form; send an object such as {example}"),
    ))
}

/// A report field as text, or `None` when it is missing, empty or a variable 3CX didn't fill. Keys
/// are compared without case and `_` (`call_type`, `CallType`).
pub fn text(obj: &Map<String, Value>, names: &[&str]) -> Option<String> {
    let v = super::field(obj, names);
    (!v.is_empty() && !unfilled(&v)).then_some(v)
}

/// A number field as [`text`] reads it, keeping a `+` that a form encoder turned into a space.
pub fn number_text(obj: &Map<String, Value>, names: &[&str]) -> Option<String> {
    let v = super::number_field(obj, names);
    (!v.is_empty() && !unfilled(&v)).then_some(v)
}

/// The number as one conversation key part: its remote key when it normalizes, else as sent.
pub fn number_part(ctx: &Ctx, raw: Option<&str>) -> String {
    let Some(raw) = raw else {
        return String::new();
    };
    ctx.model()
        .normalize(raw)
        .ok()
        .and_then(|n| journal::remote_key(&n))
        .unwrap_or_else(|| raw.trim().to_string())
}

/// Whether a cause sent with a report means the call was answered (none, or a normal clearing).
pub fn answered_by_cause(c: Option<&str>) -> bool {
    c.is_none_or(|c| cause::classify(c) == cause::CauseClass::Normal)
}

const EXAMPLE: &str = r#"{"call_type":"Inbound","number":"+49301234567","agent":"11","duration":"00:01:05","start_utc":"2024-03-01T08:15:00Z","end_utc":"2024-03-01T08:16:10Z"}"#;

/// `POST /3cx/journal`: one `ReportCall`. Answers `{"ok":true,"call_id":N,"duplicate":…,
/// "journaled":…}` once the call is committed; a bad report gets a 400 with the reason and changes
/// nothing.
pub fn report_call(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Journal) {
        return Response::unauthorized(&e, true);
    }
    let obj = match body_fields(req, EXAMPLE) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let raw_type = text(&obj, &["calltype", "type"]).unwrap_or_default();
    let Some(call_type) = CallType::parse(&raw_type) else {
        return Response::error(
            400,
            &format!(
                "call_type '{raw_type}' is not one of Inbound, Outbound, Missed, Notanswered \
                 (3CX's [CallType])"
            ),
        );
    };
    let number = number_text(&obj, &["number"]);
    let agent = text(&obj, &["agent"]);
    let duration = match (text(&obj, &["durationseconds"]), text(&obj, &["duration"])) {
        (Some(s), _) | (None, Some(s)) => match parse_duration(&s) {
            Ok(d) => d,
            Err(e) => return Response::error(400, &format!("duration: {e}")),
        },
        (None, None) => 0,
    };
    let utc = |names: &[&str], label: &str| -> Result<Option<i64>, Response> {
        match text(&obj, names) {
            Some(s) => parse_utc(&s).map_err(|e| Response::error(400, &format!("{label}: {e}"))),
            None => Ok(None),
        }
    };
    let start_utc = match utc(&["startutc", "start"], "start_utc") {
        Ok(v) => v,
        Err(r) => return r,
    };
    let end_utc = match utc(&["endutc", "end"], "end_utc") {
        Ok(v) => v,
        Err(r) => return r,
    };
    let local = match (start_utc, text(&obj, &["datetime"])) {
        (None, Some(s)) => {
            let us = ctx
                .settings()
                .get("number.country")
                .eq_ignore_ascii_case("US");
            match parse_local(&s, &office_tz(ctx.settings()), us) {
                Ok(l) => Some(l),
                Err(e) => return Response::error(400, &format!("date_time: {e}")),
            }
        }
        _ => None,
    };
    let start = start_utc.or(local.map(|l| l.at));
    let answered_type = call_type.answered();
    let (start, end) = match (start, end_utc) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, if answered_type { s + duration } else { s }),
        (None, Some(e)) => (e - duration, e),
        (None, None) => {
            let now = store::now();
            (now - duration, now)
        }
    };
    if end < start {
        return Response::error(
            400,
            "end_utc is before the call's start; check the PBX's clock and the template's times",
        );
    }
    let report = Report {
        call_type,
        remote: number.clone(),
        agent: agent.clone(),
        start,
        answered: answered_type.then(|| (end - duration).max(start)),
        end,
        cause: None,
        payload: String::from_utf8_lossy(&req.body).into_owned(),
    };
    let num = number_part(ctx, number.as_deref());
    let dir = call_type.direction().as_str();
    let agent_part = agent.as_deref().unwrap_or("");
    let key = if start_utc.is_some() || local.is_some() {
        let precise = start_utc.is_some() || local.is_some_and(|l| l.to_the_second);
        let (ty, dur) = if precise {
            (String::new(), String::new())
        } else {
            (format!("{call_type:?}"), duration.to_string())
        };
        format!(
            "h{}",
            conversation(&[&start.to_string(), agent_part, &num, dir, &ty, &dur])
        )
    } else {
        let conv = conversation(&[
            &format!("{call_type:?}"),
            agent_part,
            &num,
            &duration.to_string(),
        ]);
        match resolve(&ctx.reader, SOURCE, &conv, store::now(), 0, true) {
            Ok(Resolved::Repeat(l)) => return ack(l.call_id, true, true),
            Ok(Resolved::Open(l)) => l.key,
            Ok(Resolved::New(k)) => k,
            Err(e) => return Response::error(503, &format!("the journal can't be read: {e}")),
        }
    };
    ingest_then(
        ctx,
        report_events(SOURCE, &key, &report),
        |last, duplicate| ack(last.call_id.0, duplicate, last.journaled),
    )
}

fn ack(call_id: i64, duplicate: bool, journaled: bool) -> Response {
    Response::json(
        200,
        &json!({ "ok": true, "call_id": call_id, "duplicate": duplicate, "journaled": journaled }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_types() {
        for (s, want) in [
            ("Inbound", Some(CallType::Inbound)),
            ("outbound", Some(CallType::Outbound)),
            ("Missed", Some(CallType::Missed)),
            ("Notanswered", Some(CallType::NotAnswered)),
            ("NotAnswered", Some(CallType::NotAnswered)),
            ("not_answered", Some(CallType::NotAnswered)),
            ("[CallType]", None),
            ("", None),
        ] {
            assert_eq!(CallType::parse(s), want, "{s}");
        }
        assert_eq!(CallType::Missed.direction(), Direction::In);
        assert_eq!(CallType::of(Direction::Out, false), CallType::NotAnswered);
    }

    #[test]
    fn durations() {
        let ok: &[(&str, i64)] = &[
            ("00:01:05", 65),
            ("0:01:05", 65),
            ("1:00:00", 3600),
            ("01:05", 65),
            ("65", 65),
            ("65.0", 65),
            ("0", 0),
            ("00:00:00", 0),
            ("00:01:05.1234567", 65),
            ("1.02:03:04", 93_784),
            (" 00:00:07 ", 7),
        ];
        for (s, want) in ok {
            assert_eq!(parse_duration(s), Ok(*want), "{s}");
        }
        for s in [
            "",
            "abc",
            "1:2:3:4",
            "00:61:00",
            "00:00:75",
            "-5",
            "1:xx",
            "99999999",
            "[Duration]",
        ] {
            assert!(parse_duration(s).is_err(), "{s} should be refused");
        }
    }

    #[test]
    fn utc_times() {
        let t = 1_709_280_900;
        for s in [
            "2024-03-01T08:15:00Z",
            "2024-03-01T08.15.00Z",
            "2024-03-01 08:15:00",
            "2024-03-01T09:15:00+01:00",
            "1709280900",
            "1709280900000",
        ] {
            assert_eq!(parse_utc(s), Ok(Some(t)), "{s}");
        }
        assert_eq!(parse_utc("0001-01-01T00:00:00Z"), Ok(None));
        for s in ["yesterday", "01.03.2024 08:15", "2024-03-01T08:15:00+1"] {
            assert!(parse_utc(s).is_err(), "{s} should be refused");
        }
    }

    #[test]
    fn local_times_in_common_locales() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        // 2024-03-01 09:15 in Berlin (UTC+1) is 08:15 UTC.
        let t = 1_709_280_900;
        let cases: &[(&str, bool, i64, bool)] = &[
            ("01.03.2024 09:15:00", false, t, true),
            ("01.03.2024 09:15", false, t, false),
            ("1.3.2024 9:15:00", false, t, true),
            ("01.03.24 09:15:00", false, t, true),
            ("01/03/2024 09:15:00", false, t, true),
            ("3/1/2024 9:15:00 AM", false, t, true),
            ("3/1/2024 9:15 AM", false, t, false),
            ("03/01/2024 09:15:00", true, t, true),
            ("2024-03-01 09:15:00", false, t, true),
            ("2024/03/01 09:15:00", false, t, true),
            ("1-3-2024 9:15:00", false, t, true),
            ("3/1/2024 12:15:00 PM", false, t + 3 * 3600, true),
            ("3/1/2024 12:15:00 AM", false, t - 9 * 3600, true),
            ("3/13/2024 9:15:00", false, t + 12 * 86_400, true),
            ("13/03/2024 09:15:00", true, t + 12 * 86_400, true),
            // Summer time: 2024-07-01 09:15 in Berlin is 07:15 UTC.
            ("01.07.2024 09:15:00", false, 1_719_818_100, true),
        ];
        for (s, us, at, secs) in cases {
            assert_eq!(
                parse_local(s, &berlin, *us),
                Ok(LocalTime {
                    at: *at,
                    to_the_second: *secs
                }),
                "{s}"
            );
        }
        for s in [
            "",
            "yesterday",
            "01.03.2024",
            "32.03.2024 09:15",
            "1 Mar 2024 09:15",
            "01.03.2024 25:15",
        ] {
            assert!(
                parse_local(s, &berlin, false).is_err(),
                "{s} should be refused"
            );
        }
    }

    #[test]
    fn unfilled_variables() {
        assert!(unfilled("[Name]"));
        assert!(unfilled(" [[CallStartTimeUTC].ToString(\"yyyy\")] "));
        assert!(!unfilled("Anna"));
        assert!(!unfilled("[]x"));
    }

    #[test]
    fn report_events_per_call_type() {
        let r = |call_type, answered| Report {
            call_type,
            remote: Some("+49301234567".into()),
            agent: Some("11".into()),
            start: 100,
            answered,
            end: 200,
            cause: None,
            payload: "{}".into(),
        };
        let kinds = |evs: Vec<CallEvent>| -> Vec<(EventKind, Option<i64>, Option<String>)> {
            evs.into_iter().map(|e| (e.kind, e.at, e.cause)).collect()
        };
        use EventKind::*;
        assert_eq!(
            kinds(report_events("3cx", "k", &r(CallType::Inbound, Some(140)))),
            vec![
                (Ringing, Some(100), None),
                (Answered, Some(140), None),
                (Hangup, Some(200), None)
            ]
        );
        assert_eq!(
            kinds(report_events("3cx", "k", &r(CallType::Missed, None))),
            vec![(Ringing, Some(100), None), (Missed, Some(200), None)]
        );
        let out = report_events("3cx", "k", &r(CallType::NotAnswered, None));
        assert_eq!(out[0].kind, Dialing);
        assert_eq!(out[0].direction, Some(Direction::Out));
        assert_eq!(out[0].extension.as_deref(), Some("11"));
        assert_eq!(out[1].cause.as_deref(), Some("notAnswered"));
    }

    #[test]
    fn conversations_differ_by_every_part() {
        let a = conversation(&["in", "+4930", "11"]);
        assert_eq!(a.len(), 16);
        assert_eq!(a, conversation(&["in", "+4930", "11"]));
        assert_ne!(a, conversation(&["out", "+4930", "11"]));
        assert_ne!(a, conversation(&["in", "+4930", "12"]));
    }
}
