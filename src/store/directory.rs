//! SQL for the phone books: contacts with numbers in name order, filtered by folded name words, T9 keys,
//! number digits and A–Z ranges of the sort name, plus the search keys kept beside each contact.
//!
//! The keys (`contacts.sort_name`, `search_words`, `search_t9`) are computed by
//! `phonebook::search_keys` and written here on every insert and update of a contact, so they can never
//! disagree with the names. Browsing and paging in name order use the `contacts_by_sort_name` index.
//!
//! Word searches (here and the call log's search by name) go through `contact_words`, one row per
//! (folded word, contact), which triggers keep in step with `search_words` (schema step 10): a prefix
//! is a range scan of its primary key, so a name found among a million contacts costs a few index
//! steps instead of a `LIKE` over every contact. Only the rarest typed word goes through the index;
//! the others are checked with `LIKE` on the few contacts it leaves. T9 keys stay a `LIKE` scan:
//! every T9 search is also a search of the numbers' digits for a substring, which scans anyway.

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

/// From this many index rows for its rarest word on, a phone-book search stops driving from the word
/// index (reading and sorting every hit) and walks the name order with a `LIKE` on each contact, as
/// before the index: with that many hits a page usually fills after a few rows (1M demo contacts:
/// `a` 0.3 ms that way, 48 ms through the index).
const BROAD: i64 = 3_000;

/// The end of the range of words starting with `prefix`: no character sorts after U+10FFFF.
pub(super) fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// How many `contact_words` rows start with `prefix`, counting no further than `cap`.
fn word_hits(conn: &Connection, prefix: &str, cap: i64) -> Result<i64> {
    let mut st = conn.prepare_cached(
        "SELECT count(*) FROM (SELECT 1 FROM contact_words WHERE word >= ?1 AND word < ?2 LIMIT ?3)",
    )?;
    Ok(st.query_row(params![prefix, prefix_end(prefix), cap], |r| r.get(0))?)
}

/// The typed words rarest first (hits counted up to `cap`, longer first on a tie), with the hits of
/// the first: the rarest word drives a search and the others only filter what it found.
pub(super) fn rarest_first(
    conn: &Connection,
    words: &[String],
    cap: i64,
) -> Result<(Vec<String>, i64)> {
    let mut ranked = Vec::with_capacity(words.len());
    for w in words {
        ranked.push((word_hits(conn, w, cap)?, w.clone()));
    }
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.len().cmp(&a.1.len())));
    let hits = ranked.first().map_or(0, |r| r.0);
    Ok((ranked.into_iter().map(|r| r.1).collect(), hits))
}

