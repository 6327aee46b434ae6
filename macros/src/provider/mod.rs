//! `#[bia::provider]`: a constructor becomes a registered provider. It
//! implements `bia::wire::ProvidedBy<marker>` for its output (so the
//! compiler can check its consumers), checks its own inputs, and submits a
//! registry entry with a build function to `inventory`.

mod expand;
mod model;

use proc_macro2::TokenStream;

use crate::error_store::Errors;

/// Entry point of `#[bia::provider]`.
pub fn provider(attr: TokenStream, item: TokenStream) -> TokenStream {
    let parsed: syn::Item = match crate::common::parse_item(item, model::WHERE) {
        Ok(i) => i,
        Err(out) => return out,
    };
    let mut errors = Errors::default();
    let attr = model::parse_attr(attr, &mut errors);
    let mut out = match &parsed {
        syn::Item::Fn(f) => match model::check(f, attr, &mut errors) {
            Some(m) if errors.is_empty() => expand::expand(f, &m),
            _ => quote::quote!(#f),
        },
        other => {
            errors.error_at(proc_macro2::Span::call_site(), model::WHERE);
            quote::quote!(#other)
        }
    };
    out.extend(errors.into_tokens());
    out
}
