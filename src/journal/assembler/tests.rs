//! The assembler's rules: pure ones table-driven, the whole path against an in-memory database.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use super::*;
use crate::journal::janitor;
use crate::number::NumberModel;
use crate::store::migrate;

fn model() -> NumberModel {
    NumberModel {
        area_code: "30".into(),
        outside_prefix: "0".into(),
        ..NumberModel::default()
    }
}

/// A test event builder.
struct E(Prepared);

impl E {
    fn new(source: &str, key: &str, kind: EventKind, at: i64) -> E {
        E(Prepared {
            source: source.into(),
            key: key.into(),
            group: None,
            kind,
            direction: None,
            at,
            at_trusted: true,
            remote_raw: None,
            remote_key: None,
            remote_e164: None,
            extension: None,
            line_e164: None,
            agent: None,
            cause: None,
            recording_url: None,
            payload: String::new(),
            fingerprint: 0,
            contact: None,
            per_phone: false,
        })
    }
    fn remote(mut self, raw: &str) -> E {
        let n = model().normalize(raw).unwrap();
        self.0.remote_raw = Some(raw.into());
        self.0.remote_key = crate::journal::remote_key(&n);
        self.0.remote_e164 = n.e164().map(|e| e.as_str().to_string());
        self
    }
    fn ext(mut self, x: &str) -> E {
        self.0.extension = Some(x.into());
        self
    }
    fn agent(mut self, x: &str) -> E {
        self.0.agent = Some(x.into());
        self
    }
    fn dir(mut self, d: Direction) -> E {
        self.0.direction = Some(d);
        self
    }
    fn cause(mut self, c: &str) -> E {
        self.0.cause = Some(c.into());
        self
    }
    fn group(mut self, g: &str) -> E {
        self.0.group = Some(g.into());
        self
    }
    fn done(mut self) -> Prepared {
        let p = &self.0;
        let mut h = DefaultHasher::new();
        (
            p.kind.as_str(),
            p.at,
            &p.remote_raw,
            &p.extension,
            &p.agent,
            &p.cause,
            &p.group,
            p.direction.map(Direction::as_str),
        )
            .hash(&mut h);
        self.0.fingerprint = (h.finish() >> 1) as i64;
        self.0
    }
}

use EventKind::*;

const T: i64 = 1_709_280_000;
const CALLER: &str = "+49301234567";

fn db() -> Connection {
    let mut c = Connection::open_in_memory().unwrap();
    c.pragma_update(None, "foreign_keys", true).unwrap();
    migrate::run(&mut c).unwrap();
    c
}

fn employee(c: &Connection, name: &str, ext: &str, from: i64) -> i64 {
    let id = store::employees::insert(c, name, "", &[]).unwrap();
    store::employees::assign(c, ext, id, from).unwrap();
    id
}

fn run(c: &Connection, events: Vec<E>) -> Vec<Ingested> {
    let (out, _) = apply(
        c,
        &Rules::default(),
        T + 10_000,
        &events.into_iter().map(E::done).collect::<Vec<_>>(),
    )
    .unwrap();
    out
}

fn call(c: &Connection, id: CallId) -> CallRow {
    calls::call_row(c, id.0).unwrap().unwrap()
}

fn count(c: &Connection, table: &str) -> i64 {
    c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// name, candidate, its legs, the new leg's source, group, time and direction, and whether it joins.
type Case<'a> = (
    &'a str,
    &'a Candidate,
    Vec<LegLink>,
    &'a str,
    Option<&'a str>,
    i64,
    Direction,
    bool,
);

