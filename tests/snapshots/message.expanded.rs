#[derive(
    ::core::clone::Clone,
    ::core::cmp::PartialEq,
    ::core::fmt::Debug,
    ::core::default::Default
)]
/// A user.
pub struct UserInfo {
    pub id: String,
    pub display_name: String,
    pub age: i64,
    pub nickname: Option<String>,
    pub tags: Vec<String>,
    pub labels: ::std::collections::HashMap<String, i32>,
    pub role: Role,
    pub address: Option<Address>,
}
#[doc(hidden)]
#[macro_export]
macro_rules! __bia_proto_type_user_v1_UserInfo_is_defined_twice__rename_one_of_them {
    () => {};
}
const _: () = {
    #[unsafe(export_name = "__bia_proto_type_defined_twice.user.v1.UserInfo")]
    static __BIA_PROTO_NAME: u8 = 0;
};
const _: () = {
    impl ::bia::__private::prost::Message for UserInfo {
        fn encode_raw(&self, buf: &mut impl ::bia::__private::bytes::BufMut) {
            ::bia::__private::singular::encode::<
                <String as ::bia::__private::ProtoType>::Codec,
                String,
            >(1u32, &self.id, buf);
            ::bia::__private::singular::encode::<
                <String as ::bia::__private::ProtoType>::Codec,
                String,
            >(2u32, &self.display_name, buf);
            ::bia::__private::singular::encode::<
                ::bia::__private::codec::SInt64,
                i64,
            >(5u32, &self.age, buf);
            ::bia::__private::optional::encode::<
                <String as ::bia::__private::ProtoType>::Codec,
                String,
            >(6u32, &self.nickname, buf);
            ::bia::__private::repeated::encode::<
                <String as ::bia::__private::ProtoType>::Codec,
                String,
            >(7u32, &self.tags, buf);
            ::bia::__private::map::encode::<
                <String as ::bia::__private::ProtoType>::Codec,
                String,
                <i32 as ::bia::__private::ProtoType>::Codec,
                i32,
                _,
            >(8u32, &self.labels, buf);
            ::bia::__private::singular::encode::<
                <Role as ::bia::__private::ProtoType>::Codec,
                Role,
            >(9u32, &self.role, buf);
            ::bia::__private::optional::encode::<
                <Address as ::bia::__private::ProtoType>::Codec,
                Address,
            >(10u32, &self.address, buf);
        }
        fn merge_field(
            &mut self,
            tag: u32,
            wire_type: ::bia::__private::prost::encoding::WireType,
            buf: &mut impl ::bia::__private::bytes::Buf,
            ctx: ::bia::__private::prost::encoding::DecodeContext,
        ) -> ::core::result::Result<(), ::bia::__private::prost::DecodeError> {
            match tag {
                1u32 => {
                    <<String as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                        String,
                    >>::merge(wire_type, &mut self.id, buf, ctx)
                        .map_err(|e| ::bia::__private::field_error(e, "UserInfo", "id"))
                }
                2u32 => {
                    <<String as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                        String,
                    >>::merge(wire_type, &mut self.display_name, buf, ctx)
                        .map_err(|e| ::bia::__private::field_error(
                            e,
                            "UserInfo",
                            "display_name",
                        ))
                }
                5u32 => {
                    <::bia::__private::codec::SInt64 as ::bia::__private::Codec<
                        i64,
                    >>::merge(wire_type, &mut self.age, buf, ctx)
                        .map_err(|e| ::bia::__private::field_error(e, "UserInfo", "age"))
                }
                6u32 => {
                    ::bia::__private::optional::merge::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(wire_type, &mut self.nickname, buf, ctx)
                        .map_err(|e| ::bia::__private::field_error(
                            e,
                            "UserInfo",
                            "nickname",
                        ))
                }
                7u32 => {
                    <<String as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                        String,
                    >>::merge_repeated(wire_type, &mut self.tags, buf, ctx)
                        .map_err(|e| ::bia::__private::field_error(
                            e,
                            "UserInfo",
                            "tags",
                        ))
                }
                8u32 => {
                    ::bia::__private::map::merge::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                        <i32 as ::bia::__private::ProtoType>::Codec,
                        i32,
                        _,
                    >(wire_type, &mut self.labels, buf, ctx)
                        .map_err(|e| ::bia::__private::field_error(
                            e,
                            "UserInfo",
                            "labels",
                        ))
                }
                9u32 => {
                    <<Role as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                        Role,
                    >>::merge(wire_type, &mut self.role, buf, ctx)
                        .map_err(|e| ::bia::__private::field_error(
                            e,
                            "UserInfo",
                            "role",
                        ))
                }
                10u32 => {
                    ::bia::__private::optional::merge::<
                        <Address as ::bia::__private::ProtoType>::Codec,
                        Address,
                    >(wire_type, &mut self.address, buf, ctx)
                        .map_err(|e| ::bia::__private::field_error(
                            e,
                            "UserInfo",
                            "address",
                        ))
                }
                _ => ::bia::__private::skip_field(wire_type, tag, buf, ctx),
            }
        }
        fn encoded_len(&self) -> usize {
            ::bia::__private::singular::encoded_len::<
                <String as ::bia::__private::ProtoType>::Codec,
                String,
            >(1u32, &self.id)
                + ::bia::__private::singular::encoded_len::<
                    <String as ::bia::__private::ProtoType>::Codec,
                    String,
                >(2u32, &self.display_name)
                + ::bia::__private::singular::encoded_len::<
                    ::bia::__private::codec::SInt64,
                    i64,
                >(5u32, &self.age)
                + ::bia::__private::optional::encoded_len::<
                    <String as ::bia::__private::ProtoType>::Codec,
                    String,
                >(6u32, &self.nickname)
                + ::bia::__private::repeated::encoded_len::<
                    <String as ::bia::__private::ProtoType>::Codec,
                    String,
                >(7u32, &self.tags)
                + ::bia::__private::map::encoded_len::<
                    <String as ::bia::__private::ProtoType>::Codec,
                    String,
                    <i32 as ::bia::__private::ProtoType>::Codec,
                    i32,
                    _,
                >(8u32, &self.labels)
                + ::bia::__private::singular::encoded_len::<
                    <Role as ::bia::__private::ProtoType>::Codec,
                    Role,
                >(9u32, &self.role)
                + ::bia::__private::optional::encoded_len::<
                    <Address as ::bia::__private::ProtoType>::Codec,
                    Address,
                >(10u32, &self.address)
        }
        fn clear(&mut self) {
            *self = <Self as ::core::default::Default>::default();
        }
    }
    impl ::bia::__private::serde::Serialize for UserInfo {
        fn serialize<__S: ::bia::__private::serde::Serializer>(
            &self,
            __serializer: __S,
        ) -> ::core::result::Result<__S::Ok, __S::Error> {
            use ::bia::__private::serde::ser::SerializeMap as _;
            let __snake = ::bia::__private::snake_case_output();
            let mut __map = __serializer.serialize_map(::core::option::Option::None)?;
            __map
                .serialize_entry(
                    if __snake { "id" } else { "id" },
                    &::bia::__private::SingularSer::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&self.id, ::core::marker::PhantomData),
                )?;
            __map
                .serialize_entry(
                    if __snake { "display_name" } else { "displayName" },
                    &::bia::__private::SingularSer::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&self.display_name, ::core::marker::PhantomData),
                )?;
            __map
                .serialize_entry(
                    if __snake { "age" } else { "age" },
                    &::bia::__private::SingularSer::<
                        ::bia::__private::codec::SInt64,
                        i64,
                    >(&self.age, ::core::marker::PhantomData),
                )?;
            if <<String as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                String,
            >>::IS_MESSAGE || ::core::option::Option::is_some(&self.nickname)
            {
                __map
                    .serialize_entry(
                        if __snake { "nickname" } else { "nickname" },
                        &::bia::__private::OptionalSer::<
                            <String as ::bia::__private::ProtoType>::Codec,
                            String,
                        >(&self.nickname, ::core::marker::PhantomData),
                    )?;
            }
            __map
                .serialize_entry(
                    if __snake { "tags" } else { "tags" },
                    &::bia::__private::RepeatedSer::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&self.tags, ::core::marker::PhantomData),
                )?;
            __map
                .serialize_entry(
                    if __snake { "labels" } else { "labels" },
                    &::bia::__private::MapSer::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                        <i32 as ::bia::__private::ProtoType>::Codec,
                        i32,
                        _,
                    >(&self.labels, ::core::marker::PhantomData),
                )?;
            __map
                .serialize_entry(
                    if __snake { "role" } else { "role" },
                    &::bia::__private::SingularSer::<
                        <Role as ::bia::__private::ProtoType>::Codec,
                        Role,
                    >(&self.role, ::core::marker::PhantomData),
                )?;
            if <<Address as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                Address,
            >>::IS_MESSAGE || ::core::option::Option::is_some(&self.address)
            {
                __map
                    .serialize_entry(
                        if __snake { "address" } else { "address" },
                        &::bia::__private::OptionalSer::<
                            <Address as ::bia::__private::ProtoType>::Codec,
                            Address,
                        >(&self.address, ::core::marker::PhantomData),
                    )?;
            }
            __map.end()
        }
    }
    impl<'de> ::bia::__private::serde::Deserialize<'de> for UserInfo {
        fn deserialize<__D: ::bia::__private::serde::Deserializer<'de>>(
            __deserializer: __D,
        ) -> ::core::result::Result<Self, __D::Error> {
            struct __Visitor;
            impl<'de> ::bia::__private::serde::de::Visitor<'de> for __Visitor {
                type Value = UserInfo;
                fn expecting(
                    &self,
                    __f: &mut ::core::fmt::Formatter<'_>,
                ) -> ::core::fmt::Result {
                    __f.write_str("a JSON object for message user.v1.UserInfo")
                }
                fn visit_map<__A: ::bia::__private::serde::de::MapAccess<'de>>(
                    self,
                    mut __access: __A,
                ) -> ::core::result::Result<UserInfo, __A::Error> {
                    let mut __msg = <UserInfo as ::core::default::Default>::default();
                    while let ::core::option::Option::Some(__key) = __access
                        .next_key::<::bia::__private::Key<'de>>()?
                    {
                        match __key.as_str() {
                            "id" => {
                                __msg.id = __access
                                    .next_value_seed(
                                        ::bia::__private::SingularSeed::<
                                            <String as ::bia::__private::ProtoType>::Codec,
                                            String,
                                        >::new(),
                                    )?;
                            }
                            "display_name" | "displayName" => {
                                __msg.display_name = __access
                                    .next_value_seed(
                                        ::bia::__private::SingularSeed::<
                                            <String as ::bia::__private::ProtoType>::Codec,
                                            String,
                                        >::new(),
                                    )?;
                            }
                            "age" => {
                                __msg.age = __access
                                    .next_value_seed(
                                        ::bia::__private::SingularSeed::<
                                            ::bia::__private::codec::SInt64,
                                            i64,
                                        >::new(),
                                    )?;
                            }
                            "nickname" => {
                                __msg.nickname = __access
                                    .next_value_seed(
                                        ::bia::__private::OptionalSeed::<
                                            <String as ::bia::__private::ProtoType>::Codec,
                                            String,
                                        >::new(),
                                    )?;
                            }
                            "tags" => {
                                __msg.tags = __access
                                    .next_value_seed(
                                        ::bia::__private::RepeatedSeed::<
                                            <String as ::bia::__private::ProtoType>::Codec,
                                            String,
                                        >::new(),
                                    )?;
                            }
                            "labels" => {
                                __msg.labels = __access
                                    .next_value_seed(
                                        ::bia::__private::MapSeed::<
                                            <String as ::bia::__private::ProtoType>::Codec,
                                            String,
                                            <i32 as ::bia::__private::ProtoType>::Codec,
                                            i32,
                                            _,
                                        >::new(),
                                    )?;
                            }
                            "role" => {
                                __msg.role = __access
                                    .next_value_seed(
                                        ::bia::__private::SingularSeed::<
                                            <Role as ::bia::__private::ProtoType>::Codec,
                                            Role,
                                        >::new(),
                                    )?;
                            }
                            "address" => {
                                __msg.address = __access
                                    .next_value_seed(
                                        ::bia::__private::OptionalSeed::<
                                            <Address as ::bia::__private::ProtoType>::Codec,
                                            Address,
                                        >::new(),
                                    )?;
                            }
                            _ => {
                                __access
                                    .next_value::<::bia::__private::serde::de::IgnoredAny>()?;
                            }
                        }
                    }
                    ::core::result::Result::Ok(__msg)
                }
            }
            __deserializer.deserialize_map(__Visitor)
        }
    }
    impl ::bia::Message for UserInfo {
        const PACKAGE: &'static str = "user.v1";
        const NAME: &'static str = "UserInfo";
        const FULL_NAME: &'static str = "user.v1.UserInfo";
        const FIELDS: &'static [::bia::__private::FieldMeta] = &[
            ::bia::__private::FieldMeta {
                name: "id",
                json_name: "id",
                nested: <<String as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                    String,
                >>::NESTED,
                path_value: <<String as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                    String,
                >>::PATH_VALUE,
            },
            ::bia::__private::FieldMeta {
                name: "display_name",
                json_name: "displayName",
                nested: <<String as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                    String,
                >>::NESTED,
                path_value: <<String as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                    String,
                >>::PATH_VALUE,
            },
            ::bia::__private::FieldMeta {
                name: "age",
                json_name: "age",
                nested: <::bia::__private::codec::SInt64 as ::bia::__private::Codec<
                    i64,
                >>::NESTED,
                path_value: <::bia::__private::codec::SInt64 as ::bia::__private::Codec<
                    i64,
                >>::PATH_VALUE,
            },
            ::bia::__private::FieldMeta {
                name: "nickname",
                json_name: "nickname",
                nested: <<String as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                    String,
                >>::NESTED,
                path_value: <<String as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                    String,
                >>::PATH_VALUE,
            },
            ::bia::__private::FieldMeta {
                name: "tags",
                json_name: "tags",
                nested: &[],
                path_value: false,
            },
            ::bia::__private::FieldMeta {
                name: "labels",
                json_name: "labels",
                nested: &[],
                path_value: false,
            },
            ::bia::__private::FieldMeta {
                name: "role",
                json_name: "role",
                nested: <<Role as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                    Role,
                >>::NESTED,
                path_value: <<Role as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                    Role,
                >>::PATH_VALUE,
            },
            ::bia::__private::FieldMeta {
                name: "address",
                json_name: "address",
                nested: <<Address as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                    Address,
                >>::NESTED,
                path_value: <<Address as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                    Address,
                >>::PATH_VALUE,
            },
        ];
        fn describe(b: &mut ::bia::__private::SchemaBuilder) {
            if !b.begin_message("user.v1.UserInfo") {
                return;
            }
            let mut fields = ::std::vec::Vec::new();
            ::std::vec::Vec::push(
                &mut fields,
                ::bia::__private::field_def::<
                    <String as ::bia::__private::ProtoType>::Codec,
                    String,
                >(b, "id", "id", 1u32, ::bia::__private::Label::Singular, ""),
            );
            ::std::vec::Vec::push(
                &mut fields,
                ::bia::__private::field_def::<
                    <String as ::bia::__private::ProtoType>::Codec,
                    String,
                >(
                    b,
                    "display_name",
                    "displayName",
                    2u32,
                    ::bia::__private::Label::Singular,
                    "",
                ),
            );
            ::std::vec::Vec::push(
                &mut fields,
                ::bia::__private::field_def::<
                    ::bia::__private::codec::SInt64,
                    i64,
                >(b, "age", "age", 5u32, ::bia::__private::Label::Singular, ""),
            );
            ::std::vec::Vec::push(
                &mut fields,
                ::bia::__private::field_def::<
                    <String as ::bia::__private::ProtoType>::Codec,
                    String,
                >(b, "nickname", "nickname", 6u32, ::bia::__private::Label::Optional, ""),
            );
            ::std::vec::Vec::push(
                &mut fields,
                ::bia::__private::field_def::<
                    <String as ::bia::__private::ProtoType>::Codec,
                    String,
                >(b, "tags", "tags", 7u32, ::bia::__private::Label::Repeated, ""),
            );
            ::std::vec::Vec::push(
                &mut fields,
                ::bia::__private::map_field_def::<
                    <String as ::bia::__private::ProtoType>::Codec,
                    String,
                    <i32 as ::bia::__private::ProtoType>::Codec,
                    i32,
                >(b, "labels", "labels", 8u32, ""),
            );
            ::std::vec::Vec::push(
                &mut fields,
                ::bia::__private::field_def::<
                    <Role as ::bia::__private::ProtoType>::Codec,
                    Role,
                >(b, "role", "role", 9u32, ::bia::__private::Label::Singular, ""),
            );
            ::std::vec::Vec::push(
                &mut fields,
                ::bia::__private::field_def::<
                    <Address as ::bia::__private::ProtoType>::Codec,
                    Address,
                >(b, "address", "address", 10u32, ::bia::__private::Label::Optional, ""),
            );
            b.add_message(
                "user.v1.UserInfo",
                ::bia::__private::MessageDef {
                    package: "user.v1",
                    name: "UserInfo",
                    fields,
                    reserved: ::std::vec![],
                    doc: " A user.",
                },
            );
        }
        fn bind_param(
            &mut self,
            key: &str,
            value: &str,
        ) -> ::core::result::Result<bool, ::std::string::String> {
            let (__head, __rest) = ::bia::__private::split_key(key);
            let _ = (&__rest, &value);
            match __head {
                "id" => {
                    ::bia::__private::singular::bind::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&mut self.id, __rest, value)
                }
                "display_name" | "displayName" => {
                    ::bia::__private::singular::bind::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&mut self.display_name, __rest, value)
                }
                "age" => {
                    ::bia::__private::singular::bind::<
                        ::bia::__private::codec::SInt64,
                        i64,
                    >(&mut self.age, __rest, value)
                }
                "nickname" => {
                    ::bia::__private::optional::bind::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&mut self.nickname, __rest, value)
                }
                "tags" => {
                    ::bia::__private::repeated::bind::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&mut self.tags, __rest, value)
                }
                "labels" => ::core::result::Result::Ok(false),
                "role" => {
                    ::bia::__private::singular::bind::<
                        <Role as ::bia::__private::ProtoType>::Codec,
                        Role,
                    >(&mut self.role, __rest, value)
                }
                "address" => {
                    ::bia::__private::optional::bind::<
                        <Address as ::bia::__private::ProtoType>::Codec,
                        Address,
                    >(&mut self.address, __rest, value)
                }
                _ => ::core::result::Result::Ok(false),
            }
        }
        fn param(&self, key: &str) -> ::core::option::Option<::std::string::String> {
            let (__head, __rest) = ::bia::__private::split_key(key);
            let _ = &__rest;
            match __head {
                "id" => {
                    ::bia::__private::singular::param::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&self.id, __rest)
                }
                "display_name" | "displayName" => {
                    ::bia::__private::singular::param::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&self.display_name, __rest)
                }
                "age" => {
                    ::bia::__private::singular::param::<
                        ::bia::__private::codec::SInt64,
                        i64,
                    >(&self.age, __rest)
                }
                "nickname" => {
                    ::bia::__private::optional::param::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&self.nickname, __rest)
                }
                "tags" => {
                    ::bia::__private::repeated::param::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&self.tags, __rest)
                }
                "labels" => ::core::option::Option::None,
                "role" => {
                    ::bia::__private::singular::param::<
                        <Role as ::bia::__private::ProtoType>::Codec,
                        Role,
                    >(&self.role, __rest)
                }
                "address" => {
                    ::bia::__private::optional::param::<
                        <Address as ::bia::__private::ProtoType>::Codec,
                        Address,
                    >(&self.address, __rest)
                }
                _ => ::core::option::Option::None,
            }
        }
        fn write_query(
            &self,
            prefix: &str,
            skip: &[&str],
            q: &mut ::bia::__private::QueryWriter,
        ) {
            let _ = (prefix, skip, &q);
            ::bia::__private::singular::query::<
                <String as ::bia::__private::ProtoType>::Codec,
                String,
            >(&self.id, prefix, "id", skip, q);
            ::bia::__private::singular::query::<
                <String as ::bia::__private::ProtoType>::Codec,
                String,
            >(&self.display_name, prefix, "display_name", skip, q);
            ::bia::__private::singular::query::<
                ::bia::__private::codec::SInt64,
                i64,
            >(&self.age, prefix, "age", skip, q);
            ::bia::__private::optional::query::<
                <String as ::bia::__private::ProtoType>::Codec,
                String,
            >(&self.nickname, prefix, "nickname", skip, q);
            ::bia::__private::repeated::query::<
                <String as ::bia::__private::ProtoType>::Codec,
                String,
            >(&self.tags, prefix, "tags", skip, q);
            ::bia::__private::singular::query::<
                <Role as ::bia::__private::ProtoType>::Codec,
                Role,
            >(&self.role, prefix, "role", skip, q);
            ::bia::__private::optional::query::<
                <Address as ::bia::__private::ProtoType>::Codec,
                Address,
            >(&self.address, prefix, "address", skip, q);
        }
        fn merge_json_field<'de, __D: ::bia::__private::serde::Deserializer<'de>>(
            &mut self,
            field: &str,
            d: __D,
        ) -> ::core::result::Result<(), __D::Error> {
            match field {
                "id" => {
                    self.id = ::bia::__private::serde::de::DeserializeSeed::deserialize(
                        ::bia::__private::SingularSeed::<
                            <String as ::bia::__private::ProtoType>::Codec,
                            String,
                        >::new(),
                        d,
                    )?;
                    ::core::result::Result::Ok(())
                }
                "display_name" | "displayName" => {
                    self.display_name = ::bia::__private::serde::de::DeserializeSeed::deserialize(
                        ::bia::__private::SingularSeed::<
                            <String as ::bia::__private::ProtoType>::Codec,
                            String,
                        >::new(),
                        d,
                    )?;
                    ::core::result::Result::Ok(())
                }
                "age" => {
                    self.age = ::bia::__private::serde::de::DeserializeSeed::deserialize(
                        ::bia::__private::SingularSeed::<
                            ::bia::__private::codec::SInt64,
                            i64,
                        >::new(),
                        d,
                    )?;
                    ::core::result::Result::Ok(())
                }
                "nickname" => {
                    self.nickname = ::bia::__private::serde::de::DeserializeSeed::deserialize(
                        ::bia::__private::OptionalSeed::<
                            <String as ::bia::__private::ProtoType>::Codec,
                            String,
                        >::new(),
                        d,
                    )?;
                    ::core::result::Result::Ok(())
                }
                "tags" => {
                    self.tags = ::bia::__private::serde::de::DeserializeSeed::deserialize(
                        ::bia::__private::RepeatedSeed::<
                            <String as ::bia::__private::ProtoType>::Codec,
                            String,
                        >::new(),
                        d,
                    )?;
                    ::core::result::Result::Ok(())
                }
                "labels" => {
                    self.labels = ::bia::__private::serde::de::DeserializeSeed::deserialize(
                        ::bia::__private::MapSeed::<
                            <String as ::bia::__private::ProtoType>::Codec,
                            String,
                            <i32 as ::bia::__private::ProtoType>::Codec,
                            i32,
                            _,
                        >::new(),
                        d,
                    )?;
                    ::core::result::Result::Ok(())
                }
                "role" => {
                    self.role = ::bia::__private::serde::de::DeserializeSeed::deserialize(
                        ::bia::__private::SingularSeed::<
                            <Role as ::bia::__private::ProtoType>::Codec,
                            Role,
                        >::new(),
                        d,
                    )?;
                    ::core::result::Result::Ok(())
                }
                "address" => {
                    self.address = ::bia::__private::serde::de::DeserializeSeed::deserialize(
                        ::bia::__private::OptionalSeed::<
                            <Address as ::bia::__private::ProtoType>::Codec,
                            Address,
                        >::new(),
                        d,
                    )?;
                    ::core::result::Result::Ok(())
                }
                _ => {
                    let _ = d;
                    ::core::result::Result::Err(
                        ::bia::__private::no_such_field_de("user.v1.UserInfo", field),
                    )
                }
            }
        }
        fn serialize_json_field<__S: ::bia::__private::serde::Serializer>(
            &self,
            field: &str,
            s: __S,
        ) -> ::core::result::Result<__S::Ok, __S::Error> {
            match field {
                "id" => {
                    ::bia::__private::serde::Serialize::serialize(
                        &::bia::__private::SingularSer::<
                            <String as ::bia::__private::ProtoType>::Codec,
                            String,
                        >(&self.id, ::core::marker::PhantomData),
                        s,
                    )
                }
                "display_name" | "displayName" => {
                    ::bia::__private::serde::Serialize::serialize(
                        &::bia::__private::SingularSer::<
                            <String as ::bia::__private::ProtoType>::Codec,
                            String,
                        >(&self.display_name, ::core::marker::PhantomData),
                        s,
                    )
                }
                "age" => {
                    ::bia::__private::serde::Serialize::serialize(
                        &::bia::__private::SingularSer::<
                            ::bia::__private::codec::SInt64,
                            i64,
                        >(&self.age, ::core::marker::PhantomData),
                        s,
                    )
                }
                "nickname" => {
                    ::bia::__private::serde::Serialize::serialize(
                        &::bia::__private::OptionalSer::<
                            <String as ::bia::__private::ProtoType>::Codec,
                            String,
                        >(&self.nickname, ::core::marker::PhantomData),
                        s,
                    )
                }
                "tags" => {
                    ::bia::__private::serde::Serialize::serialize(
                        &::bia::__private::RepeatedSer::<
                            <String as ::bia::__private::ProtoType>::Codec,
                            String,
                        >(&self.tags, ::core::marker::PhantomData),
                        s,
                    )
                }
                "labels" => {
                    ::bia::__private::serde::Serialize::serialize(
                        &::bia::__private::MapSer::<
                            <String as ::bia::__private::ProtoType>::Codec,
                            String,
                            <i32 as ::bia::__private::ProtoType>::Codec,
                            i32,
                            _,
                        >(&self.labels, ::core::marker::PhantomData),
                        s,
                    )
                }
                "role" => {
                    ::bia::__private::serde::Serialize::serialize(
                        &::bia::__private::SingularSer::<
                            <Role as ::bia::__private::ProtoType>::Codec,
                            Role,
                        >(&self.role, ::core::marker::PhantomData),
                        s,
                    )
                }
                "address" => {
                    ::bia::__private::serde::Serialize::serialize(
                        &::bia::__private::OptionalSer::<
                            <Address as ::bia::__private::ProtoType>::Codec,
                            Address,
                        >(&self.address, ::core::marker::PhantomData),
                        s,
                    )
                }
                _ => {
                    let _ = s;
                    ::core::result::Result::Err(
                        ::bia::__private::no_such_field("user.v1.UserInfo", field),
                    )
                }
            }
        }
    }
    impl ::bia::__private::ProtoType for UserInfo {
        type Codec = ::bia::__private::MessageCodec;
    }
    impl ::bia::__private::prost::Name for UserInfo {
        const NAME: &'static str = "UserInfo";
        const PACKAGE: &'static str = "user.v1";
        fn type_url() -> ::std::string::String {
            ::std::format!("type.googleapis.com/{}", "user.v1.UserInfo")
        }
    }
    ::bia::__private::inventory::submit! {
        ::bia::__private::codec::AnyType::message:: < UserInfo > ()
    }
};
