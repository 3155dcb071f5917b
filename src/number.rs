//! The one number normalizer. Every phone number that ringbook saves, looks up, exports or displays goes
//! through [`NumberModel::normalize`], so a contact saved as `030 1234567` and a caller presented as
//! `sip:+49301234567@pbx;user=phone` meet on the same key.
//!
//! The office's number model (country, area code, outside-line prefix, extension length) lives in the
//! settings table; [`crate::settings::Settings::number_model`] builds it. Parsing and validation use libphonenumber's
//! metadata and rules through the `rlibphonenumber` crate; this module only decides which reading of an
//! input to try.

use std::fmt;

pub use rlibphonenumber::Region as CountryId;
use rlibphonenumber::{PhoneNumberFormat, PHONE_NUMBER_UTIL};

/// A number in E.164 form, always `+` followed by 8 to 15 digits. Only [`NumberModel::normalize`] and the
/// store (which reads back what the normalizer wrote) make these, so holding one means the number parsed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct E164(String);

impl E164 {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The digits after the `+`, which is also the digits key stored for a parsed number.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
    /// Rebuilds an E164 from a value the store wrote earlier; `None` if it is not of that shape.
    pub fn from_stored(s: &str) -> Option<E164> {
        let ok = s.len() >= 4
            && s.len() <= 16
            && s.starts_with('+')
            && s[1..].bytes().all(|b| b.is_ascii_digit());
        ok.then(|| E164(s.to_string()))
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an input number turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Normalized {
    /// A public number that libphonenumber accepts for its country.
    Public { e164: E164, how: Reading },
    /// An internal extension (its length is within `number.extension_digits`): an employee, not a contact.
    Extension(String),
    /// The caller withheld the number (`anonymous`, `unknown`, `restricted`, an empty field).
    Anonymous,
    /// Digits that no reading turns into a valid public number (short service numbers, foreign numbers
    /// with missing metadata, typos). They are kept and matched by their digits only.
    Digits(String),
}

impl Normalized {
    /// The digits-only key stored for a number and used by the second matching rule.
    pub fn digits_key(&self) -> Option<&str> {
        match self {
            Normalized::Public { e164, .. } => Some(e164.digits()),
            Normalized::Digits(d) | Normalized::Extension(d) => Some(d),
            Normalized::Anonymous => None,
        }
    }
    pub fn e164(&self) -> Option<&E164> {
        match self {
            Normalized::Public { e164, .. } => Some(e164),
            _ => None,
        }
    }
}

/// Which reading of the input produced the E.164 form. Shown in lookup explanations, because "why did
/// 0030… become a Berlin number" is the first question an office asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// It carried its country code (`+`, a `+` that arrived as a space, `00`, or `tel:+…`).
    International,
    /// A national number with the trunk prefix (`030 …`) or without it (`30 …`).
    National,
    /// A local number without the area code; the office's area code was put in front.
    Local,
    /// The office's outside-line prefix was dialled first and has been removed.
    OutsidePrefix,
}

impl Reading {
    pub fn describe(self) -> &'static str {
        match self {
            Reading::International => "read as an international number",
            Reading::National => "read as a national number",
            Reading::Local => "read as a local number in the office's area code",
            Reading::OutsidePrefix => "read after removing the outside-line prefix",
        }
    }
}

/// Why an input is not a phone number at all. Messages are for the person who typed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumberError {
    Empty,
    NoDigits(String),
    Letters(String),
    TooLong(String),
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumberError::Empty => write!(f, "no number was given"),
            NumberError::NoDigits(s) => write!(f, "the number '{s}' has no digits"),
            NumberError::Letters(s) => {
                write!(f, "the number '{s}' contains letters or symbols that are not part of a phone number")
            }
            NumberError::TooLong(s) => write!(
                f,
                "the number '{s}' is longer than any phone number (at most 20 digits)"
            ),
        }
    }
}

impl std::error::Error for NumberError {}

