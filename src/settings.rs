//! The office's settings: every key ringbook knows, with its default, a description for humans and a
//! validator. Values live in the `settings` table; this module decides what may be stored there.
//!
//! Adding a setting means adding one [`Spec`] to [`SPECS`]. Nothing else reads the table directly.

use std::collections::BTreeMap;
use std::fmt;

use crate::number::{self, NumberModel};
use crate::store::{Reader, Store};

/// One known setting.
#[derive(Debug)]
pub struct Spec {
    pub key: &'static str,
    pub default: &'static str,
    pub description: &'static str,
    /// Checks a value and returns its canonical form (`de` → `DE`), or says what is wrong with it.
    pub validate: fn(&str) -> Result<String, String>,
}

fn country(v: &str) -> Result<String, String> {
    let code = v.trim().to_ascii_uppercase();
    match number::parse_country(&code) {
        Some(_) if code.len() == 2 => Ok(code),
        _ => Err(format!(
            "'{v}' is not a two-letter ISO country code such as DE, AT, CH, IT, BR, RU or US"
        )),
    }
}

fn digits_or_empty(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.len() <= 6 && v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(v.to_string())
    } else {
        Err(format!("'{v}' must be digits only (at most 6), or empty"))
    }
}

fn area_code(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.len() <= 6 && v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(v.to_string())
    } else {
        Err(format!("'{v}' is not an area code: use digits only, e.g. 30 for Berlin (or 06 for Rome, where the 0 belongs to the number)"))
    }
}

fn extension_digits(v: &str) -> Result<String, String> {
    match number::parse_extension_digits(v) {
        Some((a, b)) if a == b => Ok(a.to_string()),
        Some((a, b)) => Ok(format!("{a}-{b}")),
        None => Err(format!("'{v}' is not an extension length: write a range such as 2-4, or one number such as 3 (1 to 7)")),
    }
}

fn match_tail(v: &str) -> Result<String, String> {
    match v.trim().parse::<usize>() {
        Ok(n) if (6..=12).contains(&n) => Ok(n.to_string()),
        _ => Err(format!("'{v}' must be a whole number from 6 to 12")),
    }
}

fn connections(v: &str) -> Result<String, String> {
    match v.trim().parse::<usize>() {
        Ok(n) if (16..=2000).contains(&n) => Ok(n.to_string()),
        _ => Err(format!(
            "'{v}' must be a whole number from 16 to 2000, e.g. 256"
        )),
    }
}

fn boolean(v: &str) -> Result<String, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "1" => Ok("true".into()),
        "false" | "off" | "no" | "0" => Ok("false".into()),
        _ => Err(format!("'{v}' must be true or false")),
    }
}

fn megabytes(v: &str) -> Result<String, String> {
    match v.trim().parse::<u64>() {
        Ok(n) if n <= 1_000_000 => Ok(n.to_string()),
        _ => Err(format!(
            "'{v}' is not a number of megabytes from 0 to 1000000, e.g. 256"
        )),
    }
}

fn url_or_empty(v: &str) -> Result<String, String> {
    let v = v.trim().trim_end_matches('/');
    if v.is_empty() || v.starts_with("http://") || v.starts_with("https://") {
        Ok(v.to_string())
    } else {
        Err(format!(
            "'{v}' must start with http:// or https://, e.g. http://ringbook.local:8080"
        ))
    }
}

