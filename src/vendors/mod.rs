//! One module per phone or PBX vendor. Each turns the vendor's requests into lookups (and, later, call
//! events) and renders the vendor's exact response format. None of them touches SQL.

pub mod freepbx;
