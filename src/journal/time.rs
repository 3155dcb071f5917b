//! Times as the journal takes them in: RFC 3339 timestamps, plain dates and Unix seconds.
//!
//! The store keeps every time as UTC Unix seconds; showing them in the office's time zone is the UI's job.
//! No time crate is in the dependency list, so the civil-date arithmetic lives here (Howard Hinnant's
//! `days_from_civil`, exact for every proleptic Gregorian date).

/// Parses a time given by a person or a source:
/// - Unix seconds (`1709280000`),
/// - a date (`2024-03-01`), read as midnight UTC,
/// - RFC 3339 (`2024-03-01T08:15:00Z`, `2024-03-01T09:15:00+01:00`, with optional fractions, and a space
///   allowed in place of the `T`).
///
/// A date-time without an offset is refused: guessing a time zone is how journals end up an hour off.
pub fn parse(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("no time was given".into());
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<i64>()
            .map_err(|_| format!("'{t}' is too large to be a time in Unix seconds"));
    }
    let bad = || {
        format!(
            "'{t}' is not a time: use a date such as 2024-03-01, an RFC 3339 time such as \
             2024-03-01T08:15:00Z or 2024-03-01T09:15:00+01:00, or Unix seconds"
        )
    };
    let b = t.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = t.get(r)?;
        (!part.is_empty() && part.bytes().all(|c| c.is_ascii_digit()))
            .then(|| part.parse().ok())
            .flatten()
    };
    let (y, m, d) = (
        num(0..4).ok_or_else(bad)?,
        num(5..7).ok_or_else(bad)?,
        num(8..10).ok_or_else(bad)?,
    );
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return Err(format!("'{t}' is not a date in the calendar"));
    }
    let days = days_from_civil(y, m, d);
    if b.len() == 10 {
        return Ok(days * 86_400);
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let (hh, mm, ss) = (
        num(11..13).ok_or_else(bad)?,
        num(14..16).ok_or_else(bad)?,
        num(17..19).ok_or_else(bad)?,
    );
    // 60 is a leap second; it is folded into the next minute.
    if hh > 23 || mm > 59 || ss > 60 {
        return Err(format!("'{t}' has a time of day that does not exist"));
    }
    let mut rest = &t[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(bad());
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        "" => {
            return Err(format!(
                "'{t}' has no time zone: add Z for UTC or an offset such as +01:00"
            ))
        }
        o if o.len() == 6
            && o.is_ascii()
            && (o.starts_with('+') || o.starts_with('-'))
            && &o[3..4] == ":" =>
        {
            // Checked ASCII above, so these byte ranges are character boundaries (a multibyte
            // offset such as "+1€x" once panicked here; found by fuzzing).
            let oh: i64 = o[1..3].parse().map_err(|_| bad())?;
            let om: i64 = o[4..6].parse().map_err(|_| bad())?;
            if oh > 23 || om > 59 {
                return Err(bad());
            }
            let secs = oh * 3600 + om * 60;
            if o.starts_with('-') {
                -secs
            } else {
                secs
            }
        }
        _ => return Err(bad()),
    };
    Ok(days * 86_400 + hh * 3600 + mm * 60 + ss - offset)
}

/// Formats Unix seconds as RFC 3339 in UTC, e.g. `2024-03-01T08:15:00Z`.
pub fn format(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_accepted_forms() {
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("1709280000", 1_709_280_000),
            ("1970-01-01", 0),
            ("2024-03-01", 1_709_251_200),
            ("2024-02-29", 1_709_164_800),
            ("2024-03-01T08:15:00Z", 1_709_280_900),
            ("2024-03-01t08:15:00z", 1_709_280_900),
            ("2024-03-01 08:15:00Z", 1_709_280_900),
            ("2024-03-01T09:15:00+01:00", 1_709_280_900),
            ("2024-03-01T03:15:00-05:00", 1_709_280_900),
            ("2024-03-01T08:15:00.123456Z", 1_709_280_900),
            (" 2000-01-01T00:00:00Z ", 946_684_800),
        ];
        for (s, want) in cases {
            assert_eq!(parse(s), Ok(*want), "{s}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_time() {
        for s in [
            "",
            "yesterday",
            "2024-13-01",
            "2023-02-29",
            "2024-04-31",
            "2024-03-01T08:15",
            "2024-03-01T08:15:00",
            "2024-03-01T25:00:00Z",
            "2024-03-01T08:15:00+1",
            "2024-03-01T08:15:00.Z",
            "01.03.2024",
            "99999999999999999999999",
        ] {
            assert!(parse(s).is_err(), "{s} should be refused");
        }
        assert!(parse("2024-03-01T08:15:00")
            .unwrap_err()
            .contains("time zone"));
    }

    #[test]
    fn format_round_trips() {
        for ts in [0, 951_782_400, 1_709_280_900, 4_102_444_799, -86_400] {
            assert_eq!(parse(&format(ts)), Ok(ts), "{ts}");
        }
        assert_eq!(format(1_709_280_900), "2024-03-01T08:15:00Z");
    }
}
