//! Operators: employees with their numbers and extensions, each extension's assignment history, the
//! office's lines, the desk phone on each extension (for click-to-call, see `dial.rs`), and the users
//! who log in (with the employee each one is, for "my calls"; managed on the Users page).
//!
//! A desk phone's password is stored so ringbook can send it to the phone, and never shown back: the
//! form says only whether one is set, and an empty password field keeps it.

use maud::html;

use super::layout::{csrf, layout, notice};
use super::{field, form_of, gate, page, redirect, store_error, text, Me};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};

/// `GET /operators` (admin).
pub fn list(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let msg = (req.param("done").as_deref() == Some("phone")).then(|| ("ok", me.t("desk.saved")));
    operators_page(ctx, &me, 200, msg)
}

fn operators_page(ctx: &Ctx, me: &Me, status: u16, msg: Option<(&str, &str)>) -> Response {
    let phones = match ctx.reader.desk_phones() {
        Ok(p) => p,
        Err(e) => return store_error(&e),
    };
    let (employees, extensions, lines, users) = match (
        ctx.reader.employees(),
        ctx.reader.extensions(),
        ctx.reader.lines(),
        ctx.reader.users(),
    ) {
        (Ok(a), Ok(b), Ok(c), Ok(d)) => (a, b, c, d),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
            return store_error(&e)
        }
    };
    let body = html! {
        @if let Some((kind, text)) = msg { (notice(kind, text)) }
        h2 { (me.t("ops.employees")) }
        @if employees.is_empty() { p.muted { (me.t("ops.none")) } } @else {
            div.scroll { table {
                thead { tr { th { (me.t("field.name")) } th { (me.t("field.email")) } th { (me.t("ops.extensions")) } th { (me.t("field.numbers")) } } }
                tbody { @for e in &employees { tr {
                    td { a href=(format!("/calls?employee={}", e.id)) { (e.name) } }
                    td { (e.email) }
                    td { (e.extensions.join(", ")) }
                    td { @for (i, n) in e.numbers.iter().enumerate() { @if i > 0 { ", " } (n.raw) } }
                } } }
            } }
        }
        h2 { (me.t("ops.history")) }
        @if extensions.is_empty() { p.muted { (me.t("ops.none")) } } @else {
            div.scroll { table {
                thead { tr { th { (me.t("filter.extension")) } th { (me.t("col.employee")) } th { (me.t("ops.from")) } th { (me.t("ops.until")) } } }
                tbody { @for x in &extensions { @for a in &x.history { tr {
                    td { (x.number) } td { (a.employee_name) } td { (me.time(a.from)) }
                    td { @match a.until { Some(u) => { (me.time(u)) }, None => { (me.t("ops.now")) } } }
                } } } }
            } }
        }
        h2 { (me.t("setup.lines")) }
        @if lines.is_empty() { p.muted { (me.t("ops.none")) } } @else {
            ul { @for l in &lines { li { (l.name) ": " (l.raw) " (" (l.e164) ")" @if l.is_main { " · " (me.t("field.main_number")) } } } }
        }
        p { a href="/setup/office" { (me.t("ops.add_lines")) } }
        h2 #desk-phones { (me.t("desk.title")) }
        p.hint { (me.t("desk.intro")) }
        @if extensions.is_empty() { p.muted { (me.t("ops.none")) } } @else {
            div.scroll { table.desk-phones {
                thead { tr {
                    th { (me.t("filter.extension")) } th { (me.t("desk.kind")) } th { (me.t("desk.address")) }
                    th { (me.t("desk.user")) } th { (me.t("desk.password")) } th {}
                } }
                tbody { @for x in &extensions {
                    @let p = phones.iter().find(|p| p.extension == x.number);
                    @let form_id = format!("phone-{}", x.number);
                    tr data-extension=(x.number) {
                        td { (x.number) }
                        td { select name="kind" form=(form_id) aria-label=(me.t("desk.kind")) {
                            option value="" { (me.t("desk.none")) }
                            option value="snom" selected[p.is_some_and(|p| p.kind == "snom")] { "Snom" }
                            option value="yealink" selected[p.is_some_and(|p| p.kind == "yealink")] { "Yealink" }
                        } }
                        td { input name="address" form=(form_id) value=(p.map(|p| p.address.as_str()).unwrap_or(""))
                            aria-label=(me.t("desk.address")) placeholder="192.168.1.50"; }
                        td { input name="username" form=(form_id) value=(p.map(|p| p.username.as_str()).unwrap_or(""))
                            aria-label=(me.t("desk.user")) autocomplete="off"; }
                        td {
                            input type="password" name="password" form=(form_id) autocomplete="new-password" aria-label=(me.t("desk.password"))
                                placeholder=(if p.is_some_and(|p| p.has_password) { me.t("desk.password_set") } else { "" });
                            @if p.is_some_and(|p| p.has_password) {
                                label.hint { input type="checkbox" name="forget_password" value="1" form=(form_id); " " (me.t("desk.forget_password")) }
                            }
                        }
                        td { form.inline id=(form_id) method="post" action="/operators/phone" {
                            (csrf(me)) input type="hidden" name="extension" value=(x.number);
                            button.small.secondary type="submit" { (me.t("action.save")) }
                        } }
                    }
                } }
            } }
        }
        h2 { (me.t("ops.users")) }
        div.scroll { table {
            thead { tr { th { (me.t("field.username")) } th { (me.t("ops.role")) } th { (me.t("ops.is_employee")) } } }
            tbody { @for u in &users { tr {
                td { (u.name) } td { (u.role) }
                td { form.inline method="post" action="/operators/link" {
                    (csrf(me)) input type="hidden" name="user" value=(u.id);
                    select name="employee" aria-label=(me.t("ops.is_employee")) {
                        option value="" { "–" }
                        @for e in &employees { option value=(e.id) selected[Some(e.id) == u.employee_id] { (e.name) } }
                    }
                    button.small.secondary type="submit" { (me.t("action.save")) }
                } }
            } } }
        } }
        p { a.button.secondary href="/users" { (me.t("users.manage")) } }
        p.hint { (me.t("ops.cli_hint")) }
    };
    page(status, layout(me, me.t("nav.operators"), "operators", body))
}

