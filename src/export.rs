//! Writing contacts out as CSV (the same columns the import reads) or vCard 4.0. Numbers are written as
//! the contact has them, with the E.164 form where the normalizer found one, so a round trip through
//! another system loses nothing.

use std::borrow::Cow;
use std::io::{self, Write};

use crate::contacts::{Contact, ContactId, PhoneKind};
use crate::store::Reader;

const PAGE: usize = 2000;

/// Calls `f` for every contact in id order, a page at a time.
pub fn for_each_contact(
    reader: &Reader,
    mut f: impl FnMut(&Contact) -> io::Result<()>,
) -> Result<usize, String> {
    let mut after = ContactId(0);
    let mut n = 0;
    loop {
        let page = reader
            .contacts_after(after, PAGE)
            .map_err(|e| e.to_string())?;
        let Some(last) = page.last() else {
            return Ok(n);
        };
        after = last.id;
        for c in &page {
            f(c).map_err(|e| format!("the export could not be written: {e}"))?;
            n += 1;
        }
    }
}

fn numbers_of(c: &Contact, kind: PhoneKind) -> String {
    let v: Vec<&str> = c
        .phones
        .iter()
        .filter(|p| p.kind == kind)
        .map(|p| p.e164.as_deref().unwrap_or(p.number.as_str()))
        .collect();
    v.join(" | ")
}

/// The signs that make a spreadsheet read a cell as a formula.
const FORMULA_SIGNS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A CSV cell as a spreadsheet may open it: text that begins like a formula (`=HYPERLINK(...)` in
/// a call's description, a name from a caller's display) gets a `'` in front, which spreadsheets
/// show as text and don't run (OWASP's advice on CSV injection). A number such as `+49 30 1234567`
/// or `-5` is left as it is. The contact import takes the `'` off again ([`from_spreadsheet`]).
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    let number_like = cell
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')' | '/' | '.'));
    if cell.starts_with(FORMULA_SIGNS) && !number_like {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Takes off the `'` that [`spreadsheet_safe`] put in front of a cell, so a contact export imports
/// as it was.
pub fn from_spreadsheet(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_SIGNS) => rest,
        _ => cell,
    }
}

/// Writes one CSV record with every cell made [`spreadsheet_safe`].
pub fn write_safe<W: Write, S: AsRef<str>>(
    w: &mut csv::Writer<W>,
    record: impl IntoIterator<Item = S>,
) -> csv::Result<()> {
    let cells: Vec<S> = record.into_iter().collect();
    w.write_record(
        cells
            .iter()
            .map(|c| spreadsheet_safe(c.as_ref()).into_owned()),
    )
}

pub fn csv(reader: &Reader, out: impl Write) -> Result<usize, String> {
    let mut w = csv::Writer::from_writer(out);
    let header = [
        "first_name",
        "last_name",
        "company",
        "email",
        "notes",
        "office",
        "mobile",
        "home",
        "fax",
        "other",
    ];
    w.write_record(header).map_err(|e| e.to_string())?;
    let n = for_each_contact(reader, |c| {
        let mut row = vec![
            c.first_name.clone(),
            c.last_name.clone(),
            c.company.clone(),
            c.email.clone(),
            c.notes.clone(),
        ];
        for k in PhoneKind::ALL {
            row.push(numbers_of(c, k));
        }
        write_safe(&mut w, &row).map_err(io::Error::other)
    })?;
    w.flush().map_err(|e| e.to_string())?;
    Ok(n)
}

/// Escapes a vCard text value (RFC 6350 §3.4).
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace(';', "\\;")
        .replace('\r', "")
        .replace('\n', "\\n")
}

pub fn vcard(reader: &Reader, mut out: impl Write) -> Result<usize, String> {
    for_each_contact(reader, |c| {
        write!(out, "BEGIN:VCARD\r\nVERSION:4.0\r\n")?;
        write!(out, "FN:{}\r\n", esc(&c.display_name()))?;
        write!(out, "N:{};{};;;\r\n", esc(&c.last_name), esc(&c.first_name))?;
        if !c.company.is_empty() {
            write!(out, "ORG:{}\r\n", esc(&c.company))?;
        }
        if !c.email.is_empty() {
            write!(out, "EMAIL:{}\r\n", esc(&c.email))?;
        }
        for p in &c.phones {
            let ty = match p.kind {
                PhoneKind::Office => "work,voice",
                PhoneKind::Mobile => "cell",
                PhoneKind::Home => "home,voice",
                PhoneKind::Fax => "fax",
                PhoneKind::Other => "voice",
            };
            match &p.e164 {
                Some(e) => write!(out, "TEL;VALUE=uri;TYPE=\"{ty}\":tel:{e}\r\n")?,
                None => write!(out, "TEL;TYPE=\"{ty}\":{}\r\n", esc(&p.number))?,
            }
        }
        if !c.notes.is_empty() {
            write!(out, "NOTE:{}\r\n", esc(&c.notes))?;
        }
        write!(out, "END:VCARD\r\n")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        for (cell, shown) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "-2+3"),
            ("-x", "'-x"),
            ("\tTab", "'\tTab"),
            ("+49 30 1234567", "+49 30 1234567"),
            ("-5", "-5"),
            ("Anna", "Anna"),
            ("O'Brien", "O'Brien"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(cell), shown, "{cell:?}");
            assert_eq!(from_spreadsheet(&spreadsheet_safe(cell)), cell, "{cell:?}");
        }
        assert_eq!(
            from_spreadsheet("'quoted"),
            "'quoted",
            "an apostrophe of the name's own"
        );
    }
}
