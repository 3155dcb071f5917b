//! Settings: every setting from the one settings table, with its description; the HTTPS certificate
//! (self-signed or uploaded); the backup download and the restore of an uploaded backup.

use maud::html;

use super::layout::{csrf, layout, notice, password_meter};
use super::upload_stream::{Multipart, UploadError};
use super::{field, form_of, gate, page, store_error, text, Me, TempFile};
use crate::http::routes::Params;
use crate::http::{tls, Ctx, Request, Response};
use crate::store;
use crate::{backup, settings};

fn render(ctx: &Ctx, me: &Me, msg: Option<(&str, &str)>) -> Response {
    render_status(ctx, me, msg, 200)
}

fn render_status(ctx: &Ctx, me: &Me, msg: Option<(&str, &str)>, status: u16) -> Response {
    let s = ctx.settings();
    let cert = tls::info(&ctx.reader).ok().flatten();
    let body = html! {
        @if let Some((k, m)) = msg { (notice(k, m)) }
        form method="post" action="/settings" {
            (csrf(me))
            @for spec in settings::SPECS {
                label {
                    code { (spec.key) }
                    // A credential never goes back to the browser (a page left open, a shoulder, the
                    // browser's form cache): the field is empty, says whether a value is set, and an
                    // empty field keeps it. The box next to it removes it.
                    @if settings::SECRETS.contains(&spec.key) {
                        @let set = !s.get(spec.key).is_empty();
                        input type="password" name=(spec.key) value="" autocomplete="new-password"
                            placeholder=(me.t(if set { "settings.secret_set" } else { "settings.secret_unset" }));
                        @if set {
                            span.clear-secret { input type="checkbox" name=(format!("clear:{}", spec.key)) value="1"; " " (me.t("settings.secret_clear")) }
                        }
                    } @else {
                        input name=(spec.key) value=(s.get(spec.key));
                    }
                    small.muted { (spec.description) }
                }
            }
            button type="submit" { (me.t("action.save")) }
        }
        h2 { (me.t("settings.backup")) }
        p { (me.t("settings.backup_text")) }
        form #backup method="post" action="/settings/backup" {
            (csrf(me))
            label { (me.t("settings.backup_passphrase"))
                input type="password" name="passphrase" required minlength=(crate::password::MIN_LENGTH)
                    autocomplete="new-password" data-meter="meter-backup"; }
            (password_meter(me.lang, "meter-backup"))
            label { (me.t("settings.backup_repeat"))
                input type="password" name="passphrase2" required autocomplete="new-password"; }
            button.secondary type="submit" { (me.t("settings.backup_download")) }
        }
        h2 { (me.t("settings.restore")) }
        p { (me.t("settings.restore_text")) }
        form #restore method="post" action=(crate::http::UPLOAD_PATH) enctype="multipart/form-data" {
            (csrf(me))
            label { (me.t("settings.restore_passphrase")) input type="password" name="passphrase" autocomplete="off"; }
            label { (me.t("settings.restore_file")) input type="file" name="backup" required accept=".rbk,.db,.sqlite,.sqlite3,application/vnd.sqlite3"; }
            button.danger type="submit" { (me.t("settings.restore_do")) }
        }
        h2 { (me.t("settings.https")) }
        p { (me.t("settings.https_text")) }
        @match &cert {
            Some(c) => {
                p #cert-info {
                    (if c.self_signed { me.t("settings.cert_self_signed") } else { me.t("settings.cert_uploaded") })
                    " · " (me.time(c.since))
                }
                p { small.muted { (me.t("settings.cert_fingerprint")) ": " code #cert-fingerprint { (c.fingerprint) } } }
                p { a.button.secondary #cert-download href="/settings/cert.pem" download="ringbook.crt" { (me.t("settings.cert_download")) } }
            },
            None => { p.muted { (me.t("settings.cert_none")) } },
        }
        form #cert-upload method="post" action="/settings/tls" enctype="multipart/form-data" {
            (csrf(me))
            label { (me.t("settings.cert_file")) input type="file" name="cert" required accept=".pem,.crt,.cer"; }
            label { (me.t("settings.key_file")) input type="file" name="key" required accept=".pem,.key"; }
            button type="submit" { (me.t("settings.cert_upload")) }
        }
        form method="post" action="/settings/tls/self-signed" {
            (csrf(me))
            button.secondary type="submit" { (me.t("settings.cert_new_self_signed")) }
        }
    };
    page(status, layout(me, me.t("nav.settings"), "settings", body))
}

