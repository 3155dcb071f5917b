//! The HTTP server: tiny_http behind a bounded pool of worker threads, a route table, capped bodies,
//! socket timeouts and the request/response types handlers see.
//!
//! This layer is thin. A handler parses its request, calls one domain function and renders the result;
//! no HTTP type goes into a domain module.

pub mod guard;
pub mod listener;
pub mod metrics;
mod request;
pub mod routes;
pub mod tls;
mod upload;

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use serde::Serialize;

use crate::auth::{self, ApiKey, AuthError, Scope};
use crate::number::NumberModel;
use crate::settings::{self, Settings};
use crate::store::{Reader, Store};

pub use metrics::Metrics;
pub use request::{form_pairs, percent_decode, Method, Request};
pub use upload::UploadBody;

/// Largest request body accepted; imports and backups that need more use the CLI.
pub const MAX_BODY: usize = 1024 * 1024;
/// Longest request target (path and query) accepted, and the most header fields and header bytes
/// (names, values and separators). Phones', PBXs' and browsers' requests to ringbook stay far below
/// them; 8 KiB a target and 100 fields are what common web servers allow by default. A request past
/// them gets 414 or 431 with the reason, before its body is read or anything is looked up or stored.
///
/// They don't bound memory themselves: tiny_http reads a request's whole header before ringbook sees
/// it. What they do is give a client a clear answer instead of acting on a request no phone, PBX or
/// browser sends; the memory is bounded by [`guard`], which cuts a header off at four times these.
pub const MAX_TARGET: usize = 8 * 1024;
/// See [`MAX_TARGET`].
pub const MAX_HEADER_FIELDS: usize = 100;
/// See [`MAX_TARGET`].
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Largest backup the web UI's restore accepts (`POST` [`UPLOAD_PATH`]). Its body is streamed to disk (`upload.rs`), never held in memory, so this is about
/// disk and patience, not RAM.
pub const MAX_UPLOAD: u64 = 4 * 1024 * 1024 * 1024;
/// The one path that takes bodies up to [`MAX_UPLOAD`], and only from a browser with a session
/// cookie, and only one such body is read at a time. Its handler reads the body itself, after it
/// checked the session ([`Ctx::take_upload`]).
pub const UPLOAD_PATH: &str = "/settings/restore";
static UPLOADING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// The default for [`Config::io_timeout`].
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// How often the listener's heartbeat connection runs; see `listener.rs` for the two reasons.
pub const HEARTBEAT: Duration = Duration::from_millis(50);

/// Server start-up options (from flags and environment; everything else is in the database).
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub workers: usize,
    /// A socket that sends or accepts nothing for this long is closed: idle keep-alive connections
    /// and stalled clients don't hold a thread forever.
    pub io_timeout: Duration,
}

/// What every worker shares.
pub struct App {
    pub store: Store,
    pub metrics: Metrics,
    pub started: Instant,
    responder: Sender<Pending>,
    /// The port HTTPS listens on, if it started (see [`start_https`]).
    https_port: Option<u16>,
}

/// A connection whose answer is on its way (see [`Response::later`]).
struct Pending {
    rq: tiny_http::Request,
    rx: Receiver<Response>,
    /// The answer if `rx` stays silent past [`LATER_TIMEOUT`].
    fallback: Response,
    route: usize,
    start: Instant,
    /// See [`send`].
    body_read: bool,
}

/// Threads sending deferred answers. Commits finish in the order they were queued, so a few
/// threads waiting in order keep up with any number of pending answers.
const RESPONDERS: usize = 4;
/// A deferred answer that takes longer than this becomes a 503: the client can retry, and the
/// event, if it did commit, is not stored twice (events are idempotent).
const LATER_TIMEOUT: Duration = Duration::from_secs(60);

/// A worker's own state: its read connection and caches that spare the hot path a query.
pub struct Ctx {
    pub app: Arc<App>,
    pub reader: Reader,
    settings: Settings,
    settings_loaded: Instant,
    settings_generation: u64,
    model: NumberModel,
    key_cache: Vec<(String, ApiKey, Instant)>,
    /// The body of the request being handled when it is a streamed upload (see [`UPLOAD_PATH`]).
    upload: Option<UploadBody>,
}

