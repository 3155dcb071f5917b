//! The dashboard, the call log with its filters and CSV export, the missed-call worklist and the call
//! detail with its comments, tasks and handling.

use maud::{html, Markup};

use super::layout::{csrf, dash, duration, layout, notice};
use super::{download, field, form_of, gate, page, redirect, store_error, text, Me};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::journal::view::{self, Call, CallFilter};
use crate::journal::{self, CallId, CallPatch, Direction, Status};
use crate::store;

/// Keeps a listing to the calls the user may see: with `web.staff_own_calls_only`, staff see their
/// own calls only, wherever calls are listed (the call log, the dashboard, a contact's history).
pub(super) fn restrict(ctx: &Ctx, me: &Me, f: &mut CallFilter) {
    if !me.s.is_admin() && ctx.settings().flag("web.staff_own_calls_only") {
        // A staff user linked to no employee sees nothing rather than everything.
        f.employee = Some(me.s.employee_id.unwrap_or(-1));
    }
}

/// Whether the user may see this call (same rule as [`restrict`]).
fn may_see(ctx: &Ctx, me: &Me, c: &Call) -> bool {
    me.s.is_admin()
        || !ctx.settings().flag("web.staff_own_calls_only")
        || (me.s.employee_id.is_some() && c.employee.as_ref().map(|e| e.id) == me.s.employee_id)
}

fn status_key(s: Status) -> &'static str {
    match s {
        Status::Ringing => "status.ringing",
        Status::Answered => "status.answered",
        Status::Missed => "status.missed",
        Status::NotAnswered => "status.not_answered",
        Status::Busy => "status.busy",
        Status::Failed => "status.failed",
    }
}

fn direction_key(d: Direction) -> &'static str {
    match d {
        Direction::In => "dir.in",
        Direction::Out => "dir.out",
        Direction::Internal => "dir.internal",
        Direction::Unknown => "dir.unknown",
    }
}

/// Who the other party is: the contact's name and company, else the number.
pub fn party(me: &Me, c: &Call) -> String {
    match &c.contact {
        Some(k) if !k.company.is_empty() && k.company != k.name => {
            format!("{} ({})", k.name, k.company)
        }
        Some(k) => k.name.clone(),
        None if c.remote.raw.is_empty() || c.remote.raw == "anonymous" => {
            me.t("call.anonymous").to_string()
        }
        None => c
            .remote
            .e164
            .clone()
            .unwrap_or_else(|| c.remote.raw.clone()),
    }
}

/// One row of a call table.
pub fn call_row(me: &Me, c: &Call, select: bool) -> Markup {
    html! {
        tr class=(format!("call {}", c.status.as_str())) data-call=(c.id.0) {
            @if select {
                td { @if c.ended_at.is_some() { input type="checkbox" name="id" value=(c.id.0) form="bulk"; } }
            }
            td.time { a href=(format!("/calls/{}", c.id.0)) { (me.time(c.started_at)) } }
            td.dir title=(me.t(direction_key(c.direction))) {
                (match c.direction { Direction::In => "↘", Direction::Out => "↗", _ => "↔" })
                span.sr { (me.t(direction_key(c.direction))) }
            }
            td { a href=(format!("/calls/{}", c.id.0)) { (party(me, c)) }
                 @if c.contact.is_some() { br; small.muted { (c.remote.e164.as_deref().unwrap_or(&c.remote.raw)) } } }
            td { @match &c.line { Some(l) => { (l.name) }, None => { (dash()) } } }
            td { @match (&c.employee, &c.extension) {
                (Some(e), Some(x)) => { (e.name) " (" (x) ")" },
                (Some(e), None) => { (e.name) },
                (None, Some(x)) => { (x) },
                (None, None) => { (dash()) },
            } }
            td { span class=(format!("badge {}", c.status.as_str())) { (me.t(status_key(c.status))) } }
            td.num { @if c.duration > 0 { (duration(c.duration)) } @else { (dash()) } }
            td { @if c.status == Status::Missed {
                @if c.handling.status == "open" { span.badge.open { (me.t("handling.open")) } }
                @else { span.badge.handled { (me.t("handling.handled")) } }
            } }
        }
    }
}

