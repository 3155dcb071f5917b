//! From AMI events to call events: one conversation per `Linkedid` (see shared protocols: pbx-apis.md
//! §2.4, "group by Linkedid").
//!
//! # The model
//!
//! A *leg* is one dial attempt: every `DialBegin` that has a calling channel makes one, keyed by the
//! called channel's `Uniqueid` and grouped by the `Linkedid` of the calling channel, so all legs of a
//! conversation (a ring group, a queue, a transfer) are one call in the journal.
//!
//! - **Direction** comes from the two ends of the dial, read with the office's number model: an
//!   external caller dialling an extension is inbound, an extension dialling an external number is
//!   outbound, extension to extension is internal. The calling side is the channel's endpoint when it
//!   is an extension (`PJSIP/201-…`), else its `CallerIDNum`: FreePBX's outbound routes rewrite the
//!   caller id to the company's number before the trunk is dialled, which would otherwise read as an
//!   inbound call (the "wrong direction" complaint of yaai#126, peers.md §1.3). For the same reason a
//!   named endpoint (`PJSIP/alice-…`) that dials out showing one of the office's own lines
//!   ([`Tracker::set_own_lines`]) is ours, unless it is the trunk the dial goes out on or the
//!   conversation came in (a forward).
//! - **Who was dialled** is the `DialString` without technology and host (`PJSIP/201`, `201@internal`,
//!   `201/sip:201@10.0.0.5`, `trunk/sip:0049…@provider`, and the number of chan_sip's, IAX2's and
//!   DAHDI's `mytrunk/0049…`), else the called channel's endpoint.
//! - **Answered** is `DialEnd` with `DialStatus: ANSWER`, or two channels of the conversation meeting in
//!   a bridge (`BridgeEnter`); any other `DialStatus` (`BUSY`, `NOANSWER`, `CANCEL`, `CHANUNAVAIL`,
//!   `CONGESTION`, ...) ends the leg with that cause. `Hangup` ends what is still open with its Q.850
//!   `Cause`.
//! - **Local channels** (FreePBX queues and follow-me, and the captures in
//!   `tests/fixtures/asterisk-ami/`) come in `;1`/`;2` halves: when `Local/201@from-queue-…;2` dials
//!   `PJSIP/201`, that is the same leg as the `Local/201@…;1` dialled before, not a second phone. The
//!   leg ends with the last channel that carries it: Asterisk optimizes a Local channel without `/n`
//!   away once the call is up and hangs up both halves while the phone talks on.
//! - **Transfers.** A blind transfer (`BlindTransfer`) marks the transferer's leg; the caller's channel
//!   then dials the target itself, which is a new leg of the same conversation. An attended transfer
//!   shows up as a channel of one conversation entering a bridge with a channel of another (the
//!   consultation call, which is internal): the external conversation gets a leg for the transfer
//!   target, answered at that moment, and the leg that handed over is marked transferred. A call
//!   picked up from another phone is the same picture and is read the same way.
//! - **The end** of a conversation is CEL `LINKEDID_END`, or the last of its channels hanging up. Legs
//!   still open then are closed. An inbound call that never dialled anyone (an IVR, a queue nobody
//!   was in, straight to voicemail) becomes a missed call with no extension, but only if the
//!   conversation was seen from its first channel: after a reconnect we don't invent calls.
//! - **Cdr** events repeat what the channel events said (cdr_manager sends no `Linkedid` by default);
//!   they only close a leg whose `DialEnd` and `Hangup` never came, with the CDR `Disposition` as cause.
//! - Events for a conversation that has already ended (Asterisk reports the originate's own dial
//!   after `LINKEDID_END`) are ignored.
//!
//! The tracker is pure: frames in, events out; the client owns the socket and the journal.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use super::frame::Frame;
use crate::journal::{CallEvent, Direction, EventKind};
use crate::number::{Normalized, NumberModel};

/// The journal's source name for AMI.
pub const SOURCE: &str = "ami";

/// How many ended conversations are remembered, to ignore their stragglers.
const FINISHED_MEMORY: usize = 4096;
/// A conversation with no event for this long is forgotten (its channels are long gone; the journal's
/// janitor closes whatever the call still has open).
const FORGET_AFTER: i64 = 12 * 3600;