#[test]
fn may_join_follows_the_merge_rule() {
    let open = Candidate {
        id: 1,
        direction: Direction::In,
        started_at: 100,
        ended_at: None,
    };
    let ended = Candidate {
        ended_at: Some(160),
        ..open.clone()
    };
    let phone = |grp: Option<&str>, transferred| LegLink {
        source: "snom".into(),
        grp: grp.map(str::to_string),
        transferred,
        line_id: None,
    };
    let w = 5;
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("ring group leg while open", &open, vec![phone(None, false)], "snom", None, 101, Direction::In, true),
        ("direction differs", &open, vec![phone(None, false)], "snom", None, 101, Direction::Out, false),
        ("unknown direction joins", &open, vec![phone(None, false)], "snom", None, 101, Direction::Unknown, true),
        ("starts too long before the call", &open, vec![phone(None, false)], "snom", None, 90, Direction::In, false),
        ("clock skew within the window", &open, vec![phone(None, false)], "ami", None, 96, Direction::In, true),
        ("same source after the end: a redial", &ended, vec![phone(None, false)], "snom", None, 162, Direction::In, false),
        ("other source after the end: the PBX's report", &ended, vec![phone(None, false)], "ami", None, 162, Direction::In, true),
        ("other source too long after the end", &ended, vec![phone(None, false)], "ami", None, 170, Direction::In, false),
        ("a blind transfer on the same source", &ended, vec![phone(None, true)], "snom", None, 163, Direction::In, true),
        ("the source says another conversation", &open, vec![phone(Some("L1"), false)], "snom", Some("L2"), 101, Direction::In, false),
        ("same group from the source", &open, vec![phone(Some("L1"), false)], "snom", Some("L1"), 101, Direction::In, true),
        ("group of another source doesn't conflict", &open, vec![phone(Some("L1"), false)], "ami", Some("L2"), 101, Direction::In, true),
    ];
    for (name, cand, links, source, group, at, dir, want) in cases {
        assert_eq!(
            may_join(cand, links, (source, *group, None), *at, *dir, w),
            *want,
            "{name}"
        );
    }
    // Lines: one caller ringing two of the office's numbers at once makes two calls, when the same
    // source says so; a leg without a known line, or another source's, still joins.
    let on = |source: &str, line| LegLink {
        source: source.into(),
        grp: None,
        transferred: false,
        line_id: line,
    };
    let lines = [
        (
            "another line of the same source",
            on("cti", Some(1)),
            "cti",
            Some(2),
            false,
        ),
        ("the same line", on("cti", Some(1)), "cti", Some(1), true),
        (
            "the new leg's line unknown",
            on("cti", Some(1)),
            "cti",
            None,
            true,
        ),
        (
            "the call's line unknown",
            on("cti", None),
            "cti",
            Some(2),
            true,
        ),
        (
            "another source's line",
            on("ami", Some(1)),
            "cti",
            Some(2),
            true,
        ),
    ];
    for (name, link, source, line, want) in lines {
        assert_eq!(
            may_join(&open, &[link], (source, None, line), 101, Direction::In, w),
            want,
            "{name}"
        );
    }
}

fn leg(id: i64, dir: Direction) -> LegRow {
    LegRow {
        id,
        call_id: 1,
        source: "x".into(),
        source_key: id.to_string(),
        grp: None,
        direction: dir,
        direction_known: true,
        remote_raw: String::new(),
        remote_e164: None,
        remote_key: None,
        extension: None,
        agent: None,
        employee_id: None,
        line_id: None,
        started_at: 100,
        answered_at: None,
        ended_at: Some(130),
        end_how: Some(EndHow::Event),
        cause: None,
        transferred_to: None,
        last_event_at: 130,
        touched_at: 130,
    }
}

#[test]
fn status_from_causes() {
    let with = |dir, causes: &[Option<&str>]| {
        let legs: Vec<LegRow> = causes
            .iter()
            .enumerate()
            .map(|(i, c)| LegRow {
                cause: c.map(str::to_string),
                ..leg(i as i64 + 1, dir)
            })
            .collect();
        derive(&legs, Some(CALLER), 0).status
    };
    use Direction::{In, Out};
    #[rustfmt::skip]
    let cases: &[(Direction, &[Option<&str>], Status)] = &[
        (In, &[None], Status::Missed),
        (In, &[Some("missed"), None, Some("noAnswer")], Status::Missed),
        (In, &[Some("BUSY")], Status::Busy),
        (In, &[None, Some("17")], Status::Busy),
        (In, &[Some("busy"), Some("NOANSWER")], Status::Missed),
        (In, &[Some("CONGESTION")], Status::Failed),
        (Out, &[None], Status::NotAnswered),
        (Out, &[Some("busy")], Status::Busy),
        (Out, &[Some("congestion")], Status::NotAnswered),
        (Out, &[Some("normalClearing")], Status::NotAnswered),
    ];
    for (dir, causes, want) in cases {
        assert_eq!(with(*dir, causes), *want, "{dir:?} {causes:?}");
    }
}

