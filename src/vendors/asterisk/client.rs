//! The AMI session: greeting, `Login`, then events into the [`Tracker`] and its call events into the
//! journal. Reconnecting and backing off is `sources`' job; this runs one connection.
//!
//! - The login asks for the `call` and `cdr` event classes only (`Events: call,cdr`), which carry
//!   the channel, dial, bridge, CDR and CEL events, and spares the box the dialplan chatter
//!   (`Newexten`, `VarSet`).
//! - Events are committed in batches: everything that arrived together becomes one journal write
//!   (group commit), then reading goes on.
//! - A silent Asterisk is pinged after [`PING_AFTER`]; no answer within [`DEAD_AFTER`] ends the
//!   session so the client reconnects.
//! - With `timestampevents = yes` in `manager.conf` each event carries `Timestamp:`; those times are
//!   used when Asterisk's clock agrees with ours (see `sources::trusted_time`), else ours.
//! - The secret is sent in the `Login` action and nowhere else: not in the log, not in errors.

use std::fmt;
use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::frame::{Frame, FrameReader};
use super::tracker::{Tracker, SOURCE};
use crate::journal::CallEvent;
use crate::settings::Settings;
use crate::sources::{self, Link};
use crate::store;

/// A silent connection gets a `Ping` after this long.
pub const PING_AFTER: Duration = Duration::from_secs(30);
/// A connection with no data at all for this long is taken as dead.
pub const DEAD_AFTER: Duration = Duration::from_secs(75);
/// How long Asterisk may take to greet and to answer the login.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Most events in one journal batch.
const MAX_BATCH: usize = 500;

/// Where and how to log in (settings `ami.*`).
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub secret: String,
}

impl fmt::Debug for Config {
    // The secret stays out of every log line and panic message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("secret", &"(hidden)")
            .finish()
    }
}

impl Config {
    /// The AMI connection the settings ask for; `None` while `ami.host` is empty.
    pub fn from_settings(s: &Settings) -> Option<Config> {
        let host = s.get("ami.host").trim().to_string();
        if host.is_empty() {
            return None;
        }
        Some(Config {
            host,
            port: s.get("ami.port").trim().parse().unwrap_or(5038),
            user: s.get("ami.user").trim().to_string(),
            secret: s.get("ami.secret").to_string(),
        })
    }

    /// `host:port`, with an IPv6 address in brackets.
    pub fn target(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// The event's own time from its `Timestamp:` header (`1700000000.123456`), in whole seconds.
pub fn timestamp(f: &Frame) -> Option<i64> {
    let t = f.get("Timestamp");
    let secs = t.split('.').next()?;
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    secs.parse().ok()
}

/// The `Login` action.
pub fn login_action(c: &Config) -> Frame {
    Frame::from_pairs(&[
        ("Action", "Login"),
        ("ActionID", "ringbook-login"),
        ("Username", &c.user),
        ("Secret", &c.secret),
        ("Events", "call,cdr"),
    ])
}

/// Runs one AMI connection until it ends, fails, or the source is stopped.
pub fn session(
    stream: TcpStream,
    config: &Config,
    tracker: &mut Tracker,
    link: &mut Link,
) -> Result<(), String> {
    let mut writer = stream
        .try_clone()
        .map_err(|e| format!("the connection could not be used: {e}"))?;
    let mut reader = FrameReader::new(BufReader::new(stream));

    let deadline = Instant::now() + LOGIN_TIMEOUT;
    let banner = loop {
        match reader.banner() {
            Ok(Some(b)) => break b,
            Ok(None) if Instant::now() < deadline && !link.stopped() => continue,
            Ok(None) => return Err("Asterisk did not greet within 10 s".into()),
            Err(e) => {
                return Err(format!(
                    "Asterisk closed the connection before greeting: {e}"
                ))
            }
        }
    };
    if !banner.starts_with("Asterisk Call Manager/") {
        return Err(format!(
            "this is not an Asterisk manager interface: it greeted with {:?}",
            banner.chars().take(60).collect::<String>()
        ));
    }
    writer
        .write_all(&login_action(config).encode())
        .map_err(|e| format!("the login could not be sent: {e}"))?;
    loop {
        let f = match reader.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) if Instant::now() < deadline && !link.stopped() => continue,
            Ok(None) => return Err("Asterisk did not answer the login within 10 s".into()),
            Err(e) => return Err(format!("the connection ended during the login: {e}")),
        };
        if f.get("ActionID") != "ringbook-login" || !f.has("Response") {
            continue;
        }
        if f.get("Response").eq_ignore_ascii_case("Success") {
            break;
        }
        return Err(format!(
            "Asterisk refused the login for user '{}': {} (check ami.user and ami.secret, and the user's read permissions in manager.conf)",
            config.user,
            match f.get("Message") {
                "" => "no reason given",
                m => m,
            }
        ));
    }
    log::info!(
        "AMI: logged in to {} ({}) as '{}'",
        config.target(),
        banner,
        config.user
    );
    link.reporter.connected();

