//! The people who log in, as an admin manages them on the Users page: create (with the employee they
//! are, for "own calls" and notifications), disable and enable, reset a password, turn a second factor
//! on or off (the user's own, on their account page; anyone's off, for an admin). Password hashing and
//! the first admin are `auth`'s; this module adds the rules of managing accounts afterwards, above all
//! that the last active admin can never be disabled.

use std::fmt;

use crate::auth::{self, Role};
use crate::breached;
use crate::password;
use crate::recovery;
use crate::store::{self, users::DisableOutcome, Store, StoreError};

/// Why a change to a user was refused. Each has a key in the web UI's translation table.
#[derive(Debug)]
pub enum UserError {
    /// The name is empty, longer than 64 characters or has control characters.
    BadName,
    /// Another user (active or disabled) has this name; names compare without case.
    NameTaken,
    /// What `auth` refused in its own words (hashing failed, a name taken in a race).
    Invalid(String),
    /// The password is too short, too long, mostly a common word, a run or a repeat, or seen in a
    /// known data breach.
    WeakPassword(password::Weak),
    NoSuchUser,
    NoSuchEmployee,
    LastAdmin,
    /// An admin may not disable their own account (they would lock themselves out mid-click).
    Yourself,
    /// The code is not the one the authenticator app shows for the secret (or the secret is not one
    /// this page made).
    WrongCode,
    Store(StoreError),
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserError::BadName => f.write_str("a user name must be 1 to 64 printable characters"),
            UserError::NameTaken => f.write_str("a user with that name already exists"),
            UserError::Invalid(why) => f.write_str(why),
            UserError::WeakPassword(w) => write!(f, "{w}"),
            UserError::NoSuchUser => f.write_str("there is no such user"),
            UserError::NoSuchEmployee => f.write_str("there is no such employee"),
            UserError::LastAdmin => f.write_str(
                "this is the last administrator; make another user an administrator first",
            ),
            UserError::Yourself => f.write_str("you can't disable your own account"),
            UserError::WrongCode => f.write_str(
                "the code is not the one the authenticator app shows; check the phone's clock and type the code shown now",
            ),
            UserError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for UserError {}

impl From<StoreError> for UserError {
    fn from(e: StoreError) -> Self {
        UserError::Store(e)
    }
}

/// Creates a user and links them to an employee, if one is given.
pub fn create(
    store: &Store,
    reader: &store::Reader,
    name: &str,
    password: &str,
    role: Role,
    employee: Option<i64>,
) -> Result<i64, UserError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(UserError::BadName);
    }
    if reader
        .users_all()?
        .iter()
        .any(|u| u.name.to_lowercase() == name.to_lowercase())
    {
        return Err(UserError::NameTaken);
    }
    password::check(password, name).map_err(UserError::WeakPassword)?;
    if let Some(e) = employee {
        if !reader.employee_exists(e)? {
            return Err(UserError::NoSuchEmployee);
        }
    }
    breached::check(store, password).map_err(UserError::WeakPassword)?;
    let id = auth::add_checked_user(store, name, password, role).map_err(UserError::Invalid)?;
    if employee.is_some() {
        store.write(move |tx| store::web::set_user_employee(tx, id, employee))?;
    }
    Ok(id)
}

/// Disables (`disabled = true`) or enables a user. `acting` is the admin doing it.
pub fn set_disabled(
    store: &Store,
    acting: i64,
    user: i64,
    disabled: bool,
) -> Result<(), UserError> {
    if disabled && acting == user {
        return Err(UserError::Yourself);
    }
    match store.write(move |tx| store::users::set_disabled(tx, user, disabled))? {
        DisableOutcome::Done => Ok(()),
        DisableOutcome::NoSuchUser => Err(UserError::NoSuchUser),
        DisableOutcome::LastAdmin => Err(UserError::LastAdmin),
    }
}

/// Sets a new password for a user. Someone else's sessions end; the acting admin's own stays.
pub fn reset_password(
    store: &Store,
    acting: i64,
    user: i64,
    password: &str,
) -> Result<(), UserError> {
    let name = store
        .reader()?
        .users_all()?
        .into_iter()
        .find(|u| u.id == user)
        .ok_or(UserError::NoSuchUser)?
        .name;
    password::check(password, &name).map_err(UserError::WeakPassword)?;
    breached::check(store, password).map_err(UserError::WeakPassword)?;
    let hash = auth::hash_password(password).map_err(UserError::Invalid)?;
    let end_sessions = acting != user;
    if store.write(move |tx| store::users::set_password(tx, user, &hash, end_sessions))? {
        Ok(())
    } else {
        Err(UserError::NoSuchUser)
    }
}

/// Turns on a user's second factor with a secret their app has shown `code` for (at `now`), and
/// gives the user new recovery codes, which are returned to be shown once. The caller has checked
/// the user's password. `WrongCode` if the code isn't the secret's.
pub fn enable_second_factor(
    store: &Store,
    user: i64,
    secret: &[u8],
    code: &str,
    now: i64,
) -> Result<Vec<String>, UserError> {
    if secret.len() != crate::totp::SECRET_BYTES {
        return Err(UserError::WrongCode);
    }
    let step = crate::totp::verify(secret, code, now, 0).ok_or(UserError::WrongCode)?;
    let secret = secret.to_vec();
    let (shown, stored) = recovery::new_codes();
    let known = store.write(move |tx| {
        Ok(store::users::set_totp(tx, user, Some(&secret), step)?
            && store::users::set_recovery_codes(tx, user, &stored)?)
    })?;
    if known {
        Ok(shown)
    } else {
        Err(UserError::NoSuchUser)
    }
}

/// Replaces a user's recovery codes with new ones, returned to be shown once; the old ones stop
/// working. The caller has checked the user's password. `NoSuchUser` for a user without a second
/// factor, who has no use for them.
pub fn new_recovery_codes(store: &Store, user: i64) -> Result<Vec<String>, UserError> {
    let (shown, stored) = recovery::new_codes();
    let has_factor = store.write(move |tx| store::users::set_recovery_codes(tx, user, &stored))?;
    if has_factor {
        Ok(shown)
    } else {
        Err(UserError::NoSuchUser)
    }
}

/// Logs a user in with a recovery code in place of the app's code: true if `typed` is one of the
/// user's codes, which is then used up.
pub fn use_recovery_code(store: &Store, user: i64, typed: &str) -> Result<bool, StoreError> {
    let Some(code) = recovery::read(typed) else {
        return Ok(false);
    };
    store.write(move |tx| {
        store::users::take_recovery_code(tx, user, |c| recovery::matches(c, &code))
    })
}

/// Turns off a user's second factor: the user's own (after their password and a code) or anyone's
/// by an admin or `ringbook user reset-2fa`, for a lost phone.
pub fn remove_second_factor(store: &Store, user: i64) -> Result<(), UserError> {
    if store.write(move |tx| store::users::set_totp(tx, user, None, 0))? {
        Ok(())
    } else {
        Err(UserError::NoSuchUser)
    }
}
