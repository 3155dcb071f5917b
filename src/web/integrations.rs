//! Integrations: the provisioning text for each phone and PBX with copy buttons, the 3CX template, and
//! API keys (create with scopes and IP allowlist, revoke).

use maud::html;

use super::layout::{copy_button, csrf, layout, notice};
use super::{form_of, gate, page, redirect, store_error, text, Me};
use crate::auth::{self, Cidr, Scope};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::provision::{self, Target};

fn render(ctx: &Ctx, req: &Request, me: &Me, created: Option<&str>, err: Option<&str>) -> Response {
    let keys = match ctx.reader.api_keys() {
        Ok(k) => k,
        Err(e) => return store_error(&e),
    };
    let configured = ctx.settings().get("http.public_url");
    let base = provision::base_url(configured, req.header("host"));
    let shown_key = created.unwrap_or("YOUR-API-KEY");
    let body = html! {
        @if let Some(e) = err { (notice("error", e)) }
        @if let Some(k) = created {
            (notice("ok", me.t("keys.created_once")))
            p { code #new-key { (k) } " " (copy_button(me, "new-key")) }
        }
        h2 { (me.t("keys.title")) }
        div.scroll { table {
            thead { tr { th { (me.t("field.name")) } th { (me.t("keys.scopes")) } th { (me.t("keys.allow")) } th { (me.t("keys.created")) } th {} } }
            tbody { @for k in &keys { tr {
                td { (k.name) } td { (k.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")) }
                td { (k.allow.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ")) }
                td { (me.time(k.created_at)) }
                td { @if k.revoked_at.is_some() { span.muted { (me.t("keys.revoked")) } } @else {
                    form.inline method="post" action=(format!("/integrations/keys/{}/revoke", k.id)) {
                        (csrf(me)) button.small.danger type="submit" { (me.t("keys.revoke")) }
                    }
                } }
            } } }
        } }
        form.filters method="post" action="/integrations/keys" {
            (csrf(me))
            label { (me.t("field.name")) input name="name" required; }
            fieldset.inline { legend { (me.t("keys.scopes")) }
                @for s in Scope::ALL { label.check { input type="checkbox" name="scope" value=(s.as_str()) checked[s == Scope::Lookup]; (s.as_str()) } }
            }
            label { (me.t("keys.allow")) input name="allow" placeholder="192.168.1.0/24"; }
            button type="submit" { (me.t("keys.create")) }
        }
        h2 { (me.t("integ.provisioning")) }
        p { (me.t("integ.base")) ": " code { (base) } }
        p { a.button.secondary href="/3cx/template.xml" download="ringbook-3cx.xml" { (me.t("integ.threecx_template")) } }
        @for t in Target::ALL {
            details {
                summary { (t.as_str()) }
                @let id = format!("prov-{}", t.as_str());
                pre id=(id) { (provision::text(t, Some(&base), shown_key)) }
                (copy_button(me, &id))
            }
        }
    };
    page(
        200,
        layout(me, me.t("nav.integrations"), "integrations", body),
    )
}

/// `GET /integrations` (admin).
pub fn get(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    render(ctx, req, &me, None, None)
}

/// `POST /integrations/keys`: a new key; its secret is shown once.
pub fn create_key(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let form = match form_of(&me, req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let scopes: Vec<Scope> = form
        .iter()
        .filter(|(k, _)| k == "scope")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let mut allow = Vec::new();
    for part in text(&form, "allow")
        .split([',', ' '])
        .filter(|s| !s.is_empty())
    {
        match part.parse::<Cidr>() {
            Ok(c) => allow.push(c),
            Err(e) => return render(ctx, req, &me, None, Some(&e)),
        }
    }
    match auth::create_key(&ctx.app.store, text(&form, "name"), &scopes, &allow, true) {
        Ok(k) => render(ctx, req, &me, k.full_key.as_deref(), None),
        Err(e) => render(ctx, req, &me, None, Some(&e)),
    }
}

/// `POST /integrations/keys/{id}/revoke`.
pub fn revoke_key(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Err(r) = form_of(&me, req) {
        return r;
    }
    let Some(id) = p.get("id").and_then(|i| i.parse().ok()) else {
        return redirect("/integrations");
    };
    match auth::revoke_key(&ctx.app.store, id) {
        Ok(()) => redirect("/integrations"),
        Err(e) => render(ctx, req, &me, None, Some(&e.to_string())),
    }
}
