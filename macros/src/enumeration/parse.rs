//! Syntax -> raw arguments of `#[bia::enumeration]` and of each variant's
//! `#[value(name = "..")]`.

use proc_macro2::TokenStream;

use crate::common::parse::{each_attr, lit_str, proto_args, ProtoArgs, ProtoExtra};
use crate::error_store::ErrorSink;
use crate::symbol;

/// The enum as written.
pub struct RawEnumeration {
    pub args: ProtoArgs,
    /// `#[value(name = "..")]` of each variant, in the enum's order.
    pub names: Vec<Option<syn::LitStr>>,
}

pub fn parse(attr: TokenStream, item: &syn::ItemEnum, errors: &ErrorSink<'_>) -> RawEnumeration {
    let args = proto_args(attr, errors, "enumeration", ProtoExtra::None);
    let names = item
        .variants
        .iter()
        .map(|v| {
            let mut name = None;
            each_attr(&v.attrs, symbol::VALUE, errors, |meta| {
                if meta.path.is_ident(symbol::NAME) {
                    name = Some(lit_str(&meta)?);
                    Ok(())
                } else {
                    Err(meta.error("unknown #[value] argument; expected `name = \"..\"`"))
                }
            });
            name
        })
        .collect();
    RawEnumeration { args, names }
}
