//! Raw enumeration -> a checked proto enum: values numbered as proto3 wants
//! them (the first is 0), names unique and valid.

use super::parse::RawEnumeration;
use crate::case;
use crate::common::model::{valid_proto_ident, ProtoNames};
use crate::common::parse::docs;
use crate::error_store::ErrorSink;

pub struct Value {
    pub ident: syn::Ident,
    pub name: String,
    pub number: i32,
    /// Its doc comment.
    pub doc: String,
}

pub struct Enumeration {
    pub krate: syn::Path,
    pub package: String,
    pub name: String,
    pub full_name: String,
    pub values: Vec<Value>,
    /// The enum's doc comment.
    pub doc: String,
}

/// The number a discriminant spells, if it is an integer literal.
fn literal_number(expr: &syn::Expr, errors: &ErrorSink<'_>) -> Option<i64> {
    let int = |i: &syn::LitInt| i.base10_parse::<i64>().unwrap_or(i64::MAX);
    match expr {
        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) => Some(int(i)),
        syn::Expr::Unary(syn::ExprUnary { op: syn::UnOp::Neg(_), expr, .. }) => match &**expr {
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) => Some(-int(i)),
            other => {
                errors.error(other, "an enum value must be an integer literal");
                None
            }
        },
        other => {
            errors.error(other, "an enum value must be an integer literal");
            None
        }
    }
}

pub fn check(raw: RawEnumeration, item: &syn::ItemEnum, errors: &ErrorSink<'_>) -> Option<Enumeration> {
    if !item.generics.params.is_empty() {
        errors.error(&item.generics, "a #[bia::enumeration] cannot be generic");
    }
    let ProtoNames { krate, package, name, full_name } =
        ProtoNames::check(&raw.args, &item.ident, "enum", "Role", errors);
    // A value name is checked only under a valid enum name, which prefixes it.
    let name_ok = valid_proto_ident(&name);
    let prefix = case::screaming_snake(&name);
    let mut values: Vec<Value> = Vec::new();
    let mut next = 0i64;
    for (v, renamed) in item.variants.iter().zip(raw.names) {
        if !matches!(v.fields, syn::Fields::Unit) {
            errors.error(&v.fields, "a proto enum value carries no data; for a choice between messages use a oneof");
            continue;
        }
        let number = match &v.discriminant {
            Some((_, expr)) => match literal_number(expr, errors) {
                Some(n) => n,
                None => continue,
            },
            None => next,
        };
        let Ok(number) = i32::try_from(number) else {
            errors.error(v, "an enum value must fit in i32");
            continue;
        };
        next = i64::from(number) + 1;
        let value_name = match renamed {
            Some(lit) => lit.value(),
            None => format!("{prefix}_{}", case::screaming_snake(&case::unraw(&v.ident))),
        };
        if let Some(dup) = values.iter().find(|x| x.name == value_name) {
            errors.error(
                &v.ident,
                format!(
                    "value name `{value_name}` is already used by `{}`; rename one with #[value(name = \"..\")]",
                    dup.ident
                ),
            );
            continue;
        }
        if name_ok && !valid_proto_ident(&value_name) {
            errors.error(
                &v.ident,
                format!("`{value_name}` is not a valid proto value name; use #[value(name = \"UPPER_SNAKE\")]"),
            );
            continue;
        }
        values.push(Value { ident: v.ident.clone(), name: value_name, number, doc: docs(&v.attrs) });
    }
    match values.first() {
        Some(first) if first.number != 0 => errors.error(
            &first.ident,
            "the first value of a proto3 enum must be 0 (it is the default); add e.g. `Unspecified = 0` first",
        ),
        None if item.variants.is_empty() => {
            errors.error(&item.ident, "a proto enum needs at least one value, the first being 0")
        }
        _ => {}
    }
    Some(Enumeration { krate, package, name, full_name, values, doc: docs(&item.attrs) })
}
