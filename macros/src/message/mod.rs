//! `#[bia::message]` and `#[bia::enumeration]`.

pub mod enumeration;
mod expand;
pub mod oneof;
/// Helpers other macro families reuse.
pub mod expand_helpers {
    pub use super::expand::{missing_derives, proto_name_guard};
}
mod expand_validate;
mod model;
mod parse;
mod rules;

use proc_macro2::TokenStream;

use crate::error_store::Errors;

/// Entry point of `#[bia::message]`.
pub fn message(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item: syn::ItemStruct = match crate::common::parse_item(
        item,
        "#[bia::message] goes on a struct with named fields; use #[bia::enumeration] on a fieldless enum",
    ) {
        Ok(s) => s,
        Err(out) => return out,
    };
    let mut errors = Errors::default();
    let raw = parse::parse(attr, &item, &mut errors);
    let model = model::Message::check(raw, &item, &mut errors);
    let mut out = expand::strip(&item);
    if let Some(model) = model {
        out = expand::expand(&model, &item);
    }
    out.extend(errors.into_tokens());
    out
}
