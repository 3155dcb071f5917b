//! The office's own numbers: its main numbers and the direct-dial numbers (DIDs) that lines are named
//! after ("Sales", "Support"). The journal uses them to name the line a call came in on, and the AMI
//! tracker to know a channel that shows one of them as ours; they are never contacts.

use serde::Serialize;

use crate::number::{Normalized, NumberModel};
use crate::store::{self, Store};

#[derive(Clone, Debug, Serialize)]
pub struct Line {
    pub id: i64,
    pub raw: String,
    pub e164: String,
    pub name: String,
    pub is_main: bool,
}

/// Adds a line, or renames it if the number is already known.
pub fn add(
    store: &Store,
    model: &NumberModel,
    number: &str,
    name: &str,
    is_main: bool,
) -> Result<i64, String> {
    let name = name.trim().to_string();
    if name.is_empty() {
        return Err("a line needs a name, e.g. 'Sales'".into());
    }
    let e164 = match model.normalize(number).map_err(|e| e.to_string())? {
        Normalized::Public { e164, .. } => e164,
        _ => {
            return Err(format!(
                "'{number}' is not a public phone number; a line is a number callers can dial"
            ))
        }
    };
    let raw = number.trim().to_string();
    store
        .write(move |tx| store::lines::insert(tx, &raw, e164.as_str(), &name, is_main))
        .map_err(|e| e.to_string())
}

pub fn remove(store: &Store, id: i64) -> Result<(), String> {
    store
        .write(move |tx| store::lines::delete(tx, id))
        .map_err(|e| e.to_string())
}
