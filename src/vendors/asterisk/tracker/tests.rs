use super::*;
use crate::vendors::asterisk::frame::parse_all;

/// A Berlin office with an outside-line prefix 0 and extensions of 2 to 4 digits, as in the tests.
fn berlin() -> NumberModel {
    NumberModel {
        area_code: "30".into(),
        outside_prefix: "0".into(),
        ..NumberModel::default()
    }
}

fn fixture(name: &str) -> &'static str {
    match name {
        "answered_inbound" => {
            include_str!("../../../../tests/fixtures/asterisk-ami/answered_inbound.txt")
        }
        "missed_inbound" => {
            include_str!("../../../../tests/fixtures/asterisk-ami/missed_inbound.txt")
        }
        "busy_inbound" => include_str!("../../../../tests/fixtures/asterisk-ami/busy_inbound.txt"),
        "outbound" => include_str!("../../../../tests/fixtures/asterisk-ami/outbound.txt"),
        "ring_group_missed" => {
            include_str!("../../../../tests/fixtures/asterisk-ami/scripted/ring_group_missed.txt")
        }
        "queue_answered" => {
            include_str!("../../../../tests/fixtures/asterisk-ami/scripted/queue_answered.txt")
        }
        "outbound_busy" => {
            include_str!("../../../../tests/fixtures/asterisk-ami/scripted/outbound_busy.txt")
        }
        "attended_transfer" => {
            include_str!("../../../../tests/fixtures/asterisk-ami/scripted/attended_transfer.txt")
        }
        "outbound_chan_sip_trunk" => include_str!(
            "../../../../tests/fixtures/asterisk-ami/scripted/outbound_chan_sip_trunk.txt"
        ),
        "outbound_named_endpoint" => include_str!(
            "../../../../tests/fixtures/asterisk-ami/scripted/outbound_named_endpoint.txt"
        ),
        "local_channel_optimized" => include_str!(
            "../../../../tests/fixtures/asterisk-ami/scripted/local_channel_optimized.txt"
        ),
        other => panic!("no fixture {other}"),
    }
}

/// One event as a line: kind, key, direction, then the fields that are set.
fn summary(e: &CallEvent) -> String {
    let mut s = format!(
        "{} {} {}",
        e.kind.as_str(),
        e.key,
        e.direction.map(Direction::as_str).unwrap_or("-")
    );
    for (name, v) in [
        ("remote", &e.remote),
        ("ext", &e.extension),
        ("line", &e.line),
        ("agent", &e.agent),
        ("cause", &e.cause),
    ] {
        if let Some(v) = v {
            s.push_str(&format!(" {name}={v}"));
        }
    }
    if let Some(at) = e.at {
        s.push_str(&format!(" @{at}"));
    }
    s
}

/// The office's main number, one of its lines.
const MAIN_NUMBER: &str = "+4930123450";

fn run(tracker: &mut Tracker, text: &str) -> Vec<CallEvent> {
    let model = berlin();
    tracker.set_own_lines(&[MAIN_NUMBER.to_string()]);
    let mut out = Vec::new();
    for f in parse_all(text) {
        let at = crate::vendors::asterisk::client::timestamp(&f);
        out.extend(tracker.on_frame(&model, &f, at, 1_800_000_000));
    }
    out
}