/// How long a worker trusts its cached settings and API keys before reading them again. Changes made
/// by the CLI (another process) take effect within this time; changes made in-process at once.
const CACHE_TTL: Duration = Duration::from_secs(2);

impl Ctx {
    pub fn new(app: Arc<App>) -> Result<Ctx, String> {
        let reader = app.store.reader().map_err(|e| e.to_string())?;
        let settings = Settings::load(&reader).map_err(|e| e.to_string())?;
        let model = settings.number_model();
        Ok(Ctx {
            app,
            reader,
            model,
            settings,
            settings_loaded: Instant::now(),
            settings_generation: settings::generation(),
            key_cache: Vec::new(),
            upload: None,
        })
    }

    /// The streamed body of an upload to [`UPLOAD_PATH`], once; `None` when the body is small enough
    /// to be in [`Request::body`] (or is not an upload).
    pub fn take_upload(&mut self) -> Option<UploadBody> {
        self.upload.take()
    }

    fn refresh(&mut self) {
        if self.settings_loaded.elapsed() < CACHE_TTL
            && self.settings_generation == settings::generation()
        {
            return;
        }
        self.settings_generation = settings::generation();
        self.settings_loaded = Instant::now();
        self.key_cache.clear();
        match Settings::load(&self.reader) {
            Ok(s) => {
                self.model = s.number_model();
                self.settings = s;
            }
            Err(e) => log::warn!("settings could not be reloaded, keeping the previous ones: {e}"),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// This box's base URL for links handed to the device that sent `req` ([`crate::provision::base_url`]).
    pub fn base_url(&self, req: &Request) -> String {
        crate::provision::base_url(
            self.settings.get("http.public_url"),
            req.header("host"),
            tls::is_https(req),
        )
    }

    pub fn model(&self) -> &NumberModel {
        &self.model
    }

    /// Checks the request's API key (header, bearer token or `?key=`) or its source address for `scope`.
    pub fn authorize(&mut self, req: &Request, scope: Scope) -> Result<ApiKey, AuthError> {
        let presented = req.api_key();
        if let Some(p) = presented.as_deref() {
            if let Some((_, k, at)) = self.key_cache.iter().find(|(s, _, _)| s == p) {
                if at.elapsed() < CACHE_TTL && k.has_scope(scope) && k.allow.is_empty() {
                    return Ok(k.clone());
                }
            }
        }
        let k = auth::authorize(&self.reader, presented.as_deref(), req.remote.ip(), scope)?;
        if let Some(p) = presented {
            if k.allow.is_empty() {
                self.key_cache.retain(|(s, _, _)| *s != p);
                if self.key_cache.len() > 64 {
                    self.key_cache.clear();
                }
                self.key_cache.push((p, k.clone(), Instant::now()));
            }
        }
        Ok(k)
    }
}

/// A response before it is written: status, type, body and extra headers.
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
    /// A long-lived answer (Server-Sent Events): it gets the raw connection on its own thread, writes
    /// the status line and headers itself, and returns when the client goes away. The worker is free
    /// again at once.
    pub stream: Option<Stream>,
    /// An answer that isn't ready yet: a call event waiting for its group commit. The worker hands the
    /// connection to a responder thread, which sends what arrives here, and is free again at once, so
    /// a commit can carry as many events as there are connections, not just as many as workers.
    pub later: Option<Receiver<Response>>,
    /// A body read as it is sent, with its length (a backup download: hundreds of MB that must not
    /// sit in memory, read from a file and sealed on the way). Replaces `body`. Boxed, since most
    /// responses have none and every handler's result carries the field.
    pub file: Option<Box<FileBody>>,
}

/// See [`Response::file`].
pub type FileBody = (Box<dyn std::io::Read + Send>, u64);

/// See [`Response::stream`].
pub type Stream = Box<dyn FnOnce(&mut dyn std::io::Write) + Send>;

pub const JSON: &str = "application/json";
pub const TEXT: &str = "text/plain; charset=utf-8";
pub const XML: &str = "text/xml; charset=utf-8";
pub const HTML: &str = "text/html; charset=utf-8";

impl Response {
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type,
            body: body.into(),
            headers: Vec::new(),
            stream: None,
            later: None,
            file: None,
        }
    }

    /// A response whose body is read from `file` as it is sent, `len` bytes (see [`Response::file`]).
    pub fn file(
        status: u16,
        content_type: &'static str,
        file: impl std::io::Read + Send + 'static,
        len: u64,
    ) -> Response {
        Response {
            file: Some(Box::new((Box::new(file), len))),
            ..Response::new(status, content_type, Vec::new())
        }
    }

    /// A response that will arrive on `rx`; see [`Response::later`]. If it doesn't arrive in time, the
    /// client gets a JSON 503 asking to send it again.
    pub fn deferred(rx: Receiver<Response>) -> Response {
        Response::deferred_or(
            rx,
            Response::error(
                503,
                "the database did not confirm the write in time; send it again",
            ),
        )
    }

    /// Like [`Response::deferred`], with `fallback` as the answer when the commit doesn't confirm in
    /// time: phones and PBXs get what their protocol expects (an empty body), not JSON.
    pub fn deferred_or(rx: Receiver<Response>, fallback: Response) -> Response {
        Response {
            later: Some(rx),
            ..fallback
        }
    }

    pub fn json<T: Serialize>(status: u16, value: &T) -> Response {
        match serde_json::to_vec(value) {
            Ok(body) => Response::new(status, JSON, body),
            Err(e) => Response::error(500, &format!("the answer could not be encoded: {e}")),
        }
    }

    /// The JSON error shape of every ringbook endpoint: `{"error": "..."}`.
    pub fn error(status: u16, message: &str) -> Response {
        Response::json(status, &serde_json::json!({ "error": message }))
    }

    pub fn text(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response::new(status, TEXT, body)
    }

    pub fn xml(body: impl Into<Vec<u8>>) -> Response {
        Response::new(200, XML, body)
    }

    pub fn html(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response::new(status, HTML, body)
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    /// A refused machine request: JSON endpoints get the error as JSON, text and XML endpoints (PBXs,
    /// phones) an empty body, because they would show any text as a caller's name.
    pub fn unauthorized(e: &AuthError, json: bool) -> Response {
        let status = match e {
            AuthError::Missing | AuthError::Invalid => 401,
            AuthError::Store(_) => 503,
            _ => 403,
        };
        let r = if json {
            Response::error(status, &e.to_string())
        } else {
            Response::text(status, "")
        };
        if status == 401 {
            r.with_header("WWW-Authenticate", "Bearer realm=\"ringbook\"")
        } else {
            r
        }
    }
}

