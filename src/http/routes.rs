//! The route table: one line per endpoint. A new vendor adds its lines here and its handlers in its own
//! module under `vendors/`.

use super::{percent_decode, Ctx, Method, Request, Response};
use crate::{api, vendors, web};

/// A handler gets its worker context, the request and the values of the pattern's `{name}` segments.
pub type Handler = fn(&mut Ctx, &Request, &Params) -> Response;

pub struct Route {
    pub method: Method,
    /// A path such as `/lookup.txt/{number}`; a `{name}` segment matches one path segment.
    pub pattern: &'static str,
    /// The label in `/metrics`.
    pub name: &'static str,
    /// Counted in the lookup latency histogram.
    pub lookup: bool,
    pub handler: Handler,
}

const fn get(pattern: &'static str, name: &'static str, handler: Handler) -> Route {
    Route {
        method: Method::Get,
        pattern,
        name,
        lookup: false,
        handler,
    }
}

const fn post(pattern: &'static str, name: &'static str, handler: Handler) -> Route {
    Route {
        method: Method::Post,
        pattern,
        name,
        lookup: false,
        handler,
    }
}

const fn lookup(pattern: &'static str, name: &'static str, handler: Handler) -> Route {
    Route {
        method: Method::Get,
        pattern,
        name,
        lookup: true,
        handler,
    }
}

