//! Screen-pop actions (seed 002): what a CRM-style client, or ringbook's own browser pop-up, should
//! offer for a call, in the Bpium shape: `actions[]` with `type` (`openRecord` for a known contact,
//! `createRecord` for an unknown number), `title`, `recordId`, `number`, `triggerImmediately` and
//! `triggerOnAbonentClick`, plus `url`, ringbook's own page for the action.
//!
//! - The contact is the one matched when the call came in, or, if there was none, the one the same
//!   lookup rules find now (a contact created during the call is opened on the next ring).
//! - A tie (several contacts have the number equally) gives one `openRecord` per contact and opens
//!   none by itself: ringbook never guesses silently.
//! - A withheld number gets no action: there is nothing to open or to create a contact from.
//! - `triggerImmediately` follows the `screenpop.open_immediately` setting, and only for incoming
//!   calls: outbound calls are never notified (seed 003), so they never pop by themselves either.
//!
//! Reads the store only; renders nothing. Titles that need words come from the caller (the edge knows
//! the language).

use serde::Serialize;

use crate::contacts::{Contact, ContactId};
use crate::journal::view::CallDetail;
use crate::journal::Direction;
use crate::lookup;
use crate::number::NumberModel;
use crate::provision::url_encode;
use crate::settings::Settings;
use crate::store::{Reader, StoreError};

/// The two action types of the Bpium shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ActionType {
    OpenRecord,
    CreateRecord,
}

/// One action for a call.
#[derive(Clone, Debug, Serialize)]
pub struct Action {
    #[serde(rename = "type")]
    pub kind: ActionType,
    /// What a button for the action shows: the contact's name, or the "create contact" words.
    pub title: String,
    /// The contact's id for `openRecord`; null for `createRecord`.
    #[serde(rename = "recordId")]
    pub record_id: Option<i64>,
    /// The caller's number (E.164 where it parsed, else as received).
    pub number: String,
    /// Open the record by itself as soon as the call rings (the setting's rule).
    #[serde(rename = "triggerImmediately")]
    pub trigger_immediately: bool,
    /// Open it when the user clicks the caller in the pop-up.
    #[serde(rename = "triggerOnAbonentClick")]
    pub trigger_on_abonent_click: bool,
    /// ringbook's page for the action, relative to this box (`/contacts/7`, or the prefilled form).
    pub url: String,
}

/// The `screenpop.open_immediately` rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenRule {
    Off,
    /// Open the contact of a known caller; an unknown number only gets the button.
    Known,
    /// Also open the prefilled new-contact form for an unknown number.
    Always,
}

impl OpenRule {
    pub fn from_settings(s: &Settings) -> OpenRule {
        match s.get("screenpop.open_immediately") {
            "off" => OpenRule::Off,
            "always" => OpenRule::Always,
            _ => OpenRule::Known,
        }
    }
}

/// "Name (Company)", or just the one that is there.
fn title_of(c: &Contact) -> String {
    let name = c.display_name();
    let company = c.company.trim();
    if company.is_empty() || company == name {
        name
    } else {
        format!("{name} ({company})")
    }
}

/// The actions for a call. `create_title` is the words for the create button, in the reader's
/// language.
pub fn actions(
    reader: &Reader,
    model: &NumberModel,
    rule: OpenRule,
    d: &CallDetail,
    create_title: &str,
) -> Result<Vec<Action>, StoreError> {
    let c = &d.call;
    let number = c
        .remote
        .e164
        .clone()
        .unwrap_or_else(|| c.remote.raw.trim().to_string());
    let incoming = c.direction == Direction::In;
    let mut ids: Vec<ContactId> = match &c.contact {
        Some(k) => vec![ContactId(k.id)],
        None if !c.contact_tie.is_empty() => c.contact_tie.iter().map(|i| ContactId(*i)).collect(),
        None => match lookup::lookup(reader, model, &number) {
            Ok(o) => lookup::contact_ids(&o),
            // A number the normalizer refuses matches nobody; it may still become a contact.
            Err(lookup::LookupError::Number(_)) => Vec::new(),
            Err(lookup::LookupError::Store(e)) => return Err(e),
        },
    };
    ids.dedup();
    let mut out = Vec::new();
    let single = ids.len() == 1;
    for id in ids {
        // A contact deleted since the call is skipped, not an error.
        if let Some(k) = reader.contact(id)? {
            out.push(Action {
                kind: ActionType::OpenRecord,
                title: title_of(&k),
                record_id: Some(id.0),
                number: number.clone(),
                trigger_immediately: incoming && single && rule != OpenRule::Off,
                trigger_on_abonent_click: true,
                url: format!("/contacts/{}", id.0),
            });
        }
    }
    let withheld = matches!(
        model.normalize(&number),
        Ok(crate::number::Normalized::Anonymous) | Err(_)
    );
    if out.is_empty() && !withheld {
        // The responsible employee defaults to whoever answered, as on the call page.
        let responsible = d
            .legs
            .iter()
            .find(|l| l.answered_at.is_some())
            .and_then(|l| l.employee.as_ref())
            .or(c.employee.as_ref())
            .map(|e| format!("&responsible={}", e.id))
            .unwrap_or_default();
        out.push(Action {
            kind: ActionType::CreateRecord,
            title: create_title.to_string(),
            record_id: None,
            number: number.clone(),
            trigger_immediately: incoming && rule == OpenRule::Always,
            trigger_on_abonent_click: true,
            url: format!(
                "/contacts/new?number={}&from_call={}{responsible}",
                url_encode(&number),
                c.id.0
            ),
        });
    }
    Ok(out)
}
