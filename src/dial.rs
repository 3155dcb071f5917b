//! Click-to-call: ring the user's own desk phone and have it dial a number (issue 5, item 13).
//!
//! ringbook finds the logged-in user's employee, the extension that employee holds now, and the desk
//! phone stored for that extension (operators page), then asks the phone to dial:
//! - Snom: `GET http://PHONE/command.htm?number=DIGITS` (see shared protocols: snom-phones.md §5). A
//!   302 to `index.htm` is success. With "Authentication Scheme" on, the phone demands HTTP Digest;
//!   otherwise Basic, or nothing.
//! - Yealink: `GET http://PHONE/servlet?key=number=DIGITS` (snom-phones.md §6.2, Action URI). The
//!   phone must list ringbook in its "Action URI Allow IP List" and asks "Allow Remote Control?" once.
//! - No desk phone stored but an AMI source set up (`ami.host`): a short-lived AMI connection logs in,
//!   sends `Originate` (the user's channel first, then the number in `dial.ami_context`), reads the
//!   `Response` and logs off.
//!
//! Auth is answered to the phone's own challenge: ringbook sends the request bare, and on a 401 answers
//! the `WWW-Authenticate` it got, Digest (RFC 7616: MD5, MD5-sess or SHA-256, `qop=auth`) in
//! preference to Basic. Passwords are never logged and never shown back; `Debug` hides them.
//!
//! The number is dialled as the phone must dial it: an extension as is; anything else with the
//! outside-line prefix from the number model, a number of the office's country in its national form
//! (with the trunk prefix), a foreign one with the country's international call prefix.

use std::fmt;
use std::io::{BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use md5::Md5;
use sha2::{Digest, Sha256};

use rlibphonenumber::{PhoneNumberFormat, PHONE_NUMBER_UTIL};

use crate::number::{CountryId, Normalized, NumberModel};
use crate::settings::Settings;
use crate::store::{Reader, StoreError};
use crate::vendors::asterisk::client::Config as AmiConfig;
use crate::vendors::asterisk::frame::{Frame, FrameReader};

/// How long a phone or Asterisk may take to accept the connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a whole request to a phone, or the AMI exchange, may take.
const TIMEOUT: Duration = Duration::from_secs(8);

/// The desk phone kinds ringbook can remote-control.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Snom,
    Yealink,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "snom" => Some(Kind::Snom),
            "yealink" => Some(Kind::Yealink),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Snom => "snom",
            Kind::Yealink => "yealink",
        }
    }
}

/// A desk phone's address and web credentials.
#[derive(Clone)]
pub struct Phone {
    pub kind: Kind,
    /// `host`, `host:port`, or a base URL `http(s)://host[:port]`.
    pub address: String,
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Phone {
    // The password stays out of every log line and panic message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Phone")
            .field("kind", &self.kind)
            .field("address", &self.address)
            .field("username", &self.username)
            .field("password", &"(hidden)")
            .finish()
    }
}

/// How the call was placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Snom,
    Yealink,
    Ami,
}

/// What was rung.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rang {
    pub via: Via,
    pub extension: String,
    pub dialled: String,
}

/// Why the phone was not rung, in words for the user (the web UI shows its own translation of each).
#[derive(Debug)]
pub enum DialError {
    /// The user is linked to no employee, so ringbook doesn't know their phone.
    NotLinked,
    /// Their employee holds no extension now.
    NoExtension,
    /// No desk phone is stored for the extension and no AMI source is set up.
    NoPhone(String),
    /// The number can't be dialled (withheld, letters).
    BadNumber(String),
    /// The phone (or Asterisk) refused the user name or password.
    Refused,
    /// The phone did not answer at all (off, wrong address, a firewall).
    NoAnswer(String),
    /// The phone answered with an HTTP error.
    PhoneError(u16),
    /// Asterisk answered the Originate with an error (its own words, e.g. `Extension does not exist.`).
    AmiFailed(String),
    /// Asterisk's manager interface could not be reached, or stopped answering. Its own variant, not
    /// [`DialError::NoAnswer`]: the user is to check the AMI address in the settings, not their phone.
    AmiUnreachable(String),
    /// Asterisk refused the AMI user or secret: the settings are wrong, not the desk phone's password.
    AmiRefused,
    Store(StoreError),
}

