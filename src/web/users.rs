//! The Users page (admin only): everyone who logs in, with their role, the employee they are (for
//! "own calls" and notifications) and whether they are active; add a user, disable or enable one, set
//! a new password, remove a second factor. The rules (last admin, password length) are `users.rs`'s.

use maud::html;

use super::i18n::Lang;
use super::layout::{csrf, dash, layout, notice, password_meter};
use super::{field, form_of, gate, page, redirect, session, store_error, text, Me};
use crate::auth::Role;
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::password::{Pattern, Strength, Weak, MIN_LENGTH};
use crate::users::{self, UserError};

/// The translation key for a refusal.
fn error_key(e: &UserError) -> &'static str {
    match e {
        UserError::BadName => "users.invalid_name",
        UserError::NameTaken => "users.name_taken",
        UserError::Invalid(_) => "users.invalid_name",
        UserError::WeakPassword(w) => weak_key(*w),
        UserError::NoSuchUser => "users.no_such",
        UserError::NoSuchEmployee => "users.no_employee",
        UserError::LastAdmin => "users.last_admin",
        UserError::Yourself => "users.yourself",
        UserError::WrongCode => "account.wrong_code",
        UserError::Store(_) => "users.store",
    }
}

/// The translation key that says why a password can't be set.
pub fn weak_key(w: Weak) -> &'static str {
    match w {
        Weak::TooShort => "users.password_short",
        Weak::TooLong => "users.password_long",
        Weak::Guessable(_) => "users.password_guessable",
        Weak::Breached => "users.password_breached",
    }
}

/// `POST /password-check` (`password`, `user`, `csrf`): how strong a password being typed is, as
/// JSON for the meter app.js shows beside each field that sets one (ASVS 2.1.8):
/// `{"ok", "level", "message"}`, level 0 for a password that would be refused and 1–3 for
/// [`Strength`]. The grade is `password::strength`, the same rule the form's submit applies on the
/// box, so the meter never passes what that refuses. The breach check (`breached`) runs on submit
/// only: asking the service on every keystroke would send a hash prefix of each half-typed password.
///
/// Open to a logged-in user with their CSRF token, and to the setup wizard's pre-login token while
/// no admin exists; nothing else can use it to test passwords. Nothing is stored or logged.
pub fn check_password(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let form = req.form();
    let lang = match ctx.reader.admin_count() {
        Ok(0) if session::pre_ok(req, field(&form, "csrf")) => super::setup::pre_lang(ctx, req),
        Ok(0) => return meter_refused(403, super::setup::pre_lang(ctx, req)),
        Ok(_) => match gate(ctx, req, false) {
            Ok(me) if me.csrf_ok(&form) => me.lang,
            Ok(me) => return meter_refused(403, me.lang),
            Err(_) => return meter_refused(401, super::setup::pre_lang(ctx, req)),
        },
        Err(e) => return store_error(&e),
    };
    let password = field(&form, "password").unwrap_or("");
    let (level, key) = match crate::password::strength(password, text(&form, "user")) {
        Err(w) => (0, meter_key(w)),
        Ok(Strength::Fair) => (1, "password.fair"),
        Ok(Strength::Good) => (2, "password.good"),
        Ok(Strength::Strong) => (3, "password.strong"),
    };
    super::secure(Response::json(
        200,
        &serde_json::json!({ "ok": level > 0, "level": level, "message": lang.t(key) }),
    ))
}

/// The meter's short word on a password that would be refused: it sits under the field as the user
/// types, so it names the one thing to change; the form's refusal says the rest.
fn meter_key(w: Weak) -> &'static str {
    match w {
        Weak::TooShort => "password.too_short",
        Weak::TooLong => "password.too_long",
        Weak::Guessable(Pattern::CommonWord) => "password.word",
        Weak::Guessable(Pattern::UserName) => "password.name",
        Weak::Guessable(Pattern::Run) => "password.run",
        Weak::Guessable(Pattern::Repeat) => "password.repeat",
        // The meter only grades what `password::strength` sees; the breach check runs on submit.
        Weak::Breached => "users.password_breached",
    }
}

