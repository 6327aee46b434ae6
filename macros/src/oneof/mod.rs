//! `#[bia::oneof]`: an enum of one-value variants becomes a proto `oneof`,
//! held by a message as `#[field(oneof)] Option<T>`.

mod expand;
mod model;
mod parse;

use crate::driver::Family;
use crate::symbol;

/// `#[bia::oneof]` as the driver runs it.
pub const MACRO: Family<syn::ItemEnum, parse::RawOneof, model::Oneof> = Family {
    goes_on: "#[bia::oneof] goes on an enum whose variants each hold one value, like `Email(String)`",
    inert: &[symbol::FIELD],
    parse: parse::parse,
    check: model::check,
    expand: expand::expand,
};
