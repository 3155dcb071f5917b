//! Contacts: list and search, detail with call history, create/edit/delete with typed numbers, and
//! CSV/vCard export and import (through `import.rs` and `export.rs`).

use maud::{html, Markup};

use super::layout::{csrf, layout, notice};
use super::{download, field, form_of, gate, page, redirect, store_error, text, Me};
use crate::contacts::{self, Contact, ContactId, NewContact, NewPhone, PhoneKind};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::journal::view;

const PAGE: usize = 50;

fn kind_key(k: PhoneKind) -> &'static str {
    match k {
        PhoneKind::Office => "phone.office",
        PhoneKind::Mobile => "phone.mobile",
        PhoneKind::Home => "phone.home",
        PhoneKind::Fax => "phone.fax",
        PhoneKind::Other => "phone.other",
    }
}

/// `GET /contacts`: search by name, company or number digits.
pub fn list(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let q = req.param("q").unwrap_or_default();
    let after: i64 = req.param("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let offset: usize = req
        .param("offset")
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let found = if q.trim().is_empty() {
        ctx.reader.contacts_after(ContactId(after), PAGE)
    } else {
        ctx.reader.search_contacts(&q, PAGE, offset)
    };
    let found = match found {
        Ok(f) => f,
        Err(e) => return store_error(&e),
    };
    let next = (found.len() == PAGE).then(|| {
        if q.trim().is_empty() {
            format!(
                "/contacts?after={}",
                found.last().map(|c| c.id.0).unwrap_or(0)
            )
        } else {
            format!(
                "/contacts?q={}&offset={}",
                crate::provision::url_encode(&q),
                offset + PAGE
            )
        }
    });
    let body = html! {
        form.filters method="get" action="/contacts" {
            label { (me.t("contact.search")) input type="search" name="q" value=(q) autofocus; }
            button type="submit" { (me.t("action.search")) }
            a.button href="/contacts/new" { (me.t("contact.new")) }
            a.button.secondary href="/contacts/export.csv" { (me.t("action.export_csv")) }
            a.button.secondary href="/contacts/export.vcf" { (me.t("contact.export_vcard")) }
            a.button.secondary href="/contacts/import" { (me.t("contact.import")) }
        }
        @if found.is_empty() { p.muted { (me.t("contact.none")) } } @else {
            div.scroll { table {
                thead { tr { th { (me.t("field.name")) } th { (me.t("field.company")) } th { (me.t("field.numbers")) } } }
                tbody { @for c in &found { tr {
                    td {
                        a.contact-name href=(format!("/contacts/{}", c.id.0)) { (c.display_name()) }
                        @if let Some(k) = mirror_mark(&c.source) { " " small.muted.mirror { (me.t(k)) } }
                    }
                    td { (c.company) }
                    td { @for (i, p) in c.phones.iter().enumerate() { @if i > 0 { ", " } (p.number) } }
                } } }
            } }
        }
        @if let Some(n) = next { p { a.button.secondary href=(n) { (me.t("action.more")) } } }
    };
    page(200, layout(&me, me.t("nav.contacts"), "contacts", body))
}

/// The "from Propstack" mark of a mirrored contact (see `sync::mirror`), or `None` for a local one.
fn mirror_mark(source: &str) -> Option<&'static str> {
    match source {
        crate::store::outbox::PROPSTACK => Some("contact.from_propstack"),
        crate::store::outbox::CRMSENIOR => Some("contact.from_crmsenior"),
        crate::sync::mirror::ADDRESSBOOK => Some("contact.from_addressbook"),
        _ => None,
    }
}

/// The answer to an edit or delete of a mirrored contact: its CRM is the system of record, and the
/// next sync would undo a local change.
fn read_only(me: &Me, c: &Contact) -> Response {
    page(
        409,
        super::layout::message(me, &c.display_name(), me.t("contact.read_only")),
    )
}

/// The contact `id` when it may be changed here; otherwise the page that says why not.
fn editable(ctx: &Ctx, me: &Me, id: ContactId) -> Result<Contact, Response> {
    match ctx.reader.contact(id) {
        Ok(Some(c)) if crate::sync::mirror::is_mirrored(&c.source) => Err(read_only(me, &c)),
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(not_found(me)),
        Err(e) => Err(store_error(&e)),
    }
}