#[test]
fn captures_and_scripts_become_the_expected_legs() {
    let cases: &[(&str, &[&str])] = &[
        (
            "answered_inbound",
            &[
                "ringing 1795325070.2 in remote=+4930123456 ext=201 line=+4930123456",
                "answered 1795325070.2 in remote=+4930123456 ext=201 line=+4930123456 agent=201",
                "hangup 1795325070.2 in remote=+4930123456 ext=201 line=+4930123456 cause=16",
            ],
        ),
        (
            "missed_inbound",
            &[
                "ringing 1795325074.6 in remote=+4930555000 ext=203 line=+4930123457",
                "hangup 1795325074.6 in remote=+4930555000 ext=203 line=+4930123457 cause=NOANSWER",
            ],
        ),
        (
            "busy_inbound",
            &[
                "ringing 1795325084.10 in remote=+4930777000 ext=204 line=+4930123458",
                "hangup 1795325084.10 in remote=+4930777000 ext=204 line=+4930123458 cause=BUSY",
            ],
        ),
        (
            "outbound",
            &[
                "dialing 1795325086.14 out remote=004930999888 ext=202",
                "answered 1795325086.14 out remote=004930999888 ext=202",
                "hangup 1795325086.14 out remote=004930999888 ext=202 cause=16",
            ],
        ),
        (
            "ring_group_missed",
            &[
                "ringing 1700000000.2 in remote=+4930111222 ext=201 line=+4930123450 @1700000000",
                "ringing 1700000000.3 in remote=+4930111222 ext=202 line=+4930123450 @1700000000",
                "hangup 1700000000.2 in remote=+4930111222 ext=201 line=+4930123450 cause=NOANSWER @1700000020",
                "hangup 1700000000.3 in remote=+4930111222 ext=202 line=+4930123450 cause=NOANSWER @1700000020",
            ],
        ),
        (
            "queue_answered",
            &[
                "ringing 1700000100.11 in remote=+4930333444 ext=201 line=+4930123451 @1700000101",
                "ringing 1700000100.13 in remote=+4930333444 ext=202 line=+4930123451 @1700000101",
                "answered 1700000100.13 in remote=+4930333444 ext=202 line=+4930123451 agent=202 @1700000107",
                "hangup 1700000100.11 in remote=+4930333444 ext=201 line=+4930123451 cause=CANCEL @1700000107",
                "hangup 1700000100.13 in remote=+4930333444 ext=202 line=+4930123451 cause=16 @1700000147",
            ],
        ),
        (
            "outbound_busy",
            &[
                "dialing 1700000200.21 out remote=0304567890 ext=202 @1700000200",
                "hangup 1700000200.21 out remote=0304567890 ext=202 cause=BUSY @1700000203",
            ],
        ),
        (
            "attended_transfer",
            &[
                "ringing 1700000300.31 in remote=+4930555666 ext=201 line=+4930123452 @1700000300",
                "answered 1700000300.31 in remote=+4930555666 ext=201 line=+4930123452 agent=201 @1700000303",
                "ringing 1700000320.33 internal remote=201 ext=202 @1700000320",
                "answered 1700000320.33 internal remote=201 ext=202 agent=202 @1700000324",
                "transfer 1700000300.31 in remote=+4930555666 ext=201 line=+4930123452 agent=202 @1700000330",
                "answered 1700000300.30/1700000320.33 in remote=+4930555666 ext=202 line=+4930123452 agent=202 @1700000330",
                "hangup 1700000300.31 in remote=+4930555666 ext=201 line=+4930123452 cause=16 @1700000330",
                // The consultation ends with its LINKEDID_END when the transfer completes.
                "hangup 1700000320.33 internal remote=201 ext=202 @1700000330",
                "hangup 1700000300.30/1700000320.33 in remote=+4930555666 ext=202 line=+4930123452 cause=16 @1700000390",
            ],
        ),
        (
            // chan_sip's `peer/number`: the number is who is called, the peer only the way out.
            "outbound_chan_sip_trunk",
            &[
                "dialing 1700000400.41 out remote=004930999888 ext=202 @1700000400",
                "answered 1700000400.41 out remote=004930999888 ext=202 @1700000404",
                "hangup 1700000400.41 out remote=004930999888 ext=202 cause=16 @1700000434",
            ],
        ),
        (
            // The main number on alice's channel is ours, not a caller's.
            "outbound_named_endpoint",
            &[
                "dialing 1700000500.51 out remote=004930999888 ext=alice @1700000500",
                "answered 1700000500.51 out remote=004930999888 ext=alice @1700000505",
                "hangup 1700000500.51 out remote=004930999888 ext=alice cause=16 @1700000525",
            ],
        ),
        (
            // The Local channel is optimized away at 5 s; 201 talks on until 90 s.
            "local_channel_optimized",
            &[
                "ringing 1700000600.61 in remote=+4930444555 ext=201 line=+4930123453 @1700000601",
                "answered 1700000600.61 in remote=+4930444555 ext=201 line=+4930123453 agent=201 @1700000605",
                "hangup 1700000600.61 in remote=+4930444555 ext=201 line=+4930123453 cause=16 @1700000690",
            ],
        ),
    ];
    for (name, want) in cases {
        let mut t = Tracker::new();
        let got: Vec<String> = run(&mut t, fixture(name)).iter().map(summary).collect();
        assert_eq!(got, *want, "{name}");
        assert_eq!(t.open_conversations(), 0, "{name}: conversations left open");
        // Every event of a capture carries the AMI frame it came from and its conversation.
        for e in run(&mut Tracker::new(), fixture(name)) {
            assert!(e.payload.starts_with("Event: "), "{name}: {}", e.payload);
            assert!(e.group.is_some());
            assert_eq!(e.source, SOURCE);
        }
    }
}

