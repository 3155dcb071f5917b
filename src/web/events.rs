//! `GET /events`: Server-Sent Events for the logged-in browser, fed by `journal::notify`.
//!
//! Each change becomes an `event: call` with the call's id, what happened, and, for an incoming call
//! that starts ringing and concerns this user, `notify: true` with the notification's title and text.
//! The browser (assets/app.js) shows the desktop notification and refreshes the live parts of the page.
//! Outbound calls never notify (seed 003): the journal sets `notify` false for them and we keep it.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::RecvTimeoutError;
use serde::Serialize;

use super::session::Session;
use super::{gate, Me};
use crate::http::routes::Params;
use crate::http::{App, Ctx, Request, Response};
use crate::journal::{notify, view, CallChanged, ChangeKind, Direction};
use crate::settings::Settings;
use crate::store::Reader;

/// Keep-alive comment interval: proxies and browsers drop silent streams.
const PING: Duration = Duration::from_secs(15);

#[derive(Serialize)]
struct Event {
    id: i64,
    kind: ChangeKind,
    notify: bool,
    title: String,
    body: String,
    url: String,
    /// The screen-pop actions (see `screenpop.rs`) when this event notifies: the pop-up offers them
    /// as buttons and app.js opens one by itself when its `triggerImmediately` says so.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    actions: Vec<crate::screenpop::Action>,
    /// The pop-up's own button words, in the user's language.
    #[serde(skip_serializing_if = "Option::is_none")]
    labels: Option<Labels>,
}

#[derive(Serialize)]
struct Labels {
    open_call: &'static str,
    close: &'static str,
}

/// Whether `s` should get a desktop notification for this call: an incoming call that starts ringing,
/// that the journal lets notify, and (unless `notify.everyone`) rings on the user's extension. A user
/// linked to no employee gets every notification: they have told us no extension to filter by.
fn concerns(settings: &Settings, s: &Session, d: &view::CallDetail) -> bool {
    if !d.call.notify || d.call.direction != Direction::In {
        return false;
    }
    if settings.flag("notify.everyone") {
        return true;
    }
    match s.employee_id {
        None => true,
        Some(me) => {
            d.call.employee.as_ref().map(|e| e.id) == Some(me)
                || d.legs
                    .iter()
                    .any(|l| l.employee.as_ref().map(|e| e.id) == Some(me))
        }
    }
}

fn event_for(reader: &Reader, me: &Me, ch: &CallChanged) -> Option<Event> {
    let d = view::detail(reader, ch.call_id).ok()??;
    let settings = Settings::load(reader).ok()?;
    if !me.s.is_admin()
        && settings.flag("web.staff_own_calls_only")
        && (me.s.employee_id.is_none()
            || d.call.employee.as_ref().map(|e| e.id) != me.s.employee_id)
    {
        return None;
    }
    let notify = ch.notify && ch.kind == ChangeKind::Ringing && concerns(&settings, &me.s, &d);
    let c = &d.call;
    let title = super::calls::party(me, c);
    let number = c
        .remote
        .e164
        .clone()
        .unwrap_or_else(|| c.remote.raw.clone());
    let body = match (&c.contact, &c.line) {
        (Some(_), Some(l)) => format!("{number} · {}", l.name),
        (Some(_), None) => number,
        (None, Some(l)) => format!("{} {}", me.t("notify.line"), l.name),
        (None, None) => me.t("call.unknown_caller").to_string(),
    };
    let actions = if notify {
        let model = settings.number_model();
        let rule = crate::screenpop::OpenRule::from_settings(&settings);
        crate::screenpop::actions(reader, &model, rule, &d, me.t("call.create_contact"))
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    Some(Event {
        id: c.id.0,
        kind: ch.kind,
        notify,
        title,
        body,
        url: format!("/calls/{}", c.id.0),
        actions,
        labels: notify.then(|| Labels {
            open_call: me.t("pop.open_call"),
            close: me.t("pop.close"),
        }),
    })
}

fn run(app: Arc<App>, me: Me, w: &mut dyn Write) {
    let rx = notify::subscribe(256);
    let reader = match app.store.background_reader() {
        Ok(r) => r,
        Err(e) => {
            log::warn!("the event stream could not open the database: {e}");
            return;
        }
    };
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\nretry: 3000\n\n";
    if w.write_all(head.as_bytes())
        .and_then(|_| w.flush())
        .is_err()
    {
        return;
    }
    loop {
        let out = match rx.recv_timeout(PING) {
            Ok(ch) => match event_for(&reader, &me, &ch) {
                Some(ev) => match serde_json::to_string(&ev) {
                    Ok(j) => format!("event: call\ndata: {j}\n\n"),
                    Err(_) => continue,
                },
                None => continue,
            },
            Err(RecvTimeoutError::Timeout) => ": ping\n\n".to_string(),
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if w.write_all(out.as_bytes()).and_then(|_| w.flush()).is_err() {
            return;
        }
    }
}

/// `GET /events`: session-authenticated; the stream runs on its own thread until the browser leaves.
pub fn events(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(_) => return super::secure(Response::text(401, "log in first")),
    };
    let app = ctx.app.clone();
    let mut r = Response::text(200, "");
    r.stream = Some(Box::new(move |w: &mut dyn Write| run(app, me, w)));
    r
}
