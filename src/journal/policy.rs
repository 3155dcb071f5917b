//! Which calls stay out of the journal (seed 003), decided again whenever a call changes.
//!
//! A call kept out is not deleted at once: its row stays as a hidden tombstone (`calls.suppressed` holds
//! the reason) so that later events of the same conversation still find it and don't reappear as a new
//! call. Hidden calls are never listed, never notified, never handle a missed call, and the janitor
//! deletes them with the raw events after `journal.retention`.
//!
//! Outbound calls are journaled but never notified; that is not a policy here but the `notify` flag on
//! every change (see [`super::notify`]).

use serde::Serialize;

use super::Direction;

/// The policy switches, from the `journal.skip_*` settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Calls between two extensions.
    pub skip_internal: bool,
    /// Calls whose extensions nobody held at the time (a shared fax, a lobby phone, a test extension).
    pub skip_unheld_extensions: bool,
    /// Calls from or to an employee's own number (a private mobile).
    pub skip_employee_numbers: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            skip_internal: true,
            skip_unheld_extensions: false,
            skip_employee_numbers: true,
        }
    }
}

/// Why a call is kept out of the journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Internal,
    EmployeeNumber,
    UnheldExtension,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Internal => "internal",
            Reason::EmployeeNumber => "employee_number",
            Reason::UnheldExtension => "unheld_extension",
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        [
            Reason::Internal,
            Reason::EmployeeNumber,
            Reason::UnheldExtension,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// What the policies look at, gathered by the assembler from the call and its legs.
#[derive(Clone, Copy, Debug)]
pub struct Facts {
    pub direction: Direction,
    pub remote_is_employee: bool,
    /// Some leg named one of our extensions.
    pub has_extension: bool,
    /// Some leg's extension was held by an employee at the time.
    pub has_holder: bool,
}

/// The first policy that keeps the call out, if any.
pub fn evaluate(p: &Policy, f: &Facts) -> Option<Reason> {
    if p.skip_internal && f.direction == Direction::Internal {
        return Some(Reason::Internal);
    }
    if p.skip_employee_numbers && f.remote_is_employee {
        return Some(Reason::EmployeeNumber);
    }
    if p.skip_unheld_extensions && f.has_extension && !f.has_holder {
        return Some(Reason::UnheldExtension);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_policy_alone() {
        let all_on = Policy {
            skip_internal: true,
            skip_unheld_extensions: true,
            skip_employee_numbers: true,
        };
        let all_off = Policy {
            skip_internal: false,
            skip_unheld_extensions: false,
            skip_employee_numbers: false,
        };
        let plain = Facts {
            direction: Direction::In,
            remote_is_employee: false,
            has_extension: true,
            has_holder: true,
        };
        let cases: &[(Facts, Option<Reason>)] = &[
            (plain, None),
            (
                Facts {
                    direction: Direction::Internal,
                    ..plain
                },
                Some(Reason::Internal),
            ),
            (
                Facts {
                    remote_is_employee: true,
                    ..plain
                },
                Some(Reason::EmployeeNumber),
            ),
            (
                Facts {
                    has_holder: false,
                    ..plain
                },
                Some(Reason::UnheldExtension),
            ),
            // A call that names no extension at all (a trunk-level PBX report) is not "unheld".
            (
                Facts {
                    has_extension: false,
                    has_holder: false,
                    ..plain
                },
                None,
            ),
        ];
        for (facts, want) in cases {
            assert_eq!(evaluate(&all_on, facts), *want, "{facts:?}");
            assert_eq!(evaluate(&all_off, facts), None, "{facts:?}");
        }
    }
}
