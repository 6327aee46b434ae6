//! `#[bia::oneof]`: an enum of one-value variants becomes a proto `oneof`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;

use super::expand::missing_derives;
use crate::case;
use crate::common::{crate_path, lit_str};
use crate::error_store::Errors;
use crate::symbol;

struct Member {
    ident: syn::Ident,
    name: String,
    json_name: String,
    tag: u32,
    ty: syn::Type,
    codec: TokenStream,
    doc: String,
}

fn strip(item: &syn::ItemEnum) -> syn::ItemEnum {
    let mut item = item.clone();
    for v in item.variants.iter_mut() {
        v.attrs.retain(|a| !a.path().is_ident(symbol::FIELD));
    }
    item
}

/// Entry point of `#[bia::oneof]`.
pub fn oneof(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item: syn::ItemEnum = match crate::common::parse_item(
        item,
        "#[bia::oneof] goes on an enum whose variants each hold one value, like `Email(String)`",
    ) {
        Ok(e) => e,
        Err(out) => return out,
    };
    let mut errors = Errors::default();
    let mut krate_lit = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident(symbol::CRATE) {
            krate_lit = Some(lit_str(&meta)?);
            Ok(())
        } else {
            Err(meta.error("unknown #[bia::oneof] argument; expected `crate = \"..\"`"))
        }
    });
    errors.ok(syn::parse::Parser::parse2(parser, attr));
    let krate = crate_path(krate_lit.as_ref(), &mut errors);
    if !item.generics.params.is_empty() {
        errors.error(&item.generics, "a #[bia::oneof] enum cannot be generic");
    }
    let mut members: Vec<Member> = Vec::new();
    for v in &item.variants {
        let ty = match &v.fields {
            syn::Fields::Unnamed(u) if u.unnamed.len() == 1 => u.unnamed[0].ty.clone(),
            _ => {
                errors.error(v, "a oneof variant holds exactly one value, like `Email(String)`");
                continue;
            }
        };
        let mut tag = None;
        let mut json_name = None;
        let mut encoding: Option<syn::Ident> = None;
        for attr in v.attrs.iter().filter(|a| a.path().is_ident(symbol::FIELD)) {
            let res = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident(symbol::TAG) {
                    tag = Some(meta.value()?.parse::<syn::LitInt>()?);
                } else if meta.path.is_ident(symbol::JSON_NAME) {
                    json_name = Some(lit_str(&meta)?.value());
                } else if let Some(i) = meta.path.get_ident().filter(|i| symbol::ENCODINGS.iter().any(|(n, _, _)| i == n)) {
                    encoding = Some(i.clone());
                } else {
                    return Err(meta.error("unknown #[field] argument on a oneof variant; expected `tag = N`, `json_name = \"..\"` or an encoding"));
                }
                Ok(())
            });
            errors.ok(res);
        }
        let Some(tag_lit) = tag else {
            errors.error(&v.ident, "a oneof variant needs `#[field(tag = N)]`: its tag shares the tag space of the message that holds the oneof");
            continue;
        };
        let tag = match tag_lit.base10_parse::<u32>() {
            Ok(t) if (1..(1 << 29)).contains(&t) && !(19000..=19999).contains(&t) => t,
            _ => {
                errors.error(&tag_lit, "a tag must be between 1 and 536870911, outside 19000..=19999");
                continue;
            }
        };
        if let Some(other) = members.iter().find(|m| m.tag == tag) {
            errors.error(&tag_lit, format!("tag {tag} is already used by `{}`", other.ident));
            continue;
        }
        let name = case::snake(&case::unraw(&v.ident));
        let codec = match &encoding {
            Some(enc) => {
                let (_, _, codec) = symbol::ENCODINGS.iter().find(|(n, _, _)| enc == n).expect("known");
                let codec = syn::Ident::new(codec, enc.span());
                quote!(#krate::__private::codec::#codec)
            }
            None => quote_spanned!(ty.span()=> <#ty as #krate::__private::ProtoType>::Codec),
        };
        members.push(Member {
            ident: v.ident.clone(),
            json_name: json_name.unwrap_or_else(|| case::json_name(&name)),
            name,
            tag,
            ty,
            codec,
            doc: crate::common::docs(&v.attrs),
        });
    }
    if item.variants.is_empty() {
        errors.error(&item.ident, "a oneof needs at least one variant");
    }
    if !errors.is_empty() {
        let stripped = strip(&item);
        let mut out = quote!(#stripped);
        out.extend(errors.into_tokens());
        return out;
    }
    expand(&krate, &item, &members)
}

fn expand(krate: &syn::Path, item: &syn::ItemEnum, members: &[Member]) -> TokenStream {
    let p = quote!(#krate::__private);
    let ident = &item.ident;
    let derives = missing_derives(&item.attrs, &["Clone", "PartialEq", "Debug"]);
    let stripped = strip(item);
    let tags: Vec<u32> = members.iter().map(|m| m.tag).collect();
    let mut encode = Vec::new();
    let mut len = Vec::new();
    let mut merge = Vec::new();
    let mut describe = Vec::new();
    let mut ser = Vec::new();
    let mut keys = Vec::new();
    let mut de = Vec::new();
    let mut bind = Vec::new();
    let mut param = Vec::new();
    let mut query = Vec::new();
    for m in members {
        let (vi, c, t, tag, name, json, doc) = (&m.ident, &m.codec, &m.ty, m.tag, &m.name, &m.json_name, &m.doc);
        let names = if name == json { quote!(#name) } else { quote!(#name | #json) };
        encode.push(quote!(Self::#vi(v) => <#c as #p::Codec<#t>>::encode(#tag, v, buf),));
        len.push(quote!(Self::#vi(v) => <#c as #p::Codec<#t>>::encoded_len(#tag, v),));
        merge.push(quote! {
            #tag => match field {
                ::core::option::Option::Some(Self::#vi(v)) => <#c as #p::Codec<#t>>::merge(wt, v, buf, ctx),
                _ => {
                    let mut v = <#t as ::core::default::Default>::default();
                    <#c as #p::Codec<#t>>::merge(wt, &mut v, buf, ctx)?;
                    *field = ::core::option::Option::Some(Self::#vi(v));
                    ::core::result::Result::Ok(())
                }
            },
        });
        describe.push(quote!(#p::oneof_member_def::<#c, #t>(b, #name, #json, #tag, name, #doc)));
        ser.push(quote!(Self::#vi(v) => map.serialize_entry(if snake_case { #name } else { #json }, &#p::SingularSer::<#c, #t>(v, ::core::marker::PhantomData)),));
        keys.push(names.clone());
        de.push(quote!(#names => access.next_value_seed(#p::SingularSeed::<#c, #t>::new()).map(Self::#vi),));
        bind.push(quote! {
            #names => {
                let mut v = match field.take() {
                    ::core::option::Option::Some(Self::#vi(v)) => v,
                    _ => <#t as ::core::default::Default>::default(),
                };
                let r = #p::singular::bind::<#c, #t>(&mut v, rest, value);
                *field = ::core::option::Option::Some(Self::#vi(v));
                ::core::option::Option::Some(r)
            }
        });
        param.push(
            quote!((#names, ::core::option::Option::Some(Self::#vi(v))) => #p::singular::param::<#c, #t>(v, rest),),
        );
        query.push(quote!(Self::#vi(v) => #p::singular::query::<#c, #t>(v, prefix, #name, skip, q),));
    }
    quote! {
        #derives
        #stripped

        const _: () = {
            impl #p::Oneof for #ident {
                const TAGS: &'static [u32] = &[#(#tags),*];

                fn encode(&self, buf: &mut impl #p::bytes::BufMut) {
                    match self { #(#encode)* }
                }
                fn encoded_len(&self) -> usize {
                    match self { #(#len)* }
                }
                fn merge(
                    field: &mut ::core::option::Option<Self>,
                    tag: u32,
                    wt: #p::prost::encoding::WireType,
                    buf: &mut impl #p::bytes::Buf,
                    ctx: #p::prost::encoding::DecodeContext,
                ) -> ::core::result::Result<(), #p::prost::DecodeError> {
                    match tag {
                        #(#merge)*
                        _ => #p::skip_field(wt, tag, buf, ctx),
                    }
                }
                fn describe(b: &mut #p::SchemaBuilder, name: &'static str) -> ::std::vec::Vec<#p::FieldDef> {
                    ::std::vec![#(#describe),*]
                }
                fn serialize_entry<__M: #p::serde::ser::SerializeMap>(&self, map: &mut __M, snake_case: bool) -> ::core::result::Result<(), __M::Error> {
                    match self { #(#ser)* }
                }
                fn is_key(key: &str) -> bool {
                    ::core::matches!(key, #(#keys)|*)
                }
                fn deserialize_member<'de, __A: #p::serde::de::MapAccess<'de>>(key: &str, access: &mut __A) -> ::core::result::Result<Self, __A::Error> {
                    match key {
                        #(#de)*
                        _ => ::core::result::Result::Err(#p::no_such_field_de(::core::stringify!(#ident), key)),
                    }
                }
                fn bind_param(field: &mut ::core::option::Option<Self>, head: &str, rest: ::core::option::Option<&str>, value: &str) -> ::core::option::Option<::core::result::Result<bool, ::std::string::String>> {
                    match head {
                        #(#bind)*
                        _ => ::core::option::Option::None,
                    }
                }
                fn param(field: &::core::option::Option<Self>, head: &str, rest: ::core::option::Option<&str>) -> ::core::option::Option<::std::string::String> {
                    match (head, field) {
                        #(#param)*
                        _ => ::core::option::Option::None,
                    }
                }
                fn write_query(&self, prefix: &str, skip: &[&str], q: &mut #p::QueryWriter) {
                    match self { #(#query)* }
                }
            }
        };
    }
}