/// Parses a duration such as `90s`, `5m`, `4h`, `90d` or plain seconds (`30`) into seconds.
pub fn parse_duration(v: &str) -> Option<u64> {
    let v = v.trim().to_ascii_lowercase();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (n, unit) = v.split_at(split);
    let n: u64 = n.parse().ok()?;
    let mult = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// A duration within `[min, max]` seconds, kept as written with its unit (`5m`, not `300`).
fn duration_in(v: &str, min: u64, max: u64) -> Result<String, String> {
    let canon = v.trim().to_ascii_lowercase().replace(' ', "");
    match parse_duration(&canon) {
        Some(s) if (min..=max).contains(&s) => {
            Ok(if canon.ends_with(|c: char| c.is_ascii_digit()) {
                format!("{canon}s")
            } else {
                canon
            })
        }
        Some(_) => Err(format!("'{v}' must be between {min} s and {} s", max)),
        None => Err(format!(
            "'{v}' is not a duration: write a number with s, m, h or d, e.g. 30s, 5m, 4h or 90d"
        )),
    }
}

fn merge_window(v: &str) -> Result<String, String> {
    duration_in(v, 0, 600)
}

fn short_duration(v: &str) -> Result<String, String> {
    duration_in(v, 1, 86_400)
}

fn long_duration(v: &str) -> Result<String, String> {
    duration_in(v, 1, 30 * 86_400)
}

fn retention(v: &str) -> Result<String, String> {
    duration_in(v, 86_400, 3650 * 86_400)
}

/// An IANA time zone name known to the system's tz database (`Europe/Berlin`).
fn timezone(v: &str) -> Result<String, String> {
    let v = v.trim();
    match jiff::tz::TimeZone::get(v) {
        Ok(_) if !v.is_empty() => Ok(v.to_string()),
        _ => Err(format!(
            "'{v}' is not a time zone name; write e.g. Europe/Berlin, Europe/Rome, America/Sao_Paulo or Europe/Moscow"
        )),
    }
}

/// One of the web UI's languages.
fn language(v: &str) -> Result<String, String> {
    let v = v.trim();
    ["en", "de", "it", "pt-BR", "ru"]
        .into_iter()
        .find(|l| l.eq_ignore_ascii_case(v))
        .map(str::to_string)
        .ok_or_else(|| format!("'{v}' is not a language of ringbook; use en, de, it, pt-BR or ru"))
}

/// A host name or IP address to connect to, or empty for "off".
fn host_or_empty(v: &str) -> Result<String, String> {
    let v = v.trim();
    let ok = v.len() <= 253
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'));
    if ok {
        Ok(v.trim_start_matches('[').trim_end_matches(']').to_string())
    } else {
        Err(format!(
            "'{v}' is not a host name or IP address; write e.g. 192.168.178.1, fritz.box or pbx.office.lan (empty turns it off)"
        ))
    }
}

fn tcp_port(v: &str) -> Result<String, String> {
    match v.trim().parse::<u16>() {
        Ok(p) if p > 0 => Ok(p.to_string()),
        _ => Err(format!(
            "'{v}' is not a TCP port: use a number from 1 to 65535"
        )),
    }
}

/// A TCP port, or 0 for "off".
fn port_or_off(v: &str) -> Result<String, String> {
    match v.trim().parse::<u16>() {
        Ok(p) => Ok(p.to_string()),
        _ => Err(format!(
            "'{v}' is not a TCP port: use a number from 1 to 65535, or 0 to turn it off"
        )),
    }
}

/// A manager user name as `manager.conf` sections are named.
fn ami_user(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
    {
        Ok(v.to_string())
    } else {
        Err(format!(
            "'{v}' is not a manager user name: use letters, digits, '.', '_', '-' and '@' (at most 64)"
        ))
    }
}

/// A shared secret: any text without control characters (a line break would end the AMI frame it is
/// sent in). The message never repeats the value.
fn secret_text(v: &str) -> Result<String, String> {
    if v.chars().count() > 256 {
        Err("the secret is longer than 256 characters".into())
    } else if v.chars().any(char::is_control) {
        Err("the secret contains control characters such as line breaks".into())
    } else {
        Ok(v.to_string())
    }
}

/// The token in `/cti/{token}`: it is the only credential the pushing PBX presents, so it must be
/// long enough not to be guessed. The message never repeats the value.
fn url_token(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty()
        || ((16..=128).contains(&v.len())
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')))
    {
        Ok(v.to_string())
    } else {
        Err("the token must be 16 to 128 letters, digits, '-' or '_' (e.g. from 'openssl rand -hex 16'), or empty to turn CTI pushes off".into())
    }
}

/// Settings whose values are credentials: listings show whether they are set, never their value, and
/// nothing logs them.
pub const SECRETS: &[&str] = &[
    "ami.secret",
    "cti.token",
    "placetel.secret",
    "sync.propstack.api_key",
    "sync.crmsenior.token",
    "sync.webhook.secret",
    "sync.contacts.password",
    // May carry user:password@.
    "sync.proxy",
];

/// A value as listings may show it: secrets as `(set)` or `(not set)`.
pub fn shown(key: &str, value: &str) -> String {
    if SECRETS.contains(&key) {
        if value.is_empty() {
            "(not set)".into()
        } else {
            "(set)".into()
        }
    } else {
        value.to_string()
    }
}

/// Every setting ringbook knows. Keep the `number.*` keys as they are: the setup wizard, the CLI and the
/// docs name them.
pub const SPECS: &[Spec] = &[
    Spec {
        key: "number.country",
        default: "DE",
        description: "The office's country as an ISO code (DE, AT, CH, IT, BR, RU, US, ...). Numbers without a country code are read as numbers of this country.",
        validate: country,
    },
    Spec {
        key: "number.area_code",
        default: "",
        description: "The office's area code without the trunk prefix, e.g. 30 for Berlin. Local numbers dialled without it get it in front.",
        validate: area_code,
    },
    Spec {
        key: "number.outside_prefix",
        default: "",
        description: "What the phones dial to get an outside line, e.g. 0 or 9. Empty if the PBX needs none. It is removed from numbers that start with it when that gives a valid number.",
        validate: digits_or_empty,
    },
    Spec {
        key: "number.extension_digits",
        default: "2-4",
        description: "How many digits internal extensions have, as a range (2-4) or one length (3). Numbers of this length are employees, not contacts.",
        validate: extension_digits,
    },
    Spec {
        key: "number.match_tail",
        default: "8",
        description: "How many trailing digits must agree when no exact match exists (the third matching rule).",
        validate: match_tail,
    },
    Spec {
        key: "http.public_url",
        default: "",
        description: "The address phones and PBXs use to reach this box, e.g. http://ringbook.local:8080. Used in provisioning text; empty means it is taken from the request.",
        validate: url_or_empty,
    },
    Spec {
        key: "http.connections_per_client",
        default: "256",
        description: "How many connections one client address may hold at once. A phone holds one or two, a browser six, a PBX some dozens; past the limit the client's connections that have been quiet the longest are closed, so one device that leaks connections can't take them all. Raise it when many phones reach this box through one address (a NAT router or a reverse proxy). From 16 to 2000. Takes effect at the next start.",
        validate: connections,
    },
    Spec {
        key: "threecx.placeholder_on_miss",
        default: "true",
        description: "Answer a 3CX lookup that finds nobody with a placeholder contact, so that 3CX still journals the call. The placeholder is never stored.",
        validate: boolean,
    },
    Spec {
        key: "journal.merge_window",
        default: "5s",
        description: "Slack when matching a new call leg to a call by the caller's number and time: legs of a ring group, a transfer, or the phone and the PBX reporting the same call become one call. Larger values also merge a caller who hangs up and redials at once.",
        validate: merge_window,
    },
    Spec {
        key: "journal.ring_timeout",
        default: "5m",
        description: "A call leg that rings this long with no further event is closed as not answered, its end marked estimated (a Snom phone reports nothing when a ringing call is rejected).",
        validate: short_duration,
    },
    Spec {
        key: "journal.stale_after",
        default: "4h",
        description: "An answered call leg with no end reported for this long is closed at its last event, its end marked estimated (a phone that rebooted mid-call never reports the end).",
        validate: long_duration,
    },
    Spec {
        key: "journal.janitor_interval",
        default: "30s",
        description: "How often open calls are checked against journal.ring_timeout and journal.stale_after, and old raw events are deleted.",
        validate: short_duration,
    },
    Spec {
        key: "journal.disk_warning_mb",
        default: "256",
        description: "Warn when less than this many megabytes are left on the disk that holds the database: in the log, on every admin page, and on /healthz. When the disk is full, calls are no longer journaled. 0 turns the warning off.",
        validate: megabytes,
    },
    Spec {
        key: "journal.retention",
        default: "90d",
        description: "How long the raw call events (what each phone and PBX sent) are kept for the call detail. The calls themselves are kept.",
        validate: retention,
    },
    Spec {
        key: "journal.skip_internal",
        default: "true",
        description: "Keep calls between two extensions out of the journal.",
        validate: boolean,
    },
    Spec {
        key: "journal.skip_unheld_extensions",
        default: "false",
        description: "Keep calls out of the journal whose extensions no employee held at the time (see 'ringbook extension assign'). Off by default so a new box journals before its operators are set up.",
        validate: boolean,
    },
    Spec {
        key: "journal.skip_employee_numbers",
        default: "true",
        description: "Keep calls from and to employees' own numbers (see 'ringbook employee add --number') out of the journal.",
        validate: boolean,
    },
    Spec {
        key: "ami.host",
        default: "",
        description: "The Asterisk or FreePBX box whose manager interface (AMI) ringbook journals calls from, e.g. 192.168.1.10. Empty turns the AMI connection off.",
        validate: host_or_empty,
    },
    Spec {
        key: "ami.port",
        default: "5038",
        description: "The TCP port of the Asterisk manager interface (manager.conf 'port', 5038 unless changed).",
        validate: tcp_port,
    },
    Spec {
        key: "ami.user",
        default: "",
        description: "The manager user ringbook logs in as (a [section] of manager.conf with 'read = call,cdr').",
        validate: ami_user,
    },
    Spec {
        key: "ami.secret",
        default: "",
        description: "The manager user's secret from manager.conf. Stored as given (Asterisk needs it), never shown in listings or logs.",
        validate: secret_text,
    },
    Spec {
        key: "fritzbox.host",
        default: "",
        description: "The FRITZ!Box whose call monitor ringbook journals calls from, e.g. 192.168.178.1 or fritz.box. Dial #96*5* on a phone connected to the box once to switch the call monitor on. Empty turns it off.",
        validate: host_or_empty,
    },
    Spec {
        key: "fritzbox.port",
        default: "1012",
        description: "The TCP port of the FRITZ!Box call monitor (1012 on every FRITZ!Box).",
        validate: tcp_port,
    },
    Spec {
        key: "cti.token",
        default: "",
        description: "The secret part of the CTI push URLs /cti/TOKEN (Zammad generic CTI, Placetel) and /cti/TOKEN/sipgate: 16 to 128 letters, digits, '-' or '_'. Empty refuses all CTI pushes. Never shown in listings.",
        validate: url_token,
    },
    Spec {
        key: "placetel.secret",
        default: "",
        description: "The shared secret set in Placetel's External API settings. When set, every Placetel push must carry a valid X-PLACETEL-SIGNATURE (HMAC-SHA256 of the body) or it is refused. Never shown in listings.",
        validate: secret_text,
    },
    Spec {
        key: "office.timezone",
        default: "Europe/Berlin",
        description: "The office's time zone (an IANA name such as Europe/Berlin). The web UI shows times in it, and reports count days and weeks in it.",
        validate: timezone,
    },
    Spec {
        key: "office.language",
        default: "en",
        description: "The web UI's language for new users and the login page: en, de, it, pt-BR or ru. Each user can choose their own.",
        validate: language,
    },
    Spec {
        key: "web.https_port",
        default: "8443",
        description: "The TCP port of the web UI over HTTPS (browsers allow desktop notifications only there); 0 turns HTTPS off. Takes effect at the next start.",
        validate: port_or_off,
    },
    Spec {
        key: "web.https_only",
        default: "false",
        description: "Send browsers that open the web UI over plain HTTP to the same page over HTTPS (web.https_port), so passwords and session cookies never cross the network in the clear. Phones, PBXs and the API stay on plain HTTP. Turn it on once the office's browsers accept the certificate. Leave it off behind a reverse proxy that terminates HTTPS: its requests arrive as plain HTTP and would be redirected in a loop.",
        validate: boolean,
    },
    Spec {
        key: "web.breached_passwords_url",
        default: "https://api.pwnedpasswords.com",
        description: "Where a password being set is checked against known data breaches: Have I Been Pwned's Pwned Passwords range API, or a mirror of it. Only the first 5 hex digits of the password's SHA-1 hash are sent, never the password; a password seen in a breach is refused. Without an answer within 3 s (no internet) a password is judged by the local check alone. Goes through sync.proxy if one is set. Empty turns the check off.",
        validate: url_or_empty,
    },
    Spec {
        key: "web.admin_2fa",
        default: "false",
        description: "Admins must use a second factor: an admin without one is sent to 'Your account' to set up an authenticator app before any other page opens. Staff may set one up too.",
        validate: boolean,
    },
    Spec {
        key: "web.staff_own_calls_only",
        default: "false",
        description: "Staff users see only the calls of their own extensions in the web UI (admins see all).",
        validate: boolean,
    },
    Spec {
        key: "notify.everyone",
        default: "false",
        description: "Send the desktop notification for an incoming call to every logged-in user, not only to those whose extension rings.",
        validate: boolean,
    },
    // Upstream CRM sync (issue 6, see sync/): a connector is on when its URL is set.
    Spec {
        key: "sync.propstack.url",
        default: "",
        description: "Propstack's API base URL (e.g. https://api.propstack.de); every finished call is pushed there. Empty turns the Propstack push off.",
        validate: url_or_empty,
    },
    Spec {
        key: "sync.propstack.api_key",
        default: "",
        description: "The Propstack API key, sent as the X-API-KEY header. Never shown in listings or logs.",
        validate: secret_text,
    },
    Spec {
        key: "sync.propstack.mode",
        default: "3cx",
        description: "How calls are pushed to Propstack: 3cx (POST /v1/calls/3cx, as Propstack's 3CX template) or phone (GET /v1/calls/phone).",
        validate: crate::sync::valid_propstack_mode,
    },
    Spec {
        key: "sync.crmsenior.url",
        default: "",
        description: "CRM Senior's base URL; calls are sent to its /cti3cx/consult-phone and /cti3cx/end-call. Empty turns it off.",
        validate: url_or_empty,
    },
    Spec {
        key: "sync.crmsenior.token",
        default: "",
        description: "CRM Senior's token, sent as the token_crm header. Never shown in listings or logs.",
        validate: secret_text,
    },
    Spec {
        key: "sync.crmsenior.tenant",
        default: "",
        description: "CRM Senior's tenant, sent as the tenant header.",
        validate: secret_text,
    },
    Spec {
        key: "sync.crmsenior.phone_format",
        default: "00",
        description: "How numbers are sent to CRM Senior: 00 (00 + country + area + number), plus (+E.164) or digits.",
        validate: crate::sync::valid_phone_format,
    },
    Spec {
        key: "sync.webhook.url",
        default: "",
        description: "A URL that receives every call's ringing, answered and ended steps as a JSON POST. Empty turns it off.",
        validate: url_or_empty,
    },
    Spec {
        key: "sync.webhook.secret",
        default: "",
        description: "Signs webhook bodies: X-Ringbook-Signature: t=UNIX,v1=hex HMAC-SHA256 of UNIX.BODY. Never shown in listings or logs.",
        validate: secret_text,
    },
    Spec {
        key: "sync.webhook.format",
        default: "ringbook",
        description: "The webhook body: ringbook (ringbook's call JSON) or zammad (Zammad generic CTI newCall, answer and hangup).",
        validate: crate::sync::valid_webhook_format,
    },
    Spec {
        key: "sync.max_attempts",
        default: "12",
        description: "Failed attempts after which an outbox row is dead-lettered (a 429 doesn't count). Retry it with 'ringbook outbox retry ID'.",
        validate: crate::sync::valid_attempts,
    },
    Spec {
        key: "sync.rate_per_minute",
        default: "600",
        description: "At most this many requests per minute to each CRM; 0 for no limit.",
        validate: crate::sync::valid_rate,
    },
    Spec {
        key: "sync.timeout",
        default: "10s",
        description: "Connect and read timeout of each request to a CRM.",
        validate: short_duration,
    },
    Spec {
        key: "sync.backoff_max",
        default: "5m",
        description: "The longest wait between retries when a CRM is down (the backoff doubles from 1 s up to this).",
        validate: short_duration,
    },
    Spec {
        key: "sync.connect_timeout",
        default: "5s",
        description: "How long to wait for a CRM's connection (TCP and TLS) before treating it as down; sync.timeout bounds the whole request.",
        validate: short_duration,
    },
    Spec {
        key: "sync.proxy",
        default: "",
        description: "An HTTP proxy for every request to a CRM and the address book, e.g. http://proxy.office.lan:3128 (user:password@ allowed). Empty connects directly.",
        validate: crate::sync::net::valid_proxy,
    },
    Spec {
        key: "sync.propstack.ca_file",
        default: "",
        description: "A PEM file of extra CA certificates trusted for Propstack (a self-hosted or proxied endpoint); added to the public roots.",
        validate: crate::sync::net::valid_ca_file,
    },
    Spec {
        key: "sync.crmsenior.ca_file",
        default: "",
        description: "A PEM file of extra CA certificates trusted for a self-hosted CRM Senior; added to the public roots.",
        validate: crate::sync::net::valid_ca_file,
    },
    Spec {
        key: "sync.webhook.ca_file",
        default: "",
        description: "A PEM file of extra CA certificates trusted for the webhook's server; added to the public roots.",
        validate: crate::sync::net::valid_ca_file,
    },
    Spec {
        key: "sync.propstack.contacts",
        default: "true",
        description: "After a call whose number no contact has, ask Propstack about it in the background and keep what it knows as read-only contacts.",
        validate: boolean,
    },
    Spec {
        key: "sync.contacts.url",
        default: "",
        description: "A vCard or CSV address book (e.g. a CardDAV server's export URL) whose contacts are kept as read-only contacts, pulled every sync.contacts.interval; up to 16 MB (some 80,000 contacts). Empty turns it off.",
        validate: url_or_empty,
    },
    Spec {
        key: "sync.contacts.interval",
        default: "1h",
        description: "How often the address book URL is pulled; an unchanged file (ETag or Last-Modified) costs one short request.",
        validate: long_duration,
    },
    Spec {
        key: "sync.contacts.username",
        default: "",
        description: "User name for HTTP Basic authentication at the address book URL, or empty.",
        validate: secret_text,
    },
    Spec {
        key: "sync.contacts.password",
        default: "",
        description: "Password for HTTP Basic authentication at the address book URL. Never shown in listings or logs.",
        validate: secret_text,
    },
    Spec {
        key: "sync.contacts.ca_file",
        default: "",
        description: "A PEM file of extra CA certificates trusted for the address book URL; added to the public roots.",
        validate: crate::sync::net::valid_ca_file,
    },
    // Screen-pop actions and click-to-call (issue 5, items 12 and 13; see screenpop.rs and dial.rs).
    Spec {
        key: "screenpop.open_immediately",
        default: "known",
        description: "When an incoming call rings, the browser of whoever it rings for opens by itself: 'known' the caller's contact page, 'always' also the prefilled new-contact form for an unknown number, 'off' nothing (the pop-up's buttons still open them). This is triggerImmediately in GET /api/v1/calls/{id}/actions.",
        validate: open_immediately,
    },
    Spec {
        key: "dial.ami_channel",
        default: "PJSIP/{extension}",
        description: "Click-to-call through Asterisk (when ami.host is set and the extension has no desk phone set up): the channel that rings the user's phone first, with {extension} for their extension, e.g. PJSIP/{extension}, SIP/{extension} or Local/{extension}@from-internal.",
        validate: ami_channel,
    },
    Spec {
        key: "dial.ami_context",
        default: "from-internal",
        description: "Click-to-call through Asterisk: the dialplan context the number is dialled in once the user's phone answers (from-internal on FreePBX).",
        validate: ami_context,
    },
];

/// `off`, `known` or `always`.
fn open_immediately(v: &str) -> Result<String, String> {
    let v = v.trim().to_ascii_lowercase();
    match v.as_str() {
        "off" | "known" | "always" => Ok(v),
        _ => Err(format!("'{v}' must be off, known or always")),
    }
}

/// An AMI channel template: it must name `{extension}` and may not carry anything that would end
/// the AMI frame it is sent in.
fn ami_channel(v: &str) -> Result<String, String> {
    let v = v.trim();
    if !v.contains("{extension}") {
        return Err(format!(
            "'{v}' must contain {{extension}}, e.g. PJSIP/{{extension}}"
        ));
    }
    if v.len() > 100 || v.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(
            "the channel must be at most 100 characters without spaces or line breaks".into(),
        );
    }
    Ok(v.to_string())
}

/// A dialplan context name.
fn ami_context(v: &str) -> Result<String, String> {
    let v = v.trim();
    if !v.is_empty()
        && v.len() <= 80
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        Ok(v.to_string())
    } else {
        Err(format!("'{v}' is not a dialplan context; use letters, digits, '-', '_' and '.', e.g. from-internal"))
    }
}

