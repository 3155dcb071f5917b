//! Desk-phone action URLs into the journal: Snom's `GET /snom/event` (and the ringing event of
//! `/snom/incoming`), and the parts Yealink's action URLs share with it.
//!
//! A phone sends one plain GET per event, with `$name` variables filled in and no timestamps (see
//! shared protocols: snom-phones.md §4.1–§4.3). What this module relies on (§4.5):
//! - the leg key is `(phone, Call-ID before '@')`; the phone is its MAC (`$mac`), or its address when
//!   the MAC is missing;
//! - `incoming` starts an inbound leg and `outgoing` an outbound one; `connected`, `disconnected` and
//!   `missed` continue the leg with the same Call-ID; times are the server's;
//! - `$remote` is the other party in both directions. If it turns out to be the phone's own identity
//!   (`$active_user`), the firmware named the parties caller/callee instead, and `$local` is the other
//!   party (the Yealink "swap", §6.2, and Snom's own ambiguous wording, §4.3);
//! - our side is `$local` (the identity that was called or used), else `$active_user`; when `$local`
//!   is one of our public numbers (a PBX that keeps the dialled number), it is the line and
//!   `$active_user` the extension;
//! - every event is the phone's own leg (`per_phone`), so a withheld caller ringing several phones on
//!   one line is merged into one call by the journal;
//! - `onhook` with `$nr_ongoing_calls` = 0 ends whatever the phone still has open (a lost disconnect,
//!   pitfall 2); a rejected call sends nothing at all (pitfall 1) and is left to the journal's janitor;
//! - queries are parsed raw (`Request::param`), so a `+` stays a `+`, and a `+` turned into a space is
//!   read by the number normalizer.
//!
//! Phones get their protocol's answer: an empty 200 for every event, also for events that mean
//! nothing to the journal and for bad input (logged), an empty 401/403 for a wrong key, and an empty
//! 503 only when the event could not be committed (a 2xx means committed).

use std::net::IpAddr;

use crate::auth::Scope;
use crate::employees::{self, Local};
use crate::http::routes::Params;
use crate::http::{peer, Ctx, Request, Response};
use crate::journal::{CallEvent, Direction, EventKind, JournalError};
use crate::number::NumberModel;

/// The journal source name of Snom action URLs.
pub const SOURCE: &str = "snom";

/// The most open legs one on-hook event closes.
const MAX_ONHOOK: usize = 16;

/// What one action URL means for the journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// An event of one call leg.
    Call {
        kind: EventKind,
        direction: Option<Direction>,
        /// The cause to record with an end (`rejected`, `busy`, ...).
        cause: Option<&'static str>,
    },
    /// The handset went on hook; with no calls left on the phone, its open legs have ended.
    OnHook,
    /// An event that says nothing about a call (off-hook, hold, DND, ...).
    Ignore,
}

const fn call(kind: EventKind, direction: Option<Direction>) -> Action {
    Action::Call {
        kind,
        direction,
        cause: None,
    }
}

/// Snom's event names as the provisioned URLs send them in `ev` (see shared protocols:
/// snom-phones.md §4.2, §4.4). `None` for a name this doesn't know.
pub fn snom_action(ev: &str) -> Option<Action> {
    use EventKind::*;
    Some(match ev.trim().to_ascii_lowercase().as_str() {
        "incoming" => call(Ringing, Some(Direction::In)),
        "outgoing" => call(Dialing, Some(Direction::Out)),
        "connected" => call(Answered, None),
        "disconnected" => call(Hangup, None),
        "missed" => call(Missed, None),
        "transfer" | "blind_transfer" | "attended_transfer" => call(Transfer, None),
        "onhook" | "on_hook" => Action::OnHook,
        "offhook"
        | "off_hook"
        | "hold"
        | "unhold"
        | "dnd_on"
        | "dnd_off"
        | "setup"
        | "log_on"
        | "log_off"
        | "redirection_on"
        | "redirection_off"
        | "received_attended_transfer" => Action::Ignore,
        _ => return None,
    })
}

