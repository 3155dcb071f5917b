//! First run (the setup wizard), login, logout and the user's language.
//!
//! The wizard has two steps. `/setup` asks for the one-time setup code from the log and creates the
//! admin; it exists only while there is no admin, and answers 404 afterwards. `/setup/office` (admin
//! only) sets the number model, the company's lines, the time zone and the language.

use maud::html;

use super::i18n::Lang;
use super::layout::{bare, csrf, layout, notice, password_meter};
use super::{field, form_of, gate, page, redirect, safe_next, session, store_error, text};
use crate::auth::{self, Role};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::{lines, settings};

/// The language of a page shown before login: the `?lang=` asked for, the office's, or the browser's.
pub(super) fn pre_lang(ctx: &Ctx, req: &Request) -> Lang {
    req.param("lang")
        .and_then(|l| Lang::from_code(&l))
        .or_else(|| Lang::from_code(ctx.settings().get("office.language")))
        .or_else(|| {
            req.header("accept-language")
                .and_then(|a| a.split([',', ';']).find_map(Lang::from_code))
        })
        .unwrap_or(Lang::En)
}

fn setup_form(lang: Lang, token: &str, err: Option<&str>, name: &str) -> maud::Markup {
    let t = |k| lang.t(k);
    bare(
        lang,
        t("setup.title"),
        html! {
            h2 { (t("setup.title")) }
            p { (t("setup.intro")) }
            @if let Some(e) = err { (notice("error", e)) }
            form method="post" action="/setup" {
                input type="hidden" name="csrf" value=(token);
                label { (t("setup.code")) input name="code" required autocomplete="off" placeholder="ABCD-EFGH-JKLM"; }
                label { (t("field.username")) input name="name" required value=(name) autocomplete="username"; }
                label { (t("field.password")) input name="password" type="password" required minlength=(crate::password::MIN_LENGTH) autocomplete="new-password" data-meter="meter-setup"; }
                (password_meter(lang, "meter-setup"))
                p.hint { (t("setup.password_hint")) }
                button type="submit" { (t("setup.create_admin")) }
            }
        },
    )
}

/// The answer to a form sent before login (setup, login, the login's code) without its pre-login
/// CSRF token: 403, and nothing is done.
pub(super) fn pre_csrf_refused(lang: Lang) -> Response {
    page(
        403,
        bare(
            lang,
            lang.t("csrf.title"),
            html! { p { (lang.t("csrf.text")) } },
        ),
    )
}

fn with_pre(r: Response, token: &str, set: bool) -> Response {
    if set {
        r.with_header("Set-Cookie", session::pre_cookie(token))
    } else {
        r
    }
}

/// `GET /setup`: the first step, only while no admin exists.
pub fn get_setup(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    match ctx.reader.admin_count() {
        Ok(0) => {}
        Ok(_) => return page(404, html! { p { "Not found" } }),
        Err(e) => return store_error(&e),
    }
    let (token, set) = session::pre_token(req);
    with_pre(
        page(200, setup_form(pre_lang(ctx, req), &token, None, "")),
        &token,
        set,
    )
}

/// `POST /setup`: checks the setup code and creates the admin, then logs them in.
pub fn post_setup(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    match ctx.reader.admin_count() {
        Ok(0) => {}
        Ok(_) => return page(404, html! { p { "Not found" } }),
        Err(e) => return store_error(&e),
    }
    let lang = pre_lang(ctx, req);
    let form = req.form();
    if !session::pre_ok(req, field(&form, "csrf")) {
        return pre_csrf_refused(lang);
    }
    let (token, _) = session::pre_token(req);
    let ip = crate::http::peer(req);
    if !session::may_try(ip) {
        return page(
            429,
            setup_form(lang, &token, Some(lang.t("login.too_many")), ""),
        );
    }
    let name = text(&form, "name");
    match auth::check_setup_code(&ctx.reader, text(&form, "code")) {
        Ok(true) => {}
        Ok(false) => {
            session::failed(&ctx.app.store, ip);
            return page(
                403,
                setup_form(lang, &token, Some(lang.t("setup.bad_code")), name),
            );
        }
        Err(e) => return store_error(&e),
    }
    let password = field(&form, "password").unwrap_or("");
    let store = ctx.app.store.clone();
    if let Err(w) = crate::password::check(password, name)
        .and_then(|()| crate::breached::check(&store, password))
    {
        let why = lang.t(super::users::weak_key(w));
        return page(400, setup_form(lang, &token, Some(why), name));
    }
    let id = match auth::add_checked_user(&store, name, password, Role::Admin) {
        Ok(id) => id,
        Err(e) => return page(400, setup_form(lang, &token, Some(&e), name)),
    };
    let code = lang.code().to_string();
    let _ = store.write(move |tx| crate::store::web::set_user_language(tx, id, &code));
    let _ = settings::set(&store, "office.language", lang.code());
    log::info!("the first admin '{name}' was created in the setup wizard");
    match session::create(&store, id) {
        Ok(tok) => redirect("/setup/office").with_header("Set-Cookie", session::cookie(&tok)),
        Err(e) => store_error(&e),
    }
}