fn parse_id(p: &Params) -> Option<ContactId> {
    p.get("id")
        .and_then(|s| s.parse().ok())
        .filter(|i| *i > 0)
        .map(ContactId)
}

fn not_found(me: &Me) -> Response {
    page(
        404,
        super::layout::message(me, me.t("contact.not_found"), me.t("contact.not_found")),
    )
}

/// `GET /contacts/{id}`: the card and the contact's calls.
pub fn detail(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let Some(id) = parse_id(p) else {
        return not_found(&me);
    };
    let c = match ctx.reader.contact(id) {
        Ok(Some(c)) => c,
        Ok(None) => return not_found(&me),
        Err(e) => return store_error(&e),
    };
    // The same rule as the call log: staff who see only their own calls see only those here too.
    let mut f = view::CallFilter {
        contact_ids: Some(vec![id.0]),
        limit: 50,
        ..view::CallFilter::default()
    };
    super::calls::restrict(ctx, &me, &mut f);
    let calls = match view::list(&ctx.reader, &f) {
        Ok(p) => p.calls,
        Err(e) => return store_error(&e),
    };
    let responsible = c.responsible_id.and_then(|r| {
        ctx.reader
            .employees()
            .ok()?
            .into_iter()
            .find(|e| e.id == r)
            .map(|e| e.name)
    });
    let body = html! {
        section.panel {
            h2.contact-name { (c.display_name()) }
            @if let Some(k) = mirror_mark(&c.source) { p.muted.mirror { (me.t(k)) } }
            @if !c.company.is_empty() { p { (c.company) } }
            ul.plain { @for ph in &c.phones { li { (ph.number) " " small.muted { (me.t(kind_key(ph.kind))) }
                @if crate::web::dial::dialable(ctx, &ph.number) { " " (crate::web::dial::button(&me, &ph.number, &format!("/contacts/{}", c.id.0))) } } } }
            @if !c.email.is_empty() { p { (c.email) } }
            @if let Some(r) = responsible { p { (me.t("field.responsible")) ": " (r) } }
            @if !c.notes.is_empty() { p.pre { (c.notes) } }
            @if mirror_mark(&c.source).is_none() { p {
                a.button.secondary href=(format!("/contacts/{}/edit", c.id.0)) { (me.t("contact.edit")) }
                " "
                form.inline method="post" action=(format!("/contacts/{}/delete", c.id.0)) {
                    (csrf(&me))
                    button.danger type="submit" data-confirm=(me.t("contact.delete_confirm")) { (me.t("contact.delete")) }
                }
            } }
        }
        h2 { (me.t("contact.history")) }
        @if calls.is_empty() { p.muted { (me.t("calls.none")) } } @else {
            div.scroll { table.calls { tbody { @for call in &calls { (super::calls::call_row(&me, call, false)) } } } }
        }
    };
    page(200, layout(&me, &c.display_name(), "contacts", body))
}

fn contact_form(
    ctx: &Ctx,
    me: &Me,
    action: &str,
    c: &NewContact,
    from_call: Option<i64>,
    err: Option<&str>,
) -> Markup {
    let employees = ctx.reader.employees().unwrap_or_default();
    let mut phones = c.phones.clone();
    while phones.len() < c.phones.len().max(1) + 2 {
        phones.push(NewPhone {
            kind: PhoneKind::Office,
            raw: String::new(),
        });
    }
    html! {
        @if let Some(e) = err { (notice("error", e)) }
        form.contact method="post" action=(action) {
            (csrf(me))
            @if let Some(fc) = from_call { input type="hidden" name="from_call" value=(fc); }
            div.grid {
                label { (me.t("field.first_name")) input name="first_name" value=(c.first_name); }
                label { (me.t("field.last_name")) input name="last_name" value=(c.last_name); }
                label { (me.t("field.company")) input name="company" value=(c.company); }
                label { (me.t("field.email")) input type="email" name="email" value=(c.email); }
            }
            fieldset {
                legend { (me.t("field.numbers")) }
                @for p in &phones {
                    div.grid.phone {
                        label { (me.t("field.type")) select name="phone_kind" {
                            @for k in PhoneKind::ALL { option value=(k.as_str()) selected[k == p.kind] { (me.t(kind_key(k))) } }
                        } }
                        label { (me.t("field.number")) input name="phone_number" value=(p.raw) inputmode="tel"; }
                    }
                }
            }
            label { (me.t("field.responsible")) select name="responsible" {
                option value="" { "–" }
                @for e in &employees { option value=(e.id) selected[Some(e.id) == c.responsible_id] { (e.name) } }
            } }
            label { (me.t("field.notes")) textarea name="notes" rows="3" { (c.notes) } }
            button type="submit" { (me.t("action.save")) }
        }
    }
}

