//! Contacts and their typed numbers: validation and the operations on them.
//!
//! Every number is normalized here, on the way in, with the office's [`NumberModel`], so the store holds
//! the raw form for display beside the E.164 form and digit keys that lookups match on. This module
//! decides what a valid contact is; the SQL is in `store::contacts`.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

use crate::number::{self, NumberModel, E164};
use crate::store::{self, Store, StoreError};

/// A contact's row id. A newtype so that it can't be mixed up with a phone's or a call's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ContactId(pub i64);

impl fmt::Display for ContactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What kind of number a contact's phone is. The five kinds every phone book format can express.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PhoneKind {
    Office,
    Mobile,
    Home,
    Fax,
    Other,
}

impl PhoneKind {
    pub const ALL: [PhoneKind; 5] = [
        PhoneKind::Office,
        PhoneKind::Mobile,
        PhoneKind::Home,
        PhoneKind::Fax,
        PhoneKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PhoneKind::Office => "office",
            PhoneKind::Mobile => "mobile",
            PhoneKind::Home => "home",
            PhoneKind::Fax => "fax",
            PhoneKind::Other => "other",
        }
    }

    /// Reads a kind, accepting the words that CSV exports and vCard TYPE parameters use in our markets
    /// (work, business, cell, Handy, privat, celular, ...).
    pub fn parse(s: &str) -> Option<PhoneKind> {
        let s = s.trim().to_lowercase();
        Some(match s.as_str() {
            "office" | "work" | "business" | "main" | "company" | "büro" | "buero"
            | "geschäftlich" | "geschaeftlich" | "dienstlich" | "arbeit" | "ufficio" | "lavoro"
            | "trabalho" | "comercial" | "рабочий" | "работа" | "voice" | "pref" => {
                PhoneKind::Office
            }
            "mobile" | "cell" | "cellular" | "handy" | "mobil" | "mobiltelefon" | "cellulare"
            | "celular" | "мобильный" | "сотовый" | "iphone" => PhoneKind::Mobile,
            "home" | "private" | "privat" | "casa" | "residencial" | "домашний" => {
                PhoneKind::Home
            }
            "fax" | "telefax" | "факс" => PhoneKind::Fax,
            "other" | "sonstige" | "andere" | "altro" | "outro" | "другой" => {
                PhoneKind::Other
            }
            _ => return None,
        })
    }
}

/// A number as given by a person or an import, before validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPhone {
    pub kind: PhoneKind,
    pub raw: String,
}

/// A contact as given by a person or an import, before validation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewContact {
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub email: String,
    pub notes: String,
    pub responsible_id: Option<i64>,
    pub source: String,
    pub upstream_id: Option<String>,
    pub phones: Vec<NewPhone>,
}

/// A phone number ready to store: the raw form, the E.164 form if it parsed, and its digit keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedPhone {
    pub kind: PhoneKind,
    pub raw: String,
    pub e164: Option<E164>,
    pub digits: String,
    pub rdigits: String,
}

/// A validated contact, ready for the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prepared {
    pub contact: NewContact,
    pub phones: Vec<PreparedPhone>,
}

/// A stored contact with its numbers in their saved order.
#[derive(Clone, Debug, Serialize)]
pub struct Contact {
    pub id: ContactId,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub email: String,
    pub notes: String,
    pub responsible_id: Option<i64>,
    pub source: String,
    pub upstream_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub phones: Vec<Phone>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Phone {
    #[serde(rename = "type")]
    pub kind: PhoneKind,
    pub number: String,
    pub e164: Option<String>,
}

impl Contact {
    /// "First Last", or the company when the contact has no personal name. One line (see [`one_line`]).
    pub fn display_name(&self) -> String {
        let person = one_line(&format!("{} {}", self.first_name, self.last_name)).into_owned();
        if person.is_empty() {
            one_line(&self.company).into_owned()
        } else {
            person
        }
    }

    /// "First Last (Company)", "First Last" or "Company": what a PBX shows as the caller's name.
    pub fn caller_name(&self) -> String {
        let person = one_line(&format!("{} {}", self.first_name, self.last_name)).into_owned();
        let company = one_line(&self.company);
        match (person.is_empty(), company.is_empty()) {
            (false, false) => format!("{person} ({company})"),
            (false, true) => person,
            (true, _) => company.into_owned(),
        }
    }
}

/// Why a contact can't be saved. Each message names the field and the value.
#[derive(Debug, PartialEq, Eq)]
pub enum ContactError {
    NoName,
    TooLong(&'static str),
    BadEmail(String),
    BadNumber { raw: String, why: String },
}

impl fmt::Display for ContactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContactError::NoName => {
                write!(f, "a contact needs a first name, a last name or a company")
            }
            ContactError::TooLong(field) => {
                write!(f, "the {field} is too long (at most 200 characters)")
            }
            ContactError::BadEmail(e) => write!(f, "'{e}' is not an email address"),
            ContactError::BadNumber { raw, why } => {
                write!(f, "the number '{raw}' can't be saved: {why}")
            }
        }
    }
}

