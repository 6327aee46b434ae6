//! `#[bia::errors]`: an enum of error reasons becomes constructors of
//! `bia::Error` and `is_*` predicates (Kratos' `ErrorUserNotFound` /
//! `IsUserNotFound`).

mod expand;
mod model;

use proc_macro2::TokenStream;

use crate::error_store::Errors;

/// Entry point of `#[bia::errors]`.
pub fn errors(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item: syn::ItemEnum = match crate::common::parse_item(
        item,
        "#[bia::errors] goes on an enum of unit variants, one per error reason",
    ) {
        Ok(e) => e,
        Err(out) => return out,
    };
    let mut errors = Errors::default();
    let model = model::ErrorEnum::parse(attr, &item, &mut errors);
    let mut out = match model {
        Some(m) if errors.is_empty() => expand::expand(&m, &item),
        _ => expand::strip(&item),
    };
    out.extend(errors.into_tokens());
    out
}