fn call_table(me: &Me, calls: &[Call], select: bool) -> Markup {
    html! {
        @if calls.is_empty() {
            p.muted { (me.t("calls.none")) }
        } @else {
            div.scroll {
                table.calls {
                    thead { tr {
                        @if select { th {} }
                        th { (me.t("col.time")) } th { span.sr { (me.t("col.direction")) } }
                        th { (me.t("col.caller")) } th { (me.t("col.line")) } th { (me.t("col.employee")) }
                        th { (me.t("col.status")) } th { (me.t("col.duration")) } th { (me.t("col.handling")) }
                    } }
                    tbody { @for c in calls { (call_row(me, c, select)) } }
                }
            }
        }
    }
}

/// Parses a `YYYY-MM-DD` date as the start of that day in the office's time zone.
fn day_start(me: &Me, s: &str) -> Option<i64> {
    let d: jiff::civil::Date = s.trim().parse().ok()?;
    Some(d.to_zoned(me.tz.clone()).ok()?.timestamp().as_second())
}

/// The start of today in the office's time zone.
pub fn today_start(me: &Me) -> i64 {
    let now = jiff::Timestamp::now().to_zoned(me.tz.clone());
    now.date()
        .to_zoned(me.tz.clone())
        .map(|z| z.timestamp().as_second())
        .unwrap_or(store::now() - 86_400)
}

