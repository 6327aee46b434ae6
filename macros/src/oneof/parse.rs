//! Syntax -> raw arguments of `#[bia::oneof]` and of each variant's
//! `#[field(..)]`.

use proc_macro2::TokenStream;

use crate::common::parse::{crate_only, docs, each_attr, lit_str};
use crate::error_store::ErrorSink;
use crate::symbol;

/// The oneof as written.
pub struct RawOneof {
    pub krate: Option<syn::LitStr>,
    /// One per variant, in the enum's order.
    pub members: Vec<RawMember>,
}

/// A variant's `#[field(tag = N, json_name = "..", <encoding>)]`.
pub struct RawMember {
    pub tag: Option<syn::LitInt>,
    pub json_name: Option<syn::LitStr>,
    pub encoding: Option<syn::Ident>,
    pub doc: String,
}

pub fn parse(attr: TokenStream, item: &syn::ItemEnum, errors: &ErrorSink<'_>) -> RawOneof {
    let krate = crate_only(attr, errors, "unknown #[bia::oneof] argument; expected `crate = \"..\"`");
    let members = item.variants.iter().map(|v| member(v, errors)).collect();
    RawOneof { krate, members }
}

fn member(v: &syn::Variant, errors: &ErrorSink<'_>) -> RawMember {
    let mut m = RawMember { tag: None, json_name: None, encoding: None, doc: docs(&v.attrs) };
    each_attr(&v.attrs, symbol::FIELD, errors, |meta| {
        if meta.path.is_ident(symbol::TAG) {
            m.tag = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident(symbol::JSON_NAME) {
            m.json_name = Some(lit_str(&meta)?);
        } else if let Some(i) = meta.path.get_ident().filter(|i| symbol::ENCODINGS.iter().any(|(n, _, _)| i == n)) {
            m.encoding = Some(i.clone());
        } else {
            return Err(meta.error(
                "unknown #[field] argument on a oneof variant; expected `tag = N`, `json_name = \"..\"` or an encoding",
            ));
        }
        Ok(())
    });
    m
}
