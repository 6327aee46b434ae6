//! `#[bia::enumeration]`: a fieldless enum becomes a proto enum.

mod expand;
mod model;
mod parse;

use proc_macro2::TokenStream;

use crate::driver::Family;
use crate::error_store::ErrorSink;

/// `#[bia::enumeration]` in the driver.
pub struct EnumerationMacro;

impl Family for EnumerationMacro {
    type Item = syn::ItemEnum;
    type Raw = parse::RawEnumeration;
    type Model = model::Enumeration;
    const WHERE: &'static str = "#[bia::enumeration] goes on a fieldless enum; use #[bia::message] on a struct";

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
