//! Settings: every setting from the one settings table, with its description, and the backup download.

use maud::html;

use super::layout::{csrf, layout, notice};
use super::{form_of, gate, page, store_error, text, Me};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::settings;

fn render(ctx: &Ctx, me: &Me, msg: Option<(&str, &str)>) -> Response {
    let s = ctx.settings();
    let body = html! {
        @if let Some((k, m)) = msg { (notice(k, m)) }
        form method="post" action="/settings" {
            (csrf(me))
            @for spec in settings::SPECS {
                label {
                    code { (spec.key) }
                    input name=(spec.key) value=(s.get(spec.key));
                    small.muted { (spec.description) }
                }
            }
            button type="submit" { (me.t("action.save")) }
        }
        h2 { (me.t("settings.backup")) }
        p { (me.t("settings.backup_text")) }
        p { a.button.secondary href="/settings/backup" { (me.t("settings.backup_download")) } }
    };
    page(200, layout(me, me.t("nav.settings"), "settings", body))
}

/// `GET /settings` (admin).
pub fn get(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    render(ctx, &me, None)
}

/// `POST /settings`: validates every changed value first; one bad value changes nothing.
pub fn post(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let form = match form_of(&me, req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut changes = Vec::new();
    for spec in settings::SPECS {
        let Some(v) = form
            .iter()
            .find(|(k, _)| k == spec.key)
            .map(|_| text(&form, spec.key))
        else {
            continue;
        };
        if v == ctx.settings().get(spec.key) {
            continue;
        }
        match (spec.validate)(v) {
            Ok(c) => changes.push((spec.key, c)),
            Err(why) => return render(ctx, &me, Some(("error", &format!("{}: {why}", spec.key)))),
        }
    }
    for (k, v) in &changes {
        if let Err(e) = settings::set(&ctx.app.store, k, v) {
            return render(ctx, &me, Some(("error", &e.to_string())));
        }
    }
    if changes.iter().any(|(k, _)| k.starts_with("number.")) {
        if let Ok(fresh) = settings::Settings::load(&ctx.reader) {
            if let Err(e) = crate::contacts::renormalize_all(&ctx.app.store, fresh.number_model()) {
                return render(ctx, &me, Some(("error", &e.to_string())));
            }
        }
    }
    let _ = std::mem::take(&mut changes);
    redirect_saved(ctx, &me)
}

fn redirect_saved(ctx: &Ctx, me: &Me) -> Response {
    render(ctx, me, Some(("ok", me.t("settings.saved"))))
}

/// `GET /settings/backup`: a consistent copy of the database (`VACUUM INTO`), as a download.
pub fn backup(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    if let Err(r) = gate(ctx, req, true) {
        return r;
    }
    let dir = std::env::temp_dir().join(format!(
        "ringbook-backup-{}-{}",
        std::process::id(),
        crate::auth::random_token(8)
    ));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return super::secure(Response::text(
            500,
            format!("the backup could not be made: {e}"),
        ));
    }
    let path = dir.join("ringbook.db");
    let result = ctx
        .reader
        .backup_into(&path)
        .map_err(|e| e.to_string())
        .and_then(|_| std::fs::read(&path).map_err(|e| e.to_string()));
    let _ = std::fs::remove_dir_all(&dir);
    match result {
        Ok(bytes) => super::secure(
            Response::new(200, "application/vnd.sqlite3", bytes).with_header(
                "Content-Disposition",
                "attachment; filename=\"ringbook-backup.db\"",
            ),
        ),
        Err(e) => store_error(&crate::store::StoreError::Invalid(format!(
            "the backup could not be made: {e}"
        ))),
    }
}