impl fmt::Display for DialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DialError::NotLinked => f.write_str(
                "your user is not linked to an employee, so ringbook doesn't know your phone",
            ),
            DialError::NoExtension => f.write_str("your employee holds no extension"),
            DialError::NoPhone(x) => write!(f, "no desk phone is set up for extension {x}"),
            DialError::BadNumber(why) => write!(f, "this number can't be dialled: {why}"),
            DialError::Refused => f.write_str("the phone refused the user name or password"),
            DialError::NoAnswer(why) => write!(f, "the phone did not answer ({why})"),
            DialError::PhoneError(code) => write!(f, "the phone answered with HTTP {code}"),
            DialError::AmiFailed(why) => write!(f, "Asterisk did not place the call: {why}"),
            DialError::AmiUnreachable(why) => write!(f, "Asterisk could not be reached ({why})"),
            DialError::AmiRefused => f.write_str("Asterisk refused the AMI user name or secret"),
            DialError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for DialError {}

impl From<StoreError> for DialError {
    fn from(e: StoreError) -> Self {
        DialError::Store(e)
    }
}

/// Checks a phone address typed on the operators page and returns its canonical form: a host or IP
/// with an optional port, or the same behind `http://` or `https://`; no path, no credentials.
pub fn validate_address(v: &str) -> Result<String, String> {
    let v = v.trim().trim_end_matches('/');
    let rest = v
        .strip_prefix("http://")
        .or_else(|| v.strip_prefix("https://"))
        .unwrap_or(v);
    let ok = !rest.is_empty()
        && rest.len() <= 253
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'));
    if ok {
        Ok(v.to_string())
    } else {
        Err(format!(
            "'{v}' is not a phone address; write its IP address or host name, e.g. 192.168.1.50 or 192.168.1.50:8080"
        ))
    }
}

/// The base URL of a phone address (`http://` unless it says otherwise).
fn base_url(address: &str) -> String {
    if address.starts_with("http://") || address.starts_with("https://") {
        address.to_string()
    } else {
        format!("http://{address}")
    }
}

/// The number as the office's phones must dial it (see the module comment).
pub fn dial_string(model: &NumberModel, raw: &str) -> Result<String, DialError> {
    let n = model
        .normalize(raw)
        .map_err(|e| DialError::BadNumber(e.to_string()))?;
    match n {
        Normalized::Extension(d) => Ok(d),
        // A `+` number the metadata doesn't know still carries its country code.
        Normalized::Digits(d) if crate::number::strip_uri(raw.trim()).starts_with('+') => Ok(
            format!("{}{}{d}", model.outside_prefix, international_prefix(model)),
        ),
        Normalized::Digits(d) => Ok(format!("{}{d}", model.outside_prefix)),
        Normalized::Anonymous => Err(DialError::BadNumber("the number is withheld".into())),
        Normalized::Public { e164, .. } => {
            let util = &*PHONE_NUMBER_UTIL;
            let parsed = util
                .parse(e164.as_str(), None)
                .map_err(|e| DialError::BadNumber(e.to_string()))?;
            let home = util.get_country_code_for_region(model.country);
            let body = if home == Some(parsed.country_code) {
                util.format(&parsed, PhoneNumberFormat::National)
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>()
            } else {
                format!("{}{}", international_prefix(model), e164.digits())
            };
            Ok(format!("{}{body}", model.outside_prefix))
        }
    }
}

