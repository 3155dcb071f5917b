//! SQL for contacts and their phones.

use rusqlite::{params, Connection, Row};

use super::{now, Reader, Result, StoreError};
use crate::contacts::{Contact, ContactId, Phone, PhoneKind, Prepared};

const CONTACT_COLUMNS: &str =
    "id, first_name, last_name, company, email, notes, responsible_id, source, upstream_id, created_at, updated_at";

fn contact_from_row(r: &Row) -> rusqlite::Result<Contact> {
    Ok(Contact {
        id: ContactId(r.get(0)?),
        first_name: r.get(1)?,
        last_name: r.get(2)?,
        company: r.get(3)?,
        email: r.get(4)?,
        notes: r.get(5)?,
        responsible_id: r.get(6)?,
        source: r.get(7)?,
        upstream_id: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
        phones: Vec::new(),
    })
}

/// Reads a kind as the store writes it (`PhoneKind::as_str`); anything else is `other`.
fn kind_from_str(s: &str) -> PhoneKind {
    PhoneKind::ALL
        .into_iter()
        .find(|k| k.as_str() == s)
        .unwrap_or(PhoneKind::Other)
}

fn insert_phones(tx: &Connection, id: i64, p: &Prepared) -> Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO phones(contact_id, kind, raw, e164, digits, rdigits, position) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (i, ph) in p.phones.iter().enumerate() {
        st.execute(params![
            id,
            ph.kind.as_str(),
            ph.raw,
            ph.e164.as_ref().map(|e| e.as_str()),
            ph.digits,
            ph.rdigits,
            i as i64
        ])?;
    }
    Ok(())
}

/// Gives the contacts with ids in `ids` the past calls from their numbers that matched nobody when
/// they came in: a contact created from a call (or added after its calls) must own them in the call
/// log, its name search, its page and the reports, as a lookup would match them now. Only the exact
/// E.164 rule (`exact_e164`) is applied to the past, and a call already linked keeps its contact.
/// One statement for a whole range, so an import of many contacts links in one pass (a statement
/// per number made 100,000 demo contacts 25% slower to add). Returns how many calls it linked.
pub fn link_past_calls(tx: &Connection, ids: std::ops::RangeInclusive<i64>) -> Result<usize> {
    let mut st = tx.prepare_cached(
        "UPDATE calls SET contact_id = (SELECT min(p.contact_id) FROM phones p
                                        WHERE p.e164 = calls.remote_key AND p.contact_id BETWEEN ?1 AND ?2),
                          contact_rule = 'exact_e164', contact_tie = NULL
         WHERE contact_id IS NULL
           AND remote_key IN (SELECT e164 FROM phones WHERE contact_id BETWEEN ?1 AND ?2 AND e164 IS NOT NULL)",
    )?;
    Ok(st.execute(params![ids.start(), ids.end()])?)
}

pub fn insert(tx: &Connection, p: &Prepared) -> Result<ContactId> {
    let c = &p.contact;
    let t = now();
    let mut st = tx.prepare_cached(
        "INSERT INTO contacts(first_name, last_name, company, email, notes, responsible_id, source, upstream_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
    )?;
    st.execute(params![
        c.first_name,
        c.last_name,
        c.company,
        c.email,
        c.notes,
        c.responsible_id,
        c.source,
        c.upstream_id,
        t
    ])?;
    let id = tx.last_insert_rowid();
    insert_phones(tx, id, p)?;
    super::directory::index_contact(tx, ContactId(id), &c.first_name, &c.last_name, &c.company)?;
    Ok(ContactId(id))
}

/// [`insert`] one contact, and [`link_past_calls`] to it.
pub fn insert_linked(tx: &Connection, p: &Prepared) -> Result<ContactId> {
    let id = insert(tx, p)?;
    link_past_calls(tx, id.0..=id.0)?;
    Ok(id)
}

pub fn update(tx: &Connection, id: ContactId, p: &Prepared) -> Result<()> {
    let c = &p.contact;
    let n = tx.execute(
        "UPDATE contacts SET first_name = ?2, last_name = ?3, company = ?4, email = ?5, notes = ?6, responsible_id = ?7, updated_at = ?8
         WHERE id = ?1",
        params![id.0, c.first_name, c.last_name, c.company, c.email, c.notes, c.responsible_id, now()],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("contact {id}")));
    }
    tx.execute("DELETE FROM phones WHERE contact_id = ?1", [id.0])?;
    insert_phones(tx, id.0, p)?;
    link_past_calls(tx, id.0..=id.0)?;
    super::directory::index_contact(tx, id, &c.first_name, &c.last_name, &c.company)
}