/// The call-log filter from the query string. Unknown values are ignored rather than refused: the
/// form only offers valid ones.
fn filter_from(ctx: &Ctx, me: &Me, req: &Request) -> CallFilter {
    let p = |n: &str| {
        req.param(n)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let mut f = CallFilter {
        limit: view::DEFAULT_LIMIT,
        ..CallFilter::default()
    };
    f.since = p("from").and_then(|d| day_start(me, &d));
    f.until = p("to").and_then(|d| day_start(me, &d)).map(|t| t + 86_400);
    if let Some(d) = p("dir").and_then(|d| Direction::parse(&d)) {
        f.directions = vec![d];
    }
    if let Some(s) = p("status").and_then(|s| Status::parse(&s)) {
        f.statuses = vec![s];
    }
    f.extension = p("ext");
    f.employee = p("employee").and_then(|e| e.parse().ok());
    f.line = p("line").and_then(|l| l.parse().ok());
    if let Some(q) = p("q") {
        if view::is_name_search(&q) {
            // A name: the calls of the contacts called that, through `calls_by_contact`.
            f.contact_ids = Some(view::contacts_named(&ctx.reader, &q).unwrap_or_default());
        } else {
            // A browser sends a space in the search box as `+`; only a leading `+` is the number's.
            let q = match q.split_at_checked(1) {
                Some((head, rest)) => format!("{head}{}", rest.replace('+', " ")),
                None => q,
            };
            f.remote_key = match ctx.model().normalize(&q) {
                Ok(n) => journal::remote_key(&n),
                Err(_) => Some(q),
            };
        }
    }
    f.after = p("cursor").and_then(|c| view::decode_cursor(&c));
    restrict(ctx, me, &mut f);
    f
}

fn query_without_cursor(req: &Request) -> String {
    req.params()
        .into_iter()
        .filter(|(k, _)| k != "cursor")
        .map(|(k, v)| {
            format!(
                "{}={}",
                crate::provision::url_encode(&k),
                crate::provision::url_encode(&v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `GET /`: calls ringing now, today's calls and open missed calls; for admins also the state of the
/// PBX sources and upstream sync.
pub fn dashboard(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut today = CallFilter {
        since: Some(today_start(&me)),
        limit: 200,
        ..CallFilter::default()
    };
    restrict(ctx, &me, &mut today);
    let mut missed = CallFilter {
        statuses: vec![Status::Missed],
        handled: Some(false),
        limit: 10,
        ..CallFilter::default()
    };
    restrict(ctx, &me, &mut missed);
    let (today, missed) = match (
        view::list(&ctx.reader, &today),
        view::list(&ctx.reader, &missed),
    ) {
        (Ok(a), Ok(b)) => (a.calls, b.calls),
        (Err(e), _) | (_, Err(e)) => return store_error(&e),
    };
    let ringing: Vec<Call> = today
        .iter()
        .filter(|c| c.ended_at.is_none())
        .cloned()
        .collect();
    let count = |d: Direction| today.iter().filter(|c| c.direction == d).count();
    let body = html! {
        div #live {
            section.cards {
                div.card { div.big { (ringing.len()) } div { (me.t("dash.now")) } }
                div.card { div.big { (count(Direction::In)) } div { (me.t("dash.in_today")) } }
                div.card { div.big { (count(Direction::Out)) } div { (me.t("dash.out_today")) } }
                div.card { div.big { (missed.len()) @if missed.len() >= 10 { "+" } } div { (me.t("dash.open_missed")) } }
            }
            h2 { (me.t("dash.now")) }
            (call_table(&me, &ringing, false))
            h2 { (me.t("dash.open_missed")) }
            (call_table(&me, &missed, false))
            h2 { (me.t("dash.today")) }
            (call_table(&me, &today, false))
        }
        // The PBX links and upstream sync, for whoever can fix them.
        @if me.s.is_admin() { (super::integrations::status_section(ctx, &me)) }
    };
    page(200, layout(&me, me.t("nav.dashboard"), "dashboard", body))
}

/// `GET /calls`: the call log with filters and keyset pagination.
pub fn list(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let f = filter_from(ctx, &me, req);
    let pg = match view::list(&ctx.reader, &f) {
        Ok(p) => p,
        Err(e) => return store_error(&e),
    };
    let lines = ctx.reader.lines().unwrap_or_default();
    let employees = ctx.reader.employees().unwrap_or_default();
    let v = |n: &str| req.param(n).unwrap_or_default();
    let qs = query_without_cursor(req);
    let body = html! {
        form.filters method="get" action="/calls" {
            label { (me.t("filter.from")) input type="date" name="from" value=(v("from")); }
            label { (me.t("filter.to")) input type="date" name="to" value=(v("to")); }
            label { (me.t("col.direction"))
                select name="dir" {
                    option value="" { (me.t("filter.any")) }
                    @for d in [Direction::In, Direction::Out] {
                        option value=(d.as_str()) selected[v("dir") == d.as_str()] { (me.t(direction_key(d))) }
                    }
                }
            }
            label { (me.t("col.status"))
                select name="status" {
                    option value="" { (me.t("filter.any")) }
                    @for s in Status::ALL {
                        option value=(s.as_str()) selected[v("status") == s.as_str()] { (me.t(status_key(s))) }
                    }
                }
            }
            label { (me.t("col.employee"))
                select name="employee" {
                    option value="" { (me.t("filter.any")) }
                    @for e in &employees {
                        option value=(e.id) selected[v("employee") == e.id.to_string()] { (e.name) }
                    }
                }
            }
            label { (me.t("filter.extension")) input name="ext" value=(v("ext")) size="5" inputmode="numeric"; }
            label { (me.t("col.line"))
                select name="line" {
                    option value="" { (me.t("filter.any")) }
                    @for l in &lines {
                        option value=(l.id) selected[v("line") == l.id.to_string()] { (l.name) }
                    }
                }
            }
            label { (me.t("filter.number")) input type="search" name="q" value=(v("q")); }
            button type="submit" { (me.t("action.filter")) }
            a.button.secondary href=(format!("/calls.csv?{qs}")) { (me.t("action.export_csv")) }
        }
        div #live { (call_table(&me, &pg.calls, false)) }
        @if let Some(c) = &pg.next_cursor {
            p { a.button.secondary href=(format!("/calls?{qs}&cursor={c}")) { (me.t("action.older")) } }
        }
    };
    page(200, layout(&me, me.t("nav.calls"), "calls", body))
}

/// `GET /calls.csv`: the filtered log as CSV, every call it holds, newest first, as a download sent
/// from a file ([`super::download`]).
pub fn csv_export(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut f = filter_from(ctx, &me, req);
    f.after = None;
    f.limit = view::MAX_LIMIT;
    let reader = &ctx.reader;
    download(ctx, "text/csv; charset=utf-8", "calls.csv", |out| {
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
            "id",
            "started",
            "direction",
            "status",
            "number",
            "contact",
            "line",
            "extension",
            "employee",
            "duration_s",
            "handling",
            "description",
        ])
        .map_err(|e| e.to_string())?;
        loop {
            let pg = view::list(reader, &f).map_err(|e| e.to_string())?;
            for c in &pg.calls {
                crate::export::write_safe(
                    &mut w,
                    [
                        c.id.0.to_string(),
                        me.time(c.started_at),
                        c.direction.as_str().to_string(),
                        c.status.as_str().to_string(),
                        c.remote
                            .e164
                            .clone()
                            .unwrap_or_else(|| c.remote.raw.clone()),
                        c.contact
                            .as_ref()
                            .map(|k| k.name.clone())
                            .unwrap_or_default(),
                        c.line.as_ref().map(|l| l.name.clone()).unwrap_or_default(),
                        c.extension.clone().unwrap_or_default(),
                        c.employee
                            .as_ref()
                            .map(|e| e.name.clone())
                            .unwrap_or_default(),
                        c.duration.to_string(),
                        c.handling.status.to_string(),
                        c.description.clone(),
                    ],
                )
                .map_err(|e| e.to_string())?;
            }
            match pg.next_cursor.as_deref().and_then(view::decode_cursor) {
                Some(after) => f.after = Some(after),
                None => break,
            }
        }
        w.flush().map_err(|e| e.to_string())
    })
}

/// `GET /calls/missed`: the worklist of open missed calls, and the last ones closed by a callback.
pub fn missed(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let after = req.param("cursor").and_then(|c| view::decode_cursor(&c));
    missed_page(ctx, &me, None, after)
}

/// The open missed calls a page lists, newest first; older ones are a page further ("Older calls"),
/// never cut off without a word: the oldest are the most overdue.
const MISSED_PAGE: usize = 200;

fn missed_page(
    ctx: &Ctx,
    me: &Me,
    msg: Option<(&str, &str)>,
    after: Option<(i64, i64)>,
) -> Response {
    let mut open = CallFilter {
        statuses: vec![Status::Missed],
        handled: Some(false),
        limit: MISSED_PAGE,
        after,
        ..CallFilter::default()
    };
    restrict(ctx, me, &mut open);
    let mut closed = CallFilter {
        statuses: vec![Status::Missed],
        handled: Some(true),
        limit: 30,
        ..CallFilter::default()
    };
    restrict(ctx, me, &mut closed);
    let (open, closed) = match (
        view::list(&ctx.reader, &open),
        view::list(&ctx.reader, &closed),
    ) {
        (Ok(a), Ok(b)) => (a, b.calls),
        (Err(e), _) | (_, Err(e)) => return store_error(&e),
    };
    let (open, older) = (open.calls, open.next_cursor);
    let now = store::now();
    let employees = ctx.reader.employees().unwrap_or_default();
    let body = html! {
        @if let Some((kind, text)) = msg { (notice(kind, text)) }
        div #live {
            @if open.is_empty() {
                p.muted { (me.t("missed.none")) }
            } @else {
                form #bulk method="post" action="/calls/missed" { (csrf(me)) }
                div.scroll { table.calls {
                    thead { tr {
                        th { (me.t("col.select")) } th { (me.t("col.time")) } th { (me.t("col.age")) }
                        th { (me.t("col.caller")) } th { (me.t("col.line")) } th { (me.t("missed.by")) }
                        th { (me.t("missed.assigned_to")) } th {}
                    } }
                    tbody { @for c in &open { tr data-call=(c.id.0) {
                        td { input type="checkbox" name="id" value=(c.id.0) form="bulk" aria-label=(me.t("col.select")); }
                        td.time { (me.time(c.started_at)) }
                        td { (age(me, now - c.started_at)) }
                        td { a href=(format!("/calls/{}", c.id.0)) { (party(me, c)) } }
                        td { @match &c.line { Some(l) => { (l.name) }, None => { (dash()) } } }
                        td { @match (&c.employee, &c.extension) {
                            (Some(e), _) => { (e.name) }, (None, Some(x)) => { (x) }, _ => { (dash()) } } }
                        td.assignee {
                            @if let Some(a) = &c.assignee { span.assigned { (a.name) } " " }
                            form.inline method="post" action=(format!("/calls/{}/assign", c.id.0)) {
                                (csrf(me))
                                select name="employee" aria-label=(me.t("missed.assign")) {
                                    option value="" { (me.t("missed.nobody")) }
                                    @for e in &employees {
                                        option value=(e.id) selected[c.assignee.as_ref().map(|a| a.id) == Some(e.id)] { (e.name) }
                                    }
                                }
                                " " button.small.secondary type="submit" { (me.t("missed.assign")) }
                            }
                        }
                        td { a href=(format!("/calls/{}", c.id.0)) { (me.t("action.open")) } }
                    } } }
                } }
                p { button type="submit" form="bulk" { (me.t("missed.mark_selected")) } }
                @if let Some(c) = &older {
                    p { a.button.secondary #missed-older href=(format!("/calls/missed?cursor={c}")) { (me.t("action.older")) } }
                }
            }
            h2 { (me.t("missed.recently_closed")) }
            @if closed.is_empty() { p.muted { (me.t("calls.none")) } } @else {
                div.scroll { table.calls {
                    thead { tr { th { (me.t("col.time")) } th { (me.t("col.caller")) } th { (me.t("col.handling")) } } }
                    tbody { @for c in &closed { tr {
                        td.time { a href=(format!("/calls/{}", c.id.0)) { (me.time(c.started_at)) } }
                        td { (party(me, c)) }
                        td { (handled_text(me, c)) }
                    } } }
                } }
            }
        }
    };
    page(200, layout(me, me.t("nav.missed"), "missed", body))
}

fn age(me: &Me, secs: i64) -> String {
    let s = secs.max(0);
    if s < 3600 {
        format!("{} {}", s / 60, me.t("unit.min"))
    } else if s < 86_400 {
        format!("{} {}", s / 3600, me.t("unit.h"))
    } else {
        format!("{} {}", s / 86_400, me.t("unit.d"))
    }
}

fn handled_text(me: &Me, c: &Call) -> Markup {
    use journal::HandledHow as H;
    let how = match c.handling.how {
        Some(H::Callback) => me.t("handled.callback"),
        Some(H::AnsweredAgain) => me.t("handled.answered_again"),
        Some(H::Bulk) => me.t("handled.bulk"),
        Some(H::Manual) | None => me.t("handled.manual"),
    };
    html! {
        span.badge.handled { (how) }
        @if let Some(by) = &c.handling.by { " " (by) }
        @if let Some(at) = c.handling.at { " · " (me.time(at)) }
        @if let Some(bc) = c.handling.by_call { " · " a href=(format!("/calls/{bc}")) { (me.t("handled.by_call")) } }
    }
}

/// `POST /calls/{id}/assign`: who should call back (an employee, or nobody when empty). Shown on the
/// worklist; changes nothing else about the call.
pub fn assign(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let form = match form_of(&me, req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let visible = p
        .get("id")
        .and_then(|i| i.parse::<i64>().ok())
        .and_then(|id| view::detail(&ctx.reader, CallId(id)).ok().flatten())
        .filter(|d| may_see(ctx, &me, &d.call));
    let Some(d) = visible else {
        return missed_page_status(ctx, &me, Some(("error", me.t("missed.no_call"))), 404);
    };
    let who = text(&form, "employee");
    let employee = if who.is_empty() {
        None
    } else {
        let known = ctx.reader.employees().unwrap_or_default();
        match who
            .parse::<i64>()
            .ok()
            .filter(|id| known.iter().any(|e| e.id == *id))
        {
            Some(id) => Some(id),
            None => {
                return missed_page_status(
                    ctx,
                    &me,
                    Some(("error", me.t("missed.no_employee"))),
                    400,
                )
            }
        }
    };
    let id = d.call.id.0;
    let now = store::now();
    match ctx
        .app
        .store
        .write(move |tx| store::calls::set_assignee(tx, id, employee, now))
    {
        Ok(_) => redirect("/calls/missed"),
        Err(e) => store_error(&e),
    }
}

fn missed_page_status(ctx: &Ctx, me: &Me, msg: Option<(&str, &str)>, status: u16) -> Response {
    let mut r = missed_page(ctx, me, msg, None);
    r.status = status;
    r
}

/// `POST /calls/missed`: marks the selected calls handled, all or nothing.
pub fn post_missed(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let form = match form_of(&me, req) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut ids = Vec::new();
    for (k, v) in &form {
        if k == "id" {
            let Ok(id) = v.parse::<i64>() else { continue };
            match view::detail(&ctx.reader, CallId(id)) {
                Ok(Some(d)) if may_see(ctx, &me, &d.call) => ids.push(CallId(id)),
                Ok(_) => {}
                Err(e) => return store_error(&e),
            }
        }
    }
    if ids.is_empty() {
        return missed_page(
            ctx,
            &me,
            Some(("error", me.t("missed.none_selected"))),
            None,
        );
    }
    match journal::mark_handled(&ctx.app.store, ids, &me.s.name) {
        Ok(_) => redirect("/calls/missed"),
        Err(e) => missed_page(ctx, &me, Some(("error", &e.to_string())), None),
    }
}

fn parse_id(p: &Params) -> Option<i64> {
    p.get("id").and_then(|s| s.parse().ok()).filter(|i| *i > 0)
}

/// `GET /calls/{id}`: the call detail.
pub fn detail(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    let me = match gate(ctx, req, false) {
        Ok(m) => m,
        Err(r) => return r,
    };
    detail_page(ctx, &me, p, None)
}

fn not_found(me: &Me) -> Response {
    page(
        404,
        super::layout::message(me, me.t("call.not_found"), me.t("call.not_found")),
    )
}

fn detail_page(ctx: &Ctx, me: &Me, p: &Params, msg: Option<&str>) -> Response {
    let Some(id) = parse_id(p) else {
        return not_found(me);
    };
    let d = match view::detail(&ctx.reader, CallId(id)) {
        Ok(Some(d)) if may_see(ctx, me, &d.call) => d,
        Ok(_) => return not_found(me),
        Err(e) => return store_error(&e),
    };
    let c = &d.call;
    let contact = match &c.contact {
        Some(k) => ctx
            .reader
            .contact(crate::contacts::ContactId(k.id))
            .ok()
            .flatten(),
        // A contact created after the call (e.g. from this page) is found by the same lookup rules.
        None if c.contact_tie.is_empty() => {
            let number = c.remote.e164.as_deref().unwrap_or(&c.remote.raw);
            match crate::lookup::lookup(&ctx.reader, ctx.model(), number) {
                Ok(o) => match crate::lookup::contact_ids(&o).as_slice() {
                    [one] => ctx.reader.contact(*one).ok().flatten(),
                    _ => None,
                },
                Err(_) => None,
            }
        }
        None => None,
    };
    let comments = ctx.reader.call_comments(id).unwrap_or_default();
    let tasks = ctx.reader.call_tasks(id).unwrap_or_default();
    let employees = ctx.reader.employees().unwrap_or_default();
    let answered_by = d
        .legs
        .iter()
        .find(|l| l.answered_at.is_some())
        .and_then(|l| l.employee.as_ref())
        .or(c.employee.as_ref())
        .map(|e| e.id);
    let number = c
        .remote
        .e164
        .clone()
        .unwrap_or_else(|| c.remote.raw.clone());
    let body = html! {
        @if let Some(m) = msg { (notice("error", m)) }
        div.columns {
            section.panel {
                h2 { (party(me, c)) }
                dl {
                    dt { (me.t("col.time")) } dd { (me.time(c.started_at)) }
                    dt { (me.t("col.direction")) } dd { (me.t(direction_key(c.direction))) }
                    dt { (me.t("col.status")) } dd { span class=(format!("badge {}", c.status.as_str())) { (me.t(status_key(c.status))) } }
                    dt { (me.t("field.number")) } dd { (number)
                        @if crate::web::dial::dialable(ctx, &number) { " " (crate::web::dial::button(me, &number, &format!("/calls/{id}"))) } }
                    dt { (me.t("col.line")) } dd { @match &c.line { Some(l) => { (l.name) " (" (l.e164) ")" }, None => { (dash()) } } }
                    dt { (me.t("col.employee")) } dd { @match (&c.employee, &c.extension) {
                        (Some(e), Some(x)) => { (e.name) " (" (x) ")" }, (Some(e), None) => { (e.name) },
                        (None, Some(x)) => { (x) }, (None, None) => { (dash()) } } }
                    dt { (me.t("col.duration")) } dd { (duration(c.duration)) @if c.end_estimated { " " small.muted { (me.t("call.end_estimated")) } } }
                }
                @if let Some(url) = &c.recording_url {
                    h3 { (me.t("call.recording")) }
                    audio controls preload="none" src=(url) {}
                    p { a href=(url) { (me.t("call.recording_link")) } }
                }
            }
            section.panel {
                h2 { (me.t("call.contact")) }
                @if let Some(k) = &contact {
                    p.big { a href=(format!("/contacts/{}", k.id.0)) { (k.display_name()) } }
                    @if !k.company.is_empty() { p { (k.company) } }
                    ul.plain { @for ph in &k.phones { li { (ph.number) " " small.muted { (ph.kind.as_str()) }
                        @if crate::web::dial::dialable(ctx, &ph.number) { " " (crate::web::dial::button(me, &ph.number, &format!("/calls/{id}"))) } } } }
                    @if !k.email.is_empty() { p { (k.email) } }
                    @if !k.notes.is_empty() { p.pre { (k.notes) } }
                    p { a.button.secondary href=(format!("/contacts/{}/edit", k.id.0)) { (me.t("contact.edit")) } }
                } @else if !c.contact_tie.is_empty() {
                    p { (me.t("call.tie")) }
                    ul { @for t in &c.contact_tie { li { a href=(format!("/contacts/{t}")) { (me.t("nav.contacts")) " #" (t) } } } }
                } @else if c.remote.e164.is_some() || !c.remote.raw.is_empty() && c.remote.raw != "anonymous" {
                    p.muted { (me.t("call.unknown_caller")) }
                    p { a.button #create-contact href=(format!("/contacts/new?number={}&from_call={}{}",
                        crate::provision::url_encode(&number), id,
                        answered_by.map(|e| format!("&responsible={e}")).unwrap_or_default())) { (me.t("call.create_contact")) } }
                }
            }
        }
        section.panel {
            h2 { (me.t("col.handling")) }
            @if c.handling.status == "open" {
                p { span.badge.open { (me.t("handling.open")) } }
                @if c.ended_at.is_some() {
                    form method="post" action=(format!("/calls/{id}")) {
                        (csrf(me)) input type="hidden" name="action" value="handled";
                        button #mark-handled type="submit" { (me.t("call.mark_handled")) }
                    }
                } @else {
                    p.muted { (me.t("call.still_going")) }
                }
            } @else {
                p { (handled_text(me, c)) }
                form method="post" action=(format!("/calls/{id}")) {
                    (csrf(me)) input type="hidden" name="action" value="reopen";
                    button.secondary type="submit" { (me.t("call.reopen")) }
                }
            }
            h3 { (me.t("call.description")) }
            form method="post" action=(format!("/calls/{id}")) {
                (csrf(me)) input type="hidden" name="action" value="description";
                textarea name="description" rows="3" { (c.description) }
                button.secondary type="submit" { (me.t("action.save")) }
            }
        }
        section.panel {
            h2 { (me.t("call.comments")) }
            ul.comments #comments {
                @for cm in &comments {
                    li { div.meta { strong { (cm.author) } " · " (me.time(cm.created_at)) } div.pre { (cm.body) } }
                }
            }
            form method="post" action=(format!("/calls/{id}")) {
                (csrf(me)) input type="hidden" name="action" value="comment";
                textarea name="body" rows="2" required aria-label=(me.t("call.add_comment")) {}
                button type="submit" { (me.t("call.add_comment")) }
            }
        }
        section.panel {
            h2 { (me.t("call.tasks")) }
            @if !tasks.is_empty() { ul.plain { @for t in &tasks { li {
                form.inline method="post" action=(format!("/calls/{id}")) {
                    (csrf(me)) input type="hidden" name="action" value="task_done"; input type="hidden" name="task" value=(t.id);
                    input type="hidden" name="done" value=(if t.done_at.is_some() { "0" } else { "1" });
                    button.small.secondary type="submit" { @if t.done_at.is_some() { "☑" } @else { "☐" } }
                }
                " " (t.title)
                @if !t.due.is_empty() { " · " (me.t("task.due")) " " (t.due) }
                @if let Some(a) = &t.assignee { " · " (a) }
            } } } }
            form.filters method="post" action=(format!("/calls/{id}")) {
                (csrf(me)) input type="hidden" name="action" value="task";
                label { (me.t("task.title")) input name="title" required; }
                label { (me.t("task.due")) input type="date" name="due"; }
                label { (me.t("task.assignee")) select name="assignee" {
                    option value="" { (dash()) }
                    @for e in &employees { option value=(e.id) selected[Some(e.id) == me.s.employee_id] { (e.name) } }
                } }
                button.secondary type="submit" { (me.t("task.add")) }
            }
        }
        section.panel {
            h2 { (me.t("call.timeline")) }
            ol.timeline {
                @for l in &d.legs {
                    li {
                        strong { (me.time(l.started_at)) } " · " (l.source)
                        @if let Some(x) = &l.extension { " · " (me.t("filter.extension")) " " (x) }
                        @if let Some(e) = &l.employee { " (" (e.name) ")" }
                        " · " (me.t(status_key(l.status)))
                        @if let Some(a) = l.answered_at { " · " (me.t("status.answered")) " " (me.time(a)) }
                        @if let Some(e) = l.ended_at { " · " (me.t("call.ended")) " " (me.time(e)) }
                        @if let Some(t) = &l.transferred_to { " → " (t) }
                    }
                }
            }
        }
    };
    page(
        200,
        layout(me, &format!("{} #{id}", me.t("call.title")), "calls", body),
    )
}

/// `POST /calls/{id}`: comment, description, handled/reopen, task and task done.
pub fn post_detail(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
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
    match view::detail(&ctx.reader, CallId(id)) {
        Ok(Some(d)) if may_see(ctx, &me, &d.call) => {}
        Ok(_) => return not_found(&me),
        Err(e) => return store_error(&e),
    }
    let store = ctx.app.store.clone();
    let now = store::now();
    let author = me.s.name.clone();
    let result: Result<(), String> = match text(&form, "action") {
        "comment" => {
            let body = text(&form, "body").to_string();
            if body.is_empty() || body.chars().count() > 10_000 {
                Err(me.t("call.comment_invalid").to_string())
            } else {
                store
                    .write(move |tx| store::web::insert_comment(tx, id, &author, &body, now))
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        }
        "description" => journal::update(
            &store,
            CallId(id),
            CallPatch {
                description: Some(field(&form, "description").unwrap_or("").to_string()),
                ..CallPatch::default()
            },
            &author,
        )
        .map_err(|e| e.to_string()),
        "handled" | "reopen" => journal::update(
            &store,
            CallId(id),
            CallPatch {
                handled: Some(text(&form, "action") == "handled"),
                ..CallPatch::default()
            },
            &author,
        )
        .map_err(|e| e.to_string()),
        "task" => {
            let title = text(&form, "title").to_string();
            let due = text(&form, "due").to_string();
            let assignee = text(&form, "assignee").parse::<i64>().ok();
            let bad_due = !due.is_empty() && due.parse::<jiff::civil::Date>().is_err();
            if title.is_empty() || title.chars().count() > 200 || bad_due {
                Err(me.t("task.invalid").to_string())
            } else {
                store
                    .write(move |tx| store::web::insert_task(tx, id, &title, &due, assignee, now))
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        }
        "task_done" => {
            let task = text(&form, "task").parse::<i64>().unwrap_or(0);
            let done = text(&form, "done") == "1";
            store
                .write(move |tx| store::web::set_task_done(tx, id, task, done, now))
                .map_err(|e| e.to_string())
        }
        _ => Err(me.t("error.unknown_action").to_string()),
    };
    match result {
        Ok(()) => redirect(&format!("/calls/{id}")),
        Err(e) => detail_page(ctx, &me, p, Some(&e)),
    }
}