#[test]
fn a_replayed_conversation_is_ignored_by_the_same_tracker() {
    let mut t = Tracker::new();
    assert_eq!(run(&mut t, fixture("busy_inbound")).len(), 2);
    assert!(run(&mut t, fixture("busy_inbound")).is_empty());
}

#[test]
fn the_same_frames_give_the_same_events_after_a_restart() {
    for name in ["answered_inbound", "queue_answered", "attended_transfer"] {
        let a = run(&mut Tracker::new(), fixture(name));
        let b = run(&mut Tracker::new(), fixture(name));
        assert_eq!(a, b, "{name}");
    }
}

fn chan<'a>(
    prefix: &'a str,
    name: &'a str,
    uid: &'a str,
    linked: &'a str,
    caller: &'a str,
    exten: &'a str,
) -> Vec<(String, &'a str)> {
    vec![
        (format!("{prefix}Channel"), name),
        (format!("{prefix}CallerIDNum"), caller),
        (format!("{prefix}Exten"), exten),
        (format!("{prefix}Uniqueid"), uid),
        (format!("{prefix}Linkedid"), linked),
    ]
}

fn ev(event: &str, parts: &[Vec<(String, &str)>], extra: &[(&str, &str)]) -> Frame {
    let mut pairs: Vec<(String, String)> = vec![("Event".into(), event.into())];
    for p in parts {
        pairs.extend(p.iter().map(|(k, v)| (k.clone(), v.to_string())));
    }
    pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Frame { fields: pairs }
}

#[test]
fn inbound_call_that_rings_nobody_is_missed() {
    let model = berlin();
    let mut t = Tracker::new();
    let trunk = || {
        chan(
            "",
            "PJSIP/trunk-01",
            "9.1",
            "9.1",
            "+4930111222",
            "+4930123450",
        )
    };
    let mut got = Vec::new();
    for f in [
        ev("Newchannel", &[trunk()], &[]),
        ev("Hangup", &[trunk()], &[("Cause", "16")]),
    ] {
        got.extend(t.on_frame(&model, &f, None, 0));
    }
    let got: Vec<String> = got.iter().map(summary).collect();
    assert_eq!(
        got,
        [
            "ringing 9.1 in remote=+4930111222 line=+4930123450",
            "hangup 9.1 in remote=+4930111222 line=+4930123450",
        ]
    );
    // Seen only from the middle (after a reconnect), nothing is invented.
    let mut t = Tracker::new();
    let f = ev("Hangup", &[trunk()], &[("Cause", "16")]);
    assert!(t.on_frame(&model, &f, None, 0).is_empty());
    // An extension checking its voicemail is no call.
    let mut t = Tracker::new();
    let phone = || chan("", "PJSIP/201-02", "9.2", "9.2", "201", "*97");
    let mut n = t.on_frame(&model, &ev("Newchannel", &[phone()], &[]), None, 0);
    n.extend(t.on_frame(&model, &ev("Hangup", &[phone()], &[]), None, 0));
    assert!(n.is_empty(), "{n:?}");
}