impl std::error::Error for ContactError {}

/// Text as one line: each run of white space (a line break or a tab in an imported name) becomes one
/// space, other control characters are dropped, and nothing is left at either end. Phones show names
/// on one line and some store them (see shared protocols: snom-phones.md §2.1, §2.3), and a PBX puts
/// the caller's name into a SIP header; a name keeps its line breaks nowhere.
pub fn one_line(s: &str) -> Cow<'_, str> {
    let plain = |c: char| c == ' ' || !(c.is_whitespace() || c.is_control());
    if s.chars().all(plain) && !s.starts_with(' ') && !s.ends_with(' ') && !s.contains("  ") {
        return Cow::Borrowed(s);
    }
    let kept: String = s
        .chars()
        .filter(|c| c.is_whitespace() || !c.is_control())
        .collect();
    Cow::Owned(kept.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn clean(s: &str) -> String {
    one_line(s).into_owned()
}

/// Checks a contact and normalizes its numbers. Doesn't touch the database.
pub fn prepare(model: &NumberModel, mut c: NewContact) -> Result<Prepared, ContactError> {
    c.first_name = clean(&c.first_name);
    c.last_name = clean(&c.last_name);
    c.company = clean(&c.company);
    c.email = c.email.trim().to_string();
    c.notes = c.notes.trim().to_string();
    if c.source.is_empty() {
        c.source = "local".into();
    }
    if c.first_name.is_empty() && c.last_name.is_empty() && c.company.is_empty() {
        return Err(ContactError::NoName);
    }
    for (field, v) in [
        ("first name", &c.first_name),
        ("last name", &c.last_name),
        ("company", &c.company),
        ("email", &c.email),
    ] {
        if v.chars().count() > 200 {
            return Err(ContactError::TooLong(field));
        }
    }
    if !c.email.is_empty() && !valid_email(&c.email) {
        return Err(ContactError::BadEmail(c.email));
    }
    let mut phones = Vec::with_capacity(c.phones.len());
    for p in &c.phones {
        if p.raw.trim().is_empty() {
            continue;
        }
        phones.push(prepare_phone(model, p)?);
    }
    Ok(Prepared { contact: c, phones })
}

fn prepare_phone(model: &NumberModel, p: &NewPhone) -> Result<PreparedPhone, ContactError> {
    let raw = p.raw.trim().to_string();
    let n = model.normalize(&raw).map_err(|e| ContactError::BadNumber {
        raw: raw.clone(),
        why: e.to_string(),
    })?;
    let digits = match n.digits_key() {
        Some(d) => d.to_string(),
        None => {
            return Err(ContactError::BadNumber {
                raw,
                why: "a withheld number can't be saved".into(),
            })
        }
    };
    Ok(PreparedPhone {
        kind: p.kind,
        raw,
        e164: n.e164().cloned(),
        rdigits: number::reversed(&digits),
        digits,
    })
}

fn valid_email(e: &str) -> bool {
    match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !e.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// Errors of contact operations: either the input was wrong or the store failed.
#[derive(Debug)]
pub enum Error {
    Invalid(ContactError),
    Store(StoreError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid(e) => e.fmt(f),
            Error::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

impl From<ContactError> for Error {
    fn from(e: ContactError) -> Self {
        Error::Invalid(e)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(e)
    }
}

pub fn create(store: &Store, model: &NumberModel, c: NewContact) -> Result<ContactId, Error> {
    let p = prepare(model, c)?;
    Ok(store.write(move |tx| store::contacts::insert_linked(tx, &p))?)
}

pub fn update(
    store: &Store,
    model: &NumberModel,
    id: ContactId,
    c: NewContact,
) -> Result<(), Error> {
    let p = prepare(model, c)?;
    Ok(store.write(move |tx| store::contacts::update(tx, id, &p))?)
}

pub fn delete(store: &Store, id: ContactId) -> Result<(), Error> {
    Ok(store.write(move |tx| store::contacts::delete(tx, id))?)
}

/// Stores many prepared contacts in one transaction: all of them or none. It runs alone
/// ([`Store::write_alone`]): an import or a batch of demo contacts writes index pages all over a large
/// database, and a savepoint would hold each page's old content in memory.
pub fn insert_all(store: &Store, contacts: Vec<Prepared>) -> Result<usize, Error> {
    Ok(store.write_alone(move |tx| {
        let mut ids = None;
        for p in &contacts {
            let id = store::contacts::insert(tx, p)?.0;
            ids = Some(ids.map_or((id, id), |(lo, hi): (i64, i64)| (lo.min(id), hi.max(id))));
        }
        if let Some((lo, hi)) = ids {
            store::contacts::link_past_calls(tx, lo..=hi)?;
        }
        Ok(contacts.len())
    })?)
}

/// Re-normalizes every stored number with the current number model, for when the office changes its
/// country, area code or prefixes; returns how many numbers changed. Runs as one transaction, alone
/// ([`Store::write_alone`]), since it may change the keys of every number.
pub fn renormalize_all(store: &Store, model: NumberModel) -> Result<usize, Error> {
    Ok(store.write_alone(move |tx| {
        store::contacts::renormalize(tx, &|raw| {
            let n = model.normalize(raw).ok()?;
            let digits = n.digits_key()?.to_string();
            Some((
                n.e164().map(|e| e.as_str().to_string()),
                number::reversed(&digits),
                digits,
            ))
        })
    })?)
}

/// After the number settings were saved: re-normalizes every stored number if the model now reads
/// numbers differently from `before` ([`renormalize_all`]); returns how many changed. Every place
/// that saves number settings (the CLI, the settings page, the setup wizard) goes through here, so
/// no contact keeps a number read with the old model, where callers would go unrecognized.
pub fn renormalize_if_changed(
    store: &Store,
    before: &NumberModel,
    now: NumberModel,
) -> Result<usize, Error> {
    if before.normalizes_like(&now) {
        return Ok(0);
    }
    renormalize_all(store, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> NumberModel {
        NumberModel {
            area_code: "30".into(),
            outside_prefix: "0".into(),
            ..NumberModel::default()
        }
    }

    #[test]
    fn names_for_display_and_pbx() {
        let mut c = Contact {
            id: ContactId(1),
            first_name: "Anna".into(),
            last_name: "Müller".into(),
            company: "Bäckerei & Söhne".into(),
            email: String::new(),
            notes: String::new(),
            responsible_id: None,
            source: "local".into(),
            upstream_id: None,
            created_at: 0,
            updated_at: 0,
            phones: vec![],
        };
        assert_eq!(c.caller_name(), "Anna Müller (Bäckerei & Söhne)");
        assert_eq!(c.display_name(), "Anna Müller");
        c.first_name.clear();
        c.last_name.clear();
        assert_eq!(c.caller_name(), "Bäckerei & Söhne");
        // Stored before names were kept to one line: still one line for every phone and PBX.
        c.first_name = "Anna\nMaria".into();
        c.last_name = " Müller\r\n".into();
        assert_eq!(c.display_name(), "Anna Maria Müller");
        assert_eq!(c.caller_name(), "Anna Maria Müller (Bäckerei & Söhne)");
    }

    #[test]
    fn names_are_one_line() {
        for (typed, kept) in [
            ("Anna Müller", "Anna Müller"),
            (" a\nb\r\n  c ", "a b c"),
            ("Tab\there", "Tab here"),
            ("Nul\u{0}l", "Null"),
            ("\u{7f}Bell\u{7}", "Bell"),
            ("two  spaces", "two spaces"),
            ("\n", ""),
        ] {
            assert_eq!(one_line(typed), kept, "{typed:?}");
        }
        assert!(matches!(one_line("Anna Müller"), Cow::Borrowed(_)));
        let c = NewContact {
            first_name: "Break\nName".into(),
            last_name: "Line\r\n".into(),
            company: "A\tB".into(),
            ..Default::default()
        };
        let p = prepare(&model(), c).unwrap();
        assert_eq!(
            (
                p.contact.first_name.as_str(),
                p.contact.last_name.as_str(),
                p.contact.company.as_str()
            ),
            ("Break Name", "Line", "A B")
        );
    }

    #[test]
    fn prepare_normalizes_and_rejects() {
        let c = NewContact {
            last_name: "Muster".into(),
            phones: vec![NewPhone {
                kind: PhoneKind::Office,
                raw: "030 1234567".into(),
            }],
            ..Default::default()
        };
        let p = prepare(&model(), c).unwrap();
        assert_eq!(p.phones[0].e164.as_ref().unwrap().as_str(), "+49301234567");
        assert_eq!(p.phones[0].rdigits, "76543210394");
        assert_eq!(
            prepare(&model(), NewContact::default()).unwrap_err(),
            ContactError::NoName
        );
        let bad = NewContact {
            company: "X".into(),
            phones: vec![NewPhone {
                kind: PhoneKind::Mobile,
                raw: "call me".into(),
            }],
            ..Default::default()
        };
        assert!(matches!(
            prepare(&model(), bad),
            Err(ContactError::BadNumber { .. })
        ));
        let bad_mail = NewContact {
            company: "X".into(),
            email: "nope".into(),
            ..Default::default()
        };
        assert_eq!(
            prepare(&model(), bad_mail).unwrap_err().to_string(),
            "'nope' is not an email address"
        );
    }

    #[test]
    fn kinds_accept_common_words() {
        assert_eq!(PhoneKind::parse("Handy"), Some(PhoneKind::Mobile));
        assert_eq!(PhoneKind::parse("WORK"), Some(PhoneKind::Office));
        assert_eq!(PhoneKind::parse("celular"), Some(PhoneKind::Mobile));
        assert_eq!(PhoneKind::parse("privat"), Some(PhoneKind::Home));
        assert_eq!(PhoneKind::parse("pager"), None);
    }
}
