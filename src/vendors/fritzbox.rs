//! The FRITZ!Box call monitor: TCP port 1012 streams one line per call event once it has been switched
//! on by dialling `#96*5*` on a phone connected to the box (see shared protocols: pbx-apis.md §3.3).
//!
//! ```text
//! 22.11.26 10:15:00;RING;0;0301234567;123450;SIP0;             incoming: caller, our number, line
//! 22.11.26 10:15:05;CONNECT;0;10;0301234567;                   answered by extension 10
//! 22.11.26 10:16:05;DISCONNECT;0;60;                           ended after 60 s of talk
//! 22.11.26 10:20:00;CALL;1;11;123450;0309876543;SIP0;          outgoing from extension 11
//! ```
//!
//! - The connection id (`0`, `1`, ...) is small and reused for the next call, so a leg's key is the id
//!   plus the time of its `RING` or `CALL` line (`0@22.11.26 10:15:00`); `CONNECT` and `DISCONNECT`
//!   find their call by id among the calls still open.
//! - A `RING` that ends without `CONNECT` is a missed call; a `CALL` without one was not answered.
//! - A `CONNECT` by an answering machine (the box's extensions 40 to 44) is a missed call sent to
//!   voicemail, not a conversation.
//! - Times are the box's local time (`dd.mm.yy HH:MM:SS`), read in `office.timezone`. They are used
//!   when they agree with our clock to within `sources::MAX_CLOCK_SKEW`, else our clock is: a box
//!   with the wrong time zone must not shift the journal.
//! - A withheld caller arrives as an empty field and is recorded as `anonymous`. A called number
//!   ended with `#` on the keypad comes with the `#`, which is dropped.
//! - Lines for a connection id we never saw start (we connected mid-call) are taken as far as they
//!   make sense: a `CONNECT` opens an answered leg, a lone `DISCONNECT` is ignored.

use std::collections::HashMap;
use std::io::BufReader;
use std::net::TcpStream;

use crate::journal::{CallEvent, Direction, EventKind};
use crate::settings::Settings;
use crate::sources::{self, LineReader, Link};
use crate::store;

/// The journal's source name for the call monitor.
pub const SOURCE: &str = "fritzbox";

/// The box's extensions that are answering machines (pbx-apis.md §3.3).
const ANSWERING_MACHINES: std::ops::RangeInclusive<u32> = 40..=44;

/// Where the call monitor listens (settings `fritzbox.*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub host: String,
    pub port: u16,
}

impl Config {
    /// The call monitor the settings ask for; `None` while `fritzbox.host` is empty.
    pub fn from_settings(s: &Settings) -> Option<Config> {
        let host = s.get("fritzbox.host").trim().to_string();
        if host.is_empty() {
            return None;
        }
        Some(Config {
            host,
            port: s.get("fritzbox.port").trim().parse().unwrap_or(1012),
        })
    }

