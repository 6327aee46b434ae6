//! `#[bia::message]`: a struct with named fields becomes a proto3 message
//! (protobuf encoding, proto3 JSON, schema, HTTP binding and `#[validate]`
//! rules).

mod expand;
mod expand_validate;
mod model;
mod parse;
mod rules;

use crate::driver::Family;
use crate::symbol;

/// `#[bia::message]` as the driver runs it.
pub const MACRO: Family<syn::ItemStruct, parse::RawMessage, model::Message> = Family {
    goes_on: "#[bia::message] goes on a struct with named fields; use #[bia::enumeration] on a fieldless enum",
    inert: &[symbol::FIELD, symbol::VALIDATE],
    parse: parse::parse,
    check: model::check,
    expand: expand::expand,
};
