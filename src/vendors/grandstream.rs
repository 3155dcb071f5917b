//! Grandstream phones (GXP, GRP, GXV): the downloadable XML phone book, which the phone also uses to
//! show the names of incoming and outgoing calls (see shared protocols: snom-phones.md §7).
//!
//! The phone builds the URL itself: P330 picks HTTP or HTTPS, P331 is the server path without scheme and
//! without file name, and the phone appends `/phonebook.xml`. It can't always add a query string, so a
//! phone is authorized either by an IP-allowlist key (`ringbook apikey create --scopes phonebook
//! --allow 192.168.1.0/24 --no-secret`, path `BOX/grandstream`) or by the key as a path segment
//! (path `BOX/grandstream/KEY`, so the phone fetches `/grandstream/KEY/phonebook.xml`). A `?key=` or an
//! `X-Api-Key` header work too.
//!
//! Grandstream phones hold at most 1,000 contacts (see shared protocols: snom-phones.md §7, C2FB PR #5),
//! so the file carries the first [`MAX_CONTACTS`] contacts in name order and the log says when it had to
//! leave some out.

use crate::auth::{AuthError, Scope};
use crate::contacts::{Contact, PhoneKind};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::phonebook;
use crate::store::directory::Filter;
use crate::xml::XmlWriter;

/// The phones' hard limit of phone-book entries.
pub const MAX_CONTACTS: usize = 1_000;

/// The account a contact's numbers are dialled from: `0` is account 1 ("from 0 to 5 for account 1 to
/// account 6" in the GXP16xx/17xx/21xx phone-book guide, table 4; see shared protocols:
/// snom-phones.md §7). Account 1 is the one every phone has.
const ACCOUNT_INDEX: &str = "0";

/// The `Phone@type` of a number: one of Work, Home, Mobile, Fax, Other.
fn phone_type(kind: PhoneKind) -> &'static str {
    match kind {
        PhoneKind::Office => "Work",
        PhoneKind::Mobile => "Mobile",
        PhoneKind::Home => "Home",
        PhoneKind::Fax => "Fax",
        PhoneKind::Other => "Other",
    }
}

/// Writes one `Contact`. The phone needs a first or a last name; a contact without a personal name
/// gets its company as the last name ([`phonebook::first_and_last`]).
fn contact(w: &mut XmlWriter, c: &Contact) {
    let (first, last) = phonebook::first_and_last(c);
    w.open("Contact", &[]);
    if !first.is_empty() {
        w.text("FirstName", &[], &first);
    }
    if !last.is_empty() {
        w.text("LastName", &[], &last);
    }
    for p in &c.phones {
        w.open("Phone", &[("type", phone_type(p.kind))])
            .text("phonenumber", &[], &phonebook::dial_number(p))
            .text("accountindex", &[], ACCOUNT_INDEX)
            .close();
    }
    w.close();
}

/// `GET /grandstream/phonebook.xml` and `GET /grandstream/{key}/phonebook.xml`.
pub fn phonebook(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    let authorized = match p.get("key") {
        Some(key) => {
            // The key came as a path segment; present it the way `authorize` reads keys. Anything but
            // the characters of a key is refused rather than put into a query string.
            if key.is_empty()
                || !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Response::unauthorized(&AuthError::Invalid, false);
            }
            let mut with_key = req.clone();
            with_key.query = format!("key={key}");
            ctx.authorize(&with_key, Scope::Phonebook)
        }
        None => ctx.authorize(req, Scope::Phonebook),
    };
    if let Err(e) = authorized {
        return Response::unauthorized(&e, false);
    }
    let mut w = XmlWriter::new();
    w.open("AddressBook", &[]);
    let listed = phonebook::for_each_contact(&ctx.reader, &Filter::default(), MAX_CONTACTS, |c| {
        contact(&mut w, c);
        std::ops::ControlFlow::Continue(())
    });
    match listed {
        Ok(listed) => {
            phonebook::log_truncated(
                "grandstream phone book",
                listed,
                &format!("Grandstream phones hold at most {MAX_CONTACTS} contacts"),
            );
            Response::xml(w.finish())
        }
        Err(e) => Response::error(503, &format!("the phone book can't be read: {e}")),
    }
}