/// The office's numbering plan, read from the `number.*` settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberModel {
    pub country: CountryId,
    /// Area code without trunk prefix, e.g. `30` for Berlin. May be empty (countries without area codes).
    pub area_code: String,
    /// What a phone dials for an outside line, e.g. `0`; empty if the PBX needs none.
    pub outside_prefix: String,
    pub ext_min: usize,
    pub ext_max: usize,
    /// How many trailing digits the third matching rule compares.
    pub match_tail: usize,
}

impl NumberModel {
    /// Whether two models read every number the same way, so stored numbers keep their keys. Only
    /// `match_tail` may differ: it is read at each lookup, never stored.
    pub fn normalizes_like(&self, other: &NumberModel) -> bool {
        NumberModel {
            match_tail: other.match_tail,
            ..self.clone()
        } == *other
    }
}

impl Default for NumberModel {
    fn default() -> Self {
        NumberModel {
            country: CountryId::DE,
            area_code: String::new(),
            outside_prefix: String::new(),
            ext_min: 2,
            ext_max: 4,
            match_tail: 8,
        }
    }
}

/// Parses an ISO 3166 code (`DE`, `at`) into libphonenumber's region; `None` for a code it has no
/// numbering plan for (any two letters name a region to the crate, `XX` included).
pub fn parse_country(code: &str) -> Option<CountryId> {
    let region: CountryId = code.trim().parse().ok()?;
    PHONE_NUMBER_UTIL
        .get_country_code_for_region(region)
        .map(|_| region)
}

/// Parses an extension length range such as `2-4` or `3`.
pub fn parse_extension_digits(s: &str) -> Option<(usize, usize)> {
    let s = s.trim();
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
        None => {
            let n = s.parse().ok()?;
            (n, n)
        }
    };
    (a >= 1 && a <= b && b <= 7).then_some((a, b))
}

/// Strips what a SIP or tel URI wraps around a number: a display name, `<…>`, the scheme, `@host`
/// and `;params`. `"Anna" <sip:+4930123@pbx;user=phone>` becomes `+4930123`.
pub fn strip_uri(s: &str) -> &str {
    let mut s = s;
    if let (Some(a), Some(b)) = (s.find('<'), s.rfind('>')) {
        if a < b {
            s = &s[a + 1..b];
        }
    }
    let lower_starts =
        |s: &str, p: &str| s.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    for scheme in ["sips:", "sip:", "tel:"] {
        if lower_starts(s, scheme) {
            s = &s[scheme.len()..];
            if let Some(at) = s.find('@') {
                s = &s[..at];
            }
            break;
        }
    }
    if let Some(semi) = s.find(';') {
        s = &s[..semi];
    }
    s
}

const WITHHELD: [&str; 7] = [
    "anonymous",
    "unknown",
    "restricted",
    "private",
    "unavailable",
    "withheld",
    "clip_no_screening",
];