/// One part of a `multipart/form-data` body.
struct Part<'a> {
    name: String,
    /// Borrowed from the request body: a backup can be hundreds of megabytes.
    data: &'a [u8],
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads a browser's file-upload form. Only what the upload forms here need: field names and
/// contents, no nested parts.
fn multipart(req: &Request) -> Result<Vec<Part<'_>>, String> {
    let ty = req.header("content-type").unwrap_or("");
    if !ty.to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(
            "the form was not sent as a file upload; use the form on the Settings page".into(),
        );
    }
    let boundary = ty
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim_matches('"').to_string())
        .filter(|b| !b.is_empty() && b.len() <= 200)
        .ok_or("the upload has no boundary; send it again from the form")?;
    let delim = format!("--{boundary}").into_bytes();
    let mut rest = &req.body[..];
    let mut parts = Vec::new();
    let start = find(rest, &delim).ok_or("the upload is empty or cut off")?;
    rest = &rest[start + delim.len()..];
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or("the upload is malformed")?;
        let head_end = find(rest, b"\r\n\r\n").ok_or("the upload is malformed")?;
        let head = String::from_utf8_lossy(&rest[..head_end]).to_string();
        rest = &rest[head_end + 4..];
        let mut next = b"\r\n".to_vec();
        next.extend_from_slice(&delim);
        let end = find(rest, &next).ok_or("the upload is cut off; send it again")?;
        let name = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .and_then(|l| {
                l.split(';')
                    .filter_map(|p| p.trim().split_once('='))
                    .find(|(k, _)| *k == "name")
                    .map(|(_, v)| v.trim_matches('"').to_string())
            })
            .unwrap_or_default();
        parts.push(Part {
            name,
            data: &rest[..end],
        });
        rest = &rest[end + next.len()..];
    }
}

/// The upload's parts after its CSRF field was checked; a refusal is the page to send.
fn upload_of<'r>(ctx: &Ctx, me: &Me, req: &'r Request) -> Result<Vec<Part<'r>>, Response> {
    let parts = match multipart(req) {
        Ok(p) => p,
        Err(e) => return Err(render_status(ctx, me, Some(("error", &e)), 400)),
    };
    let token = parts
        .iter()
        .find(|p| p.name == "csrf")
        .map(|p| String::from_utf8_lossy(p.data).to_string())
        .unwrap_or_default();
    if !me.csrf_ok(&[("csrf".to_string(), token)]) {
        return Err(page(
            403,
            super::layout::message(me, me.t("csrf.title"), me.t("csrf.text")),
        ));
    }
    Ok(parts)
}

fn part<'a>(parts: &[Part<'a>], name: &str) -> &'a [u8] {
    parts
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.data)
        .unwrap_or(&[])
}