/// What one end of a dial is, read with the office's number model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    /// One of our extensions (digits of extension length, or a named endpoint).
    Internal,
    /// A phone number outside the office.
    External,
    /// A withheld number (`anonymous`, empty on a trunk).
    Withheld,
    /// Nothing usable (empty, feature codes).
    Unknown,
}

/// Reads one end of a call.
pub fn classify(model: &NumberModel, s: &str) -> Party {
    let t = s.trim();
    if t.is_empty() {
        return Party::Unknown;
    }
    match model.normalize(t) {
        Ok(Normalized::Extension(_)) => Party::Internal,
        Ok(Normalized::Public { .. }) => Party::External,
        // A short service number (`112`) is as outside as a long number.
        Ok(Normalized::Digits(d))
            if d.len() > model.ext_max || model.service_number(&d).is_some() =>
        {
            Party::External
        }
        Ok(Normalized::Digits(_)) => Party::Unknown,
        Ok(Normalized::Anonymous) => Party::Withheld,
        Err(_) if is_name(t) => Party::Internal,
        Err(_) => Party::Unknown,
    }
}

/// A named endpoint (`alice`, `reception-2`): starts with a letter, then letters, digits, `.`, `_`, `-`.
fn is_name(s: &str) -> bool {
    s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn is_number_like(s: &str) -> bool {
    let s = s.strip_prefix('+').unwrap_or(s);
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

const TECHS: &[&str] = &[
    "pjsip",
    "sip",
    "iax2",
    "local",
    "dahdi",
    "motif",
    "skinny",
    "unistim",
    "console",
    "dongle",
    "ooh323",
    "h323",
    "mgcp",
    "misdn",
    "multicast",
    "websocket",
];

fn strip_tech(s: &str) -> &str {
    if let Some((tech, rest)) = s.split_once('/') {
        if TECHS.iter().any(|t| t.eq_ignore_ascii_case(tech)) {
            return rest;
        }
    }
    s
}

/// Who a `DialString` dials: `201`, `201@internal` and `PJSIP/201` give `201`,
/// `004930999888@pstn` gives the number, `201/sip:201@10.0.0.5:5060` gives `201`, and
/// `trunk/sip:004930999888@provider` (PJSIP's endpoint/URI form) gives the number in the URI.
///
/// chan_sip and IAX2 dial a number through a peer as `peer/number` (`mytrunk/004930999888`,
/// `user@peer/number`), DAHDI through a group or channel as `g0/number` or `1/number`: the number
/// after the slash is who is called, the part before it only the way out. Read as the party, the
/// trunk's name looked like a named extension and made an outbound call internal.
pub fn dial_target(dial_string: &str) -> Option<String> {
    let s = strip_tech(dial_string.trim());
    if let Some((way, path)) = s.split_once('/') {
        let number = path.split(['/', '@', ',', '&']).next().unwrap_or("").trim();
        // `201&PJSIP/202` (several phones in one dial) is no peer and a number: the first is dialled.
        if !way.contains(['&', ',']) && is_number_like(number) {
            return Some(number.to_string());
        }
    }
    let first = s.split(['/', '@', ',', '&']).next().unwrap_or("").trim();
    if is_number_like(first) {
        return Some(first.to_string());
    }
    if let Some(i) = s.to_ascii_lowercase().find("sip:") {
        let user = s[i + 4..]
            .split(['@', ';', '>'])
            .next()
            .unwrap_or("")
            .trim();
        if is_number_like(user) {
            return Some(user.to_string());
        }
    }
    (!first.is_empty()).then(|| first.to_string())
}

/// The endpoint or extension a channel name stands for: `PJSIP/201-0000002a` gives `201`,
/// `Local/201@internal-00000001;1` gives `201`, `SIP/trunk-0a` gives `trunk`.
pub fn channel_resource(name: &str) -> Option<String> {
    let s = strip_tech(name.trim());
    let s = s.split(';').next().unwrap_or("");
    let s = match s.split_once('@') {
        Some((user, _)) => user,
        None => match s.rfind('-') {
            Some(i) if i > 0 && s[i + 1..].bytes().all(|b| b.is_ascii_hexdigit()) => &s[..i],
            _ => s,
        },
    };
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

#[derive(Clone, Debug, Default)]
struct Chan {
    name: String,
    /// The conversation the channel was first seen in. `Linkedid` can change when channels are bridged
    /// across conversations; the first one says which call the channel belongs to.
    home: String,
    caller: String,
    /// The first `Exten` seen: for a trunk channel, the DID that was called.
    first_exten: String,
    /// The legs this channel is the called side of, as (conversation, leg key).
    legs: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
struct Leg {
    key: String,
    identity: String,
    direction: Direction,
    remote: Option<String>,
    extension: Option<String>,
    /// Whether the dialled party is one of ours (an extension), as opposed to an external number.
    internal: bool,
    answered: bool,
    ended: bool,
    transferred: bool,
}

#[derive(Clone, Debug, Default)]
struct Conv {
    direction: Option<Direction>,
    /// The other party of an inbound or outbound conversation.
    remote: Option<String>,
    line: Option<String>,
    legs: Vec<Leg>,
    live: BTreeSet<String>,
    /// The conversation's first channel (`Uniqueid == Linkedid`) was seen being created.
    origin_seen: bool,
    origin_at: Option<i64>,
    origin_caller: String,
    origin_exten: String,
    origin_resource: String,
    touched: i64,
}

impl Conv {
    fn leg_mut(&mut self, key: &str) -> Option<&mut Leg> {
        self.legs.iter_mut().find(|l| l.key == key)
    }
}

/// The AMI state: live conversations, channels and bridges. Kept across reconnects, so a call that
/// spans a short outage still closes properly.
#[derive(Default)]
pub struct Tracker {
    convs: HashMap<String, Conv>,
    chans: HashMap<String, Chan>,
    names: HashMap<String, String>,
    bridges: HashMap<String, Vec<String>>,
    finished: VecDeque<String>,
    finished_set: HashSet<String>,
    frames: u64,
    /// The office's own lines (E.164).
    own_lines: Vec<String>,
}

/// What every emitted event shares, so the handlers stay short.
struct Out<'a> {
    frame: &'a Frame,
    at: Option<i64>,
    events: Vec<CallEvent>,
}

impl Out<'_> {
    fn push(
        &mut self,
        conv_id: &str,
        conv: &Conv,
        leg: &Leg,
        kind: EventKind,
        agent: Option<String>,
        cause: Option<String>,
    ) {
        self.events.push(CallEvent {
            group: Some(conv_id.to_string()),
            direction: Some(leg.direction),
            remote: leg.remote.clone(),
            extension: leg.extension.clone(),
            line: if leg.direction == Direction::In {
                conv.line.clone()
            } else {
                None
            },
            agent,
            cause,
            at: self.at,
            payload: self.frame.to_text(),
            ..CallEvent::new(SOURCE, &leg.key, kind)
        });
    }
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// Tells the tracker the office's own main numbers and DIDs (E.164, as `sources::Intake` reads
    /// them): a channel that presents one of them when it dials out is the office's side of the
    /// call, not a caller (see `dials_out_for_us`).
    pub fn set_own_lines(&mut self, e164: &[String]) {
        if self.own_lines != e164 {
            self.own_lines = e164.to_vec();
        }
    }

    /// How many conversations are being followed (for the status page and tests).
    pub fn open_conversations(&self) -> usize {
        self.convs.len()
    }

    /// Takes one frame. `at` is the event's time from Asterisk's clock if it is trusted (the
    /// `Timestamp` header of `timestampevents=yes`), `now` the server's clock for housekeeping.
    pub fn on_frame(
        &mut self,
        model: &NumberModel,
        f: &Frame,
        at: Option<i64>,
        now: i64,
    ) -> Vec<CallEvent> {
        self.frames += 1;
        if self.frames % 1024 == 0 {
            self.forget_older_than(now - FORGET_AFTER);
        }
        let mut out = Out {
            frame: f,
            at,
            events: Vec::new(),
        };
        match f.event() {
            "Newchannel" => {
                if let Some(uid) = self.observe(f, "", now) {
                    if let Some(conv) = self.convs.get_mut(&uid) {
                        conv.origin_at = conv.origin_at.or(at);
                    }
                }
            }
            "DialBegin" => self.dial_begin(model, f, now, &mut out),
            "DialEnd" => self.dial_end(f, now, &mut out),
            "BridgeEnter" => self.bridge_enter(model, f, now, &mut out),
            "BridgeLeave" => {
                let uid = f.get("Uniqueid");
                if let Some(m) = self.bridges.get_mut(f.get("BridgeUniqueid")) {
                    m.retain(|u| u != uid);
                }
            }
            "BridgeDestroy" => {
                self.bridges.remove(f.get("BridgeUniqueid"));
            }
            "Hangup" => self.hangup(model, f, now, &mut out),
            "BlindTransfer" => self.blind_transfer(f, &mut out),
            "Cdr" => self.cdr(f, &mut out),
            "CEL" if f.get("EventName") == "LINKEDID_END" => {
                let id = f.get("LinkedID").to_string();
                self.finish(model, &id, &mut out);
            }
            "CEL" => {}
            _ => {
                // NewCallerid and friends: keep the caller number current.
                if f.has("Uniqueid") && f.has("Linkedid") {
                    self.observe(f, "", now);
                }
            }
        }
        out.events
    }

    /// Records the channel described by the fields with `prefix` (`""` or `"Dest"`); returns its
    /// `Uniqueid`, or `None` for a channel of a conversation that has already ended.
    fn observe(&mut self, f: &Frame, prefix: &str, now: i64) -> Option<String> {
        let field = |n: &str| f.get(&format!("{prefix}{n}")).to_string();
        let uid = field("Uniqueid");
        if uid.is_empty() {
            return None;
        }
        let mut linkedid = field("Linkedid");
        if linkedid.is_empty() {
            linkedid = f.get("Linkedid").to_string();
        }
        if linkedid.is_empty() {
            linkedid = uid.clone();
        }
        let known = self.chans.contains_key(&uid);
        if !known && self.finished_set.contains(&linkedid) {
            return None;
        }
        let name = field("Channel");
        let caller = field("CallerIDNum");
        let exten = field("Exten");
        let chan = self.chans.entry(uid.clone()).or_insert_with(|| Chan {
            home: linkedid.clone(),
            ..Chan::default()
        });
        if !name.is_empty() && chan.name != name {
            if !chan.name.is_empty() {
                self.names.remove(&chan.name);
            }
            chan.name = name.clone();
            self.names.insert(name, uid.clone());
        }
        if !caller.is_empty() {
            chan.caller = caller;
        }
        if chan.first_exten.is_empty() && !exten.is_empty() {
            chan.first_exten = exten;
        }
        let home = chan.home.clone();
        let (caller, first_exten, resource) = (
            chan.caller.clone(),
            chan.first_exten.clone(),
            channel_resource(&chan.name).unwrap_or_default(),
        );
        if self.finished_set.contains(&home) {
            // A transfer target outliving its own (consultation) conversation.
            return Some(uid);
        }
        let conv = self.convs.entry(home.clone()).or_default();
        conv.touched = now;
        if !known {
            conv.live.insert(uid.clone());
        }
        if uid == home {
            if !known && prefix.is_empty() && f.event() == "Newchannel" {
                conv.origin_seen = true;
            }
            conv.origin_caller = caller;
            conv.origin_exten = first_exten;
            conv.origin_resource = resource;
        }
        Some(uid)
    }

    /// The calling side of a channel: its endpoint when that is an extension, else its caller id.
    fn caller_party(model: &NumberModel, name: &str, caller: &str) -> (Party, String) {
        if let Some(r) = channel_resource(name) {
            if is_number_like(&r) && classify(model, &r) == Party::Internal {
                return (Party::Internal, r);
            }
        }
        (classify(model, caller), caller.to_string())
    }

    /// Whether a channel dialling an outside number is the office's side although its endpoint is
    /// no extension number: its caller id is one of the office's own lines. The endpoint's settings
    /// or an outbound route put the company's number on a named endpoint's channel
    /// (`PJSIP/alice-…`) before it dials the trunk; read as a caller, that number made the call an
    /// inbound one from ourselves. Not ours, though it may show our number to the far end: the
    /// trunk itself (the endpoint this dial goes out on, as when a call comes in on a trunk and
    /// goes straight back out), and any channel of a conversation that came in, which is being
    /// forwarded (follow-me with a fixed caller id).
    fn dials_out_for_us(&self, model: &NumberModel, caller: &Chan, dest_channel: &str) -> bool {
        let our_number = match model.normalize(&caller.caller) {
            Ok(Normalized::Public { e164, .. }) => {
                self.own_lines.iter().any(|l| l == e164.as_str())
            }
            _ => false,
        };
        let came_in = self.convs.get(&caller.home).and_then(|c| c.direction) == Some(Direction::In);
        our_number && !came_in && channel_resource(&caller.name) != channel_resource(dest_channel)
    }

    fn dial_begin(&mut self, model: &NumberModel, f: &Frame, now: i64, out: &mut Out) {
        // The originate's own dial has no calling channel: it rings the first party, not a call.
        let Some(caller_uid) = f.has("Channel").then(|| self.observe(f, "", now)).flatten() else {
            return;
        };
        let Some(dest_uid) = self.observe(f, "Dest", now) else {
            return;
        };
        let Some(caller) = self.chans.get(&caller_uid).cloned() else {
            return;
        };
        let conv_id = caller.home.clone();
        let identity = dial_target(f.get("DialString"))
            .or_else(|| channel_resource(f.get("DestChannel")))
            .unwrap_or_default();
        if identity.is_empty() {
            return;
        }

        // A Local channel's second half dialling on: the same leg when it dials the same party.
        if let Some(first_half) = caller.name.strip_suffix(";2").map(|n| format!("{n};1")) {
            if let Some(parent) = self.names.get(&first_half).and_then(|u| self.chans.get(u)) {
                let same = parent.legs.iter().find(|(c, k)| {
                    *c == conv_id
                        && self
                            .convs
                            .get(c)
                            .and_then(|cv| cv.legs.iter().find(|l| &l.key == k))
                            .is_some_and(|l| l.identity == identity)
                });
                if let Some(link) = same.cloned() {
                    if let Some(d) = self.chans.get_mut(&dest_uid) {
                        d.legs.push(link);
                    }
                    if let Some(cv) = self.convs.get_mut(&conv_id) {
                        cv.live.insert(dest_uid);
                    }
                    return;
                }
            }
        }

        let dest_party = classify(model, &identity);
        let (caller_party, caller_id) = if dest_party == Party::External
            && self.dials_out_for_us(model, &caller, f.get("DestChannel"))
        {
            match channel_resource(&caller.name).filter(|r| classify(model, r) == Party::Internal) {
                Some(endpoint) => (Party::Internal, endpoint),
                None => (Party::Unknown, String::new()),
            }
        } else {
            Self::caller_party(model, &caller.name, &caller.caller)
        };
        let Some(conv) = self.convs.get_mut(&conv_id) else {
            return;
        };
        let (direction, remote, extension) = match (caller_party, dest_party) {
            (Party::Internal, Party::Internal) => (
                Direction::Internal,
                Some(caller_id.clone()),
                Some(identity.clone()),
            ),
            (Party::Internal, Party::External) => (
                Direction::Out,
                Some(identity.clone()),
                Some(caller_id.clone()),
            ),
            (Party::Unknown, Party::External) if conv.direction != Some(Direction::In) => {
                (Direction::Out, Some(identity.clone()), None)
            }
            (_, Party::Internal) => (
                Direction::In,
                Some(non_empty(&caller_id).unwrap_or_else(|| "anonymous".into())),
                Some(identity.clone()),
            ),
            // An external caller forwarded to an external number (follow-me to a mobile).
            (_, Party::External) => (
                Direction::In,
                Some(non_empty(&caller_id).unwrap_or_else(|| "anonymous".into())),
                None,
            ),
            _ => return,
        };
        if conv.legs.iter().any(|l| l.key == dest_uid) {
            return;
        }
        if conv.direction.is_none() || conv.direction == Some(Direction::Internal) {
            conv.direction = Some(direction);
            conv.remote = remote.clone();
        }
        if direction == Direction::In && conv.line.is_none() {
            conv.line = [caller.first_exten.as_str(), conv.origin_exten.as_str()]
                .into_iter()
                .find(|x| matches!(model.normalize(x), Ok(Normalized::Public { .. })))
                .map(str::to_string);
        }
        let leg = Leg {
            key: dest_uid.clone(),
            identity,
            direction,
            remote,
            extension,
            internal: dest_party == Party::Internal,
            answered: false,
            ended: false,
            transferred: false,
        };
        conv.live.insert(dest_uid.clone());
        let kind = if direction == Direction::Out {
            EventKind::Dialing
        } else {
            EventKind::Ringing
        };
        out.push(&conv_id, conv, &leg, kind, None, None);
        conv.legs.push(leg);
        if let Some(d) = self.chans.get_mut(&dest_uid) {
            d.legs.push((conv_id, dest_uid));
        }
    }

    /// The leg a called channel stands for in the conversation of `caller_uid`.
    fn leg_of(&self, dest_uid: &str, conv_id: &str) -> Option<String> {
        self.chans
            .get(dest_uid)?
            .legs
            .iter()
            .find(|(c, _)| c == conv_id)
            .map(|(_, k)| k.clone())
    }

    fn answer(&mut self, conv_id: &str, key: &str, out: &mut Out) {
        let Some(conv) = self.convs.get_mut(conv_id) else {
            return;
        };
        let Some(leg) = conv.leg_mut(key) else {
            return;
        };
        if leg.answered || leg.ended {
            return;
        }
        leg.answered = true;
        let leg = leg.clone();
        let agent = match leg.direction {
            Direction::Out => None,
            _ => Some(leg.identity.clone()),
        };
        out.push(conv_id, conv, &leg, EventKind::Answered, agent, None);
    }

    fn end(&mut self, conv_id: &str, key: &str, cause: Option<String>, out: &mut Out) {
        let Some(conv) = self.convs.get_mut(conv_id) else {
            return;
        };
        let Some(leg) = conv.leg_mut(key) else {
            return;
        };
        if leg.ended {
            return;
        }
        leg.ended = true;
        let leg = leg.clone();
        out.push(conv_id, conv, &leg, EventKind::Hangup, None, cause);
    }

    fn dial_end(&mut self, f: &Frame, now: i64, out: &mut Out) {
        if !f.has("Channel") {
            return;
        }
        let (Some(caller_uid), Some(dest_uid)) =
            (self.observe(f, "", now), self.observe(f, "Dest", now))
        else {
            return;
        };
        let Some(conv_id) = self.chans.get(&caller_uid).map(|c| c.home.clone()) else {
            return;
        };
        let Some(key) = self.leg_of(&dest_uid, &conv_id) else {
            return;
        };
        match f.get("DialStatus") {
            "" => {}
            "ANSWER" => self.answer(&conv_id, &key, out),
            status => {
                let answered = self
                    .convs
                    .get(&conv_id)
                    .and_then(|c| c.legs.iter().find(|l| l.key == key))
                    .is_some_and(|l| l.answered);
                if !answered {
                    self.end(&conv_id, &key, Some(status.to_string()), out);
                }
            }
        }
    }

    fn bridge_enter(&mut self, model: &NumberModel, f: &Frame, now: i64, out: &mut Out) {
        let Some(uid) = self.observe(f, "", now) else {
            return;
        };
        let bridge = f.get("BridgeUniqueid").to_string();
        if bridge.is_empty() {
            return;
        }
        // A holding bridge (parking, a waiting room) holds callers apart; nobody talks there.
        if f.get("BridgeType").eq_ignore_ascii_case("holding") {
            return;
        }
        let members = self.bridges.entry(bridge).or_default();
        let others: Vec<String> = members.iter().filter(|m| **m != uid).cloned().collect();
        if !members.contains(&uid) {
            members.push(uid.clone());
        }
        for other in others {
            let (Some(a), Some(b)) = (self.chans.get(&uid), self.chans.get(&other)) else {
                continue;
            };
            if a.home == b.home {
                // Two channels of one conversation in a bridge: whichever legs they carry are answered.
                let conv_id = a.home.clone();
                let keys: Vec<String> = a
                    .legs
                    .iter()
                    .chain(b.legs.iter())
                    .filter(|(c, _)| *c == conv_id)
                    .map(|(_, k)| k.clone())
                    .collect();
                for k in keys {
                    self.answer(&conv_id, &k, out);
                }
            } else {
                self.join_across(model, &uid, &other, out);
                self.join_across(model, &other, &uid, out);
            }
        }
    }

    /// `party` (a channel of conversation Y) is now talking to `external` (the outside party's channel
    /// of conversation X): an attended transfer or a pickup. X gets a leg for whoever `party` is.
    fn join_across(&mut self, model: &NumberModel, external: &str, party: &str, out: &mut Out) {
        let (Some(x), Some(p)) = (self.chans.get(external), self.chans.get(party)) else {
            return;
        };
        let (x_id, y_id) = (x.home.clone(), p.home.clone());
        let Some(conv) = self.convs.get(&x_id) else {
            return;
        };
        let Some(direction) = conv
            .direction
            .filter(|d| matches!(d, Direction::In | Direction::Out))
        else {
            return;
        };
        // The external side must not itself be one of X's extensions.
        let x_is_agent = x
            .legs
            .iter()
            .any(|(c, k)| *c == x_id && conv.legs.iter().any(|l| &l.key == k && l.internal));
        if x_is_agent || p.legs.iter().any(|(c, _)| *c == x_id) {
            return;
        }
        let identity = p
            .legs
            .iter()
            .filter(|(c, _)| *c == y_id)
            .find_map(|(c, k)| {
                self.convs
                    .get(c)?
                    .legs
                    .iter()
                    .find(|l| &l.key == k && l.internal)
                    .map(|l| l.identity.clone())
            })
            .or_else(|| {
                let (party, id) = Self::caller_party(model, &p.name, &p.caller);
                (party == Party::Internal).then_some(id)
            });
        let Some(identity) = identity else {
            return;
        };
        let key = format!("{x_id}/{party}");
        let Some(conv) = self.convs.get_mut(&x_id) else {
            return;
        };
        let (remote, extension) = (conv.remote.clone(), Some(identity.clone()));
        let handed_over = conv
            .legs
            .iter()
            .rposition(|l| l.answered && l.internal && !l.transferred && l.identity != identity);
        if let Some(i) = handed_over {
            conv.legs[i].transferred = true;
            let leg = conv.legs[i].clone();
            out.push(
                &x_id,
                conv,
                &leg,
                EventKind::Transfer,
                Some(identity.clone()),
                None,
            );
        }
        let leg = Leg {
            key: key.clone(),
            identity: identity.clone(),
            direction,
            remote,
            extension,
            internal: true,
            answered: true,
            ended: false,
            transferred: false,
        };
        out.push(&x_id, conv, &leg, EventKind::Answered, Some(identity), None);
        conv.legs.push(leg);
        conv.live.insert(party.to_string());
        if let Some(pc) = self.chans.get_mut(party) {
            pc.legs.push((x_id, key));
        }
    }

    fn hangup(&mut self, model: &NumberModel, f: &Frame, now: i64, out: &mut Out) {
        let Some(uid) = self.observe(f, "", now) else {
            return;
        };
        let cause = non_empty(f.get("Cause")).filter(|c| c != "0");
        let legs = self
            .chans
            .get(&uid)
            .map(|c| c.legs.clone())
            .unwrap_or_default();
        for (conv_id, key) in &legs {
            // A leg ends with the last channel that carries it. A Local channel's `;1` and the
            // phone its `;2` dialled carry one leg (see `dial_begin`), and Asterisk optimizes a
            // Local channel without `/n` away once the call is up: LocalOptimizationBegin, the
            // real channels meet in one bridge (`BridgeEnter` with `SwapUniqueid`, the half it
            // replaces), LocalOptimizationEnd, then both halves hang up while the call goes on.
            // Ended at the `;1` hangup, an answered call lasted until the optimization.
            let carried_on = self.chans.iter().any(|(other, c)| {
                *other != uid && c.legs.iter().any(|(cv, k)| cv == conv_id && k == key)
            });
            if !carried_on {
                self.end(conv_id, key, cause.clone(), out);
            }
        }
        if let Some(c) = self.chans.remove(&uid) {
            self.names.remove(&c.name);
        }
        for m in self.bridges.values_mut() {
            m.retain(|u| *u != uid);
        }
        let mut empty = Vec::new();
        for (id, conv) in self.convs.iter_mut() {
            if conv.live.remove(&uid) && conv.live.is_empty() {
                empty.push(id.clone());
            }
        }
        empty.sort();
        for id in empty {
            self.finish(model, &id, out);
        }
    }

    fn blind_transfer(&mut self, f: &Frame, out: &mut Out) {
        let target = f.get("Extension").to_string();
        let legs = self
            .chans
            .get(f.get("TransfererUniqueid"))
            .map(|c| c.legs.clone())
            .unwrap_or_default();
        for (conv_id, key) in legs {
            let Some(conv) = self.convs.get_mut(&conv_id) else {
                continue;
            };
            let Some(leg) = conv.leg_mut(&key) else {
                continue;
            };
            if leg.transferred || !leg.answered {
                continue;
            }
            leg.transferred = true;
            let leg = leg.clone();
            out.push(
                &conv_id,
                conv,
                &leg,
                EventKind::Transfer,
                non_empty(&target),
                None,
            );
        }
    }

    /// A CDR for a leg that is still open closes it: its `DialEnd` and `Hangup` were lost.
    fn cdr(&mut self, f: &Frame, out: &mut Out) {
        let Some(uid) = self.names.get(f.get("DestinationChannel")).cloned() else {
            return;
        };
        let legs = self
            .chans
            .get(&uid)
            .map(|c| c.legs.clone())
            .unwrap_or_default();
        for (conv_id, key) in legs {
            if !f.get("AnswerTime").is_empty() {
                self.answer(&conv_id, &key, out);
            }
            self.end(&conv_id, &key, non_empty(f.get("Disposition")), out);
        }
    }

    /// Ends a conversation: closes what is open, turns an inbound call that rang nobody into a missed
    /// call, and forgets it.
    fn finish(&mut self, model: &NumberModel, conv_id: &str, out: &mut Out) {
        let Some(conv) = self.convs.get(conv_id) else {
            return;
        };
        let open: Vec<String> = conv
            .legs
            .iter()
            .filter(|l| !l.ended)
            .map(|l| l.key.clone())
            .collect();
        for key in open {
            self.end(conv_id, &key, None, out);
        }
        let Some(conv) = self.convs.remove(conv_id) else {
            return;
        };
        if conv.legs.is_empty() && conv.origin_seen {
            let (party, caller) =
                Self::caller_party_resource(model, &conv.origin_resource, &conv.origin_caller);
            if matches!(party, Party::External | Party::Withheld) {
                let line = matches!(
                    model.normalize(&conv.origin_exten),
                    Ok(Normalized::Public { .. })
                )
                .then(|| conv.origin_exten.clone());
                let leg = Leg {
                    key: conv_id.to_string(),
                    identity: String::new(),
                    direction: Direction::In,
                    remote: Some(non_empty(&caller).unwrap_or_else(|| "anonymous".into())),
                    extension: None,
                    internal: false,
                    answered: false,
                    ended: true,
                    transferred: false,
                };
                let shown = Conv {
                    line,
                    ..Conv::default()
                };
                let end_at = out.at;
                out.at = conv.origin_at.or(end_at);
                out.push(conv_id, &shown, &leg, EventKind::Ringing, None, None);
                out.at = end_at;
                out.push(conv_id, &shown, &leg, EventKind::Hangup, None, None);
            }
        }
        for c in self.chans.values_mut() {
            c.legs.retain(|(cv, _)| cv != conv_id);
        }
        // Its channels go too, unless they carry a leg of another conversation (a transfer target).
        let gone: Vec<String> = self
            .chans
            .iter()
            .filter(|(_, c)| c.home == conv_id && c.legs.is_empty())
            .map(|(u, _)| u.clone())
            .collect();
        for uid in gone {
            if let Some(c) = self.chans.remove(&uid) {
                self.names.remove(&c.name);
            }
        }
        self.remember_finished(conv_id);
    }

    fn caller_party_resource(model: &NumberModel, resource: &str, caller: &str) -> (Party, String) {
        if is_number_like(resource) && classify(model, resource) == Party::Internal {
            return (Party::Internal, resource.to_string());
        }
        (classify(model, caller), caller.to_string())
    }

    fn remember_finished(&mut self, id: &str) {
        if self.finished_set.insert(id.to_string()) {
            self.finished.push_back(id.to_string());
            while self.finished.len() > FINISHED_MEMORY {
                if let Some(old) = self.finished.pop_front() {
                    self.finished_set.remove(&old);
                }
            }
        }
    }

    fn forget_older_than(&mut self, cutoff: i64) {
        let old: Vec<String> = self
            .convs
            .iter()
            .filter(|(_, c)| c.touched < cutoff)
            .map(|(k, _)| k.clone())
            .collect();
        for id in old {
            self.convs.remove(&id);
            self.chans.retain(|_, c| c.home != id);
            self.remember_finished(&id);
        }
        let chans = &self.chans;
        self.names.retain(|_, uid| chans.contains_key(uid));
        self.bridges
            .retain(|_, m| m.iter().any(|u| chans.contains_key(u)));
    }
}

#[cfg(test)]
mod tests;