#[test]
fn blind_transfer_marks_the_leg_and_the_caller_dials_on() {
    let model = berlin();
    let mut t = Tracker::new();
    let trunk = || {
        chan(
            "",
            "PJSIP/trunk-01",
            "5.1",
            "5.1",
            "+4930111222",
            "+4930123450",
        )
    };
    let p201 = |p| chan(p, "PJSIP/201-02", "5.2", "5.1", "201", "s");
    let p202 = |p| chan(p, "PJSIP/202-03", "5.3", "5.1", "202", "s");
    let frames = [
        ev("Newchannel", &[trunk()], &[]),
        ev(
            "DialBegin",
            &[trunk(), p201("Dest")],
            &[("DialString", "201")],
        ),
        ev(
            "DialEnd",
            &[trunk(), p201("Dest")],
            &[("DialStatus", "ANSWER")],
        ),
        ev(
            "BlindTransfer",
            &[],
            &[
                ("Result", "Success"),
                ("TransfererUniqueid", "5.2"),
                ("TransfereeUniqueid", "5.1"),
                ("Extension", "202"),
            ],
        ),
        ev("Hangup", &[p201("")], &[("Cause", "16")]),
        ev(
            "DialBegin",
            &[trunk(), p202("Dest")],
            &[("DialString", "202")],
        ),
        ev(
            "DialEnd",
            &[trunk(), p202("Dest")],
            &[("DialStatus", "ANSWER")],
        ),
        ev("Hangup", &[trunk()], &[("Cause", "16")]),
        ev("Hangup", &[p202("")], &[("Cause", "16")]),
    ];
    let mut got = Vec::new();
    for f in &frames {
        got.extend(t.on_frame(&model, f, None, 0));
    }
    let kinds: Vec<String> = got
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e.kind.as_str(),
                e.key,
                e.agent.as_deref().unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "ringing 5.2 -",
            "answered 5.2 201",
            "transfer 5.2 202",
            "hangup 5.2 -",
            "ringing 5.3 -",
            "answered 5.3 202",
            "hangup 5.3 -",
        ]
    );
    assert!(got.iter().all(|e| e.group.as_deref() == Some("5.1")));
}

#[test]
fn a_trunk_or_a_forward_showing_our_number_stays_inbound() {
    let model = berlin();
    let lines = [MAIN_NUMBER.to_string()];
    // A call from our own main number (it went out and came back in) routed straight back out
    // through the trunk it came in on: the trunk is no extension of ours.
    let mut t = Tracker::new();
    t.set_own_lines(&lines);
    let trunk = |p| {
        chan(
            p,
            "PJSIP/mytrunk-01",
            "6.1",
            "6.1",
            MAIN_NUMBER,
            "+4930123451",
        )
    };
    let out = |p| chan(p, "PJSIP/mytrunk-02", "6.2", "6.1", "", "s");
    let mut got = Vec::new();
    for f in [
        ev("Newchannel", &[trunk("")], &[]),
        ev(
            "DialBegin",
            &[trunk(""), out("Dest")],
            &[("DialString", "01701234567@mytrunk")],
        ),
    ] {
        got.extend(t.on_frame(&model, &f, None, 0));
    }
    let got: Vec<String> = got.iter().map(summary).collect();
    assert_eq!(
        got,
        ["ringing 6.2 in remote=+4930123450 line=+4930123451"],
        "a trunk"
    );

    // Follow-me with a fixed caller id: the Local channel that dials the mobile shows our number,
    // but the conversation came in and is being forwarded.
    let mut t = Tracker::new();
    t.set_own_lines(&lines);
    let trunk = |p| {
        chan(
            p,
            "PJSIP/mytrunk-01",
            "8.1",
            "8.1",
            "+4930111222",
            "+4930123451",
        )
    };
    let one = |p| {
        chan(
            p,
            "Local/FMPR-201@from-internal-1;1",
            "8.2",
            "8.1",
            "",
            "FMPR-201",
        )
    };
    let two = |p| {
        chan(
            p,
            "Local/FMPR-201@from-internal-1;2",
            "8.3",
            "8.1",
            MAIN_NUMBER,
            "FMPR-201",
        )
    };
    let out = |p| chan(p, "PJSIP/mytrunk-04", "8.4", "8.1", "", "s");
    let mut got = Vec::new();
    for f in [
        ev("Newchannel", &[trunk("")], &[]),
        ev(
            "DialBegin",
            &[trunk(""), one("Dest")],
            &[("DialString", "FMPR-201@from-internal")],
        ),
        ev(
            "DialBegin",
            &[two(""), out("Dest")],
            &[("DialString", "01701234567@mytrunk")],
        ),
    ] {
        got.extend(t.on_frame(&model, &f, None, 0));
    }
    let got: Vec<String> = got
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e.key,
                e.direction.map(Direction::as_str).unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(got, ["8.2 in", "8.4 in"], "a forward");
}