/// The meter's answer to a request without a session or the form's token: it shows nothing, and
/// the message says to reload, as a refused form does.
fn meter_refused(status: u16, lang: Lang) -> Response {
    super::secure(Response::json(
        status,
        &serde_json::json!({ "ok": false, "level": 0, "message": lang.t("csrf.text") }),
    ))
}

fn status_of(e: &UserError) -> u16 {
    match e {
        UserError::NoSuchUser => 404,
        UserError::LastAdmin | UserError::Yourself | UserError::NameTaken => 409,
        UserError::Store(_) => 503,
        _ => 400,
    }
}

/// `GET /users`. `?done=` names what just succeeded (after the redirect of a POST).
pub fn list(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let done = match req.param("done").as_deref() {
        Some("created") => Some("users.created"),
        Some("saved") => Some("settings.saved"),
        Some("password") => Some("users.password_set"),
        Some("2fa_off") => Some("users.2fa_removed"),
        _ => None,
    };
    users_page(ctx, &me, 200, done.map(|k| ("ok", me.t(k))))
}

fn users_page(ctx: &Ctx, me: &Me, status: u16, msg: Option<(&str, &str)>) -> Response {
    let (list, employees) = match (ctx.reader.users_all(), ctx.reader.employees()) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return store_error(&e),
    };
    let role_name = |r: &str| {
        if r == "admin" {
            me.t("users.role_admin")
        } else {
            me.t("users.role_staff")
        }
    };
    let body = html! {
        @if let Some((kind, text)) = msg { (notice(kind, text)) }
        div.scroll { table #users {
            thead { tr {
                th { (me.t("field.username")) } th { (me.t("ops.role")) } th { (me.t("users.employee")) }
                th { (me.t("users.status")) } th { (me.t("users.2fa")) } th { (me.t("users.actions")) }
            } }
            tbody { @for u in &list { tr data-user=(u.name) {
                td { (u.name) }
                td { (role_name(&u.role)) }
                td { @match employees.iter().find(|e| Some(e.id) == u.employee_id) {
                    Some(e) => { (e.name) }, None => { (dash()) } } }
                td { @if u.disabled_at.is_some() { span.badge { (me.t("users.disabled")) } }
                     @else { span.badge.answered { (me.t("users.active")) } } }
                td.twofa { @if u.has_2fa { span.badge.answered { (me.t("users.2fa_on")) } }
                     @else { span.badge { (me.t("users.2fa_off")) } } }
                td { div.actions {
                    @if u.has_2fa && u.id != me.s.user_id {
                        form.inline method="post" action=(format!("/users/{}/2fa/off", u.id)) {
                            (csrf(me))
                            button.small.danger type="submit" data-confirm=(me.t("users.2fa_remove_confirm")) { (me.t("users.2fa_remove")) }
                        }
                    }
                    @if u.disabled_at.is_some() {
                        form.inline method="post" action=(format!("/users/{}/enable", u.id)) {
                            (csrf(me)) button.small.secondary type="submit" { (me.t("users.enable")) }
                        }
                    } @else if u.id != me.s.user_id {
                        form.inline method="post" action=(format!("/users/{}/disable", u.id)) {
                            (csrf(me))
                            button.small.danger type="submit" data-confirm=(me.t("users.disable_confirm")) { (me.t("users.disable")) }
                        }
                    }
                    form.inline method="post" action=(format!("/users/{}/password", u.id)) {
                        (csrf(me))
                        input type="password" name="password" autocomplete="new-password" minlength=(MIN_LENGTH) required
                            aria-label=(me.t("users.new_password")) placeholder=(me.t("users.new_password"))
                            data-meter=(format!("meter-u{}", u.id)) data-meter-user=(u.name);
                        " " button.small.secondary type="submit" { (me.t("users.reset")) }
                        " " (password_meter(me.lang, &format!("meter-u{}", u.id)))
                    }
                } }
            } } }
        } }
        h2 { (me.t("users.create")) }
        form.filters method="post" action="/users" {
            (csrf(me))
            label { (me.t("field.username")) input name="name" required maxlength="64" autocomplete="off"; }
            label { (me.t("field.password")) input type="password" name="password" required minlength=(MIN_LENGTH) autocomplete="new-password" data-meter="meter-new"; }
            label { (me.t("ops.role")) select name="role" {
                option value="staff" { (me.t("users.role_staff")) }
                option value="admin" { (me.t("users.role_admin")) }
            } }
            label { (me.t("users.employee")) select name="employee" {
                option value="" { (dash()) }
                @for e in &employees { option value=(e.id) { (e.name) } }
            } }
            button type="submit" { (me.t("users.create")) }
        }
        (password_meter(me.lang, "meter-new"))
        p.hint { (me.t("setup.password_hint")) }
    };
    page(status, layout(me, me.t("users.title"), "users", body))
}