/// The office country's international call prefix (`00`, `011` in North America, `810` in
/// Russia), from libphonenumber's metadata; `00` where the metadata has no single one.
///
/// The crate doesn't expose the metadata itself, so the prefix is read off a foreign example number
/// formatted for dialling from the office's country: `00 44 20 7946 0958` from Germany, where the
/// digits before the country code are the prefix.
fn international_prefix(model: &NumberModel) -> String {
    let util = &*PHONE_NUMBER_UTIL;
    let foreign = if model.country == CountryId::GB {
        CountryId::DE
    } else {
        CountryId::GB
    };
    let Ok(example) = util.get_example_number(foreign) else {
        return "00".into();
    };
    let dialled = util.format_out_of_country_calling_number(&example, model.country);
    // Without a single prefix the crate falls back to the `+44 …` form, which names none.
    if dialled.starts_with('+') {
        return "00".into();
    }
    // `8~10`: the `~` means "wait for the dial tone", which a phone's dial string can't say.
    let digits: String = dialled.chars().filter(char::is_ascii_digit).collect();
    let number = util.format(&example, PhoneNumberFormat::E164);
    match digits.strip_suffix(number.trim_start_matches('+')) {
        Some(p) if !p.is_empty() => p.to_string(),
        _ => "00".into(),
    }
}

/// Rings the user's desk phone and has it dial `number`. `employee` is the user's linked employee.
pub fn ring(
    reader: &Reader,
    settings: &Settings,
    employee: Option<i64>,
    number: &str,
) -> Result<Rang, DialError> {
    let model = settings.number_model();
    let dialled = dial_string(&model, number)?;
    let employee = employee.ok_or(DialError::NotLinked)?;
    let extensions = reader
        .employees()?
        .into_iter()
        .find(|e| e.id == employee)
        .map(|e| e.extensions)
        .unwrap_or_default();
    let Some(first) = extensions.first().cloned() else {
        return Err(DialError::NoExtension);
    };
    for x in &extensions {
        let Some(row) = reader.desk_phone(x)? else {
            continue;
        };
        let Some(kind) = Kind::parse(&row.kind) else {
            continue;
        };
        let phone = Phone {
            kind,
            address: row.address,
            username: row.username,
            password: row.password,
        };
        let via = match kind {
            Kind::Snom => {
                snom(&phone, &dialled)?;
                Via::Snom
            }
            Kind::Yealink => {
                yealink(&phone, &dialled)?;
                Via::Yealink
            }
        };
        return Ok(Rang {
            via,
            extension: x.clone(),
            dialled,
        });
    }
    if let Some(cfg) = AmiConfig::from_settings(settings) {
        let channel = settings
            .get("dial.ami_channel")
            .replace("{extension}", &first);
        ami(&cfg, &channel, settings.get("dial.ami_context"), &dialled)?;
        return Ok(Rang {
            via: Via::Ami,
            extension: first,
            dialled,
        });
    }
    Err(DialError::NoPhone(first))
}

/// Snom: `command.htm?number=`.
pub fn snom(phone: &Phone, digits: &str) -> Result<(), DialError> {
    let path = format!(
        "/command.htm?number={}",
        crate::provision::url_encode(digits)
    );
    phone_get(phone, &path)
}

/// Yealink: `servlet?key=number=` (the `=` inside the value is how Yealink spells it).
pub fn yealink(phone: &Phone, digits: &str) -> Result<(), DialError> {
    let path = format!(
        "/servlet?key=number={}",
        crate::provision::url_encode(digits)
    );
    phone_get(phone, &path)
}

/// GETs `path` on the phone, answering an auth challenge once. 2xx and 3xx are success (a Snom
/// answers the dial with a redirect to its index page).
fn phone_get(phone: &Phone, path: &str) -> Result<(), DialError> {
    let url = format!("{}{path}", base_url(&phone.address));
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(CONNECT_TIMEOUT)
        .timeout(TIMEOUT)
        .redirects(0)
        .build();
    let challenges = match agent.get(&url).call() {
        Ok(_) => return Ok(()),
        Err(ureq::Error::Status(401, r)) => r
            .all("www-authenticate")
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>(),
        Err(ureq::Error::Status(403, _)) => return Err(DialError::Refused),
        Err(ureq::Error::Status(code, _)) => return Err(DialError::PhoneError(code)),
        Err(ureq::Error::Transport(t)) => return Err(DialError::NoAnswer(transport_words(&t))),
    };
    if phone.username.is_empty() && phone.password.is_empty() {
        return Err(DialError::Refused);
    }
    let header = challenges
        .iter()
        .find_map(|c| Challenge::parse(c))
        .map(|c| c.authorization(&phone.username, &phone.password, "GET", path))
        .or_else(|| {
            challenges
                .iter()
                .any(|c| c.trim_start().to_ascii_lowercase().starts_with("basic"))
                .then(|| basic(&phone.username, &phone.password))
        })
        .ok_or(DialError::Refused)?;
    match agent.get(&url).set("Authorization", &header).call() {
        Ok(_) => Ok(()),
        Err(ureq::Error::Status(401 | 403, _)) => Err(DialError::Refused),
        Err(ureq::Error::Status(code, _)) => Err(DialError::PhoneError(code)),
        Err(ureq::Error::Transport(t)) => Err(DialError::NoAnswer(transport_words(&t))),
    }
}