fn from_form(form: &[(String, String)]) -> NewContact {
    let kinds: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "phone_kind")
        .map(|(_, v)| v.as_str())
        .collect();
    let nums: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "phone_number")
        .map(|(_, v)| v.as_str())
        .collect();
    let phones = nums
        .iter()
        .enumerate()
        .filter(|(_, n)| !n.trim().is_empty())
        .map(|(i, n)| NewPhone {
            kind: kinds
                .get(i)
                .and_then(|k| PhoneKind::parse(k))
                .unwrap_or(PhoneKind::Office),
            raw: n.trim().to_string(),
        })
        .collect();
    NewContact {
        first_name: text(form, "first_name").to_string(),
        last_name: text(form, "last_name").to_string(),
        company: text(form, "company").to_string(),
        email: text(form, "email").to_string(),
        notes: field(form, "notes").unwrap_or("").trim().to_string(),
        responsible_id: text(form, "responsible").parse().ok(),
        source: "local".into(),
        upstream_id: None,
        phones,
    }
}

fn to_new(c: &Contact) -> NewContact {
    NewContact {
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
        company: c.company.clone(),
        email: c.email.clone(),
        notes: c.notes.clone(),
        responsible_id: c.responsible_id,
        source: c.source.clone(),
        upstream_id: c.upstream_id.clone(),
        phones: c
            .phones
            .iter()
            .map(|p| NewPhone {
                kind: p.kind,
                raw: p.number.clone(),
            })
            .collect(),
    }
}

/// `GET /contacts/new`, prefilled from `?number=&responsible=&from_call=` (create from a call).
pub fn new(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut c = NewContact::default();
    if let Some(n) = req.param("number").filter(|n| !n.trim().is_empty()) {
        c.phones.push(NewPhone {
            kind: PhoneKind::Office,
            raw: n,
        });
    }
    c.responsible_id = req.param("responsible").and_then(|r| r.parse().ok());
    let from_call = req.param("from_call").and_then(|r| r.parse().ok());
    let body = contact_form(ctx, &me, "/contacts/new", &c, from_call, None);
    page(200, layout(&me, me.t("contact.new"), "contacts", body))
}

