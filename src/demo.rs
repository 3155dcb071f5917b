//! `ringbook demo-data`: fills a database with realistic, varied contacts for trying ringbook out and for
//! the benchmarks. Names come from our markets (German, Italian, Brazilian, Russian, English), numbers
//! are landlines and mobiles in several countries and written the way people write them, and every
//! number goes through the same normalizer as real data. Deterministic for a given seed.

use crate::contacts::{self, NewContact, NewPhone, PhoneKind, Prepared};
use crate::number::NumberModel;
use crate::store::Store;

/// A small xorshift generator: reproducible data without another dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    pub fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

const FIRST: &[&str] = &[
    "Anna",
    "Jürgen",
    "Müller",
    "Sophie",
    "Lukas",
    "Zoë",
    "Giulia",
    "Marco",
    "Francesca",
    "Luca",
    "João",
    "Ana",
    "Luíza",
    "Gabriel",
    "Иван",
    "Мария",
    "Алексей",
    "Ольга",
    "James",
    "Emily",
    "Özlem",
    "Björn",
    "Renée",
    "Chloé",
    "Søren",
];
const LAST: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schäfer",
    "Weiß",
    "Groß",
    "Becker",
    "Rossi",
    "Bianchi",
    "Esposito",
    "Ricci",
    "Silva",
    "Santos",
    "Conceição",
    "Pereira",
    "Иванов",
    "Смирнова",
    "Кузнецов",
    "Smith",
    "O'Brien",
    "Johnson",
    "Łukasiewicz",
    "Nuñez",
];
const COMPANY: &[&str] = &[
    "Bäckerei Schäfer",
    "Müller & Söhne GmbH",
    "Immobilien Weiß KG",
    "Studio Legale Rossi",
    "Pizzeria Da Luca",
    "Construtora Silva Ltda.",
    "ООО «Вектор»",
    "Smith & Partners LLP",
    "Zahnarztpraxis Dr. Groß",
    "Autohaus Becker",
    "",
    "",
    "",
    "",
];

/// One random number in a random written form, with its kind.
fn number(rng: &mut Rng) -> (PhoneKind, String) {
    match rng.below(10) {
        0..=3 => {
            let area = rng.pick(&["30", "40", "89", "221", "69"]);
            let local = rng.digits(if area.len() == 2 { 7 } else { 6 });
            let raw = match rng.below(3) {
                0 => format!("+49 {area} {local}"),
                1 => format!("0{area} {local}"),
                _ => format!("0{area}/{local}"),
            };
            (PhoneKind::Office, raw)
        }
        4..=6 => {
            let prefix = rng.pick(&["151", "160", "170", "171", "176"]);
            let rest = rng.digits(if *prefix == "160" { 7 } else { 8 });
            let raw = if rng.below(2) == 0 {
                format!("+49 {prefix} {rest}")
            } else {
                format!("0{prefix} {rest}")
            };
            (PhoneKind::Mobile, raw)
        }
        7 => (PhoneKind::Office, format!("+43 1 {}", rng.digits(7))),
        8 => (
            PhoneKind::Mobile,
            format!("+39 3{} {}", rng.digits(2), rng.digits(7)),
        ),
        _ => (
            PhoneKind::Home,
            format!(
                "+41 44 {} {} {}",
                rng.digits(3),
                rng.digits(2),
                rng.digits(2)
            ),
        ),
    }
}

/// Builds one contact: a person, a company, or both, with one to three numbers (two on average).
pub fn contact(rng: &mut Rng) -> NewContact {
    let company = rng.pick(COMPANY).to_string();
    let person = company.is_empty() || rng.below(4) != 0;
    let (first, last) = if person {
        (rng.pick(FIRST).to_string(), rng.pick(LAST).to_string())
    } else {
        (String::new(), String::new())
    };
    let count = 1 + rng.below(3) as usize;
    let phones = (0..count)
        .map(|_| number(rng))
        .map(|(kind, raw)| NewPhone { kind, raw })
        .collect();
    NewContact {
        email: if person && rng.below(2) == 0 {
            format!("{}.{}@example.com", rng.digits(4), rng.digits(3))
        } else {
            String::new()
        },
        first_name: first,
        last_name: last,
        company,
        source: "demo".into(),
        phones,
        ..Default::default()
    }
}

/// Adds `n` contacts in batches; returns how many contacts and numbers were stored.
pub fn fill(
    store: &Store,
    model: &NumberModel,
    n: usize,
    seed: u64,
    mut progress: impl FnMut(usize),
) -> Result<(usize, usize), String> {
    const BATCH: usize = 20_000;
    let mut rng = Rng::new(seed);
    let (mut done, mut numbers) = (0, 0);
    while done < n {
        let take = BATCH.min(n - done);
        let mut batch: Vec<Prepared> = Vec::with_capacity(take);
        for _ in 0..take {
            let p = contacts::prepare(model, contact(&mut rng))
                .map_err(|e| format!("demo data rejected: {e}"))?;
            numbers += p.phones.len();
            batch.push(p);
        }
        contacts::insert_all(store, batch).map_err(|e| e.to_string())?;
        done += take;
        progress(done);
    }
    Ok((done, numbers))
}
