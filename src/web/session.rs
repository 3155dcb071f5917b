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
use std::time::Duration;

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
    crate::hex::lower(&Sha256::digest(s.as_bytes()))
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

/// Recent failed logins per client (see [`client`]), for the login rate limit: the times (Unix
/// seconds) of each client's failures in the last [`FAIL_WINDOW`].
///
/// The table is kept in memory, where every login asks it, and written through to the database
/// (`login_failures`), from which [`load_failures`] fills it again at start. Kept in memory only, it
/// was cleared by every restart, and a client can cause one: a flood of connections past the
/// descriptor limit makes ringbook exit for systemd to restart it, and a huge request header past
/// the service's memory limit gets it killed. Each restart would have bought 10 more guesses.
#[derive(Default)]
struct Failures {
    by_client: HashMap<IpAddr, Vec<i64>>,
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

/// Whether a failure at `at` still counts at `now`. A clock set back (a Pi without a real-time
/// clock, corrected by NTP) keeps failures longer, never shorter.
fn recent(at: i64, now: i64) -> bool {
    now - at < FAIL_WINDOW.as_secs() as i64
}

impl Failures {
    fn may_try(&mut self, ip: IpAddr, now: i64) -> bool {
        let Some(v) = self.by_client.get_mut(&client(ip)) else {
            return true;
        };
        v.retain(|&t| recent(t, now));
        v.len() < MAX_FAILS
    }

