//! Snom desk phones (D1xx/D3xx/D7xx/D8xx): the caller pop-up for `action_incoming_url`, the directory
//! key's search and A–Z pages, and the tbook "Remote XML Directory".
//!
//! - `GET /snom/incoming?key=K&remote=$remote&local=$local&cid=$call-id&mac=$mac`: a known caller gets a
//!   `SnomIPPhoneText` with `state="relevant"` (so the phone still answers and rejects while it shows);
//!   an unknown caller, a withheld number or a bad number an empty 200, which the phone shows as nothing
//!   (see shared protocols: snom-phones.md §2.4, §3.2 option A). `$remote` may be a SIP URI, `anonymous`,
//!   or carry a `+` sent unencoded or turned into a space; the raw query is parsed by `Request::param`
//!   (a `+` stays a `+`) and the number normalizer reads a leading space as a lost `+` (§4.5 item 8).
//! - `GET /snom/directory`: without parameters a `SnomIPPhoneInput` search prompt whose URL carries the
//!   key. `q=TEXT` searches (letters: name words; digits: T9 keys such as 685537 for "Müller", and
//!   numbers); an empty `q` shows the A–Z groups; `group=ID` lists a group; `offset=N` pages. Results
//!   are a `SnomIPPhoneMenu` with one item per number dialling `snom://mb_nop#numberdial=NUMBER`, and
//!   F1/F4 softkeys for the previous and next page (§2.3, §2.5, §2.7, §2.8).
//! - `GET` and `POST /snom/tbook.xml[?limit=N]`: tbook `version="2.0"` with `complete="true"`, every
//!   contact with all its numbers. Phones fetch it with POST (§3.2 option B). `limit` caps the numbers
//!   sent, for old models with 100 or 250 directory slots (§2.8).
//! - `GET /snom/event?ev=...`: the action URLs that feed the call journal, in [`events`]. The pop-up
//!   URL is also the phone's incoming action URL, so `/snom/incoming` records the ringing too (when
//!   its key has the `journal` scope) and shows the caller's previous call.

pub mod events;

use std::ops::ControlFlow;

use jiff::tz::TimeZone;

use crate::auth::Scope;
use crate::contacts::{one_line, Contact, PhoneKind};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::journal::{self, Direction, Status};
use crate::lookup::{self, Outcome};
use crate::number::NumberModel;
use crate::phonebook::{self, Group, Page, SearchMode};
use crate::provision::url_encode;
use crate::store::call_reads::LastCallRow;
use crate::store::directory::Filter;
use crate::xml::{self, XmlWriter};

/// Entries per directory page: readable on a D3xx screen in a few scrolls and well under the 100 lines
/// speed selection handles (see shared protocols: snom-phones.md §2.6, §2.8).
pub const PAGE_SIZE: usize = 20;

/// The largest `offset` honoured.
const MAX_OFFSET: usize = 1 << 30;

/// The token the phone replaces with what was typed (see shared protocols: snom-phones.md §2.5).
const INPUT_TOKEN: &str = "__Q__";

/// The caller's previous call as the pop-up shows it, already worded for the office: when it was
/// ("Mon 14:02") and what happened ("answered by Anna"). The call journal provides it; the pop-up
/// leaves the line out when there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastCall {
    pub when: String,
    pub what: String,
}

pub fn incoming(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    let key = match ctx.authorize(req, Scope::Lookup) {
        Ok(k) => k,
        Err(e) => return Response::unauthorized(&e, false),
    };
    let remote = req.param("remote").unwrap_or_default();
    let outcome = lookup::lookup(&ctx.reader, ctx.model(), &remote);
    // Read before the ringing is recorded; calls still going on are never the "last call" anyway.
    let last_call = match &outcome {
        Ok(o) if !o.matches.is_empty() => last_call(ctx, o),
        _ => None,
    };
    let answer = match outcome {
        Ok(o) => match popup(&o, ctx.model(), last_call.as_ref()) {
            Some(doc) => Response::xml(doc),
            None => Response::text(200, ""),
        },
        Err(e) => {
            log::debug!("snom incoming call from {remote:?}: nothing to show: {e}");
            Response::text(200, "")
        }
    };
    if key.has_scope(Scope::Journal) {
        // The pop-up goes out once the ringing is committed, from a responder thread.
        events::record_incoming(ctx, req, answer)
    } else {
        log::debug!(
            "snom incoming call: the key has no journal scope, so the call is not journaled"
        );
        answer
    }
}

