//! The request as handlers see it, and raw query parsing.
//!
//! Phones don't encode their URLs consistently: Snom sends a `+` unencoded, and form decoding would turn
//! it into a space (see shared protocols: snom-phones.md §4.3). So queries are parsed here from the raw
//! string, and a `+` stays a `+`. A `%20` still becomes a space, which the number normalizer reads as a
//! lost `+` where that gives a valid number.

use std::net::SocketAddr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    Other,
}

impl From<&tiny_http::Method> for Method {
    fn from(m: &tiny_http::Method) -> Self {
        use tiny_http::Method as M;
        match m {
            M::Get => Method::Get,
            M::Head => Method::Head,
            M::Post => Method::Post,
            M::Put => Method::Put,
            M::Patch => Method::Patch,
            M::Delete => Method::Delete,
            M::Options => Method::Options,
            _ => Method::Other,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Request {
    pub method: Method,
    /// The path as sent, still percent-encoded.
    pub path: String,
    /// The raw query string after `?`, still encoded.
    pub query: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub remote: SocketAddr,
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of a query parameter, percent-decoded, with `+` kept as `+`.
    pub fn param(&self, name: &str) -> Option<String> {
        query_pairs(&self.query)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// All query parameters in order, decoded as [`Request::param`] does.
    pub fn params(&self) -> Vec<(String, String)> {
        query_pairs(&self.query).collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The API key from `Authorization: Bearer`, `X-Api-Key`, `token_crm` (the header 3CX templates
    /// written for CRM Senior send, see shared protocols: pbx-apis.md §1.9) or `?key=`, in that order.
    pub fn api_key(&self) -> Option<String> {
        if let Some(v) = self.header("authorization") {
            if let Some(t) = v
                .strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
            {
                return Some(t.trim().to_string());
            }
        }
        if let Some(v) = self.header("x-api-key") {
            return Some(v.trim().to_string());
        }
        if let Some(v) = self.header("token_crm") {
            return Some(v.trim().to_string());
        }
        self.param("key")
    }

    /// A cookie's value from the `Cookie` header, for the web UI's session.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k == "cookie")
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim().to_string())
    }

    /// The fields of an `application/x-www-form-urlencoded` body, as browsers send HTML forms: unlike
    /// a raw query, a `+` here is a space, because browsers encode a literal `+` as `%2B`.
    pub fn form(&self) -> Vec<(String, String)> {
        form_pairs(&String::from_utf8_lossy(&self.body))
    }

    /// The body as UTF-8 text, or a message saying it isn't.
    pub fn body_text(&self) -> Result<&str, String> {
        std::str::from_utf8(&self.body).map_err(|e| {
            format!(
                "the request body is not valid UTF-8 text (at byte {})",
                e.valid_up_to()
            )
        })
    }
}

fn query_pairs(q: &str) -> impl Iterator<Item = (String, String)> + '_ {
    q.split('&').filter(|p| !p.is_empty()).map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        (percent_decode(k), percent_decode(v))
    })
}

/// Parses form encoding (`a=b+c&d=%2B`): `+` is a space, then `%XX` escapes decode.
pub fn form_pairs(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

/// Decodes `%XX` escapes; a `+` stays a `+`. Bytes that don't form UTF-8 become U+FFFD, which every
/// parser downstream rejects with its own clear message.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The host name or IP address of a `Host` header, without its port; `None` for anything else, so
/// that a redirect can't be pointed at a URL the header smuggles in.
pub fn host_name(host: &str) -> Option<&str> {
    if let Some(v6) = host.strip_prefix('[') {
        let end = v6.find(']')?;
        v6[..end].parse::<std::net::Ipv6Addr>().ok()?;
        return Some(&host[..end + 2]);
    }
    let name = host.split(':').next().unwrap_or("");
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    plain.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(query: &str) -> Request {
        Request {
            method: Method::Get,
            path: "/".into(),
            query: query.into(),
            headers: vec![],
            remote: "127.0.0.1:1".parse().unwrap(),
            body: vec![],
        }
    }

    #[test]
    fn plus_stays_plus_and_escapes_decode() {
        let r = req("number=+4930123&b=%2B49%2030&c=%20x&d=%zz&e=%4");
        assert_eq!(r.param("number").unwrap(), "+4930123");
        assert_eq!(r.param("b").unwrap(), "+49 30");
        assert_eq!(r.param("c").unwrap(), " x");
        assert_eq!(r.param("d").unwrap(), "%zz");
        assert_eq!(r.param("e").unwrap(), "%4");
        assert_eq!(r.param("missing"), None);
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        assert_eq!(percent_decode("a%FFb"), "a\u{fffd}b");
    }

    #[test]
    fn key_sources_in_order() {
        let mut r = req("key=fromquery");
        assert_eq!(r.api_key().unwrap(), "fromquery");
        r.headers.push(("x-api-key".into(), "fromheader".into()));
        assert_eq!(r.api_key().unwrap(), "fromheader");
        r.headers
            .push(("authorization".into(), "Bearer frombearer".into()));
        assert_eq!(r.api_key().unwrap(), "frombearer");
    }

    #[test]
    fn cookies_and_form_bodies() {
        let mut r = req("");
        r.headers
            .push(("cookie".into(), "a=1; rb_session=tok en ;b=2".into()));
        assert_eq!(r.cookie("rb_session").unwrap(), "tok en");
        assert_eq!(r.cookie("b").unwrap(), "2");
        assert_eq!(r.cookie("c"), None);
        r.body = b"name=Anna+M%C3%BCller&n=%2B4930&empty=&flag".to_vec();
        let f = r.form();
        assert_eq!(f[0], ("name".into(), "Anna Müller".into()));
        assert_eq!(f[1], ("n".into(), "+4930".into()));
        assert_eq!(f[2], ("empty".into(), "".into()));
        assert_eq!(f[3], ("flag".into(), "".into()));
    }

    #[test]
    fn crm_senior_token_header_is_a_key() {
        let mut r = req("key=fromquery");
        r.headers.push(("token_crm".into(), " fromtoken ".into()));
        r.headers.push(("tenant".into(), "office".into()));
        assert_eq!(r.api_key().unwrap(), "fromtoken");
        r.headers.push(("x-api-key".into(), "fromheader".into()));
        assert_eq!(r.api_key().unwrap(), "fromheader");
    }

    #[test]
    fn host_names_keep_the_name_and_drop_the_port_or_anything_smuggled() {
        assert_eq!(host_name("ringbook.local:8080"), Some("ringbook.local"));
        assert_eq!(host_name("192.168.1.5"), Some("192.168.1.5"));
        assert_eq!(host_name("[fe80::1]:8080"), Some("[fe80::1]"));
        assert_eq!(host_name("[::1]"), Some("[::1]"));
        assert_eq!(host_name("evil.example/x"), None);
        assert_eq!(host_name("user@evil.example"), None);
        assert_eq!(host_name("[not-an-address]:80"), None);
        assert_eq!(host_name("[::1"), None);
        assert_eq!(host_name(""), None);
        assert_eq!(host_name(":8080"), None);
    }
}
