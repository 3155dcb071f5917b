//! Operators: employees with their numbers and extensions, each extension's assignment history, the
//! office's lines, and the users who log in (with the employee each one is, for "my calls").

use maud::html;

use super::layout::{csrf, layout};
use super::{form_of, gate, page, redirect, store_error, text};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};

/// `GET /operators` (admin).
pub fn list(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
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
        h2 { (me.t("ops.users")) }
        div.scroll { table {
            thead { tr { th { (me.t("field.username")) } th { (me.t("ops.role")) } th { (me.t("ops.is_employee")) } } }
            tbody { @for u in &users { tr {
                td { (u.name) } td { (u.role) }
                td { form.inline method="post" action="/operators/link" {
                    (csrf(&me)) input type="hidden" name="user" value=(u.id);
                    select name="employee" aria-label=(me.t("ops.is_employee")) {
                        option value="" { "–" }
                        @for e in &employees { option value=(e.id) selected[Some(e.id) == u.employee_id] { (e.name) } }
                    }
                    button.small.secondary type="submit" { (me.t("action.save")) }
                } }
            } } }
        } }
        p.hint { (me.t("ops.cli_hint")) }
    };
    page(200, layout(&me, me.t("nav.operators"), "operators", body))
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