/// Binds the listener and runs the server until the process ends. Returns only if binding fails.
/// `on_ready` runs once the socket is bound, so what it logs comes right after the "listening" line.
pub fn serve(
    config: Config,
    store: Store,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), String> {
    return_large_blocks();
    let listener = listener::bind(config.listen, config.io_timeout)
        .map_err(|e| format!("ringbook could not listen on {}: {e}", config.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    log::info!(
        "ringbook listening on http://{local}/ with {} workers",
        config.workers
    );
    on_ready(local);
    let https_port = start_https(&store, &config, local);

    let (responder, pending) = crossbeam_channel::unbounded::<Pending>();
    let app = Arc::new(App {
        store,
        metrics: Metrics::new(),
        started: Instant::now(),
        responder,
        https_port,
    });
    for i in 0..RESPONDERS {
        let (pending, app) = (pending.clone(), app.clone());
        crate::vital::spawn(format!("http-respond-{i}"), move || {
            for p in pending {
                let r = p.rx.recv_timeout(LATER_TIMEOUT).unwrap_or(p.fallback);
                app.metrics.record(p.route, r.status, p.start.elapsed());
                send(p.rq, r, p.body_read);
            }
        })
        .map_err(|e| e.to_string())?;
    }
    let (to_pages, pages) = crossbeam_channel::unbounded::<tiny_http::Request>();
    for i in 0..PAGE_WORKERS {
        let (pages, app) = (pages.clone(), app.clone());
        let mut ctx =
            Ctx::new(app).map_err(|e| format!("a page worker could not open the database: {e}"))?;
        crate::vital::spawn(format!("http-page-{i}"), move || {
            lower_priority();
            for rq in pages {
                handle(&mut ctx, rq);
            }
        })
        .map_err(|e| e.to_string())?;
    }
    let ctxs = (0..config.workers)
        .map(|_| Ctx::new(app.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("a worker could not open the database: {e}"))?;
    // Connections wait in the listen queue until every worker holds its database connection: a
    // flood that arrived first could otherwise take the descriptors a worker still needs.
    let server = tiny_http::Server::from_listener(listener, None).map_err(|e| e.to_string())?;
    listener::keep_accept_alive(local, HEARTBEAT);
    guard::start(local.port(), connections_per_client(&app.store));
    let server = Arc::new(server);
    let mut handles = Vec::new();
    for (i, mut ctx) in ctxs.into_iter().enumerate() {
        let (server, to_pages) = (server.clone(), to_pages.clone());
        let h = crate::vital::spawn(format!("http-{i}"), move || {
            worker(&server, &mut ctx, &to_pages)
        })
        .map_err(|e| e.to_string())?;
        handles.push(h);
    }
    release_startup_memory();
    for h in handles {
        let _ = h.join();
    }
    Err("the HTTP server stopped accepting connections".into())
}

/// The per-client connection limit (`http.connections_per_client`), read once at the start.
fn connections_per_client(store: &Store) -> usize {
    store
        .reader()
        .ok()
        .and_then(|r| Settings::load(&r).ok())
        .and_then(|s| s.get("http.connections_per_client").parse().ok())
        .unwrap_or(guard::PER_CLIENT)
}

/// Starts the HTTPS listener (`web.https_port`, 0 = off) in front of the HTTP one and returns its
/// port. A port that is taken only costs HTTPS: plain HTTP keeps serving.
fn start_https(store: &Store, config: &Config, local: SocketAddr) -> Option<u16> {
    let port = store
        .reader()
        .ok()
        .and_then(|r| Settings::load(&r).ok())
        .and_then(|s| s.get("web.https_port").parse::<u16>().ok())
        .unwrap_or(0);
    if port == 0 {
        return None;
    }
    match tls::start(store, config.listen.ip(), port, local, config.io_timeout) {
        Ok(addr) => Some(addr.port()),
        Err(e) => {
            log::warn!("HTTPS is off: {e}");
            None
        }
    }
}

fn worker(server: &tiny_http::Server, ctx: &mut Ctx, to_pages: &Sender<tiny_http::Request>) {
    loop {
        let rq = match server.recv() {
            Ok(rq) => rq,
            Err(e) => {
                // The accept loop has ended; nothing more will arrive. Exit so a supervisor restarts us.
                log::error!("the HTTP server stopped: {e}");
                std::process::exit(crate::vital::RESTART);
            }
        };
        if routes::is_page(rq.url()) {
            // A page can take tens of milliseconds (a weekly report over a year of calls, a click-to-
            // call waiting on a desk phone); it must not keep a ringing phone's lookup waiting.
            if let Err(e) = to_pages.send(rq) {
                handle(ctx, e.into_inner());
            }
            continue;
        }
        handle(ctx, rq);
    }
}

/// Threads that answer the admin UI's pages (see [`routes::is_page`]), apart from the workers that
/// answer phones, PBXs and the API.
const PAGE_WORKERS: usize = 3;

/// Lowers the calling thread's CPU priority (nice 10), so that when a report and a burst of lookups
/// compete for the cores, the lookups win. Linux applies `setpriority` to a single thread id.
///
/// Not `SCHED_IDLE`, though it halved the mixed-load lookup p99 while the cores had time to spare: once
/// they were saturated, a starved page worker held something the lookups wait for (an allocator arena
/// or the kernel's memory-map lock are the likely ones), and lookup p99 rose from 15 ms to 59–200 ms.
/// Nice 10 still gives a page worker a share of the CPU, so such a hold ends quickly.
fn lower_priority() {
    // SAFETY: plain libc calls with valid arguments; a failure only leaves the priority as it was.
    let ok = unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10) == 0
    };
    if !ok {
        log::debug!(
            "page worker keeps normal priority: {}",
            io::Error::last_os_error()
        );
    }
}

/// Makes every block of 1 MiB or more its own mapping, returned to the OS when freed. glibc starts
/// out that way from 128 KiB, but once such a block is freed it raises the limit to that block's
/// size, and from then on blocks that large come from the arena of the thread that asks and stay
/// there. A login's password hash needs 19 MiB, so each worker that had handled a login kept 19 MiB
/// for good: 16 logins on 4 connections left the server at 134 MB resident instead of 18. A fixed
/// limit turns the raising off. Blocks this large are rare (password hashes, a backup's key), so
/// mapping each costs nothing a lookup would notice.
fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tunables; a failure leaves them as they were.
    unsafe {
        if libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20) == 0 {
            log::debug!("the allocator keeps its own limit for mapped blocks");
        }
    }
}

