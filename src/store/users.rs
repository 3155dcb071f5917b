//! SQL for managing the people who log in (the Users page, `users.rs`): the full list with disabled
//! accounts, disabling with the last-admin guard, password resets, and second factors with their
//! recovery codes. Creating a user is `store::auth::insert_user`; sessions and the employee link
//! are in `store::web`.

use rusqlite::{params, Connection, OptionalExtension};

use super::{now, Reader, Result};
use crate::recovery::Stored;

/// A user as the Users page lists them, disabled ones included.
#[derive(Clone, Debug)]
pub struct UserListRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub employee_id: Option<i64>,
    pub disabled_at: Option<i64>,
    pub has_2fa: bool,
}

/// What [`set_disabled`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisableOutcome {
    Done,
    NoSuchUser,
    /// Refused: the user is the only active admin, and nobody could manage ringbook any more.
    LastAdmin,
}

/// Disables or enables a user. The last-admin check runs in the same transaction as the update, so
/// two admins disabling each other at once can't leave nobody. A disabled user's sessions end.
pub fn set_disabled(tx: &Connection, user_id: i64, disabled: bool) -> Result<DisableOutcome> {
    let row: Option<(String, Option<i64>)> = tx
        .query_row(
            "SELECT role, disabled_at FROM users WHERE id = ?1",
            [user_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((role, disabled_at)) = row else {
        return Ok(DisableOutcome::NoSuchUser);
    };
    if disabled {
        if disabled_at.is_some() {
            return Ok(DisableOutcome::Done);
        }
        if role == "admin" {
            let others: i64 = tx.query_row(
                "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> ?1",
                [user_id],
                |r| r.get(0),
            )?;
            if others == 0 {
                return Ok(DisableOutcome::LastAdmin);
            }
        }
        tx.execute(
            "UPDATE users SET disabled_at = ?2 WHERE id = ?1",
            params![user_id, now()],
        )?;
        tx.execute("DELETE FROM web_sessions WHERE user_id = ?1", [user_id])?;
    } else {
        tx.execute(
            "UPDATE users SET disabled_at = NULL WHERE id = ?1",
            [user_id],
        )?;
    }
    Ok(DisableOutcome::Done)
}

/// Sets a user's password hash. With `end_sessions`, the user's open sessions end too (an admin
/// resetting someone else's password locks out whoever knew the old one). Returns false for an
/// unknown user.
pub fn set_password(
    tx: &Connection,
    user_id: i64,
    password_hash: &str,
    end_sessions: bool,
) -> Result<bool> {
    let n = tx.execute(
        "UPDATE users SET password_hash = ?2 WHERE id = ?1",
        params![user_id, password_hash],
    )?;
    if n > 0 && end_sessions {
        tx.execute("DELETE FROM web_sessions WHERE user_id = ?1", [user_id])?;
    }
    Ok(n > 0)
}

/// Sets or removes (`None`) a user's second factor. A new secret starts with `step`, the step of the
/// code that confirmed it, so that code can't log in too. Removing it ends the user's sessions that
/// wait for a code. Returns false for an unknown user.
pub fn set_totp(tx: &Connection, user_id: i64, secret: Option<&[u8]>, step: i64) -> Result<bool> {
    let n = tx.execute(
        "UPDATE users SET totp_secret = ?2, totp_step = ?3 WHERE id = ?1",
        params![user_id, secret, step],
    )?;
    tx.execute(
        "DELETE FROM web_sessions WHERE user_id = ?1 AND pending = 1",
        [user_id],
    )?;
    if secret.is_none() {
        tx.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [user_id])?;
    }
    Ok(n > 0)
}

/// Replaces a user's recovery codes with `codes`. Returns false, storing nothing, for a user without
/// a second factor.
pub fn set_recovery_codes(tx: &Connection, user_id: i64, codes: &[Stored]) -> Result<bool> {
    let has_factor: i64 = tx.query_row(
        "SELECT count(*) FROM users WHERE id = ?1 AND totp_secret IS NOT NULL",
        [user_id],
        |r| r.get(0),
    )?;
    if has_factor == 0 {
        return Ok(false);
    }
    tx.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [user_id])?;
    let mut st =
        tx.prepare_cached("INSERT INTO recovery_codes(user_id, salt, hash) VALUES (?1, ?2, ?3)")?;
    for c in codes {
        st.execute(params![user_id, c.salt, c.hash])?;
    }
    Ok(true)
}

