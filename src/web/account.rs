//! The user's own account (`/me`): the password, the second factor, and the login step that asks
//! for the second factor's code.
//!
//! - Turning it on: the page makes a new secret and shows it as a QR code and as text. The secret
//!   rides in a hidden field until the user sends back the code their app shows for it with their
//!   password, so nothing is stored for a page that is never completed. The code proves the app has
//!   the secret; the password stops someone at an unlocked desk from tying the account to their own
//!   phone (ASVS 3.7.1). The answer shows ten recovery codes, once (see `recovery.rs`); new ones can
//!   be made later with the password. Turning it off asks for the password and a code too.
//! - Logging in: a right password for a user with a second factor starts a pending login
//!   (`session::create_pending`) and sends the browser to `/login/code`. A right code replaces it
//!   with a real session. Wrong codes count against the client address like wrong passwords, and
//!   the address's counter is only cleared by a complete login, so a known password doesn't buy
//!   unlimited guesses at the code.
//! - A lost phone: a recovery code logs in once in place of the app's code, on the same step and
//!   under the same limits; it leads to this page, which says how many are left. Without codes, an
//!   admin removes the factor on the Users page; for the last admin, `ringbook user reset-2fa NAME`
//!   on the box does it.

use maud::{html, Markup};

use super::i18n::Lang;
use super::layout::{bare, csrf, layout, notice, password_meter};
use super::setup::pre_csrf_refused;
use super::{field, form_of, gate, page, redirect, safe_next, session, store_error, text, Me};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::store;
use crate::totp;
use crate::users::{self, UserError};

/// The paths an admin without a second factor may open while `web.admin_2fa` is on: this page,
/// its forms, the strength meter under its new-password field, the language chooser and logging out.
pub fn open_without_2fa(path: &str) -> bool {
    path == "/me" || path.starts_with("/me/") || path == "/logout" || path == "/password-check"
}

/// The QR code of `text` as inline SVG: one path of unit squares, with the four-module quiet zone
/// scanners need. Only numbers go into the markup.
fn qr_svg(text: &str, label: &str) -> Markup {
    use qrcodegen::{QrCode, QrCodeEcc};
    let Ok(qr) = QrCode::encode_text(text, QrCodeEcc::Medium) else {
        return html! {};
    };
    let border = 4;
    let size = qr.size() + 2 * border;
    let mut d = String::new();
    for y in 0..qr.size() {
        let mut x = 0;
        while x < qr.size() {
            // One rectangle for each run of dark modules in a row.
            let start = x;
            while x < qr.size() && qr.get_module(x, y) {
                x += 1;
            }
            if x > start {
                let run = x - start;
                d.push_str(&format!(
                    "M{},{}h{run}v1h-{run}z",
                    start + border,
                    y + border
                ));
            }
            x += 1;
        }
    }
    let view = format!("0 0 {size} {size}");
    html! {
        svg.qr xmlns="http://www.w3.org/2000/svg" viewBox=(view) width="232" height="232"
            shape-rendering="crispEdges" role="img" aria-label=(label) {
            rect width="100%" height="100%" fill="#fff" {}
            path d=(d) fill="#000" {}
        }
    }
}

