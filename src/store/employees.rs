//! SQL for employees, their own phone numbers, extensions and who held which extension when.

use rusqlite::{params, Connection, OptionalExtension};

use super::{now, Reader, Result, StoreError};
use crate::employees::{Assignment, Employee, EmployeeNumber, ExtensionInfo, NewNumber};

/// Adds an employee with their own numbers; refuses a name that is already taken (case-insensitive),
/// because the CLI and the UI find employees by name.
pub fn insert(tx: &Connection, name: &str, email: &str, numbers: &[NewNumber]) -> Result<i64> {
    let taken: Option<i64> = tx
        .query_row(
            "SELECT id FROM employees WHERE name = ?1 COLLATE NOCASE",
            [name],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = taken {
        return Err(StoreError::Invalid(format!(
            "there is already an employee called '{name}' (id {id})"
        )));
    }
    tx.execute(
        "INSERT INTO employees(name, email, created_at) VALUES (?1, ?2, ?3)",
        params![name, email, now()],
    )?;
    let id = tx.last_insert_rowid();
    add_numbers(tx, id, numbers)?;
    Ok(id)
}

pub fn add_numbers(tx: &Connection, employee_id: i64, numbers: &[NewNumber]) -> Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO employee_numbers(employee_id, raw, e164, digits) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for n in numbers {
        st.execute(params![employee_id, n.raw, n.e164, n.digits])?;
    }
    Ok(())
}

fn extension_id(tx: &Connection, number: &str) -> Result<i64> {
    tx.execute(
        "INSERT INTO extensions(number, created_at) VALUES (?1, ?2) ON CONFLICT(number) DO NOTHING",
        params![number, now()],
    )?;
    Ok(tx.query_row(
        "SELECT id FROM extensions WHERE number = ?1",
        [number],
        |r| r.get(0),
    )?)
}

fn employee_exists(tx: &Connection, id: i64) -> Result<()> {
    let found: Option<i64> = tx
        .query_row("SELECT id FROM employees WHERE id = ?1", [id], |r| r.get(0))
        .optional()?;
    found
        .map(|_| ())
        .ok_or_else(|| StoreError::NotFound(format!("employee {id}")))
}

/// Makes `employee_id` the holder of `number` from `from` on. The assignment that covered `from` ends
/// there; one that started at exactly `from` is replaced; the new one runs until the next assignment
/// that starts later, if any, so history can be corrected after the fact without overlaps.
/// Returns false if that employee already held the extension at `from` (nothing changed).
pub fn assign(tx: &Connection, number: &str, employee_id: i64, from: i64) -> Result<bool> {
    employee_exists(tx, employee_id)?;
    let ext = extension_id(tx, number)?;
    let current: Option<i64> = tx
        .query_row(
            "SELECT employee_id FROM extension_assignments
             WHERE extension_id = ?1 AND valid_from <= ?2 AND (valid_until IS NULL OR valid_until > ?2)
             ORDER BY valid_from DESC LIMIT 1",
            params![ext, from],
            |r| r.get(0),
        )
        .optional()?;
    if current == Some(employee_id) {
        return Ok(false);
    }
    end_at(tx, ext, from)?;
    let next: Option<i64> = tx.query_row(
        "SELECT min(valid_from) FROM extension_assignments WHERE extension_id = ?1 AND valid_from > ?2",
        params![ext, from],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO extension_assignments(extension_id, employee_id, valid_from, valid_until)
         VALUES (?1, ?2, ?3, ?4)",
        params![ext, employee_id, from, next],
    )?;
    Ok(true)
}

/// Ends whatever assignment of `number` covers `at`. Returns false if nobody held it then.
pub fn unassign(tx: &Connection, number: &str, at: i64) -> Result<bool> {
    let ext: Option<i64> = tx
        .query_row(
            "SELECT id FROM extensions WHERE number = ?1",
            [number],
            |r| r.get(0),
        )
        .optional()?;
    match ext {
        Some(ext) => end_at(tx, ext, at),
        None => Ok(false),
    }
}

fn end_at(tx: &Connection, ext: i64, at: i64) -> Result<bool> {
    let deleted = tx.execute(
        "DELETE FROM extension_assignments WHERE extension_id = ?1 AND valid_from = ?2",
        params![ext, at],
    )?;
    let cut = tx.execute(
        "UPDATE extension_assignments SET valid_until = ?2
         WHERE extension_id = ?1 AND valid_from < ?2 AND (valid_until IS NULL OR valid_until > ?2)",
        params![ext, at],
    )?;
    Ok(deleted + cut > 0)
}

