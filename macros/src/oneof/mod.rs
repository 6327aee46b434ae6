//! `#[bia::oneof]`: an enum of one-value variants becomes a proto `oneof`,
//! held by a message as `#[field(oneof)] Option<T>`.

mod expand;
mod model;
mod parse;

use proc_macro2::TokenStream;

use crate::driver::Family;
use crate::error_store::ErrorSink;

/// `#[bia::oneof]` in the driver.
pub struct OneofMacro;

impl Family for OneofMacro {
    type Item = syn::ItemEnum;
    type Raw = parse::RawOneof;
    type Model = model::Oneof;
    const WHERE: &'static str =
        "#[bia::oneof] goes on an enum whose variants each hold one value, like `Email(String)`";

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