/// The secret in groups of four, as people type it into an app.
fn grouped(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

fn account_page(
    ctx: &Ctx,
    me: &Me,
    status: u16,
    msg: Option<(&str, &str)>,
    secret: Option<&[u8]>,
) -> Response {
    let new_secret;
    let secret = match secret {
        Some(s) => s,
        None => {
            new_secret = totp::new_secret();
            &new_secret
        }
    };
    let key = totp::base32(secret);
    let code_input = html! {
        label { (me.t("account.code"))
            input name="code" required inputmode="numeric" autocomplete="one-time-code"
                pattern="[0-9 ]{6,7}" maxlength="7"; }
    };
    let password_input = html! {
        label { (me.t("field.password"))
            input type="password" name="password" required autocomplete="current-password"; }
    };
    let body = html! {
        @if let Some((kind, text)) = msg { (notice(kind, text)) }
        h2 { (me.t("account.2fa")) }
        @if me.s.has_2fa {
            p #twofa-state data-on="1" { (me.t("account.2fa_on")) }
            form.filters method="post" action="/me/2fa/off" {
                (csrf(me)) (password_input) (code_input)
                button.danger type="submit" { (me.t("account.2fa_turn_off")) }
            }
            h3 { (me.t("account.recovery")) }
            @if let Ok(left) = ctx.reader.recovery_codes_left(me.s.user_id) {
                p { (me.t("account.recovery_left")) " " strong #recovery-left { (left) } }
            }
            p.hint { (me.t("account.recovery_new_hint")) }
            form.filters method="post" action="/me/2fa/recovery" {
                (csrf(me)) (password_input)
                button type="submit" { (me.t("account.recovery_new")) }
            }
        } @else {
            p #twofa-state data-on="0" { (me.t("account.2fa_off")) }
            p { (me.t("account.2fa_scan")) }
            (qr_svg(&totp::uri("ringbook", &me.s.name, secret), me.t("account.qr_label")))
            p { (me.t("account.2fa_key")) " " code #totp-key { (grouped(&key)) } }
            form.filters method="post" action="/me/2fa" {
                (csrf(me))
                input type="hidden" name="secret" value=(key);
                (code_input) (password_input)
                button type="submit" { (me.t("account.2fa_turn_on")) }
            }
        }
    };
    let body = html! {
        (body)
        h2 { (me.t("account.password")) }
        form.filters method="post" action="/me/password" {
            (csrf(me))
            label { (me.t("account.current_password"))
                input type="password" name="password" required autocomplete="current-password"; }
            label { (me.t("users.new_password"))
                input type="password" name="new_password" required minlength=(crate::password::MIN_LENGTH)
                    autocomplete="new-password" data-meter="meter-me" data-meter-user=(me.s.name); }
            button type="submit" { (me.t("account.password")) }
        }
        (password_meter(me.lang, "meter-me"))
        p.hint { (me.t("setup.password_hint")) }
    };
    page(status, layout(me, me.t("account.title"), "", body))
}

/// `GET /me`: the user's account. `?done=` names what just succeeded; `?need=2fa` says why an admin
/// was sent here.
pub fn get(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let msg = match (req.param("done").as_deref(), req.param("need").as_deref()) {
        (Some("off"), _) => Some(("ok", me.t("account.2fa_now_off"))),
        (Some("password"), _) => Some(("ok", me.t("account.password_changed"))),
        (Some("recovered"), _) => Some(("error", me.t("account.recovered"))),
        (_, Some("2fa")) if !me.s.has_2fa => Some(("error", me.t("account.need_2fa"))),
        _ => None,
    };
    account_page(ctx, &me, 200, msg, None)
}

/// The logged-in user and their form, for a change to their own account that only needs the
/// password (a refusal is the page to send).
fn confirmed(ctx: &mut Ctx, req: &Request) -> Result<(Me, Vec<(String, String)>), Response> {
    let me = gate(ctx, req, false)?;
    let form = form_of(&me, req)?;
    check_password(ctx, &me, req, &form, None)?;
    Ok((me, form))
}

/// Checks the password of the logged-in user for a change to their own account; counted against
/// the address like a login. The refusal is the page to send, offering `keep` again if it is the
/// secret of a second factor being set up (the app has scanned it already).
fn check_password(
    ctx: &Ctx,
    me: &Me,
    req: &Request,
    form: &[(String, String)],
    keep: Option<&[u8]>,
) -> Result<(), Response> {
    let ip = crate::http::peer(req);
    if !session::may_try(ip) {
        return Err(account_page(
            ctx,
            me,
            429,
            Some(("error", me.t("login.too_many"))),
            keep,
        ));
    }
    let user = match ctx.reader.user_by_name(&me.s.name) {
        Ok(u) => u,
        Err(e) => return Err(store_error(&e)),
    };
    let password = field(form, "password").unwrap_or("");
    match user {
        Some(u) if crate::auth::verify_password(password, &u.password_hash) => Ok(()),
        _ => {
            session::failed(&ctx.app.store, ip);
            Err(account_page(
                ctx,
                me,
                400,
                Some(("error", me.t("account.wrong_password"))),
                keep,
            ))
        }
    }
}

/// `POST /me/2fa`: turn the second factor on with the page's secret, a code and the password. The
/// user's other sessions, which logged in without it, end.
pub fn post_on(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let form = match form_of(&me, req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if me.s.has_2fa {
        return redirect("/me");
    }
    let secret = totp::from_base32(text(&form, "secret")).filter(|s| s.len() == totp::SECRET_BYTES);
    if let Err(r) = check_password(ctx, &me, req, &form, secret.as_deref()) {
        return r;
    }
    let Some(secret) = secret else {
        return account_page(ctx, &me, 400, Some(("error", me.t("account.stale"))), None);
    };
    let code = text(&form, "code");
    match users::enable_second_factor(&ctx.app.store, me.s.user_id, &secret, code, store::now()) {
        Ok(codes) => match session::end_others(&ctx.app.store, req, me.s.user_id) {
            Ok(()) => codes_page(&me, me.t("account.2fa_now_on"), &codes),
            Err(e) => store_error(&e),
        },
        Err(UserError::WrongCode) => account_page(
            ctx,
            &me,
            400,
            Some(("error", me.t("account.wrong_code"))),
            Some(&secret),
        ),
        Err(UserError::Store(e)) => store_error(&e),
        Err(_) => redirect("/login"),
    }
}

/// `POST /me/2fa/off`: turn one's own second factor off, with the password and a current code.
pub fn post_off(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let (me, form) = match confirmed(ctx, req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let factor = match ctx.reader.user_totp(me.s.user_id) {
        Ok(f) => f,
        Err(e) => return store_error(&e),
    };
    let Some((secret, _)) = factor else {
        return redirect("/me");
    };
    // The code that just logged in may be the one shown still: it proves the app is at hand, which
    // is all this asks (the session and the password are checked already), so it isn't refused here.
    let right = totp::verify(&secret, text(&form, "code"), store::now(), 0).is_some();
    if !right {
        session::failed(&ctx.app.store, crate::http::peer(req));
        return account_page(
            ctx,
            &me,
            400,
            Some(("error", me.t("account.wrong_code"))),
            None,
        );
    }
    match users::remove_second_factor(&ctx.app.store, me.s.user_id) {
        Ok(()) => redirect("/me?done=off"),
        Err(UserError::Store(e)) => store_error(&e),
        Err(_) => redirect("/login"),
    }
}

/// The recovery codes just made, shown this once. The page says they replace any old ones and how
/// to keep them; the browser's print or save works on it as on any page.
fn codes_page(me: &Me, done: &str, codes: &[String]) -> Response {
    let body = html! {
        (notice("ok", done))
        h2 { (me.t("account.recovery")) }
        p { (me.t("account.recovery_keep")) }
        ol #recovery-codes {
            @for c in codes { li { code { (c) } } }
        }
        p { a.button href="/me" { (me.t("account.recovery_saved")) } }
    };
    page(200, layout(me, me.t("account.title"), "", body))
}

/// `POST /me/2fa/recovery`: new recovery codes, with the password; the old ones stop working.
pub fn post_recovery(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let (me, _) = match confirmed(ctx, req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match users::new_recovery_codes(&ctx.app.store, me.s.user_id) {
        Ok(codes) => codes_page(&me, me.t("account.recovery_made"), &codes),
        Err(UserError::Store(e)) => store_error(&e),
        Err(_) => redirect("/me"),
    }
}

/// `POST /me/password`: change one's own password, with the current one (ASVS 2.1.5, 2.1.6). This
/// session stays and the user's others end; the rules are `users::reset_password`'s.
pub fn post_password(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let (me, form) = match confirmed(ctx, req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let new = field(&form, "new_password").unwrap_or("");
    match users::reset_password(&ctx.app.store, me.s.user_id, me.s.user_id, new) {
        Ok(()) => match session::end_others(&ctx.app.store, req, me.s.user_id) {
            Ok(()) => redirect("/me?done=password"),
            Err(e) => store_error(&e),
        },
        Err(UserError::WeakPassword(w)) => account_page(
            ctx,
            &me,
            400,
            Some(("error", me.t(super::users::weak_key(w)))),
            None,
        ),
        Err(UserError::Store(e)) => store_error(&e),
        Err(_) => redirect("/login"),
    }
}

/// The code step's page. `recovery` opens the recovery-code field, after a wrong recovery code.
fn code_form(lang: Lang, token: &str, err: Option<&str>, next: &str, recovery: bool) -> Markup {
    let t = |k| lang.t(k);
    bare(
        lang,
        t("login.code_title"),
        html! {
            h2 { (t("login.code_title")) }
            @if let Some(e) = err { (notice("error", e)) }
            form method="post" action="/login/code" {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="next" value=(next);
                label { (t("login.code_text"))
                    input name="code" required autofocus inputmode="numeric" autocomplete="one-time-code"
                        pattern="[0-9 ]{6,7}" maxlength="7"; }
                button type="submit" { (t("login.submit")) }
            }
            details #use-recovery open[recovery] {
                summary { (t("login.recovery_lost")) }
                form method="post" action="/login/code" {
                    input type="hidden" name="csrf" value=(token);
                    input type="hidden" name="next" value=(next);
                    label { (t("login.recovery_text"))
                        input name="recovery" required autocomplete="off" autocapitalize="characters"
                            spellcheck="false" maxlength="40"; }
                    button type="submit" { (t("login.submit")) }
                }
            }
            p { a href="/login" { (t("login.start_again")) } }
        },
    )
}

fn pending_lang(ctx: &Ctx, p: &store::web::PendingLogin) -> Lang {
    Lang::from_code(&p.language)
        .or_else(|| Lang::from_code(ctx.settings().get("office.language")))
        .unwrap_or(Lang::En)
}

/// `GET /login/code`: the second step of a login, for a pending login only.
pub fn get_code(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let pending = match session::pending(ctx, req) {
        Ok(Some(p)) => p,
        Ok(None) => return redirect("/login"),
        Err(e) => return store_error(&e),
    };
    let (token, set) = session::pre_token(req);
    let next = req.param("next");
    let r = page(
        200,
        code_form(
            pending_lang(ctx, &pending),
            &token,
            None,
            safe_next(next.as_deref()),
            false,
        ),
    );
    if set {
        r.with_header("Set-Cookie", session::pre_cookie(&token))
    } else {
        r
    }
}

/// `POST /login/code`: a right code ends the pending login and starts a session under a new token.
pub fn post_code(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let form = req.form();
    let pending = match session::pending(ctx, req) {
        Ok(Some(p)) => p,
        Ok(None) => return redirect("/login"),
        Err(e) => return store_error(&e),
    };
    let lang = pending_lang(ctx, &pending);
    if !session::pre_ok(req, field(&form, "csrf")) {
        return pre_csrf_refused(lang);
    }
    let (token, _) = session::pre_token(req);
    let next = safe_next(field(&form, "next")).to_string();
    let recovery = text(&form, "recovery");
    let ip = crate::http::peer(req);
    if !session::may_try(ip) {
        return page(
            429,
            code_form(
                lang,
                &token,
                Some(lang.t("login.too_many")),
                &next,
                !recovery.is_empty(),
            ),
        );
    }
    let now = store::now();
    let taken = if !recovery.is_empty() {
        match users::use_recovery_code(&ctx.app.store, pending.user_id, recovery) {
            Ok(t) => t,
            Err(e) => return store_error(&e),
        }
    } else {
        match totp::verify(&pending.secret, text(&form, "code"), now, pending.used_step) {
            Some(step) => {
                let user = pending.user_id;
                match ctx
                    .app
                    .store
                    .write(move |tx| store::web::take_code_step(tx, user, step))
                {
                    Ok(t) => t,
                    Err(e) => return store_error(&e),
                }
            }
            None => false,
        }
    };
    if !taken {
        session::failed(&ctx.app.store, ip);
        return match session::wrong_code(&ctx.app.store, req) {
            Ok(true) => {
                let why = if recovery.is_empty() {
                    "login.code_wrong"
                } else {
                    "login.recovery_wrong"
                };
                page(
                    401,
                    code_form(lang, &token, Some(lang.t(why)), &next, !recovery.is_empty()),
                )
            }
            Ok(false) => page(
                401,
                super::setup::login_form(
                    lang,
                    &token,
                    Some(lang.t("login.code_dropped")),
                    &next,
                    "",
                ),
            ),
            Err(e) => store_error(&e),
        };
    }
    session::succeeded(&ctx.app.store, ip);
    if let Err(e) = session::destroy(&ctx.app.store, req) {
        return store_error(&e);
    }
    // After a recovery code, the account page says how many are left and offers new ones.
    let to = if recovery.is_empty() {
        next.as_str()
    } else {
        "/me?done=recovered"
    };
    match session::create(&ctx.app.store, pending.user_id) {
        Ok(tok) => redirect(to).with_header("Set-Cookie", session::cookie(&tok)),
        Err(e) => store_error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_shown_in_groups_of_four() {
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }

    #[test]
    fn the_qr_code_is_numbers_only_with_a_quiet_zone() {
        let svg =
            qr_svg("otpauth://totp/ringbook:anna?secret=GEZDGNBVGY3TQOJQ", "QR").into_string();
        assert!(svg.starts_with("<svg"), "{svg}");
        // Version 4 (33 modules) holds these 54 bytes at level M; 4 more on each side.
        assert!(svg.contains("viewBox=\"0 0 41 41\""), "{svg}");
        // The finder patterns' top rows: seven dark modules from the quiet zone's edge, top left
        // and top right.
        assert!(svg.contains("M4,4h7v1h-7z"), "{svg}");
        assert!(svg.contains("M30,4h7v1h-7z"), "{svg}");
        let d = svg
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(d.chars().all(|c| "Mhv,-1234567890z".contains(c)), "{d}");
    }

    #[test]
    fn only_the_account_pages_open_without_a_second_factor() {
        for p in ["/me", "/me/2fa", "/me/2fa/off", "/me/language", "/logout"] {
            assert!(open_without_2fa(p), "{p}");
        }
        for p in ["/", "/calls", "/users", "/meeting", "/settings"] {
            assert!(!open_without_2fa(p), "{p}");
        }
    }
}
