//! Who may do what: the first-run setup code, users with argon2id passwords, and API keys with scopes and
//! IP allowlists for phones and PBXs.
//!
//! Keys look like `rbk_<id>_<secret>`. Only a SHA-256 of the secret is stored: the secret is 32 random
//! characters, so a fast hash is enough and keeps key checks off the lookup's critical path (argon2 is
//! for human passwords, which are weak and need a slow hash). A key without a secret works by source IP
//! alone, for phones that can't send one.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};

use crate::store::{self, Reader, Store, StoreError};

/// What a key may be used for. `admin` implies every other scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Lookup,
    Journal,
    Phonebook,
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 4] = [
        Scope::Lookup,
        Scope::Journal,
        Scope::Phonebook,
        Scope::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Lookup => "lookup",
            Scope::Journal => "journal",
            Scope::Phonebook => "phonebook",
            Scope::Admin => "admin",
        }
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|x| x.as_str() == s.trim())
            .ok_or_else(|| format!("'{s}' is not a scope; use lookup, journal, phonebook or admin"))
    }
}

/// An IP network such as `192.168.1.0/24` or `fd00::/8`; a bare address means just that host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bad = || {
            format!(
                "'{s}' is not an IP address or network; write e.g. 192.168.1.0/24 or 192.168.1.20"
            )
        };
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Cidr { addr, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.prefix)
                };
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - self.prefix)
                };
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// A stored key as the checks need it.
#[derive(Clone, Debug)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub key_id: String,
    pub secret_hash: Option<String>,
    pub scopes: Vec<Scope>,
    pub allow: Vec<Cidr>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl ApiKey {
    pub fn has_scope(&self, s: Scope) -> bool {
        self.scopes.contains(&s) || self.scopes.contains(&Scope::Admin)
    }
    fn ip_allowed(&self, ip: IpAddr) -> bool {
        self.allow.is_empty() || self.allow.iter().any(|c| c.contains(ip))
    }
}

/// Why a request was refused. The text goes back to the client, so it says what to do.
#[derive(Debug, PartialEq, Eq)]
pub enum AuthError {
    Missing,
    Invalid,
    WrongScope(Scope),
    IpNotAllowed(IpAddr),
    Store(String),
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Missing => write!(
                f,
                "an API key is required: send it as 'Authorization: Bearer KEY', 'X-Api-Key: KEY' or '?key=KEY' (create one with 'ringbook apikey create')"
            ),
            AuthError::Invalid => write!(f, "the API key is not valid (unknown, mistyped or revoked)"),
            AuthError::WrongScope(s) => write!(f, "the API key does not have the '{}' scope", s.as_str()),
            AuthError::IpNotAllowed(ip) => write!(f, "the API key may not be used from {ip}"),
            AuthError::Store(e) => write!(f, "the key could not be checked: {e}"),
        }
    }
}

impl std::error::Error for AuthError {}

/// Compares two secrets (tokens, CSRF values, signatures, codes) in time that depends only on their
/// lengths, so response times don't tell how much of a guess was right.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn sha256_hex(s: &str) -> String {
    crate::hex::lower(&Sha256::digest(s.as_bytes()))
}

/// Random characters from an alphabet without look-alikes (no 0/O, 1/l/I).
pub fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut bytes = vec![0u8; len];
    getrandom::getrandom(&mut bytes).expect("the OS random number generator failed");
    // 256 is not a multiple of 55; rejection sampling would remove a tiny bias that doesn't matter for
    // 190-bit secrets, but keeps the code honest about uniformity.
    let mut out = String::with_capacity(len);
    let mut i = 0;
    while out.len() < len {
        if i == bytes.len() {
            getrandom::getrandom(&mut bytes).expect("the OS random number generator failed");
            i = 0;
        }
        let b = bytes[i] as usize;
        i += 1;
        if b < 4 * ALPHABET.len() {
            out.push(ALPHABET[b % ALPHABET.len()] as char);
        }
    }
    out
}

