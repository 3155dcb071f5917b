//! The janitor: closes calls that will never hear their end, and forgets raw events after their
//! retention.
//!
//! Why it is needed: a Snom phone sends no action URL when a ringing call is rejected (see shared
//! protocols: snom-phones.md §4.5, pitfall 1), and a phone that reboots or loses the network mid-call
//! never sends its disconnect (pitfall 2). So, every `journal.janitor_interval`:
//! - an unanswered leg with no event for `journal.ring_timeout` is closed;
//! - an answered leg with no event for `journal.stale_after` is closed;
//!
//! both at the time of their last event, flagged so the call shows `end_estimated`. A real end that
//! arrives later still replaces the estimate. Timeouts count server time since the last event arrived,
//! not the source's clock, so a replay of old events isn't closed mid-sequence.
//!
//! Then raw events older than `journal.retention` are deleted, with the hidden tombstones of calls kept
//! out by a policy. All of it runs as jobs of the store's writer, in bounded chunks so one pass never
//! holds the write lock for long.

use std::collections::BTreeSet;
use std::thread;
use std::time::Duration;

use rusqlite::Connection;

use super::assembler::{self, EndHow, Rules};
use super::{notify, CallChanged, Config};
use crate::settings::Settings;
use crate::store::{self, calls, Store};

/// The most legs closed, or rows purged, in one writer job.
const CHUNK: usize = 500;

/// What one pass did, for the log and the tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub closed_ringing: usize,
    pub closed_stale: usize,
    pub events_purged: usize,
    pub hidden_purged: usize,
}

/// Starts the janitor thread. It reads its settings before every pass, so changes apply without a
/// restart.
pub fn spawn(store: Store) -> std::io::Result<()> {
    crate::vital::spawn("journal-janitor", move || {
            let reader = match store.background_reader() {
                Ok(r) => r,
                Err(e) => {
                    log::error!("the journal janitor could not open the database and is not running: {e}");
                    return;
                }
            };
            loop {
                let config = match Settings::load(&reader) {
                    Ok(s) => Config::from_settings(&s),
                    Err(e) => {
                        log::warn!("the journal janitor could not read its settings: {e}");
                        thread::sleep(Duration::from_secs(30));
                        continue;
                    }
                };
                match run_pass(&store, &config, store::now()) {
                    Ok(p) if p != Pass::default() => log::info!(
                        "journal janitor: closed {} ringing and {} stale legs, purged {} raw events and {} hidden calls",
                        p.closed_ringing,
                        p.closed_stale,
                        p.events_purged,
                        p.hidden_purged
                    ),
                    Ok(_) => {}
                    Err(e) => log::warn!("the journal janitor pass failed: {e}"),
                }
                thread::sleep(Duration::from_secs(config.janitor_interval.max(1) as u64));
            }
        })
        .map(|_| ())
}

/// Runs one pass now, in as many writer jobs as it needs, and publishes the changes.
pub fn run_pass(store: &Store, config: &Config, now: i64) -> store::Result<Pass> {
    let mut total = Pass::default();
    let rules = config.rules;
    let ring_before = now - config.ring_timeout;
    let purge_before = now - config.retention;
    loop {
        let (pass, changes) =
            store.write(move |tx| pass_chunk(tx, &rules, now, ring_before, purge_before))?;
        notify::publish(&changes);
        let more = pass.closed_ringing == CHUNK
            || pass.closed_stale == CHUNK
            || pass.events_purged == CHUNK
            || pass.hidden_purged == CHUNK;
        total.closed_ringing += pass.closed_ringing;
        total.closed_stale += pass.closed_stale;
        total.events_purged += pass.events_purged;
        total.hidden_purged += pass.hidden_purged;
        if !more {
            return Ok(total);
        }
    }
}

/// One bounded chunk of a pass, inside one writer job.
pub fn pass_chunk(
    tx: &Connection,
    rules: &Rules,
    now: i64,
    ring_before: i64,
    purge_before: i64,
) -> store::Result<(Pass, Vec<CallChanged>)> {
    let mut pass = Pass::default();
    let mut touched = BTreeSet::new();
    for (answered, before) in [(false, ring_before), (true, now - rules.stale_after)] {
        for old in calls::stale_legs(tx, before, answered, CHUNK)? {
            let mut leg = old.clone();
            leg.ended_at = Some(leg.last_event_at.max(leg.started_at));
            leg.end_how = Some(EndHow::Janitor);
            calls::update_leg(tx, &old, &leg)?;
            touched.insert(leg.call_id);
            if answered {
                pass.closed_stale += 1;
            } else {
                pass.closed_ringing += 1;
            }
        }
    }
    let mut changes = Vec::new();
    for call_id in touched {
        assembler::refresh(tx, rules, now, call_id, None, &mut changes)?;
    }
    pass.events_purged = calls::purge_events(tx, purge_before, CHUNK)?;
    pass.hidden_purged = calls::purge_suppressed(tx, purge_before, CHUNK)?;
    Ok((pass, changes))
}
