//! The phone book every phone format is built from: the one contact store, listed in name order, searched
//! by name, by number and by T9 keypad digits, browsed by A–Z groups and paged.
//!
//! Vendor modules decide the shape (one entry per number for a Snom menu, one per contact for a tbook,
//! three number slots for Snom DECT) and render it; this module decides what is in the list, in which
//! order, what a phone shows as the name and what it dials. It reads the store through named functions
//! in `store::directory` and never renders XML.
//!
//! Search keys are stored per contact (`sort_name`, `search_words`, `search_t9`): `store::directory`
//! writes them on every insert and update from [`search_keys`], and [`index_missing`] fills them for
//! contacts stored before they existed.

use std::borrow::Cow;
use std::ops::ControlFlow;

use crate::contacts::{one_line, Contact, ContactId, Phone, PhoneKind};
use crate::number::NumberModel;
use crate::store::directory::{Filter, Range};
use crate::store::{Reader, Store, StoreError};

/// Most contacts any full-list document (tbook, Yealink, DECT) carries. No phone stores more than a few
/// thousand entries (see shared protocols: snom-phones.md §2.8, §7), and the cap keeps one request from
/// building a document of a million contacts in memory on a small box. Truncation is logged.
pub const MAX_LIST_CONTACTS: usize = 10_000;

/// What a phone dials for a stored number: the E.164 form where the normalizer found one, else the raw
/// form without the spaces and separators people write. Phones must not get whitespace in a number: Snom
/// turns a space into `%20` in the SIP URI it dials (see shared protocols: snom-phones.md §2.2), and the
/// E.164 form is what Snom tbook and Grandstream examples use (§3.2, §7). Every phone format uses this
/// one function so that all of them show and dial the same thing.
pub fn dial_number(p: &Phone) -> String {
    match p.e164.as_deref() {
        Some(e) if !e.is_empty() => e.to_string(),
        _ => p
            .number
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '/' | '.' | '(' | ')' | '\u{a0}' | '\t'))
            .collect(),
    }
}

/// The name a phone list shows: "Last, First" so that a list sorted by last name reads in order, the
/// one name a contact has, or the company for a contact without a personal name.
pub fn list_name(first: &str, last: &str, company: &str) -> String {
    let (first, last) = (one_line(first), one_line(last));
    match (first.is_empty(), last.is_empty()) {
        (false, false) => format!("{last}, {first}"),
        (true, false) => last.into_owned(),
        (false, true) => first.into_owned(),
        (true, true) => one_line(company).into_owned(),
    }
}

/// The first and last name for a phone that keeps them apart (Snom's tbook, Grandstream), each on one
/// line: a contact without a personal name is listed under its company as the last name, so the
/// phone shows the company for its calls.
pub fn first_and_last(c: &Contact) -> (Cow<'_, str>, Cow<'_, str>) {
    let (first, last) = (one_line(&c.first_name), one_line(&c.last_name));
    if first.is_empty() && last.is_empty() {
        (Cow::Borrowed(""), one_line(&c.company))
    } else {
        (first, last)
    }
}

/// The label of a number's kind as phones show it next to a number.
pub fn kind_label(kind: PhoneKind) -> &'static str {
    match kind {
        PhoneKind::Office => "Office",
        PhoneKind::Mobile => "Mobile",
        PhoneKind::Home => "Home",
        PhoneKind::Fax => "Fax",
        PhoneKind::Other => "Other",
    }
}

// ---------------------------------------------------------------------------------------------------
// Folding and T9 keys

/// Pushes the search form of one lower-case character: Latin letters lose their accents (`é` → `e`),
/// `ß` becomes `ss`, `æ`/`œ` two letters, Cyrillic `ё` becomes `е`; combining marks vanish. With
/// `german`, `ä ö ü` become `ae oe ue`, the way Germans spell them without umlauts.
fn fold_char_into(out: &mut String, c: char, german: bool) {
    let base = match c {
        'ä' if german => return out.push_str("ae"),
        'ö' if german => return out.push_str("oe"),
        'ü' if german => return out.push_str("ue"),
        'ß' => return out.push_str("ss"),
        'æ' => return out.push_str("ae"),
        'œ' => return out.push_str("oe"),
        'þ' => return out.push_str("th"),
        '\u{300}'..='\u{36f}' => return,
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'ď' | 'đ' | 'ð' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'ĥ' | 'ħ' => 'h',
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => 'i',
        'ĵ' => 'j',
        'ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => 'o',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => 's',
        'ţ' | 'ť' | 'ŧ' | 'ț' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'ŵ' => 'w',
        'ý' | 'ÿ' | 'ŷ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        'ё' => 'е',
        c => c,
    };
    out.push(base);
}

