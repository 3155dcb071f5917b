//! The call button next to numbers, and `POST /dial`, which rings the logged-in user's own desk phone
//! and has it dial the number (click-to-call, see `dial.rs`).
//!
//! The button is a small form (CSRF token, number, the page to go back to). app.js sends it in the
//! background with `Accept: application/json` and shows the answer next to the button; without
//! JavaScript the browser posts it and gets a page with the same words and a link back.

use maud::{html, Markup};

use super::layout::{csrf, layout, notice};
use super::{field, form_of, gate, page, safe_next, text, Me};
use crate::dial::{self, DialError, Via};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};

/// The call button for `number`; `back` is the page the no-script answer links back to.
pub fn button(me: &Me, number: &str, back: &str) -> Markup {
    html! {
        form.inline.dial method="post" action="/dial" data-dial="1" {
            (csrf(me))
            input type="hidden" name="number" value=(number);
            input type="hidden" name="back" value=(back);
            button.small.call type="submit" title=(me.t("dial.hint")) aria-label=(format!("{} {number}", me.t("dial.call"))) { (me.t("dial.call")) }
            " " span.dial-result role="status" {}
        }
    }
}

/// Whether a number gets a call button: one the office's phones can dial (not withheld, no letters).
pub fn dialable(ctx: &Ctx, number: &str) -> bool {
    dial::dial_string(ctx.model(), number).is_ok()
}

/// The translation key and HTTP status for an outcome.
fn outcome(r: &Result<dial::Rang, DialError>) -> (&'static str, u16) {
    match r {
        Ok(_) => ("dial.rang", 200),
        Err(DialError::NotLinked) => ("dial.not_linked", 409),
        Err(DialError::NoExtension) => ("dial.no_extension", 409),
        Err(DialError::NoPhone(_)) => ("dial.no_phone", 409),
        Err(DialError::BadNumber(_)) => ("dial.bad_number", 400),
        Err(DialError::Refused) => ("dial.refused", 502),
        Err(DialError::NoAnswer(_)) => ("dial.no_answer", 502),
        Err(DialError::PhoneError(_)) => ("dial.phone_error", 502),
        // Asterisk answered, and said no (an unknown extension or context): the settings are to be
        // fixed, like a missing desk phone, so not a gateway error.
        Err(DialError::AmiFailed(_)) => ("dial.ami_failed", 409),
        Err(DialError::AmiUnreachable(_)) => ("dial.ami_unreachable", 502),
        Err(DialError::AmiRefused) => ("dial.ami_refused", 502),
        Err(DialError::Store(_)) => ("dial.store", 503),
    }
}

fn wants_json(req: &Request) -> bool {
    req.header("accept")
        .is_some_and(|a| a.contains("application/json"))
}

/// `POST /dial`: `number`, `back`, `csrf`.
pub fn post(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let form = match form_of(&me, req) {
        Ok(f) => f,
        Err(r) => {
            if wants_json(req) {
                return super::secure(Response::json(
                    403,
                    &serde_json::json!({ "ok": false, "message": me.t("csrf.text") }),
                ));
            }
            return r;
        }
    };
    let number = text(&form, "number").to_string();
    let back = safe_next(field(&form, "back")).to_string();
    let result = dial::ring(&ctx.reader, ctx.settings(), me.s.employee_id, &number);
    // The log says who rang which extension how, and why not; never the phone's password.
    match &result {
        Ok(r) => log::info!(
            "click-to-call: user '{}' rang extension {} via {}",
            me.s.name,
            r.extension,
            match r.via {
                Via::Snom => "Snom",
                Via::Yealink => "Yealink",
                Via::Ami => "AMI",
            }
        ),
        Err(e) => log::warn!("click-to-call for user '{}' failed: {e}", me.s.name),
    }
    let (key, status) = outcome(&result);
    // Asterisk's own reason (`Extension does not exist.`) tells the admin what to fix; it is English,
    // as Asterisk writes it, after the translated sentence.
    let message = match &result {
        Err(DialError::AmiFailed(why)) if !why.trim().is_empty() => {
            format!("{} (Asterisk: {})", me.t(key), why.trim())
        }
        _ => me.t(key).to_string(),
    };
    let message = message.as_str();
    if wants_json(req) {
        return super::secure(Response::json(
            status,
            &serde_json::json!({ "ok": result.is_ok(), "message": message }),
        ));
    }
    let kind = if result.is_ok() { "ok" } else { "error" };
    let body = html! {
        (notice(kind, message))
        p { a.button.secondary href=(back) { (me.t("dial.back")) } }
    };
    page(status, layout(&me, me.t("dial.title"), "", body))
}
