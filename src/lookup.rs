//! "Who is calling?": the matching rules of design §4 over the one contact store.
//!
//! The input is normalized with the office's [`NumberModel`], then the rules are tried in order and the
//! first rule that finds anyone wins:
//! 1. exact E.164,
//! 2. the digits-only key (numbers that never parsed),
//! 3. the last N digits (`number.match_tail`),
//! 4. the DID → main-number fallback: the number without its trailing extension digits is a contact's
//!    main number (a direct line into a company we know).
//!
//! Every match says which rule found it and why. When several contacts match under the winning rule the
//! result is a tie, reported as such; nothing is picked silently. A lookup reads only the local store:
//! it never waits on the network.

use std::fmt;

use serde::Serialize;

use crate::contacts::{Contact, ContactId};
use crate::number::{Normalized, NumberError, NumberModel};
use crate::store::contacts::PhoneHit;
use crate::store::{Reader, StoreError};

/// Which rule found a match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    ExactE164,
    DigitsKey,
    LastDigits,
    DidToMain,
}

#[derive(Clone, Debug, Serialize)]
pub struct MatchInfo {
    pub rule: Rule,
    pub explanation: String,
}

/// One contact found for a number.
#[derive(Clone, Debug)]
pub struct Match {
    pub contact: Contact,
    /// The number as stored on the contact that matched.
    pub matched_number: String,
    pub info: MatchInfo,
}

/// The outcome of one lookup.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub raw: String,
    pub normalized: Normalized,
    pub matches: Vec<Match>,
}

impl Outcome {
    /// More than one contact matched under the winning rule.
    pub fn is_tie(&self) -> bool {
        self.matches.len() > 1
    }

    /// The name a PBX or phone shows for this caller: the contact's "First Last (Company)". On a tie the
    /// shared company if there is one, otherwise the tied names joined, so nobody is picked silently.
    pub fn caller_name(&self) -> Option<String> {
        let first = self.matches.first()?;
        if !self.is_tie() {
            return Some(first.contact.caller_name());
        }
        let company = first.contact.company.trim();
        if !company.is_empty()
            && self
                .matches
                .iter()
                .all(|m| m.contact.company.trim() == company)
        {
            return Some(company.to_string());
        }
        let names: Vec<String> = self
            .matches
            .iter()
            .take(3)
            .map(|m| m.contact.display_name())
            .collect();
        Some(names.join(" / "))
    }
}

