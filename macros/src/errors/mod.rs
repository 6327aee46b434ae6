//! `#[bia::errors]`: an enum of error reasons becomes constructors of
//! `bia::Error` and `is_*` predicates (Kratos' `ErrorUserNotFound` /
//! `IsUserNotFound`).

mod expand;
mod model;

use proc_macro2::TokenStream;

use crate::error_store::Errors;

/// Entry point of `#[bia::errors]`.
pub fn errors(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let item: syn::ItemEnum = match syn::parse2(item.clone()) {
        Ok(e) => e,
        Err(_) => {
            errors.error_at(
                proc_macro2::Span::call_site(),
                "#[bia::errors] goes on an enum of unit variants, one per error reason",
            );
            let mut out = item;
            out.extend(errors.into_tokens());
            return out;
        }
    };
    let model = model::ErrorEnum::parse(attr, &item, &mut errors);
    let mut out = match model {
        Some(m) if errors.is_empty() => expand::expand(&m, &item),
        _ => expand::strip(&item),
    };
    out.extend(errors.into_tokens());
    out
}
