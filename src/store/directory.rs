//! SQL for the phone books: contacts with numbers in name order, filtered by folded name words, T9 keys,
//! number digits and A–Z ranges of the sort name, plus the search keys kept beside each contact.
//!
//! The keys (`contacts.sort_name`, `search_words`, `search_t9`) are computed by
//! `phonebook::search_keys` and written here on every insert and update of a contact, so they can never
//! disagree with the names. Word and T9 searches are `LIKE '% key%'` scans over one column: phone-book
//! sizes (thousands of contacts) make that a few milliseconds, and it spares an index row per word.
//! Browsing and paging in name order use the `contacts_by_sort_name` index.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection};

use super::{Reader, Result};
use crate::contacts::{Contact, ContactId, Phone, PhoneKind};
use crate::phonebook;

/// A half-open range `[from, to)` of folded sort names; no `to` means to the end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Range {
    pub from: String,
    pub to: Option<String>,
}

/// Which contacts a phone-book query returns. Contacts without numbers are never listed. A contact
/// matches when all `words` match, or `t9` matches, or one of `digits` does (only the parts that are
/// set count; none set means every contact); and, if `ranges` are given, its sort name is in one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Each must start a word of the contact's folded names.
    pub words: Vec<String>,
    /// Must start one of the contact's T9 keys.
    pub t9: Option<String>,
    /// One of these must occur in the digits of one of the contact's numbers.
    pub digits: Vec<String>,
    /// The sort name must be in one of these (A–Z groups).
    pub ranges: Vec<Range>,
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

impl Filter {
    /// The WHERE clause over `contacts c`, pushing its parameters (numbered `?N`) onto `params`.
    fn where_sql(&self, params: &mut Vec<Value>) -> String {
        let bind = |params: &mut Vec<Value>, v: String| {
            params.push(Value::Text(v));
            format!("?{}", params.len())
        };
        let mut clauses =
            vec!["EXISTS (SELECT 1 FROM phones p0 WHERE p0.contact_id = c.id)".to_string()];
        let mut any = Vec::new();
        if !self.words.is_empty() {
            let all: Vec<String> = self
                .words
                .iter()
                .map(|w| {
                    let p = bind(params, format!("% {}%", like_escape(w)));
                    format!("c.search_words LIKE {p} ESCAPE '\\'")
                })
                .collect();
            any.push(format!("({})", all.join(" AND ")));
        }
        if let Some(t) = &self.t9 {
            let p = bind(params, format!("% {}%", like_escape(t)));
            any.push(format!("c.search_t9 LIKE {p} ESCAPE '\\'"));
        }
        if !self.digits.is_empty() {
            let ors: Vec<String> = self
                .digits
                .iter()
                .map(|d| {
                    let p = bind(params, format!("%{}%", like_escape(d)));
                    format!("p1.digits LIKE {p} ESCAPE '\\'")
                })
                .collect();
            any.push(format!(
                "EXISTS (SELECT 1 FROM phones p1 WHERE p1.contact_id = c.id AND ({}))",
                ors.join(" OR ")
            ));
        }
        if !any.is_empty() {
            clauses.push(format!("({})", any.join(" OR ")));
        }
        if !self.ranges.is_empty() {
            let ors: Vec<String> = self
                .ranges
                .iter()
                .map(|r| {
                    let from = bind(params, r.from.clone());
                    match &r.to {
                        Some(to) => {
                            let to = bind(params, to.clone());
                            format!("(c.sort_name >= {from} AND c.sort_name < {to})")
                        }
                        None => format!("c.sort_name >= {from}"),
                    }
                })
                .collect();
            clauses.push(format!("({})", ors.join(" OR ")));
        }
        clauses.join(" AND ")
    }
}

/// One number of a listed contact, with the names it is shown under.
#[derive(Clone, Debug)]
pub struct EntryRow {
    pub contact_id: ContactId,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub phone: Phone,
    /// How many numbers the contact has in all.
    pub numbers_of_contact: i64,
}

/// Writes a contact's search keys. Called by `store::contacts::insert` and `update` in the same
/// transaction, so the keys always match the names.
pub fn index_contact(
    tx: &Connection,
    id: ContactId,
    first: &str,
    last: &str,
    company: &str,
) -> Result<()> {
    let k = phonebook::search_keys(first, last, company);
    let mut st = tx.prepare_cached(
        "UPDATE contacts SET sort_name = ?2, search_words = ?3, search_t9 = ?4 WHERE id = ?1",
    )?;
    st.execute(params![id.0, k.sort_name, k.words, k.t9])?;
    Ok(())
}