pub fn delete(tx: &Connection, id: ContactId) -> Result<()> {
    super::directory::unindex_contact(tx, id)?;
    let n = tx.execute("DELETE FROM contacts WHERE id = ?1", [id.0])?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("contact {id}")));
    }
    Ok(())
}

/// Recomputes the E.164 and digit keys of every phone from its raw form. `f` is the normalizer; it
/// returns (e164, reversed digits, digits), or `None` to leave a number as it is. Returns how many
/// phones changed.
///
/// Reads the phones a chunk at a time in id order and writes only the rows whose keys change. Read
/// all at once, 2M phones took 128 MB before the first was written; and a new area code changes only
/// the numbers written without one, so rewriting every row wrote every index page for nothing.
#[allow(clippy::type_complexity)]
pub fn renormalize(
    tx: &Connection,
    f: &dyn Fn(&str) -> Option<(Option<String>, String, String)>,
) -> Result<usize> {
    const CHUNK: i64 = 10_000;
    type Row = (i64, String, Option<String>, String, String);
    let mut read = tx.prepare(
        "SELECT id, raw, e164, rdigits, digits FROM phones WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let mut up =
        tx.prepare("UPDATE phones SET e164 = ?2, rdigits = ?3, digits = ?4 WHERE id = ?1")?;
    let (mut after, mut n) = (0, 0);
    loop {
        let rows: Vec<Row> = read
            .query_map(params![after, CHUNK], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let Some(last) = rows.last() else {
            return Ok(n);
        };
        after = last.0;
        for (id, raw, e164, rdigits, digits) in rows {
            if let Some(new) = f(&raw) {
                if new != (e164, rdigits, digits) {
                    n += up.execute(params![id, new.0, new.1, new.2])?;
                }
            }
        }
    }
}

/// A phone row that matched a lookup: which contact, and the number as the contact has it.
#[derive(Clone, Debug)]
pub struct PhoneHit {
    pub contact_id: ContactId,
    pub raw: String,
    pub e164: Option<String>,
}

fn hits(st: &mut rusqlite::CachedStatement, p: impl rusqlite::Params) -> Result<Vec<PhoneHit>> {
    let rows = st.query_map(p, |r| {
        Ok(PhoneHit {
            contact_id: ContactId(r.get(0)?),
            raw: r.get(1)?,
            e164: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The statement of [`Reader::phones_by_first_e164`] for `n` candidates: one branch per candidate,
/// each with its own limit, evaluated in the order written. Built once for the counts a number model
/// allows (up to 7 extension digits, two candidates each), since formatting it for every lookup cost
/// as much as a seek.
fn first_e164_sql(n: usize) -> std::borrow::Cow<'static, str> {
    fn build(n: usize) -> String {
        (1..=n)
            .map(|i| {
                format!(
                    "SELECT {i}, * FROM (SELECT contact_id, raw, e164 FROM phones WHERE e164 = ?{i} LIMIT 50)"
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ")
    }
    static BUILT: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    match BUILT.get_or_init(|| (0..=14).map(build).collect()).get(n) {
        Some(sql) => sql.as_str().into(),
        None => build(n).into(),
    }
}

impl Reader {
    /// One contact with its phones, read in a single query: a lookup reads a contact per match, so one
    /// round through SQLite instead of two is a measurable share of a lookup.
    pub fn contact(&self, id: ContactId) -> Result<Option<Contact>> {
        let mut st = self.conn().prepare_cached(
            "SELECT c.id, c.first_name, c.last_name, c.company, c.email, c.notes, c.responsible_id, c.source,
                    c.upstream_id, c.created_at, c.updated_at, p.kind, p.raw, p.e164
             FROM contacts c LEFT JOIN phones p ON p.contact_id = c.id
             WHERE c.id = ?1 ORDER BY p.position",
        )?;
        let mut rows = st.query([id.0])?;
        let mut contact: Option<Contact> = None;
        while let Some(r) = rows.next()? {
            let c = match contact.as_mut() {
                Some(c) => c,
                None => contact.insert(contact_from_row(r)?),
            };
            let kind: Option<String> = r.get(11)?;
            if let Some(kind) = kind {
                c.phones.push(Phone {
                    kind: kind_from_str(&kind),
                    number: r.get(12)?,
                    e164: r.get(13)?,
                });
            }
        }
        Ok(contact)
    }

    pub fn phones_of(&self, id: ContactId) -> Result<Vec<Phone>> {
        let mut st = self.conn().prepare_cached(
            "SELECT kind, raw, e164 FROM phones WHERE contact_id = ?1 ORDER BY position",
        )?;
        let rows = st.query_map([id.0], |r| {
            let kind: String = r.get(0)?;
            Ok(Phone {
                kind: kind_from_str(&kind),
                number: r.get(1)?,
                e164: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Rule 1 of the lookup: phones whose E.164 form is exactly this.
    pub fn phones_by_e164(&self, e164: &str) -> Result<Vec<PhoneHit>> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT contact_id, raw, e164 FROM phones WHERE e164 = ?1 LIMIT 50")?;
        hits(&mut st, [e164])
    }

    /// Rule 4: the first of `candidates` that is a phone's E.164, as its index there and its phones.
    /// One statement tries them all, in order, and stops at the first candidate that has phones: a
    /// lookup of an unknown caller tries up to eight, and one statement instead of eight took 6% off
    /// the instructions of such a lookup (callgrind, 2,000 numbers against 1M contacts).
    pub fn phones_by_first_e164(
        &self,
        candidates: &[String],
    ) -> Result<Option<(usize, Vec<PhoneHit>)>> {
        if candidates.is_empty() {
            return Ok(None);
        }
        let mut st = self
            .conn()
            .prepare_cached(&first_e164_sql(candidates.len()))?;
        let mut rows = st.query(rusqlite::params_from_iter(candidates))?;
        let mut first: Option<(usize, Vec<PhoneHit>)> = None;
        while let Some(r) = rows.next()? {
            let index = r.get::<_, i64>(0)? as usize - 1;
            if first.as_ref().is_some_and(|(i, _)| *i != index) {
                break;
            }
            let hit = PhoneHit {
                contact_id: ContactId(r.get(1)?),
                raw: r.get(2)?,
                e164: r.get(3)?,
            };
            first.get_or_insert_with(|| (index, Vec::new())).1.push(hit);
        }
        Ok(first)
    }

    /// Rule 2: phones whose digits-only key is exactly this.
    pub fn phones_by_digits(&self, digits: &str) -> Result<Vec<PhoneHit>> {
        let mut st = self.conn().prepare_cached(
            "SELECT contact_id, raw, e164 FROM phones WHERE digits = ?1 LIMIT 50",
        )?;
        hits(&mut st, [digits])
    }

    /// Rule 3: phones whose digits end with `tail`. The store keeps digits reversed, so this is a
    /// prefix range scan on an index.
    pub fn phones_by_tail(&self, tail: &str, limit: usize) -> Result<Vec<PhoneHit>> {
        let low: String = tail.chars().rev().collect();
        // Digits only, so ':' (the byte after '9') closes the range of everything starting with `low`.
        let high = format!("{low}:");
        let mut st = self.conn().prepare_cached(
            "SELECT contact_id, raw, e164 FROM phones WHERE rdigits >= ?1 AND rdigits < ?2 LIMIT ?3",
        )?;
        hits(&mut st, params![low, high, limit as i64])
    }

    /// Contacts in id order after `after`, with their phones: the export and the phone books page
    /// through all contacts this way without holding them all in memory.
    pub fn contacts_after(&self, after: ContactId, limit: usize) -> Result<Vec<Contact>> {
        let sql =
            format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id > ?1 ORDER BY id LIMIT ?2");
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map(params![after.0, limit as i64], contact_from_row)?;
        let mut out: Vec<Contact> = rows.collect::<rusqlite::Result<_>>()?;
        for c in &mut out {
            c.phones = self.phones_of(c.id)?;
        }
        Ok(out)
    }

    /// Contacts with a word of their first name, last name or company starting with each typed word
    /// (any case and accents, as the phone books search), or, when `text` is mostly three or more
    /// digits, with a number ending in those digits. In name order (the folded list name, as the
    /// phone books), `offset`/`limit` paged. For the admin UI's and the 3CX template's contact
    /// search; exact caller lookup is `lookup::lookup`. Names are looked up in the word index, so a
    /// search costs about the same among a million contacts as among a thousand.
    pub fn search_contacts(&self, text: &str, limit: usize, offset: usize) -> Result<Vec<Contact>> {
        let text = text.trim();
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let ids: Vec<i64> = if digits.len() >= 3
            && digits.len() * 2 >= text.chars().filter(|c| !c.is_whitespace()).count()
        {
            // Typed as dialled at home (`089 1777883`) or abroad (`0049 89 …`), a number carries a
            // trunk or international prefix that the stored digits don't have; the digits after the
            // leading zeros are what a stored number ends with.
            let tail = digits.trim_start_matches('0');
            let tail = if tail.len() >= 3 {
                tail
            } else {
                digits.as_str()
            };
            let low: String = tail.chars().rev().collect();
            let high = format!("{low}:");
            let mut st = self.conn().prepare_cached(
                "SELECT DISTINCT p.contact_id FROM phones p JOIN contacts c ON c.id = p.contact_id
                 WHERE p.rdigits >= ?1 AND p.rdigits < ?2
                 ORDER BY c.sort_name, c.id LIMIT ?3 OFFSET ?4",
            )?;
            let rows = st.query_map(params![low, high, limit as i64, offset as i64], |r| {
                r.get(0)
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        } else {
            let filter = super::directory::Filter {
                words: crate::phonebook::typed_words(text),
                numberless: true,
                ..Default::default()
            };
            if filter.words.is_empty() {
                return Ok(Vec::new());
            }
            self.directory_ids(&filter, offset, limit)?
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(c) = self.contact(ContactId(id))? {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// Up to `n` stored E.164 numbers spread evenly over the table, for the benchmark's load generator.
    pub fn sample_e164(&self, n: usize) -> Result<Vec<String>> {
        let total = self.phone_count()?.max(1);
        let step = (total / n.max(1) as i64).max(1);
        let mut st = self.conn().prepare_cached(
            "SELECT e164 FROM phones WHERE id % ?1 = 0 AND e164 IS NOT NULL LIMIT ?2",
        )?;
        let rows = st.query_map(params![step, n as i64], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn contact_count(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))?)
    }

    pub fn phone_count(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM phones", [], |r| r.get(0))?)
    }
}

// The contact mirror (see `sync::mirror`): contacts of an upstream source, keyed by (source, upstream id).

/// The id of the mirrored contact `upstream` of `source`, if it is stored.
fn mirrored_id(tx: &Connection, source: &str, upstream: &str) -> Result<Option<ContactId>> {
    let mut st =
        tx.prepare_cached("SELECT id FROM contacts WHERE source = ?1 AND upstream_id = ?2")?;
    let mut rows = st.query(params![source, upstream])?;
    Ok(match rows.next()? {
        Some(r) => Some(ContactId(r.get(0)?)),
        None => None,
    })
}

/// Stores mirrored contacts of one source: a contact whose (source, upstream id) is already stored is
/// updated in place, so the calls linked to it stay linked; the others are inserted. Contacts without an
/// upstream id are ignored (they could never be found again). Runs in the caller's transaction.
pub fn mirror_upsert(tx: &Connection, source: &str, contacts: &[Prepared]) -> Result<usize> {
    let mut n = 0;
    for p in contacts {
        let Some(upstream) = p.contact.upstream_id.as_deref() else {
            continue;
        };
        if p.contact.source != source {
            return Err(StoreError::Invalid(format!(
                "a contact of '{}' can't be mirrored as '{source}'",
                p.contact.source
            )));
        }
        match mirrored_id(tx, source, upstream)? {
            Some(id) => update(tx, id, p)?,
            None => {
                insert_linked(tx, p)?;
            }
        }
        n += 1;
    }
    Ok(n)
}

/// Replaces every contact of `source` with `contacts`, in the caller's transaction, so a phone book read
/// meanwhile sees the old set or the new one, never half of it. Contacts still upstream are updated in
/// place; the ones gone upstream are deleted. Returns (stored, deleted).
pub fn mirror_replace(
    tx: &Connection,
    source: &str,
    contacts: &[Prepared],
) -> Result<(usize, usize)> {
    let stored = mirror_upsert(tx, source, contacts)?;
    let keep: std::collections::HashSet<&str> = contacts
        .iter()
        .filter_map(|p| p.contact.upstream_id.as_deref())
        .collect();
    let old: Vec<(i64, Option<String>)> = {
        let mut st = tx.prepare_cached("SELECT id, upstream_id FROM contacts WHERE source = ?1")?;
        let rows = st.query_map([source], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut deleted = 0;
    let mut del = tx.prepare_cached("DELETE FROM contacts WHERE id = ?1")?;
    for (id, upstream) in old {
        if !upstream.as_deref().is_some_and(|u| keep.contains(u)) {
            super::directory::unindex_contact(tx, ContactId(id))?;
            deleted += del.execute([id])?;
        }
    }
    Ok((stored, deleted))
}

impl Reader {
    /// How many contacts a source has (`local`, `import`, or a mirrored source such as `propstack`).
    pub fn contact_count_of(&self, source: &str) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM contacts WHERE source = ?1",
            [source],
            |r| r.get(0),
        )?)
    }
}
