//! Provisioning text: the settings to paste into a phone, a PBX or 3CX so that it asks this ringbook,
//! with the box's address and an API key filled in. `ringbook provision TARGET` prints it; the web UI
//! shows the same text. One function per target; each follows the setting names of shared protocols:
//! snom-phones.md §3–§7 and pbx-apis.md §1–§2.
//!
//! The box's address is the setting `http.public_url` (or `--url`). Without one the text says
//! `RINGBOOK-ADDRESS` and tells the reader to set it: a guessed address would fail on the device with
//! nothing to show why.

use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

use crate::auth::{self, AuthError, Scope};
use crate::settings::{self, Settings};
use crate::store::Store;
use crate::xml;

/// Stands for this box's address in text made while `http.public_url` is unset.
pub const UNSET_BASE: &str = "http://RINGBOOK-ADDRESS:8080";

/// The address used when neither a setting nor a usable Host header names this box.
pub const FALLBACK_BASE: &str = "http://ringbook.local";

/// This box's base URL for links handed to devices: `public_url` (the setting `http.public_url`) when
/// set, else the scheme the request came in by (`https` when it came through ringbook's TLS port)
/// plus the Host header the device used: a phone that opened its directory over HTTPS must get its
/// next page's link on the same port and scheme. A Host header with anything but host and port
/// characters is ignored, so a request can't put markup or another site into our links.
pub fn base_url(public_url: &str, host: Option<&str>, https: bool) -> String {
    let configured = public_url.trim().trim_end_matches('/');
    if !configured.is_empty() {
        return configured.to_string();
    }
    match host.map(str::trim) {
        Some(h)
            if !h.is_empty()
                && h.len() <= 255
                && h.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')
                }) =>
        {
            format!("{}://{h}", if https { "https" } else { "http" })
        }
        _ => FALLBACK_BASE.to_string(),
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, for a value inside a URL.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What `ringbook provision` can write settings for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Snom,
    Yealink,
    Grandstream,
    Dect,
    ThreeCx,
    FreePbx,
    Asterisk,
}

impl Target {
    pub const ALL: [Target; 7] = [
        Target::Snom,
        Target::Yealink,
        Target::Grandstream,
        Target::Dect,
        Target::ThreeCx,
        Target::FreePbx,
        Target::Asterisk,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Target::Snom => "snom",
            Target::Yealink => "yealink",
            Target::Grandstream => "grandstream",
            Target::Dect => "dect",
            Target::ThreeCx => "3cx",
            Target::FreePbx => "freepbx",
            Target::Asterisk => "asterisk",
        }
    }

    /// The name of a key created for this target.
    pub fn key_name(self) -> &'static str {
        match self {
            Target::Snom => "Snom phones",
            Target::Yealink => "Yealink phones",
            Target::Grandstream => "Grandstream phones",
            Target::Dect => "Snom DECT",
            Target::ThreeCx => "3CX",
            Target::FreePbx => "FreePBX",
            Target::Asterisk => "Asterisk",
        }
    }

    /// The scopes the endpoints in this target's settings need, and so the scopes of its key.
    pub fn scopes(self) -> &'static [Scope] {
        match self {
            Target::Snom => &[Scope::Lookup, Scope::Phonebook, Scope::Journal],
            Target::Yealink => &[Scope::Phonebook, Scope::Journal],
            Target::Grandstream | Target::Dect => &[Scope::Phonebook],
            Target::ThreeCx => &[Scope::Lookup, Scope::Journal, Scope::Phonebook],
            Target::FreePbx | Target::Asterisk => &[Scope::Lookup],
        }
    }
}

impl FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        if s == "threecx" {
            return Ok(Target::ThreeCx);
        }
        Target::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Target::ALL.iter().map(|t| t.as_str()).collect();
                format!("'{s}' is not a target; use one of {}", names.join(", "))
            })
    }
}

/// The parts of a base URL that forms with separate fields (FreePBX) ask for.
struct BaseParts<'a> {
    https: bool,
    host: &'a str,
    port: u16,
    /// A path prefix such as `/ringbook`, or empty.
    path: &'a str,
}

fn split_base(base: &str) -> BaseParts<'_> {
    let (https, rest) = match base.strip_prefix("https://") {
        Some(r) => (true, r),
        None => (false, base.strip_prefix("http://").unwrap_or(base)),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    let default_port = if https { 443 } else { 80 };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p))
            if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':') =>
        {
            (h, p.parse().unwrap_or(default_port))
        }
        _ => (authority, default_port),
    };
    BaseParts {
        https,
        host,
        port,
        path,
    }
}

