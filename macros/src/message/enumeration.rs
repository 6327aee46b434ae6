//! `#[bia::enumeration]`: a fieldless enum becomes a proto enum.

use proc_macro2::TokenStream;
use quote::quote;

use super::expand::missing_derives;
use super::parse::parse_args;
use crate::case;
use crate::common::{crate_path, lit_str, valid_package};
use crate::error_store::Errors;
use crate::symbol;

struct Value {
    ident: syn::Ident,
    name: String,
    number: i32,
}

fn strip(item: &syn::ItemEnum) -> syn::ItemEnum {
    let mut item = item.clone();
    for v in item.variants.iter_mut() {
        v.attrs.retain(|a| !a.path().is_ident(symbol::VALUE));
    }
    item
}

/// Entry point of `#[bia::enumeration]`.
pub fn enumeration(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item: syn::ItemEnum = match crate::common::parse_item(
        item,
        "#[bia::enumeration] goes on a fieldless enum; use #[bia::message] on a struct",
    ) {
        Ok(e) => e,
        Err(out) => return out,
    };
    let mut errors = Errors::default();
    let args = parse_args(attr, &mut errors, "enumeration");
    let krate = crate_path(args.krate.as_ref(), &mut errors);
    let package = args.package.as_ref().map(syn::LitStr::value).unwrap_or_default();
    if !valid_package(&package) {
        errors
            .error(args.package.as_ref().expect("set"), "invalid proto package; use dotted identifiers like `user.v1`");
    }
    let name = args.name.as_ref().map(syn::LitStr::value).unwrap_or_else(|| case::unraw(&item.ident));
    let name_ok = crate::common::valid_proto_ident(&name);
    if let Some(n) = args.name.as_ref().filter(|_| !name_ok) {
        errors.error(n, "invalid proto enum name; use an identifier like `Role`");
    }
    if !item.generics.params.is_empty() {
        errors.error(&item.generics, "a #[bia::enumeration] cannot be generic");
    }
    let prefix = case::screaming_snake(&name);
    let mut values = Vec::new();
    let mut next = 0i64;
    for v in &item.variants {
        if !matches!(v.fields, syn::Fields::Unit) {
            errors.error(&v.fields, "a proto enum value carries no data; for a choice between messages use a oneof");
            continue;
        }
        let number = match &v.discriminant {
            Some((_, syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }))) => {
                i.base10_parse::<i64>().unwrap_or(i64::MAX)
            }
            Some((_, syn::Expr::Unary(syn::ExprUnary { op: syn::UnOp::Neg(_), expr, .. }))) => match &**expr {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) => {
                    -i.base10_parse::<i64>().unwrap_or(i64::MAX)
                }
                other => {
                    errors.error(other, "an enum value must be an integer literal");
                    continue;
                }
            },
            Some((_, other)) => {
                errors.error(other, "an enum value must be an integer literal");
                continue;
            }
            None => next,
        };
        let Ok(number) = i32::try_from(number) else {
            errors.error(v, "an enum value must fit in i32");
            continue;
        };
        next = i64::from(number) + 1;
        let mut value_name = format!("{prefix}_{}", case::screaming_snake(&case::unraw(&v.ident)));
        for attr in v.attrs.iter().filter(|a| a.path().is_ident(symbol::VALUE)) {
            let res = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident(symbol::NAME) {
                    value_name = lit_str(&meta)?.value();
                    Ok(())
                } else {
                    Err(meta.error("unknown #[value] argument; expected `name = \"..\"`"))
                }
            });
            errors.ok(res);
        }
        if let Some(dup) = values.iter().find(|x: &&Value| x.name == value_name) {
            errors.error(
                &v.ident,
                format!(
                    "value name `{value_name}` is already used by `{}`; rename one with #[value(name = \"..\")]",
                    dup.ident
                ),
            );
            continue;
        }
        if name_ok && !crate::common::valid_proto_ident(&value_name) {
            errors.error(
                &v.ident,
                format!("`{value_name}` is not a valid proto value name; use #[value(name = \"UPPER_SNAKE\")]"),
            );
            continue;
        }
        values.push(Value { ident: v.ident.clone(), name: value_name, number });
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
    if !errors.is_empty() {
        let stripped = strip(&item);
        let mut out = quote!(#stripped);
        out.extend(errors.into_tokens());
        return out;
    }

    let p = quote!(#krate::__private);
    let ident = &item.ident;
    let full = if package.is_empty() { name.clone() } else { format!("{package}.{name}") };
    let derives = missing_derives(
        &item.attrs,
        &["Clone", "Copy", "Debug", "PartialEq", "Eq", "Hash", "PartialOrd", "Ord", "Default"],
    );
    let mut stripped = strip(&item);
    let has_default_attr = stripped.variants.iter().any(|v| v.attrs.iter().any(|a| a.path().is_ident(symbol::DEFAULT)));
    if !has_default_attr {
        if let Some(first) = stripped.variants.first_mut() {
            first.attrs.push(syn::parse_quote!(#[default]));
        }
    }
    let idents: Vec<&syn::Ident> = values.iter().map(|v| &v.ident).collect();
    let names: Vec<&String> = values.iter().map(|v| &v.name).collect();
    let numbers: Vec<i32> = values.iter().map(|v| v.number).collect();
    let guard = super::expand::proto_name_guard(&package, &name, item.ident.span());
    quote! {
        #derives
        #stripped

        #guard

        const _: () = {
            impl #krate::Enumeration for #ident {
                const PACKAGE: &'static str = #package;
                const NAME: &'static str = #name;
                const FULL_NAME: &'static str = #full;
                const VALUES: &'static [(&'static str, i32)] = &[#((#names, #numbers)),*];

                fn to_i32(self) -> i32 {
                    match self { #(Self::#idents => #numbers,)* }
                }
                fn from_i32(v: i32) -> ::core::option::Option<Self> {
                    match v {
                        #(#numbers => ::core::option::Option::Some(Self::#idents),)*
                        _ => ::core::option::Option::None,
                    }
                }
                fn as_str_name(self) -> &'static str {
                    match self { #(Self::#idents => #names,)* }
                }
                fn from_str_name(s: &str) -> ::core::option::Option<Self> {
                    match s {
                        #(#names => ::core::option::Option::Some(Self::#idents),)*
                        _ => ::core::option::Option::None,
                    }
                }
            }

            impl #p::ProtoType for #ident {
                type Codec = #p::EnumCodec;
            }

            impl #p::serde::Serialize for #ident {
                fn serialize<__S: #p::serde::Serializer>(&self, s: __S) -> ::core::result::Result<__S::Ok, __S::Error> {
                    <#p::EnumCodec as #p::Codec<Self>>::serialize(self, s)
                }
            }

            impl<'de> #p::serde::Deserialize<'de> for #ident {
                fn deserialize<__D: #p::serde::Deserializer<'de>>(d: __D) -> ::core::result::Result<Self, __D::Error> {
                    <#p::EnumCodec as #p::Codec<Self>>::deserialize(d)
                }
            }
        };
    }
}
