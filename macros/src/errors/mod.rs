//! `#[bia::errors]`: an enum of error reasons becomes constructors of
//! `bia::Error` and `is_*` predicates (Kratos' `ErrorUserNotFound` /
//! `IsUserNotFound`).

mod expand;
mod model;
mod parse;

use proc_macro2::TokenStream;

use crate::driver::Family;
use crate::error_store::ErrorSink;

/// `#[bia::errors]` in the driver.
pub struct ErrorsMacro;

impl Family for ErrorsMacro {
    type Item = syn::ItemEnum;
    type Raw = parse::RawErrors;
    type Model = model::ErrorEnum;
    const WHERE: &'static str = "#[bia::errors] goes on an enum of unit variants, one per error reason";

    fn parse(attr: TokenStream, item: &syn::ItemEnum, errors: &ErrorSink<'_>) -> Self::Raw {
        parse::parse(attr, item, errors)
    }

    fn check(raw: Self::Raw, item: &syn::ItemEnum, errors: &ErrorSink<'_>) -> Option<Self::Model> {
        model::check(raw, item, errors)
    }

    fn expand(model: &Self::Model, item: &syn::ItemEnum) -> TokenStream {
        expand::expand(model, item)
    }

    fn strip(item: &syn::ItemEnum) -> TokenStream {
        expand::strip(item)
    }
}
