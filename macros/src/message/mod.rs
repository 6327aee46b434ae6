//! `#[bia::message]`: a struct with named fields becomes a proto3 message
//! (protobuf encoding, proto3 JSON, schema, HTTP binding and `#[validate]`
//! rules).

mod expand;
mod expand_validate;
mod model;
mod parse;
mod rules;

use proc_macro2::TokenStream;

use crate::driver::Family;
use crate::error_store::ErrorSink;

/// `#[bia::message]` in the driver.
pub struct MessageMacro;

impl Family for MessageMacro {
    type Item = syn::ItemStruct;
    type Raw = parse::RawMessage;
    type Model = model::Message;
    const WHERE: &'static str =
        "#[bia::message] goes on a struct with named fields; use #[bia::enumeration] on a fieldless enum";

    fn parse(attr: TokenStream, item: &syn::ItemStruct, errors: &ErrorSink<'_>) -> Self::Raw {
        parse::parse(attr, item, errors)
    }

    fn check(raw: Self::Raw, item: &syn::ItemStruct, errors: &ErrorSink<'_>) -> Option<Self::Model> {
        model::check(raw, item, errors)
    }

    fn expand(model: &Self::Model, item: &syn::ItemStruct) -> TokenStream {
        expand::expand(model, item)
    }

    fn strip(item: &syn::ItemStruct) -> TokenStream {
        expand::strip(item)
    }
}