/// Errors of reading and writing settings.
#[derive(Debug)]
pub enum SettingsError {
    Unknown(String),
    Invalid { key: String, why: String },
    Store(crate::store::StoreError),
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::Unknown(key) => {
                let keys: Vec<&str> = SPECS.iter().map(|s| s.key).collect();
                write!(
                    f,
                    "there is no setting '{key}'; the settings are: {}",
                    keys.join(", ")
                )
            }
            SettingsError::Invalid { key, why } => write!(f, "{key}: {why}"),
            SettingsError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SettingsError {}

impl From<crate::store::StoreError> for SettingsError {
    fn from(e: crate::store::StoreError) -> Self {
        SettingsError::Store(e)
    }
}

pub fn spec(key: &str) -> Result<&'static Spec, SettingsError> {
    SPECS
        .iter()
        .find(|s| s.key == key)
        .ok_or_else(|| SettingsError::Unknown(key.to_string()))
}

/// A snapshot of all settings, with defaults filled in for keys never set.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    values: BTreeMap<String, String>,
}

impl Settings {
    pub fn load(reader: &Reader) -> Result<Settings, SettingsError> {
        let stored = reader.settings_all()?;
        let mut values = BTreeMap::new();
        for s in SPECS {
            values.insert(s.key.to_string(), s.default.to_string());
        }
        for (k, v) in stored {
            // Keys from a newer or older ringbook are ignored, not fatal.
            if values.contains_key(&k) {
                values.insert(k, v);
            }
        }
        Ok(Settings { values })
    }

