//! SQL for users and API keys.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{now, Reader, Result, StoreError};
use crate::auth::{parse_key_fields, ApiKey};

pub fn insert_user(tx: &Connection, name: &str, password_hash: &str, role: &str) -> Result<i64> {
    tx.execute(
        "INSERT INTO users(name, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![name, password_hash, role, now()],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn insert_key(
    tx: &Connection,
    name: &str,
    key_id: &str,
    secret_hash: Option<&str>,
    scopes: &str,
    allow: &str,
) -> Result<i64> {
    tx.execute(
        "INSERT INTO api_keys(name, key_id, secret_hash, scopes, allow_cidrs, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![name, key_id, secret_hash, scopes, allow, now()],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn revoke_key(tx: &Connection, id: i64) -> Result<()> {
    let n = tx.execute(
        "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, now()],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!(
            "an active API key with id {id}"
        )));
    }
    Ok(())
}

const KEY_COLUMNS: &str =
    "id, name, key_id, secret_hash, scopes, allow_cidrs, created_at, revoked_at";

fn key_from_row(r: &Row) -> rusqlite::Result<ApiKey> {
    let scopes: String = r.get(4)?;
    let allow: String = r.get(5)?;
    let (scopes, allow) = parse_key_fields(&scopes, &allow);
    Ok(ApiKey {
        id: r.get(0)?,
        name: r.get(1)?,
        key_id: r.get(2)?,
        secret_hash: r.get(3)?,
        scopes,
        allow,
        created_at: r.get(6)?,
        revoked_at: r.get(7)?,
    })
}

/// A user as the web UI's login needs it.
#[derive(Clone, Debug)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub language: String,
    /// Whether a login needs a code from the user's authenticator app after the password.
    pub has_2fa: bool,
}

impl Reader {
    pub fn api_key_by_key_id(&self, key_id: &str) -> Result<Option<ApiKey>> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE key_id = ?1");
        let mut st = self.conn().prepare_cached(&sql)?;
        Ok(st.query_row([key_id], key_from_row).optional()?)
    }

    pub fn api_keys_without_secret(&self) -> Result<Vec<ApiKey>> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE secret_hash IS NULL AND revoked_at IS NULL ORDER BY id");
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map([], key_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn api_keys(&self) -> Result<Vec<ApiKey>> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY id");
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map([], key_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn admin_count(&self) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL",
            [],
            |r| r.get(0),
        )?)
    }

    pub fn user_by_name(&self, name: &str) -> Result<Option<UserRow>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, name, password_hash, role, language, totp_secret IS NOT NULL
             FROM users WHERE name = ?1 AND disabled_at IS NULL",
        )?;
        Ok(st
            .query_row([name], |r| {
                Ok(UserRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    password_hash: r.get(2)?,
                    role: r.get(3)?,
                    language: r.get(4)?,
                    has_2fa: r.get(5)?,
                })
            })
            .optional()?)
    }
}