#[derive(Debug)]
pub enum LookupError {
    Number(NumberError),
    Store(StoreError),
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupError::Number(e) => e.fmt(f),
            LookupError::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for LookupError {}

impl From<StoreError> for LookupError {
    fn from(e: StoreError) -> Self {
        LookupError::Store(e)
    }
}

/// How many contacts one lookup returns at most; a number shared by more is reported as a tie of this
/// many.
const MAX_MATCHES: usize = 10;

/// Finds the contacts for `raw`. An input that is not a phone number at all is an error; a withheld
/// number or an extension is a valid query with no matches.
pub fn lookup(reader: &Reader, model: &NumberModel, raw: &str) -> Result<Outcome, LookupError> {
    let normalized = model.normalize(raw).map_err(LookupError::Number)?;
    let matches = reader.snapshot(|| match &normalized {
        Normalized::Anonymous | Normalized::Extension(_) => Ok(Vec::new()),
        Normalized::Public { e164, how } => {
            let hits = reader.phones_by_e164(e164.as_str())?;
            if !hits.is_empty() {
                let why = format!(
                    "the contact's number {} is exactly {} ({})",
                    "{raw}",
                    e164,
                    how.describe()
                );
                resolve(reader, hits, Rule::ExactE164, &why)
            } else {
                by_digits_tail_or_main(reader, model, &normalized)
            }
        }
        Normalized::Digits(_) => by_digits_tail_or_main(reader, model, &normalized),
    })?;
    Ok(Outcome {
        raw: raw.to_string(),
        normalized,
        matches,
    })
}

fn by_digits_tail_or_main(
    reader: &Reader,
    model: &NumberModel,
    n: &Normalized,
) -> Result<Vec<Match>, LookupError> {
    let Some(digits) = n.digits_key() else {
        return Ok(Vec::new());
    };
    let hits = reader.phones_by_digits(digits)?;
    if !hits.is_empty() {
        let why = format!(
            "the contact's number {} has the same digits {digits}",
            "{raw}"
        );
        return resolve(reader, hits, Rule::DigitsKey, &why);
    }
    let tail_len = model.match_tail;
    if digits.len() >= tail_len {
        let tail = &digits[digits.len() - tail_len..];
        let hits = reader.phones_by_tail(tail, MAX_MATCHES * 2)?;
        if !hits.is_empty() {
            let why = format!(
                "the contact's number {} ends in the same {tail_len} digits {tail}",
                "{raw}"
            );
            return resolve(reader, hits, Rule::LastDigits, &why);
        }
    }
    if let Some(e164) = n.e164() {
        let s = e164.as_str();
        // Strip 1..=ext_max trailing digits; a main number often ends in 0 where the extension was.
        let mut candidates = Vec::with_capacity(2 * model.ext_max);
        for k in (1..=model.ext_max).take_while(|k| s.len() >= k + 7) {
            let base = &s[..s.len() - k];
            candidates.push(base.to_string());
            candidates.push(format!("{base}0"));
        }
        if let Some((i, hits)) = reader.phones_by_first_e164(&candidates)? {
            let (candidate, ext) = (&candidates[i], &s[s.len() - (i / 2 + 1)..]);
            let why = format!(
                "{e164} looks like extension {ext} of the contact's main number {} ({candidate})",
                "{raw}"
            );
            return resolve(reader, hits, Rule::DidToMain, &why);
        }
    }
    Ok(Vec::new())
}

/// Turns phone hits into matches, one per contact, in contact-id order so that results are stable.
/// `why` has a `{raw}` placeholder for the matched number as the contact has it.
fn resolve(
    reader: &Reader,
    mut hits: Vec<PhoneHit>,
    rule: Rule,
    why: &str,
) -> Result<Vec<Match>, LookupError> {
    hits.sort_by_key(|h| h.contact_id);
    hits.dedup_by_key(|h| h.contact_id);
    let tie = hits.len() > 1;
    let mut out = Vec::with_capacity(hits.len().min(MAX_MATCHES));
    for hit in hits.into_iter().take(MAX_MATCHES) {
        let Some(contact) = reader.contact(hit.contact_id)? else {
            continue;
        };
        let mut explanation = why.replace("{raw}", &format!("'{}'", hit.raw));
        if tie {
            explanation.push_str("; other contacts match equally well, so this is a tie");
        }
        out.push(Match {
            contact,
            matched_number: hit.raw,
            info: MatchInfo { rule, explanation },
        });
    }
    Ok(out)
}

/// The contact ids of an outcome, for callers that only need to know who.
pub fn contact_ids(o: &Outcome) -> Vec<ContactId> {
    o.matches.iter().map(|m| m.contact.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::{self, NewContact, NewPhone, PhoneKind};
    use crate::store::Store;

    /// A lookup reads its phone hit and the contact in one snapshot: what commits meanwhile is seen
    /// by the next lookup, not halfway through this one.
    #[test]
    fn reads_in_a_snapshot_see_one_moment() {
        let dir = crate::store::test_dir("lookup");
        let store = Store::open(&dir.join("ringbook.db")).unwrap();
        let model = NumberModel::default();
        let id = contacts::create(
            &store,
            &model,
            NewContact {
                last_name: "Berger".into(),
                phones: vec![NewPhone {
                    kind: PhoneKind::Office,
                    raw: "+49 30 1234567".into(),
                }],
                ..NewContact::default()
            },
        )
        .unwrap();
        let reader = store.reader().unwrap();
        let (before, during, nested) = reader
            .snapshot(|| -> Result<_, StoreError> {
                let before = reader.phones_by_e164("+49301234567")?.len();
                contacts::delete(&store, id).unwrap();
                let during = reader.phones_by_e164("+49301234567")?.len();
                let nested = reader.snapshot(|| reader.contact(id))?.is_some();
                Ok((before, during, nested))
            })
            .unwrap();
        assert_eq!((before, during, nested), (1, 1, true));
        assert!(reader.phones_by_e164("+49301234567").unwrap().is_empty());
        assert!(lookup(&reader, &model, "030 1234567")
            .unwrap()
            .matches
            .is_empty());
        drop(reader);
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A direct line into a company is matched to the main number it most likely extends: the
    /// longest main number first (the shortest extension), and at each length the number itself
    /// before the same number with a 0 where the extension was.
    #[test]
    fn a_direct_line_finds_the_closest_main_number() {
        let dir = crate::store::test_dir("lookup-did");
        let store = Store::open(&dir.join("ringbook.db")).unwrap();
        let model = NumberModel::default();
        let company = |name: &str, raw: &str| {
            contacts::create(
                &store,
                &model,
                NewContact {
                    company: name.into(),
                    phones: vec![NewPhone {
                        kind: PhoneKind::Office,
                        raw: raw.into(),
                    }],
                    ..NewContact::default()
                },
            )
            .unwrap()
        };
        let five = company("Five", "+49 89 1234");
        let six = company("Six", "+49 89 123456");
        let six_zero = company("Six Zero", "+49 89 1234560");
        let reader = store.reader().unwrap();
        let best = |expect_ext: &str| {
            let o = lookup(&reader, &model, "+49 89 12345617").unwrap();
            let m = &o.matches[0];
            assert_eq!(m.info.rule, Rule::DidToMain);
            assert!(
                m.info
                    .explanation
                    .contains(&format!("extension {expect_ext} ")),
                "{}",
                m.info.explanation
            );
            m.contact.id
        };
        assert_eq!(best("17"), six);
        contacts::delete(&store, six).unwrap();
        assert_eq!(best("17"), six_zero);
        contacts::delete(&store, six_zero).unwrap();
        assert_eq!(best("5617"), five);
        contacts::delete(&store, five).unwrap();
        assert!(lookup(&reader, &model, "+49 89 12345617")
            .unwrap()
            .matches
            .is_empty());
        drop(reader);
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