/// The header lines of every text: what it is for, and the note about an unset address.
fn heading(title: &str, base_unset: bool) -> Vec<String> {
    let mut v = vec![title.to_string()];
    if base_unset {
        v.push(format!(
            "http.public_url is not set, so {UNSET_BASE} stands for this box below: replace it, or run \
             'ringbook settings set http.public_url http://ADDRESS:PORT' and provision again."
        ));
    }
    v
}

/// Snom desk phones: the incoming-call pop-up, the directory key, the remote XML directory and the
/// action URLs that feed the call journal (see shared protocols: snom-phones.md §3.1, §3.2, §4.4).
/// Printed twice: as XML settings (`&` written `&amp;`) and as `name!: value` lines for the web UI
/// or a text settings file (raw `&`).
pub fn snom(base: &str, key: &str, base_unset: bool) -> String {
    let k = url_encode(key);
    let event = |ev: &str| {
        format!(
            "{base}/snom/event?ev={ev}&mac=$mac&cid=$call-id&local=$local&remote=$remote&id=$active_user&n=$nr_ongoing_calls&key={k}"
        )
    };
    let settings: Vec<(&str, String)> = vec![
        (
            "action_incoming_url",
            format!(
                "{base}/snom/incoming?key={k}&remote=$remote&local=$local&cid=$call-id&mac=$mac&id=$active_user"
            ),
        ),
        (
            "dkey_directory",
            format!("url {base}/snom/directory?key={k}"),
        ),
        ("action_outgoing_url", event("outgoing")),
        ("action_connected_url", event("connected")),
        ("action_disconnected_url", event("disconnected")),
        ("action_missed_url", event("missed")),
        ("action_onhook_url", event("onhook")),
    ];
    let mut out = String::new();
    let mut head = heading("ringbook for Snom desk phones.", base_unset);
    head.push("XML settings file (provisioning): paste inside <phone-settings>.".into());
    head.push(format!(
        "Remote XML directory (firmware 10.1.178.0 or later), on the phone's web UI: {base}/snom/tbook.xml?key={k}"
    ));
    out.push_str("<!-- ");
    out.push_str(&head.join("\n     "));
    out.push_str(" -->\n");
    for (name, value) in &settings {
        out.push_str(&format!(
            "<{name} perm=\"R\">{}</{name}>\n",
            xml::escape(value)
        ));
    }
    out.push_str("\n# The same settings for the phone's web UI (Setup > Action URL Settings, Function Keys)\n");
    out.push_str("# or a text settings file (name!: value):\n");
    out.push_str(&format!(
        "# remote XML directory: {base}/snom/tbook.xml?key={k}\n"
    ));
    for (name, value) in &settings {
        out.push_str(&format!("{name}!: {value}\n"));
    }
    out
}

/// The Yealink action URLs that feed the call journal (see shared protocols: snom-phones.md §6.2).
const YEALINK_ACTIONS: &[&str] = &[
    "incoming_call",
    "outgoing_call",
    "call_established",
    "call_terminated",
    "missed_call",
    "call_remote_canceled",
    "remote_busy",
    "cancel_callout",
    "reject_incoming_call",
    "forward_incoming_call",
];

/// Yealink phones: the remote phone book with server-side search (`#SEARCH`) and caller lookup in it,
/// and the action URLs for the call journal (see shared protocols: snom-phones.md §6.1, §6.2).
pub fn yealink(base: &str, key: &str, base_unset: bool) -> String {
    let k = url_encode(key);
    let mut out = String::new();
    let mut head = heading("ringbook for Yealink phones.", base_unset);
    head.push("Add to the phone's configuration file (a new file starts with the line #!version:1.0.0.1),".into());
    head.push("or set the same values on the web UI (Directory > Remote Phone Book; Features > Action URL).".into());
    head.push("The phone puts the typed search text where #SEARCH stands; flash_time is the refresh in seconds.".into());
    for l in head {
        out.push_str(&format!("## {l}\n"));
    }
    out.push_str(&format!(
        "remote_phonebook.data.1.url = {base}/yealink/phonebook.xml?key={k}&q=#SEARCH\n"
    ));
    out.push_str("remote_phonebook.data.1.name = ringbook\n");
    out.push_str("features.remote_phonebook.enable = 1\n");
    out.push_str("features.remote_phonebook.flash_time = 3600\n");
    out.push_str("## The call journal: one action URL per call event.\n");
    for ev in YEALINK_ACTIONS {
        out.push_str(&format!(
            "action_url.{ev} = {base}/yealink/event?ev={ev}&mac=$mac&call_id=$call_id&local=$local&remote=$remote&active_user=$active_user&key={k}\n"
        ));
    }
    out
}

