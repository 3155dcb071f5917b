//! SQL for the web UI: login sessions, comments and follow-up tasks on calls, users' language and
//! employee link, and the weekly report's sums.

use rusqlite::{params, Connection, OptionalExtension};

use super::{Reader, Result};

/// A live session joined with its user, as every page needs it.
#[derive(Clone, Debug)]
pub struct SessionRow {
    pub user_id: i64,
    pub name: String,
    pub role: String,
    pub language: String,
    pub employee_id: Option<i64>,
    /// The session's CSRF token (random, compared in constant time by `web::session`).
    pub csrf: String,
    /// Whether the user has a second factor (for `web.admin_2fa`).
    pub has_2fa: bool,
}

/// A login that has passed the password and waits for the code of the user's second factor.
#[derive(Clone, Debug)]
pub struct PendingLogin {
    pub user_id: i64,
    pub language: String,
    pub secret: Vec<u8>,
    /// The last time step a code was accepted for.
    pub used_step: i64,
}

/// A comment on a call.
#[derive(Clone, Debug)]
pub struct Comment {
    pub id: i64,
    pub author: String,
    pub body: String,
    pub created_at: i64,
}

/// A follow-up task on a call.
#[derive(Clone, Debug)]
pub struct Task {
    pub id: i64,
    pub call_id: i64,
    pub title: String,
    pub due: String,
    pub assignee: Option<String>,
    pub done_at: Option<i64>,
}

/// A user as the operators page lists them.
#[derive(Clone, Debug)]
pub struct UserInfo {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub language: String,
    pub employee_id: Option<i64>,
}

/// One row of the weekly report: calls in, out and missed, and talk time, for one employee or contact.
#[derive(Clone, Debug, Default)]
pub struct ReportRow {
    pub id: Option<i64>,
    pub name: String,
    pub calls_in: i64,
    pub calls_out: i64,
    pub missed: i64,
    pub talk_seconds: i64,
    pub answered: i64,
}

pub fn insert_session(
    tx: &Connection,
    token_hash: &str,
    user_id: i64,
    csrf: &str,
    now: i64,
    expires_at: i64,
    pending: bool,
) -> Result<()> {
    tx.execute(
        "INSERT INTO web_sessions(token_hash, user_id, csrf, created_at, expires_at, pending)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![token_hash, user_id, csrf, now, expires_at, pending],
    )?;
    tx.execute("DELETE FROM web_sessions WHERE expires_at < ?1", [now])?;
    Ok(())
}

/// Counts a wrong code against a pending login; at `max` the login is dropped and must start again
/// with the password. Returns whether it is still open.
pub fn wrong_code(tx: &Connection, token_hash: &str, max: i64) -> Result<bool> {
    tx.execute(
        "UPDATE web_sessions SET tries = tries + 1 WHERE token_hash = ?1 AND pending = 1",
        [token_hash],
    )?;
    let n = tx.execute(
        "DELETE FROM web_sessions WHERE token_hash = ?1 AND pending = 1 AND tries >= ?2",
        params![token_hash, max],
    )?;
    Ok(n == 0)
}

/// Takes a code's time step for a user: true if it is later than every step taken before. The
/// check and the update are one statement, so two requests racing with the same code can't both win.
pub fn take_code_step(tx: &Connection, user_id: i64, step: i64) -> Result<bool> {
    let n = tx.execute(
        "UPDATE users SET totp_step = ?2 WHERE id = ?1 AND totp_step < ?2",
        params![user_id, step],
    )?;
    Ok(n > 0)
}

/// Ends every session of a user but the one named (after a change to how the user logs in).
pub fn end_other_sessions(tx: &Connection, user_id: i64, keep_token_hash: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM web_sessions WHERE user_id = ?1 AND token_hash <> ?2",
        params![user_id, keep_token_hash],
    )?;
    Ok(())
}

/// Records a failed login from `client` (an address, or an IPv6 /64) at `at`, and forgets every
/// client's failures at or before `expired`, which no longer count.
pub fn record_login_failure(tx: &Connection, client: &str, at: i64, expired: i64) -> Result<()> {
    tx.execute("DELETE FROM login_failures WHERE at <= ?1", [expired])?;
    tx.execute(
        "INSERT INTO login_failures(client, at) VALUES (?1, ?2)",
        params![client, at],
    )?;
    Ok(())
}

