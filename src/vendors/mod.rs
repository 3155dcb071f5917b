//! One module per phone or PBX vendor. Each turns the vendor's requests into lookups (and, later, call
//! events) and renders the vendor's exact response format. None of them touches SQL.

pub mod asterisk;
pub mod crmsenior;
pub mod cti;
pub mod dect;
pub mod freepbx;
pub mod fritzbox;
pub mod grandstream;
pub mod placetel;
pub mod propstack;
pub mod sipgate;
pub mod snom;
pub mod threecx;
pub mod yealink;

use std::sync::{Arc, Mutex};

use crate::http::{Ctx, Response};
use crate::journal::{self, CallEvent, Ingested, JournalError};

/// Hands `events` to the journal and answers with what `answer` makes of the outcome, once the group
/// commit holding them returned. The worker does not wait for the commit: the answer travels to a
/// responder thread (`Response::deferred`), so a commit can carry the events of every connection that
/// arrived meanwhile, however few workers there are. A batch the journal refuses before queueing (a
/// bad event, a writer that is gone) is answered at once, by the same `answer`.
///
/// Every HTTP call source answers through this, so "a 2xx means committed" holds for all of them
/// without tying a worker to the disk.
pub(crate) fn answer_after_commit<F>(ctx: &Ctx, events: Vec<CallEvent>, answer: F) -> Response
where
    F: FnOnce(Result<Vec<Ingested>, JournalError>) -> Response + Send + 'static,
{
    // `ingest_then` consumes its callback even when it refuses the batch up front, so the answer is
    // shared between the callback and the refusal path; whichever runs takes it.
    let answer = Arc::new(Mutex::new(Some(answer)));
    let on_commit = Arc::clone(&answer);
    let take = |a: &Mutex<Option<F>>| a.lock().unwrap_or_else(|p| p.into_inner()).take();
    let (reply, later) = crossbeam_channel::bounded(1);
    let config = journal::Config::from_settings(ctx.settings());
    let queued = journal::ingest_then(&ctx.app.store, &ctx.reader, &config, events, move |r| {
        if let Some(f) = take(&on_commit) {
            let _ = reply.send(f(r));
        }
    });
    match queued {
        // Phones and PBXs read an empty body as "nothing to show"; JSON would be shown or logged.
        Ok(()) => Response::deferred_or(later, Response::text(503, "")),
        Err(e) => match take(&answer) {
            Some(f) => f(Err(e)),
            None => Response::error(500, "the call event was answered twice"),
        },
    }
}
