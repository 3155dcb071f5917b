//! `GET /api/v1/calls/{id}/actions`: the call's screen-pop actions in the Bpium shape (see
//! `screenpop.rs`), for CRM-style clients that open a record when a call rings. Needs the `journal`
//! scope like the other calls endpoints. Titles are in the office's language (`office.language`).

use crate::auth::Scope;
use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response};
use crate::journal::view;
use crate::journal::CallId;
use crate::screenpop::{self, OpenRule};
use crate::web::i18n::Lang;

pub fn get_actions(ctx: &mut Ctx, req: &Request, p: &Params) -> Response {
    if let Err(e) = ctx.authorize(req, Scope::Journal) {
        return Response::unauthorized(&e, true);
    }
    let raw = p.get("id").unwrap_or("");
    let id = match raw.parse::<i64>() {
        Ok(id) if id > 0 => CallId(id),
        _ => {
            return Response::error(
                404,
                &format!("there is no call '{raw}'; call ids are whole numbers"),
            )
        }
    };
    let d = match view::detail(&ctx.reader, id) {
        Ok(Some(d)) => d,
        Ok(None) => return Response::error(404, &format!("there is no call {}", id.0)),
        Err(e) => return Response::error(503, &format!("the journal can't be read: {e}")),
    };
    let lang = Lang::from_code(ctx.settings().get("office.language")).unwrap_or(Lang::En);
    let rule = OpenRule::from_settings(ctx.settings());
    match screenpop::actions(
        &ctx.reader,
        ctx.model(),
        rule,
        &d,
        lang.t("call.create_contact"),
    ) {
        Ok(actions) => Response::json(
            200,
            &serde_json::json!({ "call_id": id.0, "actions": actions }),
        ),
        Err(e) => Response::error(503, &format!("the contacts can't be read: {e}")),
    }
}