/// `GET /setup/office`: the office step of the wizard (admin only).
pub fn get_office(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    office_page(ctx, &me, None)
}

fn office_page(ctx: &Ctx, me: &super::Me, err: Option<&str>) -> Response {
    let s = ctx.settings();
    let lines = ctx.reader.lines().unwrap_or_default();
    let body = html! {
        p { (me.t("setup.office_intro")) }
        @if let Some(e) = err { (notice("error", e)) }
        form method="post" action="/setup/office" {
            (csrf(me))
            fieldset {
                legend { (me.t("setup.number_model")) }
                div.grid {
                    label { (me.t("field.country")) input name="number.country" value=(s.get("number.country")) required maxlength="2"; }
                    label { (me.t("field.area_code")) input name="number.area_code" value=(s.get("number.area_code")) inputmode="numeric"; }
                    label { (me.t("field.outside_prefix")) input name="number.outside_prefix" value=(s.get("number.outside_prefix")) inputmode="numeric"; }
                    label { (me.t("field.extension_digits")) input name="number.extension_digits" value=(s.get("number.extension_digits")); }
                }
            }
            fieldset {
                legend { (me.t("setup.lines")) }
                @if !lines.is_empty() {
                    ul { @for l in &lines { li { (l.name) ": " (l.raw) @if l.is_main { " (" (me.t("field.main_number")) ")" } } } }
                }
                @for i in 0..3 {
                    div.grid {
                        label { (me.t("field.line_number")) input name=(format!("line{i}_number")) inputmode="tel"; }
                        label { (me.t("field.line_name")) input name=(format!("line{i}_name")); }
                        label.check { input type="checkbox" name=(format!("line{i}_main")) checked[i == 0 && lines.is_empty()]; (me.t("field.main_number")) }
                    }
                }
            }
            fieldset {
                legend { (me.t("setup.time_language")) }
                div.grid {
                    label { (me.t("field.timezone")) input name="office.timezone" value=(s.get("office.timezone")) required list="zones"; }
                    label { (me.t("field.language"))
                        select name="office.language" {
                            @for l in Lang::ALL { option value=(l.code()) selected[l.code() == s.get("office.language")] { (l.name()) } }
                        }
                    }
                }
                datalist #zones {
                    @for z in ["Europe/Berlin", "Europe/Vienna", "Europe/Zurich", "Europe/Rome", "Europe/Moscow", "America/Sao_Paulo", "Europe/London", "UTC"] {
                        option value=(z) {}
                    }
                }
            }
            button type="submit" { (me.t("action.save_continue")) }
        }
    };
    page(200, layout(me, me.t("setup.office_title"), "", body))
}

