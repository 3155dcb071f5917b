//! Numbered, forward-only schema migrations keyed on `PRAGMA user_version`.
//!
//! Migration N (1-based) turns a version N-1 database into version N. A step is never edited once it has
//! shipped; a change to the schema is a new step at the end. Each step runs in its own transaction
//! together with the version bump, so a crash mid-upgrade leaves the previous version intact.

use rusqlite::Connection;

use super::{Result, StoreError};

/// One migration: SQL run as one batch, or a function for what SQL alone can't say.
pub enum Step {
    Sql(&'static str),
    Code(fn(&Connection) -> Result<()>),
}

impl Step {
    /// The step's SQL, empty for a function: tests find where a table or column arrived by it.
    pub fn sql(&self) -> &'static str {
        match self {
            Step::Sql(sql) => sql,
            Step::Code(_) => "",
        }
    }
}

/// The steps, in order. Append only.
pub const MIGRATIONS: &[Step] = &[
    // 1: settings, internal state, people who log in, and machine keys.
    Step::Sql(
        r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE settings (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        role          TEXT NOT NULL CHECK (role IN ('admin', 'staff')),
        language      TEXT NOT NULL DEFAULT 'en',
        created_at    INTEGER NOT NULL,
        disabled_at   INTEGER
    );
    CREATE TABLE api_keys (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL,
        key_id       TEXT NOT NULL UNIQUE,
        secret_hash  TEXT,
        scopes       TEXT NOT NULL,
        allow_cidrs  TEXT NOT NULL DEFAULT '',
        created_at   INTEGER NOT NULL,
        revoked_at   INTEGER
    );
    "#,
    ),
    // 2: contacts with typed numbers, employees (extended by the journal), and the office's own lines.
    Step::Sql(
        r#"
    CREATE TABLE employees (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        email      TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL
    );
    CREATE TABLE contacts (
        id             INTEGER PRIMARY KEY,
        first_name     TEXT NOT NULL DEFAULT '',
        last_name      TEXT NOT NULL DEFAULT '',
        company        TEXT NOT NULL DEFAULT '',
        email          TEXT NOT NULL DEFAULT '',
        notes          TEXT NOT NULL DEFAULT '',
        responsible_id INTEGER REFERENCES employees(id) ON DELETE SET NULL,
        source         TEXT NOT NULL DEFAULT 'local',
        upstream_id    TEXT,
        created_at     INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL
    );
    CREATE INDEX contacts_by_name ON contacts(last_name COLLATE NOCASE, first_name COLLATE NOCASE);
    CREATE INDEX contacts_by_company ON contacts(company COLLATE NOCASE);
    CREATE UNIQUE INDEX contacts_by_upstream ON contacts(source, upstream_id) WHERE upstream_id IS NOT NULL;
    CREATE TABLE phones (
        id         INTEGER PRIMARY KEY,
        contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        kind       TEXT NOT NULL CHECK (kind IN ('office', 'mobile', 'home', 'fax', 'other')),
        raw        TEXT NOT NULL,
        e164       TEXT,
        digits     TEXT NOT NULL,
        rdigits    TEXT NOT NULL,
        position   INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX phones_by_contact ON phones(contact_id, position);
    CREATE INDEX phones_by_e164 ON phones(e164) WHERE e164 IS NOT NULL;
    CREATE INDEX phones_by_digits ON phones(digits);
    CREATE INDEX phones_by_rdigits ON phones(rdigits);
    CREATE TABLE lines (
        id         INTEGER PRIMARY KEY,
        raw        TEXT NOT NULL,
        e164       TEXT NOT NULL UNIQUE,
        name       TEXT NOT NULL,
        is_main    INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    );
    "#,
    ),
    // 3: phone-book search keys on contacts (see store::directory): the folded sort name for name order
    // and A-Z groups, folded name words and their T9 keypad digits. NULL until written by the insert or
    // update of the contact, or by phonebook::index_missing for contacts stored before this step.
    Step::Sql(
        r#"
    ALTER TABLE contacts ADD COLUMN sort_name TEXT;
    ALTER TABLE contacts ADD COLUMN search_words TEXT;
    ALTER TABLE contacts ADD COLUMN search_t9 TEXT;
    CREATE INDEX contacts_by_sort_name ON contacts(sort_name, id);
    "#,
    ),
    // 4: the call journal (see journal/ and store/calls.rs): employees' own numbers, extensions and who
    // held them when, one row per logical call, its legs (one per source call key) and the raw events.
    Step::Sql(
        r#"
    CREATE TABLE employee_numbers (
        id          INTEGER PRIMARY KEY,
        employee_id INTEGER NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
        raw         TEXT NOT NULL,
        e164        TEXT,
        digits      TEXT NOT NULL
    );
    CREATE INDEX employee_numbers_by_employee ON employee_numbers(employee_id);
    CREATE INDEX employee_numbers_by_e164 ON employee_numbers(e164) WHERE e164 IS NOT NULL;
    CREATE INDEX employee_numbers_by_digits ON employee_numbers(digits);
    CREATE TABLE extensions (
        id         INTEGER PRIMARY KEY,
        number     TEXT NOT NULL UNIQUE,
        name       TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL
    );
    CREATE TABLE extension_assignments (
        id           INTEGER PRIMARY KEY,
        extension_id INTEGER NOT NULL REFERENCES extensions(id) ON DELETE CASCADE,
        employee_id  INTEGER NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
        valid_from   INTEGER NOT NULL,
        valid_until  INTEGER,
        CHECK (valid_until IS NULL OR valid_until > valid_from)
    );
    CREATE INDEX extension_assignments_by_extension ON extension_assignments(extension_id, valid_from);
    CREATE INDEX extension_assignments_by_employee ON extension_assignments(employee_id, valid_from);
    CREATE TABLE calls (
        id                 INTEGER PRIMARY KEY,
        direction          TEXT NOT NULL CHECK (direction IN ('in', 'out', 'internal', 'unknown')),
        status             TEXT NOT NULL
                           CHECK (status IN ('ringing', 'answered', 'missed', 'not_answered', 'busy', 'failed')),
        started_at         INTEGER NOT NULL,
        answered_at        INTEGER,
        ended_at           INTEGER,
        duration           INTEGER NOT NULL DEFAULT 0,
        end_estimated      INTEGER NOT NULL DEFAULT 0,
        remote_raw         TEXT NOT NULL DEFAULT '',
        remote_e164        TEXT,
        remote_key         TEXT,
        remote_is_employee INTEGER NOT NULL DEFAULT 0,
        contact_id         INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
        contact_rule       TEXT,
        contact_tie        TEXT,
        line_id            INTEGER REFERENCES lines(id) ON DELETE SET NULL,
        extension          TEXT,
        employee_id        INTEGER REFERENCES employees(id) ON DELETE SET NULL,
        description        TEXT NOT NULL DEFAULT '',
        handled_at         INTEGER,
        handled_by         TEXT,
        handled_how        TEXT CHECK (handled_how IN ('manual', 'bulk', 'callback', 'answered_again')),
        handled_by_call    INTEGER,
        recording_url      TEXT,
        sources            TEXT NOT NULL DEFAULT '',
        suppressed         TEXT,
        created_at         INTEGER NOT NULL,
        updated_at         INTEGER NOT NULL
    );
    CREATE INDEX calls_by_start ON calls(started_at, id);
    CREATE INDEX calls_by_remote ON calls(remote_key, started_at) WHERE remote_key IS NOT NULL;
    CREATE INDEX calls_missed_open ON calls(remote_key)
        WHERE handled_at IS NULL AND direction = 'in' AND status IN ('missed', 'busy', 'failed');
    CREATE INDEX calls_by_employee ON calls(employee_id, started_at) WHERE employee_id IS NOT NULL;
    CREATE INDEX calls_by_extension ON calls(extension, started_at) WHERE extension IS NOT NULL;
    CREATE INDEX calls_by_line ON calls(line_id, started_at) WHERE line_id IS NOT NULL;
    CREATE INDEX calls_suppressed ON calls(started_at) WHERE suppressed IS NOT NULL;
    CREATE TABLE call_legs (
        id              INTEGER PRIMARY KEY,
        call_id         INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
        source          TEXT NOT NULL,
        source_key      TEXT NOT NULL,
        grp             TEXT,
        direction       TEXT NOT NULL CHECK (direction IN ('in', 'out', 'internal', 'unknown')),
        direction_known INTEGER NOT NULL DEFAULT 0,
        remote_raw      TEXT NOT NULL DEFAULT '',
        remote_e164     TEXT,
        remote_key      TEXT,
        extension       TEXT,
        agent           TEXT,
        employee_id     INTEGER REFERENCES employees(id) ON DELETE SET NULL,
        line_id         INTEGER REFERENCES lines(id) ON DELETE SET NULL,
        started_at      INTEGER NOT NULL,
        answered_at     INTEGER,
        ended_at        INTEGER,
        end_how         TEXT CHECK (end_how IN ('event', 'inferred', 'janitor')),
        cause           TEXT,
        transferred_to  TEXT,
        last_event_at   INTEGER NOT NULL,
        touched_at      INTEGER NOT NULL,
        UNIQUE (source, source_key)
    );
    CREATE INDEX call_legs_by_call ON call_legs(call_id);
    CREATE INDEX call_legs_by_group ON call_legs(source, grp) WHERE grp IS NOT NULL;
    CREATE INDEX call_legs_open ON call_legs(touched_at) WHERE ended_at IS NULL;
    CREATE TABLE call_events (
        id          INTEGER PRIMARY KEY,
        source      TEXT NOT NULL,
        source_key  TEXT NOT NULL,
        kind        TEXT NOT NULL,
        fingerprint INTEGER NOT NULL,
        at          INTEGER NOT NULL,
        at_trusted  INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        payload     TEXT NOT NULL,
        UNIQUE (source, source_key, kind, fingerprint)
    );
    CREATE INDEX call_events_by_received ON call_events(received_at);
    "#,
    ),
    // 5: the web UI (see store/web.rs): login sessions (token and CSRF token hashed), comments and
    // follow-up tasks on calls, and which employee a user is, for "my calls" and notifications.
    Step::Sql(
        r#"
    CREATE TABLE web_sessions (
        token_hash TEXT PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        csrf       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX web_sessions_by_expiry ON web_sessions(expires_at);
    CREATE TABLE call_comments (
        id         INTEGER PRIMARY KEY,
        call_id    INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
        author     TEXT NOT NULL,
        body       TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX call_comments_by_call ON call_comments(call_id);
    CREATE TABLE call_tasks (
        id          INTEGER PRIMARY KEY,
        call_id     INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
        title       TEXT NOT NULL,
        due         TEXT NOT NULL DEFAULT '',
        assignee_id INTEGER REFERENCES employees(id) ON DELETE SET NULL,
        done_at     INTEGER,
        created_at  INTEGER NOT NULL
    );
    CREATE INDEX call_tasks_by_call ON call_tasks(call_id);
    ALTER TABLE users ADD COLUMN employee_id INTEGER REFERENCES employees(id) ON DELETE SET NULL;
    "#,
    ),
    // 6: the upstream-sync outbox (see store/outbox.rs and sync/): one row per (connector, call, step),
    // written in the same transaction as the call change; times in milliseconds. `call_upstream` keeps
    // the id a CRM gave a call (CRM Senior's consult-phone `customvalue`) for the steps that follow.
    Step::Sql(
        r#"
    CREATE TABLE outbox (
        id           INTEGER PRIMARY KEY,
        connector    TEXT NOT NULL,
        call_id      INTEGER NOT NULL,
        step         TEXT NOT NULL,
        idem_key     TEXT NOT NULL UNIQUE,
        state        TEXT NOT NULL DEFAULT 'pending',
        attempts     INTEGER NOT NULL DEFAULT 0,
        next_at      INTEGER NOT NULL,
        last_error   TEXT,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL,
        delivered_at INTEGER,
        UNIQUE (connector, call_id, step)
    );
    CREATE INDEX outbox_pending ON outbox(connector, id) WHERE state = 'pending';
    CREATE INDEX outbox_by_call ON outbox(connector, call_id, id);
    CREATE TABLE call_upstream (
        connector   TEXT NOT NULL,
        call_id     INTEGER NOT NULL,
        upstream_id TEXT NOT NULL,
        PRIMARY KEY (connector, call_id)
    ) WITHOUT ROWID;
    "#,
    ),
    // 7: the desk phone on each extension, for click-to-call (see store/desk_phones.rs and dial.rs).
    // The password is kept as given: the phone must be sent it.
    Step::Sql(
        r#"
    CREATE TABLE desk_phones (
        extension_id INTEGER PRIMARY KEY REFERENCES extensions(id) ON DELETE CASCADE,
        kind         TEXT NOT NULL CHECK (kind IN ('snom', 'yealink')),
        address      TEXT NOT NULL,
        username     TEXT NOT NULL DEFAULT '',
        password     TEXT NOT NULL DEFAULT '',
        updated_at   INTEGER NOT NULL
    );
    "#,
    ),
    // 8: web UI operations (issue 5 part B): the HTTPS certificate and key (DER, one row: self-signed
    // on first start or uploaded), who a missed call is assigned to, and calls by contact for the
    // call log's name search (also spares a full scan when a contact is deleted), and outbox rows by
    // state so the dashboard counts the troubled ones without reading every delivered row.
    Step::Sql(
        r#"
    CREATE TABLE tls_cert (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        cert_der    BLOB NOT NULL,
        chain_der   BLOB NOT NULL DEFAULT x'',
        key_der     BLOB NOT NULL,
        self_signed INTEGER NOT NULL,
        created_at  INTEGER NOT NULL
    );
    ALTER TABLE calls ADD COLUMN assignee_id INTEGER REFERENCES employees(id) ON DELETE SET NULL;
    CREATE INDEX calls_by_contact ON calls(contact_id, started_at) WHERE contact_id IS NOT NULL;
    CREATE INDEX outbox_by_state ON outbox(state, connector);
    "#,
    ),
    // 9: covering indexes for the lookup path. An exact or digits match and the matched contact's
    // numbers are then read from the index alone, without a descent into the phones table for each
    // hit: about a quarter more lookups per second with 2M numbers (see scripts/bench.sh).
    Step::Sql(
        r#"
    DROP INDEX phones_by_e164;
    CREATE INDEX phones_by_e164 ON phones(e164, contact_id, raw) WHERE e164 IS NOT NULL;
    DROP INDEX phones_by_digits;
    CREATE INDEX phones_by_digits ON phones(digits, contact_id, raw, e164);
    DROP INDEX phones_by_contact;
    CREATE INDEX phones_by_contact ON phones(contact_id, position, kind, raw, e164);
    "#,
    ),
    // 10: a full-text index of the folded name words for the name searches (issue 5, see
    // store/directory.rs): rowid = contact id, one document = `contacts.search_words`. FTS5 appends
    // each transaction's words as a sorted segment and merges segments in the background of later
    // writes, so contact writes stay sequential (a plain (word, contact) B-tree made them 4x slower).
    // The words stay in `contacts` (external content; a delete hands FTS5 the old words, which is as
    // cheap as an insert, where contentless_delete=1 tombstones made deletes 100x slower); no
    // positions or sizes (only prefixes are asked); the `ascii` tokenizer (every word of
    // `search_words` is one token: its only separator is the space, every other byte is a letter, a
    // digit or non-ASCII); prefix indexes for the short prefixes typed first. The store writes it
    // beside `search_words` and removes a contact's words before deleting it (not in a trigger: FTS5
    // flushes its pending writes at every statement savepoint, which a trigger in a cascading DELETE
    // opens, and 20,000 deletes in one transaction took 86 s that way instead of 1 s).
    Step::Sql(
        r#"
    CREATE VIRTUAL TABLE contact_words USING fts5(
        search_words, content='contacts', content_rowid='id',
        detail=none, columnsize=0, tokenize='ascii', prefix='1 2 3'
    );
    INSERT INTO contact_words(contact_words) VALUES ('rebuild');
    "#,
    ),
    // 11: the word index's terms, for name searches with words longer than its prefix indexes (see
    // `store::directory::word_query`): each becomes the terms it starts, read in this table's order.
    // The store adds a contact's terms beside its words and never removes one. `contact_words_vocab`
    // is FTS5's own view of the terms (it stores nothing); it fills the table here and after a
    // restore.
    Step::Sql(
        r#"
    CREATE TABLE contact_word_terms (term TEXT PRIMARY KEY) WITHOUT ROWID;
    CREATE VIRTUAL TABLE contact_words_vocab USING fts5vocab(contact_words, 'row');
    INSERT INTO contact_word_terms(term) SELECT term FROM contact_words_vocab;
    "#,
    ),
    // 12: the call log filtered by status or direction, in time order per (status, direction) pair
    // (see `Reader::calls`): a rare status no longer means reading the whole journal.
    Step::Sql(
        r#"
    CREATE INDEX calls_by_kind ON calls(status, direction, started_at, id);
    "#,
    ),
    // 13: the CHECK constraints of the tables written per call event and per imported number, and
    // the open-missed-calls index, say `col = 'a' OR col = 'b' ...` instead of `col IN ('a', 'b',
    // ...)`. SQLite builds a temporary B-tree for a list of three or more constants each time it
    // checks one, and a call event checked two to four: a fifth of the writer's work per event
    // (callgrind). The constraints mean what they meant; see `plain_checks`.
    Step::Code(plain_checks),
    // 14: a second factor for the web UI (see totp.rs and web/account.rs): a user's TOTP secret
    // (NULL: none) and the last time step a code was accepted for, so no code is taken twice; a
    // session that has passed the password but not yet the code is `pending`, lasts five minutes,
    // opens no page, and counts its wrong codes.
    Step::Sql(
        r#"
    ALTER TABLE users ADD COLUMN totp_secret BLOB;
    ALTER TABLE users ADD COLUMN totp_step INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE web_sessions ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE web_sessions ADD COLUMN tries INTEGER NOT NULL DEFAULT 0;
    "#,
    ),
    // 15: recovery codes for a lost second factor (see recovery.rs): a salted hash of each code a
    // user has left. A code that logs in is deleted; new codes replace all of a user's old ones.
    Step::Sql(
        r#"
    CREATE TABLE recovery_codes (
        id      INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        salt    BLOB NOT NULL,
        hash    BLOB NOT NULL
    );
    CREATE INDEX recovery_codes_by_user ON recovery_codes(user_id);
    "#,
    ),
    // 16: failed logins of the last five minutes per client (see web/session.rs), so that a restart
    // doesn't reset the login rate limit. Rows past the window are deleted as new ones come.
    Step::Sql(
        r#"
    CREATE TABLE login_failures (
        client TEXT NOT NULL,
        at     INTEGER NOT NULL
    );
    CREATE INDEX login_failures_by_client ON login_failures(client);
    CREATE INDEX login_failures_by_time ON login_failures(at);
    "#,
    ),
    // 17: the name-order index carries each contact's folded words, so a search for a common word
    // (see `Reader::word_plan`) walks the index alone instead of reading each contact's row on the
    // way: a search for "m" among 1M demo contacts 120 → 8 ms, for a common surname 250 → 14 ms, and
    // the worst case, a common word whose contacts all sort last, 1.3 s → 0.2 s (sqlite3 shell, warm
    // cache). It costs about 60 bytes a contact.
    Step::Sql(
        r#"
    DROP INDEX contacts_by_sort_name;
    CREATE INDEX contacts_by_name_words ON contacts(sort_name, id, search_words);
    "#,
    ),
    // 18: each term of a contact's words beside its sort name, so that a search for a common word
    // with few terms (a surname thousands share) reads its contacts in name order (see
    // `store::directory::Plan::Ordered`) instead of walking the name order up to them. The store
    // writes it beside `search_words`; step 19 fills it from the contacts stored before, and a
    // restore fills it anew.
    Step::Sql(
        r#"
    CREATE TABLE contact_name_terms (
        term       TEXT NOT NULL,
        sort_name  TEXT NOT NULL,
        contact_id INTEGER NOT NULL,
        PRIMARY KEY (term, sort_name, contact_id)
    ) WITHOUT ROWID;
    "#,
    ),
    // 19: see 18.
    Step::Code(super::directory::fill_name_terms),
];

/// The `IN` lists of migration 13 and what they become, per table. Each list is written out as the
/// migrations that created it wrote it, so a replacement matches the stored schema exactly.
const PLAIN_CHECKS: &[(&str, &str, &str)] = &[
    (
        "calls",
        "CHECK (direction IN ('in', 'out', 'internal', 'unknown'))",
        "CHECK (direction = 'in' OR direction = 'out' OR direction = 'internal' OR direction = 'unknown')",
    ),
    (
        "calls",
        "CHECK (status IN ('ringing', 'answered', 'missed', 'not_answered', 'busy', 'failed'))",
        "CHECK (status = 'ringing' OR status = 'answered' OR status = 'missed' OR status = 'not_answered' \
         OR status = 'busy' OR status = 'failed')",
    ),
    (
        "calls",
        "CHECK (handled_how IN ('manual', 'bulk', 'callback', 'answered_again'))",
        "CHECK (handled_how = 'manual' OR handled_how = 'bulk' OR handled_how = 'callback' \
         OR handled_how = 'answered_again')",
    ),
    (
        "call_legs",
        "CHECK (direction IN ('in', 'out', 'internal', 'unknown'))",
        "CHECK (direction = 'in' OR direction = 'out' OR direction = 'internal' OR direction = 'unknown')",
    ),
    (
        "call_legs",
        "CHECK (end_how IN ('event', 'inferred', 'janitor'))",
        "CHECK (end_how = 'event' OR end_how = 'inferred' OR end_how = 'janitor')",
    ),
    (
        "phones",
        "CHECK (kind IN ('office', 'mobile', 'home', 'fax', 'other'))",
        "CHECK (kind = 'office' OR kind = 'mobile' OR kind = 'home' OR kind = 'fax' OR kind = 'other')",
    ),
];

/// Migration 13. A CHECK constraint can't be altered, and rebuilding `calls` would mean copying a
/// year of calls with foreign keys off. The constraints here change in text only, to the same
/// meaning, so they are rewritten in `sqlite_schema` the way SQLite documents for changes that leave
/// the stored rows as they are ("Making Other Kinds Of Table Schema Changes", lang_altertable.html):
/// `writable_schema`, the new text, and a schema version one higher, which also makes this
/// connection read the schema again. A constraint whose text isn't found stays as it was (it still
/// holds; it only costs more). The index is rebuilt, since an index's WHERE can't be rewritten
/// without its contents, and `store::calls::auto_handle` asks with the same expression, which is what
/// lets SQLite use a partial index.
fn plain_checks(conn: &Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
    conn.pragma_update(None, "writable_schema", true)?;
    for (table, from, to) in PLAIN_CHECKS {
        let changed = conn.execute(
            "UPDATE sqlite_schema SET sql = replace(sql, ?2, ?3)
             WHERE type = 'table' AND name = ?1 AND instr(sql, ?2) > 0",
            [table, from, to],
        )?;
        if changed == 0 {
            log::warn!("{table}: the constraint {from} was not found and stays as it is");
        }
    }
    conn.pragma_update(None, "schema_version", version + 1)?;
    conn.pragma_update(None, "writable_schema", false)?;
    conn.execute_batch(
        "DROP INDEX calls_missed_open;
         CREATE INDEX calls_missed_open ON calls(remote_key)
             WHERE handled_at IS NULL AND direction = 'in'
               AND (status = 'missed' OR status = 'busy' OR status = 'failed');",
    )?;
    Ok(())
}

/// The schema version this build writes.
pub fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

pub fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Brings the database up to [`latest`]. Refuses a database from a newer ringbook.
pub fn run(conn: &mut Connection) -> Result<()> {
    run_to(conn, latest())
}

/// Migrates up to `target` only; the upgrade tests use it to build every earlier version.
pub fn run_to(conn: &mut Connection, target: i64) -> Result<()> {
    let found = version(conn)?;
    if found > latest() {
        return Err(StoreError::TooNew {
            found,
            known: latest(),
        });
    }
    for (i, step) in MIGRATIONS
        .iter()
        .enumerate()
        .take(target as usize)
        .skip(found as usize)
    {
        let next = i as i64 + 1;
        let tx = conn.transaction()?;
        match step {
            Step::Sql(sql) => tx.execute_batch(sql)?,
            Step::Code(f) => f(&tx)?,
        }
        tx.pragma_update(None, "user_version", next)?;
        tx.commit()?;
        log::info!("database migrated to schema version {next}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a database at every earlier version, puts a row in it, and upgrades it to the latest:
    /// the upgrade must succeed and keep what was there.
    #[test]
    fn upgrades_from_every_earlier_version() {
        for start in 0..latest() {
            let mut conn = Connection::open_in_memory().unwrap();
            run_to(&mut conn, start).unwrap();
            assert_eq!(version(&conn).unwrap(), start);
            if start >= 1 {
                conn.execute("INSERT INTO settings(key, value, updated_at) VALUES ('number.country', 'AT', 0)", [])
                    .unwrap();
            }
            run(&mut conn).unwrap();
            assert_eq!(version(&conn).unwrap(), latest(), "from version {start}");
            if start >= 1 {
                let v: String = conn
                    .query_row(
                        "SELECT value FROM settings WHERE key = 'number.country'",
                        [],
                        |r| r.get(0),
                    )
                    .unwrap();
                assert_eq!(
                    v, "AT",
                    "a setting written at version {start} survives the upgrade"
                );
            }
            let check: String = conn
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            assert_eq!(check, "ok");
        }
    }

    /// Migration 13 rewrote the `IN` lists of the hot tables' constraints: none is left, and each
    /// constraint still refuses what it refused, on a database upgraded with rows in it.
    #[test]
    fn plain_checks_still_refuse_what_they_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        run_to(&mut conn, 12).unwrap();
        conn.execute_batch(
            "INSERT INTO contacts(id, first_name, last_name, created_at, updated_at)
                 VALUES (1, 'Anna', 'Muster', 0, 0);
             INSERT INTO phones(contact_id, position, kind, raw, e164, digits, rdigits)
                 VALUES (1, 0, 'mobile', '0301234', '+49301234', '49301234', '43210394');
             INSERT INTO calls(id, direction, status, started_at, created_at, updated_at, remote_key)
                 VALUES (1, 'in', 'missed', 0, 0, 0, '+49301234');",
        )
        .unwrap();
        run(&mut conn).unwrap();
        let schema: String = conn
            .query_row(
                "SELECT group_concat(sql, ';') FROM sqlite_schema
                 WHERE tbl_name IN ('calls', 'call_legs', 'phones')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!schema.contains(" IN ("), "{schema}");
        let refused = |sql: &str| {
            let err = conn.execute(sql, []).unwrap_err().to_string();
            assert!(err.contains("CHECK constraint failed"), "{sql}: {err}");
        };
        refused("UPDATE calls SET status = 'lost' WHERE id = 1");
        refused("UPDATE calls SET direction = 'sideways' WHERE id = 1");
        refused("UPDATE calls SET handled_how = 'magic' WHERE id = 1");
        refused("UPDATE phones SET kind = 'pager'");
        refused(
            "INSERT INTO call_legs(call_id, source, source_key, direction, started_at, last_event_at, touched_at)
             VALUES (1, 'api', 'k', 'up', 0, 0, 0)",
        );
        refused(
            "INSERT INTO call_legs(call_id, source, source_key, direction, end_how, started_at, last_event_at, touched_at)
             VALUES (1, 'api', 'k', 'in', 'vanished', 0, 0, 0)",
        );
        conn.execute(
            "UPDATE calls SET handled_how = NULL, status = 'busy' WHERE id = 1",
            [],
        )
        .unwrap();
        // The partial index of open missed calls is still there and still usable by the query that
        // marks them handled (the same expression as its WHERE).
        let plan: String = conn
            .query_row(
                "EXPLAIN QUERY PLAN SELECT id FROM calls INDEXED BY calls_missed_open
                 WHERE remote_key = '+49301234' AND handled_at IS NULL AND direction = 'in'
                   AND (status = 'missed' OR status = 'busy' OR status = 'failed')",
                [],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("calls_missed_open"), "{plan}");
        let open: i64 = conn
            .query_row(
                "SELECT count(*) FROM calls INDEXED BY calls_missed_open
                 WHERE remote_key = '+49301234' AND handled_at IS NULL AND direction = 'in'
                   AND (status = 'missed' OR status = 'busy' OR status = 'failed')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(open, 1);
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }

    #[test]
    fn refuses_a_newer_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", latest() + 1)
            .unwrap();
        let err = run(&mut conn).unwrap_err();
        assert!(err.to_string().contains("newer ringbook"), "{err}");
    }

    #[test]
    fn running_twice_changes_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        run(&mut conn).unwrap();
        assert_eq!(version(&conn).unwrap(), latest());
    }
}
