//! `GET /api/openapi.json`: the OpenAPI 3.1 document of every JSON endpoint, kept in the repository as
//! `assets/openapi.json` and compiled into the binary, so the box always describes the API it serves.
//! `tests/openapi.rs` checks that every JSON route in the route table is in it.

use crate::http::routes::Params;
use crate::http::{Ctx, Request, Response, JSON};

/// The document, as written in the repository.
pub const DOCUMENT: &str = include_str!("../../assets/openapi.json");

/// Public like `/healthz`: the document describes endpoints and names no key or setting value.
pub fn document(_ctx: &mut Ctx, _req: &Request, _p: &Params) -> Response {
    Response::new(200, JSON, DOCUMENT)
}