/// `POST /setup/office`: saves the number model, lines, time zone and language. Every value is
/// validated before any is written, so a typo changes nothing.
pub fn post_office(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let form = match form_of(&me, req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let keys = [
        "number.country",
        "number.area_code",
        "number.outside_prefix",
        "number.extension_digits",
        "office.timezone",
        "office.language",
    ];
    let mut checked = Vec::new();
    for k in keys {
        let spec = match settings::spec(k) {
            Ok(s) => s,
            Err(e) => return office_page(ctx, &me, Some(&e.to_string())),
        };
        match (spec.validate)(text(&form, k)) {
            Ok(v) => checked.push((k, v)),
            Err(why) => return office_page(ctx, &me, Some(&why)),
        }
    }
    let store = ctx.app.store.clone();
    let before = super::stored_number_model(ctx);
    for (k, v) in &checked {
        if let Err(e) = settings::set(&store, k, v) {
            return office_page(ctx, &me, Some(&e.to_string()));
        }
    }
    // Contacts imported before the wizard (the SD card's CSV, demo data) were read with the old
    // model; the lines below are read with the one just saved.
    let model = super::stored_number_model(ctx);
    if let Err(e) = crate::contacts::renormalize_if_changed(&store, &before, model.clone()) {
        return office_page(ctx, &me, Some(&e.to_string()));
    }
    for i in 0..3 {
        let number = text(&form, &format!("line{i}_number"));
        if number.is_empty() {
            continue;
        }
        let name = text(&form, &format!("line{i}_name"));
        let main = field(&form, &format!("line{i}_main")).is_some();
        if let Err(e) = lines::add(&store, &model, number, name, main) {
            return office_page(ctx, &me, Some(&e));
        }
    }
    redirect("/")
}

pub(super) fn login_form(
    lang: Lang,
    token: &str,
    err: Option<&str>,
    next: &str,
    name: &str,
) -> maud::Markup {
    let t = |k| lang.t(k);
    bare(
        lang,
        t("login.title"),
        html! {
            h2 { (t("login.title")) }
            @if let Some(e) = err { (notice("error", e)) }
            form method="post" action="/login" {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="next" value=(next);
                label { (t("field.username")) input name="name" required autofocus value=(name) autocomplete="username"; }
                label { (t("field.password")) input name="password" type="password" required autocomplete="current-password"; }
                button type="submit" { (t("login.submit")) }
            }
        },
    )
}

/// `GET /login`.
pub fn get_login(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    if matches!(ctx.reader.admin_count(), Ok(0)) {
        return redirect("/setup");
    }
    let (token, set) = session::pre_token(req);
    let next = req.param("next");
    let lang = pre_lang(ctx, req);
    with_pre(
        page(
            200,
            login_form(lang, &token, None, safe_next(next.as_deref()), ""),
        ),
        &token,
        set,
    )
}

/// `POST /login`: rate-limited per client address. A user with a second factor is sent on to
/// `/login/code` (web/account.rs).
pub fn post_login(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let lang = pre_lang(ctx, req);
    let form = req.form();
    if !session::pre_ok(req, field(&form, "csrf")) {
        return pre_csrf_refused(lang);
    }
    let (token, _) = session::pre_token(req);
    let next = safe_next(field(&form, "next")).to_string();
    let name = text(&form, "name");
    let ip = crate::http::peer(req);
    if !session::may_try(ip) {
        return page(
            429,
            login_form(lang, &token, Some(lang.t("login.too_many")), &next, name),
        );
    }
    let user = match ctx.reader.user_by_name(name) {
        Ok(u) => u,
        Err(e) => return store_error(&e),
    };
    let password = field(&form, "password").unwrap_or("");
    let known = auth::verify_login(password, user.as_ref().map(|u| u.password_hash.as_str()));
    let Some(user) = user.filter(|_| known) else {
        session::failed(&ctx.app.store, ip);
        return page(
            401,
            login_form(lang, &token, Some(lang.t("login.failed")), &next, name),
        );
    };
    if user.has_2fa {
        // The address's failures are kept until the code is right too (see web/account.rs).
        return match session::create_pending(&ctx.app.store, user.id) {
            Ok(tok) => redirect(&format!(
                "/login/code?next={}",
                crate::provision::url_encode(&next)
            ))
            .with_header("Set-Cookie", session::cookie(&tok)),
            Err(e) => store_error(&e),
        };
    }
    session::succeeded(&ctx.app.store, ip);
    match session::create(&ctx.app.store, user.id) {
        Ok(tok) => redirect(&next).with_header("Set-Cookie", session::cookie(&tok)),
        Err(e) => store_error(&e),
    }
}

/// `POST /logout`.
pub fn post_logout(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Err(r) = form_of(&me, req) {
        return r;
    }
    if let Err(e) = session::destroy(&ctx.app.store, req) {
        return store_error(&e);
    }
    redirect("/login").with_header("Set-Cookie", session::clear_cookie())
}

/// `POST /me/language`: the user's own language.
pub fn post_language(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let form = match form_of(&me, req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(lang) = Lang::from_code(text(&form, "language")) else {
        return redirect("/");
    };
    let (id, code) = (me.s.user_id, lang.code().to_string());
    if let Err(e) = ctx
        .app
        .store
        .write(move |tx| crate::store::web::set_user_language(tx, id, &code))
    {
        return store_error(&e);
    }
    let back = req
        .header("referer")
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
        .unwrap_or_else(|| "/".into());
    redirect(safe_next(Some(&back)))
}