/// Gives the memory that starting up freed back to the OS. Migrations, the settings, decoding the
/// number library's metadata and opening the connections leave free blocks in the allocator's
/// arenas, which glibc keeps mapped; on the idle server that was 0.3–0.7 MB of resident memory
/// nobody would use again soon.
fn release_startup_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the OS; 0 keeps no extra padding.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn handle(ctx: &mut Ctx, mut rq: tiny_http::Request) {
    let start = Instant::now();
    ctx.refresh();
    let remote = rq
        .remote_addr()
        .copied()
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
    // A connection from the HTTPS proxy stands for its real client (see tls.rs).
    let (remote, via_tls) = tls::client_of(remote);
    // Whether every byte of the request's body has been read (see [`send`]): a body ringbook reads
    // is read to its end, or refused by `read_request` before or while it is read.
    let mut body_read = rq.body_length().unwrap_or(0) == 0
        && rq
            .headers()
            .iter()
            .all(|h| !h.field.equiv("Transfer-Encoding"));
    if !via_tls {
        if let Some(r) = to_https(ctx, &rq) {
            ctx.app
                .metrics
                .record(routes::NO_ROUTE, r.status, start.elapsed());
            send(rq, r, body_read);
            return;
        }
    }
    let (route_idx, response) = match read_request(&mut rq, remote) {
        Ok(mut req) => {
            body_read |= matches!(req.method, Method::Post | Method::Put | Method::Patch);
            req.headers.retain(|(k, _)| k != tls::MARK);
            if via_tls {
                req.headers.push((tls::MARK.to_string(), "1".to_string()));
            }
            // A panic in a handler is a bug, but it must cost one request, not a worker thread: the
            // request gets a 500 and the worker carries on.
            let declared = rq.body_length().unwrap_or(0);
            let dispatched = if streams_body(req.method, &req.path, declared, &req.headers) {
                dispatch_upload(ctx, &mut rq, &req)
            } else {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    routes::dispatch(ctx, &req)
                }))
            };
            let (idx, r) = dispatched.unwrap_or_else(|_| {
                log::error!(
                    "a handler panicked on {} {}; answered 500",
                    method_label(req.method),
                    req.path
                );
                (
                    routes::NO_ROUTE,
                    Response::error(
                        500,
                        "ringbook hit an internal error; the request was not completed",
                    ),
                )
            });
            let r = if req.method == Method::Head {
                Response {
                    body: Vec::new(),
                    file: None,
                    ..r
                }
            } else {
                r
            };
            (idx, r)
        }
        Err(r) => (routes::NO_ROUTE, r),
    };
    let response = if via_tls {
        tls::secure_cookies(response)
    } else {
        response
    };
    if let Some(rx) = response.later {
        let p = Pending {
            rq,
            rx,
            fallback: Response {
                later: None,
                ..response
            },
            route: route_idx,
            start,
            body_read,
        };
        if let Err(e) = ctx.app.responder.send(p) {
            log::error!("a deferred answer was lost because the responders stopped: {e}");
        }
        return;
    }
    let took = start.elapsed();
    ctx.app.metrics.record(route_idx, response.status, took);
    // Pages and API answers say how long the server spent on them (W3C Server-Timing), so a browser's
    // dev tools and scripts/bench.sh see server time apart from the network. Lookups, which phones
    // read, stay as small as they were.
    let response = match routes::ROUTES.get(route_idx) {
        Some(r) if !r.lookup => response.with_header(
            "Server-Timing",
            format!("app;dur={:.3}", took.as_secs_f64() * 1000.0),
        ),
        _ => response,
    };
    if let Some(stream) = response.stream {
        let mut w = rq.into_writer();
        let spawned = thread::Builder::new()
            .name("http-stream".into())
            .spawn(move || stream(&mut *w));
        if let Err(e) = spawned {
            log::warn!("a streaming answer could not start: {e}");
        }
        return;
    }
    send(rq, response, body_read);
}