/// One action-URL request, with the vendor's parameter names already mapped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hit {
    pub mac: Option<String>,
    pub call_id: Option<String>,
    pub local: Option<String>,
    pub remote: Option<String>,
    /// `$active_user`: the user part of the phone's active identity.
    pub user: Option<String>,
    /// `$nr_ongoing_calls`.
    pub ongoing: Option<u32>,
}

/// A query value, or `None` when it is empty or a `$variable` the phone left unreplaced (a URL tried
/// in a browser, or a variable this firmware lacks).
pub fn value(req: &Request, name: &str) -> Option<String> {
    req.param(name)
        .filter(|v| !v.trim().is_empty() && !v.trim_start().starts_with('$'))
}

impl Hit {
    /// Snom's parameters as ringbook provisions them: `mac`, `cid`, `local`, `remote`, `id`, `n`.
    pub fn snom(req: &Request) -> Hit {
        Hit {
            mac: value(req, "mac"),
            call_id: value(req, "cid"),
            local: value(req, "local"),
            remote: value(req, "remote"),
            user: value(req, "id"),
            ongoing: value(req, "n").and_then(|n| n.trim().parse().ok()),
        }
    }
}

/// The phone's part of a leg key: its MAC as 12 lower-case hex digits, or `ip-ADDRESS` when the MAC
/// is missing or malformed.
pub fn phone_id(mac: Option<&str>, peer: IpAddr) -> String {
    let hex: String = mac
        .unwrap_or("")
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    if hex.len() == 12 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex
    } else {
        format!("ip-{peer}")
    }
}

/// The leg key `PHONE/CALL-ID` with the Call-ID cut at `@` (see shared protocols: snom-phones.md
/// §4.5, pitfall 10).
pub fn leg_key(phone: &str, call_id: &str) -> Option<String> {
    let id = call_id.split('@').next().unwrap_or("").trim();
    (!id.is_empty()).then(|| format!("{phone}/{id}"))
}

/// The other party and our side of a call, from `$local`, `$remote` and `$active_user` (see the module
/// docs for the swap).
pub fn parties(model: &NumberModel, hit: &Hit) -> (Option<String>, Option<String>) {
    let ext = |v: &Option<String>| match v.as_deref().map(|s| employees::local_of(model, s)) {
        Some(Local::Extension(x)) => Some(x),
        _ => None,
    };
    let (user, local, remote) = (ext(&hit.user), ext(&hit.local), ext(&hit.remote));
    let swapped = user.is_some() && remote == user && local != user;
    if swapped {
        (hit.local.clone(), hit.user.clone())
    } else {
        (hit.remote.clone(), hit.local.clone().or(hit.user.clone()))
    }
}

/// Our side as (extension, line). When the call names one of our public numbers as the local party
/// (a PBX that keeps the dialled number in the `To` of every phone it rings), that number is the line
/// and the phone's own identity (`$active_user`) the extension; otherwise our side is the extension.
/// The line is what tells a withheld caller's ring group legs from another withheld caller's.
pub fn our_side(
    model: &NumberModel,
    ours: Option<String>,
    hit: &Hit,
) -> (Option<String>, Option<String>) {
    match ours.as_deref().map(|o| employees::local_of(model, o)) {
        Some(Local::Line(_)) => (hit.user.clone(), ours),
        _ => (ours, None),
    }
}

/// The query as kept in the raw event: everything but the API key.
pub fn payload(req: &Request) -> String {
    let kept: Vec<&str> = req
        .query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("key="))
        .collect();
    format!("GET {}?{}", req.path, kept.join("&"))
}