/// The search form of a text: lower case, accents removed, `ß` as `ss`. "Müller" and "MÜLLER" both fold
/// to "muller", so a search is independent of case and accents in every script SQLite can't fold itself.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        fold_char_into(&mut out, c, false);
    }
    out
}

/// The keypad key of one character. Latin letters as on every phone (ITU E.161); accented letters on
/// the key of their base letter, so `ä` is on 2, `ö` on 6, `ü` on 8 and `ß` on 7 (see shared protocols:
/// snom-phones.md §2.5, GS5 issue #77); Cyrillic as printed on Russian and Ukrainian keypads
/// (2 АБВГ, 3 ДЕЖЗ, 4 ИЙКЛ, 5 МНОП, 6 РСТУ, 7 ФХЦЧ, 8 ШЩЪЫ, 9 ЬЭЮЯ); digits on themselves.
pub fn t9_digit(c: char) -> Option<char> {
    let c = c.to_lowercase().next().unwrap_or(c);
    let c = if c == 'ß' {
        's'
    } else {
        let mut s = String::new();
        fold_char_into(&mut s, c, false);
        s.chars().next()?
    };
    Some(match c {
        '0'..='9' => c,
        'a'..='c' => '2',
        'd'..='f' => '3',
        'g'..='i' => '4',
        'j'..='l' => '5',
        'm'..='o' => '6',
        'p'..='s' => '7',
        't'..='v' => '8',
        'w'..='z' => '9',
        'а' | 'б' | 'в' | 'г' | 'ґ' => '2',
        'д' | 'е' | 'є' | 'ж' | 'з' => '3',
        'и' | 'і' | 'ї' | 'й' | 'к' | 'л' => '4',
        'м' | 'н' | 'о' | 'п' => '5',
        'р' | 'с' | 'т' | 'у' => '6',
        'ф' | 'х' | 'ц' | 'ч' => '7',
        'ш' | 'щ' | 'ъ' | 'ы' => '8',
        'ь' | 'э' | 'ю' | 'я' => '9',
        _ => return None,
    })
}

/// The keypad digits of a word; characters on no key are skipped.
pub fn t9(word: &str) -> String {
    word.chars().filter_map(t9_digit).collect()
}

/// The words of a name as a person would search for them: split at spaces and punctuation, and for
/// "O'Brien" or "Müller-Lüdenscheidt" also the parts written together.
fn name_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for token in s.split_whitespace() {
        let lower = token.to_lowercase();
        let parts: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|p| !p.is_empty())
            .collect();
        if parts.len() > 1 {
            out.push(parts.concat());
        }
        out.extend(parts.into_iter().map(str::to_string));
    }
    out
}

/// The stored search keys of one contact. Each key list starts with a space and separates its words
/// with spaces, so "a word starts with X" is `LIKE '% X%'`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchKeys {
    /// The folded [`list_name`]: the order of every list and the A–Z groups.
    pub sort_name: String,
    /// Folded name words, with the `ae oe ue` spelling beside words that have umlauts.
    pub words: String,
    /// The T9 digits of every name word and of the first and last name written together.
    pub t9: String,
}

/// Computes a contact's search keys from its names. Called by the store on every insert and update.
pub fn search_keys(first: &str, last: &str, company: &str) -> SearchKeys {
    let mut words: Vec<String> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let push = |v: &mut Vec<String>, w: String| {
        if !w.is_empty() && !v.contains(&w) {
            v.push(w);
        }
    };
    for field in [first, last, company] {
        for w in name_words(field) {
            let folded = fold(&w);
            let german = w.contains(['ä', 'ö', 'ü']);
            push(&mut keys, t9(&w));
            push(&mut words, folded);
            if german {
                let mut alt = String::new();
                for c in w.chars() {
                    fold_char_into(&mut alt, c, true);
                }
                push(&mut keys, t9(&alt));
                push(&mut words, alt);
            }
        }
    }
    let whole = t9(&format!("{first}{last}"));
    push(&mut keys, whole);
    let join = |v: Vec<String>| v.iter().map(|w| format!(" {w}")).collect::<String>();
    SearchKeys {
        sort_name: fold(&list_name(first, last, company)),
        words: join(words),
        t9: join(keys),
    }
}

// ---------------------------------------------------------------------------------------------------
// Queries

