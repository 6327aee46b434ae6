//! `#[bia::errors]`: an enum of error reasons becomes constructors of
//! `bia::Error` and `is_*` predicates (Kratos' `ErrorUserNotFound` /
//! `IsUserNotFound`).

mod expand;
mod model;
mod parse;

use crate::driver::Family;
use crate::symbol;

/// `#[bia::errors]` as the driver runs it.
pub const MACRO: Family<syn::ItemEnum, parse::RawErrors, model::ErrorEnum> = Family {
    goes_on: "#[bia::errors] goes on an enum of unit variants, one per error reason",
    inert: &[symbol::ERROR],
    parse: parse::parse,
    check: model::check,
    expand: expand::expand,
};