/// The journal events of one action URL, or why there are none (logged by the caller). On hook, the
/// phone's legs still open are read from the journal.
pub fn events(
    ctx: &Ctx,
    req: &Request,
    source: &str,
    action: Action,
    hit: &Hit,
) -> Result<Vec<CallEvent>, String> {
    let phone = phone_id(hit.mac.as_deref(), peer(req));
    match action {
        Action::Ignore => Ok(Vec::new()),
        Action::OnHook => {
            if hit.ongoing != Some(0) {
                return Ok(Vec::new());
            }
            let open = ctx
                .reader
                .open_legs_with_prefix(source, &format!("{phone}/"), MAX_ONHOOK)
                .map_err(|e| format!("the journal can't be read: {e}"))?;
            Ok(open
                .into_iter()
                .map(|key| CallEvent {
                    cause: Some("onhook".into()),
                    payload: payload(req),
                    per_phone: true,
                    ..CallEvent::new(source, &key, EventKind::Hangup)
                })
                .collect())
        }
        Action::Call {
            kind,
            direction,
            cause,
        } => {
            let call_id = hit.call_id.as_deref().ok_or(
                "there is no call id; the action URL needs the call's id ($call-id on Snom, $call_id on Yealink)",
            )?;
            let key = leg_key(&phone, call_id)
                .ok_or_else(|| format!("the call id '{call_id}' is empty before its '@'"))?;
            let (remote, ours) = parties(ctx.model(), hit);
            let (extension, line) = our_side(ctx.model(), ours, hit);
            Ok(vec![CallEvent {
                direction,
                remote,
                extension,
                line,
                cause: cause.map(str::to_string),
                payload: payload(req),
                per_phone: true,
                ..CallEvent::new(source, &key, kind)
            }])
        }
    }
}

/// Records the events of an action URL and answers as a phone expects: an empty 200 once committed
/// (or when there was nothing to record), an empty 503 when the journal could not commit.
pub fn record(ctx: &Ctx, what: &str, events: Result<Vec<CallEvent>, String>) -> Response {
    record_then(ctx, what, events, |stored| {
        Response::text(if stored { 200 } else { 503 }, "")
    })
}

/// Records the events and answers with `answer(stored)` after their commit, without holding the
/// worker meanwhile (see `vendors::answer_after_commit`). `stored` is false only when the journal
/// could not commit; bad input is logged and answered like success, because a phone shows or retries
/// nothing useful on an error.
pub fn record_then(
    ctx: &Ctx,
    what: &str,
    events: Result<Vec<CallEvent>, String>,
    answer: impl FnOnce(bool) -> Response + Send + 'static,
) -> Response {
    let events = match events {
        Ok(e) if e.is_empty() => return answer(true),
        Ok(e) => e,
        Err(why) => {
            log::warn!("{what}: nothing recorded: {why}");
            return answer(true);
        }
    };
    let what = what.to_string();
    crate::vendors::answer_after_commit(ctx, events, move |r| match r {
        Ok(_) => answer(true),
        Err(e @ JournalError::Store(_)) => {
            log::warn!("{what}: the event could not be stored: {e}");
            answer(false)
        }
        Err(e) => {
            log::warn!("{what}: nothing recorded: {e}");
            answer(true)
        }
    })
}

/// `GET /snom/event?ev=EVENT&mac=$mac&cid=$call-id&local=$local&remote=$remote&id=$active_user&n=$nr_ongoing_calls&key=K`.
pub fn event(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Journal) {
        return Response::unauthorized(&e, false);
    }
    let ev = req.param("ev").unwrap_or_default();
    let what = format!("snom event '{ev}' from {}", peer(req));
    let Some(action) = snom_action(&ev) else {
        log::warn!(
            "{what}: nothing recorded: the event is not one of incoming, outgoing, connected, \
             disconnected, missed, onhook (check the action URLs, see 'ringbook provision snom')"
        );
        return Response::text(200, "");
    };
    let hit = Hit::snom(req);
    record(ctx, &what, events(ctx, req, SOURCE, action, &hit))
}

