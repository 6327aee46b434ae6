//! `#[bia::message]`: a struct with named fields becomes a proto3 message
//! (protobuf encoding, proto3 JSON, schema, HTTP binding and `#[validate]`
//! rules).

mod expand;
mod expand_validate;
mod model;
mod parse;
mod rules;

use crate::driver::Family;

/// `#[bia::message]` as the driver runs it.
pub const MACRO: Family<syn::ItemStruct, parse::RawMessage, model::Message> = Family {
    goes_on: "#[bia::message] goes on a struct with named fields; use #[bia::enumeration] on a fieldless enum",
    parse: parse::parse,
    check: model::check,
    expand: expand::expand,
    strip: expand::strip,
};
