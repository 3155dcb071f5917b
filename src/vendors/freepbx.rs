//! FreePBX and Asterisk caller-name lookups: `GET /lookup.txt?number=`, `GET /lookup.txt/{number}` and
//! `POST /lookup.txt` with a form body `number=...`.
//!
//! FreePBX's cidlookup HTTP source and Superfecta's regular-expression source take the whole body as the
//! caller's name, and Asterisk's `CURL()` puts it into `CALLERID(name)`; see shared protocols:
//! pbx-apis.md §2. So the body is the name alone, in plain UTF-8, and a miss is an empty 200: any error
//! text would be shown on the phones as the caller's name. Superfecta's "Regular Expressions 2" source
//! can POST its fields form-encoded instead (`"number" = "$thenumber"`), hence the POST form; its key
//! goes in the URL like everyone else's.

use crate::auth::Scope;
use crate::http::routes::Params;
use crate::http::{percent_decode, Ctx, Request, Response};
use crate::lookup;

/// Longest name returned; longer names are cut at a character boundary.
pub const MAX_NAME_CHARS: usize = 60;

/// Makes a name safe for a PBX's caller-ID field: no quotes or semicolons (they end the field in
/// Asterisk's `CALLERID` syntax), no line breaks, at most [`MAX_NAME_CHARS`] characters.
pub fn pbx_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '\n' || c == '\r' || c == '\t' {
                ' '
            } else {
                c
            }
        })
        .filter(|c| *c != '"' && *c != ';' && !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    cleaned.trim().to_string()
}

pub fn lookup_txt(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Lookup) {
        return Response::unauthorized(&e, false);
    }
    let number = p
        .get("number")
        .map(str::to_string)
        .or_else(|| req.param("number"))
        .or_else(|| form_field(req, "number"))
        .unwrap_or_default();
    let name = match lookup::lookup(&ctx.reader, ctx.model(), &number) {
        Ok(o) => o.caller_name().map(|n| pbx_name(&n)).unwrap_or_default(),
        Err(e) => {
            log::debug!("lookup.txt for {number:?} found nothing: {e}");
            String::new()
        }
    };
    Response::text(200, name)
}

/// A field of a form-encoded POST body, decoded like a query (a `+` stays a `+`; a number sent by PHP's
/// `urlencode` has its `+` as `%2B`, and a stray space reads as a lost `+` anyway).
fn form_field(req: &Request, name: &str) -> Option<String> {
    let body = req.body_text().ok()?;
    body.trim()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| percent_decode(k) == name)
        .map(|(_, v)| percent_decode(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn superfecta_post_body_fields_are_read() {
        let req = Request {
            method: crate::http::Method::Post,
            path: "/lookup.txt".into(),
            query: String::new(),
            headers: vec![],
            remote: "127.0.0.1:1".parse().unwrap(),
            body: b"number=%2B4930123456&source=crm&".to_vec(),
        };
        assert_eq!(form_field(&req, "number").as_deref(), Some("+4930123456"));
        assert_eq!(form_field(&req, "source").as_deref(), Some("crm"));
        assert_eq!(form_field(&req, "key"), None);
    }

    #[test]
    fn names_are_made_safe_for_caller_id() {
        assert_eq!(
            pbx_name("Anna \"Ann\" Müller; GmbH"),
            "Anna Ann Müller GmbH"
        );
        assert_eq!(pbx_name("a\nb\r\nc"), "a b  c");
        let long = "Ä".repeat(80);
        let cut = pbx_name(&long);
        assert_eq!(cut.chars().count(), 60);
        assert!(cut.chars().all(|c| c == 'Ä'));
    }
}
