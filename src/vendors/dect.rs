//! Snom DECT bases (M300, M700, M900): `GET /dect/directory.xml`, the central directory the base
//! downloads from "Server" + "Filename" and shows on every handset (see shared protocols:
//! snom-phones.md §3.3).
//!
//! The base is strict: root `IPPhoneDirectory` without attributes, and each `DirectoryEntry` holds
//! `Name`, `Telephone`, `Office` and `Mobile`, exactly those, in exactly that order, with an empty number
//! written as `<Office></Office>`. A contact gets one entry with up to three numbers; numbers that don't
//! fit (a second mobile, say) go into another entry under the same name, so none is lost.

use crate::auth::Scope;
use crate::contacts::{Contact, PhoneKind};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::phonebook;
use crate::store::directory::Filter;
use crate::xml::XmlWriter;

const TELEPHONE: usize = 0;
const OFFICE: usize = 1;
const MOBILE: usize = 2;

/// The number slots of the entries for one contact, each `[Telephone, Office, Mobile]`; empty strings
/// are empty slots. Office numbers prefer `Office`, mobiles `Mobile`, everything else `Telephone`; a
/// number whose slot is taken goes to `Telephone` (the untyped one), else to a new entry. Never to
/// the other typed slot: the handset shows a landline filed under `Mobile` with the mobile icon.
pub fn slots(c: &Contact) -> Vec<[String; 3]> {
    let mut entries: Vec<[String; 3]> = Vec::new();
    for p in &c.phones {
        let number = phonebook::dial_number(p);
        let preferred = match p.kind {
            PhoneKind::Office => OFFICE,
            PhoneKind::Mobile => MOBILE,
            PhoneKind::Home | PhoneKind::Fax | PhoneKind::Other => TELEPHONE,
        };
        let free = |slot: usize| entries.iter().position(|e| e[slot].is_empty());
        let place = free(preferred)
            .map(|i| (i, preferred))
            .or_else(|| free(TELEPHONE).map(|i| (i, TELEPHONE)));
        match place {
            Some((i, slot)) => entries[i][slot] = number,
            None => {
                let mut e: [String; 3] = Default::default();
                e[preferred] = number;
                entries.push(e);
            }
        }
    }
    entries
}

pub fn directory(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Phonebook) {
        return Response::unauthorized(&e, false);
    }
    let mut w = XmlWriter::new();
    w.open("IPPhoneDirectory", &[]);
    let listed = phonebook::for_each_contact(
        &ctx.reader,
        &Filter::default(),
        phonebook::MAX_LIST_CONTACTS,
        |c| {
            let name = phonebook::list_name(&c.first_name, &c.last_name, &c.company);
            for [telephone, office, mobile] in slots(c) {
                w.open("DirectoryEntry", &[])
                    .text("Name", &[], &name)
                    .text("Telephone", &[], &telephone)
                    .text("Office", &[], &office)
                    .text("Mobile", &[], &mobile)
                    .close();
            }
            std::ops::ControlFlow::Continue(())
        },
    );
    match listed {
        Ok(listed) => {
            phonebook::log_truncated(
                "snom dect directory",
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
    use crate::contacts::{ContactId, Phone};

    fn contact(numbers: &[(PhoneKind, &str)]) -> Contact {
        Contact {
            id: ContactId(1),
            first_name: "A".into(),
            last_name: "B".into(),
            company: String::new(),
            email: String::new(),
            notes: String::new(),
            responsible_id: None,
            source: "local".into(),
            upstream_id: None,
            created_at: 0,
            updated_at: 0,
            phones: numbers
                .iter()
                .map(|(kind, n)| Phone {
                    kind: *kind,
                    number: n.to_string(),
                    e164: None,
                })
                .collect(),
        }
    }

    #[test]
    fn numbers_fill_their_slots_and_overflow_into_new_entries() {
        use PhoneKind::*;
        let s = |v: [&str; 3]| v.map(str::to_string);
        type Case<'a> = (Vec<(PhoneKind, &'a str)>, Vec<[String; 3]>);
        let cases: Vec<Case> = vec![
            (vec![(Office, "1")], vec![s(["", "1", ""])]),
            (vec![(Mobile, "2"), (Home, "3")], vec![s(["3", "", "2"])]),
            (vec![(Office, "1"), (Office, "2")], vec![s(["2", "1", ""])]),
            (
                vec![(Mobile, "1"), (Mobile, "2"), (Mobile, "3"), (Mobile, "4")],
                vec![s(["2", "", "1"]), s(["4", "", "3"])],
            ),
            (
                vec![(Office, "1"), (Office, "2"), (Office, "3"), (Mobile, "4")],
                vec![s(["2", "1", "4"]), s(["", "3", ""])],
            ),
            (
                vec![(Fax, "9"), (Other, "8")],
                vec![s(["9", "", ""]), s(["8", "", ""])],
            ),
            (vec![], vec![]),
        ];
        for (numbers, want) in cases {
            assert_eq!(slots(&contact(&numbers)), want, "{numbers:?}");
        }
    }
}