#[test]
fn an_optimized_local_channel_ends_no_leg_whichever_side_moves() {
    // As Asterisk's own example of a Local channel optimization: here the caller's channel moves
    // into the phone's bridge (swapping out `;2`); the script `local_channel_optimized` has the
    // phone move. Either way the halves hang up long before the call ends.
    let model = berlin();
    let mut t = Tracker::new();
    let trunk = |p| {
        chan(
            p,
            "PJSIP/trunk-01",
            "3.1",
            "3.1",
            "+4930111222",
            "+4930123450",
        )
    };
    let one = |p| {
        chan(
            p,
            "Local/201@internal-01;1",
            "3.2",
            "3.1",
            "+4930111222",
            "201",
        )
    };
    let two = |p| {
        chan(
            p,
            "Local/201@internal-01;2",
            "3.3",
            "3.1",
            "+4930111222",
            "201",
        )
    };
    let phone = |p| chan(p, "PJSIP/201-04", "3.4", "3.1", "201", "s");
    let bridged = |id: &'static str, who: Vec<(String, &'static str)>, swap: &'static str| {
        ev(
            "BridgeEnter",
            &[who],
            &[("BridgeUniqueid", id), ("SwapUniqueid", swap)],
        )
    };
    let optimizing = |event| {
        ev(
            event,
            &[one("LocalOne"), two("LocalTwo"), trunk("Source")],
            &[("DestUniqueId", "B"), ("Id", "7"), ("Success", "Yes")],
        )
    };
    let frames = [
        (0, ev("Newchannel", &[trunk("")], &[])),
        (
            1,
            ev(
                "DialBegin",
                &[trunk(""), one("Dest")],
                &[("DialString", "201@internal")],
            ),
        ),
        (
            1,
            ev(
                "DialBegin",
                &[two(""), phone("Dest")],
                &[("DialString", "201")],
            ),
        ),
        (
            4,
            ev(
                "DialEnd",
                &[two(""), phone("Dest")],
                &[("DialStatus", "ANSWER")],
            ),
        ),
        (
            4,
            ev(
                "DialEnd",
                &[trunk(""), one("Dest")],
                &[("DialStatus", "ANSWER")],
            ),
        ),
        (4, bridged("A", trunk(""), "")),
        (4, bridged("A", one(""), "")),
        (4, bridged("B", two(""), "")),
        (4, bridged("B", phone(""), "")),
        (5, optimizing("LocalOptimizationBegin")),
        (5, bridged("B", trunk(""), "3.3")),
        (5, optimizing("LocalOptimizationEnd")),
        (5, ev("Hangup", &[one("")], &[("Cause", "16")])),
        (5, ev("Hangup", &[two("")], &[("Cause", "16")])),
        (60, ev("Hangup", &[phone("")], &[("Cause", "16")])),
        (60, ev("Hangup", &[trunk("")], &[("Cause", "16")])),
    ];
    let mut got = Vec::new();
    for (at, f) in &frames {
        got.extend(t.on_frame(&model, f, Some(*at), 0));
    }
    let got: Vec<String> = got
        .iter()
        .map(|e| format!("{} {} @{}", e.kind.as_str(), e.key, e.at.unwrap()))
        .collect();
    assert_eq!(got, ["ringing 3.2 @1", "answered 3.2 @4", "hangup 3.2 @60"]);
    assert_eq!(t.open_conversations(), 0);
}