#[test]
fn derive_times_attribution_and_estimates() {
    // A transfer: A answered first, B later; the call belongs to B, both held.
    let a = LegRow {
        answered_at: Some(105),
        ended_at: Some(150),
        agent: Some("10".into()),
        employee_id: Some(1),
        ..leg(1, Direction::In)
    };
    let b = LegRow {
        started_at: 148,
        answered_at: Some(152),
        ended_at: Some(200),
        extension: Some("11".into()),
        employee_id: Some(2),
        ..leg(2, Direction::In)
    };
    let d = derive(&[a.clone(), b.clone()], Some(CALLER), 0);
    assert_eq!(d.status, Status::Answered);
    assert_eq!(
        (d.started_at, d.answered_at, d.ended_at, d.duration),
        (100, Some(105), Some(200), 95)
    );
    assert_eq!(d.attribution, Some(1));
    // The PBX's later "answered" without an agent doesn't take the call from the phone's employee.
    let pbx = LegRow {
        answered_at: Some(106),
        employee_id: None,
        ..leg(3, Direction::In)
    };
    let d = derive(&[a.clone(), pbx], Some(CALLER), 0);
    assert_eq!(d.attribution, Some(0));
    // Still open while one leg is open; internal when the remote is an extension.
    let open = LegRow {
        ended_at: None,
        end_how: None,
        ..b.clone()
    };
    let d = derive(&[a.clone(), open], Some("x12"), 0);
    assert_eq!((d.ended_at, d.direction), (None, Direction::Internal));
    // The end comes from a janitor-closed leg: estimated.
    let closed = LegRow {
        ended_at: Some(300),
        end_how: Some(EndHow::Janitor),
        ..b
    };
    assert!(derive(&[a, closed], Some(CALLER), 0).end_estimated);
}

#[test]
fn siblings_stop_ringing_when_one_answers() {
    let ringing = |id, start| LegRow {
        started_at: start,
        ended_at: None,
        end_how: None,
        ..leg(id, Direction::In)
    };
    let mut legs = vec![
        ringing(1, 100),
        LegRow {
            answered_at: Some(110),
            ..ringing(2, 100)
        },
        ringing(3, 100),
        // Rang only after the answer: a transfer target, still ringing.
        ringing(4, 140),
    ];
    assert_eq!(infer_sibling_ends(&mut legs), vec![0, 2]);
    assert_eq!(legs[0].ended_at, Some(110));
    assert_eq!(legs[0].end_how, Some(EndHow::Inferred));
    assert_eq!(legs[0].cause.as_deref(), Some(ANSWERED_ELSEWHERE));
    assert_eq!(legs[3].ended_at, None);
}

#[test]
fn a_ring_group_is_one_missed_call() {
    let c = db();
    let mut evs = Vec::new();
    for (i, ext) in ["10", "11", "12"].iter().enumerate() {
        let key = format!("phone{i}/abc");
        evs.push(
            E::new("snom", &key, Ringing, T + i as i64)
                .remote(CALLER)
                .ext(ext),
        );
    }
    for i in 0..3 {
        evs.push(E::new("snom", &format!("phone{i}/abc"), Missed, T + 20));
    }
    let out = run(&c, evs);
    assert!(out.iter().all(|o| o.call_id == out[0].call_id));
    let row = call(&c, out[0].call_id);
    assert_eq!(row.status, Status::Missed);
    assert_eq!(row.direction, Direction::In);
    assert_eq!((row.started_at, row.ended_at), (T, Some(T + 20)));
    assert_eq!(count(&c, "calls"), 1);
    assert_eq!(count(&c, "call_legs"), 3);
}

#[test]
fn answered_on_the_second_phone_is_that_phones_employee() {
    let c = db();
    employee(&c, "Anna", "10", 0);
    let bob = employee(&c, "Bob", "11", 0);
    let out = run(
        &c,
        vec![
            E::new("snom", "a/1", Ringing, T).remote(CALLER).ext("10"),
            E::new("snom", "b/1", Ringing, T).remote(CALLER).ext("11"),
            E::new("snom", "b/1", Answered, T + 8),
            E::new("snom", "b/1", Hangup, T + 68),
        ],
    );
    let row = call(&c, out[0].call_id);
    assert_eq!(row.status, Status::Answered);
    assert_eq!(row.employee_id, Some(bob));
    assert_eq!(row.extension.as_deref(), Some("11"));
    assert_eq!((row.duration, row.ended_at), (60, Some(T + 68)));
    // Phone a never reported again: closed when b answered, so the call ended with b.
    let legs = calls::legs_of(&c, row.id).unwrap();
    assert_eq!(legs[0].end_how, Some(EndHow::Inferred));
}