/// Forgets a client's failed logins (after one that succeeded).
pub fn clear_login_failures(tx: &Connection, client: &str) -> Result<()> {
    tx.execute("DELETE FROM login_failures WHERE client = ?1", [client])?;
    Ok(())
}

pub fn delete_session(tx: &Connection, token_hash: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM web_sessions WHERE token_hash = ?1",
        [token_hash],
    )?;
    Ok(())
}

pub fn set_user_language(tx: &Connection, user_id: i64, lang: &str) -> Result<()> {
    tx.execute(
        "UPDATE users SET language = ?2 WHERE id = ?1",
        params![user_id, lang],
    )?;
    Ok(())
}

pub fn set_user_employee(tx: &Connection, user_id: i64, employee_id: Option<i64>) -> Result<()> {
    tx.execute(
        "UPDATE users SET employee_id = ?2 WHERE id = ?1",
        params![user_id, employee_id],
    )?;
    Ok(())
}

pub fn insert_comment(
    tx: &Connection,
    call_id: i64,
    author: &str,
    body: &str,
    now: i64,
) -> Result<i64> {
    tx.execute(
        "INSERT INTO call_comments(call_id, author, body, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![call_id, author, body, now],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn insert_task(
    tx: &Connection,
    call_id: i64,
    title: &str,
    due: &str,
    assignee_id: Option<i64>,
    now: i64,
) -> Result<i64> {
    tx.execute(
        "INSERT INTO call_tasks(call_id, title, due, assignee_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![call_id, title, due, assignee_id, now],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Ticks (or unticks) a task of a call; a task of another call is left alone.
pub fn set_task_done(
    tx: &Connection,
    call_id: i64,
    task_id: i64,
    done: bool,
    now: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE call_tasks SET done_at = CASE WHEN ?3 THEN ?4 ELSE NULL END WHERE id = ?1 AND call_id = ?2",
        params![task_id, call_id, done, now],
    )?;
    Ok(())
}

impl Reader {
    /// The session for a token hash, if it exists and hasn't expired.
    pub fn web_session(&self, token_hash: &str, now: i64) -> Result<Option<SessionRow>> {
        let mut st = self.conn().prepare_cached(
            "SELECT u.id, u.name, u.role, u.language, u.employee_id, s.csrf, u.totp_secret IS NOT NULL
             FROM web_sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND s.pending = 0 AND u.disabled_at IS NULL",
        )?;
        Ok(st
            .query_row(params![token_hash, now], |r| {
                Ok(SessionRow {
                    user_id: r.get(0)?,
                    name: r.get(1)?,
                    role: r.get(2)?,
                    language: r.get(3)?,
                    employee_id: r.get(4)?,
                    csrf: r.get(5)?,
                    has_2fa: r.get(6)?,
                })
            })
            .optional()?)
    }

    /// The pending login a cookie names, if it is still open and its user still has a second factor.
    pub fn pending_login(&self, token_hash: &str, now: i64) -> Result<Option<PendingLogin>> {
        let mut st = self.conn().prepare_cached(
            "SELECT u.id, u.language, u.totp_secret, u.totp_step
             FROM web_sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND s.pending = 1
               AND u.disabled_at IS NULL AND u.totp_secret IS NOT NULL",
        )?;
        Ok(st
            .query_row(params![token_hash, now], |r| {
                Ok(PendingLogin {
                    user_id: r.get(0)?,
                    language: r.get(1)?,
                    secret: r.get(2)?,
                    used_step: r.get(3)?,
                })
            })
            .optional()?)
    }

    /// The failed logins after `expired`, oldest first, as (client, time).
    pub fn login_failures(&self, expired: i64) -> Result<Vec<(String, i64)>> {
        let mut st = self
            .conn()
            .prepare("SELECT client, at FROM login_failures WHERE at > ?1 ORDER BY at, rowid")?;
        let rows = st.query_map([expired], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn user_count(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM users", [], |r| r.get(0))?)
    }

    pub fn users(&self) -> Result<Vec<UserInfo>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, name, role, language, employee_id FROM users WHERE disabled_at IS NULL ORDER BY name",
        )?;
        let rows = st.query_map([], |r| {
            Ok(UserInfo {
                id: r.get(0)?,
                name: r.get(1)?,
                role: r.get(2)?,
                language: r.get(3)?,
                employee_id: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn call_comments(&self, call_id: i64) -> Result<Vec<Comment>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, author, body, created_at FROM call_comments WHERE call_id = ?1 ORDER BY id",
        )?;
        let rows = st.query_map([call_id], |r| {
            Ok(Comment {
                id: r.get(0)?,
                author: r.get(1)?,
                body: r.get(2)?,
                created_at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn call_tasks(&self, call_id: i64) -> Result<Vec<Task>> {
        let mut st = self.conn().prepare_cached(
            "SELECT t.id, t.call_id, t.title, t.due, e.name, t.done_at
             FROM call_tasks t LEFT JOIN employees e ON e.id = t.assignee_id
             WHERE t.call_id = ?1 ORDER BY t.id",
        )?;
        let rows = st.query_map([call_id], |r| {
            Ok(Task {
                id: r.get(0)?,
                call_id: r.get(1)?,
                title: r.get(2)?,
                due: r.get(3)?,
                assignee: r.get(4)?,
                done_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The weekly report's sums per employee (`by_contact` false) or per contact, for calls started in
    /// `[since, until)`. Internal calls and calls a policy keeps out are not counted.
    pub fn report(&self, since: i64, until: i64, by_contact: bool) -> Result<Vec<ReportRow>> {
        let (key, join) = if by_contact {
            ("c.contact_id", "LEFT JOIN contacts k ON k.id = g.key")
        } else {
            ("c.employee_id", "LEFT JOIN employees k ON k.id = g.key")
        };
        let name = if by_contact {
            "COALESCE(NULLIF(TRIM(k.first_name || ' ' || k.last_name), ''), k.company)"
        } else {
            "k.name"
        };
        // Sums first, names for the 200 rows shown only: joining before grouping read a contact
        // row for every call of the week (1M calls, 19,000 a week: 48-98 ms by contact, where
        // summing alone and then naming 200 takes 22-28 ms). Equal counts in key order.
        let sql = format!(
            "SELECT g.key, {name}, g.calls_in, g.calls_out, g.missed, g.talk, g.answered
             FROM (SELECT {key} AS key, SUM(c.direction = 'in') AS calls_in,
                          SUM(c.direction = 'out') AS calls_out, SUM(c.status = 'missed') AS missed,
                          SUM(c.duration) AS talk, SUM(c.answered_at IS NOT NULL) AS answered,
                          COUNT(*) AS n
                   FROM calls c
                   WHERE c.started_at >= ?1 AND c.started_at < ?2 AND c.suppressed IS NULL
                     AND c.direction IN ('in', 'out')
                   GROUP BY {key} ORDER BY n DESC, key LIMIT 200) g
             {join}
             ORDER BY g.n DESC, g.key"
        );
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map(params![since, until], |r| {
            Ok(ReportRow {
                id: r.get(0)?,
                name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                calls_in: r.get(2)?,
                calls_out: r.get(3)?,
                missed: r.get(4)?,
                talk_seconds: r.get(5)?,
                answered: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A consistent copy of the whole database written to `path` (`VACUUM INTO`), for the backup
    /// download. Readers see one snapshot, so calls being written meanwhile don't tear the copy.
    pub fn backup_into(&self, path: &std::path::Path) -> Result<()> {
        let p = path.to_string_lossy().to_string();
        // Readers are `query_only`, which refuses VACUUM INTO even though it writes only the new
        // file; lift it for this one statement (the connection itself stays read-only).
        self.conn().pragma_update(None, "query_only", false)?;
        let done = self.conn().execute("VACUUM INTO ?1", [p]);
        self.conn().pragma_update(None, "query_only", true)?;
        done?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Store;
    use rusqlite::params;

    /// A code's step is taken once: the second of two requests racing with the same code (both past
    /// `totp::verify`, which read the same last step) is refused here, and so is an earlier step.
    #[test]
    fn a_code_step_is_taken_once_per_user() {
        let dir = crate::store::test_dir("totp-step");
        let store = Store::open(&dir.join("t.db")).unwrap();
        let take = |user: i64, step: i64| {
            store
                .write(move |tx| super::take_code_step(tx, user, step))
                .unwrap()
        };
        store
            .write(|tx| {
                tx.execute_batch(
                    "INSERT INTO users(id, name, password_hash, role, created_at)
                     VALUES (1, 'anna', 'x', 'admin', 0), (2, 'ben', 'x', 'staff', 0);",
                )?;
                Ok(())
            })
            .unwrap();
        assert!(take(1, 100));
        assert!(!take(1, 100), "the same step twice");
        assert!(!take(1, 99), "an earlier step");
        assert!(take(2, 100), "another user's steps are their own");
        assert!(take(1, 101));
    }

    /// The weekly report sums a week's inbound and outbound calls per contact (and per employee):
    /// internal calls, hidden calls and calls outside the week don't count; the busiest come first,
    /// equal counts in id order, callers without a contact as one row without a name.
    #[test]
    fn the_report_sums_a_weeks_calls_per_contact_and_employee() {
        let dir = crate::store::test_dir("report");
        let store = Store::open(&dir.join("t.db")).unwrap();
        store
            .write(|tx| {
                tx.execute_batch(
                    "INSERT INTO employees(id, name, created_at) VALUES (1, 'Eva', 0), (2, 'Jan', 0);
                     INSERT INTO contacts(id, first_name, last_name, company, created_at, updated_at)
                     VALUES (1, 'Anna', 'Becker', '', 0, 0), (2, '', '', 'Praxis Weiß', 0, 0),
                            (3, 'Carl', 'Dorn', '', 0, 0);",
                )?;
                // (direction, status, started_at, duration, answered, contact, employee, hidden)
                type Row = (&'static str, &'static str, i64, i64, bool, Option<i64>, Option<i64>, bool);
                let calls: &[Row] = &[
                    ("in", "answered", 100, 60, true, Some(1), Some(1), false),
                    ("in", "missed", 110, 0, false, Some(1), Some(1), false),
                    ("out", "answered", 120, 30, true, Some(1), Some(2), false),
                    ("in", "answered", 130, 10, true, Some(2), Some(2), false),
                    ("out", "not_answered", 140, 0, false, Some(2), Some(2), false),
                    ("in", "missed", 150, 0, false, None, Some(1), false),
                    ("in", "answered", 160, 5, true, Some(3), Some(1), false),
                    // Not counted: internal, hidden, before and after the week.
                    ("internal", "answered", 170, 99, true, Some(3), Some(1), false),
                    ("in", "answered", 180, 99, true, Some(3), Some(1), true),
                    ("in", "answered", 99, 99, true, Some(3), Some(2), false),
                    ("in", "answered", 200, 99, true, Some(3), Some(2), false),
                ];
                let mut st = tx.prepare(
                    "INSERT INTO calls(direction, status, started_at, duration, answered_at, contact_id,
                         employee_id, suppressed, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, 0)",
                )?;
                for (d, s, at, dur, answered, contact, employee, hidden) in calls {
                    st.execute(params![
                        d,
                        s,
                        at,
                        dur,
                        answered.then_some(at + 5),
                        contact,
                        employee,
                        hidden.then_some("test")
                    ])?;
                }
                Ok(())
            })
            .unwrap();
        let r = store.reader().unwrap();
        let rows = |by_contact| -> Vec<(Option<i64>, String, [i64; 5])> {
            r.report(100, 200, by_contact)
                .unwrap()
                .into_iter()
                .map(|x| {
                    let sums = [
                        x.calls_in,
                        x.calls_out,
                        x.missed,
                        x.talk_seconds,
                        x.answered,
                    ];
                    (x.id, x.name, sums)
                })
                .collect()
        };
        assert_eq!(
            rows(true),
            [
                (Some(1), "Anna Becker".to_string(), [2, 1, 1, 90, 2]),
                (Some(2), "Praxis Weiß".to_string(), [1, 1, 0, 10, 1]),
                (None, String::new(), [1, 0, 1, 0, 0]),
                (Some(3), "Carl Dorn".to_string(), [1, 0, 0, 5, 1]),
            ]
        );
        assert_eq!(
            rows(false),
            [
                (Some(1), "Eva".to_string(), [4, 0, 2, 65, 2]),
                (Some(2), "Jan".to_string(), [1, 2, 0, 40, 2]),
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