/// `POST /contacts/new`. Back to the call when created from one.
pub fn create(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let form = match form_of(&me, req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let c = from_form(&form);
    let from_call: Option<i64> = text(&form, "from_call").parse().ok();
    match contacts::create(&ctx.app.store, ctx.model(), c.clone()) {
        Ok(id) => match from_call {
            Some(call) => redirect(&format!("/calls/{call}")),
            None => redirect(&format!("/contacts/{}", id.0)),
        },
        Err(e) => {
            let body = contact_form(
                ctx,
                &me,
                "/contacts/new",
                &c,
                from_call,
                Some(&e.to_string()),
            );
            page(400, layout(&me, me.t("contact.new"), "contacts", body))
        }
    }
}

/// `GET /contacts/{id}/edit`.
pub fn edit(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let Some(id) = parse_id(p) else {
        return not_found(&me);
    };
    let c = match editable(ctx, &me, id) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let body = contact_form(
        ctx,
        &me,
        &format!("/contacts/{}/edit", id.0),
        &to_new(&c),
        None,
        None,
    );
    page(200, layout(&me, &c.display_name(), "contacts", body))
}

/// `POST /contacts/{id}/edit`.
pub fn update(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let form = match form_of(&me, req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(id) = parse_id(p) else {
        return not_found(&me);
    };
    let old = match editable(ctx, &me, id) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut c = from_form(&form);
    c.source = old.source;
    c.upstream_id = old.upstream_id;
    match contacts::update(&ctx.app.store, ctx.model(), id, c.clone()) {
        Ok(()) => redirect(&format!("/contacts/{}", id.0)),
        Err(e) => {
            let body = contact_form(
                ctx,
                &me,
                &format!("/contacts/{}/edit", id.0),
                &c,
                None,
                Some(&e.to_string()),
            );
            page(400, layout(&me, me.t("contact.edit"), "contacts", body))
        }
    }
}

/// `POST /contacts/{id}/delete`.
pub fn delete(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Err(r) = form_of(&me, req) {
        return r;
    }
    let Some(id) = parse_id(p) else {
        return not_found(&me);
    };
    if let Err(r) = editable(ctx, &me, id) {
        return r;
    }
    match contacts::delete(&ctx.app.store, id) {
        Ok(()) => redirect("/contacts"),
        Err(e) => page(
            400,
            super::layout::message(&me, me.t("contact.delete"), &e.to_string()),
        ),
    }
}

/// `GET /contacts/export.csv` and `/contacts/export.vcf`: every contact, as a download sent from a
/// file ([`super::download`]).
pub fn export(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    if let Err(r) = gate(ctx, req, false) {
        return r;
    }
    let reader = &ctx.reader;
    if req.path.ends_with(".vcf") {
        download(ctx, "text/vcard; charset=utf-8", "contacts.vcf", |out| {
            crate::export::vcard(reader, out).map(drop)
        })
    } else {
        download(ctx, "text/csv; charset=utf-8", "contacts.csv", |out| {
            crate::export::csv(reader, out).map(drop)
        })
    }
}

/// `GET /contacts/import`: the upload form. The file is read by the browser's form as text
/// (`multipart/form-data`), checked, and shown as a preview before anything is written.
pub fn import_form(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    page(
        200,
        layout(
            &me,
            me.t("contact.import"),
            "contacts",
            import_body(&me, None, ""),
        ),
    )
}

fn import_body(me: &Me, preview: Option<&crate::import::Parsed>, text_value: &str) -> Markup {
    html! {
        p { (me.t("import.intro")) }
        @if let Some(p) = preview {
            (notice(if p.bad.is_empty() { "ok" } else { "error" },
                &format!("{}: {} · {}: {}", me.t("import.good"), p.good.len(), me.t("import.bad"), p.bad.len())))
            @if !p.bad.is_empty() {
                table { thead { tr { th { (me.t("import.line")) } th { (me.t("import.reason")) } } }
                    tbody { @for b in &p.bad { tr { td { (b.line) } td { (b.reason) } } } } }
            }
        }
        form method="post" action="/contacts/import" {
            (csrf(me))
            label { (me.t("import.file")) input #import-file type="file" accept=".csv,.vcf,text/csv,text/vcard"; }
            label { (me.t("import.text")) textarea #import-text name="data" rows="8" { (text_value) } }
            div.actions {
                button.secondary type="submit" name="step" value="preview" { (me.t("import.preview")) }
                @if preview.is_some_and(|p| !p.good.is_empty()) {
                    button type="submit" name="step" value="import" { (me.t("import.do")) }
                }
            }
        }
    }
}

/// `POST /contacts/import`: preview (nothing written) or import the good rows.
pub fn import(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let form = match form_of(&me, req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let data = field(&form, "data").unwrap_or("");
    let parsed = match crate::import::parse(data, crate::import::Format::sniff(data), ctx.model()) {
        Ok(p) => p,
        Err(e) => {
            let body = html! { (notice("error", &e)) (import_body(&me, None, data)) };
            return page(400, layout(&me, me.t("contact.import"), "contacts", body));
        }
    };
    if text(&form, "step") == "import" && !parsed.good.is_empty() {
        let n = parsed.good.len();
        return match contacts::insert_all(&ctx.app.store, parsed.good) {
            Ok(_) => {
                let body = html! { (notice("ok", &format!("{}: {n}", me.t("import.done")))) p { a href="/contacts" { (me.t("nav.contacts")) } } };
                page(200, layout(&me, me.t("contact.import"), "contacts", body))
            }
            Err(e) => page(
                400,
                super::layout::message(&me, me.t("contact.import"), &e.to_string()),
            ),
        };
    }
    page(
        200,
        layout(
            &me,
            me.t("contact.import"),
            "contacts",
            import_body(&me, Some(&parsed), data),
        ),
    )
}