/// Grandstream phones: the downloadable phone book. P331 is the server path without scheme and
/// without the file name, because the phone appends `/phonebook.xml` itself (see shared protocols:
/// snom-phones.md §7); the key therefore travels as a path segment.
pub fn grandstream(base: &str, key: &str, base_unset: bool) -> String {
    let parts = split_base(base);
    let k = url_encode(key);
    let default_port = if parts.https { 443 } else { 80 };
    let host = if parts.port == default_port {
        parts.host.to_string()
    } else {
        format!("{}:{}", parts.host, parts.port)
    };
    let mut out = String::new();
    let mut head = heading("ringbook for Grandstream phones.", base_unset);
    head.push(
        "Add to the phone's configuration file, or set the same values on the phone's web UI."
            .into(),
    );
    head.push("P330 is the download mode (1 HTTP, 3 HTTPS), P331 the server path (the phone adds /phonebook.xml),".into());
    head.push(
        "P332 the download interval in minutes. The phones keep at most 1,000 entries.".into(),
    );
    for l in head {
        out.push_str(&format!("# {l}\n"));
    }
    out.push_str(&format!("P330 = {}\n", if parts.https { 3 } else { 1 }));
    out.push_str(&format!("P331 = {host}{}/grandstream/{k}\n", parts.path));
    out.push_str("P332 = 60\n");
    out.push_str(&format!(
        "# The phone then downloads {base}/grandstream/{k}/phonebook.xml\n"
    ));
    out
}

/// Snom DECT bases (M300, M700, M900): the central directory, which the base downloads from Server and
/// Filename joined (see shared protocols: snom-phones.md §3.3).
pub fn dect(base: &str, key: &str, base_unset: bool) -> String {
    let k = url_encode(key);
    let mut out = String::new();
    for l in heading(
        "ringbook for Snom DECT bases (M300, M700, M900): the central directory on the base's web UI.",
        base_unset,
    ) {
        out.push_str(&format!("{l}\n"));
    }
    out.push_str(&format!("  Server:          {base}/dect/\n"));
    out.push_str(&format!("  Filename:        directory.xml?key={k}\n"));
    out.push_str("  Reload interval: 3600 (seconds)\n");
    out.push_str(&format!(
        "The base downloads Server and Filename joined: {base}/dect/directory.xml?key={k}\n"
    ));
    out
}

/// 3CX: where to get the template made for this box and what to fill in (see shared protocols:
/// pbx-apis.md §1.1).
pub fn threecx(base: &str, key: &str, base_unset: bool) -> String {
    let mut out = String::new();
    for l in heading(
        "ringbook for 3CX (Professional or Enterprise): the server-side CRM integration.",
        base_unset,
    ) {
        out.push_str(&format!("{l}\n"));
    }
    out.push_str(&format!(
        "1. Download the template made for this box with an admin key
   (make one with: ringbook apikey create --name admin --scopes admin):
     curl -o ringbook-3cx.xml -H \"X-Api-Key: ADMIN-KEY\" {base}/3cx/template.xml
2. Upload it: 3CX v20 Admin > Integrations > CRM; v16/v18 Settings > CRM Integration > Server Side > Add.
3. Choose \"ringbook\" and fill in:
     ringbook API key:                                {key}
     Journal calls in ringbook:                       on
     Create contacts in ringbook from the 3CX client: on
4. Set \"Match Caller ID's to a contact entry\" to \"Match exactly\" (v16/v18: Advanced > Contacts > Options).
5. Restart the 3CX services after uploading or changing the template: 3CX keeps using a cached copy.
Test it with the Test button on the CRM page and a number ringbook knows.
"
    ));
    out
}

