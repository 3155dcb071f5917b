//! SQL for the phone books: contacts with numbers in name order, filtered by folded name words, T9 keys,
//! number digits and A–Z ranges of the sort name, plus the search keys kept beside each contact.
//!
//! The keys (`contacts.sort_name`, `search_words`, `search_t9`) are computed by
//! `phonebook::search_keys` and written here on every insert and update of a contact, so they can never
//! disagree with the names. Browsing and paging in name order use the `contacts_by_name_words` index,
//! which also holds the words, so a search that walks the name order checks them without reading each
//! contact's row (schema step 17).
//!
//! Word searches (the phone books', the contact search's and the call log's search by name) go
//! through `contact_words`, an FTS5 index of `search_words` (schema step 10) written beside the
//! column in the same transaction, and by every delete of a contact: each typed word is a prefix
//! there (a short one a prefix query, a longer one the terms it starts, see [`word_query`]), so a
//! name among a million contacts costs a millisecond instead of a `LIKE` over every contact. FTS5
//! writes a transaction's words as one sorted segment, so contact writes don't pay for random index
//! inserts.
//! A word that thousands of contacts match is read in name order instead: from `contact_name_terms`
//! (schema steps 18–19: term, sort name, contact) when it became a few exact terms, else by walking
//! the name order (see [`Plan`]). That table is a B-tree written at random places on every contact
//! insert, the cost FTS5 avoids; it is what makes a surname's page cost a millisecond wherever the
//! surname sorts.
//! Words the index can't answer exactly (see [`word_search`]) fall back to the `LIKE '% word%'` scan;
//! the answer is the same either way. T9 keys stay a `LIKE` scan: every T9 search is also a substring
//! search of the numbers' digits, which scans anyway.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

use super::{Reader, Result};
use crate::contacts::{Contact, ContactId, Phone, PhoneKind};
use crate::phonebook;

/// A half-open range `[from, to)` of folded sort names; no `to` means to the end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Range {
    pub from: String,
    pub to: Option<String>,
}

/// Which contacts a phone-book query returns. Contacts without numbers are listed only with
/// `numberless` (a phone book has nothing to dial for them). A contact matches when all `words`
/// match, or `t9` matches, or one of `digits` does (only the parts that are set count; none set
/// means every contact); and, if `ranges` are given, its sort name is in one.
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
    /// Contacts without numbers match too (the admin UI's and 3CX's contact search).
    pub numberless: bool,
    /// Matches no contact: a search typed with nothing to search for (a `*` or a `-` from a phone's
    /// keypad), which must find nothing rather than everything.
    pub nothing: bool,
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// `search_words LIKE` pattern: `word` starts one of the words.
pub(super) fn word_like(word: &str) -> String {
    format!("% {}%", like_escape(word))
}

/// How typed words are looked up in the word index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum WordSearch {
    /// An FTS5 query over `contact_words`: every word a quoted prefix term, all of them required.
    Match(String),
    /// A word has an ASCII character other than a letter, digit or space: no stored word has one
    /// (`search_words` holds only letters and digits between its spaces), so nothing matches.
    Nothing,
    /// A word the index can't answer exactly (empty, or with a space in it): the `LIKE` scan.
    Scan,
}

/// Reads typed (folded) words for the word index, so that it finds exactly what
/// `search_words LIKE '% word%'` finds for each word. The `ascii` tokenizer splits at every ASCII
/// character that is not a letter or digit and keeps non-ASCII ones, and folds ASCII case as `LIKE`
/// does; so a word of letters, digits and non-ASCII characters is one token on both sides.
pub(super) fn word_search(words: &[String]) -> WordSearch {
    if words.is_empty() {
        return WordSearch::Scan;
    }
    let odd = |c: char| c.is_ascii() && !c.is_ascii_alphanumeric() && c != ' ';
    if words.iter().any(|w| w.chars().any(odd)) {
        return WordSearch::Nothing;
    }
    if words.iter().any(|w| w.is_empty() || w.contains(' ')) {
        return WordSearch::Scan;
    }
    let terms: Vec<String> = words
        .iter()
        .map(|w| format!("{}*", fts_string(w)))
        .collect();
    WordSearch::Match(terms.join(" AND "))
}

/// FTS5 keeps prefix indexes for prefixes of up to this many characters (schema step 10): a typed
/// word this short is a prefix query read in order from one of them.
const PREFIX_INDEXED: usize = 3;

/// A longer typed word becomes the exact index terms that start with it, up to this many; a word
/// that starts more terms stays a prefix query.
const MAX_TERMS: usize = 64;

/// The quoted FTS5 string for one term or prefix.
fn fts_string(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The index terms FTS5's `ascii` tokenizer makes of `search_words`: split at every ASCII character
/// that is not a letter or digit, ASCII letters in lower case. `contact_word_terms` holds them.
fn index_terms(search_words: &str) -> impl Iterator<Item = String> + '_ {
    search_words
        .split(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_ascii_lowercase)
}

/// [`word_search`] as the index answers it fastest. FTS5 answers a prefix longer than its prefix
/// indexes by merging the whole lists of every term that starts with it before it returns a first
/// row: 13 ms for `rossi*` among 1M demo contacts, where the term `rossi` alone gives its first 200
/// contacts in 0.06 ms. So each such word becomes the terms it starts (from `contact_word_terms`,
/// schema step 11), read as `("rossi" OR "rossini")`, which FTS5 reads in order and stops early; a
/// word that starts no term matches no contact.
pub(super) fn word_query(conn: &Connection, words: &[String]) -> Result<WordSearch> {
    Ok(word_query_terms(conn, words)?.0)
}

