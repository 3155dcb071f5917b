//! The journal as it is read: calls with names filled in, their legs and raw events, filters and
//! keyset pagination. Shared by the JSON API and (later) the web UI.

use serde::Serialize;

use super::{CallId, Direction, HandledHow, Status};
use crate::store::{Reader, StoreError};

#[derive(Clone, Debug, Serialize)]
pub struct Remote {
    /// As the source sent it (`anonymous` for a withheld number).
    pub raw: String,
    pub e164: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CallContact {
    pub id: i64,
    pub name: String,
    pub company: String,
    /// The lookup rule that matched when the call came in.
    pub rule: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct CallLine {
    pub id: i64,
    pub name: String,
    pub e164: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Handling {
    /// `open` or `handled`.
    pub status: &'static str,
    pub at: Option<i64>,
    pub by: Option<String>,
    pub how: Option<HandledHow>,
    /// The call that handled this one automatically (a callback or a repeat call).
    pub by_call: Option<i64>,
}

/// A call as listed. Times are UTC Unix seconds.
#[derive(Clone, Debug, Serialize)]
pub struct Call {
    pub id: CallId,
    pub direction: Direction,
    pub status: Status,
    pub started_at: i64,
    pub answered_at: Option<i64>,
    pub ended_at: Option<i64>,
    /// Talk time in seconds (answer to end); 0 if never answered.
    pub duration: i64,
    /// Seconds from start until answered, or until the end if never answered.
    pub ring_seconds: Option<i64>,
    /// The end was not reported; the janitor closed the call at its last known activity.
    pub end_estimated: bool,
    pub remote: Remote,
    /// The contact matched at call time, if exactly one matched.
    pub contact: Option<CallContact>,
    /// The contacts that matched equally at call time, when it was a tie (then `contact` is null).
    pub contact_tie: Vec<i64>,
    pub line: Option<CallLine>,
    pub extension: Option<String>,
    /// Who held the extension at the time of the call.
    pub employee: Option<Named>,
    /// Who should call back: the employee a missed call was assigned to on the worklist.
    pub assignee: Option<Named>,
    pub description: String,
    pub handling: Handling,
    pub recording_url: Option<String>,
    pub sources: Vec<String>,
    /// Whether this call may raise a notification (never for outbound calls).
    pub notify: bool,
    /// Why a policy keeps this call out of the journal; only present when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
}

/// One leg of a call: what one source said under one call key.
#[derive(Clone, Debug, Serialize)]
pub struct Leg {
    pub id: i64,
    pub source: String,
    pub key: String,
    pub group: Option<String>,
    pub direction: Direction,
    pub status: Status,
    pub remote: String,
    pub extension: Option<String>,
    pub agent: Option<String>,
    pub employee: Option<Named>,
    pub line_id: Option<i64>,
    pub started_at: i64,
    pub answered_at: Option<i64>,
    pub ended_at: Option<i64>,
    /// How the end became known: `event`, `inferred` (another phone answered) or `janitor`.
    pub end: Option<&'static str>,
    pub cause: Option<String>,
    pub transferred_to: Option<String>,
}

/// A raw event as received, kept for `journal.retention`.
#[derive(Clone, Debug, Serialize)]
pub struct RawEvent {
    pub id: i64,
    pub source: String,
    pub key: String,
    pub kind: String,
    pub at: i64,
    pub time_from_source: bool,
    pub received_at: i64,
    pub payload: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct CallDetail {
    #[serde(flatten)]
    pub call: Call,
    pub legs: Vec<Leg>,
    pub events: Vec<RawEvent>,
}

/// Which calls to list. Empty lists mean "any".
#[derive(Clone, Debug, Default)]
pub struct CallFilter {
    /// Started at or after.
    pub since: Option<i64>,
    /// Started before.
    pub until: Option<i64>,
    pub directions: Vec<Direction>,
    pub statuses: Vec<Status>,
    pub extension: Option<String>,
    pub employee: Option<i64>,
    pub line: Option<i64>,
    /// A remote key from [`super::remote_key`].
    pub remote_key: Option<String>,
    /// Only calls with one of these contacts (the call log's name search, see [`contacts_named`]).
    /// An empty list matches nothing.
    pub contact_ids: Option<Vec<i64>>,
    /// `Some(false)` for open calls only (the missed-call worklist), `Some(true)` for handled ones.
    pub handled: Option<bool>,
    pub include_suppressed: bool,
    /// Continue after this `(started_at, id)`, from a cursor.
    pub after: Option<(i64, i64)>,
    pub limit: usize,
}

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 500;

/// One page of calls, newest first.
#[derive(Clone, Debug, Serialize)]
pub struct Page {
    pub calls: Vec<Call>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Encodes the position after a call. Opaque to clients: hex of `started_at:id`.
pub fn encode_cursor(started_at: i64, id: i64) -> String {
    crate::hex::lower(format!("{started_at}:{id}").as_bytes())
}

/// Reads a cursor this server gave out.
pub fn decode_cursor(s: &str) -> Option<(i64, i64)> {
    if s.len() % 2 != 0 || s.len() > 80 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    let (t, id) = text.split_once(':')?;
    Some((t.parse().ok()?, id.parse().ok()?))
}

/// Most contacts a name search looks for calls of; more means the words are too unspecific to be
/// useful, and the query would stop being cheap.
pub const MAX_NAMED_CONTACTS: usize = 200;

/// The contacts whose names (first, last, company) have words starting with every word of `text`,
/// for the call log's search by name. Folded like the phone books, so `muller` finds "Müller".
pub fn contacts_named(reader: &Reader, text: &str) -> Result<Vec<i64>, StoreError> {
    // A `+` separates words too: the call log's form is sent as a raw query, where it stays a `+`.
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '+')
        .map(crate::phonebook::fold)
        .filter(|w| !w.is_empty())
        .take(5)
        .collect();
    if words.is_empty() {
        return Ok(Vec::new());
    }
    reader.contact_ids_by_words(&words, MAX_NAMED_CONTACTS)
}

/// Whether a search text is meant as a name rather than a number: it has a letter in it.
pub fn is_name_search(text: &str) -> bool {
    text.chars().any(char::is_alphabetic)
}

/// Lists one page of the journal.
pub fn list(reader: &Reader, filter: &CallFilter) -> Result<Page, StoreError> {
    let limit = filter.limit.clamp(1, MAX_LIMIT);
    let f = CallFilter {
        limit,
        ..filter.clone()
    };
    let mut calls = reader.calls(&f)?;
    let next_cursor = if calls.len() > limit {
        calls.truncate(limit);
        calls.last().map(|c| encode_cursor(c.started_at, c.id.0))
    } else {
        None
    };
    Ok(Page { calls, next_cursor })
}

/// One call with its legs and raw events; `None` if it doesn't exist or a policy keeps it out.
pub fn detail(reader: &Reader, id: CallId) -> Result<Option<CallDetail>, StoreError> {
    let Some(call) = reader.call(id.0)?.filter(|c| c.suppressed.is_none()) else {
        return Ok(None);
    };
    Ok(Some(CallDetail {
        legs: reader.call_legs(id.0)?,
        events: reader.call_events(id.0)?,
        call,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = encode_cursor(1_709_280_900, 42);
        assert_eq!(decode_cursor(&c), Some((1_709_280_900, 42)));
        for bad in ["", "zz", "abc", "3132", "nonsense!"] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
    }
}
