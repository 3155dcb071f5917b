//! Login sessions, CSRF tokens and the login rate limit (design §6).
//!
//! - A session is a random token in an `HttpOnly; SameSite=Strict` cookie. Only its SHA-256 is stored,
//!   so a copy of the database can't be used to log in.
//! - Each session has its own random CSRF token, put in every form as a hidden field and checked on every
//!   state-changing request. Before login (the login and setup forms) a double-submit cookie does the
//!   same job.
//! - Failed logins are counted per client (an IPv4 address, or an IPv6 /64); after [`MAX_FAILS`] in
//!   [`FAIL_WINDOW`] further tries are refused until the window has passed.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::auth::{self, Role};
use crate::http::{Ctx, Request};
use crate::store::{self, web::SessionRow, Store, StoreError};

/// The session cookie's name.
pub const COOKIE: &str = "rb_session";
/// The pre-login CSRF cookie's name (double submit for the login and setup forms).
pub const PRE_COOKIE: &str = "rb_pre";
/// How long a session lasts.
pub const LIFETIME: i64 = 12 * 3600;
/// How long a login may wait for the second factor's code.
pub const PENDING_LIFETIME: i64 = 300;
/// Wrong codes after which a waiting login is dropped (the per-address limit counts them too).
pub const MAX_CODE_TRIES: i64 = 5;

const MAX_FAILS: usize = 10;
const FAIL_WINDOW: Duration = Duration::from_secs(300);
/// Clients whose failures are remembered at once. Past this, the ones with the fewest recent
/// failures make room (see [`failed`]), never all of them.
const MAX_CLIENTS: usize = 10_000;

/// The logged-in user as a page sees them.
#[derive(Clone, Debug)]
pub struct Session {
    pub user_id: i64,
    pub name: String,
    pub role: Role,
    pub language: String,
    pub employee_id: Option<i64>,
    pub csrf: String,
    pub has_2fa: bool,
}