#[test]
fn a_repeated_event_changes_nothing() {
    let c = db();
    let seq = || {
        vec![
            E::new("api", "c1", Ringing, T).remote(CALLER).ext("10"),
            E::new("api", "c1", Answered, T + 5),
            E::new("api", "c1", Hangup, T + 50),
        ]
    };
    let first = run(&c, seq());
    let before = call(&c, first[0].call_id);
    let events = count(&c, "call_events");
    let again = run(&c, seq());
    assert!(again.iter().all(|o| o.duplicate));
    assert_eq!(call(&c, first[0].call_id), before);
    assert_eq!(count(&c, "call_events"), events);
    assert_eq!(count(&c, "calls"), 1);
}

#[test]
fn phone_and_pbx_reports_merge_into_one_call() {
    let c = db();
    let anna = employee(&c, "Anna", "10", 0);
    let out = run(
        &c,
        vec![
            E::new("ami", "1709.1", Ringing, T)
                .remote("030 1234567")
                .dir(Direction::In)
                .group("1709.1"),
            E::new("snom", "mac/xyz", Ringing, T + 1)
                .remote("+49301234567")
                .ext("10"),
            E::new("snom", "mac/xyz", Answered, T + 4),
            E::new("ami", "1709.1", Answered, T + 4).agent("10"),
            E::new("snom", "mac/xyz", Hangup, T + 90),
            E::new("ami", "1709.1", Hangup, T + 91).cause("16"),
        ],
    );
    assert!(out.iter().all(|o| o.call_id == out[0].call_id), "{out:?}");
    let row = call(&c, out[0].call_id);
    assert_eq!(row.sources, "ami,snom");
    assert_eq!(row.employee_id, Some(anna));
    assert_eq!(
        (row.status, row.answered_at, row.ended_at),
        (Status::Answered, Some(T + 4), Some(T + 91))
    );
    assert!(!row.end_estimated);
}