/// `POST /settings/tls`: an uploaded certificate and key (PEM). Checked first (readable, and the key
/// belongs to the certificate); a bad upload changes nothing.
pub fn tls_upload(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let parts = match upload_of(ctx, &me, req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (cert, key) = (part(&parts, "cert"), part(&parts, "key"));
    if cert.is_empty() || key.is_empty() {
        return render_status(ctx, &me, Some(("error", me.t("settings.cert_both"))), 400);
    }
    let checked = match tls::parse_upload(cert, key) {
        Ok(c) => c,
        Err(e) => return render_status(ctx, &me, Some(("error", &e)), 400),
    };
    match tls::replace(&ctx.app.store, checked) {
        Ok(()) => render(ctx, &me, Some(("ok", me.t("settings.cert_saved")))),
        Err(e) => render_status(ctx, &me, Some(("error", &e)), 500),
    }
}

/// `POST /settings/tls/self-signed`: back to a fresh self-signed certificate.
pub fn tls_self_signed(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Err(r) = form_of(&me, req) {
        return r;
    }
    let listen = req.header("host").and_then(|h| {
        h.rsplit_once(':')
            .map_or(h, |(host, _)| host)
            .trim_matches(['[', ']'])
            .parse()
            .ok()
    });
    let made = tls::self_signed(listen.unwrap_or(std::net::IpAddr::from([127, 0, 0, 1])))
        .and_then(|row| tls::replace(&ctx.app.store, row));
    match made {
        Ok(()) => render(ctx, &me, Some(("ok", me.t("settings.cert_saved")))),
        Err(e) => render_status(ctx, &me, Some(("error", &e)), 500),
    }
}

/// The page for an upload whose CSRF token is missing or wrong.
fn csrf_refused(me: &Me) -> Response {
    page(
        403,
        super::layout::message(me, me.t("csrf.title"), me.t("csrf.text")),
    )
}

/// `POST /settings/restore`: an uploaded backup replaces the data. The file is checked completely
/// (SQLite, sound, a ringbook database no newer than this one) and brought up to date on a working
/// copy beside the database before one transaction swaps every row; a bad file changes nothing.
///
/// The upload is streamed (`upload_stream.rs`): a large body is still on the connection when this
/// runs (`Ctx::take_upload`), so the session is checked before a byte of it is read, the CSRF field
/// (which the form sends before the file) before the file is written, and the file goes straight to
/// the working copy: a backup of hundreds of MB never sits in memory.
pub fn restore(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let body: Box<dyn std::io::Read + '_> = match ctx.take_upload() {
        Some(streamed) => Box::new(streamed),
        None => Box::new(&req.body[..]),
    };
    let refused = |ctx: &Ctx, e: UploadError| match e {
        UploadError::Write(e) => {
            let msg = format!("the backup could not be saved for checking: {e}");
            render_status(ctx, &me, Some(("error", &msg)), 500)
        }
        e => render_status(ctx, &me, Some(("error", &e.to_string())), 400),
    };
    let mut form = match Multipart::new(req.header("content-type").unwrap_or(""), body) {
        Ok(f) => f,
        Err(e) => return refused(ctx, e),
    };
    let csrf_ok = |token: &Option<String>| {
        me.csrf_ok(&[("csrf".to_string(), token.clone().unwrap_or_default())])
    };
    let work = TempFile::beside_db(ctx, "restore", "db");
    let mut token = None;
    let mut passphrase = String::new();
    let mut size = 0;
    loop {
        let head = match form.next_part() {
            Ok(Some(h)) => h,
            Ok(None) => break,
            Err(e) => return refused(ctx, e),
        };
        let step = match head.name.as_str() {
            "csrf" => form.text(1024).map(|t| token = Some(t)),
            "passphrase" => form.text(1024).map(|t| passphrase = t),
            "backup" => {
                if !csrf_ok(&token) {
                    return csrf_refused(&me);
                }
                let file = match std::fs::File::create(&work.0) {
                    Ok(f) => f,
                    Err(e) => return refused(ctx, UploadError::Write(e)),
                };
                let mut out = std::io::BufWriter::with_capacity(256 * 1024, file);
                form.copy(&mut out, crate::http::MAX_UPLOAD).and_then(|n| {
                    use std::io::Write;
                    out.flush().map_err(UploadError::Write)?;
                    size = n;
                    Ok(())
                })
            }
            // Any other field is skipped by the next `next_part`.
            _ => Ok(()),
        };
        if let Err(e) = step {
            return refused(ctx, e);
        }
    }
    if !csrf_ok(&token) {
        return csrf_refused(&me);
    }
    if size == 0 {
        return render_status(
            ctx,
            &me,
            Some(("error", me.t("settings.restore_choose"))),
            400,
        );
    }
    let work = match unseal(ctx, &me, work, &passphrase) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let summary = match store::restore::check(&work.0) {
        Ok(s) => s,
        Err(e) => return render_status(ctx, &me, Some(("error", &e.to_string())), 400),
    };
    if let Err(e) = store::restore::apply(&ctx.app.store, &work.0) {
        return render_status(ctx, &me, Some(("error", &e.to_string())), 500);
    }
    drop(work);
    log::info!(
        "{} restored a backup (schema {}, {} contacts, {} calls)",
        me.s.name,
        summary.version,
        summary.contacts,
        summary.calls
    );
    settings::bump_generation();
    tls::reload(&ctx.reader);
    let text = format!(
        "{} {}: {} · {}: {} · {}: {}",
        me.t("settings.restore_done"),
        me.t("nav.contacts"),
        summary.contacts,
        me.t("nav.calls"),
        summary.calls,
        me.t("users.title"),
        summary.users
    );
    page(
        200,
        super::layout::message(&me, me.t("settings.restore"), &text),
    )
}