/// Checks a presented key (or, without one, the source address against secret-less keys) for `scope`.
pub fn authorize(
    reader: &Reader,
    presented: Option<&str>,
    ip: IpAddr,
    scope: Scope,
) -> Result<ApiKey, AuthError> {
    let store_err = |e: StoreError| AuthError::Store(e.to_string());
    match presented.map(str::trim).filter(|s| !s.is_empty()) {
        Some(key) => {
            let (key_id, secret) = split_key(key).ok_or(AuthError::Invalid)?;
            let k = reader
                .api_key_by_key_id(key_id)
                .map_err(store_err)?
                .ok_or(AuthError::Invalid)?;
            let hash_ok = k
                .secret_hash
                .as_deref()
                .is_some_and(|h| h == sha256_hex(secret));
            if k.revoked_at.is_some() || !hash_ok {
                return Err(AuthError::Invalid);
            }
            if !k.ip_allowed(ip) {
                return Err(AuthError::IpNotAllowed(ip));
            }
            if !k.has_scope(scope) {
                return Err(AuthError::WrongScope(scope));
            }
            Ok(k)
        }
        None => {
            let keys = reader.api_keys_without_secret().map_err(store_err)?;
            let mut from_ip = keys
                .into_iter()
                .filter(|k| k.revoked_at.is_none() && !k.allow.is_empty() && k.ip_allowed(ip));
            let first = from_ip.next().ok_or(AuthError::Missing)?;
            if first.has_scope(scope) {
                return Ok(first);
            }
            from_ip
                .find(|k| k.has_scope(scope))
                .ok_or(AuthError::WrongScope(scope))
        }
    }
}

fn split_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("rbk_")?;
    let (id, secret) = rest.split_once('_')?;
    (!id.is_empty() && !secret.is_empty()).then_some((id, secret))
}

/// A new key as created: the full key is shown once and never stored.
pub struct CreatedKey {
    pub id: i64,
    pub key_id: String,
    pub full_key: Option<String>,
}

/// Creates a key. With `with_secret` false the key has no secret and works by `allow` alone, which then
/// must not be empty.
pub fn create_key(
    store: &Store,
    name: &str,
    scopes: &[Scope],
    allow: &[Cidr],
    with_secret: bool,
) -> Result<CreatedKey, String> {
    if name.trim().is_empty() {
        return Err("a key needs a name, e.g. --name 'Snom phones'".into());
    }
    if scopes.is_empty() {
        return Err("a key needs at least one scope: lookup, journal, phonebook or admin".into());
    }
    if !with_secret && allow.is_empty() {
        return Err("a key without a secret works by IP address alone, so give at least one --allow network".into());
    }
    let key_id = random_token(10);
    let secret = with_secret.then(|| random_token(32));
    let hash = secret.as_deref().map(sha256_hex);
    let scopes_s: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    let allow_s: Vec<String> = allow.iter().map(|c| c.to_string()).collect();
    let (n, kid, sc, al) = (
        name.trim().to_string(),
        key_id.clone(),
        scopes_s.join(","),
        allow_s.join(","),
    );
    let id = store
        .write(move |tx| store::auth::insert_key(tx, &n, &kid, hash.as_deref(), &sc, &al))
        .map_err(|e| e.to_string())?;
    Ok(CreatedKey {
        id,
        full_key: secret.map(|s| format!("rbk_{key_id}_{s}")),
        key_id,
    })
}

pub fn revoke_key(store: &Store, id: i64) -> Result<(), StoreError> {
    store.write(move |tx| store::auth::revoke_key(tx, id))
}

/// Parses the stored comma lists back into scopes and networks. Bad entries (edited by hand) are
/// dropped: a key never gains rights from a value it can't read.
pub fn parse_key_fields(scopes: &str, allow: &str) -> (Vec<Scope>, Vec<Cidr>) {
    let scopes = scopes.split(',').filter_map(|s| s.parse().ok()).collect();
    let allow = allow
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    (scopes, allow)
}

/// Roles of people who log in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    Staff,
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "admin" => Ok(Role::Admin),
            "staff" => Ok(Role::Staff),
            _ => Err(format!("'{s}' is not a role; use admin or staff")),
        }
    }
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
        }
    }
}

pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Checks a login's password against the user's hash, or, for a name that matches no user, against a
/// hash of nothing in particular, which is always refused. Either way one argon2 verification runs,
/// so the time a login takes doesn't tell whether a user name exists.
pub fn verify_login(password: &str, hash: Option<&str>) -> bool {
    match hash {
        Some(h) => verify_password(password, h),
        None => {
            verify_password(password, stand_in_hash());
            false
        }
    }
}

/// An argon2id hash with the same parameters as every user's, of a random password made at first
/// use and never kept.
fn stand_in_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        hash_password(&random_token(32)).expect("hashing a random password with argon2id")
    })
}

