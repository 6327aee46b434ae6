//! Syntax -> raw arguments of `#[bia::provider(bind = dyn Trait, crate = "..")]`.

use proc_macro2::TokenStream;

use crate::common::parse::{args, lit_str};
use crate::error_store::ErrorSink;
use crate::symbol;

pub struct RawProvider {
    pub krate: Option<syn::LitStr>,
    /// `bind = <type>`; the model checks it is a trait object.
    pub bind: Option<syn::Type>,
}

pub fn parse(attr: TokenStream, _: &syn::ItemFn, errors: &ErrorSink<'_>) -> RawProvider {
    let mut raw = RawProvider { krate: None, bind: None };
    args(attr, errors, |meta| {
        if meta.path.is_ident(symbol::CRATE) {
            raw.krate = Some(lit_str(&meta)?);
        } else if meta.path.is_ident(symbol::BIND) {
            raw.bind = Some(meta.value()?.parse()?);
        } else {
            return Err(meta.error(
                "unknown #[bia::provider] argument; the arguments are `bind = dyn Trait` and `crate = \"path\"`",
            ));
        }
        Ok(())
    });
    raw
}
