//! Table-driven cases for the normalizer: every input form of design §4, across the markets ringbook is
//! sold in. Each office model below is a realistic one for that country.

use super::*;

fn office(country: &str) -> NumberModel {
    let (area, outside) = match country {
        "DE" => ("30", "0"),
        "AT" => ("1", "0"),
        "CH" => ("44", "0"),
        "IT" => ("06", "0"),
        "BR" => ("11", "0"),
        "RU" => ("495", "9"),
        "US" => ("212", "9"),
        other => panic!("no office model for {other}"),
    };
    NumberModel {
        country: parse_country(country).unwrap(),
        area_code: area.into(),
        outside_prefix: outside.into(),
        ext_min: 2,
        ext_max: 4,
        match_tail: 8,
    }
}

/// Expected outcome: an E.164 string, `ext:N`, `anon`, `digits:N` or `err`.
const CASES: &[(&str, &str, &str)] = &[
    // Germany, Berlin office, outside line 0.
    ("DE", "+49 30 1234567", "+49301234567"),
    ("DE", " 49301234567", "+49301234567"),
    ("DE", "0049 30 1234567", "+49301234567"),
    ("DE", "030 1234567", "+49301234567"),
    ("DE", "030/1234567", "+49301234567"),
    ("DE", "030-123 45 67", "+49301234567"),
    ("DE", "(030) 123.45.67", "+49301234567"),
    ("DE", "30 1234567", "+49301234567"),
    ("DE", "1234567", "+49301234567"),
    ("DE", "0030 1234567", "+49301234567"),
    ("DE", "00049301234567", "+49301234567"),
    (
        "DE",
        "sip:+49301234567@pbx.local;user=phone",
        "+49301234567",
    ),
    (
        "DE",
        "sip:0301234567@192.168.1.2;user=phone",
        "+49301234567",
    ),
    ("DE", "<sip:030 1234567@pbx>", "+49301234567"),
    (
        "DE",
        "\"Anna\" <sip:+49301234567@pbx;user=phone>",
        "+49301234567",
    ),
    ("DE", "tel:+49-30-1234567", "+49301234567"),
    (
        "DE",
        "tel:+49301234567;phone-context=example.com",
        "+49301234567",
    ),
    ("DE", "0151 12345678", "+4915112345678"),
    ("DE", "+49 151 1234 5678", "+4915112345678"),
    ("DE", "089 12345678", "+498912345678"),
    ("DE", "anonymous", "anon"),
    ("DE", "Anonymous", "anon"),
    ("DE", "sip:anonymous@anonymous.invalid", "anon"),
    ("DE", "21", "ext:21"),
    ("DE", "2001", "ext:2001"),
    ("DE", "sip:201@pbx.local", "ext:201"),
    ("DE", "110", "digits:110"),
    ("DE", "abc", "err"),
    ("DE", "", "err"),
    ("DE", "030 1234567 ext", "err"),
    // Austria, Vienna office.
    ("AT", "+43 1 2345678", "+4312345678"),
    ("AT", "01 2345678", "+4312345678"),
    ("AT", "0043 1 2345678", "+4312345678"),
    ("AT", " 4312345678", "+4312345678"),
    ("AT", "2345678", "+4312345678"),
    ("AT", "0664 1234567", "+436641234567"),
    ("AT", "00664 1234567", "+436641234567"),
    ("AT", "tel:+43-664-1234567", "+436641234567"),
    // Switzerland, Zurich office.
    ("CH", "+41 44 668 18 00", "+41446681800"),
    ("CH", "044 668 18 00", "+41446681800"),
    ("CH", "0041 44 668 18 00", "+41446681800"),
    ("CH", "44 668 18 00", "+41446681800"),
    ("CH", "078 123 45 67", "+41781234567"),
    ("CH", "0078 123 45 67", "+41781234567"),
    ("CH", "sip:+41781234567@pbx;user=phone", "+41781234567"),
    // Italy, Rome office: no trunk prefix, the leading 0 belongs to the number.
    ("IT", "+39 06 12345678", "+390612345678"),
    ("IT", "06 12345678", "+390612345678"),
    ("IT", "0039 06 12345678", "+390612345678"),
    ("IT", "12345678", "+390612345678"),
    ("IT", "312 345 6789", "+393123456789"),
    ("IT", "+39 312 345 6789", "+393123456789"),
    ("IT", "0 06 12345678", "+390612345678"),
    // Brazil, São Paulo office.
    ("BR", "+55 11 2345-6789", "+551123456789"),
    ("BR", "(11) 2345-6789", "+551123456789"),
    ("BR", "0055 11 2345 6789", "+551123456789"),
    ("BR", "11 91234-5678", "+5511912345678"),
    ("BR", "+55 11 91234-5678", "+5511912345678"),
    ("BR", "2345-6789", "+551123456789"),
    ("BR", "tel:+55-11-2345-6789", "+551123456789"),
    // Russia, Moscow office, outside line 9.
    ("RU", "+7 495 123-45-67", "+74951234567"),
    ("RU", "8 (495) 123-45-67", "+74951234567"),
    ("RU", "495 123 45 67", "+74951234567"),
    ("RU", "123-45-67", "+74951234567"),
    ("RU", "9 8 495 123 45 67", "+74951234567"),
    ("RU", "+7 912 345-67-89", "+79123456789"),
    ("RU", "8 912 345 67 89", "+79123456789"),
    ("RU", " 79123456789", "+79123456789"),
    // United States, New York office, outside line 9.
    ("US", "+1 650 253 0000", "+16502530000"),
    ("US", "(650) 253-0000", "+16502530000"),
    ("US", "1 650 253 0000", "+16502530000"),
    ("US", "650.253.0000", "+16502530000"),
    ("US", "011 49 30 1234567", "+49301234567"),
    ("US", "9 1 650 253 0000", "+16502530000"),
    ("US", "736 5000", "+12127365000"),
    ("US", "tel:+1-650-253-0000", "+16502530000"),
    ("US", "sip:+16502530000@pbx;user=phone", "+16502530000"),
    ("US", "Restricted", "anon"),
    ("US", "555", "ext:555"),
];