/// The database in an uploaded backup: the upload itself when it is a plain database file, or,
/// when it is sealed (`backup.rs`), a new working copy opened with the passphrase. Every chunk is
/// checked as it is opened, so a wrong passphrase or a changed file stops here and changes nothing.
fn unseal(ctx: &Ctx, me: &Me, upload: TempFile, passphrase: &str) -> Result<TempFile, Response> {
    use std::io::{Read, Write};
    let io_error = |e: std::io::Error| {
        let msg = format!("the backup could not be read for checking: {e}");
        render_status(ctx, me, Some(("error", &msg)), 500)
    };
    let mut file = std::fs::File::open(&upload.0).map_err(io_error)?;
    let mut head = [0u8; 8];
    let n = file.read(&mut head).map_err(io_error)?;
    if !backup::is_sealed(&head[..n]) {
        return Ok(upload);
    }
    if passphrase.is_empty() {
        return Err(render_status(
            ctx,
            me,
            Some(("error", me.t("settings.restore_need_passphrase"))),
            400,
        ));
    }
    let file = std::fs::File::open(&upload.0).map_err(io_error)?;
    let plain = TempFile::beside_db(ctx, "restore", "db");
    let out = std::fs::File::create(&plain.0).map_err(io_error)?;
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, out);
    let opened = backup::open(std::io::BufReader::new(file), passphrase, &mut out)
        .and_then(|_| out.flush().map_err(backup::BackupError::Io));
    drop(upload);
    match opened {
        Ok(()) => Ok(plain),
        Err(backup::BackupError::WrongPassphrase) => Err(render_status(
            ctx,
            me,
            Some(("error", me.t("settings.restore_wrong_passphrase"))),
            400,
        )),
        Err(backup::BackupError::Io(e)) => Err(io_error(e)),
        Err(e) => Err(render_status(ctx, me, Some(("error", &e.to_string())), 400)),
    }
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
    let before = super::stored_number_model(ctx);
    let mut changes = Vec::new();
    for spec in settings::SPECS {
        let Some(mut v) = form
            .iter()
            .find(|(k, _)| k == spec.key)
            .map(|_| text(&form, spec.key))
        else {
            continue;
        };
        if settings::SECRETS.contains(&spec.key) {
            // The form never shows a credential, so an empty field means "keep it"; the box removes it.
            let clear = form
                .iter()
                .any(|(k, _)| *k == format!("clear:{}", spec.key));
            if clear {
                v = "";
            } else if v.is_empty() {
                continue;
            }
        }
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
    let now = super::stored_number_model(ctx);
    if let Err(e) = crate::contacts::renormalize_if_changed(&ctx.app.store, &before, now) {
        return render(ctx, &me, Some(("error", &e.to_string())));
    }
    redirect_saved(ctx, &me)
}

fn redirect_saved(ctx: &Ctx, me: &Me) -> Response {
    render(ctx, me, Some(("ok", me.t("settings.saved"))))
}

