//! The office's people and their phones (seed 000): employees, their own phone numbers, extensions, and
//! which employee held which extension from when to when.
//!
//! The journal attributes a call to whoever held the answering extension *at the time of the call*, so
//! reassigning an extension never rewrites old calls. An extension can pass through several employees
//! over time, and an employee can hold several extensions at once. An employee's own numbers (a private
//! mobile, a home line) keep their calls out of the journal (seed 003).

use std::fmt;

use serde::Serialize;

use crate::number::{Normalized, NumberModel};
use crate::store::{self, Reader, Store, StoreError};

/// An employee as listed.
#[derive(Clone, Debug, Serialize)]
pub struct Employee {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub numbers: Vec<EmployeeNumber>,
    /// Extensions held right now.
    pub extensions: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EmployeeNumber {
    pub raw: String,
    pub e164: Option<String>,
}

/// An employee's own number, normalized and ready for the store.
#[derive(Clone, Debug)]
pub struct NewNumber {
    pub raw: String,
    pub e164: Option<String>,
    pub digits: String,
}

/// An extension with its assignment history, oldest first.
#[derive(Clone, Debug, Serialize)]
pub struct ExtensionInfo {
    pub number: String,
    pub name: String,
    pub history: Vec<Assignment>,
}

impl ExtensionInfo {
    /// Who holds it at `at`.
    pub fn holder_at(&self, at: i64) -> Option<&Assignment> {
        self.history
            .iter()
            .rev()
            .find(|a| a.from <= at && a.until.is_none_or(|u| u > at))
    }
}

/// One stretch of time during which an employee held an extension; `until` is open while it lasts.
#[derive(Clone, Debug, Serialize)]
pub struct Assignment {
    pub employee_id: i64,
    pub employee_name: String,
    pub from: i64,
    pub until: Option<i64>,
}

#[derive(Debug)]
pub enum EmployeeError {
    Invalid(String),
    NotFound(String),
    Store(StoreError),
}

impl fmt::Display for EmployeeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmployeeError::Invalid(why) => f.write_str(why),
            EmployeeError::NotFound(what) => f.write_str(what),
            EmployeeError::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for EmployeeError {}

impl From<StoreError> for EmployeeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(why) => EmployeeError::Invalid(why),
            StoreError::NotFound(what) => EmployeeError::NotFound(format!("{what} was not found")),
            e => EmployeeError::Store(e),
        }
    }
}

/// An internal extension: digits of the office's extension length, or a SIP user name (`alice`,
/// `7777abcdefg` as Placetel names its SIP users).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Extension(String);

impl Extension {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Reads an extension typed by a person. Strict: a public phone number or digits of the wrong length
    /// are refused with a hint, because a mistyped extension would silently attribute no calls.
    pub fn parse(model: &NumberModel, raw: &str) -> Result<Extension, EmployeeError> {
        let t = raw.trim();
        let bad_len = || {
            EmployeeError::Invalid(format!(
                "'{t}' is not an extension: extensions here have {}{} digits (setting number.extension_digits)",
                model.ext_min,
                if model.ext_max > model.ext_min {
                    format!(" to {}", model.ext_max)
                } else {
                    String::new()
                }
            ))
        };
        if t.bytes().any(|b| b.is_ascii_alphabetic()) {
            return sip_user(t).map(Extension).ok_or_else(|| {
                EmployeeError::Invalid(format!(
                    "'{t}' is not an extension: use its digits, or a SIP user name of letters, digits, '.', '_' and '-'"
                ))
            });
        }
        match model.normalize(t) {
            Ok(Normalized::Extension(d)) => Ok(Extension(d)),
            Ok(Normalized::Public { e164, .. }) => Err(EmployeeError::Invalid(format!(
                "'{t}' is a phone number ({e164}), not an extension; add it to the employee with --number, or as a line"
            ))),
            Ok(_) => Err(bad_len()),
            Err(e) => Err(EmployeeError::Invalid(e.to_string())),
        }
    }
}

