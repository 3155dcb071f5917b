//! The contact mirror: upstream contacts stored in the local contact table, marked with their source and
//! upstream id, so that every lookup and phone book finds them without asking the network.
//!
//! Three sources fill it, none of them on the lookup path:
//! - **Propstack**: after a call whose number no contact had, the outbox gets a `contact` step, and the
//!   Propstack worker asks `GET {base}/v1/contacts?with_meta=1&phone_number=` in the background
//!   (see `sync::propstack`); what comes back is stored here by its Propstack id.
//! - **CRM Senior**: the answer to `consult-phone` (sent when a call rings) holds the contact; it is
//!   stored by its CRM Senior id in the same transaction that records the delivery.
//! - **An address book URL** (`sync.contacts.url`): a vCard or CSV file pulled every
//!   `sync.contacts.interval` with `If-None-Match`/`If-Modified-Since` (a 304 costs nothing), parsed by
//!   the importers (`import.rs`) and replacing that source's contacts in one transaction.
//!
//! Mirrored contacts are read-only in the UI: the CRM is the system of record, and a local edit would be
//! overwritten by the next refresh.

use std::io::{self, Read};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::net::Net;
use crate::contacts::{self, NewContact, NewPhone, PhoneKind, Prepared};
use crate::import;
use crate::number::NumberModel;
use crate::settings::{parse_duration, Settings};
use crate::store::{self, Reader, Store};

/// The source name of contacts pulled from `sync.contacts.url`.
pub const ADDRESSBOOK: &str = "addressbook";

/// The contact sources that are mirrors of an upstream system, and so read-only here.
pub const SOURCES: [&str; 3] = [
    crate::store::outbox::PROPSTACK,
    crate::store::outbox::CRMSENIOR,
    ADDRESSBOOK,
];

/// True when contacts of `source` are a mirror (read-only in the UI).
pub fn is_mirrored(source: &str) -> bool {
    SOURCES.contains(&source)
}

/// A JSON value as text: strings as they are, numbers written out, anything else empty.
fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A contact from a CRM's JSON record: names, email, and the phones in `slots`. `None` for a record
/// without an id (it could never be found again) or with id 0 (a placeholder, as ringbook's own
/// Propstack and CRM Senior endpoints answer on a miss).
fn from_json(
    source: &str,
    v: &Value,
    names: [&str; 4],
    slots: &[(&str, PhoneKind)],
) -> Option<NewContact> {
    let id = text(v.get("id"));
    if id.is_empty() || id == "0" {
        return None;
    }
    let phones = slots
        .iter()
        .map(|(k, kind)| NewPhone {
            kind: *kind,
            raw: text(v.get(*k)),
        })
        .filter(|p| !p.raw.is_empty())
        .collect();
    Some(NewContact {
        first_name: text(v.get(names[0])),
        last_name: text(v.get(names[1])),
        company: text(v.get(names[2])),
        email: text(v.get(names[3])),
        source: source.to_string(),
        upstream_id: Some(id),
        phones,
        ..Default::default()
    })
}

/// Propstack's contact search answer (seed 004): `{"data":[{"id","first_name","last_name","company",
/// "email","office_phone","home_cell","home_phone"}],"meta":{..}}` with `with_meta=1`, or the bare
/// array. An object without `data` holds no contacts.
pub fn propstack_contacts(body: &str) -> Result<Vec<NewContact>, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| {
        let shown: String = body.chars().take(100).collect();
        format!("Propstack's contact search answered something that isn't JSON ({e}): {shown}")
    })?;
    let list = match &v {
        Value::Array(a) => a.as_slice(),
        Value::Object(o) => match o.get("data") {
            Some(Value::Array(a)) => a.as_slice(),
            _ => &[],
        },
        _ => &[],
    };
    const SLOTS: &[(&str, PhoneKind)] = &[
        ("office_phone", PhoneKind::Office),
        ("home_cell", PhoneKind::Mobile),
        ("home_phone", PhoneKind::Home),
    ];
    Ok(list
        .iter()
        .filter_map(|c| {
            from_json(
                crate::store::outbox::PROPSTACK,
                c,
                ["first_name", "last_name", "company", "email"],
                SLOTS,
            )
        })
        .collect())
}