/// The caller's previous call for the pop-up; a read error only costs the line.
fn last_call(ctx: &Ctx, outcome: &Outcome) -> Option<LastCall> {
    let key = journal::remote_key(&outcome.normalized)?;
    match ctx.reader.last_ended_call(&key) {
        Ok(row) => {
            let tz = TimeZone::get(ctx.settings().get("office.timezone")).unwrap_or(TimeZone::UTC);
            row.map(|r| describe_last_call(&r, &tz, crate::store::now()))
        }
        Err(e) => {
            log::warn!("snom incoming call: the caller's last call can't be read: {e}");
            None
        }
    }
}

/// Words a previous call for the pop-up's line: when in the office's time zone (`today 14:02`,
/// `Mon 14:02` within the last week, else the date) and what happened, naming the employee (or the
/// extension) that took or made it.
pub fn describe_last_call(row: &LastCallRow, tz: &TimeZone, now: i64) -> LastCall {
    let zoned = |t: i64| {
        jiff::Timestamp::from_second(t)
            .ok()
            .map(|ts| ts.to_zoned(tz.clone()))
    };
    let when = match (zoned(row.started_at), zoned(now)) {
        (Some(at), Some(today)) => {
            let days = (today.date() - at.date()).get_days();
            if days == 0 {
                at.strftime("today %H:%M").to_string()
            } else if (1..7).contains(&days) {
                at.strftime("%a %H:%M").to_string()
            } else {
                at.strftime("%Y-%m-%d").to_string()
            }
        }
        _ => String::new(),
    };
    let who = row
        .employee
        .clone()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| row.extension.as_ref().map(|x| format!("ext. {x}")));
    let by = |verb: &str, fallback: &str| match &who {
        Some(w) => format!("{verb} {w}"),
        None => fallback.to_string(),
    };
    let what = match (row.direction, row.status) {
        (Direction::Out, Status::Answered) => by("called by", "outgoing, answered"),
        (Direction::Out, Status::Busy) => "outgoing, busy".to_string(),
        (Direction::Out, _) => by("not reached by", "outgoing, not answered"),
        (_, Status::Answered) => by("answered by", "answered"),
        (_, Status::Busy) => "busy".to_string(),
        (_, Status::Failed) => "failed".to_string(),
        _ => "missed".to_string(),
    };
    LastCall { when, what }
}

/// The pop-up for a looked-up caller, or `None` when nobody matched (the phone then gets an empty
/// body). Lines: the name (or, on a tie, the tied names), the company, the caller's number and the last
/// call. Built with `xml::escape` because `<Text>` is mixed content with `<br/>` line breaks, which the
/// element writer doesn't do (see shared protocols: snom-phones.md §2.4).
pub fn popup(outcome: &Outcome, model: &NumberModel, last: Option<&LastCall>) -> Option<String> {
    let first = outcome.matches.first()?;
    let mut lines: Vec<String> = Vec::new();
    if outcome.is_tie() {
        lines.extend(
            outcome
                .matches
                .iter()
                .take(3)
                .map(|m| m.contact.caller_name()),
        );
        lines.push("Several contacts have this number".into());
    } else {
        lines.push(first.contact.display_name());
        let company = first.contact.company.trim();
        if !company.is_empty() && company != first.contact.display_name() {
            lines.push(company.to_string());
        }
    }
    match outcome.normalized.e164() {
        Some(e) => lines.push(model.display(e)),
        None => lines.push(first.matched_number.clone()),
    }
    if let Some(l) = last {
        lines.push(format!("Last call: {}, {}", l.when, l.what));
    }
    let text: Vec<String> = lines.iter().map(|l| xml::escape(&one_line(l))).collect();
    Some(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SnomIPPhoneText state=\"relevant\">\n  <Title>Incoming call</Title>\n  <Text>{}</Text>\n</SnomIPPhoneText>\n",
        text.join("<br/>")
    ))
}

/// Builds the directory's own URLs: absolute (the minibrowser fetches what it is given), on this box's
/// address (`Ctx::base_url`: `http.public_url`, else the scheme and Host header the phone used), and
/// carrying the phone's `?key=` so that every next page is authorized too.
struct Links {
    base: String,
    key: Option<String>,
}

impl Links {
    fn new(ctx: &Ctx, req: &Request) -> Links {
        Links {
            base: ctx.base_url(req),
            key: req.param("key").filter(|k| !k.is_empty()),
        }
    }

    fn directory(&self, params: &[(&str, &str)]) -> String {
        let mut url = format!("{}/snom/directory", self.base);
        let mut sep = '?';
        if let Some(k) = &self.key {
            url.push_str(&format!("?key={}", url_encode(k)));
            sep = '&';
        }
        for (k, v) in params {
            url.push_str(&format!("{sep}{k}={}", url_encode(v)));
            sep = '&';
        }
        url
    }
}