impl fmt::Display for Extension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the local side of a call event names: one of our extensions, one of our public numbers (a line),
/// or nothing usable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Local {
    Extension(String),
    Line(crate::number::E164),
    Nothing,
}

/// Reads the local side of a call event as sources send it (`201`, `sip:201@pbx;user=phone`,
/// `7777abcdefg@fpbx.de`, `+49301234560`). Lenient where [`Extension::parse`] is strict: digits of an
/// unexpected length are still taken as an extension, so a misconfigured extension length loses no
/// attribution.
pub fn local_of(model: &NumberModel, raw: &str) -> Local {
    let t = raw.trim();
    if t.is_empty() {
        return Local::Nothing;
    }
    match model.normalize(t) {
        Ok(Normalized::Extension(d)) | Ok(Normalized::Digits(d)) => Local::Extension(d),
        Ok(Normalized::Public { e164, .. }) => Local::Line(e164),
        Ok(Normalized::Anonymous) => Local::Nothing,
        Err(_) => sip_user(t).map(Local::Extension).unwrap_or(Local::Nothing),
    }
}

/// The user part of a SIP identity (`"Anna" <sip:anna@pbx;transport=tcp>` → `anna`), if it is a plain
/// token. This parses SIP identities, not phone numbers; numbers go through `NumberModel::normalize`.
fn sip_user(s: &str) -> Option<String> {
    // The one URI unwrapping (`number::strip_uri`), then the user part of a bare `user@host` too.
    let s = crate::number::strip_uri(s.trim());
    let s = s.split('@').next().unwrap_or("");
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    ok.then(|| s.to_string())
}

/// Normalizes an employee's own number. It must be a phone number, not an extension.
pub fn own_number(model: &NumberModel, raw: &str) -> Result<NewNumber, EmployeeError> {
    let t = raw.trim();
    match model.normalize(t) {
        Ok(Normalized::Public { e164, .. }) => Ok(NewNumber {
            raw: t.to_string(),
            digits: e164.digits().to_string(),
            e164: Some(e164.as_str().to_string()),
        }),
        Ok(Normalized::Digits(d)) => Ok(NewNumber {
            raw: t.to_string(),
            e164: None,
            digits: d,
        }),
        Ok(Normalized::Extension(_)) => Err(EmployeeError::Invalid(format!(
            "'{t}' is an extension, not an own phone number; use 'ringbook extension assign {t} EMPLOYEE'"
        ))),
        Ok(Normalized::Anonymous) => Err(EmployeeError::Invalid(format!(
            "'{t}' is not a phone number"
        ))),
        Err(e) => Err(EmployeeError::Invalid(e.to_string())),
    }
}

/// Adds an employee with an optional e-mail address and their own phone numbers.
pub fn add(
    store: &Store,
    model: &NumberModel,
    name: &str,
    email: &str,
    numbers: &[String],
) -> Result<i64, EmployeeError> {
    let name = name.trim().to_string();
    if name.is_empty() {
        return Err(EmployeeError::Invalid(
            "an employee needs a name, e.g. 'Anna Müller'".into(),
        ));
    }
    if name.len() > 200 {
        return Err(EmployeeError::Invalid(
            "the name is longer than 200 characters".into(),
        ));
    }
    if name.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EmployeeError::Invalid(format!(
            "'{name}' looks like an id; an employee's name must contain letters"
        )));
    }
    let email = email.trim().to_string();
    if !email.is_empty() && !email.contains('@') {
        return Err(EmployeeError::Invalid(format!(
            "'{email}' is not an e-mail address"
        )));
    }
    let nums = numbers
        .iter()
        .map(|n| own_number(model, n))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(store.write(move |tx| store::employees::insert(tx, &name, &email, &nums))?)
}

