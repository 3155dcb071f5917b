//! Integrations: the provisioning text for each phone and PBX with copy buttons, the 3CX template,
//! API keys (create with scopes and IP allowlist, revoke), the live status of the PBX sources and of
//! upstream sync, and the outbox rows that need an admin (retry or skip, as `ringbook outbox` does).

use maud::{html, Markup};

use super::layout::{copy_button, csrf, dash, layout, notice};
use super::{form_of, gate, page, redirect, store_error, text, Me};
use crate::auth::{self, Cidr, Scope};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::provision::{self, Target};
use crate::sources;
use crate::store::outbox;

fn render(ctx: &Ctx, req: &Request, me: &Me, created: Option<&str>, err: Option<&str>) -> Response {
    let keys = match ctx.reader.api_keys() {
        Ok(k) => k,
        Err(e) => return store_error(&e),
    };
    let configured = ctx.settings().get("http.public_url");
    let base = provision::base_url(
        configured,
        req.header("host"),
        crate::http::tls::is_https(req),
    );
    let shown_key = created.unwrap_or("YOUR-API-KEY");
    let body = html! {
        @if let Some(e) = err { (notice("error", e)) }
        (status_section(ctx, me))
        (outbox_section(ctx, me))
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

fn state_key(s: sources::State) -> &'static str {
    match s {
        sources::State::Off => "source.off",
        sources::State::Connecting => "source.connecting",
        sources::State::Connected => "source.connected",
        sources::State::Waiting => "source.waiting",
    }
}

fn source_label(name: &str) -> &str {
    match name {
        "ami" => "Asterisk (AMI)",
        "fritzbox" => "FRITZ!Box",
        other => other,
    }
}

fn connector_label(name: &str) -> &str {
    match name {
        "propstack" => "Propstack",
        "crmsenior" => "CRM Senior",
        "webhook" => "Webhook",
        other => other,
    }
}

/// The PBX sources' connections and each sync connector's queue: what the dashboard and this page
/// show so an office notices a broken link before calls go missing.
pub fn status_section(ctx: &Ctx, me: &Me) -> Markup {
    let srcs = sources::status();
    let health = outbox::health(ctx.reader.conn()).unwrap_or_default();
    let ms = |t: i64| me.time(t / 1000);
    html! {
        section #status {
            h2 { (me.t("status.sources")) }
            div.scroll { table #sources {
                thead { tr { th { (me.t("status.source")) } th { (me.t("col.status")) } th { (me.t("status.target")) }
                    th { (me.t("status.last_event")) } th { (me.t("status.last_error")) } } }
                tbody { @for s in &srcs { tr data-source=(s.name) {
                    td { (source_label(s.name)) }
                    td { span class=(format!("badge source-{}", serde_json::to_value(s.state).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default())) { (me.t(state_key(s.state))) }
                        @if let Some(n) = s.retry_in { " " small.muted { (me.t("status.retry_in")) " " (n) " s" } } }
                    td { @if s.target.is_empty() { (dash()) } @else { code { (s.target) } } }
                    td { @match s.last_event_at { Some(t) => { (me.time(t)) }, None => { (dash()) } } }
                    td { @match (&s.last_error, s.last_error_at) {
                        (Some(e), Some(t)) => { (e) " " small.muted { "(" (me.time(t)) ")" } },
                        (Some(e), None) => { (e) },
                        _ => { (dash()) },
                    } }
                } } }
            } }
            h2 { (me.t("status.sync")) }
            div.scroll { table #sync {
                thead { tr { th { (me.t("status.connector")) } th { (me.t("col.status")) } th { (me.t("status.queued")) }
                    th { (me.t("status.failing")) } th { (me.t("status.dead")) } th { (me.t("status.last_delivered")) }
                    th { (me.t("status.last_error")) } } }
                tbody { @for h in &health { tr data-connector=(h.connector) {
                    td { (connector_label(&h.connector)) }
                    td { @if !h.enabled { span.badge.source-off { (me.t("source.off")) } }
                         @else if h.dead > 0 || h.failing > 0 { span.badge.failed { (me.t("status.trouble")) } }
                         @else { span.badge.answered { (me.t("status.ok")) } } }
                    td.num { (h.queued) } td.num { (h.failing) } td.num { (h.dead) }
                    td { @match h.last_delivered_at { Some(t) => { (ms(t)) }, None => { (dash()) } } }
                    td { @match (&h.last_error, h.last_error_at) {
                        (Some(e), Some(t)) => { (e) " " small.muted { "(" (ms(t)) ")" } },
                        _ => { (dash()) },
                    } }
                } } }
            } }
        }
    }
}