/// FreePBX: a CallerID Lookup Source of type HTTP, and the same lookup as a CallerID Superfecta
/// source (see shared protocols: pbx-apis.md §2.1, §2.2).
pub fn freepbx(base: &str, key: &str, base_unset: bool) -> String {
    let parts = split_base(base);
    let k = url_encode(key);
    let mut out = String::new();
    for l in heading(
        "ringbook for FreePBX: Admin > CallerID Lookup Sources > Add CIDLookup Source.",
        base_unset,
    ) {
        out.push_str(&format!("{l}\n"));
    }
    out.push_str(&format!(
        "  Source Description: ringbook
  Source type:        {scheme}
  Cache Results:      No   (FreePBX would keep an unknown caller's empty name for ever)
  Host:               {host}
  Port:               {port}
  Username:           (empty)
  Password:           (empty)
  Path:               {path}/lookup.txt/[NUMBER]
  Query:              key={k}
Then choose \"ringbook\" as the CID Lookup Source of each inbound route (Connectivity > Inbound Routes > Other).
FreePBX waits up to 7 s; ringbook answers from its own database in milliseconds, and with an empty
answer for a caller it doesn't know, so the number is shown as before.
FreePBX versions that leave [NUMBER] in the path unfilled: Path {path}/lookup.txt, Query number=[NUMBER]&key={k}

Or with CallerID Superfecta, source \"Regular Expressions 1\":
  URL:                 {base}/lookup.txt?number=$thenumber&key={k}
  Regular Expressions: (.+)
  In the scheme, set Character Encodings to UTF-8 and Strip Accent Characters to No, or names with
  umlauts and accents are mangled.
",
        scheme = if parts.https { "HTTPS" } else { "HTTP" },
        host = parts.host,
        port = parts.port,
        path = parts.path,
    ));
    out
}

/// Plain Asterisk: a dialplan snippet that sets the caller's name from `CURL()`, with a timeout,
/// because `CURL()` otherwise waits 180 s while the caller rings (see shared protocols: pbx-apis.md
/// §2.3).
pub fn asterisk(base: &str, key: &str, base_unset: bool) -> String {
    let k = url_encode(key);
    let mut out = String::new();
    let mut head = heading("ringbook for Asterisk (extensions.conf).", base_unset);
    head.push(
        "Add these lines to the context that receives inbound calls, after its first exten => line"
            .into(),
    );
    head.push("and before the Dial(). CURL() waits 180 s unless httptimeout is set.".into());
    for l in head {
        out.push_str(&format!("; {l}\n"));
    }
    out.push_str(" same => n,Set(CURLOPT(httptimeout)=2)\n");
    out.push_str(&format!(
        " same => n,Set(CALLERID(name)=${{CURL({base}/lookup.txt?number=${{URIENCODE(${{CALLERID(num)}})}}&key={k})}})\n"
    ));
    out
}

/// The text for `target`. `base` is this box's address, or `None` when it isn't known yet.
pub fn text(target: Target, base: Option<&str>, key: &str) -> String {
    let unset = base.is_none();
    let b = base.unwrap_or(UNSET_BASE);
    match target {
        Target::Snom => snom(b, key, unset),
        Target::Yealink => yealink(b, key, unset),
        Target::Grandstream => grandstream(b, key, unset),
        Target::Dect => dect(b, key, unset),
        Target::ThreeCx => threecx(b, key, unset),
        Target::FreePbx => freepbx(b, key, unset),
        Target::Asterisk => asterisk(b, key, unset),
    }
}

/// Provisioning text ready to print, and notes for the person (which key was made, what is missing).
pub struct Provisioned {
    pub text: String,
    pub notes: Vec<String>,
}

/// Makes the text for `target`: the address from `url` or the setting `http.public_url`, and `key`,
/// or a new key with the target's scopes, named for it, when none is given.
pub fn provision(
    store: &Store,
    target: Target,
    key: Option<&str>,
    url: Option<&str>,
) -> Result<Provisioned, String> {
    let reader = store.reader().map_err(|e| e.to_string())?;
    let s = Settings::load(&reader).map_err(|e| e.to_string())?;
    let mut notes = Vec::new();
    let configured = match url {
        Some(u) => {
            let spec = settings::spec("http.public_url").map_err(|e| e.to_string())?;
            (spec.validate)(u).map_err(|why| format!("--url: {why}"))?
        }
        None => s.get("http.public_url").to_string(),
    };
    let base = (!configured.is_empty()).then_some(configured);
    if base.is_none() {
        notes.push(format!(
            "http.public_url is not set, so the text says {UNSET_BASE}; set it with 'ringbook settings set http.public_url http://ADDRESS:PORT' or pass --url"
        ));
    }
    let scopes: Vec<&str> = target.scopes().iter().map(|s| s.as_str()).collect();
    let key = match key.map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => {
            // Checked as if sent from this machine; a key bound to the phones' network is not judged.
            let here = IpAddr::V4(Ipv4Addr::LOCALHOST);
            for &scope in target.scopes() {
                match auth::authorize(&reader, Some(k), here, scope) {
                    Ok(_) | Err(AuthError::IpNotAllowed(_)) => {}
                    Err(AuthError::WrongScope(s)) => notes.push(format!(
                        "the key given lacks the '{}' scope these settings need (they need {})",
                        s.as_str(),
                        scopes.join(", ")
                    )),
                    Err(e) => {
                        notes.push(format!("the key given can't be used here: {e}"));
                        break;
                    }
                }
            }
            k.to_string()
        }
        None => {
            let created = auth::create_key(store, target.key_name(), target.scopes(), &[], true)?;
            let full = created
                .full_key
                .ok_or("the new key has no secret to print")?;
            notes.push(format!(
                "created API key {} '{}' with the scopes {} for these settings; it is shown only here",
                created.id,
                target.key_name(),
                scopes.join(", ")
            ));
            full
        }
    };
    Ok(Provisioned {
        text: text(target, base.as_deref(), &key),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_prefers_the_setting_and_distrusts_odd_hosts() {
        let cases = [
            ("http://box:8080/", Some("evil"), "http://box:8080"),
            ("", Some("192.168.1.5:8080"), "http://192.168.1.5:8080"),
            ("", Some("[fd00::1]:8080"), "http://[fd00::1]:8080"),
            ("", Some("x\"><script>"), FALLBACK_BASE),
            ("", Some("a/b"), FALLBACK_BASE),
            ("", None, FALLBACK_BASE),
        ];
        for (setting, host, want) in cases {
            assert_eq!(base_url(setting, host, false), want, "{setting:?} {host:?}");
        }
        assert_eq!(
            base_url("", Some("192.168.1.5:8443"), true),
            "https://192.168.1.5:8443"
        );
        assert_eq!(
            base_url("http://box:8080", Some("192.168.1.5:8443"), true),
            "http://box:8080"
        );
    }

    #[test]
    fn base_parts_for_form_fields() {
        let cases = [
            ("http://box:8080", false, "box", 8080, ""),
            ("https://box", true, "box", 443, ""),
            ("http://box/ringbook/", false, "box", 80, "/ringbook"),
            ("http://[fd00::1]:81", false, "[fd00::1]", 81, ""),
            ("http://[fd00::1]", false, "[fd00::1]", 80, ""),
        ];
        for (base, https, host, port, path) in cases {
            let p = split_base(base);
            assert_eq!(
                (p.https, p.host, p.port, p.path),
                (https, host, port, path),
                "{base}"
            );
        }
    }

    #[test]
    fn targets_parse_by_name() {
        for t in Target::ALL {
            assert_eq!(t.as_str().parse::<Target>().unwrap(), t);
        }
        assert_eq!("ThreeCX".parse::<Target>().unwrap(), Target::ThreeCx);
        assert!("fritzbox".parse::<Target>().unwrap_err().contains("snom"));
    }

    #[test]
    fn url_encoding_keeps_unreserved() {
        assert_eq!(url_encode("rbk_Ab-9.~"), "rbk_Ab-9.~");
        assert_eq!(url_encode("+49 30&x"), "%2B49%2030%26x");
        assert_eq!(url_encode("ä"), "%C3%A4");
    }

    #[test]
    fn snom_xml_escapes_ampersands_and_text_form_keeps_them() {
        let t = snom("http://box:8080", "rbk_k_s", false);
        assert!(t.contains("<action_incoming_url perm=\"R\">http://box:8080/snom/incoming?key=rbk_k_s&amp;remote=$remote&amp;local=$local&amp;cid=$call-id&amp;mac=$mac&amp;id=$active_user</action_incoming_url>"), "{t}");
        assert!(
            t.contains(
                "action_incoming_url!: http://box:8080/snom/incoming?key=rbk_k_s&remote=$remote"
            ),
            "{t}"
        );
        assert!(!t.contains(UNSET_BASE));
        let unset = text(Target::Snom, None, "k");
        assert!(unset.contains("http.public_url is not set") && unset.contains(UNSET_BASE));
    }
}