    /// The table holds [`MAX_CLIENTS`]. When it is full, clients whose failures have all expired
    /// go first; then the client with the fewest recent failures (the longest quiet among equals).
    /// Clearing it all, as it once did, would have let anyone with 10,000 addresses free a blocked
    /// one; this way a blocked client outlasts every client with fewer failures, so pushing it out
    /// takes as many failed tries as it was allowed anyway.
    fn failed(&mut self, ip: IpAddr, at: i64) {
        let key = client(ip);
        let map = &mut self.by_client;
        if map.len() >= MAX_CLIENTS && !map.contains_key(&key) {
            map.retain(|_, v| {
                v.retain(|&t| recent(t, at));
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
        map.entry(key).or_default().push(at);
    }

    fn succeeded(&mut self, ip: IpAddr) {
        self.by_client.remove(&client(ip));
    }
}

/// Whether this address may try to log in now.
pub fn may_try(ip: IpAddr) -> bool {
    fails()
        .get_or_insert_with(Failures::default)
        .may_try(ip, store::now())
}

/// Counts a failed login from this address, and records it in the database so that a restart
/// doesn't forget it. If the write fails the failure still counts until the next restart.
pub fn failed(store: &Store, ip: IpAddr) {
    let now = store::now();
    fails()
        .get_or_insert_with(Failures::default)
        .failed(ip, now);
    let who = client(ip).to_string();
    let expired = now - FAIL_WINDOW.as_secs() as i64;
    if let Err(e) = store.write(move |tx| store::web::record_login_failure(tx, &who, now, expired))
    {
        log::warn!(
            "a failed login could not be recorded in the database (it counts until a restart): {e}"
        );
    }
}

/// Forgets the failures of an address (its IPv6 /64) after a successful login.
pub fn succeeded(store: &Store, ip: IpAddr) {
    fails().get_or_insert_with(Failures::default).succeeded(ip);
    let who = client(ip).to_string();
    if let Err(e) = store.write(move |tx| store::web::clear_login_failures(tx, &who)) {
        log::warn!("a login's earlier failures could not be cleared in the database: {e}");
    }
}

/// Fills the login rate limit with the failures of the last [`FAIL_WINDOW`] from the database, at
/// start, so that a restart doesn't reset anyone's count. Returns how many clients have failures.
pub fn load_failures(reader: &store::Reader) -> Result<usize, StoreError> {
    let mut guard = fails();
    let table = guard.get_or_insert_with(Failures::default);
    table.load(reader, store::now())?;
    Ok(table.by_client.len())
}

impl Failures {
    fn load(&mut self, reader: &store::Reader, now: i64) -> Result<(), StoreError> {
        for (who, at) in reader.login_failures(now - FAIL_WINDOW.as_secs() as i64)? {
            // Only ringbook writes these; a row that isn't an address is skipped, not fatal.
            if let Ok(ip) = who.parse::<IpAddr>() {
                self.failed(ip, at);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_blocks_after_max_fails_per_address() {
        let dir = store::test_dir("login-limit");
        let store = Store::open(&dir.join("t.db")).unwrap();
        let ip: IpAddr = "192.0.2.77".parse().unwrap();
        let other: IpAddr = "192.0.2.78".parse().unwrap();
        for _ in 0..MAX_FAILS {
            assert!(may_try(ip));
            failed(&store, ip);
        }
        assert!(!may_try(ip));
        assert!(may_try(other));
        succeeded(&store, ip);
        assert!(may_try(ip));
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn failures_outlive_a_restart_until_their_window_ends_or_a_login_succeeds() {
        let dir = store::test_dir("login-restart");
        let store = Store::open(&dir.join("t.db")).unwrap();
        let blocked: IpAddr = "192.0.2.91".parse().unwrap();
        let forgiven: IpAddr = "192.0.2.92".parse().unwrap();
        let host_in_64: IpAddr = "2001:db8:9:1::77".parse().unwrap();
        for _ in 0..MAX_FAILS {
            failed(&store, blocked);
            failed(&store, forgiven);
            failed(&store, host_in_64);
        }
        succeeded(&store, forgiven);

        // A restart: a new table, filled from the database only.
        let reader = store.reader().unwrap();
        let now = store::now();
        let mut after = Failures::default();
        after.load(&reader, now).unwrap();
        assert!(
            !after.may_try(blocked, now),
            "still blocked after a restart"
        );
        assert!(
            !after.may_try("2001:db8:9:1::1234".parse().unwrap(), now),
            "an IPv6 client is still counted by its /64"
        );
        assert!(
            after.may_try(forgiven, now),
            "a successful login cleared it"
        );

        // Past the window, nothing is loaded.
        let later = now + FAIL_WINDOW.as_secs() as i64;
        let mut much_later = Failures::default();
        much_later.load(&reader, later).unwrap();
        assert!(
            much_later.by_client.is_empty(),
            "{:?} at {later}",
            much_later.by_client
        );
        assert!(much_later.may_try(blocked, later));
        drop((reader, store));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64_and_a_mapped_ipv4_as_itself() {
        let mut f = Failures::default();
        let host: IpAddr = "2001:db8:7:1::10".parse().unwrap();
        for i in 0..MAX_FAILS {
            // A new address in the same /64 for every try.
            let ip: IpAddr = format!("2001:db8:7:1:{i:x}::1").parse().unwrap();
            assert!(f.may_try(ip, 0));
            f.failed(ip, 0);
        }
        assert!(!f.may_try(host, 0), "another address in the same /64");
        assert!(
            f.may_try("2001:db8:7:2::10".parse().unwrap(), 0),
            "the next /64"
        );
        f.succeeded(host);
        assert!(f.may_try(host, 0));

        let v4: IpAddr = "198.51.100.23".parse().unwrap();
        let mapped: IpAddr = "::ffff:198.51.100.23".parse().unwrap();
        for _ in 0..MAX_FAILS {
            f.failed(mapped, 0);
        }
        assert!(!f.may_try(v4, 0));
        f.succeeded(v4);
        assert!(f.may_try(mapped, 0));
    }

    #[test]
    fn a_flood_of_other_addresses_does_not_free_a_blocked_one() {
        let mut f = Failures::default();
        let blocked: IpAddr = "203.0.113.9".parse().unwrap();
        for _ in 0..MAX_FAILS {
            f.failed(blocked, 0);
        }
        // One failure each from more addresses than the table holds.
        for i in 0..(MAX_CLIENTS as u32 + 100) {
            f.failed(IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i)), 0);
        }
        assert!(!f.may_try(blocked, 0));
        let len = f.by_client.len();
        assert!(len <= MAX_CLIENTS, "{len} clients kept");
        // Asking leaves nothing behind for an address that never failed.
        let fresh: IpAddr = "203.0.113.200".parse().unwrap();
        assert!(f.may_try(fresh, 0));
        assert!(!f.by_client.contains_key(&fresh));
    }

    #[test]
    fn cookies_are_http_only_and_strict() {
        let c = cookie("tok");
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict"));
        assert!(clear_cookie().contains("Max-Age=0"));
    }
}