/// Dead rows and failing pending rows, each with Retry and Skip.
fn outbox_section(ctx: &Ctx, me: &Me) -> Markup {
    let rows = outbox::troubled(ctx.reader.conn(), 100).unwrap_or_default();
    html! {
        h2 #outbox-title { (me.t("outbox.title")) }
        @if rows.is_empty() { p.muted #outbox-empty { (me.t("outbox.none")) } } @else {
            div.scroll { table #outbox {
                thead { tr { th { (me.t("status.connector")) } th { (me.t("outbox.call")) } th { (me.t("outbox.step")) }
                    th { (me.t("col.status")) } th { (me.t("outbox.attempts")) } th { (me.t("status.last_error")) } th {} } }
                tbody { @for r in &rows { tr data-outbox=(r.id) {
                    td { (connector_label(&r.connector)) }
                    td { a href=(format!("/calls/{}", r.call_id)) { "#" (r.call_id) } }
                    td { (r.step) }
                    td { span class=(format!("badge {}", if r.state == "dead" { "failed" } else { "ringing" })) {
                        (if r.state == "dead" { me.t("outbox.dead") } else { me.t("outbox.pending") }) } }
                    td.num { (r.attempts) }
                    td { (r.last_error.as_deref().unwrap_or("")) " " small.muted { "(" (me.time(r.updated_at / 1000)) ")" } }
                    td {
                        form.inline method="post" action=(format!("/integrations/outbox/{}/retry", r.id)) {
                            (csrf(me)) button.small type="submit" { (me.t("outbox.retry")) }
                        }
                        " "
                        form.inline method="post" action=(format!("/integrations/outbox/{}/skip", r.id)) {
                            (csrf(me)) button.small.secondary type="submit" { (me.t("outbox.skip")) }
                        }
                    }
                } } }
            } }
        }
    }
}

/// Retry or skip one outbox row, then back to the page.
fn outbox_action(ctx: &mut Ctx, req: &Request, p: &Params, retry: bool) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Err(r) = form_of(&me, req) {
        return r;
    }
    let Some(id) = p.get("id").and_then(|i| i.parse::<i64>().ok()) else {
        return render_status(ctx, req, &me, me.t("outbox.no_row"), 404);
    };
    let now = outbox::now_ms();
    let done = ctx.app.store.write(move |tx| {
        if retry {
            outbox::retry(tx, id, now)
        } else {
            outbox::skip(tx, id, now)
        }
    });
    match done {
        Ok(true) => redirect("/integrations#outbox-title"),
        Ok(false) => render_status(
            ctx,
            req,
            &me,
            if retry {
                me.t("outbox.no_retry")
            } else {
                me.t("outbox.no_skip")
            },
            409,
        ),
        Err(e) => store_error(&e),
    }
}

fn render_status(ctx: &Ctx, req: &Request, me: &Me, err: &str, status: u16) -> Response {
    let mut r = render(ctx, req, me, None, Some(err));
    r.status = status;
    r
}

/// `POST /integrations/outbox/{id}/retry`: queue a dead, skipped or failing row again, due now.
pub fn outbox_retry(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    outbox_action(ctx, req, p, true)
}

/// `POST /integrations/outbox/{id}/skip`: give up on a pending or dead row.
pub fn outbox_skip(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    outbox_action(ctx, req, p, false)
}