/// Takes the recovery code of a user that `fits`, if one does: it is deleted, so it logs in once.
/// Looking and deleting happen in the writer's transaction, so two requests racing with the same
/// code can't both win.
pub fn take_recovery_code(
    tx: &Connection,
    user_id: i64,
    fits: impl Fn(&Stored) -> bool,
) -> Result<bool> {
    let mut st =
        tx.prepare_cached("SELECT id, salt, hash FROM recovery_codes WHERE user_id = ?1")?;
    let codes = st
        .query_map([user_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                Stored {
                    salt: r.get(1)?,
                    hash: r.get(2)?,
                },
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // Every stored code is compared, so the time taken doesn't tell which one fitted.
    let found = codes.iter().fold(
        None,
        |found, (id, c)| if fits(c) { Some(*id) } else { found },
    );
    if let Some(id) = found {
        tx.execute("DELETE FROM recovery_codes WHERE id = ?1", [id])?;
    }
    Ok(found.is_some())
}

impl Reader {
    /// A user's second factor: the secret and the last step a code was accepted for.
    pub fn user_totp(&self, user_id: i64) -> Result<Option<(Vec<u8>, i64)>> {
        let mut st = self.conn().prepare_cached(
            "SELECT totp_secret, totp_step FROM users WHERE id = ?1 AND totp_secret IS NOT NULL",
        )?;
        Ok(st
            .query_row([user_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// How many recovery codes a user has left.
    pub fn recovery_codes_left(&self, user_id: i64) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM recovery_codes WHERE user_id = ?1",
            [user_id],
            |r| r.get(0),
        )?)
    }

    /// Every user, active ones first, then by name.
    pub fn users_all(&self) -> Result<Vec<UserListRow>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, name, role, employee_id, disabled_at, totp_secret IS NOT NULL FROM users
             ORDER BY disabled_at IS NOT NULL, name",
        )?;
        let rows = st.query_map([], |r| {
            Ok(UserListRow {
                id: r.get(0)?,
                name: r.get(1)?,
                role: r.get(2)?,
                employee_id: r.get(3)?,
                disabled_at: r.get(4)?,
                has_2fa: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recovery;
    use crate::store::Store;

    /// A recovery code logs in once; a user without a second factor gets none; removing the factor
    /// removes them; new codes replace the old ones.
    #[test]
    fn recovery_codes_work_once_and_go_with_the_factor() {
        let dir = crate::store::test_dir("recovery");
        let store = Store::open(&dir.join("t.db")).unwrap();
        store
            .write(|tx| {
                tx.execute_batch(
                    "INSERT INTO users(id, name, password_hash, role, created_at)
                     VALUES (1, 'anna', 'x', 'admin', 0), (2, 'ben', 'x', 'staff', 0);",
                )?;
                Ok(())
            })
            .unwrap();
        let set = |user: i64, codes: Vec<Stored>| {
            store
                .write(move |tx| set_recovery_codes(tx, user, &codes))
                .unwrap()
        };
        let take = |user: i64, shown: &str| {
            let code = recovery::read(shown).unwrap();
            store
                .write(move |tx| take_recovery_code(tx, user, |c| recovery::matches(c, &code)))
                .unwrap()
        };
        let left = |user: i64| store.reader().unwrap().recovery_codes_left(user).unwrap();

        let (shown, stored) = recovery::new_codes();
        assert!(!set(1, stored.clone()), "no second factor, no codes");
        assert_eq!(left(1), 0);
        store
            .write(|tx| set_totp(tx, 1, Some(&[7u8; 20]), 0))
            .unwrap();
        assert!(set(1, stored));
        assert_eq!(left(1), recovery::COUNT as i64);

        assert!(!take(2, &shown[0]), "another user's code");
        assert!(take(1, &shown[0]));
        assert!(!take(1, &shown[0]), "the same code twice");
        assert_eq!(left(1), recovery::COUNT as i64 - 1);

        let (new_shown, new_stored) = recovery::new_codes();
        assert!(set(1, new_stored));
        assert!(!take(1, &shown[1]), "an old code after new ones were made");
        assert!(take(1, &new_shown[1]));

        store.write(|tx| set_totp(tx, 1, None, 0)).unwrap();
        assert_eq!(left(1), 0, "the codes go with the factor");
    }
}
