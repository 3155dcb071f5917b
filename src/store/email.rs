//! SQL for finding contacts by e-mail address, for 3CX's `LookupByEmail` scenario.

use rusqlite::params;

use super::{Reader, Result};
use crate::contacts::{Contact, ContactId};

impl Reader {
    /// Contacts whose e-mail address is exactly `email`, ignoring ASCII case, in id order. Lookups by
    /// e-mail are rare (a 3CX chat or mail), so this scans instead of keeping another index.
    pub fn contacts_by_email(&self, email: &str, limit: usize) -> Result<Vec<Contact>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id FROM contacts WHERE email = ?1 COLLATE NOCASE ORDER BY id LIMIT ?2",
        )?;
        let ids: Vec<i64> = st
            .query_map(params![email.trim(), limit as i64], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(c) = self.contact(ContactId(id))? {
                out.push(c);
            }
        }
        Ok(out)
    }
}