impl Session {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Starts a session for a user; returns the cookie's value (the raw token).
pub fn create(store: &Store, user_id: i64) -> Result<String, StoreError> {
    start(store, user_id, false)
}

/// Starts a login that has passed the password and waits for the second factor's code: it opens no
/// page and ends after [`PENDING_LIFETIME`] or [`MAX_CODE_TRIES`] wrong codes. A right code replaces
/// it with a new session ([`create`]), so the token that was set before the code isn't the one that
/// ends up logged in.
pub fn create_pending(store: &Store, user_id: i64) -> Result<String, StoreError> {
    start(store, user_id, true)
}

fn start(store: &Store, user_id: i64, pending: bool) -> Result<String, StoreError> {
    let token = auth::random_token(40);
    let csrf = auth::random_token(32);
    let hash = sha256_hex(&token);
    let now = store::now();
    let until = now + if pending { PENDING_LIFETIME } else { LIFETIME };
    store.write(move |tx| {
        store::web::insert_session(tx, &hash, user_id, &csrf, now, until, pending)
    })?;
    Ok(token)
}

/// The pending login the request's cookie names.
pub fn pending(ctx: &Ctx, req: &Request) -> Result<Option<store::web::PendingLogin>, StoreError> {
    match req
        .cookie(COOKIE)
        .filter(|t| !t.is_empty() && t.len() <= 100)
    {
        Some(token) => ctx.reader.pending_login(&sha256_hex(&token), store::now()),
        None => Ok(None),
    }
}

/// Counts a wrong code against the request's pending login; false once it has been dropped.
pub fn wrong_code(store: &Store, req: &Request) -> Result<bool, StoreError> {
    let Some(token) = req.cookie(COOKIE) else {
        return Ok(false);
    };
    let hash = sha256_hex(&token);
    store.write(move |tx| store::web::wrong_code(tx, &hash, MAX_CODE_TRIES))
}

/// Ends the user's other sessions, after they changed their password or second factor: whoever
/// logged in with the old ones is logged out, and the request's own session stays.
pub fn end_others(store: &Store, req: &Request, user_id: i64) -> Result<(), StoreError> {
    let keep = sha256_hex(&req.cookie(COOKIE).unwrap_or_default());
    store.write(move |tx| store::web::end_other_sessions(tx, user_id, &keep))
}

/// Ends the request's session, if any.
pub fn destroy(store: &Store, req: &Request) -> Result<(), StoreError> {
    if let Some(t) = req.cookie(COOKIE) {
        let hash = sha256_hex(&t);
        store.write(move |tx| store::web::delete_session(tx, &hash))?;
    }
    Ok(())
}

/// The request's session, if its cookie names a live one.
pub fn current(ctx: &Ctx, req: &Request) -> Result<Option<Session>, StoreError> {
    let Some(token) = req
        .cookie(COOKIE)
        .filter(|t| !t.is_empty() && t.len() <= 100)
    else {
        return Ok(None);
    };
    let row = ctx.reader.web_session(&sha256_hex(&token), store::now())?;
    Ok(row.map(|r: SessionRow| Session {
        user_id: r.user_id,
        name: r.name,
        role: r.role.parse().unwrap_or(Role::Staff),
        language: r.language,
        employee_id: r.employee_id,
        csrf: r.csrf,
        has_2fa: r.has_2fa,
    }))
}

/// The `Set-Cookie` value for a new session.
pub fn cookie(token: &str) -> String {
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={LIFETIME}")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// The pre-login CSRF token: the request's cookie if it has a sane one, else a new one (to be set).
pub fn pre_token(req: &Request) -> (String, bool) {
    match req
        .cookie(PRE_COOKIE)
        .filter(|t| t.len() == 32 && t.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        Some(t) => (t, false),
        None => (auth::random_token(32), true),
    }
}

pub fn pre_cookie(token: &str) -> String {
    format!("{PRE_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict")
}

/// Whether a form's `csrf` field matches the pre-login cookie.
pub fn pre_ok(req: &Request, form_value: Option<&str>) -> bool {
    match (req.cookie(PRE_COOKIE), form_value) {
        (Some(c), Some(f)) => !c.is_empty() && auth::same_secret(c.as_bytes(), f.as_bytes()),
        _ => false,
    }
}

/// Recent failed logins per client (see [`client`]), for the login rate limit.
#[derive(Default)]
struct Failures {
    by_client: HashMap<IpAddr, Vec<Instant>>,
}

static FAILS: Mutex<Option<Failures>> = Mutex::new(None);

fn fails() -> std::sync::MutexGuard<'static, Option<Failures>> {
    // A panic while holding this lock leaves at worst a stale counter; keep going.
    FAILS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whom failures are counted against: an IPv4 address as it is (also when it arrives IPv4-mapped),
/// an IPv6 address by its /64. One home or office line is usually given a whole /64, and any host in
/// it may pick a new address at will; counted per address, such a client would get 10 tries for
/// each of 2^64 addresses.
fn client(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

impl Failures {
    fn may_try(&mut self, ip: IpAddr) -> bool {
        let Some(v) = self.by_client.get_mut(&client(ip)) else {
            return true;
        };
        v.retain(|t| t.elapsed() < FAIL_WINDOW);
        v.len() < MAX_FAILS
    }

    /// The table holds [`MAX_CLIENTS`]. When it is full, clients whose failures have all expired
    /// go first; then the client with the fewest recent failures (the longest quiet among equals).
    /// Clearing it all, as it once did, would have let anyone with 10,000 addresses free a blocked
    /// one; this way a blocked client outlasts every client with fewer failures, so pushing it out
    /// takes as many failed tries as it was allowed anyway.
    fn failed(&mut self, ip: IpAddr) {
        let key = client(ip);
        let map = &mut self.by_client;
        if map.len() >= MAX_CLIENTS && !map.contains_key(&key) {
            map.retain(|_, v| {
                v.retain(|t| t.elapsed() < FAIL_WINDOW);
                !v.is_empty()
            });
            if map.len() >= MAX_CLIENTS {
                let weakest = map
                    .iter()
                    .min_by_key(|(_, v)| (v.len(), v.last().copied()))
                    .map(|(k, _)| *k);
                if let Some(k) = weakest {
                    map.remove(&k);
                }
            }
        }
        map.entry(key).or_default().push(Instant::now());
    }

    fn succeeded(&mut self, ip: IpAddr) {
        self.by_client.remove(&client(ip));
    }
}

/// Whether this address may try to log in now.
pub fn may_try(ip: IpAddr) -> bool {
    fails().get_or_insert_with(Failures::default).may_try(ip)
}

/// Counts a failed login from this address.
pub fn failed(ip: IpAddr) {
    fails().get_or_insert_with(Failures::default).failed(ip)
}

/// Forgets the failures of an address (its IPv6 /64) after a successful login.
pub fn succeeded(ip: IpAddr) {
    fails().get_or_insert_with(Failures::default).succeeded(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_blocks_after_max_fails_per_address() {
        let ip: IpAddr = "192.0.2.77".parse().unwrap();
        let other: IpAddr = "192.0.2.78".parse().unwrap();
        for _ in 0..MAX_FAILS {
            assert!(may_try(ip));
            failed(ip);
        }
        assert!(!may_try(ip));
        assert!(may_try(other));
        succeeded(ip);
        assert!(may_try(ip));
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64_and_a_mapped_ipv4_as_itself() {
        let mut f = Failures::default();
        let host: IpAddr = "2001:db8:7:1::10".parse().unwrap();
        for i in 0..MAX_FAILS {
            // A new address in the same /64 for every try.
            let ip: IpAddr = format!("2001:db8:7:1:{i:x}::1").parse().unwrap();
            assert!(f.may_try(ip));
            f.failed(ip);
        }
        assert!(!f.may_try(host), "another address in the same /64");
        assert!(
            f.may_try("2001:db8:7:2::10".parse().unwrap()),
            "the next /64"
        );
        f.succeeded(host);
        assert!(f.may_try(host));

        let v4: IpAddr = "198.51.100.23".parse().unwrap();
        let mapped: IpAddr = "::ffff:198.51.100.23".parse().unwrap();
        for _ in 0..MAX_FAILS {
            f.failed(mapped);
        }
        assert!(!f.may_try(v4));
        f.succeeded(v4);
        assert!(f.may_try(mapped));
    }

    #[test]
    fn a_flood_of_other_addresses_does_not_free_a_blocked_one() {
        let mut f = Failures::default();
        let blocked: IpAddr = "203.0.113.9".parse().unwrap();
        for _ in 0..MAX_FAILS {
            f.failed(blocked);
        }
        // One failure each from more addresses than the table holds.
        for i in 0..(MAX_CLIENTS as u32 + 100) {
            f.failed(IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i)));
        }
        assert!(!f.may_try(blocked));
        let len = f.by_client.len();
        assert!(len <= MAX_CLIENTS, "{len} clients kept");
        // Asking leaves nothing behind for an address that never failed.
        let fresh: IpAddr = "203.0.113.200".parse().unwrap();
        assert!(f.may_try(fresh));
        assert!(!f.by_client.contains_key(&fresh));
    }

    #[test]
    fn cookies_are_http_only_and_strict() {
        let c = cookie("tok");
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict"));
        assert!(clear_cookie().contains("Max-Age=0"));
    }
}