/// With `web.https_only` on, a browser asking for a web UI page over plain HTTP is sent to the same
/// page over HTTPS, where every cookie is `Secure`. Only `GET` and `HEAD` of pages: phones, PBXs and
/// the API stay on plain HTTP, since many phones can't check the box's self-signed certificate. A 307,
/// not a 301, because browsers keep a 301 for good and the owner may turn the setting off again. A
/// request without a usable `Host` is answered as it is.
fn to_https(ctx: &Ctx, rq: &tiny_http::Request) -> Option<Response> {
    let port = ctx.app.https_port?;
    if !ctx.settings().flag("web.https_only")
        || !matches!(
            rq.method(),
            tiny_http::Method::Get | tiny_http::Method::Head
        )
        || !routes::is_page(rq.url())
    {
        return None;
    }
    let host = rq.headers().iter().find(|h| h.field.equiv("Host"))?;
    let name = request::host_name(host.value.as_str())?;
    let to = format!("https://{name}:{port}{}", rq.url());
    Some(Response::new(307, HTML, Vec::new()).with_header("Location", to))
}

fn method_label(m: Method) -> &'static str {
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

/// Writes a finished response to its connection. Every body goes with a Content-Length, never
/// chunked: tiny_http would chunk bodies from 32 KB on (a phone book of a few hundred entries), and
/// the small HTTP clients in desk phones are the last place to rely on for chunked decoding.
///
/// A body in memory (every answer but a backup download) goes out as one buffer, status line and
/// headers included, written once: tiny_http's own response path formatted each header through
/// `fmt` into allocated strings, 7% of a lookup's instructions in the server, and wrote a body that
/// didn't fit its 1 KB buffer in a second `send`. That needs the connection's writer, which tiny_http
/// hands out only by dropping the request, and dropping it first reads the rest of an unread body
/// off the socket: a refused 2 MB upload would wait for bytes the client never sends before it got
/// its 413. So an answer to a request whose body was not read to its end (`body_read` false) goes
/// through tiny_http, which sends first and drains after.
fn send(rq: tiny_http::Request, response: Response, body_read: bool) {
    let Response {
        status,
        content_type,
        body,
        headers,
        file,
        ..
    } = response;
    if file.is_some() || !body_read {
        let mut all = vec![
            header("Content-Type", content_type),
            header("X-Content-Type-Options", "nosniff"),
        ];
        all.extend(headers.iter().map(|(n, v)| header(n, v)));
        let code = tiny_http::StatusCode(status);
        // tiny_http drains an unread body after it sent the answer: a body read for the guard.
        let _draining = (!body_read).then(|| guard::reading(rq.remote_addr()));
        let sent = match file {
            Some(file) => {
                let (file, len) = *file;
                rq.respond(
                    tiny_http::Response::new(code, all, file, usize::try_from(len).ok(), None)
                        .with_chunked_threshold(usize::MAX),
                )
            }
            None => {
                let len = body.len();
                rq.respond(
                    tiny_http::Response::new(code, all, &body[..], Some(len), None)
                        .with_chunked_threshold(usize::MAX),
                )
            }
        };
        if let Err(e) = sent {
            log::debug!("a client went away before its answer was sent: {e}");
        }
        return;
    }
    let version = rq.http_version();
    let (major, minor) = (version.0, version.1);
    let wire = response_bytes(major, minor, status, content_type, &headers, &body);
    let mut w = rq.into_writer();
    if let Err(e) = w.write_all(&wire).and_then(|()| w.flush()) {
        log::debug!("a client went away before its answer was sent: {e}");
    }
}