/// The employee who held extension `number` at `at`, if anyone. Runs in the writer for every leg whose
/// extension changes, so it is two index lookups.
pub fn holder_at(tx: &Connection, number: &str, at: i64) -> Result<Option<i64>> {
    let mut st = tx.prepare_cached(
        "SELECT a.employee_id FROM extensions x
         JOIN extension_assignments a ON a.extension_id = x.id
         WHERE x.number = ?1 AND a.valid_from <= ?2 AND (a.valid_until IS NULL OR a.valid_until > ?2)
         ORDER BY a.valid_from DESC LIMIT 1",
    )?;
    Ok(st.query_row(params![number, at], |r| r.get(0)).optional()?)
}

/// Whether a remote number is one of the employees' own numbers. `key` is a call's remote key: an
/// E.164 number (`+…`) or the digits of a number that never parsed.
pub fn is_employee_number(tx: &Connection, key: &str) -> Result<bool> {
    let sql = if key.starts_with('+') {
        "SELECT 1 FROM employee_numbers WHERE e164 = ?1 LIMIT 1"
    } else {
        "SELECT 1 FROM employee_numbers WHERE digits = ?1 LIMIT 1"
    };
    let mut st = tx.prepare_cached(sql)?;
    Ok(st.exists([key])?)
}

pub fn name_of(tx: &Connection, id: i64) -> Result<Option<String>> {
    let mut st = tx.prepare_cached("SELECT name FROM employees WHERE id = ?1")?;
    Ok(st.query_row([id], |r| r.get(0)).optional()?)
}

impl Reader {
    /// Every employee with their own numbers and the extensions they hold now.
    pub fn employees(&self) -> Result<Vec<Employee>> {
        let t = now();
        let mut st = self.conn().prepare_cached(
            "SELECT id, name, email FROM employees ORDER BY name COLLATE NOCASE, id",
        )?;
        let mut out: Vec<Employee> = st
            .query_map([], |r| {
                Ok(Employee {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    email: r.get(2)?,
                    numbers: Vec::new(),
                    extensions: Vec::new(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut nums = self.conn().prepare_cached(
            "SELECT raw, e164 FROM employee_numbers WHERE employee_id = ?1 ORDER BY id",
        )?;
        let mut exts = self.conn().prepare_cached(
            "SELECT x.number FROM extension_assignments a JOIN extensions x ON x.id = a.extension_id
             WHERE a.employee_id = ?1 AND a.valid_from <= ?2 AND (a.valid_until IS NULL OR a.valid_until > ?2)
             ORDER BY x.number",
        )?;
        for e in &mut out {
            e.numbers = nums
                .query_map([e.id], |r| {
                    Ok(EmployeeNumber {
                        raw: r.get(0)?,
                        e164: r.get(1)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            e.extensions = exts
                .query_map(params![e.id, t], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
        }
        Ok(out)
    }

    /// Employees whose name is `name` (case-insensitive), for resolving a name given on the CLI.
    pub fn employee_ids_named(&self, name: &str) -> Result<Vec<i64>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id FROM employees WHERE name = ?1 COLLATE NOCASE ORDER BY id",
        )?;
        let rows = st.query_map([name], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn employee_exists(&self, id: i64) -> Result<bool> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT 1 FROM employees WHERE id = ?1")?;
        Ok(st.exists([id])?)
    }

    /// Every known extension with its whole assignment history, oldest first.
    pub fn extensions(&self) -> Result<Vec<ExtensionInfo>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, number, name FROM extensions ORDER BY length(number), number",
        )?;
        let mut out: Vec<(i64, ExtensionInfo)> = st
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    ExtensionInfo {
                        number: r.get(1)?,
                        name: r.get(2)?,
                        history: Vec::new(),
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut hist = self.conn().prepare_cached(
            "SELECT a.employee_id, e.name, a.valid_from, a.valid_until
             FROM extension_assignments a JOIN employees e ON e.id = a.employee_id
             WHERE a.extension_id = ?1 ORDER BY a.valid_from",
        )?;
        for (id, x) in &mut out {
            x.history = hist
                .query_map([*id], |r| {
                    Ok(Assignment {
                        employee_id: r.get(0)?,
                        employee_name: r.get(1)?,
                        from: r.get(2)?,
                        until: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
        }
        Ok(out.into_iter().map(|(_, x)| x).collect())
    }
}
