//! Writes that change a large part of the database (an import, re-reading every number after the
//! office changes its number model) run in a transaction of their own, without a savepoint. In a
//! savepoint SQLite keeps the old content of every page the job changes in memory: re-reading the
//! bench's 2M numbers took 455 MB that way, close to the service's MemoryMax of 512 MB.
//!
//! This file is a test process of its own, so SQLite's process-wide memory high-water mark counts
//! this test's work alone.

mod common;
use common::TempDir;

use ringbook::contacts::{self, NewContact, NewPhone, PhoneKind};
use ringbook::number::{parse_country, Normalized, NumberModel, Reading};
use ringbook::store::Store;

/// Turns SQLite's memory statistics on: ringbook builds SQLite with them off (`.cargo/config.toml`,
/// they cost a global lock per allocation), and they can be turned on only before SQLite starts,
/// which is before this process opens its first connection.
fn count_sqlite_memory() {
    // SAFETY: SQLITE_CONFIG_MEMSTATUS takes one int; called before any connection exists.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS, 1 as std::ffi::c_int)
    };
    assert_eq!(rc, rusqlite::ffi::SQLITE_OK, "SQLite had started already");
}

/// SQLite's memory in use now, and resets its high-water mark to that.
fn sqlite_memory_reset() -> i64 {
    sqlite_memory(true).0
}

/// (in use, highest since the last reset), in bytes.
fn sqlite_memory(reset: bool) -> (i64, i64) {
    let (mut now, mut high) = (0i64, 0i64);
    // SAFETY: both pointers are to live locals; SQLITE_STATUS_MEMORY_USED is a valid op.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_status64(
            rusqlite::ffi::SQLITE_STATUS_MEMORY_USED,
            &mut now,
            &mut high,
            reset as i32,
        )
    };
    assert_eq!(rc, rusqlite::ffi::SQLITE_OK);
    (now, high)
}

fn berlin(area: &str) -> NumberModel {
    NumberModel {
        country: parse_country("DE").unwrap(),
        area_code: area.into(),
        outside_prefix: "0".into(),
        ..NumberModel::default()
    }
}

/// `n` contacts whose one number is written without its area code, and is read as a local number
/// with both area codes (some such digits are a whole national number): the numbers a new area code
/// changes.
fn locals(model: &NumberModel, other: &NumberModel, n: usize) -> Vec<contacts::Prepared> {
    let local = |m: &NumberModel, raw: &str| match m.normalize(raw) {
        Ok(Normalized::Public {
            e164,
            how: Reading::Local,
        }) => Some(e164),
        _ => None,
    };
    (2_000_000..)
        .step_by(7)
        .map(|d| d.to_string())
        .filter(
            |raw| matches!((local(model, raw), local(other, raw)), (Some(a), Some(b)) if a != b),
        )
        .take(n)
        .enumerate()
        .map(|(i, raw)| {
            let c = NewContact {
                last_name: format!("Lokal {i}"),
                source: "test".into(),
                phones: vec![NewPhone {
                    kind: PhoneKind::Office,
                    raw,
                }],
                ..Default::default()
            };
            contacts::prepare(model, c).unwrap()
        })
        .collect()
}

fn count(db: &std::path::Path, prefix: &str) -> i64 {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row(
        "SELECT count(*) FROM phones WHERE e164 LIKE ?1 || '%'",
        [prefix],
        |r| r.get(0),
    )
    .unwrap()
}

const MB: i64 = 1 << 20;

#[test]
fn an_import_and_a_new_area_code_keep_sqlite_memory_bounded_on_a_large_database() {
    count_sqlite_memory();
    let dir = TempDir::new("bulk-writes");
    let db = dir.path().join("t.db");
    let store = Store::open(&db).unwrap();
    let model = berlin("30");
    ringbook::demo::fill(&store, &model, 60_000, 1, |_| {}).unwrap();
    let local = 40_000;
    assert_eq!(
        contacts::insert_all(&store, locals(&model, &berlin("40"), local)).unwrap(),
        local
    );

    // An import whose names and numbers land all over the indexes, as an office's would.
    let mut rng = ringbook::demo::Rng::new(2);
    let import: Vec<_> = (0..20_000)
        .map(|_| contacts::prepare(&model, ringbook::demo::contact(&mut rng)).unwrap())
        .collect();
    let before = sqlite_memory_reset();
    assert_eq!(contacts::insert_all(&store, import).unwrap(), 20_000);
    let import_growth = sqlite_memory(false).1 - before;

    let (hamburg, berlin_before) = (count(&db, "+4940"), count(&db, "+4930"));
    let before = sqlite_memory_reset();
    let changed = contacts::renormalize_all(&store, berlin("40")).unwrap();
    let renormalize_growth = sqlite_memory(false).1 - before;

    // Only the numbers written without an area code changed, and every one of them did (the
    // phones are read in chunks of 10,000: this crosses several).
    assert_eq!(changed, local);
    assert_eq!(count(&db, "+4940"), hamburg + local as i64);
    assert_eq!(count(&db, "+4930"), berlin_before - local as i64);
    eprintln!(
        "SQLite memory growth: import {:.1} MB, re-normalize {:.1} MB",
        import_growth as f64 / MB as f64,
        renormalize_growth as f64 / MB as f64
    );
    // Alone: 0.5 and 0.0 MB (the writer's page cache was full already). In a savepoint: 28.9 and
    // 12.3 MB, growing with the database.
    assert!(import_growth < 6 * MB, "import: {import_growth} bytes");
    assert!(
        renormalize_growth < 6 * MB,
        "renormalize: {renormalize_growth} bytes"
    );
}