/// The whole HTTP/1.x response for a body in memory: status line, `Date`, `Content-Type`,
/// `X-Content-Type-Options`, the response's own headers, `Content-Length` and the body. A
/// header value with a line break (only ever a bug here) is left out rather than let split the
/// response.
fn response_bytes(
    major: u8,
    minor: u8,
    status: u16,
    content_type: &str,
    headers: &[(&'static str, String)],
    body: &[u8],
) -> Vec<u8> {
    use std::io::Write as _;
    // 1xx, 204 and 304 answers have no body (RFC 9110 §6.4.1).
    let body = match status {
        100..=199 | 204 | 304 => &[][..],
        _ => body,
    };
    let mut out = Vec::with_capacity(256 + body.len());
    let reason = tiny_http::StatusCode(status).default_reason_phrase();
    let _ = write!(out, "HTTP/{major}.{minor} {status} {reason}\r\n");
    HTTP_DATE.with(|d| out.extend_from_slice(d.borrow_mut().now().as_bytes()));
    let mut line = |name: &str, value: &str| {
        if value.bytes().any(|b| b == b'\r' || b == b'\n') {
            log::warn!("a {name} header with a line break was left out of a response");
            return;
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    };
    line("Content-Type", content_type);
    line("X-Content-Type-Options", "nosniff");
    for (name, value) in headers {
        line(name, value);
    }
    let _ = write!(out, "Content-Length: {}\r\n\r\n", body.len());
    out.extend_from_slice(body);
    out
}

/// The `Date` header line, formatted once a second per thread.
struct HttpDate {
    second: i64,
    line: String,
}

impl HttpDate {
    fn now(&mut self) -> &str {
        let now = jiff::Timestamp::now();
        if now.as_second() != self.second || self.line.is_empty() {
            self.second = now.as_second();
            self.line = match jiff::fmt::rfc2822::DateTimePrinter::new()
                .timestamp_to_rfc9110_string(&now)
            {
                Ok(d) => format!("Date: {d}\r\n"),
                Err(_) => String::new(),
            };
        }
        &self.line
    }
}

thread_local! {
    static HTTP_DATE: std::cell::RefCell<HttpDate> = const {
        std::cell::RefCell::new(HttpDate { second: 0, line: String::new() })
    };
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    // Only our own constant names and values built by us reach here; a value with a newline would be
    // rejected, so fall back to a harmless header rather than panic.
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap_or_else(|_| {
        tiny_http::Header::from_bytes(&b"X-Dropped-Header"[..], &b"1"[..])
            .expect("constant header is valid")
    })
}

/// Whether the request's body is left on the connection for its handler to stream: a large `POST`
/// to [`UPLOAD_PATH`] from a browser (a session cookie); smaller ones are read like any other.
fn streams_body(method: Method, path: &str, declared: usize, headers: &[(String, String)]) -> bool {
    path == UPLOAD_PATH
        && method == Method::Post
        && declared > MAX_BODY
        && headers.iter().any(|(k, _)| k == "cookie")
}

/// Dispatches an upload whose body is streamed: one at a time ([`UPLOADING`]); a scoped thread reads
/// the socket into the handler's [`UploadBody`] and drains what the handler leaves.
fn dispatch_upload(
    ctx: &mut Ctx,
    rq: &mut tiny_http::Request,
    req: &Request,
) -> std::thread::Result<(usize, Response)> {
    use std::sync::atomic::Ordering::SeqCst;
    if UPLOADING
        .compare_exchange(false, true, SeqCst, SeqCst)
        .is_err()
    {
        return Ok((
            routes::NO_ROUTE,
            Response::error(
                503,
                "another backup is being uploaded; try again when it has finished",
            ),
        ));
    }
    let (tx, body) = upload::channel();
    let reading = guard::reading(rq.remote_addr());
    let dispatched = thread::scope(|s| {
        let pumping = thread::Builder::new()
            .name("http-upload".into())
            .spawn_scoped(s, move || upload::pump(rq.as_reader(), tx));
        if let Err(e) = pumping {
            log::error!("an upload could not be read: {e}");
            return Ok((
                routes::NO_ROUTE,
                Response::error(503, "the upload could not be read; try again"),
            ));
        }
        ctx.upload = Some(body);
        let d =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| routes::dispatch(ctx, req)));
        // Whatever the handler did not read is drained by the pump before the scope ends.
        ctx.upload = None;
        d
    });
    drop(reading);
    UPLOADING.store(false, SeqCst);
    dispatched
}

/// Turns a tiny_http request into ours, reading the body up to [`MAX_BODY`] (a streamed upload's body
/// is left for its handler, see [`streams_body`]).
fn read_request(rq: &mut tiny_http::Request, remote: SocketAddr) -> Result<Request, Response> {
    check_header_size(rq)?;
    let method = Method::from(rq.method());
    let url = rq.url().to_string();
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (url, String::new()),
    };
    let headers: Vec<(String, String)> = rq
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_ascii_lowercase(),
                h.value.as_str().to_string(),
            )
        })
        .collect();
    let declared = rq.body_length().unwrap_or(0);
    if streams_body(method, &path, declared, &headers) {
        if declared as u64 > MAX_UPLOAD {
            return Err(Response::error(
                413,
                &format!(
                    "the upload is larger than {} GiB, the most a restore takes",
                    MAX_UPLOAD >> 30
                ),
            ));
        }
        return Ok(Request {
            method,
            path,
            query,
            headers,
            remote,
            body: Vec::new(),
        });
    }
    let limit = MAX_BODY;
    if declared > limit {
        return Err(too_large());
    }
    let mut body = Vec::new();
    let read = if matches!(method, Method::Post | Method::Put | Method::Patch) {
        let _reading = guard::reading(rq.remote_addr());
        let mut limited = rq.as_reader().take(limit as u64 + 1);
        limited.read_to_end(&mut body).map(|_| ())
    } else {
        Ok(())
    };
    if let Err(e) = read {
        return Err(Response::error(
            400,
            &format!("the request body could not be read: {e}"),
        ));
    }
    if body.len() > limit {
        return Err(too_large());
    }
    Ok(Request {
        method,
        path,
        query,
        headers,
        remote,
        body,
    })
}