pub static ROUTES: &[Route] = &[
    get("/healthz", "healthz", api::healthz),
    get("/api/openapi.json", "api_openapi", api::openapi::document),
    get("/metrics", "metrics", api::metrics),
    lookup("/api/v1/lookup", "api_lookup", api::lookup),
    // The journal: ringbook's own call events and the journal API (api/calls.rs).
    Route {
        method: Method::Post,
        pattern: "/api/v1/events",
        name: "api_events",
        lookup: false,
        handler: api::calls::post_events,
    },
    get("/api/v1/calls", "api_calls", api::calls::list_calls),
    get("/api/v1/outbox", "api_outbox", api::outbox::list),
    Route {
        method: Method::Post,
        pattern: "/api/v1/calls/handled",
        name: "api_calls_handled",
        lookup: false,
        handler: api::calls::post_handled,
    },
    get("/api/v1/calls/{id}", "api_call", api::calls::get_call),
    Route {
        method: Method::Patch,
        pattern: "/api/v1/calls/{id}",
        name: "api_call_patch",
        lookup: false,
        handler: api::calls::patch_call,
    },
    lookup("/lookup.txt", "lookup_txt", vendors::freepbx::lookup_txt),
    lookup(
        "/lookup.txt/{number}",
        "lookup_txt_path",
        vendors::freepbx::lookup_txt,
    ),
    // FreePBX substitutes an empty caller number as is, and cidlookup's own example URL ends in a
    // `/`: both must get lookup.txt's empty answer, not a 404 whose body the PBX shows as the name.
    lookup(
        "/lookup.txt/{number}/",
        "lookup_txt_path_slash",
        vendors::freepbx::lookup_txt,
    ),
    lookup(
        "/lookup.txt/",
        "lookup_txt_empty",
        vendors::freepbx::lookup_txt,
    ),
    Route {
        method: Method::Post,
        pattern: "/lookup.txt",
        name: "lookup_txt_post",
        lookup: true,
        handler: vendors::freepbx::lookup_txt,
    },
    // 3CX, and the seed CRMs' endpoints for 3CX templates written for them.
    get(
        "/3cx/template.xml",
        "threecx_template",
        vendors::threecx::template_xml,
    ),
    lookup("/3cx/lookup", "threecx_lookup", vendors::threecx::lookup),
    get("/3cx/search", "threecx_search", vendors::threecx::search),
    Route {
        method: Method::Post,
        pattern: "/3cx/contacts",
        name: "threecx_create",
        lookup: false,
        handler: vendors::threecx::create,
    },
    Route {
        method: Method::Post,
        pattern: "/3cx/journal",
        name: "threecx_journal",
        lookup: false,
        handler: vendors::threecx::journal::report_call,
    },
    lookup(
        "/v1/contacts",
        "propstack_contacts",
        vendors::propstack::contacts,
    ),
    Route {
        method: Method::Post,
        pattern: "/v1/calls/3cx",
        name: "propstack_calls_3cx",
        lookup: false,
        handler: vendors::propstack::post_call,
    },
    get(
        "/v1/calls/phone",
        "propstack_calls_phone",
        vendors::propstack::phone_call,
    ),
    lookup(
        "/cti3cx/consult-phone/{phone}",
        "crmsenior_consult_phone",
        vendors::crmsenior::consult_phone,
    ),
    Route {
        method: Method::Put,
        pattern: "/cti3cx/end-call/{id}",
        name: "crmsenior_end_call",
        lookup: false,
        handler: vendors::crmsenior::end_call,
    },
    // CTI pushes: Zammad generic CTI (and Placetel), sipgate.io, Placetel; the token is the credential.
    Route {
        method: Method::Post,
        pattern: "/cti/{token}",
        name: "cti_push",
        lookup: false,
        handler: vendors::cti::post,
    },
    Route {
        method: Method::Post,
        pattern: "/cti/{token}/sipgate",
        name: "sipgate_push",
        lookup: false,
        handler: vendors::sipgate::post,
    },
    Route {
        method: Method::Post,
        pattern: "/cti/{token}/placetel",
        name: "placetel_push",
        lookup: false,
        handler: vendors::placetel::post,
    },
    // Phones: Snom, Snom DECT, Yealink, Grandstream.
    lookup("/snom/incoming", "snom_incoming", vendors::snom::incoming),
    get("/snom/event", "snom_event", vendors::snom::events::event),
    get(
        "/snom/directory",
        "snom_directory",
        vendors::snom::directory,
    ),
    get("/snom/tbook.xml", "snom_tbook", vendors::snom::tbook),
    Route {
        method: Method::Post,
        pattern: "/snom/tbook.xml",
        name: "snom_tbook_post",
        lookup: false,
        handler: vendors::snom::tbook,
    },
    get(
        "/dect/directory.xml",
        "dect_directory",
        vendors::dect::directory,
    ),
    get(
        "/yealink/phonebook.xml",
        "yealink_phonebook",
        vendors::yealink::phonebook,
    ),
    get("/yealink/event", "yealink_event", vendors::yealink::event),
    get(
        "/grandstream/phonebook.xml",
        "grandstream_phonebook",
        vendors::grandstream::phonebook,
    ),
    get(
        "/grandstream/{key}/phonebook.xml",
        "grandstream_phonebook_keyed",
        vendors::grandstream::phonebook,
    ),
    // The admin web UI (web/): pages, forms, the live event stream and the embedded assets.
    get("/assets/{name}", "web_assets", web::assets),
    get("/setup", "web_setup", web::setup::get_setup),
    post("/setup", "web_setup_post", web::setup::post_setup),
    get("/setup/office", "web_setup_office", web::setup::get_office),
    post(
        "/setup/office",
        "web_setup_office_post",
        web::setup::post_office,
    ),
    get("/login", "web_login", web::setup::get_login),
    post("/login", "web_login_post", web::setup::post_login),
    post("/logout", "web_logout", web::setup::post_logout),
    post("/me/language", "web_language", web::setup::post_language),
    get("/login/code", "web_login_code", web::account::get_code),
    post(
        "/login/code",
        "web_login_code_post",
        web::account::post_code,
    ),
    get("/me", "web_account", web::account::get),
    post(
        "/password-check",
        "web_password_check",
        web::users::check_password,
    ),
    post("/me/2fa", "web_account_2fa_on", web::account::post_on),
    post("/me/2fa/off", "web_account_2fa_off", web::account::post_off),
    post(
        "/me/2fa/recovery",
        "web_account_recovery",
        web::account::post_recovery,
    ),
    post(
        "/me/password",
        "web_account_password",
        web::account::post_password,
    ),
    get("/", "web_dashboard", web::calls::dashboard),
    get("/events", "web_events", web::events::events),
    get("/calls", "web_calls", web::calls::list),
    get("/calls.csv", "web_calls_csv", web::calls::csv_export),
    get("/calls/missed", "web_missed", web::calls::missed),
    post("/calls/missed", "web_missed_post", web::calls::post_missed),
    get("/calls/{id}", "web_call", web::calls::detail),
    post("/calls/{id}", "web_call_post", web::calls::post_detail),
    get("/contacts", "web_contacts", web::contacts::list),
    get("/contacts/new", "web_contact_new", web::contacts::new),
    post("/contacts/new", "web_contact_create", web::contacts::create),
    get(
        "/contacts/export.csv",
        "web_contacts_csv",
        web::contacts::export,
    ),
    get(
        "/contacts/export.vcf",
        "web_contacts_vcf",
        web::contacts::export,
    ),
    get(
        "/contacts/import",
        "web_contacts_import",
        web::contacts::import_form,
    ),
    post(
        "/contacts/import",
        "web_contacts_import_post",
        web::contacts::import,
    ),
    get("/contacts/{id}", "web_contact", web::contacts::detail),
    get(
        "/contacts/{id}/edit",
        "web_contact_edit",
        web::contacts::edit,
    ),
    post(
        "/contacts/{id}/edit",
        "web_contact_update",
        web::contacts::update,
    ),
    post(
        "/contacts/{id}/delete",
        "web_contact_delete",
        web::contacts::delete,
    ),
    get("/operators", "web_operators", web::operators::list),
    post(
        "/operators/link",
        "web_operators_link",
        web::operators::link,
    ),
    get("/reports", "web_reports", web::reports::report),
    get("/integrations", "web_integrations", web::integrations::get),
    post(
        "/integrations/keys",
        "web_keys_create",
        web::integrations::create_key,
    ),
    post(
        "/integrations/keys/{id}/revoke",
        "web_keys_revoke",
        web::integrations::revoke_key,
    ),
    get("/settings", "web_settings", web::settings_page::get),
    post("/settings", "web_settings_post", web::settings_page::post),
    post("/settings/backup", "web_backup", web::settings_page::backup),
    get(
        "/settings/cert.pem",
        "web_cert_pem",
        web::settings_page::cert_pem,
    ),
    post(
        "/settings/tls",
        "web_tls_upload",
        web::settings_page::tls_upload,
    ),
    post(
        "/settings/tls/self-signed",
        "web_tls_self_signed",
        web::settings_page::tls_self_signed,
    ),
    post(
        super::UPLOAD_PATH,
        "web_restore",
        web::settings_page::restore,
    ),
    post(
        "/integrations/outbox/{id}/retry",
        "web_outbox_retry",
        web::integrations::outbox_retry,
    ),
    post(
        "/integrations/outbox/{id}/skip",
        "web_outbox_skip",
        web::integrations::outbox_skip,
    ),
    post("/calls/{id}/assign", "web_call_assign", web::calls::assign),
    // Screen-pop actions, click-to-call, desk phones and users (issue 5, part A).
    get(
        "/api/v1/calls/{id}/actions",
        "api_call_actions",
        api::actions::get_actions,
    ),
    post("/dial", "web_dial", web::dial::post),
    post(
        "/operators/phone",
        "web_operators_phone",
        web::operators::phone,
    ),
    get("/users", "web_users", web::users::list),
    post("/users", "web_users_create", web::users::create),
    post(
        "/users/{id}/disable",
        "web_users_disable",
        web::users::disable,
    ),
    post("/users/{id}/enable", "web_users_enable", web::users::enable),
    post(
        "/users/{id}/password",
        "web_users_password",
        web::users::password,
    ),
    post(
        "/users/{id}/2fa/off",
        "web_users_2fa_off",
        web::users::remove_second_factor,
    ),
];

