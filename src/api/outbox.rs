//! `GET /api/v1/outbox`: the upstream sync queue, for scripts and monitoring (admin scope). The same
//! rows are shown by `ringbook outbox list`.

use crate::auth::Scope;
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::store::outbox;

const STATES: [&str; 4] = ["pending", "delivered", "dead", "skipped"];

pub fn list(ctx: &mut Ctx, req: &Request, _p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Admin) {
        return Response::unauthorized(&e, true);
    }
    let state = req.param("state").filter(|s| !s.is_empty());
    if let Some(s) = state.as_deref() {
        if !STATES.contains(&s) {
            return Response::error(
                400,
                &format!("'{s}' is not a state; use pending, delivered, dead or skipped"),
            );
        }
    }
    let limit = match req.param("limit").map(|l| l.parse::<usize>()) {
        None => 100,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => return Response::error(400, "limit must be a whole number from 1 to 1000"),
    };
    let conn = ctx.reader.conn();
    match (
        outbox::list(conn, state.as_deref(), limit),
        outbox::counts(conn),
    ) {
        (Ok(rows), Ok((pending, delivered, dead, skipped))) => Response::json(
            200,
            &serde_json::json!({
                "rows": rows,
                "counts": {"pending": pending, "delivered": delivered, "dead": dead, "skipped": skipped},
            }),
        ),
        (Err(e), _) | (_, Err(e)) => Response::error(503, &e.to_string()),
    }
}