/// A transport error in a few words, without the URL (which is ours anyway).
fn transport_words(t: &ureq::Transport) -> String {
    match t.kind() {
        ureq::ErrorKind::ConnectionFailed => "connection refused or timed out".into(),
        ureq::ErrorKind::Dns => "its address is not known".into(),
        ureq::ErrorKind::Io => "no answer in time".into(),
        _ => t.kind().to_string(),
    }
}

/// `Basic base64(user:password)`.
fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
}

fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ABC[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The hash a Digest challenge names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    fn hash(self, s: &str) -> String {
        let bytes: Vec<u8> = match self {
            Algorithm::Md5 => Md5::digest(s.as_bytes()).to_vec(),
            Algorithm::Sha256 => Sha256::digest(s.as_bytes()).to_vec(),
        };
        crate::hex::lower(&bytes)
    }
}

/// A `WWW-Authenticate: Digest ...` challenge (RFC 7616 §3.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    realm: String,
    nonce: String,
    opaque: Option<String>,
    algorithm: Algorithm,
    sess: bool,
    /// The server offered `qop=auth` (RFC 2069 servers offer no qop).
    qop_auth: bool,
}

/// Splits `a=b, c="d, e"` into pairs; quoted values may hold commas and `\"`.
fn auth_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' {
                break;
            }
            name.push(c);
            chars.next();
        }
        if name.trim().is_empty() {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            while chars.peek().is_some_and(|c| *c == ' ') {
                chars.next();
            }
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                value.push(n);
                            }
                        }
                        '"' => break,
                        c => value.push(c),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ',' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
            }
        }
        out.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
}

impl Challenge {
    /// Reads one `WWW-Authenticate` value; `None` unless it is a Digest challenge we can answer.
    pub fn parse(header: &str) -> Option<Challenge> {
        let h = header.trim_start();
        let (scheme, rest) = h.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("digest") {
            return None;
        }
        let params = auth_params(rest);
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let alg = get("algorithm").unwrap_or_else(|| "MD5".into());
        let (algorithm, sess) = match alg.to_ascii_uppercase().as_str() {
            "MD5" => (Algorithm::Md5, false),
            "MD5-SESS" => (Algorithm::Md5, true),
            "SHA-256" => (Algorithm::Sha256, false),
            "SHA-256-SESS" => (Algorithm::Sha256, true),
            _ => return None,
        };
        let qop = get("qop");
        let qop_auth = qop
            .as_deref()
            .is_some_and(|q| q.split(',').any(|x| x.trim().eq_ignore_ascii_case("auth")));
        if qop.is_some() && !qop_auth {
            // Only auth-int offered: that needs the body's hash, which a GET has none of; refuse.
            return None;
        }
        Some(Challenge {
            realm: get("realm").unwrap_or_default(),
            nonce: get("nonce")?,
            opaque: get("opaque"),
            algorithm,
            sess,
            qop_auth,
        })
    }

    /// The `Authorization` header answering this challenge for one request.
    pub fn authorization(&self, user: &str, password: &str, method: &str, uri: &str) -> String {
        let cnonce = crate::auth::random_token(16);
        self.authorization_with(user, password, method, uri, &cnonce)
    }