    pub fn get(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }

    pub fn flag(&self, key: &str) -> bool {
        self.get(key) == "true"
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The number model these settings describe. Values were validated on the way in; a value that
    /// no longer parses (edited by hand) falls back to the default rather than stopping lookups.
    pub fn number_model(&self) -> NumberModel {
        let d = NumberModel::default();
        let (ext_min, ext_max) =
            number::parse_extension_digits(self.get("number.extension_digits"))
                .unwrap_or((d.ext_min, d.ext_max));
        NumberModel {
            country: number::parse_country(self.get("number.country")).unwrap_or(d.country),
            area_code: self.get("number.area_code").to_string(),
            outside_prefix: self.get("number.outside_prefix").to_string(),
            ext_min,
            ext_max,
            match_tail: self
                .get("number.match_tail")
                .parse()
                .unwrap_or(d.match_tail),
        }
    }
}

/// Validates and stores one setting; returns the canonical value that was stored.
pub fn set(store: &Store, key: &str, value: &str) -> Result<String, SettingsError> {
    let spec = spec(key)?;
    let canonical = (spec.validate)(value).map_err(|why| SettingsError::Invalid {
        key: key.to_string(),
        why,
    })?;
    let (k, v) = (key.to_string(), canonical.clone());
    store.write(move |tx| crate::store::settings::put(tx, &k, &v))?;
    bump_generation();
    Ok(canonical)
}

static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Tells in-process caches that a setting changed. Changes made by another process (the CLI) are picked
/// up by the caches' short time-to-live instead.
pub fn bump_generation() {
    GENERATION.fetch_add(1, std::sync::atomic::Ordering::Release);
}

pub fn generation() -> u64 {
    GENERATION.load(std::sync::atomic::Ordering::Acquire)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_source_settings_validate_without_echoing_secrets() {
        assert_eq!(host_or_empty(" fritz.box ").unwrap(), "fritz.box");
        assert_eq!(host_or_empty("[fe80::1]").unwrap(), "fe80::1");
        assert_eq!(host_or_empty("").unwrap(), "");
        assert!(host_or_empty("pbx;rm -rf").is_err());
        assert_eq!(tcp_port("1012").unwrap(), "1012");
        assert!(tcp_port("0").is_err());
        assert!(tcp_port("70000").is_err());
        assert_eq!(ami_user("ringbook").unwrap(), "ringbook");
        assert!(ami_user("ring book").is_err());
        let e = secret_text("line\r\nAction: Originate").unwrap_err();
        assert!(!e.contains("Originate"), "{e}");
        assert_eq!(url_token("").unwrap(), "");
        assert!(url_token("short").is_err());
        let tok = "0123456789abcdef0123";
        assert_eq!(url_token(tok).unwrap(), tok);
        assert!(!url_token("0123456789abcdef/x")
            .unwrap_err()
            .contains("0123"));
        assert_eq!(shown("ami.secret", "x"), "(set)");
        assert_eq!(shown("cti.token", ""), "(not set)");
        assert_eq!(shown("ami.host", "pbx"), "pbx");
        for key in SECRETS {
            assert!(spec(key).is_ok(), "{key}");
        }
    }

    #[test]
    fn validators_canonicalize_and_explain() {
        assert_eq!(country("at").unwrap(), "AT");
        assert!(country("Germany").unwrap_err().contains("two-letter ISO"));
        assert_eq!(extension_digits("2 - 4").unwrap(), "2-4");
        assert_eq!(extension_digits("3-3").unwrap(), "3");
        assert!(extension_digits("9-2").is_err());
        assert!(match_tail("5").is_err());
        assert_eq!(boolean("ON").unwrap(), "true");
        assert!(area_code("3O").is_err());
        assert_eq!(url_or_empty("http://box:8080/").unwrap(), "http://box:8080");
        assert_eq!(short_duration("30").unwrap(), "30s");
        assert_eq!(short_duration(" 5M ").unwrap(), "5m");
        assert_eq!(retention("90d").unwrap(), "90d");
        assert!(retention("1h").is_err());
        assert!(short_duration("0s").is_err());
        assert_eq!(merge_window("0").unwrap(), "0s");
        assert!(short_duration("soon")
            .unwrap_err()
            .contains("not a duration"));
        assert_eq!(parse_duration("4h"), Some(14_400));
        assert_eq!(parse_duration("2x"), None);
        assert_eq!(parse_duration("99999999999999999999d"), None);
    }

    #[test]
    fn unknown_key_lists_valid_ones() {
        let msg = spec("number.contry").unwrap_err().to_string();
        assert!(
            msg.contains("number.country") && msg.contains("number.match_tail"),
            "{msg}"
        );
    }
}