pub fn directory(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Phonebook) {
        return Response::unauthorized(&e, false);
    }
    let links = Links::new(ctx, req);
    let offset = req
        .param("offset")
        .and_then(|o| o.trim().parse::<usize>().ok())
        .unwrap_or(0)
        // Far beyond any phone book, and safe from overflow when the next page's offset is added.
        .min(MAX_OFFSET);
    let q = req.param("q");
    let group = req.param("group").and_then(|g| Group::by_id(g.trim()));
    let result = match (q.as_deref().map(str::trim), group) {
        (Some(q), _) if !q.is_empty() => {
            let filter = phonebook::search_filter(ctx.model(), q, SearchMode::WithT9);
            phonebook::entries(&ctx.reader, &filter, offset, PAGE_SIZE).map(|page| {
                results(&page, &format!("Search: {q}"), &links, &[("q", q)])
                    .unwrap_or_else(|| nothing_found(q))
            })
        }
        (_, Some(g)) => {
            phonebook::entries(&ctx.reader, &g.filter(), offset, PAGE_SIZE).map(|page| {
                results(&page, g.label, &links, &[("group", g.id)])
                    .unwrap_or_else(|| nothing_found(g.label))
            })
        }
        (Some(_), None) => {
            phonebook::groups_in_use(&ctx.reader).map(|groups| group_menu(&groups, &links))
        }
        (None, None) => Ok(search_input(&links)),
    };
    match result {
        Ok(doc) => Response::xml(doc),
        Err(e) => Response::error(503, &format!("the phone book can't be read: {e}")),
    }
}

/// The search prompt. `InputFlags` `e` starts in number mode, so keypad digits arrive as T9 keys, and
/// still lets the user switch to letters with a long press on `*` (see shared protocols:
/// snom-phones.md §2.5; SNIO `examples/SnomIPPhoneInput.md`). No `Title`: the phone shows the
/// `DisplayName` there instead.
fn search_input(links: &Links) -> String {
    let mut w = XmlWriter::new();
    w.open("SnomIPPhoneInput", &[])
        .text("URL", &[], &links.directory(&[("q", INPUT_TOKEN)]))
        .open("InputItem", &[])
        .text("DisplayName", &[], "Name or number")
        .text("DefaultValue", &[], "")
        .text("InputToken", &[], INPUT_TOKEN)
        .text("InputFlags", &[], "e")
        .close();
    w.finish()
}

/// The A–Z groups that have contacts, one menu item each.
fn group_menu(groups: &[&Group], links: &Links) -> String {
    let mut w = XmlWriter::new();
    w.open("SnomIPPhoneMenu", &[])
        .text("Title", &[], "Directory");
    for g in groups {
        w.open("MenuItem", &[("name", g.label)])
            .text("URL", &[], &links.directory(&[("group", g.id)]))
            .close();
    }
    w.open("SoftKeyItem", &[])
        .text("Name", &[], "F2")
        .text("Label", &[], "Search")
        .text("URL", &[], &links.directory(&[]))
        .close();
    w.finish()
}

/// A page of entries, one dialling item per number, or `None` for an empty page.
fn results(page: &Page, title: &str, links: &Links, query: &[(&str, &str)]) -> Option<String> {
    if page.entries.is_empty() {
        return None;
    }
    let first = page.offset + 1;
    let last = page.offset + page.entries.len();
    let mut w = XmlWriter::new();
    w.open("SnomIPPhoneMenu", &[]).text(
        "Title",
        &[],
        &one_line(&format!("{title} ({first}-{last})")),
    );
    for e in &page.entries {
        let name = if e.one_of_several {
            format!("{} ({})", e.name, phonebook::kind_label(e.kind))
        } else {
            e.name.clone()
        };
        w.open("MenuItem", &[("name", &one_line(&name))])
            .text(
                "URL",
                &[],
                &format!("snom://mb_nop#numberdial={}", e.number),
            )
            .close();
    }
    let page_url = |offset: usize| {
        let offset = offset.to_string();
        let mut params = query.to_vec();
        params.push(("offset", &offset));
        links.directory(&params)
    };
    if page.offset > 0 {
        w.open("SoftKeyItem", &[])
            .text("Name", &[], "F1")
            .text("Label", &[], "Previous")
            .text("URL", &[], &page_url(page.offset.saturating_sub(PAGE_SIZE)))
            .close();
    }
    w.open("SoftKeyItem", &[])
        .text("Name", &[], "F2")
        .text("Label", &[], "Search")
        .text("URL", &[], &links.directory(&[]))
        .close();
    if page.has_more {
        w.open("SoftKeyItem", &[])
            .text("Name", &[], "F4")
            .text("Label", &[], "Next")
            .text("URL", &[], &page_url(page.offset + PAGE_SIZE))
            .close();
    }
    Some(w.finish())
}