/// Computes the keys of up to `limit` contacts that have none yet (stored before the keys existed);
/// returns how many it did.
pub fn index_missing(tx: &Connection, limit: usize) -> Result<usize> {
    let rows: Vec<(i64, String, String, String)> = {
        let mut st = tx.prepare(
            "SELECT id, first_name, last_name, company FROM contacts WHERE sort_name IS NULL LIMIT ?1",
        )?;
        let rows = st.query_map([limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (id, first, last, company) in &rows {
        index_contact(tx, ContactId(*id), first, last, company)?;
    }
    Ok(rows.len())
}

impl Reader {
    /// The numbers of matching contacts in name order (then the contact's own order of numbers),
    /// `limit` rows from `offset`.
    pub fn directory_entries(
        &self,
        filter: &Filter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<EntryRow>> {
        let mut values = Vec::new();
        let cond = filter.where_sql(&mut values);
        values.push(Value::Integer(limit as i64));
        let lim = values.len();
        values.push(Value::Integer(offset as i64));
        let off = values.len();
        let sql = format!(
            "SELECT c.id, c.first_name, c.last_name, c.company, p.kind, p.raw, p.e164,
                    (SELECT count(*) FROM phones q WHERE q.contact_id = c.id)
             FROM contacts c JOIN phones p ON p.contact_id = c.id
             WHERE {cond}
             ORDER BY c.sort_name, c.id, p.position, p.id
             LIMIT ?{lim} OFFSET ?{off}"
        );
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map(params_from_iter(values), |r| {
            let kind: String = r.get(4)?;
            Ok(EntryRow {
                contact_id: ContactId(r.get(0)?),
                first_name: r.get(1)?,
                last_name: r.get(2)?,
                company: r.get(3)?,
                phone: Phone {
                    kind: PhoneKind::parse(&kind).unwrap_or(PhoneKind::Other),
                    number: r.get(5)?,
                    e164: r.get(6)?,
                },
                numbers_of_contact: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Matching contacts with their numbers in name order, after the (sort name, id) `after`, at most
    /// `limit`: keyset paging, so listing every contact stays linear however long the list is.
    pub fn directory_contacts(
        &self,
        filter: &Filter,
        after: Option<&(String, ContactId)>,
        limit: usize,
    ) -> Result<Vec<(String, Contact)>> {
        let mut values = Vec::new();
        let mut cond = filter.where_sql(&mut values);
        if let Some((name, id)) = after {
            values.push(Value::Text(name.clone()));
            let n = values.len();
            values.push(Value::Integer(id.0));
            cond.push_str(&format!(" AND (c.sort_name, c.id) > (?{n}, ?{})", n + 1));
        }
        values.push(Value::Integer(limit as i64));
        let sql = format!(
            "SELECT c.id, IFNULL(c.sort_name, '') FROM contacts c WHERE {cond}
             ORDER BY c.sort_name, c.id LIMIT ?{}",
            values.len()
        );
        let ids: Vec<(i64, String)> = {
            let mut st = self.conn().prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut out = Vec::with_capacity(ids.len());
        for (id, sort_name) in ids {
            if let Some(c) = self.contact(ContactId(id))? {
                out.push((sort_name, c));
            }
        }
        Ok(out)
    }

    /// Whether any contact matches (to show only the A–Z groups that have someone in them).
    pub fn directory_any(&self, filter: &Filter) -> Result<bool> {
        let mut values = Vec::new();
        let cond = filter.where_sql(&mut values);
        let sql = format!("SELECT EXISTS (SELECT 1 FROM contacts c WHERE {cond})");
        let mut st = self.conn().prepare_cached(&sql)?;
        Ok(st.query_row(params_from_iter(values), |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::{self, NewContact, NewPhone};
    use crate::number::NumberModel;
    use crate::store::{migrate, Store};

    fn temp_db(tag: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ringbook-directory-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("t.db")
    }

    fn person(first: &str, last: &str, company: &str, numbers: &[&str]) -> NewContact {
        NewContact {
            first_name: first.into(),
            last_name: last.into(),
            company: company.into(),
            phones: numbers
                .iter()
                .map(|n| NewPhone {
                    kind: PhoneKind::Office,
                    raw: n.to_string(),
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn filters_search_words_t9_digits_and_ranges() {
        let path = temp_db("filters");
        let store = Store::open(&path).unwrap();
        let model = NumberModel {
            area_code: "30".into(),
            ..NumberModel::default()
        };
        for c in [
            person(
                "Anna",
                "Müller",
                "Bäckerei",
                &["030 1234567", "0151 12345678"],
            ),
            person("Bernd", "Zander", "", &["030 7654321"]),
            person("Иван", "Петров", "", &["+7 495 123-45-67"]),
            person("No", "Number", "", &[]),
        ] {
            contacts::create(&store, &model, c).unwrap();
        }
        let r = store.reader().unwrap();
        let names = |f: &Filter| -> Vec<String> {
            r.directory_contacts(f, None, 100)
                .unwrap()
                .into_iter()
                .map(|(_, c)| c.last_name)
                .collect()
        };
        let f = |words: &[&str], t9: Option<&str>, digits: &[&str]| Filter {
            words: words.iter().map(|s| s.to_string()).collect(),
            t9: t9.map(str::to_string),
            digits: digits.iter().map(|s| s.to_string()).collect(),
            ranges: vec![],
        };
        assert_eq!(names(&Filter::default()), ["Müller", "Zander", "Петров"]);
        assert_eq!(names(&f(&["mu"], None, &[])), ["Müller"]);
        assert_eq!(names(&f(&["mue", "an"], None, &[])), ["Müller"]);
        assert_eq!(names(&f(&["mu", "bernd"], None, &[])), Vec::<String>::new());
        assert_eq!(names(&f(&["иван"], None, &[])), ["Петров"]);
        assert_eq!(names(&f(&[], Some("685537"), &[])), ["Müller"]);
        assert_eq!(names(&f(&[], Some("4225"), &[])), ["Петров"]);
        assert_eq!(names(&f(&[], None, &["7654"])), ["Zander"]);
        assert_eq!(
            names(&f(&["zan"], None, &["301234567"])),
            ["Müller", "Zander"]
        );
        let range = Filter {
            ranges: vec![Range {
                from: "m".into(),
                to: Some("p".into()),
            }],
            ..Filter::default()
        };
        assert_eq!(names(&range), ["Müller"]);
        assert!(r.directory_any(&range).unwrap());
        let entries = r.directory_entries(&Filter::default(), 0, 10).unwrap();
        assert_eq!(entries.len(), 4, "one row per number");
        assert_eq!(entries[0].numbers_of_contact, 2);
        assert_eq!(entries[1].phone.e164.as_deref(), Some("+4915112345678"));
        let page2 = r.directory_entries(&Filter::default(), 2, 1).unwrap();
        assert_eq!(page2[0].last_name, "Zander");
        // Keyset paging returns every contact once.
        let first = r.directory_contacts(&Filter::default(), None, 2).unwrap();
        let after = (first[1].0.clone(), first[1].1.id);
        let rest = r
            .directory_contacts(&Filter::default(), Some(&after), 2)
            .unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].1.last_name, "Петров");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn renaming_a_contact_moves_its_search_keys() {
        let path = temp_db("rename");
        let store = Store::open(&path).unwrap();
        let model = NumberModel::default();
        let id = contacts::create(
            &store,
            &model,
            person("Anna", "Müller", "", &["+49301234567"]),
        )
        .unwrap();
        let r = store.reader().unwrap();
        let t9 = |k: &str| Filter {
            t9: Some(k.into()),
            ..Filter::default()
        };
        assert!(r.directory_any(&t9("685537")).unwrap());
        contacts::update(
            &store,
            &model,
            id,
            person("Anna", "Schäfer", "", &["+49301234567"]),
        )
        .unwrap();
        assert!(!r.directory_any(&t9("685537")).unwrap());
        assert!(r.directory_any(&t9("7242337")).unwrap());
        let listed = r.directory_contacts(&Filter::default(), None, 10).unwrap();
        assert_eq!(listed[0].0, "schafer, anna");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn contacts_stored_before_the_keys_existed_are_indexed() {
        let path = temp_db("backfill");
        {
            let mut conn = Connection::open(&path).unwrap();
            // The schema as it was before the phone-book keys, with one contact in it.
            let before = migrate::MIGRATIONS
                .iter()
                .position(|m| m.contains("search_t9"))
                .unwrap();
            migrate::run_to(&mut conn, before as i64).unwrap();
            conn.execute(
                "INSERT INTO contacts(first_name, last_name, created_at, updated_at) VALUES ('Jürgen', 'Öztürk', 0, 0)",
                [],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO phones(contact_id, kind, raw, digits, rdigits) VALUES (1, 'office', '123', '123', '321')",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let r = store.reader().unwrap();
        let t9 = Filter {
            t9: Some("698875".into()),
            ..Filter::default()
        };
        assert!(!r.directory_any(&t9).unwrap());
        assert_eq!(phonebook::index_missing(&store).unwrap(), 1);
        assert!(r.directory_any(&t9).unwrap());
        assert_eq!(phonebook::index_missing(&store).unwrap(), 0);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