impl NumberModel {
    /// Turns any input form into a [`Normalized`] number. Accepted: `+4930…`, ` 4930…` (a `+` that became a
    /// space in a query string), `004930…`, `030…`, `30…`, a local number, the outside-line prefix in front
    /// of any of these, spaces, `/`, `-`, `.`, `()`, `sip:`/`tel:` URIs with parameters, `anonymous`, and
    /// extensions. Where several readings are possible, the first one libphonenumber calls valid wins, in
    /// the order: as given, with the area code, without the outside prefix.
    pub fn normalize(&self, raw: &str) -> Result<Normalized, NumberError> {
        let plus_as_space =
            raw.starts_with(' ') && raw.trim_start().starts_with(|c: char| c.is_ascii_digit());
        let s = strip_uri(raw.trim());
        let s = s.trim();
        if s.is_empty() {
            return if raw.trim().is_empty() {
                Err(NumberError::Empty)
            } else {
                Ok(Normalized::Anonymous)
            };
        }
        if WITHHELD.iter().any(|w| s.eq_ignore_ascii_case(w)) {
            return Ok(Normalized::Anonymous);
        }

        let mut digits = String::with_capacity(s.len());
        let mut plus = plus_as_space;
        for (i, c) in s.char_indices() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if digits.is_empty() && i == 0 => plus = true,
                ' ' | '-' | '/' | '.' | '(' | ')' | '\u{a0}' => {}
                _ => return Err(NumberError::Letters(raw.trim().to_string())),
            }
        }
        if digits.is_empty() {
            return Err(NumberError::NoDigits(raw.trim().to_string()));
        }
        if digits.len() > 20 {
            return Err(NumberError::TooLong(raw.trim().to_string()));
        }
        if !plus {
            // Before the extension and local readings: `112` is no extension even where extensions
            // have 3 digits, and `116117` no Berlin number 030 116117.
            if let Some(service) = self.service_number(&digits) {
                return Ok(Normalized::Digits(service.to_string()));
            }
            if (self.ext_min..=self.ext_max).contains(&digits.len()) {
                return Ok(Normalized::Extension(digits));
            }
        }

        if plus {
            let given = format!("+{digits}");
            // A parser may rewrite an international number it finds odd (fuzzing found the
            // `phonenumber` crate, used before, reading `+43 1115 155 0101` as `+43151550101`, which
            // it then called invalid). A stored E.164 must read as itself on every later lookup, so
            // a rewritten number is kept only if it does; the usual case, a number that comes back
            // as given, costs no second parse.
            let kept = self.parse_valid(&given).filter(|e| {
                e.as_str() == given || self.parse_valid(e.as_str()).as_ref() == Some(e)
            });
            if let Some(e) = kept {
                return Ok(Normalized::Public {
                    e164: e,
                    how: Reading::International,
                });
            }
            // A space at the front may also be just a space; fall through to the national readings.
            if !plus_as_space {
                return Ok(Normalized::Digits(digits));
            }
        }

        // `00` is the international call prefix in all our markets except North America's `011`;
        // libphonenumber strips either from its metadata, this only labels the reading.
        let as_given = if digits.starts_with("00")
            || (self.country == CountryId::US && digits.starts_with("011"))
        {
            Reading::International
        } else {
            Reading::National
        };
        let mut candidates: Vec<(String, Reading)> = Vec::with_capacity(4);
        candidates.push((digits.clone(), as_given));
        if !self.area_code.is_empty() && !digits.starts_with('0') {
            candidates.push((format!("{}{}", self.area_code, digits), Reading::Local));
        }
        if !self.outside_prefix.is_empty() && digits.len() > self.outside_prefix.len() {
            if let Some(rest) = digits.strip_prefix(self.outside_prefix.as_str()) {
                candidates.push((rest.to_string(), Reading::OutsidePrefix));
                if !self.area_code.is_empty() && !rest.starts_with('0') {
                    candidates.push((
                        format!("{}{}", self.area_code, rest),
                        Reading::OutsidePrefix,
                    ));
                }
            }
        }
        for (candidate, how) in &candidates {
            if let Some(e164) = self.parse_valid(candidate) {
                return Ok(Normalized::Public { e164, how: *how });
            }
        }
        Ok(Normalized::Digits(digits))
    }

    /// The public short service number `digits` dials in the office's country (emergency, authority
    /// and help lines, directory enquiries; see [`SERVICE_NUMBERS`]), also after the outside-line
    /// prefix (`0112`, three digits or more after it). `None` for anything else.
    ///
    /// The number library carries only libphonenumber's main metadata, not its short-number
    /// metadata, so the numbers are a table here. It is deliberately narrower than that metadata:
    /// a whole range like Switzerland's `[2-9]\d{2,4}` would turn every extension into a service
    /// number.
    pub fn service_number<'a>(&self, digits: &'a str) -> Option<&'a str> {
        let table = SERVICE_NUMBERS
            .iter()
            .find(|(c, _)| *c == self.country)
            .map(|(_, t)| *t)?;
        let is_service = |d: &str| table.iter().any(|p| service_pattern_matches(p, d));
        if is_service(digits) {
            return Some(digits);
        }
        // After the prefix only numbers of three digits or more: `9` + `01` would be the everyday
        // extension 901 in a Russian office.
        let rest = digits.strip_prefix(self.outside_prefix.as_str())?;
        (!self.outside_prefix.is_empty() && rest.len() >= 3 && is_service(rest)).then_some(rest)
    }

    /// Parses with the office's country as the default region and keeps the result only if
    /// libphonenumber's metadata calls it a valid number.
    fn parse_valid(&self, s: &str) -> Option<E164> {
        let util = &*PHONE_NUMBER_UTIL;
        let n = util.parse(s, Some(self.country)).ok()?;
        if !util.is_valid_number(&n) {
            return None;
        }
        E164::from_stored(&util.format(&n, PhoneNumberFormat::E164))
    }

    /// A readable international form for display and export, e.g. `+49 30 1234567`.
    pub fn display(&self, e164: &E164) -> String {
        let util = &*PHONE_NUMBER_UTIL;
        match util.parse(e164.as_str(), None) {
            Ok(n) => util
                .format(&n, PhoneNumberFormat::International)
                .into_owned(),
            Err(_) => e164.to_string(),
        }
    }
}

