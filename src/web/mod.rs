//! The admin web UI: server-rendered pages (maud, which escapes everything it prints), a little
//! JavaScript for live updates, notifications and copy buttons, and one CSS file.
//!
//! Every page goes through [`gate`] (login, role) and every state-changing form through [`Me::csrf_ok`].
//! Every response carries the security headers of [`secure`]: a CSP without inline script, no framing.
//! Handlers here are thin: they parse the form, call one domain function and render.

pub mod account;
pub mod calls;
pub mod contacts;
pub mod dial;
pub mod events;
pub mod i18n;
pub mod integrations;
pub mod layout;
pub mod operators;
pub mod reports;
pub mod session;
pub mod settings_page;
pub mod setup;
pub mod upload_stream;
pub mod users;

use jiff::tz::TimeZone;
use maud::Markup;

use crate::http::{Ctx, Request, Response, HTML};
use crate::store::StoreError;
use i18n::Lang;
use session::Session;

/// The logged-in user, their language and the office's time zone: what every page renders with.
pub struct Me {
    pub s: Session,
    pub lang: Lang,
    pub tz: TimeZone,
}

impl Me {
    /// Translates a key of the translation table into the user's language.
    pub fn t(&self, key: &'static str) -> &'static str {
        self.lang.t(key)
    }

    /// A Unix time as date and time in the office's time zone, in the user's locale's order.
    pub fn time(&self, at: i64) -> String {
        format_time(&self.tz, self.lang, at, true)
    }

    /// The date part only.
    pub fn date(&self, at: i64) -> String {
        format_time(&self.tz, self.lang, at, false)
    }

    /// Whether a form's `csrf` field is this session's token.
    pub fn csrf_ok(&self, form: &[(String, String)]) -> bool {
        field(form, "csrf")
            .is_some_and(|v| crate::auth::same_secret(v.as_bytes(), self.s.csrf.as_bytes()))
    }
}

/// Formats `at` in `tz`; dates in the order the language's readers expect.
pub fn format_time(tz: &TimeZone, lang: Lang, at: i64, with_time: bool) -> String {
    let Ok(ts) = jiff::Timestamp::from_second(at) else {
        return at.to_string();
    };
    let z = ts.to_zoned(tz.clone());
    let date = match lang {
        Lang::En => "%Y-%m-%d",
        Lang::De | Lang::Ru => "%d.%m.%Y",
        Lang::It | Lang::PtBr => "%d/%m/%Y",
    };
    if with_time {
        z.strftime(&format!("{date} %H:%M")).to_string()
    } else {
        z.strftime(date).to_string()
    }
}

/// The office's time zone from the settings, UTC if it can't be loaded.
pub fn office_tz(ctx: &Ctx) -> TimeZone {
    TimeZone::get(ctx.settings().get("office.timezone")).unwrap_or(TimeZone::UTC)
}

/// Checks login and role. No admin yet sends to the setup wizard; no session to the login page; a
/// staff user on an admin page gets 403. With `web.admin_2fa`, an admin without a second factor
/// gets only the pages that set one up.
pub fn gate(ctx: &mut Ctx, req: &Request, admin_only: bool) -> Result<Me, Response> {
    match ctx.reader.admin_count() {
        Ok(0) => return Err(redirect("/setup")),
        Ok(_) => {}
        Err(e) => return Err(store_error(&e)),
    }
    let s = match session::current(ctx, req) {
        Ok(Some(s)) => s,
        Ok(None) => {
            let back = if req.path.starts_with('/') && !req.path.starts_with("//") {
                req.path.clone()
            } else {
                "/".into()
            };
            return Err(redirect(&format!(
                "/login?next={}",
                crate::provision::url_encode(&back)
            )));
        }
        Err(e) => return Err(store_error(&e)),
    };
    let lang = Lang::from_code(&s.language)
        .or_else(|| Lang::from_code(ctx.settings().get("office.language")))
        .unwrap_or(Lang::En);
    let me = Me {
        s,
        lang,
        tz: office_tz(ctx),
    };
    if me.s.is_admin()
        && !me.s.has_2fa
        && ctx.settings().flag("web.admin_2fa")
        && !account::open_without_2fa(&req.path)
    {
        return Err(redirect("/me?need=2fa"));
    }
    if admin_only && !me.s.is_admin() {
        return Err(page(
            403,
            layout::message(&me, me.t("forbidden.title"), me.t("forbidden.text")),
        ));
    }
    Ok(me)
}

/// Parses a form and checks its CSRF token; a missing or wrong token is refused with 403 and nothing
/// changes.
pub fn form_of(me: &Me, req: &Request) -> Result<Vec<(String, String)>, Response> {
    let form = req.form();
    if me.csrf_ok(&form) {
        Ok(form)
    } else {
        Err(page(
            403,
            layout::message(me, me.t("csrf.title"), me.t("csrf.text")),
        ))
    }
}

/// The first value of a form field.
pub fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The first value of a form field, trimmed, or empty.
pub fn text<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    field(form, name).map(str::trim).unwrap_or("")
}

/// Adds the headers every UI response carries: a strict CSP (no inline script or style), no framing,
/// no referrer leaks, and no caching of pages that show calls.
pub fn secure(r: Response) -> Response {
    r.with_header(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src *; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
    )
    .with_header("X-Frame-Options", "DENY")
    .with_header("Referrer-Policy", "same-origin")
    .with_header("Cache-Control", "no-store")
}

