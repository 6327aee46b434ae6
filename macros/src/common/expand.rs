//! Output several families emit the same way.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

/// `#[derive(..)]` of the traits in `wanted` the user did not derive already.
pub fn missing_derives(attrs: &[syn::Attribute], wanted: &[&str]) -> TokenStream {
    let have = super::parse::derived(attrs);
    let paths: Vec<TokenStream> = wanted
        .iter()
        .filter(|w| !have.iter().any(|h| h == *w))
        .map(|w| match *w {
            "Clone" => quote!(::core::clone::Clone),
            "Copy" => quote!(::core::marker::Copy),
            "PartialEq" => quote!(::core::cmp::PartialEq),
            "Eq" => quote!(::core::cmp::Eq),
            "Hash" => quote!(::core::hash::Hash),
            "PartialOrd" => quote!(::core::cmp::PartialOrd),
            "Ord" => quote!(::core::cmp::Ord),
            "Debug" => quote!(::core::fmt::Debug),
            "Default" => quote!(::core::default::Default),
            other => unreachable!("derive {other}"),
        })
        .collect();
    if paths.is_empty() {
        TokenStream::new()
    } else {
        quote!(#[derive(#(#paths),*)])
    }
}

/// The hidden items that make two proto types (messages, enums, services)
/// with one proto name an error, as protoc rejects them too: in one crate a
/// second exported macro of one name (a compile error at the second one's
/// name, whatever the modules), and across crates the same symbol defined
/// twice when they are linked together.
pub fn proto_name_guard(package: &str, name: &str, span: Span) -> TokenStream {
    let ident = format_ident!(
        "__bia_proto_type_{}_{}_is_defined_twice__rename_one_of_them",
        package.replace('.', "_"),
        name,
        span = span
    );
    let symbol = format!("__bia_proto_type_defined_twice.{package}.{name}");
    quote_spanned! {span=>
        #[doc(hidden)]
        #[macro_export]
        macro_rules! #ident {
            () => {};
        }
        const _: () = {
            #[unsafe(export_name = #symbol)]
            static __BIA_PROTO_NAME: u8 = 0;
        };
    }
}

/// `item` without the attributes named in `inert` on its fields, variants or
/// trait methods: where every family's inert attributes (`#[field]`,
/// `#[value]`, `#[rpc]`, ...) sit, and where rustc would reject them.
pub fn strip_inert(item: impl Into<syn::Item>, inert: &[&str]) -> syn::Item {
    let mut item = item.into();
    let parts: Vec<&mut Vec<syn::Attribute>> = match &mut item {
        syn::Item::Struct(s) => s.fields.iter_mut().map(|f| &mut f.attrs).collect(),
        syn::Item::Enum(e) => e.variants.iter_mut().map(|v| &mut v.attrs).collect(),
        syn::Item::Trait(t) => t
            .items
            .iter_mut()
            .filter_map(|it| match it {
                syn::TraitItem::Fn(f) => Some(&mut f.attrs),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    for attrs in parts {
        attrs.retain(|a| !inert.iter().any(|name| a.path().is_ident(name)));
    }
    item
}
