//! SQL for the desk phone on each extension (click-to-call, see `dial.rs`): its kind, address and
//! web credentials. The password is kept as given because the phone must be sent it; only
//! [`Reader::desk_phone`] (used to dial) reads it, and listings get [`DeskPhoneInfo::has_password`].

use rusqlite::{params, Connection, OptionalExtension};

use super::{now, Reader, Result, StoreError};

/// A desk phone as the operators page lists it: everything but the password.
#[derive(Clone, Debug)]
pub struct DeskPhoneInfo {
    pub extension: String,
    pub kind: String,
    pub address: String,
    pub username: String,
    pub has_password: bool,
}

/// A desk phone with its password, for dialling only.
#[derive(Clone)]
pub struct DeskPhoneRow {
    pub kind: String,
    pub address: String,
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for DeskPhoneRow {
    // The password stays out of every log line and panic message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeskPhoneRow")
            .field("kind", &self.kind)
            .field("address", &self.address)
            .field("username", &self.username)
            .field("password", &"(hidden)")
            .finish()
    }
}

/// Stores the phone of an extension. `password: None` keeps the stored one (a form left empty),
/// `Some("")` clears it. Fails with `NotFound` for an unknown extension.
pub fn put(
    tx: &Connection,
    extension: &str,
    kind: &str,
    address: &str,
    username: &str,
    password: Option<&str>,
) -> Result<()> {
    let ext_id: i64 = tx
        .query_row(
            "SELECT id FROM extensions WHERE number = ?1",
            [extension],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("the extension {extension}")))?;
    tx.execute(
        "INSERT INTO desk_phones(extension_id, kind, address, username, password, updated_at)
         VALUES (?1, ?2, ?3, ?4, coalesce(?5, ''), ?6)
         ON CONFLICT(extension_id) DO UPDATE SET kind = excluded.kind, address = excluded.address,
           username = excluded.username, password = coalesce(?5, desk_phones.password),
           updated_at = excluded.updated_at",
        params![ext_id, kind, address, username, password, now()],
    )?;
    Ok(())
}

/// Forgets the phone of an extension (click-to-call then falls back to AMI, if set up).
pub fn remove(tx: &Connection, extension: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM desk_phones WHERE extension_id = (SELECT id FROM extensions WHERE number = ?1)",
        [extension],
    )?;
    Ok(())
}

impl Reader {
    /// Every extension's desk phone, without passwords.
    pub fn desk_phones(&self) -> Result<Vec<DeskPhoneInfo>> {
        let mut st = self.conn().prepare_cached(
            "SELECT x.number, p.kind, p.address, p.username, p.password <> ''
             FROM desk_phones p JOIN extensions x ON x.id = p.extension_id
             ORDER BY length(x.number), x.number",
        )?;
        let rows = st.query_map([], |r| {
            Ok(DeskPhoneInfo {
                extension: r.get(0)?,
                kind: r.get(1)?,
                address: r.get(2)?,
                username: r.get(3)?,
                has_password: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The desk phone on one extension, password included (for dialling only).
    pub fn desk_phone(&self, extension: &str) -> Result<Option<DeskPhoneRow>> {
        let mut st = self.conn().prepare_cached(
            "SELECT p.kind, p.address, p.username, p.password
             FROM desk_phones p JOIN extensions x ON x.id = p.extension_id WHERE x.number = ?1",
        )?;
        Ok(st
            .query_row([extension], |r| {
                Ok(DeskPhoneRow {
                    kind: r.get(0)?,
                    address: r.get(1)?,
                    username: r.get(2)?,
                    password: r.get(3)?,
                })
            })
            .optional()?)
    }
}