fn outcome(r: Result<Normalized, NumberError>) -> String {
    match r {
        Ok(Normalized::Public { e164, .. }) => e164.to_string(),
        Ok(Normalized::Extension(e)) => format!("ext:{e}"),
        Ok(Normalized::Anonymous) => "anon".into(),
        Ok(Normalized::Digits(d)) => format!("digits:{d}"),
        Err(_) => "err".into(),
    }
}

#[test]
fn every_input_form_normalizes_in_every_market() {
    assert!(CASES.len() >= 60, "keep at least 60 cases");
    let mut failures = Vec::new();
    for (country, input, want) in CASES {
        let got = outcome(office(country).normalize(input));
        if got != *want {
            failures.push(format!("{country} {input:?}: want {want}, got {got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn unparseable_numbers_keep_their_digits() {
    let m = office("DE");
    assert_eq!(m.normalize("0").unwrap(), Normalized::Digits("0".into()));
    assert_eq!(
        m.normalize("+999 12345").unwrap(),
        Normalized::Digits("99912345".into())
    );
    // Without an area code to complete it, a short number stays digits.
    let bare = NumberModel {
        area_code: String::new(),
        ..office("DE")
    };
    assert_eq!(
        bare.normalize("112233").unwrap().digits_key(),
        Some("112233")
    );
    // With one, the same digits are a local number in the office's area.
    assert_eq!(
        m.normalize("112233").unwrap().digits_key(),
        Some("4930112233")
    );
}

#[test]
fn errors_name_the_input() {
    let m = office("DE");
    assert_eq!(
        m.normalize("abc").unwrap_err().to_string(),
        "the number 'abc' contains letters or symbols that are not part of a phone number"
    );
    assert_eq!(
        m.normalize("--").unwrap_err().to_string(),
        "the number '--' has no digits"
    );
    assert!(m
        .normalize(&"1".repeat(30))
        .unwrap_err()
        .to_string()
        .contains("longer than any phone number"));
}

#[test]
fn reading_is_reported() {
    let m = office("DE");
    let how = |s: &str| match m.normalize(s).unwrap() {
        Normalized::Public { how, .. } => how,
        other => panic!("{s}: {other:?}"),
    };
    assert_eq!(how("+49301234567"), Reading::International);
    assert_eq!(how("0301234567"), Reading::National);
    assert_eq!(how("1234567"), Reading::Local);
    assert_eq!(how("00301234567"), Reading::OutsidePrefix);
}

#[test]
fn extension_ranges_parse() {
    assert_eq!(parse_extension_digits("2-4"), Some((2, 4)));
    assert_eq!(parse_extension_digits("3"), Some((3, 3)));
    assert_eq!(parse_extension_digits("4-2"), None);
    assert_eq!(parse_extension_digits("x"), None);
}

/// Short service numbers are public numbers of the office's country, not extensions, even where
/// extensions have the same length; in another country the same digits are extensions again.
#[test]
fn service_numbers_are_public_not_extensions() {
    let cases: &[(&str, &str, &str)] = &[
        ("DE", "110", "digits:110"),
        ("DE", "112", "digits:112"),
        ("DE", "115", "digits:115"),
        ("DE", "116117", "digits:116117"),
        ("DE", "116 006", "digits:116006"),
        ("DE", "11833", "digits:11833"),
        ("DE", "118000", "digits:118000"),
        ("DE", "sip:112@pbx.local", "digits:112"),
        // Dialled with the outside-line prefix.
        ("DE", "0112", "digits:112"),
        ("DE", "0116117", "digits:116117"),
        // Neighbours stay extensions.
        ("DE", "111", "ext:111"),
        ("DE", "113", "ext:113"),
        ("DE", "1161", "ext:1161"),
        ("DE", "201", "ext:201"),
        ("AT", "133", "digits:133"),
        ("AT", "144", "digits:144"),
        ("AT", "0144", "digits:144"),
        ("AT", "110", "ext:110"),
        ("CH", "117", "digits:117"),
        ("CH", "1414", "digits:1414"),
        ("CH", "110", "ext:110"),
        ("IT", "113", "digits:113"),
        ("IT", "1530", "digits:1530"),
        ("IT", "116000", "digits:116000"),
        ("BR", "190", "digits:190"),
        ("BR", "192", "digits:192"),
        // Everyday Brazilian extension numbers.
        ("BR", "100", "ext:100"),
        ("BR", "102", "ext:102"),
        ("RU", "112", "digits:112"),
        ("RU", "03", "digits:03"),
        ("RU", "9112", "digits:112"),
        // Russia's mobile 101-104 and the outside prefix before 01-04 are extensions.
        ("RU", "101", "ext:101"),
        ("RU", "901", "ext:901"),
        ("US", "911", "digits:911"),
        ("US", "9911", "digits:911"),
        ("US", "988", "digits:988"),
        ("US", "411", "digits:411"),
        ("US", "555", "ext:555"),
    ];
    let mut failures = Vec::new();
    for (country, input, want) in cases {
        let got = outcome(office(country).normalize(input));
        if got != *want {
            failures.push(format!("{country} {input:?}: want {want}, got {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn service_patterns_match_whole_numbers() {
    assert!(service_pattern_matches("116xxx", "116117"));
    assert!(!service_pattern_matches("116xxx", "11611"));
    assert!(!service_pattern_matches("116xxx", "1161170"));
    assert!(!service_pattern_matches("118xx", "119xx"));
    assert!(!service_pattern_matches("112", "113"));
    // Every country of the table parses, and every pattern is digits and `x`.
    for (country, table) in SERVICE_NUMBERS {
        assert!(parse_country(&format!("{country:?}")).is_some());
        for p in *table {
            assert!(p.bytes().all(|b| b.is_ascii_digit() || b == b'x'), "{p}");
            assert!((2..=6).contains(&p.len()), "{p}");
        }
    }
}