/// [`word_query`], and for each typed word the exact terms it became (`None` for a word left a
/// prefix query): a search for a common word reads those terms' contacts in name order
/// ([`Plan::Ordered`]).
fn word_query_terms(
    conn: &Connection,
    words: &[String],
) -> Result<(WordSearch, Vec<Option<Vec<String>>>)> {
    let plan = word_search(words);
    if !matches!(plan, WordSearch::Match(_)) {
        return Ok((plan, Vec::new()));
    }
    // Every string that starts with `?1` sorts from `?1` up to `?1` followed by the last code point.
    let mut st = conn.prepare_cached(
        "SELECT term FROM contact_word_terms
         WHERE term >= ?1 AND term < ?1 || char(1114111) ORDER BY term LIMIT ?2",
    )?;
    let mut parts = Vec::with_capacity(words.len());
    let mut expanded = Vec::with_capacity(words.len());
    for w in words {
        let w = w.to_ascii_lowercase();
        if w.chars().count() <= PREFIX_INDEXED {
            parts.push(format!("{}*", fts_string(&w)));
            expanded.push(None);
            continue;
        }
        let rows = st.query_map(params![w, MAX_TERMS as i64 + 1], |r| r.get::<_, String>(0))?;
        let terms = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        match terms.len() {
            0 => return Ok((WordSearch::Nothing, Vec::new())),
            n if n > MAX_TERMS => {
                parts.push(format!("{}*", fts_string(&w)));
                expanded.push(None);
            }
            _ => {
                let any: Vec<String> = terms.iter().map(|t| fts_string(t)).collect();
                parts.push(format!("({})", any.join(" OR ")));
                expanded.push(Some(terms));
            }
        }
    }
    Ok((WordSearch::Match(parts.join(" AND ")), expanded))
}

/// How a directory query finds its contacts.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Plan {
    /// Over `contacts` in name order, the words checked as [`WordSearch`] says.
    Words(WordSearch),
    /// A common word with a few exact terms (a surname shared by thousands): its contacts are read
    /// in name order from `contact_name_terms`, one ordered range per term merged, and every
    /// condition (all the words included) is checked on each of them. Walking the name order
    /// instead reads every contact that sorts before the word's first one: 73 ms for `santos`
    /// among 1M demo contacts, 120 ms for a Cyrillic surname, against a few for reading them here.
    Ordered(Vec<String>),
}