/// Short public service numbers per market, as patterns of digits where `x` is any digit and the length
/// is exact. A call to one of them is a call to the outside world, never to an extension: an office
/// PBX has to route emergency and service numbers out, so no extension can own them. Sources of the
/// facts: the national numbering plans as summarised in libphonenumber's short-number metadata, and
/// the harmonised European `116xxx` range.
///
/// Left out on purpose, because they are everyday extension numbers: Russia's `101`–`104` (the
/// mobile forms of `01`–`04`) and Brazil's `100` and `102`.
pub const SERVICE_NUMBERS: &[(CountryId, &[&str])] = &[
    // 110 police, 112 emergency, 115 public authorities, 116xxx European help lines, 118xx and
    // 1180xx directory enquiries.
    (
        CountryId::DE,
        &["110", "112", "115", "116xxx", "118xx", "1180xx"],
    ),
    // 112, 122 fire, 128 gas, 133 police, 140 mountain rescue, 141 doctors' service, 142 and 147
    // help lines, 144 ambulance, 116xxx, 118xxx directory enquiries.
    (
        CountryId::AT,
        &[
            "112", "122", "128", "133", "140", "141", "142", "144", "147", "116xxx", "118xxx",
        ],
    ),
    // 112, 117 police, 118 fire, 143 and 147 help lines, 144 ambulance, 145 poison centre, 1414 and
    // 1415 air rescue, 116xxx, 1811 and 1818 directory enquiries.
    (
        CountryId::CH,
        &[
            "112", "117", "118", "143", "144", "145", "147", "1414", "1415", "116xxx", "1811",
            "1818",
        ],
    ),
    // 112, 113 police, 114 child emergency, 115 fire, 117 financial police, 118 ambulance, 1500
    // health, 1515 forest fires, 1522 violence help line, 1530 coast guard, 1254 directory, 116xxx.
    (
        CountryId::IT,
        &[
            "112", "113", "114", "115", "117", "118", "1500", "1515", "1522", "1530", "1254",
            "116xxx",
        ],
    ),
    // 128 Mercosur emergency, 180 women's help line, 188 CVV, 190 police, 191 federal highway
    // police, 192 ambulance (SAMU), 193 fire, 194 federal police, 197 civil police, 198 state
    // highway police, 199 civil defence.
    (
        CountryId::BR,
        &[
            "128", "180", "188", "190", "191", "192", "193", "194", "197", "198", "199",
        ],
    ),
    // 112, and 01 fire, 02 police, 03 ambulance, 04 gas from fixed lines.
    (CountryId::RU, &["112", "01", "02", "03", "04"]),
    // 911, 988 crisis line, and the N11 service codes.
    (
        CountryId::US,
        &[
            "911", "988", "211", "311", "411", "511", "611", "711", "811",
        ],
    ),
];

fn service_pattern_matches(pattern: &str, digits: &str) -> bool {
    pattern.len() == digits.len()
        && pattern
            .bytes()
            .zip(digits.bytes())
            .all(|(p, d)| p == d || (p == b'x' && d.is_ascii_digit()))
}

/// Reverses a digit string. The store keeps numbers' digits reversed so that "the last N digits" is a
/// prefix, which an ordinary index answers with a range scan.
pub fn reversed(digits: &str) -> String {
    digits.chars().rev().collect()
}

#[cfg(test)]
mod tests;
