//! Weekly reports by employee and by contact: calls in, out and missed, talk time and average, with a
//! bar chart drawn by the server as SVG (no script) and a CSV download.

use maud::{html, Markup};

use super::layout::{duration, layout};
use super::{gate, page, store_error, Me};
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::store::web::ReportRow;

/// The week's Monday 00:00 and the next Monday, in the office's zone. `week` is `2024-W09`; empty means
/// this week.
fn week_bounds(me: &Me, week: &str) -> Option<(i64, i64, String)> {
    let date = match week.trim().split_once("-W") {
        Some((y, w)) => {
            let (y, w): (i16, i8) = (y.parse().ok()?, w.parse().ok()?);
            jiff::civil::ISOWeekDate::new(y, w, jiff::civil::Weekday::Monday)
                .ok()?
                .date()
        }
        None => {
            let today = jiff::Timestamp::now().to_zoned(me.tz.clone()).date();
            let iso = today.iso_week_date();
            jiff::civil::ISOWeekDate::new(iso.year(), iso.week(), jiff::civil::Weekday::Monday)
                .ok()?
                .date()
        }
    };
    let start = date.to_zoned(me.tz.clone()).ok()?;
    let end = start.checked_add(jiff::Span::new().weeks(1)).ok()?;
    let iso = date.iso_week_date();
    Some((
        start.timestamp().as_second(),
        end.timestamp().as_second(),
        format!("{:04}-W{:02}", iso.year(), iso.week()),
    ))
}

/// A horizontal bar chart: one group per row, bars for in, out and missed.
pub fn chart(me: &Me, rows: &[ReportRow]) -> Markup {
    let rows: Vec<&ReportRow> = rows.iter().take(15).collect();
    let max = rows
        .iter()
        .map(|r| r.calls_in.max(r.calls_out).max(r.missed))
        .max()
        .unwrap_or(0)
        .max(1);
    let (label_w, bar_w, row_h) = (160.0, 420.0, 30.0);
    let height = rows.len() as f64 * row_h + 30.0;
    let width = label_w + bar_w + 50.0;
    let series = [
        ("in", "bar-in"),
        ("out", "bar-out"),
        ("missed", "bar-missed"),
    ];
    html! {
        svg.chart #report-chart xmlns="http://www.w3.org/2000/svg" role="img"
            aria-label=(me.t("report.chart")) viewBox=(format!("0 0 {width} {height}")) {
            @for (i, r) in rows.iter().enumerate() {
                @let y = i as f64 * row_h;
                text x="0" y=(y + 18.0) class="label" {
                    (if r.name.is_empty() { me.t("report.unassigned").to_string() } else { r.name.chars().take(22).collect::<String>() })
                }
                @for (j, (key, class)) in series.iter().enumerate() {
                    @let v = match *key { "in" => r.calls_in, "out" => r.calls_out, _ => r.missed };
                    @let w = v as f64 / max as f64 * bar_w;
                    rect class=(*class) x=(label_w) y=(y + 3.0 + j as f64 * 8.0) width=(format!("{w:.1}")) height="7" {
                        title { (me.t(match *key { "in" => "report.in", "out" => "report.out", _ => "report.missed" })) ": " (v) }
                    }
                }
                text x=(label_w + bar_w + 6.0) y=(y + 18.0) class="value" { (r.calls_in + r.calls_out) }
            }
            @let ly = height - 8.0;
            rect class="bar-in" x="0" y=(ly - 8.0) width="10" height="8" {}
            text x="14" y=(ly) class="legend" { (me.t("report.in")) }
            rect class="bar-out" x="110" y=(ly - 8.0) width="10" height="8" {}
            text x="124" y=(ly) class="legend" { (me.t("report.out")) }
            rect class="bar-missed" x="220" y=(ly - 8.0) width="10" height="8" {}
            text x="234" y=(ly) class="legend" { (me.t("report.missed")) }
        }
    }
}

fn table(me: &Me, rows: &[ReportRow], by_contact: bool) -> Markup {
    html! {
        div.scroll { table {
            thead { tr {
                th { (me.t(if by_contact { "report.contact" } else { "col.employee" })) }
                th.num { (me.t("report.in")) } th.num { (me.t("report.out")) } th.num { (me.t("report.missed")) }
                th.num { (me.t("report.talk")) } th.num { (me.t("report.avg")) }
            } }
            tbody { @for r in rows { tr {
                td { @if r.name.is_empty() { (me.t("report.unassigned")) } @else { (r.name) } }
                td.num { (r.calls_in) } td.num { (r.calls_out) } td.num { (r.missed) }
                td.num { (duration(r.talk_seconds)) }
                td.num { (duration(if r.answered > 0 { r.talk_seconds / r.answered } else { 0 })) }
            } } }
        } }
    }
}

/// `GET /reports?week=2024-W09&by=employee|contact` (admin); `&format=csv` downloads.
pub fn report(ctx: &mut Ctx, req: &Request, _: &Params) -> Response {
    let me = match gate(ctx, req, true) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let week = req.param("week").unwrap_or_default();
    let by_contact = req.param("by").as_deref() == Some("contact");
    let Some((since, until, week)) = week_bounds(&me, &week).or_else(|| week_bounds(&me, ""))
    else {
        return store_error(&crate::store::StoreError::Invalid(
            "the week could not be computed".into(),
        ));
    };
    let rows = match ctx.reader.report(since, until, by_contact) {
        Ok(r) => r,
        Err(e) => return store_error(&e),
    };
    if req.param("format").as_deref() == Some("csv") {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record([
            "name",
            "calls_in",
            "calls_out",
            "missed",
            "talk_seconds",
            "average_seconds",
        ]);
        for r in &rows {
            let avg = if r.answered > 0 {
                r.talk_seconds / r.answered
            } else {
                0
            };
            let _ = crate::export::write_safe(
                &mut w,
                [
                    r.name.clone(),
                    r.calls_in.to_string(),
                    r.calls_out.to_string(),
                    r.missed.to_string(),
                    r.talk_seconds.to_string(),
                    avg.to_string(),
                ],
            );
        }
        return super::secure(
            Response::new(
                200,
                "text/csv; charset=utf-8",
                w.into_inner().unwrap_or_default(),
            )
            .with_header(
                "Content-Disposition",
                format!("attachment; filename=\"report-{week}.csv\""),
            ),
        );
    }
    let by = if by_contact { "contact" } else { "employee" };
    let body = html! {
        form.filters method="get" action="/reports" {
            label { (me.t("report.week")) input type="week" name="week" value=(week); }
            label { (me.t("report.by")) select name="by" {
                option value="employee" selected[!by_contact] { (me.t("col.employee")) }
                option value="contact" selected[by_contact] { (me.t("report.contact")) }
            } }
            button type="submit" { (me.t("action.show")) }
            a.button.secondary href=(format!("/reports?week={week}&by={by}&format=csv")) { (me.t("action.export_csv")) }
        }
        p.muted { (me.date(since)) " – " (me.date(until - 1)) }
        @if rows.is_empty() { p.muted { (me.t("calls.none")) } } @else {
            (chart(&me, &rows))
            (table(&me, &rows, by_contact))
        }
    };
    page(200, layout(&me, me.t("nav.reports"), "reports", body))
}