/// A rendered page with the security headers.
pub fn page(status: u16, m: Markup) -> Response {
    secure(Response::html(status, m.into_string()))
}

/// A 303 redirect (after a POST, the browser GETs the target).
/// The number model as stored now: read afresh, since the worker's copy may be seconds old and a
/// number-settings change must be compared with what the stored numbers were read with.
fn stored_number_model(ctx: &Ctx) -> crate::number::NumberModel {
    crate::settings::Settings::load(&ctx.reader)
        .map(|s| s.number_model())
        .unwrap_or_else(|_| ctx.model().clone())
}

pub fn redirect(to: &str) -> Response {
    secure(Response::new(303, HTML, Vec::new()).with_header("Location", to.to_string()))
}

/// A file beside the database that is removed when this is dropped, however the request ends: the
/// restore's working copy, the backup's copy, an export being written. Beside the database because
/// that disk has room for a copy of it (the temp directory may be memory) and the service may write
/// there. Drop it as soon as the file is open: the open handle still reads it.
pub(crate) struct TempFile(pub std::path::PathBuf);

impl TempFile {
    /// A fresh hidden name, `.ringbook-{what}-{random}.{ext}`.
    pub(crate) fn beside_db(ctx: &Ctx, what: &str, ext: &str) -> TempFile {
        let db = ctx.app.store.path();
        let dir = db
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        TempFile(dir.join(format!(
            ".ringbook-{what}-{}.{ext}",
            crate::auth::random_token(12)
        )))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        for ext in ["-journal", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(ext);
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A download written to a file beside the database by `write` and sent from it, with its length;
/// the file is unlinked as soon as it is written. A file, not memory: an export grows with the
/// office (1M contacts make a 71 MB CSV and a 203 MB vCard file, which built in memory took the
/// server to 161 and 417 MB, against the service's MemoryMax of 512 MB).
pub(crate) fn download(
    ctx: &Ctx,
    content_type: &'static str,
    file_name: &str,
    write: impl FnOnce(&mut dyn std::io::Write) -> Result<(), String>,
) -> Response {
    let ext = file_name.rsplit('.').next().unwrap_or("out");
    let file = TempFile::beside_db(ctx, "export", ext);
    let written = write_to(&file.0, write);
    drop(file);
    match written {
        Ok((f, len)) => secure(
            Response::file(200, content_type, std::io::BufReader::new(f), len).with_header(
                "Content-Disposition",
                format!("attachment; filename=\"{file_name}\""),
            ),
        ),
        Err(e) => {
            // Logged like a store error on any other page: the admin sees the 500, the log keeps why.
            log::error!("web UI: the export {file_name} could not be written: {e}");
            secure(Response::text(
                500,
                format!("the export could not be written: {e}"),
            ))
        }
    }
}

/// See [`download`]: the new file at `path`, open at its start, and its length.
fn write_to(
    path: &std::path::Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> Result<(), String>,
) -> Result<(std::fs::File, u64), String> {
    use std::io::{Seek, Write};
    let mut f = std::fs::File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| e.to_string())?;
    let mut out = std::io::BufWriter::new(&mut f);
    write(&mut out)?;
    out.flush().map_err(|e| e.to_string())?;
    drop(out);
    f.rewind().map_err(|e| e.to_string())?;
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    Ok((f, len))
}

/// A database error, as a plain page.
pub fn store_error(e: &StoreError) -> Response {
    log::error!("web UI: {e}");
    secure(Response::text(
        503,
        format!("ringbook could not read its database: {e}"),
    ))
}

/// A path that is safe to redirect to after login: ours, not another site's.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/",
    }
}

/// The embedded assets, by fixed name: nothing else under `/assets/` is served, so no path can
/// reach the file system.
pub fn assets(_ctx: &mut Ctx, _req: &Request, p: &crate::http::routes::Params) -> Response {
    let (ty, body): (&'static str, &'static [u8]) = match p.get("name") {
        Some("style.css") => (
            "text/css; charset=utf-8",
            include_bytes!("../../assets/style.css"),
        ),
        Some("app.js") => (
            "text/javascript; charset=utf-8",
            include_bytes!("../../assets/app.js"),
        ),
        _ => return secure(Response::text(404, "no such asset")),
    };
    Response::new(200, ty, body).with_header("Cache-Control", "max-age=300")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_show_in_the_office_zone_and_locale_order() {
        let tz = TimeZone::get("Europe/Berlin").unwrap();
        // 2024-03-01 12:00 UTC is 13:00 in Berlin (winter time).
        let at = 1_709_294_400;
        assert_eq!(format_time(&tz, Lang::En, at, true), "2024-03-01 13:00");
        assert_eq!(format_time(&tz, Lang::De, at, true), "01.03.2024 13:00");
        assert_eq!(format_time(&tz, Lang::PtBr, at, false), "01/03/2024");
        let sp = TimeZone::get("America/Sao_Paulo").unwrap();
        assert_eq!(format_time(&sp, Lang::PtBr, at, true), "01/03/2024 09:00");
    }

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/calls/5")), "/calls/5");
        for bad in ["//evil.example", "https://evil.example", "/\\evil", ""] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