/// `POST /users`: add a user.
pub fn create(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let form = match form_of(&me, req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Ok(role) = text(&form, "role").parse::<Role>() else {
        return users_page(ctx, &me, 400, Some(("error", me.t("users.bad_role"))));
    };
    let employee = match text(&form, "employee") {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(i) => Some(i),
            Err(_) => return users_page(ctx, &me, 400, Some(("error", me.t("users.no_employee")))),
        },
    };
    let password = field(&form, "password").unwrap_or("");
    match users::create(
        &ctx.app.store,
        &ctx.reader,
        text(&form, "name"),
        password,
        role,
        employee,
    ) {
        Ok(_) => redirect("/users?done=created"),
        Err(e) => fail(ctx, &me, &e),
    }
}

fn fail(ctx: &Ctx, me: &Me, e: &UserError) -> Response {
    if let UserError::Store(s) = e {
        return store_error(s);
    }
    users_page(ctx, me, status_of(e), Some(("error", me.t(error_key(e)))))
}

fn user_id(p: &Params) -> Option<i64> {
    p.get("id").and_then(|s| s.parse().ok()).filter(|i| *i > 0)
}

fn set_disabled(ctx: &mut Ctx, req: &Request, p: &Params, disabled: bool) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Err(r) = form_of(&me, req) {
        return r;
    }
    let Some(id) = user_id(p) else {
        return fail(ctx, &me, &UserError::NoSuchUser);
    };
    match users::set_disabled(&ctx.app.store, me.s.user_id, id, disabled) {
        Ok(()) => redirect("/users?done=saved"),
        Err(e) => fail(ctx, &me, &e),
    }
}

/// `POST /users/{id}/disable`: never the last admin, never oneself; their sessions end.
pub fn disable(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    set_disabled(ctx, req, p, true)
}

/// `POST /users/{id}/enable`.
pub fn enable(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    set_disabled(ctx, req, p, false)
}

/// `POST /users/{id}/password`: set a new password.
pub fn password(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let form = match form_of(&me, req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(id) = user_id(p) else {
        return fail(ctx, &me, &UserError::NoSuchUser);
    };
    let password = field(&form, "password").unwrap_or("");
    match users::reset_password(&ctx.app.store, me.s.user_id, id, password) {
        Ok(()) => redirect("/users?done=password"),
        Err(e) => fail(ctx, &me, &e),
    }
}

/// `POST /users/{id}/2fa/off`: remove someone's second factor (a lost or replaced phone); they log in
/// with the password alone until they set up a new one.
pub fn remove_second_factor(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Err(r) = form_of(&me, req) {
        return r;
    }
    let Some(id) = user_id(p) else {
        return fail(ctx, &me, &UserError::NoSuchUser);
    };
    if id == me.s.user_id {
        // One's own factor goes off on the account page, with the password and a code.
        return redirect("/me");
    }
    match users::remove_second_factor(&ctx.app.store, id) {
        Ok(()) => redirect("/users?done=2fa_off"),
        Err(e) => fail(ctx, &me, &e),
    }
}