/// Adds own numbers to an existing employee.
pub fn add_numbers(
    store: &Store,
    model: &NumberModel,
    employee_id: i64,
    numbers: &[String],
) -> Result<(), EmployeeError> {
    let nums = numbers
        .iter()
        .map(|n| own_number(model, n))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(store.write(move |tx| store::employees::add_numbers(tx, employee_id, &nums))?)
}

/// Finds an employee by id or by name (case-insensitive). Two employees with the same name can only be
/// told apart by id, and the error says so.
pub fn resolve(reader: &Reader, who: &str) -> Result<i64, EmployeeError> {
    let w = who.trim();
    if let Ok(id) = w.parse::<i64>() {
        return if reader.employee_exists(id)? {
            Ok(id)
        } else {
            Err(EmployeeError::NotFound(format!(
                "there is no employee with id {id}"
            )))
        };
    }
    let ids = reader.employee_ids_named(w)?;
    match ids.as_slice() {
        [id] => Ok(*id),
        [] => Err(EmployeeError::NotFound(format!(
            "there is no employee called '{w}'; 'ringbook employee list' shows them"
        ))),
        many => Err(EmployeeError::Invalid(format!(
            "{} employees are called '{w}'; give the id instead ({})",
            many.len(),
            many.iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Makes an employee the holder of an extension from `from` on (the extension is created if new).
/// Returns false if they already held it then.
pub fn assign(
    store: &Store,
    ext: &Extension,
    employee_id: i64,
    from: i64,
) -> Result<bool, EmployeeError> {
    let number = ext.as_str().to_string();
    Ok(store.write(move |tx| store::employees::assign(tx, &number, employee_id, from))?)
}

/// Ends the assignment of an extension at `at`. Returns false if nobody held it then.
pub fn unassign(store: &Store, ext: &Extension, at: i64) -> Result<bool, EmployeeError> {
    let number = ext.as_str().to_string();
    Ok(store.write(move |tx| store::employees::unassign(tx, &number, at))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> NumberModel {
        NumberModel {
            area_code: "30".into(),
            outside_prefix: "0".into(),
            ..NumberModel::default()
        }
    }

    #[test]
    fn extensions_typed_by_people_are_checked() {
        let m = berlin();
        assert_eq!(Extension::parse(&m, " 201 ").unwrap().as_str(), "201");
        assert_eq!(Extension::parse(&m, "alice").unwrap().as_str(), "alice");
        let e = Extension::parse(&m, "0301234567").unwrap_err().to_string();
        assert!(e.contains("phone number"), "{e}");
        let e = Extension::parse(&m, "5").unwrap_err().to_string();
        assert!(e.contains("2 to 4 digits"), "{e}");
        assert!(Extension::parse(&m, "a b").is_err());
    }

    #[test]
    fn the_local_side_of_events_is_read_leniently() {
        let m = berlin();
        let cases: &[(&str, Local)] = &[
            ("201", Local::Extension("201".into())),
            (
                "sip:201@pbx.local;user=phone",
                Local::Extension("201".into()),
            ),
            (
                "7777abcdefg@fpbx.de",
                Local::Extension("7777abcdefg".into()),
            ),
            ("\"Anna\" <sip:anna@pbx>", Local::Extension("anna".into())),
            (
                "+49301234560",
                Local::Line(crate::number::E164::from_stored("+49301234560").unwrap()),
            ),
            ("", Local::Nothing),
            ("anonymous", Local::Nothing),
            ("a b c", Local::Nothing),
        ];
        for (raw, want) in cases {
            assert_eq!(&local_of(&m, raw), want, "{raw}");
        }
    }

    #[test]
    fn own_numbers_must_be_phone_numbers() {
        let m = berlin();
        let n = own_number(&m, "0151 12345678").unwrap();
        assert_eq!(n.e164.as_deref(), Some("+4915112345678"));
        assert!(own_number(&m, "201")
            .unwrap_err()
            .to_string()
            .contains("extension"));
        assert!(own_number(&m, "anonymous").is_err());
    }
}