/// Refuses a request whose target or header is past [`MAX_TARGET`], [`MAX_HEADER_FIELDS`] or
/// [`MAX_HEADER_BYTES`].
fn check_header_size(rq: &tiny_http::Request) -> Result<(), Response> {
    let target = rq.url().len();
    if target > MAX_TARGET {
        return Err(Response::error(
            414,
            &format!(
                "the request's address (path and query) is {target} bytes long; ringbook takes at most {} KiB",
                MAX_TARGET / 1024
            ),
        ));
    }
    let fields = rq.headers().len();
    let bytes: usize = rq
        .headers()
        .iter()
        .map(|h| h.field.as_str().len() + h.value.len() + 4)
        .sum();
    if fields > MAX_HEADER_FIELDS || bytes > MAX_HEADER_BYTES {
        return Err(Response::error(
            431,
            &format!(
                "the request's header has {fields} fields and {bytes} bytes; ringbook takes at most {MAX_HEADER_FIELDS} fields and {} KiB",
                MAX_HEADER_BYTES / 1024
            ),
        ));
    }
    Ok(())
}

fn too_large() -> Response {
    Response::error(
        413,
        &format!(
            "the request body is larger than {} KiB; send less at once",
            MAX_BODY / 1024
        ),
    )
}

/// The address of a peer as logged: the IP only.
pub fn peer(req: &Request) -> IpAddr {
    req.remote.ip()
}
