//! Writing contacts out as CSV (the same columns the import reads) or vCard 4.0. Numbers are written as
//! the contact has them, with the E.164 form where the normalizer found one, so a round trip through
//! another system loses nothing.

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
        w.write_record(&row).map_err(io::Error::other)
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
