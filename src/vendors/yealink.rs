//! Yealink phones: `GET /yealink/phonebook.xml?key=K&q=#SEARCH`, the remote phone book
//! (`remote_phonebook.data.N.url`) as a `YealinkIPPhoneDirectory` (see shared protocols:
//! snom-phones.md §6.1).
//!
//! The phone replaces `#SEARCH` in the URL with what the user typed. Whether it also downloads the whole
//! list to match incoming callers itself is not documented, so both work: an empty `q` (or `#SEARCH`
//! left unreplaced) returns every contact, a non-empty `q` the contacts whose name words start with it
//! or whose numbers contain its digits. One `DirectoryEntry` per contact, one `Telephone` per number
//! with its kind as `label`.
//!
//! `GET /yealink/event?ev=EVENT&mac=$mac&call_id=$call_id&local=$local&remote=$remote&active_user=$active_user&key=K`
//! takes the phone's action URLs (`action_url.incoming_call`, ...) into the journal, with the same leg
//! keys and answers as Snom's (see `snom::events`; shared protocols: snom-phones.md §6.2). Yealink names
//! `$local`/`$remote` by direction: for an outgoing call `$local` is the caller (us) and `$remote` the
//! callee, for an incoming one `$remote` is the caller; so `$remote` is the other party either way, and
//! the direction comes from the event, never from which variable holds which number.

use crate::auth::Scope;
use crate::contacts::Contact;
use crate::http::routes::Params;
use crate::http::{peer, Ctx, Request, Response};
use crate::journal::{Direction, EventKind};
use crate::phonebook::{self, SearchMode};
use crate::vendors::snom::events::{self, value, Action, Hit};
use crate::xml::XmlWriter;

/// The journal source name of Yealink action URLs.
pub const SOURCE: &str = "yealink";

/// Yealink's action-URL names (`action_url.NAME`, see shared protocols: snom-phones.md §6.2), and
/// short aliases. `None` for a name this doesn't know.
pub fn action(ev: &str) -> Option<Action> {
    use EventKind::*;
    let call = |kind, direction, cause| Action::Call {
        kind,
        direction,
        cause,
    };
    Some(match ev.trim().to_ascii_lowercase().as_str() {
        "incoming_call" | "incoming" => call(Ringing, Some(Direction::In), None),
        "outgoing_call" | "outgoing" => call(Dialing, Some(Direction::Out), None),
        "call_established" | "established" | "answer_new_incoming_call" => {
            call(Answered, None, None)
        }
        "call_terminated" | "terminated" => call(Hangup, None, None),
        "missed_call" | "missed" => call(Missed, None, None),
        "call_remote_canceled" => call(Hangup, None, Some("cancel")),
        "remote_busy" => call(Hangup, None, Some("busy")),
        "cancel_callout" => call(Hangup, None, Some("cancel")),
        "reject_incoming_call" => call(Hangup, None, Some("rejected")),
        "forward_incoming_call" => call(Hangup, None, Some("forwarded")),
        "transfer_call" | "blind_transfer_call" | "attended_transfer_call" => {
            call(Transfer, None, None)
        }
        "setup_completed"
        | "registered"
        | "unregistered"
        | "register_failed"
        | "off_hook"
        | "on_hook"
        | "transfer_finished"
        | "transfer_failed"
        | "hold"
        | "unhold"
        | "held"
        | "unheld"
        | "mute"
        | "unmute"
        | "idle_to_busy"
        | "busy_to_idle"
        | "ip_change"
        | "always_fwd_on"
        | "always_fwd_off"
        | "busy_fwd_on"
        | "busy_fwd_off"
        | "no_answer_fwd_on"
        | "no_answer_fwd_off"
        | "call_waiting_on"
        | "call_waiting_off"
        | "handfree"
        | "headset"
        | "setup_autop_finish"
        | "peripheral_information" => Action::Ignore,
        _ => return None,
    })
}

/// `GET /yealink/event`: one action URL; always an empty 200 for the phone once handled (see
/// `snom::events::record`).
pub fn event(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Journal) {
        return Response::unauthorized(&e, false);
    }
    let ev = req.param("ev").unwrap_or_default();
    let what = format!("yealink event '{ev}' from {}", peer(req));
    let Some(action) = action(&ev) else {
        log::warn!(
            "{what}: nothing recorded: the event is not one of Yealink's action URLs              (incoming_call, outgoing_call, call_established, call_terminated, missed_call, ...;              see 'ringbook provision yealink')"
        );
        return Response::text(200, "");
    };
    let hit = Hit {
        mac: value(req, "mac"),
        call_id: value(req, "call_id"),
        local: value(req, "local"),
        remote: value(req, "remote"),
        user: value(req, "active_user"),
        ongoing: None,
    };
    events::record(ctx, &what, events::events(ctx, req, SOURCE, action, &hit))
}

/// Writes one contact as a `DirectoryEntry`.
fn entry(w: &mut XmlWriter, c: &Contact) {
    w.open("DirectoryEntry", &[]).text(
        "Name",
        &[],
        &phonebook::list_name(&c.first_name, &c.last_name, &c.company),
    );
    for p in &c.phones {
        w.text(
            "Telephone",
            &[("label", phonebook::kind_label(p.kind))],
            &phonebook::dial_number(p),
        );
    }
    w.close();
}

pub fn phonebook(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Phonebook) {
        return Response::unauthorized(&e, false);
    }
    let q = req.param("q").unwrap_or_default();
    let filter = phonebook::search_filter(ctx.model(), &q, SearchMode::NameOrNumber);
    let mut w = XmlWriter::new();
    w.open("YealinkIPPhoneDirectory", &[]);
    let listed =
        phonebook::for_each_contact(&ctx.reader, &filter, phonebook::MAX_LIST_CONTACTS, |c| {
            entry(&mut w, c);
            std::ops::ControlFlow::Continue(())
        });
    match listed {
        Ok(listed) => {
            phonebook::log_truncated(
                "yealink phone book",
                listed,
                &format!("at most {} contacts", phonebook::MAX_LIST_CONTACTS),
            );
            Response::xml(w.finish())
        }
        Err(e) => Response::error(503, &format!("the phone book can't be read: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yealink_action_names() {
        let call = |kind, direction, cause| {
            Some(Action::Call {
                kind,
                direction,
                cause,
            })
        };
        use EventKind::*;
        let cases = [
            ("incoming_call", call(Ringing, Some(Direction::In), None)),
            ("outgoing_call", call(Dialing, Some(Direction::Out), None)),
            ("call_established", call(Answered, None, None)),
            ("call_terminated", call(Hangup, None, None)),
            ("missed_call", call(Missed, None, None)),
            ("call_remote_canceled", call(Hangup, None, Some("cancel"))),
            ("remote_busy", call(Hangup, None, Some("busy"))),
            ("reject_incoming_call", call(Hangup, None, Some("rejected"))),
            (
                "forward_incoming_call",
                call(Hangup, None, Some("forwarded")),
            ),
            ("Blind_Transfer_Call", call(Transfer, None, None)),
            ("hold", Some(Action::Ignore)),
            ("on_hook", Some(Action::Ignore)),
            ("ringing", None),
            ("", None),
        ];
        for (ev, want) in cases {
            assert_eq!(action(ev), want, "{ev}");
        }
    }
}
