//! Arguments of `#[bia::errors(domain = "..", default_code = 500)]` and of each
//! variant's `#[error(code = 404, message = "..")]`, checked.

use proc_macro2::TokenStream;

use crate::case;
use crate::common::{crate_path, docs, lit_str};
use crate::error_store::Errors;
use crate::symbol;

pub struct Variant {
    pub ident: syn::Ident,
    pub reason: String,
    pub code: u16,
    pub message: String,
    pub doc: String,
}

pub struct ErrorEnum {
    pub krate: syn::Path,
    pub domain: String,
    pub variants: Vec<Variant>,
}

fn parse_code(lit: &syn::LitInt, errors: &mut Errors) -> Option<u16> {
    match lit.base10_parse::<u16>() {
        Ok(c) if (400..=599).contains(&c) => Some(c),
        _ => {
            errors.error(lit, "an error code is an HTTP status from 400 to 599, e.g. `code = 404`");
            None
        }
    }
}

impl ErrorEnum {
    pub fn parse(attr: TokenStream, item: &syn::ItemEnum, errors: &mut Errors) -> Option<ErrorEnum> {
        let mut domain = None;
        let mut krate = None;
        let mut default_code = 500u16;
        let mut code_lit: Option<syn::LitInt> = None;
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident(symbol::DOMAIN) {
                domain = Some(lit_str(&meta)?);
            } else if meta.path.is_ident(symbol::CRATE) {
                krate = Some(lit_str(&meta)?);
            } else if meta.path.is_ident(symbol::DEFAULT_CODE) {
                code_lit = Some(meta.value()?.parse()?);
            } else {
                return Err(meta.error("unknown #[bia::errors] argument; expected `domain = \"..\"`, `default_code = N` or `crate = \"..\"`"));
            }
            Ok(())
        });
        errors.ok(syn::parse::Parser::parse2(parser, attr));
        if let Some(c) = code_lit.as_ref().and_then(|lit| parse_code(lit, errors)) {
            default_code = c;
        }
        let krate = crate_path(krate.as_ref(), errors);
        if !item.generics.params.is_empty() {
            errors.error(&item.generics, "a #[bia::errors] enum cannot be generic");
        }
        let mut variants = Vec::new();
        for v in &item.variants {
            if !matches!(v.fields, syn::Fields::Unit) {
                errors.error(
                    &v.fields,
                    "an error reason carries no data; pass details as the message or metadata when building the error",
                );
                continue;
            }
            let mut code = default_code;
            let mut message = None;
            let mut code_lit: Option<syn::LitInt> = None;
            for attr in v.attrs.iter().filter(|a| a.path().is_ident(symbol::ERROR)) {
                let res = attr.parse_nested_meta(|meta| {
                    if meta.path.is_ident(symbol::CODE) {
                        code_lit = Some(meta.value()?.parse()?);
                    } else if meta.path.is_ident(symbol::MESSAGE) {
                        message = Some(lit_str(&meta)?.value());
                    } else {
                        return Err(meta.error("unknown #[error] argument; expected `code = N` or `message = \"..\"`"));
                    }
                    Ok(())
                });
                errors.ok(res);
            }
            if let Some(c) = code_lit.as_ref().and_then(|lit| parse_code(lit, errors)) {
                code = c;
            }
            let reason = case::screaming_snake(&case::unraw(&v.ident));
            if let Some(prev) = variants.iter().find(|p: &&Variant| p.reason == reason) {
                errors.error(
                    &v.ident,
                    format!("reason `{reason}` is already the reason of `{}`; rename one of them", prev.ident),
                );
                continue;
            }
            let message = message.unwrap_or_else(|| case::snake(&case::unraw(&v.ident)).replace('_', " "));
            variants.push(Variant { ident: v.ident.clone(), reason, code, message, doc: docs(&v.attrs) });
        }
        Some(ErrorEnum { krate, domain: domain.map(|d| d.value()).unwrap_or_default(), variants })
    }
}
