//! Reading contacts from CSV and vCard (3.0 and 4.0, and the 2.1 habits many phones still export).
//!
//! Parsing and validation happen before anything is written: every bad row is reported with its line
//! number and the reason, and the caller decides whether to import the good rows (`--skip-bad`) or
//! nothing at all.

use std::borrow::Cow;
use std::fmt;

use crate::contacts::{self, NewContact, NewPhone, PhoneKind, Prepared};
use crate::number::NumberModel;

/// A row that can't be imported, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRow {
    pub line: u64,
    pub reason: String,
}

impl fmt::Display for BadRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// What a file holds: the contacts ready to store and the rows that are not.
#[derive(Debug, Default)]
pub struct Parsed {
    pub good: Vec<Prepared>,
    pub bad: Vec<BadRow>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Vcard,
}

impl Format {
    /// Guesses from the content: a vCard starts with `BEGIN:VCARD`.
    pub fn sniff(text: &str) -> Format {
        if text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .to_ascii_uppercase()
            .starts_with("BEGIN:VCARD")
        {
            Format::Vcard
        } else {
            Format::Csv
        }
    }
}

pub fn parse(text: &str, format: Format, model: &NumberModel) -> Result<Parsed, String> {
    match format {
        Format::Csv => parse_csv(text, model),
        Format::Vcard => Ok(parse_vcard(text, model)),
    }
}

/// The CSV columns ringbook understands, with the header names that mean each. Matching ignores case,
/// spaces, `-` and `_`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    First,
    Last,
    FullName,
    Company,
    Email,
    Notes,
    Phone(PhoneKind),
    Ignored,
}

pub const CSV_HEADERS: &[(&str, &[&str])] = &[
    (
        "first_name",
        &[
            "firstname",
            "first",
            "givenname",
            "vorname",
            "nome",
            "prenome",
            "nombre",
            "имя",
        ],
    ),
    (
        "last_name",
        &[
            "lastname",
            "last",
            "surname",
            "familyname",
            "nachname",
            "familienname",
            "cognome",
            "sobrenome",
            "apellido",
            "фамилия",
        ],
    ),
    (
        "name",
        &[
            "fullname",
            "displayname",
            "vollständigername",
            "nomecompleto",
            "фио",
        ],
    ),
    (
        "company",
        &[
            "organization",
            "organisation",
            "org",
            "companyname",
            "firma",
            "unternehmen",
            "azienda",
            "società",
            "empresa",
            "компания",
            "организация",
        ],
    ),
    (
        "email",
        &[
            "e-mail",
            "emailaddress",
            "mail",
            "emailadresse",
            "posta",
            "posta elettronica",
            "почта",
        ],
    ),
    (
        "notes",
        &[
            "note",
            "notiz",
            "notizen",
            "bemerkung",
            "kommentar",
            "nota",
            "note",
            "observações",
            "observacoes",
            "заметки",
            "примечание",
        ],
    ),
    (
        "office",
        &[
            "phone",
            "telephone",
            "tel",
            "work",
            "workphone",
            "businessphone",
            "telefon",
            "telefongeschäftlich",
            "telefono",
            "telefone",
            "телефон",
            "рабочий",
        ],
    ),
    (
        "mobile",
        &[
            "cell",
            "cellphone",
            "mobilephone",
            "handy",
            "mobil",
            "mobiltelefon",
            "cellulare",
            "celular",
            "мобильный",
        ],
    ),
    (
        "home",
        &[
            "homephone",
            "private",
            "privat",
            "telefonprivat",
            "casa",
            "residencial",
            "домашний",
        ],
    ),
    ("fax", &["telefax", "faxnumber", "факс"]),
    (
        "other",
        &["otherphone", "sonstige", "altro", "outro", "другой"],
    ),
];

fn squash(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '.'))
        .collect()
}

