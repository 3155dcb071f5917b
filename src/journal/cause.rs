//! Why a call leg ended, across the vocabularies sources use.
//!
//! Adapters pass the source's cause text through unchanged (it is kept on the leg for the call detail);
//! [`classify`] reads it. Vocabularies covered (see shared protocols: pbx-apis.md §2.4, §3.1, §3.2, §3.4):
//! - Zammad generic CTI and sipgate.io: `normalClearing, busy, cancel, noAnswer, congestion, notFound,
//!   forwarded`;
//! - Asterisk `DialStatus` (`ANSWER, BUSY, NOANSWER, CANCEL, CONGESTION, CHANUNAVAIL`) and CDR
//!   dispositions (`NO ANSWER, FAILED, BUSY, ANSWERED`);
//! - Q.850 cause codes as Asterisk's `Hangup` event gives them (16, 17, 19, 21, ...);
//! - Placetel `HungUp` types (`voicemail, missed, blocked, accepted, busy, canceled, unavailable,
//!   congestion`);
//! - Propstack's `notAnswered` and ringbook's own words.

/// What a cause means for the call's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CauseClass {
    /// A normal end; says nothing about whether the call was answered.
    Normal,
    /// The other side was busy.
    Busy,
    /// Nobody picked up, or the caller gave up while it rang.
    NoAnswer,
    /// The called person declined the call.
    Rejected,
    /// The call could not be set up (congestion, unreachable, unknown number).
    Failed,
    /// The call went on elsewhere (forwarded, to voicemail, picked up by another phone).
    Elsewhere,
    /// A cause we don't know; kept as text, ignored for the status.
    Unknown,
}

/// Classifies a cause text. Case, spaces, `-` and `_` are ignored, so `NO ANSWER`, `no_answer` and
/// `noAnswer` are the same.
pub fn classify(cause: &str) -> CauseClass {
    let key: String = cause
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect();
    match key.as_str() {
        "normalclearing" | "normal" | "answer" | "answered" | "accepted" | "completed" | "16" => {
            CauseClass::Normal
        }
        "busy" | "userbusy" | "17" => CauseClass::Busy,
        "noanswer" | "notanswered" | "missed" | "cancel" | "canceled" | "cancelled" | "timeout"
        | "18" | "19" | "31" => CauseClass::NoAnswer,
        "rejected" | "reject" | "declined" | "decline" | "blocked" | "21" => CauseClass::Rejected,
        "congestion" | "failed" | "failure" | "chanunavail" | "unavailable" | "notfound"
        | "unallocated" | "invalidnumber" | "1" | "3" | "27" | "28" | "34" | "38" | "41" | "42"
        | "44" | "47" => CauseClass::Failed,
        "forwarded" | "voicemail" | "answeredelsewhere" | "completedelsewhere" | "pickedup"
        | "26" => CauseClass::Elsewhere,
        _ => CauseClass::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vocabulary_maps() {
        use CauseClass::*;
        let cases: &[(&str, CauseClass)] = &[
            // Zammad CTI / sipgate
            ("normalClearing", Normal),
            ("busy", Busy),
            ("cancel", NoAnswer),
            ("noAnswer", NoAnswer),
            ("congestion", Failed),
            ("notFound", Failed),
            ("forwarded", Elsewhere),
            // Asterisk DialStatus and CDR dispositions
            ("BUSY", Busy),
            ("NOANSWER", NoAnswer),
            ("NO ANSWER", NoAnswer),
            ("CANCEL", NoAnswer),
            ("CHANUNAVAIL", Failed),
            ("CONGESTION", Failed),
            ("FAILED", Failed),
            ("ANSWERED", Normal),
            // Q.850
            ("16", Normal),
            ("17", Busy),
            ("19", NoAnswer),
            ("21", Rejected),
            ("34", Failed),
            // Placetel
            ("voicemail", Elsewhere),
            ("missed", NoAnswer),
            ("blocked", Rejected),
            ("accepted", Normal),
            ("canceled", NoAnswer),
            ("unavailable", Failed),
            // Propstack and ringbook
            ("notAnswered", NoAnswer),
            ("answered_elsewhere", Elsewhere),
            ("rejected", Rejected),
            ("something new", Unknown),
            ("", Unknown),
        ];
        for (text, want) in cases {
            assert_eq!(classify(text), *want, "{text}");
        }
    }
}