#[test]
fn a_cdr_closes_a_leg_whose_end_was_lost() {
    let model = berlin();
    let mut t = Tracker::new();
    let trunk = || {
        chan(
            "",
            "PJSIP/trunk-01",
            "7.1",
            "7.1",
            "+4930111222",
            "+4930123450",
        )
    };
    let p201 = |p| chan(p, "PJSIP/201-02", "7.2", "7.1", "201", "s");
    let mut got = Vec::new();
    for f in [
        ev("Newchannel", &[trunk()], &[]),
        ev(
            "DialBegin",
            &[trunk(), p201("Dest")],
            &[("DialString", "201")],
        ),
        ev(
            "Cdr",
            &[],
            &[
                ("Source", "+4930111222"),
                ("Destination", "201"),
                ("Channel", "PJSIP/trunk-01"),
                ("DestinationChannel", "PJSIP/201-02"),
                ("AnswerTime", ""),
                ("Disposition", "NO ANSWER"),
            ],
        ),
    ] {
        got.extend(t.on_frame(&model, &f, None, 0));
    }
    let last = got.last().unwrap();
    assert_eq!(last.kind, EventKind::Hangup);
    assert_eq!(last.cause.as_deref(), Some("NO ANSWER"));
}

#[test]
fn parties_and_dial_strings() {
    let m = berlin();
    let parties: &[(&str, Party)] = &[
        ("201", Party::Internal),
        ("alice", Party::Internal),
        ("+4930123456", Party::External),
        ("004930999888", Party::External),
        ("0304567890", Party::External),
        ("anonymous", Party::Withheld),
        ("", Party::Unknown),
        ("*97", Party::Unknown),
        ("1", Party::Unknown),
        ("112", Party::External),
        ("0110", Party::External),
    ];
    for (s, want) in parties {
        assert_eq!(classify(&m, s), *want, "{s}");
    }
    let dials: &[(&str, Option<&str>)] = &[
        ("201", Some("201")),
        ("201@internal", Some("201")),
        ("PJSIP/201", Some("201")),
        ("Local/201@from-queue/n", Some("201")),
        ("201/sip:201@10.0.0.5:5060", Some("201")),
        (
            "trunk/sip:0304567890@sip.provider.example",
            Some("0304567890"),
        ),
        ("004930999888@pstn", Some("004930999888")),
        ("+4930123456@inbound", Some("+4930123456")),
        ("alice", Some("alice")),
        // chan_sip and IAX2 `peer/number`, DAHDI `group/number` and `channel/number`.
        ("mytrunk/004930999888", Some("004930999888")),
        ("fmc/4012", Some("4012")),
        ("office@iax.example/004930999888", Some("004930999888")),
        ("g0/004930999888", Some("004930999888")),
        ("1/004930999888", Some("004930999888")),
        ("Local/s@ivr/n", Some("s")),
        ("PJSIP/201&PJSIP/202", Some("201")),
        ("", None),
    ];
    for (s, want) in dials {
        assert_eq!(dial_target(s).as_deref(), *want, "{s}");
    }
    let chans: &[(&str, Option<&str>)] = &[
        ("PJSIP/201-0000002a", Some("201")),
        ("Local/201@internal-00000001;1", Some("201")),
        ("SIP/trunk-0a", Some("trunk")),
        ("PJSIP/my-trunk-00000001", Some("my-trunk")),
        ("", None),
    ];
    for (s, want) in chans {
        assert_eq!(channel_resource(s).as_deref(), *want, "{s}");
    }
}