/// `search_words LIKE` patterns for words checked on contacts already found by another word.
pub(super) fn word_like(word: &str) -> String {
    format!("% {}%", like_escape(word))
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

impl Filter {
    /// The WHERE clause over `contacts c`, pushing its parameters (numbered `?N`) onto `params`.
    /// `words` are this filter's words rarest first and whether even the rarest is [`BROAD`]
    /// (see [`Reader::ranked_words`]).
    fn where_sql(&self, params: &mut Vec<Value>, words: &(Vec<String>, bool)) -> String {
        let bind = |params: &mut Vec<Value>, v: String| {
            params.push(Value::Text(v));
            format!("?{}", params.len())
        };
        let mut clauses =
            vec!["EXISTS (SELECT 1 FROM phones p0 WHERE p0.contact_id = c.id)".to_string()];
        let mut any = Vec::new();
        if let Some((first, rest)) = words.0.split_first() {
            let like = |params: &mut Vec<Value>, w: &str| {
                let p = bind(params, word_like(w));
                format!("c.search_words LIKE {p} ESCAPE '\\'")
            };
            let mut all = Vec::new();
            if words.1 {
                // Even the rarest word is broad: walking the name order and checking each contact
                // fills a page after a few rows, where reading every hit first would take longer.
                all.push(like(params, first));
            } else {
                let from = bind(params, first.clone());
                let to = bind(params, prefix_end(first));
                all.push(format!(
                    "c.id IN (SELECT w.contact_id FROM contact_words w WHERE w.word >= {from} AND w.word < {to})"
                ));
            }
            for w in rest {
                all.push(like(params, w));
            }
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
    /// The filter's words rarest first, and whether the rarest is broad (see [`BROAD`]).
    fn ranked_words(&self, filter: &Filter) -> Result<(Vec<String>, bool)> {
        if filter.words.is_empty() {
            return Ok((Vec::new(), false));
        }
        let (words, hits) = rarest_first(self.conn(), &filter.words, BROAD)?;
        Ok((words, hits >= BROAD))
    }

    /// The numbers of matching contacts in name order (then the contact's own order of numbers),
    /// `limit` rows from `offset`.
    pub fn directory_entries(
        &self,
        filter: &Filter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<EntryRow>> {
        let mut values = Vec::new();
        let words = self.ranked_words(filter)?;
        let cond = filter.where_sql(&mut values, &words);
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
        let words = self.ranked_words(filter)?;
        let mut cond = filter.where_sql(&mut values, &words);
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
        let words = self.ranked_words(filter)?;
        let cond = filter.where_sql(&mut values, &words);
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

    /// The word index behind the name searches follows every insert, rename and delete of a contact,
    /// and the call log's search finds through it what the `LIKE` over `search_words` found.
    #[test]
    fn the_word_index_follows_insert_update_and_delete() {
        let path = temp_db("words");
        let store = Store::open(&path).unwrap();
        let model = NumberModel::default();
        let id = contacts::create(
            &store,
            &model,
            person("Anna", "Müller", "Bäckerei", &["+49301234567"]),
        )
        .unwrap();
        let other = contacts::create(&store, &model, person("Bernd", "Anders", "", &[])).unwrap();
        let r = store.reader().unwrap();
        let rows = |id: ContactId| -> Vec<String> {
            let mut st = r
                .conn()
                .prepare("SELECT word FROM contact_words WHERE contact_id = ?1 ORDER BY word")
                .unwrap();
            let words = st.query_map([id.0], |r| r.get(0)).unwrap();
            words.collect::<rusqlite::Result<_>>().unwrap()
        };
        let named = |words: &[&str]| -> Vec<i64> {
            let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            r.contact_ids_by_words(&words, 10).unwrap()
        };
        let listed = |words: &[&str]| -> Vec<String> {
            let f = Filter {
                words: words.iter().map(|w| w.to_string()).collect(),
                ..Filter::default()
            };
            r.directory_contacts(&f, None, 10)
                .unwrap()
                .into_iter()
                .map(|(_, c)| c.last_name)
                .collect()
        };
        assert_eq!(
            rows(id),
            ["anna", "backerei", "baeckerei", "mueller", "muller"]
        );
        assert_eq!(named(&["muller"]), [id.0]);
        assert_eq!(named(&["mue", "ann"]), [id.0]);
        assert_eq!(named(&["an"]), [id.0, other.0], "in id order");
        assert_eq!(named(&["anders", "mu"]), Vec::<i64>::new());
        assert_eq!(listed(&["bae"]), ["Müller"]);
        assert_eq!(
            listed(&["an"]),
            ["Müller"],
            "contacts without numbers are not listed"
        );

        contacts::update(
            &store,
            &model,
            id,
            person("Anna", "Schäfer", "", &["+49301234567"]),
        )
        .unwrap();
        assert_eq!(rows(id), ["anna", "schaefer", "schafer"]);
        assert_eq!(named(&["mu"]), Vec::<i64>::new());
        assert_eq!(named(&["schaf"]), [id.0]);
        assert_eq!(listed(&["mu"]), Vec::<String>::new());
        assert_eq!(listed(&["schae", "a"]), ["Schäfer"]);

        contacts::delete(&store, id).unwrap();
        assert_eq!(rows(id), Vec::<String>::new());
        assert_eq!(named(&["an"]), [other.0]);
        assert_eq!(rows(other), ["anders", "bernd"]);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// The schema step that adds the word index fills it from the contacts already stored.
    #[test]
    fn the_word_index_is_filled_for_stored_contacts() {
        let path = temp_db("words-fill");
        let before = migrate::MIGRATIONS
            .iter()
            .position(|m| m.contains("CREATE TABLE contact_words"))
            .unwrap();
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate::run_to(&mut conn, before as i64).unwrap();
            conn.execute(
                "INSERT INTO contacts(first_name, last_name, created_at, updated_at, sort_name, search_words, search_t9)
                 VALUES ('Jürgen', 'Öztürk', 0, 0, 'ozturk, jurgen', ' jurgen juergen ozturk oeztuerk', '')",
                [],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO contacts(first_name, last_name, created_at, updated_at) VALUES ('No', 'Keys', 0, 0)",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let r = store.reader().unwrap();
        let n: i64 = r
            .conn()
            .query_row("SELECT count(*) FROM contact_words", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 4);
        assert_eq!(r.contact_ids_by_words(&["oez".into()], 10).unwrap(), [1]);
        assert_eq!(
            r.contact_ids_by_words(&["keys".into()], 10).unwrap(),
            Vec::<i64>::new()
        );
        // The contact without keys gets them, and its index rows, from the backfill.
        assert_eq!(phonebook::index_missing(&store).unwrap(), 1);
        assert_eq!(r.contact_ids_by_words(&["keys".into()], 10).unwrap(), [2]);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// A word with more hits than [`BROAD`] is searched by walking the name order; the result is the
    /// same as through the index.
    #[test]
    fn a_broad_word_finds_the_same_contacts_in_name_order() {
        let path = temp_db("broad");
        let store = Store::open(&path).unwrap();
        let model = NumberModel::default();
        let many: Vec<_> = (0..BROAD + 10)
            .map(|i| {
                let c = person(&format!("Zed{i:05}"), "Broad", "", &["+49301234567"]);
                contacts::prepare(&model, c).unwrap()
            })
            .collect();
        contacts::insert_all(&store, many).unwrap();
        contacts::create(&store, &model, person("Bram", "Aal", "", &["+49301234568"])).unwrap();
        let r = store.reader().unwrap();
        let first = |words: &[&str]| -> Vec<String> {
            let f = Filter {
                words: words.iter().map(|w| w.to_string()).collect(),
                ..Filter::default()
            };
            assert_eq!(r.ranked_words(&f).unwrap().1, words == ["br"]);
            r.directory_contacts(&f, None, 3)
                .unwrap()
                .into_iter()
                .map(|(_, c)| format!("{} {}", c.first_name, c.last_name))
                .collect()
        };
        assert_eq!(
            first(&["br"]),
            ["Bram Aal", "Zed00000 Broad", "Zed00001 Broad"]
        );
        assert_eq!(first(&["br", "zed00002"]), ["Zed00002 Broad"]);
        assert_eq!(first(&["bram"]), ["Bram Aal"]);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
