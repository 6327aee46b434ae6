//! Message model -> tokens: the struct (attributes stripped, derives added),
//! `prost::Message`, proto3 JSON `Serialize`/`Deserialize`, `bia::Message` and
//! `ProtoType`, all inside one `const _: () = { ... };`.

use proc_macro2::TokenStream;
use quote::quote;

use super::model::{Field, Kind, Message};
use crate::common::expand::{missing_derives, proto_name_guard, strip_inert};

struct Gen<'a> {
    m: &'a Message,
    p: TokenStream,
}

impl Gen<'_> {
    fn codec(&self, f: &Field) -> TokenStream {
        f.codec.clone()
    }

    fn prost_message(&self) -> TokenStream {
        let p = &self.p;
        let ident = &self.m.ident;
        let name = &self.m.name;
        let mut encode = Vec::new();
        let mut len = Vec::new();
        let mut merge = Vec::new();
        let mut oneof_merge = Vec::new();
        for f in &self.m.fields {
            let (fi, tag, c, e) = (&f.ident, f.tag, self.codec(f), &f.elem);
            let fname = &f.name;
            match &f.kind {
                Kind::Singular => {
                    encode.push(quote!(#p::singular::encode::<#c, #e>(#tag, &self.#fi, buf);));
                    len.push(quote!(#p::singular::encoded_len::<#c, #e>(#tag, &self.#fi)));
                    merge.push(quote!(#tag => <#c as #p::Codec<#e>>::merge(wire_type, &mut self.#fi, buf, ctx)));
                }
                Kind::Optional => {
                    encode.push(quote!(#p::optional::encode::<#c, #e>(#tag, &self.#fi, buf);));
                    len.push(quote!(#p::optional::encoded_len::<#c, #e>(#tag, &self.#fi)));
                    merge.push(quote!(#tag => #p::optional::merge::<#c, #e>(wire_type, &mut self.#fi, buf, ctx)));
                }
                Kind::Repeated => {
                    encode.push(quote!(#p::repeated::encode::<#c, #e>(#tag, &self.#fi, buf);));
                    len.push(quote!(#p::repeated::encoded_len::<#c, #e>(#tag, &self.#fi)));
                    merge.push(
                        quote!(#tag => <#c as #p::Codec<#e>>::merge_repeated(wire_type, &mut self.#fi, buf, ctx)),
                    );
                }
                Kind::Map { key, key_codec } => {
                    encode.push(quote!(#p::map::encode::<#key_codec, #key, #c, #e, _>(#tag, &self.#fi, buf);));
                    len.push(quote!(#p::map::encoded_len::<#key_codec, #key, #c, #e, _>(#tag, &self.#fi)));
                    merge.push(quote!(#tag => #p::map::merge::<#key_codec, #key, #c, #e, _>(wire_type, &mut self.#fi, buf, ctx)));
                }
                Kind::Oneof => {
                    encode.push(quote! {
                        if let ::core::option::Option::Some(v) = &self.#fi {
                            <#e as #p::Oneof>::encode(v, buf);
                        }
                    });
                    len.push(
                        quote!(::core::option::Option::map_or(self.#fi.as_ref(), 0, <#e as #p::Oneof>::encoded_len)),
                    );
                    oneof_merge.push(quote! {
                        __tag if <#e as #p::Oneof>::TAGS.contains(&__tag) => <#e as #p::Oneof>::merge(&mut self.#fi, __tag, wire_type, buf, ctx)
                            .map_err(|e| #p::field_error(e, #name, #fname)),
                    });
                    continue;
                }
            }
            let last = merge.pop().expect("just pushed");
            merge.push(quote!(#last.map_err(|e| #p::field_error(e, #name, #fname)),));
        }
        let len = if len.is_empty() { quote!(0) } else { quote!(#(#len)+*) };
        quote! {
            impl #p::prost::Message for #ident {
                fn encode_raw(&self, buf: &mut impl #p::bytes::BufMut) {
                    #(#encode)*
                }
                fn merge_field(
                    &mut self,
                    tag: u32,
                    wire_type: #p::prost::encoding::WireType,
                    buf: &mut impl #p::bytes::Buf,
                    ctx: #p::prost::encoding::DecodeContext,
                ) -> ::core::result::Result<(), #p::prost::DecodeError> {
                    match tag {
                        #(#merge)*
                        #(#oneof_merge)*
                        _ => #p::skip_field(wire_type, tag, buf, ctx),
                    }
                }
                fn encoded_len(&self) -> usize {
                    #len
                }
                fn clear(&mut self) {
                    *self = <Self as ::core::default::Default>::default();
                }
            }
        }
    }

    /// The serializer adapter of one field.
    fn ser_value(&self, f: &Field, place: TokenStream) -> TokenStream {
        let p = &self.p;
        let (c, e) = (self.codec(f), &f.elem);
        match &f.kind {
            Kind::Singular => quote!(#p::SingularSer::<#c, #e>(#place, ::core::marker::PhantomData)),
            Kind::Optional => quote!(#p::OptionalSer::<#c, #e>(#place, ::core::marker::PhantomData)),
            Kind::Repeated => quote!(#p::RepeatedSer::<#c, #e>(#place, ::core::marker::PhantomData)),
            Kind::Map { key, key_codec } => {
                quote!(#p::MapSer::<#key_codec, #key, #c, #e, _>(#place, ::core::marker::PhantomData))
            }
            Kind::Oneof => unreachable!("oneof fields are serialized as entries"),
        }
    }

    /// The deserializer seed of one field.
    fn de_seed(&self, f: &Field) -> TokenStream {
        let p = &self.p;
        let (c, e) = (self.codec(f), &f.elem);
        match &f.kind {
            Kind::Singular => quote!(#p::SingularSeed::<#c, #e>::new()),
            Kind::Optional => quote!(#p::OptionalSeed::<#c, #e>::new()),
            Kind::Repeated => quote!(#p::RepeatedSeed::<#c, #e>::new()),
            Kind::Map { key, key_codec } => quote!(#p::MapSeed::<#key_codec, #key, #c, #e, _>::new()),
            Kind::Oneof => unreachable!("oneof fields are read by member"),
        }
    }

    /// The names a field answers to in JSON input and in paths/queries.
    fn names(f: &Field) -> TokenStream {
        let (a, b) = (&f.name, &f.json_name);
        if a == b {
            quote!(#a)
        } else {
            quote!(#a | #b)
        }
    }

    fn serde(&self) -> TokenStream {
        let p = &self.p;
        let ident = &self.m.ident;
        let full = &self.m.full_name;
        let entries = self.m.fields.iter().map(|f| {
            let fi = &f.ident;
            let (snake, camel) = (&f.name, &f.json_name);
            if let Kind::Oneof = f.kind {
                let e = &f.elem;
                return quote! {
                    if let ::core::option::Option::Some(v) = &self.#fi {
                        <#e as #p::Oneof>::serialize_entry(v, &mut __map, __snake)?;
                    }
                };
            }
            let value = self.ser_value(f, quote!(&self.#fi));
            let key = quote!(if __snake { #snake } else { #camel });
            match f.kind {
                Kind::Optional => {
                    let (c, e) = (self.codec(f), &f.elem);
                    quote! {
                        if <#c as #p::Codec<#e>>::IS_MESSAGE || ::core::option::Option::is_some(&self.#fi) {
                            __map.serialize_entry(#key, &#value)?;
                        }
                    }
                }
                _ => quote!(__map.serialize_entry(#key, &#value)?;),
            }
        });
        let oneof_arms = self.m.fields.iter().filter(|f| matches!(f.kind, Kind::Oneof)).map(|f| {
            let (fi, e) = (&f.ident, &f.elem);
            quote! {
                __other if <#e as #p::Oneof>::is_key(__other) => {
                    __msg.#fi = ::core::option::Option::Some(<#e as #p::Oneof>::deserialize_member(__other, &mut __access)?);
                }
            }
        });
        let arms = self.m.fields.iter().filter(|f| !matches!(f.kind, Kind::Oneof)).map(|f| {
            let fi = &f.ident;
            let names = Self::names(f);
            let seed = self.de_seed(f);
            quote!(#names => { __msg.#fi = __access.next_value_seed(#seed)?; })
        });
        let expecting = format!("a JSON object for message {full}");
        quote! {
            impl #p::serde::Serialize for #ident {
                fn serialize<__S: #p::serde::Serializer>(&self, __serializer: __S) -> ::core::result::Result<__S::Ok, __S::Error> {
                    use #p::serde::ser::SerializeMap as _;
                    let __snake = #p::snake_case_output();
                    let mut __map = __serializer.serialize_map(::core::option::Option::None)?;
                    #(#entries)*
                    __map.end()
                }
            }

            impl<'de> #p::serde::Deserialize<'de> for #ident {
                fn deserialize<__D: #p::serde::Deserializer<'de>>(__deserializer: __D) -> ::core::result::Result<Self, __D::Error> {
                    struct __Visitor;
                    impl<'de> #p::serde::de::Visitor<'de> for __Visitor {
                        type Value = #ident;
                        fn expecting(&self, __f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                            __f.write_str(#expecting)
                        }
                        fn visit_map<__A: #p::serde::de::MapAccess<'de>>(self, mut __access: __A) -> ::core::result::Result<#ident, __A::Error> {
                            let mut __msg = <#ident as ::core::default::Default>::default();
                            while let ::core::option::Option::Some(__key) = __access.next_key::<#p::Key<'de>>()? {
                                match __key.as_str() {
                                    #(#arms)*
                                    #(#oneof_arms)*
                                    _ => { __access.next_value::<#p::serde::de::IgnoredAny>()?; }
                                }
                            }
                            ::core::result::Result::Ok(__msg)
                        }
                    }
                    __deserializer.deserialize_map(__Visitor)
                }
            }
        }
    }

    fn bia_message(&self) -> TokenStream {
        let p = &self.p;
        let k = &self.m.krate;
        let ident = &self.m.ident;
        let (package, name, full, doc) = (&self.m.package, &self.m.name, &self.m.full_name, &self.m.doc);
        let reserved = &self.m.reserved;
        let mut metas = Vec::new();
        let mut defs = Vec::new();
        let mut bind = Vec::new();
        let mut param = Vec::new();
        let mut query = Vec::new();
        let mut json_in = Vec::new();
        let mut json_out = Vec::new();
        let mut oneof_bind = Vec::new();
        let mut oneof_param = Vec::new();
        let mut tag_checks = Vec::new();
        let plain_tags: Vec<u32> =
            self.m.fields.iter().filter(|f| !matches!(f.kind, Kind::Oneof)).map(|f| f.tag).collect();
        let mut oneofs_seen: Vec<&syn::Type> = Vec::new();
        for f in &self.m.fields {
            let (fi, c, e, tag) = (&f.ident, self.codec(f), &f.elem, f.tag);
            if let Kind::Oneof = f.kind {
                let fname = &f.name;
                let fdoc = &f.doc;
                defs.push(quote!(::core::iter::Extend::extend(&mut fields, <#e as #p::Oneof>::describe(b, #fname));));
                let _ = fdoc;
                if f.rules.iter().any(|r| matches!(r.kind, super::rules::RuleKind::Required)) {
                    defs.push(quote!(#p::require_oneof(&mut fields, #fname);));
                }
                oneof_bind.push(quote! {
                    if let ::core::option::Option::Some(r) = <#e as #p::Oneof>::bind_param(&mut self.#fi, __head, __rest, value) {
                        return r;
                    }
                });
                oneof_param.push(quote! {
                    if let ::core::option::Option::Some(v) = <#e as #p::Oneof>::param(&self.#fi, __head, __rest) {
                        return ::core::option::Option::Some(v);
                    }
                });
                query.push(quote! {
                    if let ::core::option::Option::Some(v) = &self.#fi {
                        <#e as #p::Oneof>::write_query(v, prefix, skip, q);
                    }
                });
                let msg = format!(
                    "a member of oneof `{fname}` reuses a tag of another field of {}; change its #[field(tag = N)]",
                    self.m.full_name
                );
                tag_checks.push(quote! {
                    const _: () = ::core::assert!(!#p::tags_overlap(&[#(#plain_tags),*], <#e as #p::Oneof>::TAGS), #msg);
                });
                for other in &oneofs_seen {
                    tag_checks.push(quote! {
                        const _: () = ::core::assert!(!#p::tags_overlap(<#other as #p::Oneof>::TAGS, <#e as #p::Oneof>::TAGS), #msg);
                    });
                }
                oneofs_seen.push(e);
                continue;
            }
            let (fname, jname, fdoc) = (&f.name, &f.json_name, &f.doc);
            let names = Self::names(f);
            let module = match f.kind {
                Kind::Singular => Some(quote!(singular)),
                Kind::Optional => Some(quote!(optional)),
                Kind::Repeated => Some(quote!(repeated)),
                Kind::Map { .. } | Kind::Oneof => None,
            };
            let (nested, path_value) = match f.kind {
                Kind::Singular | Kind::Optional => {
                    (quote!(<#c as #p::Codec<#e>>::NESTED), quote!(<#c as #p::Codec<#e>>::PATH_VALUE))
                }
                _ => (quote!(&[]), quote!(false)),
            };
            metas.push(
                quote!(#p::FieldMeta { name: #fname, json_name: #jname, nested: #nested, path_value: #path_value }),
            );
            match (&f.kind, &module) {
                (Kind::Map { key, key_codec }, _) => {
                    let def = quote!(#p::map_field_def::<#key_codec, #key, #c, #e>(b, #fname, #jname, #tag, #fdoc));
                    let def = super::expand_validate::with_rules(f, p, def);
                    defs.push(quote!(::std::vec::Vec::push(&mut fields, #def);));
                    bind.push(quote!(#names => ::core::result::Result::Ok(false),));
                    param.push(quote!(#names => ::core::option::Option::None,));
                }
                (kind, Some(module)) => {
                    let label = match kind {
                        Kind::Singular => quote!(Singular),
                        Kind::Optional => quote!(Optional),
                        _ => quote!(Repeated),
                    };
                    let def = quote!(#p::field_def::<#c, #e>(b, #fname, #jname, #tag, #p::Label::#label, #fdoc));
                    let def = super::expand_validate::with_rules(f, p, def);
                    defs.push(quote!(::std::vec::Vec::push(&mut fields, #def);));
                    bind.push(quote!(#names => #p::#module::bind::<#c, #e>(&mut self.#fi, __rest, value),));
                    param.push(quote!(#names => #p::#module::param::<#c, #e>(&self.#fi, __rest),));
                    query.push(quote!(#p::#module::query::<#c, #e>(&self.#fi, prefix, #fname, skip, q);));
                }
                _ => unreachable!(),
            }
            let seed = self.de_seed(f);
            json_in.push(quote!(#names => { self.#fi = #p::serde::de::DeserializeSeed::deserialize(#seed, d)?; ::core::result::Result::Ok(()) }));
            let value = self.ser_value(f, quote!(&self.#fi));
            json_out.push(quote!(#names => #p::serde::Serialize::serialize(&#value, s),));
        }
        let validate = super::expand_validate::methods(self.m, p);
        quote! {
            impl #k::Message for #ident {
                const PACKAGE: &'static str = #package;
                const NAME: &'static str = #name;
                const FULL_NAME: &'static str = #full;
                const FIELDS: &'static [#p::FieldMeta] = &[#(#metas),*];

                fn describe(b: &mut #p::SchemaBuilder) {
                    if !b.begin_message(#full) {
                        return;
                    }
                    let mut fields = ::std::vec::Vec::new();
                    #(#defs)*
                    b.add_message(#full, #p::MessageDef {
                        package: #package,
                        name: #name,
                        fields,
                        reserved: ::std::vec![#(#reserved),*],
                        doc: #doc,
                    });
                }

                fn bind_param(&mut self, key: &str, value: &str) -> ::core::result::Result<bool, ::std::string::String> {
                    let (__head, __rest) = #p::split_key(key);
                    let _ = (&__rest, &value);
                    match __head {
                        #(#bind)*
                        _ => {
                            #(#oneof_bind)*
                            ::core::result::Result::Ok(false)
                        }
                    }
                }

                fn param(&self, key: &str) -> ::core::option::Option<::std::string::String> {
                    let (__head, __rest) = #p::split_key(key);
                    let _ = &__rest;
                    match __head {
                        #(#param)*
                        _ => {
                            #(#oneof_param)*
                            ::core::option::Option::None
                        }
                    }
                }

                fn write_query(&self, prefix: &str, skip: &[&str], q: &mut #p::QueryWriter) {
                    let _ = (prefix, skip, &q);
                    #(#query)*
                }

                fn merge_json_field<'de, __D: #p::serde::Deserializer<'de>>(&mut self, field: &str, d: __D) -> ::core::result::Result<(), __D::Error> {
                    match field {
                        #(#json_in)*
                        _ => { let _ = d; ::core::result::Result::Err(#p::no_such_field_de(#full, field)) }
                    }
                }

                fn serialize_json_field<__S: #p::serde::Serializer>(&self, field: &str, s: __S) -> ::core::result::Result<__S::Ok, __S::Error> {
                    match field {
                        #(#json_out)*
                        _ => { let _ = s; ::core::result::Result::Err(#p::no_such_field(#full, field)) }
                    }
                }

                #validate
            }

            impl #p::ProtoType for #ident {
                type Codec = #p::MessageCodec;
            }

            impl #p::prost::Name for #ident {
                const NAME: &'static str = #name;
                const PACKAGE: &'static str = #package;
                fn type_url() -> ::std::string::String {
                    ::std::format!("type.googleapis.com/{}", #full)
                }
            }

            #p::inventory::submit! { #p::codec::AnyType::message::<#ident>() }

            #(#tag_checks)*
        }
    }
}

pub fn expand(m: &Message, item: &syn::ItemStruct) -> TokenStream {
    let k = &m.krate;
    let gen = Gen { m, p: quote!(#k::__private) };
    let derives = missing_derives(&item.attrs, &["Clone", "PartialEq", "Debug", "Default"]);
    let stripped = strip_inert(item.clone(), super::MACRO.inert);
    let prost = gen.prost_message();
    let serde = gen.serde();
    let bia = gen.bia_message();
    let guard = proto_name_guard(&m.package, &m.name, m.ident.span());
    quote! {
        #derives
        #stripped

        #guard

        const _: () = {
            #prost
            #serde
            #bia
        };
    }
}