/// The contacts of CRM Senior's consult-phone answer (seed 001): `{"contact":[{id, firstname, lastname,
/// company, email, businessphone, businessphone2, mobilephone, mobilephone2, ...}]}`. Anything else
/// holds none (the answer itself is checked by `crmsenior::read_answer`).
pub fn crmsenior_contacts(body: &str) -> Vec<NewContact> {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return Vec::new();
    };
    const SLOTS: &[(&str, PhoneKind)] = &[
        ("businessphone", PhoneKind::Office),
        ("businessphone2", PhoneKind::Office),
        ("mobilephone", PhoneKind::Mobile),
        ("mobilephone2", PhoneKind::Mobile),
    ];
    v.get("contact")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| {
                    from_json(
                        crate::store::outbox::CRMSENIOR,
                        c,
                        ["firstname", "lastname", "company", "email"],
                        SLOTS,
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Validates contacts for the store with the office's number model. A contact the store can't take (no
/// name, a number that can't be read) is left out and logged: one bad record upstream must not keep the
/// others from the phone book.
pub fn prepare_all(model: &NumberModel, list: Vec<NewContact>) -> Vec<Prepared> {
    list.into_iter()
        .filter_map(|c| {
            let what = format!("{}:{}", c.source, c.upstream_id.as_deref().unwrap_or("?"));
            contacts::prepare(model, c)
                .map_err(|e| log::warn!("mirror: contact {what} left out: {e}"))
                .ok()
        })
        .collect()
}

// The address book URL.

/// What one pull of the address book did.
#[derive(Debug, PartialEq, Eq)]
pub enum Pulled {
    /// 304: nothing changed since the last pull.
    NotModified,
    /// The source's contacts were replaced: how many are stored, deleted and left out as bad rows.
    Replaced {
        stored: usize,
        deleted: usize,
        bad: usize,
    },
}

/// `meta` keys of the address book's state: the validators of the last pull and which URL they are for.
const META_URL: &str = "mirror.addressbook.url";
const META_ETAG: &str = "mirror.addressbook.etag";
const META_MODIFIED: &str = "mirror.addressbook.last_modified";

/// A stable upstream id for an address-book contact that has none: a hash of what it holds, so a
/// contact unchanged between pulls keeps its row (and its calls); repeats get `#2`, `#3`, ...
fn content_ids(list: &mut [Prepared]) {
    let mut seen = std::collections::HashMap::new();
    for p in list.iter_mut() {
        let c = &p.contact;
        let mut h = Sha256::new();
        for part in [&c.first_name, &c.last_name, &c.company, &c.email, &c.notes] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        for ph in &p.phones {
            h.update(ph.kind.as_str().as_bytes());
            h.update(ph.raw.as_bytes());
            h.update([0]);
        }
        let hex = crate::hex::lower(&h.finalize()[..12]);
        let n = seen.entry(hex.clone()).or_insert(0u32);
        *n += 1;
        p.contact.source = ADDRESSBOOK.to_string();
        p.contact.upstream_id = Some(if *n == 1 { hex } else { format!("{hex}#{n}") });
    }
}

/// Base64 of `user:password` for HTTP Basic authentication.
fn basic(user: &str, password: &str) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}").into_bytes();
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The largest address book read: some 80,000 contacts, far more than an office's address book.
/// The file and its parsed contacts are held in memory together, about 1 KB a contact: a 16 MB file
/// of 82,553 contacts takes the service to 146 MB, where the earlier limit of 64 MB let a file of
/// 325,000 contacts take it to 500 MB, at its MemoryMax of 512 MB.
///
/// A larger file is refused whole: cut off here, it would replace the mirror with the contacts
/// before the cut (deleting the rest), and its last card might end inside a number.
const MAX_BODY: u64 = 16 * 1024 * 1024;

/// Pulls `sync.contacts.url` once: a conditional GET, and on a 200 the file parsed and the source's
/// contacts replaced in one transaction together with the new validators. An answer with no contact is
/// refused rather than emptying the phone book (a broken export looks just like that).
pub fn pull(store: &Store, reader: &Reader, settings: &Settings) -> Result<Pulled, String> {
    let url = settings.get("sync.contacts.url").trim().to_string();
    if url.is_empty() {
        return Err("no address book URL is set (sync.contacts.url)".into());
    }
    let agent = Net::of(settings, "contacts").agent()?;
    let mut req = agent.get(&url).set("Accept", "text/vcard, text/csv, */*");
    let user = settings.get("sync.contacts.username");
    if !user.is_empty() {
        req = req.set(
            "Authorization",
            &format!(
                "Basic {}",
                basic(user, settings.get("sync.contacts.password"))
            ),
        );
    }
    let meta = |k: &str| reader.meta_get(k).ok().flatten().unwrap_or_default();
    if meta(META_URL) == url {
        let etag = meta(META_ETAG);
        if !etag.is_empty() {
            req = req.set("If-None-Match", &etag);
        }
        let modified = meta(META_MODIFIED);
        if !modified.is_empty() {
            req = req.set("If-Modified-Since", &modified);
        }
    }
    let resp = match req.call() {
        Ok(r) if r.status() == 304 => return Ok(Pulled::NotModified),
        Ok(r) => r,
        Err(ureq::Error::Status(code, _)) => {
            return Err(format!("the address book at {url} answered HTTP {code}"))
        }
        Err(ureq::Error::Transport(t)) => {
            return Err(format!("the address book at {url} can't be reached: {t}"))
        }
    };
    let etag = resp.header("ETag").unwrap_or("").to_string();
    let modified = resp.header("Last-Modified").unwrap_or("").to_string();
    let mut bytes = Vec::new();
    resp.into_reader()
        .take(MAX_BODY + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("the address book at {url} could not be read: {e}"))?;
    if bytes.len() as u64 > MAX_BODY {
        return Err(format!(
            "the address book at {url} is larger than {} MB, more than ringbook reads; the contacts of the last pull are kept",
            MAX_BODY >> 20
        ));
    }
    let text = String::from_utf8_lossy(&bytes);
    let parsed = import::parse(
        &text,
        import::Format::sniff(&text),
        &settings.number_model(),
    )
    .map_err(|e| format!("the address book at {url} can't be read: {e}"))?;
    if parsed.good.is_empty() {
        return Err(format!(
            "the address book at {url} holds no contact that can be stored ({} bad rows); the contacts of the last pull are kept",
            parsed.bad.len()
        ));
    }
    let bad = parsed.bad.len();
    let mut good = parsed.good;
    content_ids(&mut good);
    // Alone, without a savepoint: an address book of up to `MAX_BODY` rewrites contacts all over
    // the database, and a savepoint keeps every page it changes in memory.
    let (stored, deleted) = store
        .write_alone(move |tx| {
            let done = store::contacts::mirror_replace(tx, ADDRESSBOOK, &good)?;
            store::settings::meta_put(tx, META_URL, &url)?;
            store::settings::meta_put(tx, META_ETAG, &etag)?;
            store::settings::meta_put(tx, META_MODIFIED, &modified)?;
            Ok(done)
        })
        .map_err(|e| format!("the address book could not be stored: {e}"))?;
    Ok(Pulled::Replaced {
        stored,
        deleted,
        bad,
    })
}

/// Starts the thread that pulls the address book URL on its schedule. It re-reads the settings every
/// few seconds, so setting or changing the URL needs no restart (a new URL is pulled at once).
pub fn start(store: Store) -> io::Result<()> {
    crate::vital::spawn("sync-contacts", move || run(store))?;
    Ok(())
}

fn run(store: Store) {
    let reader = loop {
        match store.background_reader() {
            Ok(r) => break r,
            Err(e) => {
                log::error!("address book: the store can't be read ({e}); retrying");
                std::thread::sleep(Duration::from_secs(5));
            }
        }
    };
    let mut last: Option<(String, Instant)> = None;
    let mut failures = 0u32;
    loop {
        let settings = match Settings::load(&reader) {
            Ok(s) => s,
            Err(e) => {
                log::warn!("address book: settings can't be read: {e}");
                std::thread::sleep(Duration::from_secs(5));
                continue;
            }
        };
        let url = settings.get("sync.contacts.url").trim().to_string();
        let every = Duration::from_secs(
            parse_duration(settings.get("sync.contacts.interval"))
                .unwrap_or(3600)
                .max(1),
        );
        // After a failure, retry sooner than the interval (but not in a tight loop).
        let wait = if failures > 0 {
            every.min(Duration::from_secs(15 << failures.min(6)))
        } else {
            every
        };
        let due = !url.is_empty()
            && match &last {
                Some((u, at)) => *u != url || at.elapsed() >= wait,
                None => true,
            };
        if due {
            match pull(&store, &reader, &settings) {
                Ok(Pulled::NotModified) => {
                    failures = 0;
                    log::debug!("address book: not modified");
                }
                Ok(Pulled::Replaced {
                    stored,
                    deleted,
                    bad,
                }) => {
                    failures = 0;
                    log::info!(
                        "address book: {stored} contacts stored, {deleted} removed, {bad} rows left out"
                    );
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    log::warn!("address book: {e}");
                }
            }
            last = Some((url, Instant::now()));
        }
        std::thread::sleep(Duration::from_millis(500).min(wait));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn propstack_answers_in_every_shape() {
        let body = r#"{"data":[{"id":42,"first_name":"Anna","last_name":"Muster","company":null,"email":"a@example.de","office_phone":"+49 30 1234567","home_cell":"","home_phone":null},{"id":0,"last_name":"+49301234567"}],"meta":{"total_count":2}}"#;
        let c = propstack_contacts(body).unwrap();
        assert_eq!(c.len(), 1, "the placeholder (id 0) is not a contact");
        assert_eq!(c[0].upstream_id.as_deref(), Some("42"));
        assert_eq!(c[0].source, "propstack");
        assert_eq!(c[0].phones.len(), 1);
        assert_eq!(c[0].phones[0].kind, PhoneKind::Office);
        let bare = propstack_contacts(r#"[{"id":"7","last_name":"X"}]"#).unwrap();
        assert_eq!(bare[0].upstream_id.as_deref(), Some("7"));
        assert!(propstack_contacts("{}").unwrap().is_empty());
        assert!(propstack_contacts("<html>").is_err());
    }

    #[test]
    fn crmsenior_consult_contacts() {
        let body = r#"{"contact":[{"id":9,"firstname":"João","lastname":"Silva","company":"Loja","email":"","businessphone":"0049301234567","mobilephone":"","customvalue":"C-1"}]}"#;
        let c = crmsenior_contacts(body);
        assert_eq!(c.len(), 1);
        assert_eq!(
            (c[0].first_name.as_str(), c[0].upstream_id.as_deref()),
            ("João", Some("9"))
        );
        assert!(crmsenior_contacts(r#"{"error":"x"}"#).is_empty());
    }

    #[test]
    fn basic_auth_is_base64() {
        assert_eq!(
            basic("Aladdin", "open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(basic("a", "b"), "YTpi");
        assert_eq!(basic("ab", "c"), "YWI6Yw==");
    }
}
