//! ringbook: caller lookup, phone books and one call journal for a small office's phone system, in one
//! binary with one SQLite file. See ARCHITECTURE.md for the map.
//!
//! The API docs are for the people working on ringbook, not a library's users: build them with
//! `cargo doc --document-private-items`, where a public item's doc may point at the private constant
//! or helper that explains it.
#![allow(rustdoc::private_intra_doc_links)]

pub mod api;
pub mod auth;
pub mod backup;
pub mod breached;
pub mod cli;
pub mod contacts;
pub mod demo;
pub mod dial;
pub mod disk;
pub mod employees;
pub mod export;
pub mod hex;
pub mod http;
pub mod import;
pub mod journal;
pub mod lines;
pub mod lookup;
pub mod number;
pub mod password;
pub mod phonebook;
pub mod provision;
pub mod recovery;
pub mod screenpop;
pub mod settings;
pub mod sources;
pub mod store;
pub mod sync;
pub mod totp;
pub mod users;
pub mod vendors;
pub mod vital;
pub mod web;
pub mod xml;
