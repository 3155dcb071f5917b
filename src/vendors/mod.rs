//! One module per phone or PBX vendor. Each turns the vendor's requests into lookups (and, later, call
//! events) and renders the vendor's exact response format. None of them touches SQL.

pub mod asterisk;
pub mod crmsenior;
pub mod cti;
pub mod dect;
pub mod freepbx;
pub mod fritzbox;
pub mod grandstream;
pub mod placetel;
pub mod propstack;
pub mod sipgate;
pub mod snom;
pub mod threecx;
pub mod yealink;
