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

use std::ops::ControlFlow;

use crate::auth::Scope;
use crate::contacts::{Contact, PhoneKind};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::lookup::{self, Outcome};
use crate::number::NumberModel;
use crate::phonebook::{self, Group, Page, SearchMode};
use crate::provision::{self, url_encode};
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
    if let Err(e) = ctx.authorize(req, Scope::Lookup) {
        return Response::unauthorized(&e, false);
    }
    let remote = req.param("remote").unwrap_or_default();
    let outcome = match lookup::lookup(&ctx.reader, ctx.model(), &remote) {
        Ok(o) => o,
        Err(e) => {
            log::debug!("snom incoming call from {remote:?}: nothing to show: {e}");
            return Response::text(200, "");
        }
    };
    // There is no call journal to ask yet, so there is no last call to show.
    let last_call: Option<LastCall> = None;
    match popup(&outcome, ctx.model(), last_call.as_ref()) {
        Some(doc) => Response::xml(doc),
        None => Response::text(200, ""),
    }
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
    let text: Vec<String> = lines.iter().map(|l| xml::escape(&single_line(l))).collect();
    Some(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SnomIPPhoneText state=\"relevant\">\n  <Title>Incoming call</Title>\n  <Text>{}</Text>\n</SnomIPPhoneText>\n",
        text.join("<br/>")
    ))
}

/// Titles and menu item names may not contain line breaks (see shared protocols: snom-phones.md §2.3).
fn single_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Builds the directory's own URLs: absolute (the minibrowser fetches what it is given), on this box's
/// address (`provision::base_url`: `http.public_url`, else the Host header the phone used), and
/// carrying the phone's `?key=` so that every next page is authorized too.
struct Links {
    base: String,
    key: Option<String>,
}

impl Links {
    fn new(ctx: &Ctx, req: &Request) -> Links {
        Links {
            base: provision::base_url(ctx.settings().get("http.public_url"), req.header("host")),
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
        &single_line(&format!("{title} ({first}-{last})")),
    );
    for e in &page.entries {
        let name = if e.one_of_several {
            format!("{} ({})", e.name, phonebook::kind_label(e.kind))
        } else {
            e.name.clone()
        };
        w.open("MenuItem", &[("name", &single_line(&name))])
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
        .text(
            "Text",
            &[],
            &single_line(&format!("Nothing found for {what}")),
        );
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

/// One tbook v2 contact with all its numbers. A contact without a personal name is listed under its
/// company as the last name, so the phone shows the company for its calls.
fn tbook_contact(w: &mut XmlWriter, c: &Contact) {
    let (first, last) = if c.first_name.trim().is_empty() && c.last_name.trim().is_empty() {
        ("", c.company.trim())
    } else {
        (c.first_name.trim(), c.last_name.trim())
    };
    w.open(
        "contact",
        &[("fav", "false"), ("vip", "false"), ("blocked", "false")],
    )
    .text("first_name", &[], first)
    .text("last_name", &[], last)
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
    fn lines_are_single() {
        assert_eq!(single_line(" a\nb\r\n  c "), "a b c");
    }
}
