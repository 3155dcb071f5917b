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

/// Demo staff for [`fill_calls`]: names and their extensions, held since 2020.
const STAFF: [(&str, &str); 8] = [
    ("Anna Demo", "21"),
    ("Bruno Demo", "22"),
    ("Carla Demo", "23"),
    ("Dmitri Demo", "24"),
    ("Elena Demo", "25"),
    ("Felipe Demo", "26"),
    ("Greta Demo", "27"),
    ("Hugo Demo", "28"),
];

/// Adds `n` finished calls over the year before `now`, through the real journal (normalizer, contact
/// match, assembler), in large batches: the call log and the reports can then be tried and measured
/// on a year of traffic. Three in four callers are demo contacts (from `demo-data` with the same seed),
/// the rest unknown numbers; about 60% inbound, a fifth of those missed. Returns the calls added.
pub fn fill_calls(
    store: &Store,
    settings: &crate::settings::Settings,
    n: usize,
    seed: u64,
    now: i64,
    mut progress: impl FnMut(usize),
) -> Result<usize, String> {
    use crate::employees;
    use crate::journal::{self, CallEvent, Direction, EventKind};

    let model = settings.number_model();
    let reader = store.reader().map_err(|e| e.to_string())?;
    for (name, ext) in STAFF {
        let id = match employees::resolve(&reader, name) {
            Ok(id) => id,
            Err(_) => employees::add(store, &model, name, "", &[]).map_err(|e| e.to_string())?,
        };
        let ext = employees::Extension::parse(&model, ext).map_err(|e| e.to_string())?;
        // 2020-01-01: before any demo call.
        employees::assign(store, &ext, id, 1_577_836_800).map_err(|e| e.to_string())?;
    }
    // The numbers of the first demo contacts, regenerated from the same seed as `fill` used.
    let mut crng = Rng::new(seed);
    let known: Vec<String> = (0..20_000)
        .flat_map(|_| contact(&mut crng).phones)
        .map(|p| p.raw)
        .collect();
    let config = journal::Config::from_settings(settings);
    let mut rng = Rng::new(seed ^ 0x5eed_ca11);
    const BATCH: usize = 1000;
    const YEAR: u64 = 365 * 86_400;
    let mut done = 0;
    while done < n {
        let take = BATCH.min(n - done);
        let mut events = Vec::with_capacity(take * 3);
        for i in 0..take {
            let key = format!("demo-{seed}-{}", done + i);
            // In time order, as a real journal fills: call k of n falls on day k/n of the past year,
            // between 08:00 and 18:00 UTC. (Random days would scatter each week over the whole table,
            // which no office's journal looks like, and make every report read cold pages.)
            let k = (done + i) as u64;
            let day_back = YEAR / 86_400 - k * (YEAR / 86_400) / n.max(1) as u64;
            let day = (now / 86_400 - day_back as i64) * 86_400;
            let start = day + 8 * 3600 + rng.below(10 * 3600) as i64;
            let remote = if rng.below(4) == 0 {
                format!("+49 30 {}", rng.digits(7))
            } else {
                known[rng.below(known.len() as u64) as usize].clone()
            };
            let ext = STAFF[rng.below(STAFF.len() as u64) as usize].1.to_string();
            let inbound = rng.below(10) < 6;
            let answered = !inbound || rng.below(5) != 0;
            let ev = |kind, at| CallEvent {
                direction: Some(if inbound {
                    Direction::In
                } else {
                    Direction::Out
                }),
                remote: Some(remote.clone()),
                extension: Some(ext.clone()),
                at: Some(at),
                ..CallEvent::new("demo", &key, kind)
            };
            let first = if inbound {
                EventKind::Ringing
            } else {
                EventKind::Dialing
            };
            events.push(ev(first, start));
            let ring = 3 + rng.below(25) as i64;
            if answered {
                events.push(ev(EventKind::Answered, start + ring));
                events.push(ev(
                    EventKind::Hangup,
                    start + ring + 10 + rng.below(900) as i64,
                ));
            } else {
                events.push(ev(EventKind::Hangup, start + ring));
            }
        }
        journal::ingest(store, &reader, &config, events).map_err(|e| e.to_string())?;
        done += take;
        progress(done);
    }
    Ok(done)
}
