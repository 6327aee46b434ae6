//! `#[bia::middleware]`: an `async fn(ctx, req, next)` becomes a unit struct
//! that implements `bia::middleware::Middleware`; on an `impl` block, its
//! `async fn handle(&self, ctx, req, next)` implements it for the type (whose
//! fields carry configuration).

mod expand;
mod model;

use proc_macro2::TokenStream;

use crate::error_store::Errors;

/// Entry point of `#[bia::middleware]`.
pub fn middleware(attr: TokenStream, item: TokenStream) -> TokenStream {
    let parsed: syn::Item = match crate::common::parse_item(item, model::WHERE) {
        Ok(i) => i,
        Err(out) => return out,
    };
    let mut errors = Errors::default();
    let krate = model::parse_attr(attr, &mut errors);
    let out = match &parsed {
        syn::Item::Fn(f) => match model::check_fn(f, &mut errors) {
            Some(m) if errors.is_empty() => expand::expand_fn(&krate, f, &m),
            _ => quote::quote!(#f),
        },
        syn::Item::Impl(i) => match model::check_impl(i, &mut errors) {
            Some(m) if errors.is_empty() => expand::expand_impl(&krate, i, &m),
            _ => quote::quote!(#i),
        },
        other => {
            errors.error_at(proc_macro2::Span::call_site(), model::WHERE);
            quote::quote!(#other)
        }
    };
    let mut out = out;
    out.extend(errors.into_tokens());
    out
}