fn column_for(header: &str) -> Column {
    let h = squash(header);
    for (canonical, aliases) in CSV_HEADERS {
        if squash(canonical) == h || aliases.iter().any(|a| squash(a) == h) {
            return match *canonical {
                "first_name" => Column::First,
                "last_name" => Column::Last,
                "name" => Column::FullName,
                "company" => Column::Company,
                "email" => Column::Email,
                "notes" => Column::Notes,
                other => Column::Phone(PhoneKind::parse(other).unwrap_or(PhoneKind::Other)),
            };
        }
    }
    Column::Ignored
}

fn parse_csv(text: &str, model: &NumberModel) -> Result<Parsed, String> {
    let text = text.trim_start_matches('\u{feff}');
    let first_line = text.lines().next().unwrap_or("");
    // Spreadsheets in German, Italian and Russian locales write `;` between fields.
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| format!("the CSV header line can't be read: {e}"))?
        .clone();
    let columns: Vec<Column> = headers.iter().map(column_for).collect();
    let known = |c: &Column| !matches!(c, Column::Ignored);
    if !columns.iter().any(known) {
        return Err(format!(
            "none of the CSV columns ({}) is known; use first_name, last_name, company, email, notes, office, mobile, home, fax, other",
            headers.iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let mut parsed = Parsed::default();
    for record in rdr.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                parsed.bad.push(BadRow {
                    line,
                    reason: format!("the row can't be read: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let mut c = NewContact {
            source: "import".into(),
            ..Default::default()
        };
        for (value, col) in record.iter().zip(&columns) {
            let v = crate::export::from_spreadsheet(value.trim());
            match col {
                Column::First => c.first_name = v.into(),
                Column::Last => c.last_name = v.into(),
                Column::FullName => {
                    let (f, l) = split_full_name(v);
                    if c.first_name.is_empty() {
                        c.first_name = f;
                    }
                    if c.last_name.is_empty() {
                        c.last_name = l;
                    }
                }
                Column::Company => c.company = v.into(),
                Column::Email => c.email = v.into(),
                Column::Notes => c.notes = v.into(),
                Column::Phone(kind) => {
                    // One cell may hold several numbers, separated by `|` or `,` (not by spaces, which
                    // are inside numbers).
                    for n in v.split(['|', ',']).map(str::trim).filter(|n| !n.is_empty()) {
                        c.phones.push(NewPhone {
                            kind: *kind,
                            raw: n.into(),
                        });
                    }
                }
                Column::Ignored => {}
            }
        }
        match contacts::prepare(model, c) {
            Ok(p) => parsed.good.push(p),
            Err(e) => parsed.bad.push(BadRow {
                line,
                reason: e.to_string(),
            }),
        }
    }
    Ok(parsed)
}

fn split_full_name(v: &str) -> (String, String) {
    match v.trim().rsplit_once(' ') {
        Some((f, l)) => (f.trim().into(), l.trim().into()),
        None => (String::new(), v.trim().into()),
    }
}

/// Undoes vCard text escaping (`\,` `\;` `\n` `\\`).
fn unescape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits a structured value at unescaped `;`.
fn split_structured(v: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut escaped = false;
    for c in v.chars() {
        if escaped {
            parts.last_mut().expect("never empty").extend(['\\', c]);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ';' {
            parts.push(String::new());
        } else {
            parts.last_mut().expect("never empty").push(c);
        }
    }
    parts.iter().map(|p| unescape(p)).collect()
}

fn tel_kind(params: &str) -> PhoneKind {
    let p = params.to_lowercase();
    let words: Vec<&str> = p.split([';', ',', '=', '"']).map(str::trim).collect();
    let has = |w: &str| words.contains(&w);
    if has("fax") {
        PhoneKind::Fax
    } else if has("cell") || has("mobile") || has("iphone") {
        PhoneKind::Mobile
    } else if has("home") {
        PhoneKind::Home
    } else if has("work") || has("main") || has("pref") || has("voice") || words.len() <= 1 {
        PhoneKind::Office
    } else {
        PhoneKind::Other
    }
}

/// The logical lines of a vCard file, each with the number of its first physical line: a line that
/// starts with a space or tab continues the one before (RFC 6350 §3.2). Borrowed unless folded, and
/// produced one at a time: collecting them first held a `String` per line of the whole file (72 MB
/// of a 63 MB address book's 500 MB peak).
fn unfolded(text: &str) -> impl Iterator<Item = (u64, Cow<'_, str>)> {
    let mut lines = text
        .trim_start_matches('\u{feff}')
        .lines()
        .enumerate()
        .peekable();
    std::iter::from_fn(move || {
        let (i, first) = lines.next()?;
        let mut line = Cow::Borrowed(first);
        while let Some((_, more)) = lines.next_if(|(_, l)| l.starts_with([' ', '\t'])) {
            line.to_mut().push_str(&more[1..]);
        }
        Some((i as u64 + 1, line))
    })
}

fn parse_vcard(text: &str, model: &NumberModel) -> Parsed {
    let mut parsed = Parsed::default();
    let mut current: Option<(u64, NewContact, String)> = None;
    for (line, content) in unfolded(text) {
        let Some((name_params, value)) = content.split_once(':') else {
            continue;
        };
        let (name, params) = match name_params.split_once(';') {
            Some((n, p)) => (n, p),
            None => (name_params, ""),
        };
        // Apple and Google prefix properties with a group ("item1.TEL").
        let name = name.rsplit('.').next().unwrap_or(name).to_ascii_uppercase();
        match name.as_str() {
            "BEGIN" if value.trim().eq_ignore_ascii_case("VCARD") => {
                current = Some((
                    line,
                    NewContact {
                        source: "import".into(),
                        ..Default::default()
                    },
                    String::new(),
                ));
            }
            "END" if value.trim().eq_ignore_ascii_case("VCARD") => {
                if let Some((start, mut c, full)) = current.take() {
                    if c.first_name.is_empty()
                        && c.last_name.is_empty()
                        && !full.is_empty()
                        && full != c.company
                    {
                        let (f, l) = split_full_name(&full);
                        c.first_name = f;
                        c.last_name = l;
                    }
                    match contacts::prepare(model, c) {
                        Ok(p) => parsed.good.push(p),
                        Err(e) => parsed.bad.push(BadRow {
                            line: start,
                            reason: e.to_string(),
                        }),
                    }
                }
            }
            _ => {
                let Some((_, c, full)) = current.as_mut() else {
                    continue;
                };
                match name.as_str() {
                    "N" => {
                        let parts = split_structured(value);
                        c.last_name = parts.first().cloned().unwrap_or_default().trim().into();
                        c.first_name = parts.get(1).cloned().unwrap_or_default().trim().into();
                    }
                    "FN" => *full = unescape(value).trim().into(),
                    "ORG" => {
                        c.company = split_structured(value)
                            .into_iter()
                            .next()
                            .unwrap_or_default()
                            .trim()
                            .into()
                    }
                    "EMAIL" if c.email.is_empty() => c.email = unescape(value).trim().into(),
                    "NOTE" => c.notes = unescape(value).trim().into(),
                    "TEL" => {
                        let v = value.trim();
                        let v = v.strip_prefix("tel:").unwrap_or(v);
                        c.phones.push(NewPhone {
                            kind: tel_kind(params),
                            raw: unescape(v),
                        });
                    }
                    _ => {}
                }
            }
        }
    }
    if let Some((start, _, _)) = current {
        parsed.bad.push(BadRow {
            line: start,
            reason: "the vCard that starts here has no END:VCARD".into(),
        });
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> NumberModel {
        NumberModel {
            area_code: "30".into(),
            outside_prefix: "0".into(),
            ..NumberModel::default()
        }
    }

    #[test]
    fn csv_with_german_headers_and_semicolons() {
        let csv = "\u{feff}Vorname;Nachname;Firma;Telefon;Handy;E-Mail\nAnna;Müller;Bäckerei & Co;030 1234567;0151 12345678;anna@example.de\n;;;;;\nBernd;;;keine;;\n";
        let p = parse(csv, Format::Csv, &model()).unwrap();
        assert_eq!(p.good.len(), 1);
        let a = &p.good[0];
        assert_eq!(a.contact.first_name, "Anna");
        assert_eq!(a.contact.company, "Bäckerei & Co");
        assert_eq!(a.phones.len(), 2);
        assert_eq!(a.phones[1].kind, PhoneKind::Mobile);
        assert_eq!(
            a.phones[1].e164.as_ref().unwrap().as_str(),
            "+4915112345678"
        );
        assert_eq!(p.bad.len(), 1);
        assert_eq!(p.bad[0].line, 4);
        assert!(p.bad[0].reason.contains("keine"), "{}", p.bad[0]);
    }

    #[test]
    fn csv_with_italian_and_portuguese_aliases() {
        let csv = "Nome,Cognome,Azienda,Cellulare\nMario,Rossi,ACME,+39 312 345 6789\n";
        let p = parse(csv, Format::Csv, &model()).unwrap();
        assert_eq!(p.good[0].contact.last_name, "Rossi");
        assert_eq!(p.good[0].phones[0].kind, PhoneKind::Mobile);
        let csv = "Nome,Sobrenome,Empresa,Celular\nJoão,Silva,Loja,+55 11 91234-5678\n";
        let p = parse(csv, Format::Csv, &model()).unwrap();
        assert_eq!(p.good[0].contact.last_name, "Silva");
    }

    #[test]
    fn csv_without_known_columns_is_refused() {
        let err = parse("foo,bar\n1,2\n", Format::Csv, &model()).unwrap_err();
        assert!(err.contains("first_name"), "{err}");
    }

    #[test]
    fn folded_lines_are_joined_with_the_number_of_their_first_line() {
        let text = "\u{feff} lead\r\nNOTE:a\r\n b\r\n\tc\r\nTEL:1\r\n\r\n 2\r\nEND";
        let got: Vec<(u64, String)> = unfolded(text).map(|(n, l)| (n, l.into_owned())).collect();
        let want = [
            (1, " lead"),
            (2, "NOTE:abc"),
            (5, "TEL:1"),
            (6, "2"),
            (8, "END"),
        ];
        let want: Vec<(u64, String)> = want.iter().map(|(n, l)| (*n, l.to_string())).collect();
        assert_eq!(got, want);
        // Nothing folded: every line is borrowed from the text, not copied.
        assert!(unfolded("A:1\nB:2").all(|(_, l)| matches!(l, Cow::Borrowed(_))));
    }

    #[test]
    fn vcard_3_and_4_with_folding_and_types() {
        let vcf = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Müller;Anna;;;\r\nFN:Anna Müller\r\nORG:Bäckerei\\, Söhne;Verkauf\r\nTEL;TYPE=WORK,VOICE:030 12\r\n 34567\r\nTEL;TYPE=CELL:0151 12345678\r\nitem1.TEL;type=HOME:+49 89 12345678\r\nEMAIL;TYPE=INTERNET:anna@example.de\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:4.0\r\nFN:Иван Петров\r\nTEL;VALUE=uri;TYPE=\"voice,work\":tel:+7-495-123-45-67\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:4.0\r\nNOTE:nobody\r\nEND:VCARD\r\n";
        let p = parse(vcf, Format::sniff(vcf), &model()).unwrap();
        assert_eq!(p.good.len(), 2, "{:?}", p.bad);
        let a = &p.good[0];
        assert_eq!(a.contact.company, "Bäckerei, Söhne");
        assert_eq!(a.phones[0].e164.as_ref().unwrap().as_str(), "+49301234567");
        assert_eq!(a.phones[1].kind, PhoneKind::Mobile);
        assert_eq!(a.phones[2].kind, PhoneKind::Home);
        let b = &p.good[1];
        assert_eq!(
            (b.contact.first_name.as_str(), b.contact.last_name.as_str()),
            ("Иван", "Петров")
        );
        assert_eq!(b.phones[0].e164.as_ref().unwrap().as_str(), "+74951234567");
        assert_eq!(
            p.bad,
            vec![BadRow {
                line: 17,
                reason: "a contact needs a first name, a last name or a company".into()
            }]
        );
    }
}
