//! Raw error enum -> checked reasons: unit variants, HTTP codes from 400 to
//! 599, one reason per variant.

use super::parse::RawErrors;
use crate::case;
use crate::common::model::crate_path;
use crate::error_store::ErrorSink;

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

fn code(lit: &syn::LitInt, errors: &ErrorSink<'_>) -> Option<u16> {
    match lit.base10_parse::<u16>() {
        Ok(c) if (400..=599).contains(&c) => Some(c),
        _ => {
            errors.error(lit, "an error code is an HTTP status from 400 to 599, e.g. `code = 404`");
            None
        }
    }
}

pub fn check(raw: RawErrors, item: &syn::ItemEnum, errors: &ErrorSink<'_>) -> Option<ErrorEnum> {
    let default_code = raw.default_code.as_ref().and_then(|lit| code(lit, errors)).unwrap_or(500);
    let krate = crate_path(raw.krate.as_ref(), errors);
    if !item.generics.params.is_empty() {
        errors.error(&item.generics, "a #[bia::errors] enum cannot be generic");
    }
    let mut variants: Vec<Variant> = Vec::new();
    for (v, raw) in item.variants.iter().zip(raw.variants) {
        if !matches!(v.fields, syn::Fields::Unit) {
            errors.error(
                &v.fields,
                "an error reason carries no data; pass details as the message or metadata when building the error",
            );
            continue;
        }
        let code = raw.code.as_ref().and_then(|lit| code(lit, errors)).unwrap_or(default_code);
        let reason = case::screaming_snake(&case::unraw(&v.ident));
        if let Some(prev) = variants.iter().find(|p| p.reason == reason) {
            errors.error(
                &v.ident,
                format!("reason `{reason}` is already the reason of `{}`; rename one of them", prev.ident),
            );
            continue;
        }
        let message = match raw.message {
            Some(lit) => lit.value(),
            None => case::snake(&case::unraw(&v.ident)).replace('_', " "),
        };
        variants.push(Variant { ident: v.ident.clone(), reason, code, message, doc: raw.doc });
    }
    Some(ErrorEnum { krate, domain: raw.domain.map(|d| d.value()).unwrap_or_default(), variants })
}