fn nothing_found(what: &str) -> String {
    let mut w = XmlWriter::new();
    w.open("SnomIPPhoneText", &[])
        .text("Title", &[], "Directory")
        .text("Text", &[], &one_line(&format!("Nothing found for {what}")));
    w.finish()
}

/// The tbook `type` of a number. Snom's example uses `mobile` and `home`; `business` and `fax` are
/// what working generators send (see shared protocols: snom-phones.md §3.2).
fn tbook_type(kind: PhoneKind) -> &'static str {
    match kind {
        PhoneKind::Office => "business",
        PhoneKind::Mobile => "mobile",
        PhoneKind::Home => "home",
        PhoneKind::Fax => "fax",
        PhoneKind::Other => "other",
    }
}

pub fn tbook(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Phonebook) {
        return Response::unauthorized(&e, false);
    }
    let limit =
        match req.param("limit").map(|l| l.trim().parse::<usize>()) {
            None => None,
            Some(Ok(n)) => Some(n),
            Some(Err(_)) => return Response::error(
                400,
                "limit must be the number of directory entries the phone holds, e.g. 100 or 250",
            ),
        };
    let mut w = XmlWriter::new();
    w.open(
        "tbook",
        &[("e", "2"), ("version", "2.0"), ("complete", "true")],
    );
    let mut slots = 0;
    let listed = phonebook::for_each_contact(
        &ctx.reader,
        &Filter::default(),
        phonebook::MAX_LIST_CONTACTS,
        |c| {
            if limit.is_some_and(|l| slots + c.phones.len() > l) {
                return ControlFlow::Break(());
            }
            slots += c.phones.len();
            tbook_contact(&mut w, c);
            ControlFlow::Continue(())
        },
    );
    match listed {
        Ok(listed) => {
            let why = match limit {
                Some(l) => format!("the phone asked for at most {l} numbers"),
                None => format!("at most {} contacts", phonebook::MAX_LIST_CONTACTS),
            };
            phonebook::log_truncated("snom tbook", listed, &why);
            Response::xml(w.finish())
        }
        Err(e) => Response::error(503, &format!("the phone book can't be read: {e}")),
    }
}

/// One tbook v2 contact with all its numbers, named as in [`phonebook::first_and_last`].
fn tbook_contact(w: &mut XmlWriter, c: &Contact) {
    let (first, last) = phonebook::first_and_last(c);
    w.open(
        "contact",
        &[("fav", "false"), ("vip", "false"), ("blocked", "false")],
    )
    .text("first_name", &[], &first)
    .text("last_name", &[], &last)
    .open("numbers", &[]);
    for p in &c.phones {
        w.text(
            "number",
            &[
                ("no", &phonebook::dial_number(p)),
                ("type", tbook_type(p.kind)),
                ("outgoing_id", "0"),
            ],
            "",
        );
    }
    w.close().close();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_input_token_survives_url_encoding() {
        assert_eq!(url_encode(INPUT_TOKEN), INPUT_TOKEN);
    }

    #[test]
    fn last_calls_are_worded_for_the_office() {
        let tz = TimeZone::get("Europe/Berlin").unwrap();
        // Friday 2024-03-01 15:00 in Berlin.
        let now = 1_709_301_600;
        let row = |started_at, direction, status, employee: Option<&str>, ext: Option<&str>| {
            LastCallRow {
                started_at,
                direction,
                status,
                extension: ext.map(str::to_string),
                employee: employee.map(str::to_string),
            }
        };
        let cases = [
            (
                row(
                    now - 3600,
                    Direction::In,
                    Status::Answered,
                    Some("Anna"),
                    Some("10"),
                ),
                "today 14:00",
                "answered by Anna",
            ),
            (
                row(
                    now - 86_400,
                    Direction::In,
                    Status::Missed,
                    None,
                    Some("10"),
                ),
                "Thu 15:00",
                "missed",
            ),
            (
                row(
                    now - 3 * 86_400,
                    Direction::Out,
                    Status::Answered,
                    None,
                    Some("11"),
                ),
                "Tue 15:00",
                "called by ext. 11",
            ),
            (
                row(
                    now - 20 * 86_400,
                    Direction::Out,
                    Status::NotAnswered,
                    None,
                    None,
                ),
                "2024-02-10",
                "outgoing, not answered",
            ),
            (
                row(now - 60, Direction::In, Status::Busy, None, None),
                "today 14:59",
                "busy",
            ),
        ];
        for (r, when, what) in cases {
            let l = describe_last_call(&r, &tz, now);
            assert_eq!((l.when.as_str(), l.what.as_str()), (when, what), "{r:?}");
        }
    }
}