    let mut pending: Vec<CallEvent> = Vec::new();
    let mut last_data = Instant::now();
    let mut pinged = false;
    let mut pings: u64 = 0;
    loop {
        if link.stopped() {
            flush(link, &mut pending)?;
            let _ = writer.write_all(
                &Frame::from_pairs(&[("Action", "Logoff"), ("ActionID", "ringbook-logoff")])
                    .encode(),
            );
            return Ok(());
        }
        match reader.next_frame() {
            Ok(Some(f)) => {
                last_data = Instant::now();
                pinged = false;
                if !f.event().is_empty() {
                    let now = store::now();
                    let at = timestamp(&f).and_then(|t| sources::trusted_time(t, now));
                    tracker.set_own_lines(link.intake.own_lines());
                    pending.extend(tracker.on_frame(link.intake.model(), &f, at, now));
                }
                if !reader.has_buffered() || pending.len() >= MAX_BATCH {
                    flush(link, &mut pending)?;
                }
            }
            Ok(None) => {
                flush(link, &mut pending)?;
                let idle = last_data.elapsed();
                if idle >= DEAD_AFTER {
                    return Err(format!(
                        "Asterisk sent nothing for {} s, not even an answer to a ping",
                        DEAD_AFTER.as_secs()
                    ));
                }
                if idle >= PING_AFTER && !pinged {
                    pings += 1;
                    let id = format!("ringbook-ping-{pings}");
                    writer
                        .write_all(
                            &Frame::from_pairs(&[("Action", "Ping"), ("ActionID", &id)]).encode(),
                        )
                        .map_err(|e| format!("the connection broke: {e}"))?;
                    pinged = true;
                }
            }
            Err(e) => {
                flush(link, &mut pending)?;
                return Err(format!("the connection to Asterisk ended: {e}"));
            }
        }
    }
}

fn flush(link: &mut Link, pending: &mut Vec<CallEvent>) -> Result<(), String> {
    if pending.is_empty() {
        return Ok(());
    }
    link.ingest(SOURCE, std::mem::take(pending))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_login() {
        let cases: &[(&str, Option<i64>)] = &[
            ("1700000000.123456", Some(1_700_000_000)),
            ("1700000000", Some(1_700_000_000)),
            ("", None),
            ("abc", None),
            ("-5.0", None),
        ];
        for (t, want) in cases {
            let f = Frame::from_pairs(&[("Event", "Hangup"), ("Timestamp", t)]);
            assert_eq!(timestamp(&f), *want, "{t}");
        }
        let c = Config {
            host: "fe80::1".into(),
            port: 5038,
            user: "ringbook".into(),
            secret: "s3cret".into(),
        };
        assert_eq!(c.target(), "[fe80::1]:5038");
        assert!(!format!("{c:?}").contains("s3cret"));
        let login = String::from_utf8(login_action(&c).encode()).unwrap();
        assert_eq!(
            login,
            "Action: Login\r\nActionID: ringbook-login\r\nUsername: ringbook\r\nSecret: s3cret\r\nEvents: call,cdr\r\n\r\n"
        );
    }
}