    fn authorization_with(
        &self,
        user: &str,
        password: &str,
        method: &str,
        uri: &str,
        cnonce: &str,
    ) -> String {
        let h = |s: &str| self.algorithm.hash(s);
        let mut ha1 = h(&format!("{user}:{}:{password}", self.realm));
        if self.sess {
            ha1 = h(&format!("{ha1}:{}:{cnonce}", self.nonce));
        }
        let ha2 = h(&format!("{method}:{uri}"));
        let nc = "00000001";
        let response = if self.qop_auth {
            h(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", self.nonce))
        } else {
            h(&format!("{ha1}:{}:{ha2}", self.nonce))
        };
        let q = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        let alg = match (self.algorithm, self.sess) {
            (Algorithm::Md5, false) => "MD5",
            (Algorithm::Md5, true) => "MD5-sess",
            (Algorithm::Sha256, false) => "SHA-256",
            (Algorithm::Sha256, true) => "SHA-256-sess",
        };
        let mut out = format!(
            "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", algorithm={alg}, response=\"{response}\"",
            q(user),
            q(&self.realm),
            q(&self.nonce),
            q(uri)
        );
        if self.qop_auth {
            out.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{cnonce}\""));
        }
        if let Some(o) = &self.opaque {
            out.push_str(&format!(", opaque=\"{}\"", q(o)));
        }
        out
    }
}

