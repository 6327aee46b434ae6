//! Syntax -> raw arguments of `#[bia::errors(domain = "..", default_code = 500)]`
//! and of each variant's `#[error(code = 404, message = "..")]`.

use proc_macro2::TokenStream;

use crate::common::parse::{args, docs, each_attr, lit_str};
use crate::error_store::ErrorSink;
use crate::symbol;

/// The enum as written.
pub struct RawErrors {
    pub domain: Option<syn::LitStr>,
    pub krate: Option<syn::LitStr>,
    pub default_code: Option<syn::LitInt>,
    /// One per variant, in the enum's order.
    pub variants: Vec<RawVariant>,
}

/// A variant's `#[error(..)]` and doc comment.
pub struct RawVariant {
    pub code: Option<syn::LitInt>,
    pub message: Option<syn::LitStr>,
    pub doc: String,
}

pub fn parse(attr: TokenStream, item: &syn::ItemEnum, errors: &ErrorSink<'_>) -> RawErrors {
    let mut raw = RawErrors { domain: None, krate: None, default_code: None, variants: Vec::new() };
    args(attr, errors, |meta| {
        if meta.path.is_ident(symbol::DOMAIN) {
            raw.domain = Some(lit_str(&meta)?);
        } else if meta.path.is_ident(symbol::CRATE) {
            raw.krate = Some(lit_str(&meta)?);
        } else if meta.path.is_ident(symbol::DEFAULT_CODE) {
            raw.default_code = Some(meta.value()?.parse()?);
        } else {
            return Err(meta.error(
                "unknown #[bia::errors] argument; expected `domain = \"..\"`, `default_code = N` or `crate = \"..\"`",
            ));
        }
        Ok(())
    });
    raw.variants = item.variants.iter().map(|v| variant(v, errors)).collect();
    raw
}

fn variant(v: &syn::Variant, errors: &ErrorSink<'_>) -> RawVariant {
    let mut raw = RawVariant { code: None, message: None, doc: docs(&v.attrs) };
    each_attr(&v.attrs, symbol::ERROR, errors, |meta| {
        if meta.path.is_ident(symbol::CODE) {
            raw.code = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident(symbol::MESSAGE) {
            raw.message = Some(lit_str(&meta)?);
        } else {
            return Err(meta.error("unknown #[error] argument; expected `code = N` or `message = \"..\"`"));
        }
        Ok(())
    });
    raw
}