/// How a typed search is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchMode {
    /// Name, number, and digits as T9 keypad presses (Snom's directory key: people type 685537 for
    /// "Müller").
    WithT9,
    /// Name or number only (Yealink, where the phone's own search sends letters).
    NameOrNumber,
}

/// Turns what a person typed into a store filter:
/// - nothing (or Yealink's unreplaced `#SEARCH`): everything; only signs (`*`, `-`): nothing;
/// - text with letters: every word must start a word of the contact's first name, last name or company,
///   ignoring case and accents (`mü`, `mu` and `mue` all find "Müller"); a `+` counts as a space there,
///   because some phones form-encode spaces;
/// - digits: with [`SearchMode::WithT9`] the T9 keys of a name word, and from three digits on also the
///   contact's numbers containing them, as typed and as normalized with the office's number model
///   (one or two digits without T9: numbers containing them).
pub fn search_filter(model: &NumberModel, typed: &str, mode: SearchMode) -> Filter {
    let typed = typed.trim();
    let mut f = Filter::default();
    if typed.is_empty() || typed.eq_ignore_ascii_case("#SEARCH") {
        return f;
    }
    if typed.chars().any(char::is_alphabetic) {
        f.words = typed_words(typed);
        return f;
    }
    let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        f.nothing = true;
        return f;
    }
    if mode == SearchMode::WithT9 && !typed.starts_with('+') {
        f.t9 = Some(digits.clone());
    }
    if digits.len() >= 3 {
        f.digits.push(digits.clone());
        if let Ok(n) = model.normalize(typed) {
            if let Some(d) = n.digits_key() {
                if !f.digits.iter().any(|x| x == d) {
                    f.digits.push(d.to_string());
                }
            }
        }
    }
    if f.t9.is_none() && f.digits.is_empty() {
        // One or two digits without T9: still a number search, never "everything".
        f.digits.push(digits);
    }
    f
}

/// The words of a typed name search, split and folded as a contact's stored words are, so each can
/// be looked for as the start of one of them; at most six. A `+` counts as a space, because some
/// phones form-encode spaces and a name never holds one.
pub fn typed_words(typed: &str) -> Vec<String> {
    let spaced = typed.replace('+', " ");
    let mut words: Vec<String> = name_words(&spaced).iter().map(|w| fold(w)).collect();
    words.dedup();
    words.truncate(6);
    words
}

/// An A–Z group for browsing without typing, laid out like the keypad so that each fits one screen line.
#[derive(Debug, PartialEq, Eq)]
pub struct Group {
    /// The value of the `group` query parameter.
    pub id: &'static str,
    /// What the phone shows.
    pub label: &'static str,
    ranges: &'static [(&'static str, Option<&'static str>)],
}

/// The groups, in display order. Folded sort names start with a lower-case letter, so `ä` is in A–C; the
/// Cyrillic alphabet is one group, and everything else (digits, other scripts) the last.
pub const GROUPS: &[Group] = &[
    Group {
        id: "abc",
        label: "A-C",
        ranges: &[("a", Some("d"))],
    },
    Group {
        id: "def",
        label: "D-F",
        ranges: &[("d", Some("g"))],
    },
    Group {
        id: "ghi",
        label: "G-I",
        ranges: &[("g", Some("j"))],
    },
    Group {
        id: "jkl",
        label: "J-L",
        ranges: &[("j", Some("m"))],
    },
    Group {
        id: "mno",
        label: "M-O",
        ranges: &[("m", Some("p"))],
    },
    Group {
        id: "pqrs",
        label: "P-S",
        ranges: &[("p", Some("t"))],
    },
    Group {
        id: "tuv",
        label: "T-V",
        ranges: &[("t", Some("w"))],
    },
    Group {
        id: "wxyz",
        label: "W-Z",
        ranges: &[("w", Some("{"))],
    },
    Group {
        id: "cyr",
        label: "А-Я",
        ranges: &[("а", Some("ѐ"))],
    },
    Group {
        id: "other",
        label: "0-9 #",
        ranges: &[("", Some("a")), ("{", Some("а")), ("ѐ", None)],
    },
];

impl Group {
    pub fn by_id(id: &str) -> Option<&'static Group> {
        GROUPS.iter().find(|g| g.id == id)
    }

    pub fn filter(&self) -> Filter {
        Filter {
            ranges: self
                .ranges
                .iter()
                .map(|(from, to)| Range {
                    from: from.to_string(),
                    to: to.map(str::to_string),
                })
                .collect(),
            ..Filter::default()
        }
    }
}

