//! Yealink phones: `GET /yealink/phonebook.xml?key=K&q=#SEARCH`, the remote phone book
//! (`remote_phonebook.data.N.url`) as a `YealinkIPPhoneDirectory` (see shared protocols:
//! snom-phones.md §6.1).
//!
//! The phone replaces `#SEARCH` in the URL with what the user typed. Whether it also downloads the whole
//! list to match incoming callers itself is not documented, so both work: an empty `q` (or `#SEARCH`
//! left unreplaced) returns every contact, a non-empty `q` the contacts whose name words start with it
//! or whose numbers contain its digits. One `DirectoryEntry` per contact, one `Telephone` per number
//! with its kind as `label`.

use crate::auth::Scope;
use crate::contacts::Contact;
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::phonebook::{self, SearchMode};
use crate::xml::XmlWriter;

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