/// Places the call through Asterisk: one short AMI connection (login without events, `Originate`
/// with `Async: true`, its `Response`, `Logoff`). The secret goes only into the `Login` action.
pub fn ami(cfg: &AmiConfig, channel: &str, context: &str, digits: &str) -> Result<(), DialError> {
    let gone = |why: &str| DialError::AmiUnreachable(why.to_string());
    let addr = cfg
        .target()
        .to_socket_addrs()
        .map_err(|_| gone("its address is not known"))?
        .next()
        .ok_or_else(|| gone("its address is not known"))?;
    let stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)
        .map_err(|_| gone("the connection was refused or timed out"))?;
    let tick = Duration::from_millis(200);
    stream
        .set_read_timeout(Some(tick))
        .and_then(|_| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| DialError::AmiUnreachable(e.to_string()))?;
    let mut writer = stream
        .try_clone()
        .map_err(|e| DialError::AmiUnreachable(e.to_string()))?;
    let mut reader = FrameReader::new(BufReader::new(stream));
    let deadline = Instant::now() + TIMEOUT;
    let lost = |e: std::io::Error| DialError::AmiUnreachable(format!("the connection failed: {e}"));
    loop {
        match reader.banner().map_err(lost)? {
            Some(b) if b.starts_with("Asterisk Call Manager/") => break,
            Some(_) => {
                return Err(DialError::AmiFailed(
                    "this is not an Asterisk manager interface".into(),
                ))
            }
            None if Instant::now() < deadline => continue,
            None => return Err(gone("it did not greet")),
        }
    }
    let mut send = |f: Frame| writer.write_all(&f.encode()).map_err(lost);
    let mut answer = |id: &str| -> Result<Frame, DialError> {
        loop {
            match reader.next_frame().map_err(lost)? {
                Some(f) if f.get("ActionID") == id && f.has("Response") => return Ok(f),
                Some(_) => continue,
                None if Instant::now() < deadline => continue,
                None => return Err(gone("it did not answer in time")),
            }
        }
    };
    send(Frame::from_pairs(&[
        ("Action", "Login"),
        ("ActionID", "ringbook-dial-login"),
        ("Username", &cfg.user),
        ("Secret", &cfg.secret),
        ("Events", "off"),
    ]))?;
    let login = answer("ringbook-dial-login")?;
    if !login.get("Response").eq_ignore_ascii_case("Success") {
        return Err(DialError::AmiRefused);
    }
    send(Frame::from_pairs(&[
        ("Action", "Originate"),
        ("ActionID", "ringbook-dial"),
        ("Channel", channel),
        ("Context", context),
        ("Exten", digits),
        ("Priority", "1"),
        ("CallerID", digits),
        ("Timeout", "30000"),
        ("Async", "true"),
    ]))?;
    let r = answer("ringbook-dial")?;
    let _ = send(Frame::from_pairs(&[("Action", "Logoff")]));
    if r.get("Response").eq_ignore_ascii_case("Success") {
        Ok(())
    } else {
        Err(DialError::AmiFailed(r.get("Message").to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> NumberModel {
        NumberModel {
            area_code: "30".into(),
            outside_prefix: "0".into(),
            ..NumberModel::default()
        }
    }

    #[test]
    fn numbers_are_dialled_as_the_office_phone_must() {
        let m = berlin();
        let cases = [
            ("+49 30 1234567", "00301234567"),
            ("030 1234567", "00301234567"),
            ("+43 1 2345678", "0004312345678"),
            ("+39 06 12345678", "000390612345678"),
            ("201", "201"),
        ];
        for (raw, want) in cases {
            assert_eq!(dial_string(&m, raw).unwrap(), want, "{raw}");
        }
        let no_prefix = NumberModel::default();
        assert_eq!(
            dial_string(&no_prefix, "+49 30 1234567").unwrap(),
            "0301234567"
        );
        assert!(dial_string(&m, "anonymous").is_err());
        assert!(dial_string(&m, "call me").is_err());
        let us = NumberModel {
            country: CountryId::US,
            ..NumberModel::default()
        };
        assert_eq!(
            dial_string(&us, "+49 30 1234567").unwrap(),
            "01149301234567"
        );
    }

    /// Each market's international call prefix, as read from libphonenumber's metadata; Russia's
    /// `8~10` loses the dial-tone wait, and a country without one prefix falls back to `00`.
    #[test]
    fn international_prefixes_come_from_the_metadata() {
        for (country, want) in [
            ("DE", "00"),
            ("AT", "00"),
            ("CH", "00"),
            ("IT", "00"),
            ("GB", "00"),
            ("US", "011"),
            ("RU", "810"),
            ("JP", "010"),
            ("AU", "0011"),
        ] {
            let model = NumberModel {
                country: crate::number::parse_country(country).unwrap(),
                ..NumberModel::default()
            };
            assert_eq!(international_prefix(&model), want, "{country}");
        }
    }

    /// The example of RFC 2617 §3.5 (MD5, qop=auth), which every Digest client must reproduce.
    #[test]
    fn digest_answers_the_rfc_example() {
        let c = Challenge::parse(
            r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        )
        .unwrap();
        let h = c.authorization_with(
            "Mufasa",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            "0a4f113b",
        );
        assert!(
            h.contains(r#"response="6629fae49393a05397450978507c4ef1""#),
            "{h}"
        );
        assert!(h.contains("qop=auth, nc=00000001"), "{h}");
        assert!(
            h.contains(r#"opaque="5ccc069c403ebaf9f0171e9517f40e41""#),
            "{h}"
        );
    }

    #[test]
    fn challenges_we_cannot_answer_are_not_digest() {
        assert!(Challenge::parse(r#"Basic realm="x""#).is_none());
        assert!(Challenge::parse(r#"Digest realm="x", nonce="n", qop="auth-int""#).is_none());
        assert!(Challenge::parse(r#"Digest realm="x", qop="auth""#).is_none());
        let c = Challenge::parse(r#"Digest realm="a, b", nonce="n", algorithm=SHA-256"#).unwrap();
        assert_eq!(c.realm, "a, b");
        assert_eq!(c.algorithm, Algorithm::Sha256);
        assert!(!c.qop_auth);
    }

    #[test]
    fn basic_is_base64_of_user_and_password() {
        assert_eq!(
            basic("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
    }

    #[test]
    fn addresses_are_hosts_not_urls_with_paths() {
        assert_eq!(validate_address(" 192.168.1.50 ").unwrap(), "192.168.1.50");
        assert_eq!(
            validate_address("http://phone.lan:8080/").unwrap(),
            "http://phone.lan:8080"
        );
        assert!(validate_address("").is_err());
        assert!(validate_address("admin:pw@phone").is_err());
        assert!(validate_address("phone/evil").is_err());
    }

    #[test]
    fn passwords_stay_out_of_debug_output() {
        let p = Phone {
            kind: Kind::Snom,
            address: "x".into(),
            username: "admin".into(),
            password: "s3cret".into(),
        };
        assert!(!format!("{p:?}").contains("s3cret"));
    }
}
