//! Oneof model -> the enum (with the derives it needs) and its
//! `bia::__private::Oneof` impl: wire encoding, schema, JSON and HTTP binding
//! of whichever member is set.

use proc_macro2::TokenStream;
use quote::quote;

use super::model::Oneof;
use crate::common::expand::{missing_derives, strip_inert};

pub fn expand(o: &Oneof, item: &syn::ItemEnum) -> TokenStream {
    let krate = &o.krate;
    let members = &o.members;
    let p = quote!(#krate::__private);
    let ident = &item.ident;
    let derives = missing_derives(&item.attrs, &["Clone", "PartialEq", "Debug"]);
    let stripped = strip_inert(item.clone(), super::MACRO.inert);
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
