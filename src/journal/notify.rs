//! In-process notifications of journal changes, for the live hub (SSE, desktop notifications) and
//! anything else that wants to react to calls as they happen.
//!
//! A change is published only after the transaction that made it has committed, so a subscriber that
//! reads the call back always finds it. Publishing never blocks the journal: each subscriber has a
//! bounded queue, and a subscriber that falls behind loses changes (counted in [`dropped`]) rather than
//! stalling call intake. A subscriber that must not miss anything re-reads the journal after a gap.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};
use serde::Serialize;

use super::CallId;

/// What happened to a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A new call is in the journal (ringing, or dialled out).
    Ringing,
    /// Someone answered it.
    Answered,
    /// It ended (or the janitor closed it).
    Ended,
    /// Its description, contact, attribution or handling changed.
    Updated,
    /// It was marked handled (by hand, in bulk or automatically).
    Handled,
    /// A policy took it out of the journal after it had been shown (e.g. it turned out to be internal).
    Hidden,
}

/// One change to one call. `notify` is false for calls that must never raise a notification: outbound
/// calls (seed 003) and calls a policy keeps out of the journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CallChanged {
    pub call_id: CallId,
    pub kind: ChangeKind,
    pub notify: bool,
}

static SUBSCRIBERS: Mutex<Vec<Sender<CallChanged>>> = Mutex::new(Vec::new());
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Subscribes to every change from now on. `capacity` bounds the queue; when it is full, further
/// changes for this subscriber are dropped until it catches up. Dropping the receiver unsubscribes.
pub fn subscribe(capacity: usize) -> Receiver<CallChanged> {
    let (tx, rx) = bounded(capacity.max(1));
    lock().push(tx);
    rx
}

/// Changes dropped because a subscriber's queue was full, for `/metrics`.
pub fn dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Sends committed changes to every subscriber without blocking.
pub(crate) fn publish(changes: &[CallChanged]) {
    if changes.is_empty() {
        return;
    }
    let mut subs = lock();
    if subs.is_empty() {
        return;
    }
    subs.retain(|s| {
        for c in changes {
            match s.try_send(*c) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    DROPPED.fetch_add(1, Ordering::Relaxed);
                }
                Err(TrySendError::Disconnected(_)) => return false,
            }
        }
        true
    });
}

fn lock() -> std::sync::MutexGuard<'static, Vec<Sender<CallChanged>>> {
    // A panic while holding this lock cannot leave the Vec inconsistent; keep going.
    SUBSCRIBERS.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribers_get_changes_and_a_full_queue_drops_instead_of_blocking() {
        let rx = subscribe(2);
        let c = |id| CallChanged {
            call_id: CallId(id),
            kind: ChangeKind::Ringing,
            notify: true,
        };
        let before = dropped();
        publish(&[c(1), c(2), c(3)]);
        let got: Vec<i64> = rx.try_iter().map(|x| x.call_id.0).collect();
        assert_eq!(got, vec![1, 2]);
        assert!(dropped() > before);
        drop(rx);
        publish(&[c(4)]);
    }
}