/// `POST /settings/backup` (`passphrase`, `passphrase2`, `csrf`): a consistent copy of the
/// database (`VACUUM INTO`), sealed with the passphrase (`backup.rs`), as a download. The passphrase
/// must pass the password rule; typed twice, since a typo would make a backup nobody can restore.
///
/// The copy is made beside the database (the same disk; `/tmp` may be memory) and sent from the
/// file as it is read and sealed, never held in memory: a year of calls makes a file of hundreds of
/// MB. It is unlinked as soon as it is open, so nothing is left behind however the download ends.
pub fn backup(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let form = match form_of(&me, req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let passphrase = field(&form, "passphrase").unwrap_or("");
    if passphrase != field(&form, "passphrase2").unwrap_or("") {
        let why = me.t("settings.backup_mismatch");
        return render_status(ctx, &me, Some(("error", why)), 400);
    }
    if let Err(w) = crate::password::check(passphrase, "") {
        let why = me.t(super::users::weak_key(w));
        return render_status(ctx, &me, Some(("error", why)), 400);
    }
    let copy = TempFile::beside_db(ctx, "backup", "db");
    let opened = ctx
        .reader
        .backup_into(&copy.0)
        .map_err(|e| e.to_string())
        .and_then(|_| std::fs::File::open(&copy.0).map_err(|e| e.to_string()))
        .and_then(|f| {
            let len = f.metadata().map_err(|e| e.to_string())?.len();
            Ok((f, len))
        })
        .and_then(|(f, len)| {
            let sealed = backup::seal(std::io::BufReader::new(f), len, passphrase)
                .map_err(|e| e.to_string())?;
            Ok((sealed, backup::sealed_len(len)))
        });
    drop(copy);
    match opened {
        Ok((sealed, len)) => {
            log::info!("{} downloaded an encrypted backup ({len} bytes)", me.s.name);
            let day = jiff::Timestamp::now().to_zoned(me.tz.clone()).date();
            super::secure(
                Response::file(200, "application/octet-stream", sealed, len).with_header(
                    "Content-Disposition",
                    format!("attachment; filename=\"ringbook-backup-{day}.rbk\""),
                ),
            )
        }
        Err(e) => store_error(&crate::store::StoreError::Invalid(format!(
            "the backup could not be made: {e}"
        ))),
    }
}

/// `GET /settings/cert.pem`: the certificate HTTPS serves, as PEM, so an office can install a
/// self-signed one as trusted on its computers and browsers stop warning (and allow notifications).
/// Only the certificate: it is public anyway, sent in every handshake; the key never leaves.
pub fn cert_pem(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    match ctx.reader.tls_cert() {
        Ok(Some(c)) => super::secure(
            Response::new(200, "application/x-pem-file", pem("CERTIFICATE", &c.cert)).with_header(
                "Content-Disposition",
                "attachment; filename=\"ringbook.crt\"",
            ),
        ),
        Ok(None) => page(
            404,
            super::layout::message(&me, me.t("settings.https"), me.t("settings.cert_none")),
        ),
        Err(e) => store_error(&e),
    }
}

/// DER as PEM: base64 in lines of 64 characters between the BEGIN and END lines (RFC 7468).
fn pem(label: &str, der: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::with_capacity(der.len().div_ceil(3) * 4);
    for chunk in der.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::pem;

    #[test]
    fn pem_is_base64_in_64_character_lines() {
        assert_eq!(pem("X", b""), "-----BEGIN X-----\n-----END X-----\n");
        assert_eq!(pem("X", b"a"), "-----BEGIN X-----\nYQ==\n-----END X-----\n");
        assert_eq!(
            pem("X", b"ab"),
            "-----BEGIN X-----\nYWI=\n-----END X-----\n"
        );
        assert_eq!(
            pem("X", b"abc"),
            "-----BEGIN X-----\nYWJj\n-----END X-----\n"
        );
        let long = pem("CERTIFICATE", &[0xff; 60]);
        let lines: Vec<&str> = long.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines[2], "////////////////");
    }
}
