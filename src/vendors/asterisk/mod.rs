//! Asterisk and FreePBX through the Asterisk Manager Interface (AMI): ringbook logs in as a manager
//! user and turns the PBX's channel events into call events (see shared protocols: pbx-apis.md §2.4,
//! §2.5).
//!
//! - [`frame`] reads AMI's `Key: Value` frames (and nothing else).
//! - [`tracker`] follows conversations by `Linkedid` and decides legs, answers, ends and transfers.
//! - [`client`] is one logged-in connection: it feeds frames to the tracker and the tracker's events
//!   to the journal. Connecting, reconnecting and backing off are in `sources`.
//!
//! Caller-name lookups from Asterisk (`CURL()`, FreePBX's CallerID Lookup) are `vendors::freepbx`.

pub mod client;
pub mod frame;
pub mod tracker;