impl Filter {
    /// The WHERE clause over `contacts c`, pushing its parameters (numbered `?N`) onto `params`.
    /// `words` is how this filter's words are searched (see [`Reader::word_plan`]).
    fn where_sql(&self, params: &mut Vec<Value>, words: &WordSearch) -> String {
        if self.nothing {
            return "0".to_string();
        }
        let bind = |params: &mut Vec<Value>, v: String| {
            params.push(Value::Text(v));
            format!("?{}", params.len())
        };
        let mut clauses = Vec::new();
        if !self.numberless {
            clauses.push("EXISTS (SELECT 1 FROM phones p0 WHERE p0.contact_id = c.id)".to_string());
        }
        let mut any = Vec::new();
        if !self.words.is_empty() {
            match words {
                WordSearch::Match(q) => {
                    let p = bind(params, q.clone());
                    any.push(format!(
                        "c.id IN (SELECT rowid FROM contact_words WHERE contact_words MATCH {p})"
                    ));
                }
                WordSearch::Nothing => any.push("0".to_string()),
                WordSearch::Scan => {
                    let all: Vec<String> = self
                        .words
                        .iter()
                        .map(|w| {
                            let p = bind(params, word_like(w));
                            format!("c.search_words LIKE {p} ESCAPE '\\'")
                        })
                        .collect();
                    any.push(format!("({})", all.join(" AND ")));
                }
            }
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
        if clauses.is_empty() {
            return "1".to_string();
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

/// Writes a contact's search keys, and its words into the word indexes when they or its sort name
/// changed (a mirror refresh rewrites every contact, most of them unchanged). Called by
/// `store::contacts::insert` and `update` in the same transaction, so the keys always match the
/// names.
pub fn index_contact(
    tx: &Connection,
    id: ContactId,
    first: &str,
    last: &str,
    company: &str,
) -> Result<()> {
    let k = phonebook::search_keys(first, last, company);
    let old: Option<(Option<String>, Option<String>)> = tx
        .prepare_cached("SELECT sort_name, search_words FROM contacts WHERE id = ?1")?
        .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let mut st = tx.prepare_cached(
        "UPDATE contacts SET sort_name = ?2, search_words = ?3, search_t9 = ?4 WHERE id = ?1",
    )?;
    let Some((old_sort, old_words)) = old else {
        return Ok(());
    };
    if st.execute(params![id.0, k.sort_name, k.words, k.t9])? == 0 {
        return Ok(());
    }
    let words_kept = old_words.as_deref() == Some(k.words.as_str());
    if words_kept && old_sort.as_deref() == Some(k.sort_name.as_str()) {
        return Ok(());
    }
    if let (Some(sort), Some(words)) = (&old_sort, &old_words) {
        name_terms(tx, false, id, sort, words)?;
    }
    name_terms(tx, true, id, &k.sort_name, &k.words)?;
    if words_kept {
        return Ok(());
    }
    if let Some(old) = old_words {
        // External content: FTS5 removes exactly the words it is handed.
        tx.prepare_cached(
            "INSERT INTO contact_words(contact_words, rowid, search_words) VALUES ('delete', ?1, ?2)",
        )?
        .execute(params![id.0, old])?;
    }
    tx.prepare_cached("INSERT INTO contact_words(rowid, search_words) VALUES (?1, ?2)")?
        .execute(params![id.0, k.words])?;
    // Terms are only added: one whose last contact is gone expands to an empty list.
    let mut add =
        tx.prepare_cached("INSERT OR IGNORE INTO contact_word_terms(term) VALUES (?1)")?;
    for t in index_terms(&k.words) {
        add.execute([t])?;
    }
    Ok(())
}

/// Adds (or removes) a contact's rows in `contact_name_terms`: one per term of its words, under its
/// sort name (see [`Plan::Ordered`]).
fn name_terms(tx: &Connection, add: bool, id: ContactId, sort: &str, words: &str) -> Result<()> {
    let mut st = tx.prepare_cached(if add {
        "INSERT OR IGNORE INTO contact_name_terms(term, sort_name, contact_id) VALUES (?1, ?2, ?3)"
    } else {
        "DELETE FROM contact_name_terms WHERE term = ?1 AND sort_name = ?2 AND contact_id = ?3"
    })?;
    for t in index_terms(words) {
        st.execute(params![t, sort, id.0])?;
    }
    Ok(())
}

/// Removes a contact's words from the word indexes; `store::contacts` calls it on every delete of a
/// contact, before the DELETE, in the same transaction.
pub fn unindex_contact(tx: &Connection, id: ContactId) -> Result<()> {
    let old: Option<(Option<String>, Option<String>)> = tx
        .prepare_cached("SELECT sort_name, search_words FROM contacts WHERE id = ?1")?
        .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((sort, Some(old))) = old else {
        return Ok(());
    };
    if let Some(sort) = sort {
        name_terms(tx, false, id, &sort, &old)?;
    }
    tx.prepare_cached(
        "INSERT INTO contact_words(contact_words, rowid, search_words) VALUES ('delete', ?1, ?2)",
    )?
    .execute(params![id.0, old])?;
    Ok(())
}

/// Indexes the words of every contact anew (FTS5 reads them from `contacts`), after a restore copied
/// the contacts: the index is rebuilt from them rather than copied from FTS5's internal tables.
pub fn rebuild_word_index(tx: &Connection) -> Result<()> {
    tx.execute_batch(
        "INSERT INTO contact_words(contact_words) VALUES ('rebuild');
         DELETE FROM contact_word_terms;
         INSERT INTO contact_word_terms(term) SELECT term FROM contact_words_vocab;",
    )?;
    fill_name_terms(tx)
}

/// Fills `contact_name_terms` from the word index (schema step 19, and after a restore). FTS5's
/// `instance` view lists each term's contacts term by term, so the rows arrive one term's range at a
/// time and each page of the table is written about once: 1M demo contacts (4.1M rows) in 9.5 s at
/// 16 MB, where sorting the rows first in a temporary table took 444 MB (`temp_store=MEMORY`).
pub fn fill_name_terms(tx: &Connection) -> Result<()> {
    tx.execute_batch(
        "DELETE FROM contact_name_terms;
         CREATE VIRTUAL TABLE temp.contact_words_instances
             USING fts5vocab(main, contact_words, 'instance');
         INSERT OR IGNORE INTO contact_name_terms(term, sort_name, contact_id)
             SELECT v.term, c.sort_name, c.id
             FROM temp.contact_words_instances v CROSS JOIN contacts c ON c.id = v.doc
             WHERE c.sort_name IS NOT NULL;
         DROP TABLE temp.contact_words_instances;",
    )?;
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

/// From this many contacts matching the typed words on, a phone-book search reads them in name order
/// ([`Plan::Ordered`], or walking the name order checking each contact's `search_words`, where a page
/// fills after a few rows when they are spread out) instead of reading every hit from the word index
/// and sorting them (1M demo contacts: `b` 0.1 ms walking, 260 ms sorting).
const BROAD: i64 = 3_000;

impl Reader {
    /// How a phone-book search looks for the filter's words: through the word index, unless they
    /// match at least [`BROAD`] contacts. Counting stops there; for prefixes of up to three
    /// characters FTS5 reads the hits in order from its prefix index, so that costs little. So many
    /// contacts are read in name order: from `contact_name_terms` when a word became exact terms
    /// and nothing else (T9 keys, digits) may match instead of the words, else by walking the name
    /// order, where a page fills after a few contacts when the matches are spread out (a short
    /// prefix such as `m`).
    fn word_plan(&self, filter: &Filter) -> Result<Plan> {
        let (plan, expanded) = word_query_terms(self.conn(), &filter.words)?;
        let WordSearch::Match(q) = &plan else {
            return Ok(Plan::Words(plan));
        };
        let mut st = self.conn().prepare_cached(
            "SELECT count(*) FROM (SELECT 1 FROM contact_words WHERE contact_words MATCH ?1 LIMIT ?2)",
        )?;
        let hits: i64 = st.query_row(params![q, BROAD], |r| r.get(0))?;
        if hits < BROAD {
            return Ok(Plan::Words(plan));
        }
        // The longest such word is likely the one with the fewest contacts to check.
        let ordered = (filter.t9.is_none() && filter.digits.is_empty())
            .then(|| {
                filter
                    .words
                    .iter()
                    .zip(expanded)
                    .filter_map(|(w, terms)| terms.map(|t| (w.chars().count(), t)))
                    .max_by_key(|(len, _)| *len)
            })
            .flatten();
        Ok(match ordered {
            Some((_, terms)) => Plan::Ordered(terms),
            None => Plan::Words(WordSearch::Scan),
        })
    }

    /// The (sort name, id) of contacts matching `filter` in name order from `contact_name_terms`
    /// (see [`Plan::Ordered`]): after `after`, `limit` from `offset`. SQLite merges the terms'
    /// ordered ranges (a compound SELECT with an ORDER BY) and stops at the LIMIT.
    fn ordered_ids(
        &self,
        filter: &Filter,
        terms: &[String],
        after: Option<&(String, ContactId)>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<(String, i64)>> {
        let mut values = Vec::new();
        let cond = filter.where_sql(&mut values, &WordSearch::Scan);
        let mut keyset = String::new();
        if let Some((name, id)) = after {
            values.push(Value::Text(name.clone()));
            values.push(Value::Integer(id.0));
            keyset = format!(
                " AND (t.sort_name, t.contact_id) > (?{}, ?{})",
                values.len() - 1,
                values.len()
            );
        }
        let mut arms = Vec::with_capacity(terms.len());
        for term in terms {
            values.push(Value::Text(term.clone()));
            arms.push(format!(
                "SELECT t.sort_name, t.contact_id FROM contact_name_terms t
                 WHERE t.term = ?{}{keyset}
                   AND EXISTS (SELECT 1 FROM contacts c WHERE c.id = t.contact_id AND {cond})",
                values.len()
            ));
        }
        values.push(Value::Integer(limit as i64));
        values.push(Value::Integer(offset as i64));
        let sql = format!(
            "{} ORDER BY 1, 2 LIMIT ?{} OFFSET ?{}",
            arms.join(" UNION "),
            values.len() - 1,
            values.len()
        );
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map(params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
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
        let cond = match self.word_plan(filter)? {
            Plan::Words(words) => filter.where_sql(&mut values, &words),
            Plan::Ordered(terms) => {
                // Every listed contact has a number, so the first `offset + limit` contacts hold
                // the page's entries; their entries are few enough to sort.
                let with_numbers = Filter {
                    numberless: false,
                    ..filter.clone()
                };
                let ids = self.ordered_ids(&with_numbers, &terms, None, 0, offset + limit)?;
                let ids: Vec<i64> = ids.into_iter().map(|(_, id)| id).collect();
                values.push(Value::Text(serde_json::to_string(&ids).unwrap_or_default()));
                "c.id IN (SELECT value FROM json_each(?1))".to_string()
            }
        };
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
        let ids = match self.word_plan(filter)? {
            Plan::Ordered(terms) => self.ordered_ids(filter, &terms, after, 0, limit)?,
            Plan::Words(words) => {
                let mut values = Vec::new();
                let mut cond = filter.where_sql(&mut values, &words);
                if let Some((name, id)) = after {
                    values.push(Value::Text(name.clone()));
                    let n = values.len();
                    values.push(Value::Integer(id.0));
                    cond.push_str(&format!(" AND (c.sort_name, c.id) > (?{n}, ?{})", n + 1));
                }
                values.push(Value::Integer(limit as i64));
                let sql = format!(
                    "SELECT IFNULL(c.sort_name, ''), c.id FROM contacts c WHERE {cond}
                     ORDER BY c.sort_name, c.id LIMIT ?{}",
                    values.len()
                );
                let mut st = self.conn().prepare_cached(&sql)?;
                let rows =
                    st.query_map(params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<rusqlite::Result<_>>()?
            }
        };
        let mut out = Vec::with_capacity(ids.len());
        for (sort_name, id) in ids {
            if let Some(c) = self.contact(ContactId(id))? {
                out.push((sort_name, c));
            }
        }
        Ok(out)
    }

    /// The ids of matching contacts in name order, `limit` from `offset`: a contact search's page.
    pub fn directory_ids(&self, filter: &Filter, offset: usize, limit: usize) -> Result<Vec<i64>> {
        let words = match self.word_plan(filter)? {
            Plan::Ordered(terms) => {
                let ids = self.ordered_ids(filter, &terms, None, offset, limit)?;
                return Ok(ids.into_iter().map(|(_, id)| id).collect());
            }
            Plan::Words(words) => words,
        };
        let mut values = Vec::new();
        let cond = filter.where_sql(&mut values, &words);
        values.push(Value::Integer(limit as i64));
        values.push(Value::Integer(offset as i64));
        let sql = format!(
            "SELECT c.id FROM contacts c WHERE {cond} ORDER BY c.sort_name, c.id LIMIT ?{} OFFSET ?{}",
            values.len() - 1,
            values.len()
        );
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map(params_from_iter(values), |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whether any contact matches (to show only the A–Z groups that have someone in them).
    pub fn directory_any(&self, filter: &Filter) -> Result<bool> {
        let words = match self.word_plan(filter)? {
            Plan::Ordered(terms) => {
                return Ok(!self.ordered_ids(filter, &terms, None, 0, 1)?.is_empty())
            }
            Plan::Words(words) => words,
        };
        let mut values = Vec::new();
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
        crate::store::test_dir(&format!("directory-{tag}")).join("t.db")
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

    /// A store for a Berlin office (area code 30) holding `people`.
    fn office_with<const N: usize>(
        tag: &str,
        people: [NewContact; N],
    ) -> (std::path::PathBuf, Store) {
        let path = temp_db(tag);
        let store = Store::open(&path).unwrap();
        let model = NumberModel {
            area_code: "30".into(),
            ..NumberModel::default()
        };
        for c in people {
            contacts::create(&store, &model, c).unwrap();
        }
        (path, store)
    }

    #[test]
    fn filters_search_words_t9_digits_and_ranges() {
        let (path, store) = office_with(
            "filters",
            [
                person(
                    "Anna",
                    "Müller",
                    "Bäckerei",
                    &["030 1234567", "0151 12345678"],
                ),
                person("Bernd", "Zander", "", &["030 7654321"]),
                person("Иван", "Петров", "", &["+7 495 123-45-67"]),
                person("No", "Number", "", &[]),
            ],
        );
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
            numberless: false,
            nothing: false,
        };
        assert_eq!(names(&Filter::default()), ["Müller", "Zander", "Петров"]);
        let nothing = Filter {
            nothing: true,
            ..Filter::default()
        };
        assert!(names(&nothing).is_empty());
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
                .position(|m| m.sql().contains("search_t9"))
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

    /// What the name searches found before the word index: a `LIKE` scan of `search_words`, ids in
    /// order (`listed`: only contacts with numbers, in name order, as the phone books list them).
    fn scanned(r: &Reader, words: &[&str], listed: bool, limit: usize) -> Vec<i64> {
        let order = if listed {
            " AND EXISTS (SELECT 1 FROM phones p WHERE p.contact_id = c.id) ORDER BY c.sort_name, c.id"
        } else {
            " ORDER BY c.id"
        };
        scan(r, words, &format!("{order} LIMIT {limit}"))
    }

    /// Every contact whose words start with `words`, numbers or not, in name order: what a contact
    /// search's page must hold.
    fn scanned_by_name(r: &Reader, words: &[&str], offset: usize, limit: usize) -> Vec<i64> {
        scan(
            r,
            words,
            &format!(" ORDER BY c.sort_name, c.id LIMIT {limit} OFFSET {offset}"),
        )
    }

    /// The ids of the contacts whose `search_words` start a word with each of `words`, then `rest`.
    fn scan(r: &Reader, words: &[&str], rest: &str) -> Vec<i64> {
        let mut sql = String::from("SELECT c.id FROM contacts c WHERE 1 = 1");
        for i in 1..=words.len() {
            sql.push_str(&format!(" AND c.search_words LIKE ?{i} ESCAPE '\\'"));
        }
        sql.push_str(rest);
        let mut st = r.conn().prepare(&sql).unwrap();
        let rows = st
            .query_map(params_from_iter(words.iter().map(|w| word_like(w))), |r| {
                r.get(0)
            })
            .unwrap();
        rows.collect::<rusqlite::Result<_>>().unwrap()
    }

    /// Checks both word searches against the scan for many typed words, odd ones included.
    fn same_as_scan(r: &Reader) {
        let queries: &[&[&str]] = &[
            &["a"],
            &["an"],
            &["ann"],
            &["mu"],
            &["mue", "an"],
            &["MU"],
            &["muller"],
            &["mullerx"],
            &["bae"],
            &["b", "a"],
            &["anders", "mu"],
            &["иван"],
            &["и"],
            &["Иван"],
            &["o"],
            &["ob"],
            &["o'b"],
            &["obrien", "o"],
            &["jean-luc"],
            &["jeanluc"],
            &["anna mu"],
            &["a", ""],
            &["%"],
            &["_"],
            &["\""],
            &["x\"y"],
            &["7"],
            &["2nd"],
        ];
        for words in queries {
            let owned: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            for limit in [1, 2, 100] {
                assert_eq!(
                    r.contact_ids_by_words(&owned, limit).unwrap(),
                    scanned(r, words, false, limit),
                    "call log search {words:?}, limit {limit}"
                );
            }
            let f = Filter {
                words: owned.clone(),
                ..Filter::default()
            };
            let listed: Vec<i64> = r
                .directory_contacts(&f, None, 100)
                .unwrap()
                .into_iter()
                .map(|(_, c)| c.id.0)
                .collect();
            let expected = scanned(r, words, true, 100);
            assert_eq!(listed, expected, "phone book search {words:?}");
            assert_eq!(r.directory_any(&f).unwrap(), !expected.is_empty());
        }
    }

    /// The word index behind the name searches follows every insert, rename and delete of a contact
    /// (a mirror replace included) and finds exactly what the `LIKE` scan over `search_words` found.
    #[test]
    fn the_word_index_finds_what_the_scan_found() {
        let path = temp_db("words");
        let store = Store::open(&path).unwrap();
        let model = NumberModel::default();
        let anna = contacts::create(
            &store,
            &model,
            person("Anna", "Müller", "Bäckerei", &["+49301234567"]),
        )
        .unwrap();
        let mut ids = vec![anna];
        for c in [
            person("Bernd", "Anders", "", &[]),
            person("Иван", "Петров", "", &["+74951234567"]),
            person("Sean", "O'Brien", "2nd Floor", &["+353112345"]),
            person("Jean-Luc", "Picard", "", &["+33123456789"]),
            person("", "", "Anna & Anders GmbH", &["+49301234568"]),
            person("", "", "&", &["+49301234569"]),
        ] {
            ids.push(contacts::create(&store, &model, c).unwrap());
        }
        let r = store.reader().unwrap();
        same_as_scan(&r);

        contacts::update(
            &store,
            &model,
            anna,
            person("Anna", "Schäfer", "", &["+49301234567"]),
        )
        .unwrap();
        let named = |w: &str| r.contact_ids_by_words(&[w.to_string()], 10).unwrap();
        assert_eq!(named("mu"), Vec::<i64>::new(), "the old name is gone");
        assert_eq!(named("schae"), [anna.0]);
        same_as_scan(&r);

        contacts::delete(&store, ids[2]).unwrap();
        assert_eq!(named("iv"), Vec::<i64>::new(), "a deleted contact is gone");
        same_as_scan(&r);

        // A mirror replace updates the contacts still upstream and deletes the others.
        let mirrored = |first: &str, upstream: &str| {
            let mut c = person(first, "Mirror", "", &["+49301234570"]);
            c.source = "propstack".into();
            c.upstream_id = Some(upstream.into());
            contacts::prepare(&model, c).unwrap()
        };
        let batch = vec![mirrored("Ulla", "u1"), mirrored("Vera", "u2")];
        store
            .write(move |tx| crate::store::contacts::mirror_replace(tx, "propstack", &batch))
            .unwrap();
        assert_eq!(named("mirror").len(), 2);
        let batch = vec![mirrored("Wanda", "u1")];
        store
            .write(move |tx| crate::store::contacts::mirror_replace(tx, "propstack", &batch))
            .unwrap();
        assert_eq!(named("mirror").len(), 1);
        assert_eq!(named("vera"), Vec::<i64>::new());
        assert_eq!(named("wan").len(), 1);
        same_as_scan(&r);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// The schema step that adds the word index fills it from the contacts already stored, and a
    /// contact without keys yet gets into it when the backfill computes them.
    #[test]
    fn the_word_index_is_filled_for_stored_contacts() {
        let path = temp_db("words-fill");
        let before = migrate::MIGRATIONS
            .iter()
            .position(|m| m.sql().contains("USING fts5"))
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
        let named = |w: &str| r.contact_ids_by_words(&[w.to_string()], 10).unwrap();
        assert_eq!(named("oez"), [1]);
        // Longer words need the terms that schema step 11 took from the index.
        assert_eq!(named("oeztu"), [1]);
        assert_eq!(named("jurgen"), [1]);
        assert_eq!(named("keys"), Vec::<i64>::new());
        assert_eq!(phonebook::index_missing(&store).unwrap(), 1);
        assert_eq!(named("keys"), [2]);
        same_as_scan(&r);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// With more contacts than the phone books' [`BROAD`], a common word (the phone books walk the
    /// name order) and a rare one (read from the index) find the same contacts as the scan.
    #[test]
    fn common_and_rare_words_find_what_the_scan_found() {
        let path = temp_db("many");
        let store = Store::open(&path).unwrap();
        let model = NumberModel::default();
        let many: Vec<_> = (0..10_100)
            .map(|i| {
                let (first, numbers): (String, &[&str]) = match i % 1000 {
                    7 => ("Rare".into(), &["+49301234567"]),
                    _ if i % 3 == 0 => (format!("Zed{i}"), &["+49301234568"]),
                    _ => (format!("Zed{i}"), &[]),
                };
                contacts::prepare(&model, person(&first, "Broad", "", numbers)).unwrap()
            })
            .collect();
        contacts::insert_all(&store, many).unwrap();
        let r = store.reader().unwrap();
        for words in [
            &["broad"][..],
            &["rare"],
            &["rare", "broad"],
            &["zed1"],
            &["zed10099"],
            &["nobody"],
        ] {
            let owned: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            let found = r.contact_ids_by_words(&owned, 200).unwrap();
            assert_eq!(found, scanned(&r, words, false, 200), "{words:?}");
            let f = Filter {
                words: owned,
                ..Filter::default()
            };
            let listed: Vec<i64> = r
                .directory_contacts(&f, None, 20)
                .unwrap()
                .into_iter()
                .map(|(_, c)| c.id.0)
                .collect();
            assert_eq!(listed, scanned(&r, words, true, 20), "{words:?}");
            // A contact search lists contacts without numbers too, and pages by offset.
            let f = Filter {
                numberless: true,
                ..f
            };
            let page = r.directory_ids(&f, 5, 20).unwrap();
            assert_eq!(page, scanned_by_name(&r, words, 5, 20), "{words:?}");
        }
        let rare = r.contact_ids_by_words(&["rare".into()], 200).unwrap();
        assert_eq!(rare.len(), 11, "past the first 10,000 contacts too");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// A surname thousands share is read in name order from `contact_name_terms`: what it finds
    /// (every way of asking: a contact search's pages, a phone book's contacts and entries, the
    /// A–Z groups) is what the `LIKE` scan finds, also for contacts who have the word as a first
    /// name or in a company (not beside the surname's block), a prefix that is two terms, and
    /// after renames and deletes.
    #[test]
    fn a_common_surname_is_read_in_name_order_from_its_terms() {
        let path = temp_db("ordered");
        let store = Store::open(&path).unwrap();
        let model = NumberModel::default();
        let firsts = ["Ana", "Bruno", "Carla", "Zoe", "Ivo", "Maria"];
        let mut people: Vec<_> = (0..4_000)
            .map(|i| {
                let first = format!("{}{i}", firsts[i % firsts.len()]);
                let numbers: &[&str] = match i % 4 {
                    0 => &[],
                    1 => &["+49301234567", "+491511234567"],
                    _ => &["+49301234568"],
                };
                let company = if i % 8 == 0 { "" } else { "Grupo Sol" };
                person(&first, "Santos", company, numbers)
            })
            .collect();
        people.extend([
            person("Santos", "Abreu", "", &["+4930111"]),
            person("Santos", "Zuniga", "", &["+4930222"]),
            person("Lia", "Almeida", "Santos & Filhos", &["+4930333"]),
            person("Rui", "Santosa", "", &["+4930444"]),
            person("Eva", "Santos", "Santosa Ltda", &["+4930555"]),
            person("Other", "Person", "", &["+4930666"]),
        ]);
        let prepared = people
            .into_iter()
            .map(|c| contacts::prepare(&model, c).unwrap())
            .collect();
        contacts::insert_all(&store, prepared).unwrap();
        let check = |r: &Reader, words: &[&str]| {
            let owned: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            let f = Filter {
                words: owned,
                ..Filter::default()
            };
            assert!(
                matches!(r.word_plan(&f).unwrap(), Plan::Ordered(_)),
                "{words:?}"
            );
            let all = scanned_by_name(r, words, 0, 10_000);
            assert!(all.len() > BROAD as usize, "{words:?}");
            let numberless = Filter {
                numberless: true,
                ..f.clone()
            };
            for (offset, limit) in [(0, 50), (1, 7), (2_000, 50), (all.len() - 3, 50)] {
                let page = r.directory_ids(&numberless, offset, limit).unwrap();
                assert_eq!(page, scanned_by_name(r, words, offset, limit), "{words:?}");
            }
            // A phone book lists the contacts with numbers, page after page.
            let mut listed = Vec::new();
            let mut after = None;
            loop {
                let page = r.directory_contacts(&f, after.as_ref(), 500).unwrap();
                let Some((name, last)) = page.last() else {
                    break;
                };
                after = Some((name.clone(), last.id));
                listed.extend(page.iter().map(|(_, c)| c.id.0));
            }
            assert_eq!(listed, scanned(r, words, true, 10_000), "{words:?}");
            // One entry per number, in name order and then the contact's order of numbers.
            let entries = |offset: usize, limit: usize| -> Vec<(i64, String)> {
                r.directory_entries(&f, offset, limit)
                    .unwrap()
                    .into_iter()
                    .map(|e| (e.contact_id.0, e.phone.number))
                    .collect()
            };
            let mut sql = String::from(
                "SELECT c.id, p.raw FROM contacts c JOIN phones p ON p.contact_id = c.id WHERE 1 = 1",
            );
            for i in 1..=words.len() {
                sql.push_str(&format!(" AND c.search_words LIKE ?{i} ESCAPE '\\'"));
            }
            sql.push_str(" ORDER BY c.sort_name, c.id, p.position, p.id");
            let mut st = r.conn().prepare(&sql).unwrap();
            let every: Vec<(i64, String)> = st
                .query_map(params_from_iter(words.iter().map(|w| word_like(w))), |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            for (offset, limit) in [(0, 20), (3, 20), (1_500, 40), (every.len() - 5, 20)] {
                let want: Vec<_> = every.iter().skip(offset).take(limit).cloned().collect();
                assert_eq!(entries(offset, limit), want, "{words:?} from {offset}");
            }
            // The A–Z groups: someone under S, and nobody between "t" and "u".
            let range = |from: &str, to: &str| Filter {
                ranges: vec![Range {
                    from: from.into(),
                    to: Some(to.into()),
                }],
                ..f.clone()
            };
            assert!(r.directory_any(&range("s", "t")).unwrap());
            assert!(!r.directory_any(&range("t", "u")).unwrap());
        };
        let r = store.reader().unwrap();
        check(&r, &["santos"]);
        // Two common words: one is read in name order, the other checked on each contact.
        check(&r, &["santos", "grupo"]);
        // Renamed out of the surname, into it, and deleted: the terms follow the names.
        let rename = |id: i64, c: NewContact| {
            contacts::update(&store, &model, ContactId(id), c).unwrap();
        };
        let first = scanned_by_name(&r, &["santos"], 0, 1)[0];
        rename(first, person("Ana0", "Silva", "", &["+4930777"]));
        let other = scanned_by_name(&r, &["person"], 0, 1)[0];
        rename(other, person("Olga", "Santos", "", &["+4930888"]));
        let last = *scanned_by_name(&r, &["santos"], 0, 10_000).last().unwrap();
        contacts::delete(&store, ContactId(last)).unwrap();
        let r = store.reader().unwrap();
        let now = r
            .directory_ids(
                &Filter {
                    words: vec!["santos".into()],
                    numberless: true,
                    ..Filter::default()
                },
                0,
                10_000,
            )
            .unwrap();
        assert!(!now.contains(&first) && now.contains(&other) && !now.contains(&last));
        check(&r, &["santos"]);
        // T9 keys or digits may match instead of the words: those are walked.
        let digits = Filter {
            words: vec!["santos".into()],
            digits: vec!["555".into()],
            ..Filter::default()
        };
        assert_eq!(r.word_plan(&digits).unwrap(), Plan::Words(WordSearch::Scan));
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// What schema step 19 and a restore write into `contact_name_terms` from the word index is
    /// exactly what the store wrote beside each contact: the same rows, so a database migrated from
    /// before the table searches as one written since.
    #[test]
    fn filling_the_name_terms_from_the_word_index_matches_what_the_writes_left() {
        let (path, store) = office_with(
            "fill",
            [
                person(
                    "Anna",
                    "Müller",
                    "Bäckerei Müller & Söhne",
                    &["030 1234567"],
                ),
                person("Zoë", "O'Brien-Smith", "", &[]),
                person("Иван", "Петров", "ООО Ромашка", &["+7 495 123-45-67"]),
                person("", "", "ACME 24 GmbH", &["030 7654321"]),
                person("Anna", "Anna", "", &["030 555"]),
            ],
        );
        contacts::delete(&store, ContactId(5)).unwrap();
        let rows = |r: &Reader| -> Vec<(String, String, i64)> {
            let mut st = r
                .conn()
                .prepare(
                    "SELECT term, sort_name, contact_id FROM contact_name_terms ORDER BY 1, 2, 3",
                )
                .unwrap();
            let rows = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap();
            rows.collect::<rusqlite::Result<_>>().unwrap()
        };
        let written = rows(&store.reader().unwrap());
        assert!(written.iter().any(|(t, _, id)| t == "muller" && *id == 1));
        assert!(written.iter().any(|(t, _, id)| t == "петров" && *id == 3));
        assert!(
            written.iter().all(|(_, _, id)| *id != 5),
            "a deleted contact's rows are gone"
        );
        store
            .write(|tx| {
                tx.execute("DELETE FROM contact_name_terms", [])?;
                fill_name_terms(tx)
            })
            .unwrap();
        assert_eq!(rows(&store.reader().unwrap()), written);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// The admin UI's and the 3CX template's contact search: words start name words (accents and
    /// case aside, anywhere in the company name too), contacts without numbers are found, digits
    /// find number endings, and pages come in name order.
    #[test]
    fn a_contact_search_finds_name_words_and_number_endings_in_name_order() {
        let (path, store) = office_with(
            "search",
            [
                person(
                    "Erika",
                    "Mustermann",
                    "Muster & Söhne GmbH",
                    &["030 555666"],
                ),
                person("Anna", "Müller", "Bäckerei", &["030 1234567"]),
                person("No", "Number", "", &[]),
                person("Bernd", "Zander", "", &["030 7654321"]),
            ],
        );
        let r = store.reader().unwrap();
        let found = |text: &str, offset: usize, limit: usize| -> Vec<String> {
            r.search_contacts(text, limit, offset)
                .unwrap()
                .into_iter()
                .map(|c| c.last_name)
                .collect()
        };
        assert_eq!(found("muller", 0, 10), ["Müller"]);
        assert_eq!(found("MÜLL", 0, 10), ["Müller"]);
        assert_eq!(found("anna mü", 0, 10), ["Müller"]);
        assert_eq!(found("söhne", 0, 10), ["Mustermann"]);
        assert_eq!(found("backerei", 0, 10), ["Müller"]);
        assert_eq!(found("number", 0, 10), ["Number"]);
        assert_eq!(found("m", 0, 10), ["Müller", "Mustermann"]);
        assert_eq!(found("m", 1, 10), ["Mustermann"]);
        assert_eq!(found("m", 0, 1), ["Müller"]);
        assert_eq!(found("4567", 0, 10), ["Müller"]);
        assert_eq!(found("654 321", 0, 10), ["Zander"]);
        assert!(found("anna zander", 0, 10).is_empty());
        assert!(found("#", 0, 10).is_empty());
        assert!(found("nobody", 0, 10).is_empty());
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// A restore copies the contacts and rebuilds the word index from them: the restored contacts
    /// are found by name, the replaced ones no longer.
    #[test]
    fn a_restore_rebuilds_the_word_index() {
        let path = temp_db("restore");
        let backup = path.with_file_name("backup.db");
        let model = NumberModel::default();
        {
            let store = Store::open(&path).unwrap();
            contacts::create(&store, &model, person("Olga", "Backup", "", &["+4930111"])).unwrap();
            store.reader().unwrap().backup_into(&backup).unwrap();
        }
        let live = path.with_file_name("live.db");
        let store = Store::open(&live).unwrap();
        for c in [
            person("Peter", "Live", "", &["+4930222"]),
            person("Paula", "Live", "", &["+4930333"]),
        ] {
            contacts::create(&store, &model, c).unwrap();
        }
        crate::store::restore::check(&backup).unwrap();
        crate::store::restore::apply(&store, &backup).unwrap();
        let r = store.reader().unwrap();
        let named = |w: &str| r.contact_ids_by_words(&[w.to_string()], 10).unwrap();
        assert_eq!(named("olg"), [1]);
        assert_eq!(
            named("backup"),
            [1],
            "a word longer than the prefix indexes"
        );
        assert_eq!(named("live"), Vec::<i64>::new());
        assert_eq!(named("pa"), Vec::<i64>::new());
        same_as_scan(&r);
        contacts::create(&store, &model, person("Paula", "After", "", &["+4930444"])).unwrap();
        assert_eq!(named("pa").len(), 1);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// A word longer than the prefix indexes becomes the terms it starts; one that starts none
    /// matches nothing; one that starts too many stays a prefix query; short words stay prefixes.
    #[test]
    fn long_words_become_the_terms_they_start() {
        let path = temp_db("terms");
        let store = Store::open(&path).unwrap();
        let model = NumberModel::default();
        let mut batch = vec![
            contacts::prepare(&model, person("Anna", "Rossi", "", &["+4930111"])).unwrap(),
            contacts::prepare(&model, person("Annalena", "Rossini", "", &["+4930112"])).unwrap(),
        ];
        for i in 0..=MAX_TERMS {
            batch.push(
                contacts::prepare(&model, person(&format!("Many{i}"), "", "", &["+4930113"]))
                    .unwrap(),
            );
        }
        contacts::insert_all(&store, batch).unwrap();
        let r = store.reader().unwrap();
        let q = |words: &[&str]| {
            let owned: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            word_query(r.conn(), &owned).unwrap()
        };
        assert_eq!(
            q(&["ROSSI", "an"]),
            WordSearch::Match("(\"rossi\" OR \"rossini\") AND \"an\"*".into())
        );
        assert_eq!(
            q(&["anna"]),
            WordSearch::Match("(\"anna\" OR \"annalena\")".into())
        );
        assert_eq!(q(&["annab"]), WordSearch::Nothing);
        assert_eq!(q(&["rossi", "annab"]), WordSearch::Nothing);
        assert_eq!(q(&["many"]), WordSearch::Match("\"many\"*".into()));
        assert_eq!(q(&["o'b"]), WordSearch::Nothing);
        assert_eq!(q(&["a b"]), WordSearch::Scan);
        assert_eq!(
            r.contact_ids_by_words(&["many".into()], 1000)
                .unwrap()
                .len(),
            MAX_TERMS + 1
        );
        assert_eq!(r.contact_ids_by_words(&["rossin".into()], 10).unwrap(), [2]);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn typed_words_become_prefix_queries_or_fall_back() {
        let w =
            |words: &[&str]| word_search(&words.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            w(&["mu", "иван"]),
            WordSearch::Match("\"mu\"* AND \"иван\"*".into())
        );
        assert_eq!(w(&["o'b"]), WordSearch::Nothing);
        assert_eq!(w(&["a\"b"]), WordSearch::Nothing);
        assert_eq!(w(&["a", ""]), WordSearch::Scan);
        assert_eq!(w(&["a b"]), WordSearch::Scan);
        assert_eq!(w(&[]), WordSearch::Scan);
    }
}