#[test]
fn a_redial_after_a_missed_call_is_a_new_call_and_handles_the_missed_one() {
    let c = db();
    let out = run(
        &c,
        vec![
            E::new("fritz", "1@a", Ringing, T).remote(CALLER).ext("10"),
            E::new("fritz", "1@a", Hangup, T + 15),
            E::new("fritz", "1@b", Ringing, T + 17)
                .remote(CALLER)
                .ext("10"),
            E::new("fritz", "1@b", Answered, T + 20),
        ],
    );
    assert_ne!(out[0].call_id, out[2].call_id);
    let missed = call(&c, out[0].call_id);
    assert_eq!(missed.status, Status::Missed);
    assert!(missed.handled_at.is_some(), "the repeat call handled it");
    let how: String = c
        .query_row(
            "SELECT handled_how FROM calls WHERE id = ?1",
            [missed.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(how, "answered_again");
}

#[test]
fn a_group_joins_legs_even_without_a_number() {
    let c = db();
    let out = run(
        &c,
        vec![
            E::new("ami", "chan-1", Ringing, T)
                .remote("anonymous")
                .group("L9")
                .ext("10"),
            E::new("ami", "chan-2", Ringing, T)
                .remote("anonymous")
                .group("L9")
                .ext("11"),
            E::new("ami", "chan-3", Ringing, T + 1)
                .remote("anonymous")
                .ext("12"),
        ],
    );
    assert_eq!(out[0].call_id, out[1].call_id);
    assert_ne!(
        out[0].call_id, out[2].call_id,
        "withheld numbers never merge by rule 2"
    );
}

#[test]
fn policies_hide_calls_and_late_facts_unhide_them() {
    let c = db();
    let rules = Rules {
        policy: Policy {
            skip_unheld_extensions: true,
            ..Policy::default()
        },
        ..Rules::default()
    };
    let go = |evs: Vec<E>| {
        apply(
            &c,
            &rules,
            T,
            &evs.into_iter().map(E::done).collect::<Vec<_>>(),
        )
        .unwrap()
        .0
    };
    let internal = go(vec![E::new("snom", "i/1", Dialing, T)
        .remote("11")
        .ext("10")]);
    assert_eq!(internal[0].suppressed, Some(Reason::Internal));
    // Rings on an unheld extension first, then on a held one: journaled after all.
    employee(&c, "Anna", "20", 0);
    let rg = go(vec![E::new("snom", "r/1", Ringing, T)
        .remote(CALLER)
        .ext("99")]);
    assert_eq!(rg[0].suppressed, Some(Reason::UnheldExtension));
    let rg2 = go(vec![E::new("snom", "r/2", Ringing, T + 1)
        .remote(CALLER)
        .ext("20")]);
    assert_eq!(rg2[0].call_id, rg[0].call_id);
    assert_eq!(rg2[0].suppressed, None);
}

#[test]
fn the_janitor_closes_a_rejected_call_and_a_late_end_replaces_the_estimate() {
    let c = db();
    let out = run(
        &c,
        vec![E::new("snom", "m/1", Ringing, T).remote(CALLER).ext("10")],
    );
    let id = out[0].call_id;
    let now = T + 10_000 + 301;
    let (pass, changes) =
        janitor::pass_chunk(&c, &Rules::default(), now, now - 300, now - 86_400).unwrap();
    assert_eq!(pass.closed_ringing, 1);
    assert!(changes
        .iter()
        .any(|ch| ch.call_id == id && ch.kind == ChangeKind::Ended));
    let row = call(&c, id);
    assert_eq!(
        (row.status, row.ended_at, row.end_estimated),
        (Status::Missed, Some(T), true)
    );
    // Nothing left to close.
    let (pass, _) =
        janitor::pass_chunk(&c, &Rules::default(), now, now - 300, now - 86_400).unwrap();
    assert_eq!(pass.closed_ringing, 0);
    // The phone's own "missed" arrives after all: the real end wins.
    run(&c, vec![E::new("snom", "m/1", Missed, T + 25)]);
    let row = call(&c, id);
    assert_eq!((row.ended_at, row.end_estimated), (Some(T + 25), false));
}

#[test]
fn attribution_follows_the_assignment_history() {
    let c = db();
    let anna = employee(&c, "Anna", "10", T - 1000);
    let bob = store::employees::insert(&c, "Bob", "", &[]).unwrap();
    store::employees::assign(&c, "10", bob, T + 500).unwrap();
    let out = run(
        &c,
        vec![
            E::new("api", "early", Ringing, T).remote(CALLER).ext("10"),
            E::new("api", "early", Answered, T + 2),
            E::new("api", "early", Hangup, T + 30),
            E::new("api", "late", Ringing, T + 600)
                .remote("+4989123456")
                .ext("10"),
            E::new("api", "late", Answered, T + 602),
        ],
    );
    assert_eq!(call(&c, out[0].call_id).employee_id, Some(anna));
    assert_eq!(call(&c, out[3].call_id).employee_id, Some(bob));
}

/// A phone's own leg of a withheld caller, as Snom and Yealink action URLs make it.
fn phone_ring(key: &str, at: i64, ext: &str, line: &str) -> E {
    let mut e = E::new("snom", key, Ringing, at)
        .remote("anonymous")
        .ext(ext)
        .dir(Direction::In);
    e.0.line_e164 = Some(line.into());
    e.0.per_phone = true;
    e
}

const LINE_A: &str = "+4930123450";
const LINE_B: &str = "+4930123460";

fn with_lines(c: &Connection) {
    store::lines::insert(c, LINE_A, LINE_A, "Sales", true).unwrap();
    store::lines::insert(c, LINE_B, LINE_B, "Support", false).unwrap();
}

/// name, candidate, its legs, the new leg's extension and time, and whether it joins.
type RingCase<'a> = (&'a str, &'a Candidate, Vec<LegRow>, &'a str, i64, bool);

#[test]
fn may_join_ring_group_keeps_other_callers_apart() {
    let open = Candidate {
        id: 1,
        direction: Direction::In,
        started_at: 100,
        ended_at: None,
    };
    // Per-phone leg keys start with the phone: here `p` and the extension it is registered as.
    let ring = |ext: &str| LegRow {
        source: "snom".into(),
        source_key: format!("p{ext}/earlier"),
        extension: Some(ext.into()),
        ended_at: None,
        end_how: None,
        ..leg(1, Direction::In)
    };
    let ended = Candidate {
        ended_at: Some(103),
        ..open.clone()
    };
    let outbound = Candidate {
        direction: Direction::Out,
        ..open.clone()
    };
    let grouped = LegRow {
        grp: Some("L1".into()),
        ..ring("11")
    };
    let numbered = LegRow {
        remote_key: Some(CALLER.into()),
        ..ring("11")
    };
    let other_source = LegRow {
        source: "ami".into(),
        ..ring("11")
    };
    let no_ext = LegRow {
        extension: None,
        ..ring("11")
    };
    // A shared line: the back-office phone is registered as extension 11 too.
    let shared = LegRow {
        source_key: "back/earlier".into(),
        ..ring("11")
    };
    #[rustfmt::skip]
    let cases: &[RingCase] = &[
        ("another phone of a shared line", &open, vec![shared.clone()], "11", 102, true),
        ("a shared line among other phones", &open, vec![shared, ring("12")], "11", 102, true),
        ("another phone of the group", &open, vec![ring("11")], "12", 102, true),
        ("a third phone", &open, vec![ring("11"), ring("12")], "13", 101, true),
        ("a ring just before the first one", &open, vec![ring("11")], "12", 96, true),
        ("the same phone again: call waiting", &open, vec![ring("11")], "11", 102, false),
        ("the same phone among others", &open, vec![ring("11"), ring("12")], "12", 102, false),
        ("too long after the first ring", &open, vec![ring("11")], "12", 106, false),
        ("the call already ended", &ended, vec![ring("11")], "12", 102, false),
        ("an outbound call", &outbound, vec![ring("11")], "12", 102, false),
        ("a leg with a conversation id", &open, vec![grouped], "12", 102, false),
        ("a leg with a number", &open, vec![numbered], "12", 102, false),
        ("a leg from another source", &open, vec![other_source], "12", 102, false),
        ("a leg without an extension", &open, vec![no_ext], "12", 102, false),
        ("a call without legs", &open, vec![], "12", 102, false),
    ];
    for (name, cand, legs, ext, at, want) in cases {
        assert_eq!(
            may_join_ring_group(cand, legs, "snom", (ext, &format!("p{ext}/new")), *at, 5),
            *want,
            "{name}"
        );
    }
}

#[test]
fn a_withheld_callers_ring_group_is_one_call_per_line() {
    let c = db();
    with_lines(&c);
    let anna = employee(&c, "Anna", "11", 0);
    employee(&c, "Ben", "12", 0);
    let out = run(
        &c,
        vec![
            // One withheld caller on line A rings phones 11 and 12; another, at the same moment
            // on line B, rings phone 13.
            phone_ring("p11/a", T, "11", LINE_A),
            phone_ring("p12/b", T + 1, "12", LINE_A),
            phone_ring("p13/c", T + 1, "13", LINE_B),
            // A second withheld caller on line A while phone 11 still rings: call waiting.
            phone_ring("p11/d", T + 2, "11", LINE_A),
            E::new("snom", "p11/a", Answered, T + 4),
            E::new("snom", "p11/a", Hangup, T + 60),
        ],
    );
    assert_eq!(
        out[0].call_id, out[1].call_id,
        "the two phones ring for one call"
    );
    assert_ne!(
        out[0].call_id, out[2].call_id,
        "another line is another caller"
    );
    assert_ne!(
        out[0].call_id, out[3].call_id,
        "phone 11 rings again: another call"
    );
    assert_eq!(count(&c, "calls"), 3);
    let merged = call(&c, out[0].call_id);
    assert_eq!(merged.status, Status::Answered);
    assert_eq!(merged.employee_id, Some(anna));
    assert_eq!(
        merged.ended_at,
        Some(T + 60),
        "phone 12 stopped when 11 answered"
    );
    assert_eq!(merged.remote_key, None);
}

#[test]
fn withheld_legs_merge_only_from_phones_on_a_known_line() {
    let c = db();
    with_lines(&c);
    let mut pbx = phone_ring("ch-1", T, "11", LINE_A);
    pbx.0.per_phone = false;
    let mut pbx2 = phone_ring("ch-2", T + 1, "12", LINE_A);
    pbx2.0.per_phone = false;
    let mut no_line = phone_ring("p11/x", T, "11", LINE_A);
    no_line.0.line_e164 = None;
    let mut no_line2 = phone_ring("p12/y", T + 1, "12", LINE_A);
    no_line2.0.line_e164 = None;
    let out = run(&c, vec![pbx, pbx2, no_line, no_line2]);
    assert_ne!(
        out[0].call_id, out[1].call_id,
        "a PBX reports one leg per call"
    );
    assert_ne!(
        out[2].call_id, out[3].call_id,
        "without a line nothing tells callers apart"
    );
    assert_eq!(count(&c, "calls"), 4);
}

/// A call's first leg writes the call whole (`start_call`) instead of a placeholder that `refresh` then
/// fills: the row must be the one `refresh` derives, so deriving it again changes nothing.
#[test]
fn a_new_call_is_written_as_refresh_would_derive_it() {
    let c = db();
    with_lines(&c);
    let anna = employee(&c, "Anna", "20", 0);
    let rules = Rules {
        policy: Policy {
            skip_internal: true,
            ..Policy::default()
        },
        ..Rules::default()
    };
    let mut with_contact = E::new("pbx", "k/7", Ringing, T + 7)
        .remote("+49301234999")
        .ext("20");
    with_contact.0.contact = Some(ContactMatch {
        id: None,
        rule: "exact".into(),
        tie: vec![4, 9],
    });
    with_contact.0.recording_url = Some("https://rec.example/7".into());
    with_contact.0.line_e164 = Some(LINE_B.into());
    let firsts = vec![
        phone_ring("m1/a", T, "20", LINE_A).remote(CALLER),
        E::new("snom", "k/2", Dialing, T + 2)
            .remote("0301112222")
            .ext("20"),
        E::new("pbx", "k/3", Answered, T + 3)
            .remote("+4940123456")
            .agent("20"),
        E::new("pbx", "k/4", Hangup, T + 4)
            .remote("+4940999999")
            .dir(Direction::Out)
            .cause("busy"),
        E::new("snom", "k/5", Dialing, T + 5).remote("11").ext("20"),
        phone_ring("m2/a", T + 6, "21", LINE_A),
        with_contact,
    ];
    let now = T + 100;
    for first in firsts {
        let ev = first.done();
        let (out, changes) = apply(&c, &rules, now, std::slice::from_ref(&ev)).unwrap();
        let id = out[0].call_id;
        let written = call(&c, id);
        assert_eq!(written.updated_at, now);
        assert_eq!(
            changes.is_empty(),
            written.suppressed.is_some(),
            "{}: a visible new call is published, a hidden one isn't",
            ev.key
        );
        let mut again = Vec::new();
        refresh(&c, &rules, now + 1, id.0, None, &mut again).unwrap();
        assert_eq!(
            call(&c, id),
            written,
            "{}: refresh changed the call",
            ev.key
        );
        assert!(again.is_empty(), "{}: refresh published {again:?}", ev.key);
        let legs = calls::legs_of(&c, id.0).unwrap();
        assert_eq!(legs.len(), 1, "{}: joined another call", ev.key);
        assert_eq!(
            (legs[0].source.as_str(), legs[0].call_id),
            (ev.source.as_str(), id.0)
        );
    }
    let all: Vec<CallRow> = (1..=7).map(|i| call(&c, CallId(i))).collect();
    assert_eq!(all[0].employee_id, Some(anna));
    assert_eq!(all[0].line_id, calls::line_id(&c, LINE_A).unwrap());
    assert_eq!(
        (
            all[1].direction,
            all[1].status,
            all[1].remote_e164.as_deref()
        ),
        (Direction::Out, Status::Ringing, Some("+49301112222"))
    );
    assert_eq!(
        (all[2].status, all[2].employee_id),
        (Status::Answered, Some(anna))
    );
    assert_eq!(
        (all[3].status, all[3].ended_at),
        (Status::Busy, Some(T + 4))
    );
    assert_eq!(all[4].suppressed, Some(Reason::Internal));
    assert_eq!(
        (all[5].remote_key.as_deref(), all[5].remote_raw.as_str()),
        (None, "anonymous")
    );
    assert_eq!(
        (
            all[6].contact_rule.as_deref(),
            all[6].contact_tie.as_deref()
        ),
        (Some("exact"), Some("4,9"))
    );
    assert_eq!(
        all[6].recording_url.as_deref(),
        Some("https://rec.example/7")
    );
    assert_eq!(all[6].line_id, calls::line_id(&c, LINE_B).unwrap());
    let description: String = c
        .query_row("SELECT description FROM calls WHERE id = 7", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(description, "");
}