/// `POST /operators/phone`: the desk phone on one extension. No kind removes it; an empty password
/// keeps the stored one unless `forget_password` is ticked.
pub fn phone(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let form = match form_of(&me, req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let extension = text(&form, "extension").to_string();
    let known = match ctx.reader.extensions() {
        Ok(xs) => xs.iter().any(|x| x.number == extension),
        Err(e) => return store_error(&e),
    };
    if !known {
        return operators_page(
            ctx,
            &me,
            404,
            Some(("error", me.t("desk.unknown_extension"))),
        );
    }
    let kind = text(&form, "kind");
    let result = if kind.is_empty() {
        ctx.app
            .store
            .write(move |tx| crate::store::desk_phones::remove(tx, &extension))
    } else {
        let Some(kind) = crate::dial::Kind::parse(kind) else {
            return operators_page(ctx, &me, 400, Some(("error", me.t("desk.bad_kind"))));
        };
        let address = match crate::dial::validate_address(text(&form, "address")) {
            Ok(a) => a,
            Err(_) => {
                return operators_page(ctx, &me, 400, Some(("error", me.t("desk.bad_address"))))
            }
        };
        let username = text(&form, "username").to_string();
        let typed = field(&form, "password").unwrap_or("").to_string();
        if username.chars().count() > 64
            || typed.chars().count() > 128
            || username.chars().chain(typed.chars()).any(char::is_control)
        {
            return operators_page(ctx, &me, 400, Some(("error", me.t("desk.bad_credentials"))));
        }
        let password = if text(&form, "forget_password") == "1" {
            Some(String::new())
        } else if typed.is_empty() {
            None
        } else {
            Some(typed)
        };
        ctx.app.store.write(move |tx| {
            crate::store::desk_phones::put(
                tx,
                &extension,
                kind.as_str(),
                &address,
                &username,
                password.as_deref(),
            )
        })
    };
    match result {
        Ok(()) => redirect("/operators?done=phone#desk-phones"),
        Err(e) => store_error(&e),
    }
}

/// `POST /operators/link`: which employee a user is (for their notifications and own calls).
pub fn link(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let form = match form_of(&me, req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Ok(user) = text(&form, "user").parse::<i64>() else {
        return redirect("/operators");
    };
    let employee = text(&form, "employee").parse::<i64>().ok();
    match ctx
        .app
        .store
        .write(move |tx| crate::store::web::set_user_employee(tx, user, employee))
    {
        Ok(()) => redirect("/operators"),
        Err(e) => store_error(&e),
    }
}