/// The groups that have at least one contact with a number, in display order.
pub fn groups_in_use(reader: &Reader) -> Result<Vec<&'static Group>, StoreError> {
    let mut out = Vec::new();
    for g in GROUPS {
        if reader.directory_any(&g.filter())? {
            out.push(g);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------------
// Listing

/// One dialable number of a contact, as a per-number list (the Snom menu) shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub contact_id: ContactId,
    /// [`list_name`] of the contact.
    pub name: String,
    pub kind: PhoneKind,
    /// [`dial_number`] of the number.
    pub number: String,
    /// The contact has more than one number, so the kind is worth showing.
    pub one_of_several: bool,
}

/// A page of entries.
#[derive(Clone, Debug)]
pub struct Page {
    pub entries: Vec<Entry>,
    /// Index of the first entry in the whole list.
    pub offset: usize,
    /// More entries follow this page.
    pub has_more: bool,
}

/// The entries matching `filter`, in name order, one per number: `limit` of them from `offset`.
pub fn entries(
    reader: &Reader,
    filter: &Filter,
    offset: usize,
    limit: usize,
) -> Result<Page, StoreError> {
    let mut rows = reader.directory_entries(filter, offset, limit + 1)?;
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    let entries = rows
        .into_iter()
        .map(|r| Entry {
            contact_id: r.contact_id,
            name: list_name(&r.first_name, &r.last_name, &r.company),
            kind: r.phone.kind,
            number: dial_number(&r.phone),
            one_of_several: r.numbers_of_contact > 1,
        })
        .collect();
    Ok(Page {
        entries,
        offset,
        has_more,
    })
}

/// How a full listing ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listed {
    /// Contacts handed to the callback that it accepted.
    pub contacts: usize,
    /// Contacts were left out: `max` was reached or the callback stopped with more to come.
    pub truncated: bool,
}

/// Calls `f` for every contact with at least one number that matches `filter`, in name order, a page
/// at a time (a phone book never sits in memory twice). Stops after `max` contacts, or when `f` answers
/// `Break` for a contact that no longer fits; either way the result says the list was truncated.
pub fn for_each_contact(
    reader: &Reader,
    filter: &Filter,
    max: usize,
    mut f: impl FnMut(&Contact) -> ControlFlow<()>,
) -> Result<Listed, StoreError> {
    const PAGE: usize = 500;
    let mut after: Option<(String, ContactId)> = None;
    let mut n = 0;
    loop {
        let page = reader.directory_contacts(filter, after.as_ref(), PAGE)?;
        let Some(last) = page.last() else {
            return Ok(Listed {
                contacts: n,
                truncated: false,
            });
        };
        after = Some((last.0.clone(), last.1.id));
        for (_, c) in &page {
            if n == max || f(c).is_break() {
                return Ok(Listed {
                    contacts: n,
                    truncated: true,
                });
            }
            n += 1;
        }
    }
}

/// Logs that a phone got a shortened list, so the office learns why a contact is missing on a phone.
pub fn log_truncated(what: &str, listed: Listed, why: &str) {
    if listed.truncated {
        log::warn!(
            "{what}: sent only the first {} contacts in name order ({why})",
            listed.contacts
        );
    }
}