/// Adds a person who can log in to the web UI. Creating the first admin also ends first-run setup.
pub fn add_user(store: &Store, name: &str, password: &str, role: Role) -> Result<i64, String> {
    let name = user_name(name)?;
    crate::password::check(password, &name).map_err(|w| w.to_string())?;
    crate::breached::check(store, password).map_err(|w| w.to_string())?;
    add_checked_user(store, &name, password, role)
}

/// A user name as stored: trimmed, 1 to 64 characters, none of them control characters.
fn user_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err("a user name must be 1 to 64 printable characters".into());
    }
    Ok(name.to_string())
}

/// [`add_user`] for a password its caller has already checked, on the box and against breaches.
pub fn add_checked_user(
    store: &Store,
    name: &str,
    password: &str,
    role: Role,
) -> Result<i64, String> {
    let name = user_name(name)?;
    let hash = hash_password(password)?;
    store
        .write(move |tx| {
            let id = store::auth::insert_user(tx, &name, &hash, role.as_str())?;
            if role == Role::Admin {
                store::settings::meta_delete(tx, SETUP_CODE_KEY)?;
            }
            Ok(id)
        })
        .map_err(|e| match e {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _))
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                "a user with that name already exists".to_string()
            }
            other => other.to_string(),
        })
}

const SETUP_CODE_KEY: &str = "setup.code_hash";

/// On a database without an admin, makes a fresh one-time setup code, stores its hash and returns it
/// for the log. Every start makes a new one, so a code that scrolled away is never needed again.
pub fn issue_setup_code(store: &Store, reader: &Reader) -> Result<Option<String>, StoreError> {
    if reader.admin_count()? > 0 {
        return Ok(None);
    }
    let raw = random_token(12).to_uppercase();
    let code = format!("{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..12]);
    let hash = sha256_hex(&code);
    store.write(move |tx| store::settings::meta_put(tx, SETUP_CODE_KEY, &hash))?;
    Ok(Some(code))
}

/// Checks a setup code typed into the setup page. Case and dashes don't matter.
pub fn check_setup_code(reader: &Reader, typed: &str) -> Result<bool, StoreError> {
    let cleaned: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_uppercase();
    if cleaned.len() != 12 {
        return Ok(false);
    }
    let code = format!("{}-{}-{}", &cleaned[0..4], &cleaned[4..8], &cleaned[8..12]);
    Ok(reader
        .meta_get(SETUP_CODE_KEY)?
        .is_some_and(|h| h == sha256_hex(&code)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_match_v4_v6_and_mapped() {
        let net: Cidr = "192.168.1.0/24".parse().unwrap();
        assert!(net.contains("192.168.1.77".parse().unwrap()));
        assert!(!net.contains("192.168.2.1".parse().unwrap()));
        assert!(net.contains("::ffff:192.168.1.5".parse().unwrap()));
        let host: Cidr = "10.0.0.5".parse().unwrap();
        assert!(host.contains("10.0.0.5".parse().unwrap()));
        assert!(!host.contains("10.0.0.6".parse().unwrap()));
        let v6: Cidr = "fd00::/8".parse().unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!("300.1.1.1/8".parse::<Cidr>().is_err());
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
    }

    #[test]
    fn an_unknown_user_costs_a_login_one_argon2_verification_too() {
        // The stand-in is a real argon2id hash with the users' parameters (a string that didn't
        // parse would be refused at once, and an unknown name would answer faster than a known one).
        let stand_in = PasswordHash::new(stand_in_hash()).unwrap();
        let real = hash_password("correct horse battery").unwrap();
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(stand_in.algorithm, real.algorithm);
        assert_eq!(stand_in.params, real.params);
        assert!(!verify_login("correct horse battery", None));
        assert!(!verify_login("", None));
        let h = hash_password("correct horse battery").unwrap();
        assert!(verify_login("correct horse battery", Some(&h)));
        assert!(!verify_login("wrong horse battery", Some(&h)));
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(same_secret(b"", b""));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
        assert!(!same_secret(b"", b"a"));
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
    }

    #[test]
    fn tokens_are_random_and_unambiguous() {
        let a = random_token(32);
        assert_eq!(a.len(), 32);
        assert_ne!(a, random_token(32));
        assert!(!a.contains(['0', 'O', '1', 'l', 'I']));
    }

    #[test]
    fn key_shape() {
        assert_eq!(split_key("rbk_abc_def"), Some(("abc", "def")));
        assert_eq!(split_key("abc_def"), None);
        assert_eq!(split_key("rbk__x"), None);
    }
}
