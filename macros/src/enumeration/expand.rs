//! Enumeration model -> the enum (with the derives it needs and a default
//! value) and its `bia::Enumeration`, `ProtoType` and proto3 JSON impls.

use proc_macro2::TokenStream;
use quote::quote;

use super::model::Enumeration;
use crate::common::expand::{missing_derives, proto_name_guard, strip_inert};
use crate::symbol;

pub fn expand(e: &Enumeration, item: &syn::ItemEnum) -> TokenStream {
    let krate = &e.krate;
    let p = quote!(#krate::__private);
    let ident = &item.ident;
    let (package, name, full) = (&e.package, &e.name, &e.full_name);
    let derives = missing_derives(
        &item.attrs,
        &["Clone", "Copy", "Debug", "PartialEq", "Eq", "Hash", "PartialOrd", "Ord", "Default"],
    );
    // The derived `Default` needs a `#[default]` variant: proto3's default
    // is the first value.
    let mut with_default = item.clone();
    let has_default_attr = item.variants.iter().any(|v| v.attrs.iter().any(|a| a.path().is_ident(symbol::DEFAULT)));
    if let Some(first) = with_default.variants.first_mut().filter(|_| !has_default_attr) {
        first.attrs.push(syn::parse_quote!(#[default]));
    }
    let stripped = strip_inert(with_default, super::MACRO.inert);
    let idents: Vec<&syn::Ident> = e.values.iter().map(|v| &v.ident).collect();
    let names: Vec<&String> = e.values.iter().map(|v| &v.name).collect();
    let numbers: Vec<i32> = e.values.iter().map(|v| v.number).collect();
    let value_docs: Vec<&String> = e.values.iter().map(|v| &v.doc).collect();
    let doc = &e.doc;
    let guard = proto_name_guard(package, name, item.ident.span());
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
                const DOC: &'static str = #doc;
                const VALUE_DOCS: &'static [&'static str] = &[#(#value_docs),*];

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