/// Whether a request target (path and query) is an admin UI page: the first path segment of a
/// `web_*` route other than the assets and the live event stream (which are quick, or stream on a
/// thread of their own). Such requests are answered by the page workers (see `http::worker`).
pub fn is_page(target: &str) -> bool {
    static SEGMENTS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let segments = SEGMENTS.get_or_init(|| {
        let mut v: Vec<&'static str> = ROUTES
            .iter()
            .filter(|r| {
                r.name.starts_with("web_") && r.name != "web_assets" && r.name != "web_events"
            })
            .map(|r| first_segment(r.pattern))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    });
    let path = target.split('?').next().unwrap_or("");
    segments.binary_search(&first_segment(path)).is_ok()
}

fn first_segment(path: &str) -> &str {
    path.trim_start_matches('/').split('/').next().unwrap_or("")
}

/// The index used in metrics for requests that matched no route (or failed before routing).
pub const NO_ROUTE: usize = usize::MAX;

/// Decoded values of a route's `{name}` segments.
pub struct Params {
    values: Vec<(&'static str, String)>,
}

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn match_path(pattern: &'static str, path: &str) -> Option<Params> {
    let mut values = Vec::new();
    let mut pat = pattern.split('/');
    let mut segs = path.split('/');
    loop {
        match (pat.next(), segs.next()) {
            (None, None) => return Some(Params { values }),
            (Some(p), Some(s)) => {
                if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if s.is_empty() {
                        return None;
                    }
                    values.push((name, percent_decode(s)));
                } else if p != s {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// Finds the route for a request and runs it. Returns the route's index for metrics.
/// A path that a route names literally belongs to that route alone: `PATCH /api/v1/calls/handled` is a
/// wrong method on `/api/v1/calls/handled` (405), not a call whose id is "handled".
pub fn dispatch(ctx: &mut Ctx, req: &Request) -> (usize, Response) {
    let mut allowed: Vec<&'static str> = Vec::new();
    let literal = ROUTES
        .iter()
        .any(|r| !r.pattern.contains('{') && r.pattern == req.path);
    for (i, r) in ROUTES.iter().enumerate() {
        if literal && r.pattern.contains('{') {
            continue;
        }
        let Some(params) = match_path(r.pattern, &req.path) else {
            continue;
        };
        let method_ok =
            r.method == req.method || (r.method == Method::Get && req.method == Method::Head);
        if method_ok {
            return (i, (r.handler)(ctx, req, &params));
        }
        allowed.push(method_name(r.method));
    }
    if allowed.is_empty() {
        (
            NO_ROUTE,
            Response::error(404, &format!("there is nothing at {}", req.path)),
        )
    } else {
        let list = allowed.join(", ");
        (
            NO_ROUTE,
            Response::error(405, &format!("{} accepts only {list}", req.path))
                .with_header("Allow", list),
        )
    }
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
        Method::Options => "OPTIONS",
        Method::Other => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_segments() {
        assert!(is_page("/calls?direction=in"));
        assert!(is_page("/reports"));
        assert!(is_page("/"));
        assert!(!is_page("/lookup.txt?number=123"));
        assert!(!is_page("/api/v1/lookup?number=1"));
        assert!(!is_page("/snom/incoming?remote=1"));
        assert!(!is_page("/assets/style.css"));
        assert!(!is_page("/events"));
        assert!(match_path("/healthz", "/healthz").is_some());
        assert!(match_path("/healthz", "/healthz/x").is_none());
        let p = match_path("/lookup.txt/{number}", "/lookup.txt/%2B4930").unwrap();
        assert_eq!(p.get("number"), Some("+4930"));
        assert!(match_path("/lookup.txt/{number}", "/lookup.txt/").is_none());
    }

    #[test]
    fn every_route_has_a_unique_name() {
        let mut names: Vec<&str> = ROUTES.iter().map(|r| r.name).collect();
        names.sort();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len());
    }
}
