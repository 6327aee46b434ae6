//! `#[bia::message]` and `#[bia::enumeration]`.

pub mod enumeration;
mod expand;
pub mod oneof;
/// Helpers other macro families reuse.
pub mod expand_helpers {
    pub use super::expand::{missing_derives, proto_name_guard};
}
mod model;
mod parse;

use proc_macro2::TokenStream;

use crate::error_store::Errors;

/// Entry point of `#[bia::message]`.
pub fn message(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let item: syn::ItemStruct = match syn::parse2(item.clone()) {
        Ok(s) => s,
        Err(_) => {
            errors.error_at(
                proc_macro2::Span::call_site(),
                "#[bia::message] goes on a struct with named fields; use #[bia::enumeration] on a fieldless enum",
            );
            let mut out = item;
            out.extend(errors.into_tokens());
            return out;
        }
    };
    let raw = parse::parse(attr, &item, &mut errors);
    let model = model::Message::check(raw, &item, &mut errors);
    let mut out = expand::strip(&item);
    if let Some(model) = model {
        out = expand::expand(&model, &item);
    }
    out.extend(errors.into_tokens());
    out
}