/// Records the ringing of `/snom/incoming` (the pop-up URL is also the phone's incoming action URL,
/// see shared protocols: snom-phones.md §4.4) and answers `popup` once it is committed. Failures are
/// logged; the pop-up is answered anyway.
pub fn record_incoming(ctx: &Ctx, req: &Request, popup: Response) -> Response {
    let hit = Hit::snom(req);
    let what = format!("snom incoming call from {}", peer(req));
    let action = call(EventKind::Ringing, Some(Direction::In));
    let events = events(ctx, req, SOURCE, action, &hit);
    record_then(ctx, &what.clone(), events, move |stored| {
        if !stored {
            log::warn!("{what}: the ringing was not journaled");
        }
        popup
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snom_event_names() {
        assert_eq!(
            snom_action("incoming"),
            Some(call(EventKind::Ringing, Some(Direction::In)))
        );
        assert_eq!(
            snom_action("Outgoing"),
            Some(call(EventKind::Dialing, Some(Direction::Out)))
        );
        assert_eq!(
            snom_action("connected"),
            Some(call(EventKind::Answered, None))
        );
        assert_eq!(
            snom_action("disconnected"),
            Some(call(EventKind::Hangup, None))
        );
        assert_eq!(snom_action("missed"), Some(call(EventKind::Missed, None)));
        assert_eq!(snom_action("onhook"), Some(Action::OnHook));
        assert_eq!(snom_action("offhook"), Some(Action::Ignore));
        assert_eq!(snom_action("ringing"), None);
        assert_eq!(snom_action(""), None);
    }

    #[test]
    fn phone_ids_and_keys() {
        let ip: IpAddr = "192.168.1.23".parse().unwrap();
        assert_eq!(phone_id(Some("000413AABBCC"), ip), "000413aabbcc");
        assert_eq!(phone_id(Some("00:04:13:aa:bb:cc"), ip), "000413aabbcc");
        assert_eq!(phone_id(Some("nonsense"), ip), "ip-192.168.1.23");
        assert_eq!(phone_id(None, ip), "ip-192.168.1.23");
        assert_eq!(
            leg_key("000413aabbcc", "3c3b966053be-phxdiv27t9gm@10.0.0.1").as_deref(),
            Some("000413aabbcc/3c3b966053be-phxdiv27t9gm")
        );
        assert_eq!(
            leg_key("p", "7027a58643aeb25149e4861076f1b0a9").as_deref(),
            Some("p/7027a58643aeb25149e4861076f1b0a9")
        );
        assert_eq!(leg_key("p", "@host"), None);
        assert_eq!(leg_key("p", " "), None);
    }

    #[test]
    fn the_other_party_survives_a_caller_callee_swap() {
        let model = NumberModel::default();
        let hit = |local: &str, remote: &str, user: &str| Hit {
            local: Some(local.into()),
            remote: Some(remote.into()),
            user: Some(user.into()),
            ..Hit::default()
        };
        // The usual case: $remote is the other party.
        let (remote, ours) = parties(&model, &hit("sip:11@pbx", "sip:+49301234567@pbx", "11"));
        assert_eq!(remote.as_deref(), Some("sip:+49301234567@pbx"));
        assert_eq!(ours.as_deref(), Some("sip:11@pbx"));
        // A firmware naming caller and callee: on an outgoing call $remote is us.
        let (remote, ours) = parties(&model, &hit("sip:0301234567@pbx", "sip:11@pbx", "11"));
        assert_eq!(remote.as_deref(), Some("sip:0301234567@pbx"));
        assert_eq!(ours.as_deref(), Some("11"));
        // An internal call stays as it is.
        let (remote, ours) = parties(&model, &hit("sip:11@pbx", "sip:12@pbx", "11"));
        assert_eq!(remote.as_deref(), Some("sip:12@pbx"));
        assert_eq!(ours.as_deref(), Some("sip:11@pbx"));
        // No $local: our side is the active user.
        let h = Hit {
            remote: Some("+49301234567".into()),
            user: Some("11".into()),
            ..Hit::default()
        };
        assert_eq!(parties(&model, &h).1.as_deref(), Some("11"));
    }
}
