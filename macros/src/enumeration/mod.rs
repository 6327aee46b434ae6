//! `#[bia::enumeration]`: a fieldless enum becomes a proto enum.

mod expand;
mod model;
mod parse;

use crate::driver::Family;
use crate::symbol;

/// `#[bia::enumeration]` as the driver runs it.
pub const MACRO: Family<syn::ItemEnum, parse::RawEnumeration, model::Enumeration> = Family {
    goes_on: "#[bia::enumeration] goes on a fieldless enum; use #[bia::message] on a struct",
    inert: &[symbol::VALUE],
    parse: parse::parse,
    check: model::check,
    expand: expand::expand,
};