    pub fn target(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// One call-monitor line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Incoming: who calls, which of our numbers.
    Ring { from: String, own: String },
    /// Outgoing: from which extension, with which of our numbers, to whom.
    Call {
        extension: String,
        own: String,
        to: String,
    },
    /// Answered, by which extension.
    Connect { extension: String, number: String },
    /// Ended, after this many seconds of conversation.
    Disconnect { seconds: u64 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The box's time as written, `dd.mm.yy HH:MM:SS`.
    pub date: String,
    pub conn: String,
    pub kind: Kind,
}

/// Date and time as numbers: (year, month, day, hour, minute, second).
pub type Civil = (i16, i8, i8, i8, i8, i8);

/// Reads the box's `dd.mm.yy HH:MM:SS`.
pub fn parse_date(s: &str) -> Option<Civil> {
    let b = s.as_bytes();
    if b.len() != 17
        || b[2] != b'.'
        || b[5] != b'.'
        || b[8] != b' '
        || b[11] != b':'
        || b[14] != b':'
    {
        return None;
    }
    let n = |i: usize| -> Option<i8> {
        let p = s.get(i..i + 2)?;
        p.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| p.parse().ok())
            .flatten()
    };
    let (d, mo, y, h, mi, se) = (n(0)?, n(3)?, n(6)?, n(9)?, n(12)?, n(15)?);
    if !(1..=31).contains(&d) || !(1..=12).contains(&mo) || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    Some((2000 + i16::from(y), mo, d, h, mi, se))
}

/// The box's local time as Unix seconds, in the office's time zone.
pub fn to_unix(c: Civil, tz: &jiff::tz::TimeZone) -> Option<i64> {
    let dt = jiff::civil::DateTime::new(c.0, c.1, c.2, c.3, c.4, c.5, 0).ok()?;
    let ts = tz.to_ambiguous_timestamp(dt).compatible().ok()?;
    Some(ts.as_second())
}

fn number(s: &str) -> String {
    s.trim().trim_end_matches('#').to_string()
}

/// Parses one line. `Ok(None)` for a line type this adapter does not use; `Err` says what is wrong.
pub fn parse_line(raw: &str) -> Result<Option<Line>, String> {
    let t = raw.trim();
    let f: Vec<&str> = t.split(';').collect();
    if f.len() < 3 {
        return Err(format!("'{t}' is not a call-monitor line"));
    }
    if parse_date(f[0]).is_none() {
        return Err(format!(
            "'{}' is not a call-monitor time (dd.mm.yy HH:MM:SS)",
            f[0]
        ));
    }
    let conn = f[2].trim();
    if conn.is_empty() || conn.len() > 8 || !conn.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{conn}' is not a connection id"));
    }
    let field = |i: usize| f.get(i).map(|s| s.trim()).unwrap_or("");
    let need = |n: usize| -> Result<(), String> {
        if f.len() < n {
            Err(format!("the {} line '{t}' has too few fields", f[1]))
        } else {
            Ok(())
        }
    };
    let kind = match f[1] {
        "RING" => {
            need(5)?;
            Kind::Ring {
                from: number(field(3)),
                own: number(field(4)),
            }
        }
        "CALL" => {
            need(6)?;
            Kind::Call {
                extension: field(3).to_string(),
                own: number(field(4)),
                to: number(field(5)),
            }
        }
        "CONNECT" => {
            need(5)?;
            Kind::Connect {
                extension: field(3).to_string(),
                number: number(field(4)),
            }
        }
        "DISCONNECT" => {
            need(4)?;
            Kind::Disconnect {
                seconds: field(3)
                    .parse()
                    .map_err(|_| format!("'{}' is not a duration in seconds", field(3)))?,
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(Line {
        date: f[0].to_string(),
        conn: conn.to_string(),
        kind,
    }))
}

#[derive(Clone, Debug)]
struct Open {
    key: String,
    direction: Option<Direction>,
    remote: Option<String>,
    line: Option<String>,
    extension: Option<String>,
    ended: bool,
}

/// The calls the box has open, by connection id.
#[derive(Default)]
pub struct Tracker {
    open: HashMap<String, Open>,
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// Turns one line into call events. `at` is the line's time if it is trusted.
    pub fn on_line(&mut self, l: &Line, raw: &str, at: Option<i64>) -> Vec<CallEvent> {
        let event = |o: &Open, kind: EventKind| CallEvent {
            direction: o.direction,
            remote: o.remote.clone(),
            line: o.line.clone(),
            extension: o.extension.clone(),
            at,
            payload: raw.trim().to_string(),
            ..CallEvent::new(SOURCE, &o.key, kind)
        };
        let key = format!("{}@{}", l.conn, l.date);
        match &l.kind {
            Kind::Ring { from, own } => {
                let o = Open {
                    key,
                    direction: Some(Direction::In),
                    remote: Some(non_empty(from).unwrap_or_else(|| "anonymous".into())),
                    line: non_empty(own),
                    extension: None,
                    ended: false,
                };
                let e = event(&o, EventKind::Ringing);
                self.open.insert(l.conn.clone(), o);
                vec![e]
            }
            Kind::Call { extension, own, to } => {
                let o = Open {
                    key,
                    direction: Some(Direction::Out),
                    remote: non_empty(to),
                    line: non_empty(own),
                    extension: non_empty(extension),
                    ended: false,
                };
                let e = event(&o, EventKind::Dialing);
                self.open.insert(l.conn.clone(), o);
                vec![e]
            }
            Kind::Connect { extension, number } => {
                let o = self.open.entry(l.conn.clone()).or_insert_with(|| Open {
                    key,
                    direction: None,
                    remote: non_empty(number),
                    line: None,
                    extension: None,
                    ended: false,
                });
                if o.ended {
                    return Vec::new();
                }
                let machine = extension
                    .parse::<u32>()
                    .is_ok_and(|x| ANSWERING_MACHINES.contains(&x));
                if !machine && o.extension.is_none() {
                    o.extension = non_empty(extension);
                }
                if machine {
                    o.ended = true;
                    let mut e = event(o, EventKind::Hangup);
                    e.cause = Some("voicemail".into());
                    vec![e]
                } else {
                    let mut e = event(o, EventKind::Answered);
                    e.agent = non_empty(extension);
                    vec![e]
                }
            }
            Kind::Disconnect { .. } => match self.open.remove(&l.conn) {
                Some(o) if !o.ended => vec![event(&o, EventKind::Hangup)],
                _ => Vec::new(),
            },
        }
    }
}

/// Runs one call-monitor connection until it ends or the source is stopped.
pub fn session(stream: TcpStream, tracker: &mut Tracker, link: &mut Link) -> Result<(), String> {
    link.reporter.connected();
    let mut lines = LineReader::new(BufReader::new(stream));
    let mut pending = Vec::new();
    loop {
        if link.stopped() {
            return flush(link, &mut pending);
        }
        match lines.line() {
            Ok(Some(raw)) => {
                if raw.trim().is_empty() {
                    continue;
                }
                match parse_line(&raw) {
                    Ok(Some(l)) => {
                        let tz =
                            jiff::tz::TimeZone::get(link.intake.settings().get("office.timezone"))
                                .unwrap_or(jiff::tz::TimeZone::UTC);
                        let now = store::now();
                        let at = parse_date(&l.date)
                            .and_then(|c| to_unix(c, &tz))
                            .and_then(|t| sources::trusted_time(t, now));
                        pending.extend(tracker.on_line(&l, &raw, at));
                    }
                    Ok(None) => log::debug!("FRITZ!Box call monitor: skipped {raw:?}"),
                    Err(why) => log::warn!("FRITZ!Box call monitor: {why}"),
                }
                if !lines.has_buffered() {
                    flush(link, &mut pending)?;
                }
            }
            Ok(None) => flush(link, &mut pending)?,
            Err(e) => {
                flush(link, &mut pending)?;
                return Err(format!("the call monitor connection ended: {e}"));
            }
        }
    }
}

fn flush(link: &mut Link, pending: &mut Vec<CallEvent>) -> Result<(), String> {
    if pending.is_empty() {
        return Ok(());
    }
    link.ingest(SOURCE, std::mem::take(pending))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_as_documented() {
        let ok: &[(&str, Kind)] = &[
            (
                "22.11.26 10:15:00;RING;0;0301234567;123450;SIP0;",
                Kind::Ring {
                    from: "0301234567".into(),
                    own: "123450".into(),
                },
            ),
            (
                "22.11.26 10:15:00;RING;3;;123450;SIP1;",
                Kind::Ring {
                    from: "".into(),
                    own: "123450".into(),
                },
            ),
            (
                "22.11.26 10:20:00;CALL;1;11;123450;0309876543#;SIP0;",
                Kind::Call {
                    extension: "11".into(),
                    own: "123450".into(),
                    to: "0309876543".into(),
                },
            ),
            (
                "22.11.26 10:15:05;CONNECT;0;10;0301234567;",
                Kind::Connect {
                    extension: "10".into(),
                    number: "0301234567".into(),
                },
            ),
            (
                "22.11.26 10:16:05;DISCONNECT;0;60;",
                Kind::Disconnect { seconds: 60 },
            ),
            // Without the trailing ';', and with CRLF.
            (
                "22.11.26 10:16:05;DISCONNECT;0;60\r",
                Kind::Disconnect { seconds: 60 },
            ),
        ];
        for (line, want) in ok {
            let l = parse_line(line).unwrap().unwrap();
            assert_eq!(&l.kind, want, "{line}");
            assert_eq!(l.date.len(), 17);
        }
        let bad: &[(&str, &str)] = &[
            ("hello", "not a call-monitor line"),
            ("2024-01-01;RING;0;1;2;SIP0;", "not a call-monitor time"),
            ("22.13.26 10:15:00;RING;0;1;2;", "not a call-monitor time"),
            ("22.11.26 10:15:00;RING;x;1;2;", "not a connection id"),
            ("22.11.26 10:15:00;CALL;0;1;", "too few fields"),
            ("22.11.26 10:15:00;DISCONNECT;0;soon;", "not a duration"),
        ];
        for (line, want) in bad {
            let e = parse_line(line).unwrap_err();
            assert!(e.contains(want), "{line}: {e}");
        }
        assert_eq!(parse_line("22.11.26 10:15:00;NEWTYPE;0;").unwrap(), None);
    }

    #[test]
    fn box_times_are_read_in_the_office_time_zone() {
        let berlin = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
        let c = parse_date("01.03.24 09:00:00").unwrap();
        // 2024-03-01T08:00:00Z: Berlin is UTC+1 in winter.
        assert_eq!(to_unix(c, &berlin), Some(1_709_280_000));
        assert_eq!(to_unix(c, &jiff::tz::TimeZone::UTC), Some(1_709_283_600));
        // Summer time: UTC+2.
        let c = parse_date("01.07.24 10:00:00").unwrap();
        assert_eq!(to_unix(c, &berlin), Some(1_719_820_800));
        assert_eq!(
            parse_date("31.02.24 10:00:00").and_then(|c| to_unix(c, &berlin)),
            None
        );
    }

    fn feed(t: &mut Tracker, lines: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        for raw in lines {
            let l = parse_line(raw).unwrap().unwrap();
            for e in t.on_line(&l, raw, None) {
                let mut s = format!(
                    "{} {} {}",
                    e.kind.as_str(),
                    e.key,
                    e.direction.map(Direction::as_str).unwrap_or("-")
                );
                for (n, v) in [
                    ("remote", &e.remote),
                    ("ext", &e.extension),
                    ("line", &e.line),
                    ("agent", &e.agent),
                    ("cause", &e.cause),
                ] {
                    if let Some(v) = v {
                        s.push_str(&format!(" {n}={v}"));
                    }
                }
                assert_eq!(e.payload, raw.trim());
                out.push(s);
            }
        }
        out
    }

    #[test]
    fn calls_from_lines_with_a_reused_connection_id() {
        let mut t = Tracker::new();
        let got = feed(
            &mut t,
            &[
                "22.11.26 10:15:00;RING;0;0301234567;123450;SIP0;",
                "22.11.26 10:15:05;CONNECT;0;10;0301234567;",
                "22.11.26 10:16:05;DISCONNECT;0;60;",
                "22.11.26 10:20:00;CALL;1;11;123450;0309876543;SIP0;",
                "22.11.26 10:20:20;DISCONNECT;1;0;",
                "22.11.26 10:30:00;RING;0;01701234567;123450;SIP0;",
                "22.11.26 10:30:25;DISCONNECT;0;0;",
                "22.11.26 10:40:00;RING;2;;123450;SIP0;",
                "22.11.26 10:40:20;CONNECT;2;40;;",
                "22.11.26 10:41:00;DISCONNECT;2;40;",
                "22.11.26 10:50:00;DISCONNECT;7;12;",
                "22.11.26 10:51:00;CONNECT;8;12;0301112222;",
            ],
        );
        assert_eq!(
            got,
            [
                "ringing 0@22.11.26 10:15:00 in remote=0301234567 line=123450",
                "answered 0@22.11.26 10:15:00 in remote=0301234567 ext=10 line=123450 agent=10",
                "hangup 0@22.11.26 10:15:00 in remote=0301234567 ext=10 line=123450",
                "dialing 1@22.11.26 10:20:00 out remote=0309876543 ext=11 line=123450",
                "hangup 1@22.11.26 10:20:00 out remote=0309876543 ext=11 line=123450",
                "ringing 0@22.11.26 10:30:00 in remote=01701234567 line=123450",
                "hangup 0@22.11.26 10:30:00 in remote=01701234567 line=123450",
                "ringing 2@22.11.26 10:40:00 in remote=anonymous line=123450",
                "hangup 2@22.11.26 10:40:00 in remote=anonymous line=123450 cause=voicemail",
                // A DISCONNECT for a call we never saw start is ignored; a CONNECT opens one.
                "answered 8@22.11.26 10:51:00 - remote=0301112222 ext=12 agent=12",
            ]
        );
    }
}