/// Fills the search keys of contacts stored before they existed (or by anything that bypassed
/// `store::contacts`), a batch per transaction. Runs at server start; quick when nothing is missing.
pub fn index_missing(store: &Store) -> Result<usize, StoreError> {
    let mut total = 0;
    loop {
        let n = store.write(|tx| crate::store::directory::index_missing(tx, 5_000))?;
        if n == 0 {
            if total > 0 {
                log::info!("phone-book search keys filled for {total} contacts");
            }
            return Ok(total);
        }
        total += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t9_maps_letters_umlauts_accents_and_cyrillic_to_keys() {
        let cases = [
            ("Müller", "685537"),
            ("Mueller", "6835537"),
            ("Bäcker", "222537"),
            ("Öztürk", "698875"),
            ("Straße", "787273"),
            ("José", "5673"),
            ("François", "37262647"),
            ("Łukasz", "585279"),
            ("Иван", "4225"),
            ("Мария", "52649"),
            ("Ёлкин", "34445"),
            ("Юлия", "9449"),
            ("Agent 007", "24368007"),
        ];
        for (name, keys) in cases {
            assert_eq!(t9(name), keys, "{name}");
        }
        assert_eq!(t9_digit('&'), None);
    }

    #[test]
    fn fold_ignores_case_and_accents() {
        let cases = [
            ("MÜLLER", "muller"),
            ("Çelik", "celik"),
            ("Straße", "strasse"),
            ("ДЁМИН", "демин"),
            ("Ærø", "aero"),
            ("e\u{301}", "e"),
        ];
        for (s, want) in cases {
            assert_eq!(fold(s), want, "{s}");
        }
    }

    #[test]
    fn search_keys_cover_words_variants_and_whole_names() {
        let k = search_keys("Anna", "Müller-Lüdenscheidt", "Bäckerei & Söhne");
        assert_eq!(k.sort_name, "muller-ludenscheidt, anna");
        for w in [
            " anna",
            " muller",
            " mueller",
            " ludenscheidt",
            " backerei",
            " soehne",
        ] {
            assert!(
                k.words.contains(&format!("{w} ")) || k.words.ends_with(w),
                "{w} in {}",
                k.words
            );
        }
        assert!(k.t9.contains(" 685537 "), "{}", k.t9);
        assert!(k.t9.contains(" 2662 "), "{}", k.t9);
        // First and last name typed in one go.
        assert!(
            k.t9.contains(&format!(" {}", t9("AnnaMüllerLüdenscheidt"))),
            "{}",
            k.t9
        );
        let company_only = search_keys("", "", "Zentrale Muster GmbH");
        assert_eq!(company_only.sort_name, "zentrale muster gmbh");
    }

    #[test]
    fn names_and_numbers_for_phones() {
        assert_eq!(list_name("Anna", "Müller", "X"), "Müller, Anna");
        assert_eq!(list_name("", "Müller", "X"), "Müller");
        assert_eq!(list_name("Anna", " ", ""), "Anna");
        assert_eq!(list_name("", "", "ACME & Co"), "ACME & Co");
        let p = |raw: &str, e164: Option<&str>| Phone {
            kind: PhoneKind::Office,
            number: raw.into(),
            e164: e164.map(str::to_string),
        };
        assert_eq!(
            dial_number(&p("030 1234567", Some("+49301234567"))),
            "+49301234567"
        );
        assert_eq!(dial_number(&p(" 110 ", None)), "110");
        assert_eq!(dial_number(&p("+1 (555) 010-0", None)), "+15550100");
    }

    #[test]
    fn typed_searches_become_filters() {
        let model = NumberModel {
            area_code: "30".into(),
            outside_prefix: "0".into(),
            ..NumberModel::default()
        };
        let f = search_filter(&model, "  ", SearchMode::WithT9);
        assert_eq!(f, Filter::default());
        let f = search_filter(&model, "#SEARCH", SearchMode::NameOrNumber);
        assert_eq!(f, Filter::default());
        for signs in ["*", "-", "# *"] {
            let f = search_filter(&model, signs, SearchMode::WithT9);
            assert!(f.nothing, "{signs:?} must find nothing, not everything");
        }
        let f = search_filter(&model, "MÜ+anna", SearchMode::WithT9);
        assert_eq!(f.words, vec!["mu", "anna"]);
        assert_eq!(f.t9, None);
        let f = search_filter(&model, "685537", SearchMode::WithT9);
        assert_eq!(f.t9.as_deref(), Some("685537"));
        assert!(f.digits.contains(&"685537".to_string()));
        let f = search_filter(&model, "685537", SearchMode::NameOrNumber);
        assert_eq!(f.t9, None);
        let f = search_filter(&model, "030 1234567", SearchMode::NameOrNumber);
        assert!(f.digits.contains(&"49301234567".to_string()), "{f:?}");
        let f = search_filter(&model, "+49 30", SearchMode::WithT9);
        assert_eq!(f.t9, None, "a + means a number, not keypad letters");
    }

    #[test]
    fn groups_are_known_by_id_and_cover_every_first_letter() {
        assert_eq!(Group::by_id("mno").map(|g| g.label), Some("M-O"));
        assert!(Group::by_id("zzz").is_none());
        for name in ["anna", "zoe", "müller", "иван", "1&1", "中村", "{x"] {
            let s = fold(name);
            let inside = |from: &str, to: Option<&str>| {
                s.as_str() >= from && to.is_none_or(|t| s.as_str() < t)
            };
            let n = GROUPS
                .iter()
                .filter(|g| g.ranges.iter().any(|(f, t)| inside(f, *t)))
                .count();
            assert_eq!(n, 1, "{name} is in exactly one group");
        }
    }
}
