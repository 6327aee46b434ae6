#[derive(
    ::core::clone::Clone,
    ::core::cmp::PartialEq,
    ::core::fmt::Debug,
    ::core::default::Default
)]
pub struct CreateUserRequest {
    pub user: Option<UserInfo>,
    pub name: String,
    pub age: u32,
    pub ratio: f64,
    pub email: String,
    pub tags: Vec<String>,
    pub places: ::std::collections::BTreeMap<String, Address>,
}
#[doc(hidden)]
#[macro_export]
macro_rules! __bia_proto_type_user_v1_CreateUserRequest_is_defined_twice__rename_one_of_them {
    () => {};
}
const _: () = {
    #[unsafe(export_name = "__bia_proto_type_defined_twice.user.v1.CreateUserRequest")]
    static __BIA_PROTO_NAME: u8 = 0;
};
const _: () = {
    impl ::bia::__private::prost::Message for CreateUserRequest {
        fn encode_raw(&self, buf: &mut impl ::bia::__private::bytes::BufMut) {
            ::bia::__private::optional::encode::<
                <UserInfo as ::bia::__private::ProtoType>::Codec,
                UserInfo,
            >(1u32, &self.user, buf);
            ::bia::__private::singular::encode::<
                <String as ::bia::__private::ProtoType>::Codec,
                String,
            >(2u32, &self.name, buf);
            ::bia::__private::singular::encode::<
                <u32 as ::bia::__private::ProtoType>::Codec,
                u32,
            >(3u32, &self.age, buf);
            ::bia::__private::singular::encode::<
                <f64 as ::bia::__private::ProtoType>::Codec,
                f64,
            >(4u32, &self.ratio, buf);
            ::bia::__private::singular::encode::<
                <String as ::bia::__private::ProtoType>::Codec,
                String,
            >(5u32, &self.email, buf);
            ::bia::__private::repeated::encode::<
                <String as ::bia::__private::ProtoType>::Codec,
                String,
            >(6u32, &self.tags, buf);
            ::bia::__private::map::encode::<
                <String as ::bia::__private::ProtoType>::Codec,
                String,
                <Address as ::bia::__private::ProtoType>::Codec,
                Address,
                _,
            >(7u32, &self.places, buf);
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
                    ::bia::__private::optional::merge::<
                        <UserInfo as ::bia::__private::ProtoType>::Codec,
                        UserInfo,
                    >(wire_type, &mut self.user, buf, ctx)
                        .map_err(|e| ::bia::__private::field_error(
                            e,
                            "CreateUserRequest",
                            "user",
                        ))
                }
                2u32 => {
                    <<String as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                        String,
                    >>::merge(wire_type, &mut self.name, buf, ctx)
                        .map_err(|e| ::bia::__private::field_error(
                            e,
                            "CreateUserRequest",
                            "name",
                        ))
                }
                3u32 => {
                    <<u32 as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                        u32,
                    >>::merge(wire_type, &mut self.age, buf, ctx)
                        .map_err(|e| ::bia::__private::field_error(
                            e,
                            "CreateUserRequest",
                            "age",
                        ))
                }
                4u32 => {
                    <<f64 as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                        f64,
                    >>::merge(wire_type, &mut self.ratio, buf, ctx)
                        .map_err(|e| ::bia::__private::field_error(
                            e,
                            "CreateUserRequest",
                            "ratio",
                        ))
                }
                5u32 => {
                    <<String as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                        String,
                    >>::merge(wire_type, &mut self.email, buf, ctx)
                        .map_err(|e| ::bia::__private::field_error(
                            e,
                            "CreateUserRequest",
                            "email",
                        ))
                }
                6u32 => {
                    <<String as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                        String,
                    >>::merge_repeated(wire_type, &mut self.tags, buf, ctx)
                        .map_err(|e| ::bia::__private::field_error(
                            e,
                            "CreateUserRequest",
                            "tags",
                        ))
                }
                7u32 => {
                    ::bia::__private::map::merge::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                        <Address as ::bia::__private::ProtoType>::Codec,
                        Address,
                        _,
                    >(wire_type, &mut self.places, buf, ctx)
                        .map_err(|e| ::bia::__private::field_error(
                            e,
                            "CreateUserRequest",
                            "places",
                        ))
                }
                _ => ::bia::__private::skip_field(wire_type, tag, buf, ctx),
            }
        }
        fn encoded_len(&self) -> usize {
            ::bia::__private::optional::encoded_len::<
                <UserInfo as ::bia::__private::ProtoType>::Codec,
                UserInfo,
            >(1u32, &self.user)
                + ::bia::__private::singular::encoded_len::<
                    <String as ::bia::__private::ProtoType>::Codec,
                    String,
                >(2u32, &self.name)
                + ::bia::__private::singular::encoded_len::<
                    <u32 as ::bia::__private::ProtoType>::Codec,
                    u32,
                >(3u32, &self.age)
                + ::bia::__private::singular::encoded_len::<
                    <f64 as ::bia::__private::ProtoType>::Codec,
                    f64,
                >(4u32, &self.ratio)
                + ::bia::__private::singular::encoded_len::<
                    <String as ::bia::__private::ProtoType>::Codec,
                    String,
                >(5u32, &self.email)
                + ::bia::__private::repeated::encoded_len::<
                    <String as ::bia::__private::ProtoType>::Codec,
                    String,
                >(6u32, &self.tags)
                + ::bia::__private::map::encoded_len::<
                    <String as ::bia::__private::ProtoType>::Codec,
                    String,
                    <Address as ::bia::__private::ProtoType>::Codec,
                    Address,
                    _,
                >(7u32, &self.places)
        }
        fn clear(&mut self) {
            *self = <Self as ::core::default::Default>::default();
        }
    }
    impl ::bia::__private::serde::Serialize for CreateUserRequest {
        fn serialize<__S: ::bia::__private::serde::Serializer>(
            &self,
            __serializer: __S,
        ) -> ::core::result::Result<__S::Ok, __S::Error> {
            use ::bia::__private::serde::ser::SerializeMap as _;
            let __snake = ::bia::__private::snake_case_output();
            let mut __map = __serializer.serialize_map(::core::option::Option::None)?;
            if <<UserInfo as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                UserInfo,
            >>::IS_MESSAGE || ::core::option::Option::is_some(&self.user)
            {
                __map
                    .serialize_entry(
                        if __snake { "user" } else { "user" },
                        &::bia::__private::OptionalSer::<
                            <UserInfo as ::bia::__private::ProtoType>::Codec,
                            UserInfo,
                        >(&self.user, ::core::marker::PhantomData),
                    )?;
            }
            __map
                .serialize_entry(
                    if __snake { "name" } else { "name" },
                    &::bia::__private::SingularSer::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&self.name, ::core::marker::PhantomData),
                )?;
            __map
                .serialize_entry(
                    if __snake { "age" } else { "age" },
                    &::bia::__private::SingularSer::<
                        <u32 as ::bia::__private::ProtoType>::Codec,
                        u32,
                    >(&self.age, ::core::marker::PhantomData),
                )?;
            __map
                .serialize_entry(
                    if __snake { "ratio" } else { "ratio" },
                    &::bia::__private::SingularSer::<
                        <f64 as ::bia::__private::ProtoType>::Codec,
                        f64,
                    >(&self.ratio, ::core::marker::PhantomData),
                )?;
            __map
                .serialize_entry(
                    if __snake { "email" } else { "email" },
                    &::bia::__private::SingularSer::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&self.email, ::core::marker::PhantomData),
                )?;
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
                    if __snake { "places" } else { "places" },
                    &::bia::__private::MapSer::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                        <Address as ::bia::__private::ProtoType>::Codec,
                        Address,
                        _,
                    >(&self.places, ::core::marker::PhantomData),
                )?;
            __map.end()
        }
    }
    impl<'de> ::bia::__private::serde::Deserialize<'de> for CreateUserRequest {
        fn deserialize<__D: ::bia::__private::serde::Deserializer<'de>>(
            __deserializer: __D,
        ) -> ::core::result::Result<Self, __D::Error> {
            struct __Visitor;
            impl<'de> ::bia::__private::serde::de::Visitor<'de> for __Visitor {
                type Value = CreateUserRequest;
                fn expecting(
                    &self,
                    __f: &mut ::core::fmt::Formatter<'_>,
                ) -> ::core::fmt::Result {
                    __f.write_str("a JSON object for message user.v1.CreateUserRequest")
                }
                fn visit_map<__A: ::bia::__private::serde::de::MapAccess<'de>>(
                    self,
                    mut __access: __A,
                ) -> ::core::result::Result<CreateUserRequest, __A::Error> {
                    let mut __msg = <CreateUserRequest as ::core::default::Default>::default();
                    while let ::core::option::Option::Some(__key) = __access
                        .next_key::<::bia::__private::Key<'de>>()?
                    {
                        match __key.as_str() {
                            "user" => {
                                __msg.user = __access
                                    .next_value_seed(
                                        ::bia::__private::OptionalSeed::<
                                            <UserInfo as ::bia::__private::ProtoType>::Codec,
                                            UserInfo,
                                        >::new(),
                                    )?;
                            }
                            "name" => {
                                __msg.name = __access
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
                                            <u32 as ::bia::__private::ProtoType>::Codec,
                                            u32,
                                        >::new(),
                                    )?;
                            }
                            "ratio" => {
                                __msg.ratio = __access
                                    .next_value_seed(
                                        ::bia::__private::SingularSeed::<
                                            <f64 as ::bia::__private::ProtoType>::Codec,
                                            f64,
                                        >::new(),
                                    )?;
                            }
                            "email" => {
                                __msg.email = __access
                                    .next_value_seed(
                                        ::bia::__private::SingularSeed::<
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
                            "places" => {
                                __msg.places = __access
                                    .next_value_seed(
                                        ::bia::__private::MapSeed::<
                                            <String as ::bia::__private::ProtoType>::Codec,
                                            String,
                                            <Address as ::bia::__private::ProtoType>::Codec,
                                            Address,
                                            _,
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
    impl ::bia::Message for CreateUserRequest {
        const PACKAGE: &'static str = "user.v1";
        const NAME: &'static str = "CreateUserRequest";
        const FULL_NAME: &'static str = "user.v1.CreateUserRequest";
        const FIELDS: &'static [::bia::__private::FieldMeta] = &[
            ::bia::__private::FieldMeta {
                name: "user",
                json_name: "user",
                nested: <<UserInfo as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                    UserInfo,
                >>::NESTED,
                path_value: <<UserInfo as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                    UserInfo,
                >>::PATH_VALUE,
            },
            ::bia::__private::FieldMeta {
                name: "name",
                json_name: "name",
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
                nested: <<u32 as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                    u32,
                >>::NESTED,
                path_value: <<u32 as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                    u32,
                >>::PATH_VALUE,
            },
            ::bia::__private::FieldMeta {
                name: "ratio",
                json_name: "ratio",
                nested: <<f64 as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                    f64,
                >>::NESTED,
                path_value: <<f64 as ::bia::__private::ProtoType>::Codec as ::bia::__private::Codec<
                    f64,
                >>::PATH_VALUE,
            },
            ::bia::__private::FieldMeta {
                name: "email",
                json_name: "email",
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
                name: "places",
                json_name: "places",
                nested: &[],
                path_value: false,
            },
        ];
        fn describe(b: &mut ::bia::__private::SchemaBuilder) {
            if !b.begin_message("user.v1.CreateUserRequest") {
                return;
            }
            let mut fields = ::std::vec::Vec::new();
            ::std::vec::Vec::push(
                &mut fields,
                ::bia::__private::with_rules(
                    ::bia::__private::field_def::<
                        <UserInfo as ::bia::__private::ProtoType>::Codec,
                        UserInfo,
                    >(b, "user", "user", 1u32, ::bia::__private::Label::Optional, ""),
                    ::std::vec![::bia::__private::Rule::Required],
                ),
            );
            ::std::vec::Vec::push(
                &mut fields,
                ::bia::__private::with_rules(
                    ::bia::__private::field_def::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(b, "name", "name", 2u32, ::bia::__private::Label::Singular, ""),
                    ::std::vec![
                        ::bia::__private::Rule::Length { min :
                        ::core::option::Option::Some(1usize), max :
                        ::core::option::Option::Some(64usize) },
                        ::bia::__private::Rule::Pattern("^[a-z]+$")
                    ],
                ),
            );
            ::std::vec::Vec::push(
                &mut fields,
                ::bia::__private::with_rules(
                    ::bia::__private::field_def::<
                        <u32 as ::bia::__private::ProtoType>::Codec,
                        u32,
                    >(b, "age", "age", 3u32, ::bia::__private::Label::Singular, ""),
                    ::std::vec![
                        ::bia::__private::Rule::Range { min :
                        ::core::option::Option::Some((0f64, true)), max :
                        ::core::option::Option::Some((150f64, true)) }
                    ],
                ),
            );
            ::std::vec::Vec::push(
                &mut fields,
                ::bia::__private::with_rules(
                    ::bia::__private::field_def::<
                        <f64 as ::bia::__private::ProtoType>::Codec,
                        f64,
                    >(b, "ratio", "ratio", 4u32, ::bia::__private::Label::Singular, ""),
                    ::std::vec![
                        ::bia::__private::Rule::Range { min :
                        ::core::option::Option::Some((0f64, false)), max :
                        ::core::option::Option::Some((1f64, false)) }
                    ],
                ),
            );
            ::std::vec::Vec::push(
                &mut fields,
                ::bia::__private::with_rules(
                    ::bia::__private::field_def::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(b, "email", "email", 5u32, ::bia::__private::Label::Singular, ""),
                    ::std::vec![::bia::__private::Rule::Email],
                ),
            );
            ::std::vec::Vec::push(
                &mut fields,
                ::bia::__private::with_rules(
                    ::bia::__private::field_def::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(b, "tags", "tags", 6u32, ::bia::__private::Label::Repeated, ""),
                    ::std::vec![
                        ::bia::__private::Rule::Length { min :
                        ::core::option::Option::None, max :
                        ::core::option::Option::Some(3usize) },
                        ::bia::__private::Rule::Each(::std::vec![::bia::__private::Rule::Length
                        { min : ::core::option::Option::Some(1usize), max :
                        ::core::option::Option::None }])
                    ],
                ),
            );
            ::std::vec::Vec::push(
                &mut fields,
                ::bia::__private::with_rules(
                    ::bia::__private::map_field_def::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                        <Address as ::bia::__private::ProtoType>::Codec,
                        Address,
                    >(b, "places", "places", 7u32, ""),
                    ::std::vec![::bia::__private::Rule::Each(::std::vec![])],
                ),
            );
            b.add_message(
                "user.v1.CreateUserRequest",
                ::bia::__private::MessageDef {
                    package: "user.v1",
                    name: "CreateUserRequest",
                    fields,
                    reserved: ::std::vec![],
                    doc: "",
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
                "user" => {
                    ::bia::__private::optional::bind::<
                        <UserInfo as ::bia::__private::ProtoType>::Codec,
                        UserInfo,
                    >(&mut self.user, __rest, value)
                }
                "name" => {
                    ::bia::__private::singular::bind::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&mut self.name, __rest, value)
                }
                "age" => {
                    ::bia::__private::singular::bind::<
                        <u32 as ::bia::__private::ProtoType>::Codec,
                        u32,
                    >(&mut self.age, __rest, value)
                }
                "ratio" => {
                    ::bia::__private::singular::bind::<
                        <f64 as ::bia::__private::ProtoType>::Codec,
                        f64,
                    >(&mut self.ratio, __rest, value)
                }
                "email" => {
                    ::bia::__private::singular::bind::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&mut self.email, __rest, value)
                }
                "tags" => {
                    ::bia::__private::repeated::bind::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&mut self.tags, __rest, value)
                }
                "places" => ::core::result::Result::Ok(false),
                _ => ::core::result::Result::Ok(false),
            }
        }
        fn param(&self, key: &str) -> ::core::option::Option<::std::string::String> {
            let (__head, __rest) = ::bia::__private::split_key(key);
            let _ = &__rest;
            match __head {
                "user" => {
                    ::bia::__private::optional::param::<
                        <UserInfo as ::bia::__private::ProtoType>::Codec,
                        UserInfo,
                    >(&self.user, __rest)
                }
                "name" => {
                    ::bia::__private::singular::param::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&self.name, __rest)
                }
                "age" => {
                    ::bia::__private::singular::param::<
                        <u32 as ::bia::__private::ProtoType>::Codec,
                        u32,
                    >(&self.age, __rest)
                }
                "ratio" => {
                    ::bia::__private::singular::param::<
                        <f64 as ::bia::__private::ProtoType>::Codec,
                        f64,
                    >(&self.ratio, __rest)
                }
                "email" => {
                    ::bia::__private::singular::param::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&self.email, __rest)
                }
                "tags" => {
                    ::bia::__private::repeated::param::<
                        <String as ::bia::__private::ProtoType>::Codec,
                        String,
                    >(&self.tags, __rest)
                }
                "places" => ::core::option::Option::None,
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
            ::bia::__private::optional::query::<
                <UserInfo as ::bia::__private::ProtoType>::Codec,
                UserInfo,
            >(&self.user, prefix, "user", skip, q);
            ::bia::__private::singular::query::<
                <String as ::bia::__private::ProtoType>::Codec,
                String,
            >(&self.name, prefix, "name", skip, q);
            ::bia::__private::singular::query::<
                <u32 as ::bia::__private::ProtoType>::Codec,
                u32,
            >(&self.age, prefix, "age", skip, q);
            ::bia::__private::singular::query::<
                <f64 as ::bia::__private::ProtoType>::Codec,
                f64,
            >(&self.ratio, prefix, "ratio", skip, q);
            ::bia::__private::singular::query::<
                <String as ::bia::__private::ProtoType>::Codec,
                String,
            >(&self.email, prefix, "email", skip, q);
            ::bia::__private::repeated::query::<
                <String as ::bia::__private::ProtoType>::Codec,
                String,
            >(&self.tags, prefix, "tags", skip, q);
        }
        fn merge_json_field<'de, __D: ::bia::__private::serde::Deserializer<'de>>(
            &mut self,
            field: &str,
            d: __D,
        ) -> ::core::result::Result<(), __D::Error> {
            match field {
                "user" => {
                    self.user = ::bia::__private::serde::de::DeserializeSeed::deserialize(
                        ::bia::__private::OptionalSeed::<
                            <UserInfo as ::bia::__private::ProtoType>::Codec,
                            UserInfo,
                        >::new(),
                        d,
                    )?;
                    ::core::result::Result::Ok(())
                }
                "name" => {
                    self.name = ::bia::__private::serde::de::DeserializeSeed::deserialize(
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
                            <u32 as ::bia::__private::ProtoType>::Codec,
                            u32,
                        >::new(),
                        d,
                    )?;
                    ::core::result::Result::Ok(())
                }
                "ratio" => {
                    self.ratio = ::bia::__private::serde::de::DeserializeSeed::deserialize(
                        ::bia::__private::SingularSeed::<
                            <f64 as ::bia::__private::ProtoType>::Codec,
                            f64,
                        >::new(),
                        d,
                    )?;
                    ::core::result::Result::Ok(())
                }
                "email" => {
                    self.email = ::bia::__private::serde::de::DeserializeSeed::deserialize(
                        ::bia::__private::SingularSeed::<
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
                "places" => {
                    self.places = ::bia::__private::serde::de::DeserializeSeed::deserialize(
                        ::bia::__private::MapSeed::<
                            <String as ::bia::__private::ProtoType>::Codec,
                            String,
                            <Address as ::bia::__private::ProtoType>::Codec,
                            Address,
                            _,
                        >::new(),
                        d,
                    )?;
                    ::core::result::Result::Ok(())
                }
                _ => {
                    let _ = d;
                    ::core::result::Result::Err(
                        ::bia::__private::no_such_field_de(
                            "user.v1.CreateUserRequest",
                            field,
                        ),
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
                "user" => {
                    ::bia::__private::serde::Serialize::serialize(
                        &::bia::__private::OptionalSer::<
                            <UserInfo as ::bia::__private::ProtoType>::Codec,
                            UserInfo,
                        >(&self.user, ::core::marker::PhantomData),
                        s,
                    )
                }
                "name" => {
                    ::bia::__private::serde::Serialize::serialize(
                        &::bia::__private::SingularSer::<
                            <String as ::bia::__private::ProtoType>::Codec,
                            String,
                        >(&self.name, ::core::marker::PhantomData),
                        s,
                    )
                }
                "age" => {
                    ::bia::__private::serde::Serialize::serialize(
                        &::bia::__private::SingularSer::<
                            <u32 as ::bia::__private::ProtoType>::Codec,
                            u32,
                        >(&self.age, ::core::marker::PhantomData),
                        s,
                    )
                }
                "ratio" => {
                    ::bia::__private::serde::Serialize::serialize(
                        &::bia::__private::SingularSer::<
                            <f64 as ::bia::__private::ProtoType>::Codec,
                            f64,
                        >(&self.ratio, ::core::marker::PhantomData),
                        s,
                    )
                }
                "email" => {
                    ::bia::__private::serde::Serialize::serialize(
                        &::bia::__private::SingularSer::<
                            <String as ::bia::__private::ProtoType>::Codec,
                            String,
                        >(&self.email, ::core::marker::PhantomData),
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
                "places" => {
                    ::bia::__private::serde::Serialize::serialize(
                        &::bia::__private::MapSer::<
                            <String as ::bia::__private::ProtoType>::Codec,
                            String,
                            <Address as ::bia::__private::ProtoType>::Codec,
                            Address,
                            _,
                        >(&self.places, ::core::marker::PhantomData),
                        s,
                    )
                }
                _ => {
                    let _ = s;
                    ::core::result::Result::Err(
                        ::bia::__private::no_such_field(
                            "user.v1.CreateUserRequest",
                            field,
                        ),
                    )
                }
            }
        }
        fn validate(&self) -> ::core::result::Result<(), ::bia::Error> {
            ::bia::__private::validate::run(self)
        }
        fn validate_at(
            &self,
            __at: &::bia::__private::validate::FieldPath<'_>,
        ) -> ::core::result::Result<(), ::bia::__private::validate::Violation> {
            {
                let __at = __at.field("user");
                ::bia::__private::validate::present(
                    ::core::option::Option::is_some(&self.user),
                    &__at,
                )?;
                if let ::core::option::Option::Some(__v) = &self.user {
                    ::bia::__private::validate::nested(__v, &__at)?;
                }
            }
            {
                let __at = __at.field("name");
                let __v = &self.name;
                ::bia::__private::validate::length(
                    __v,
                    ::core::option::Option::Some(1),
                    ::core::option::Option::Some(64),
                    &__at,
                )?;
                {
                    static __BIA_PATTERN: ::bia::__private::validate::Pattern = ::bia::__private::validate::Pattern::new(
                        "^[a-z]+$",
                    );
                    ::bia::__private::validate::pattern(__v, &__BIA_PATTERN, &__at)?;
                }
            }
            {
                let __at = __at.field("age");
                let __v = &self.age;
                ::bia::__private::validate::range(
                    __v,
                    ::core::option::Option::Some((0, true)),
                    ::core::option::Option::Some((150, true)),
                    &__at,
                )?;
            }
            {
                let __at = __at.field("ratio");
                let __v = &self.ratio;
                ::bia::__private::validate::range(
                    __v,
                    ::core::option::Option::Some((0.0, false)),
                    ::core::option::Option::Some((1.0, false)),
                    &__at,
                )?;
            }
            {
                let __at = __at.field("email");
                let __v = &self.email;
                ::bia::__private::validate::email(__v, &__at)?;
            }
            {
                let __at = __at.field("tags");
                ::bia::__private::validate::count(
                    self.tags.len(),
                    ::core::option::Option::None,
                    ::core::option::Option::Some(3),
                    "item",
                    &__at,
                )?;
                ::bia::__private::validate::each_item(
                    &self.tags,
                    &__at,
                    |__v, __at| {
                        ::bia::__private::validate::length(
                            __v,
                            ::core::option::Option::Some(1),
                            ::core::option::Option::None,
                            __at,
                        )?;
                        ::core::result::Result::Ok(())
                    },
                )?;
            }
            {
                let __at = __at.field("places");
                ::bia::__private::validate::each_value(
                    &self.places,
                    &__at,
                    |__v, __at| {
                        ::bia::__private::validate::nested(__v, __at)?;
                        ::core::result::Result::Ok(())
                    },
                )?;
            }
            ::core::result::Result::Ok(())
        }
    }
    impl ::bia::__private::ProtoType for CreateUserRequest {
        type Codec = ::bia::__private::MessageCodec;
    }
    impl ::bia::__private::prost::Name for CreateUserRequest {
        const NAME: &'static str = "CreateUserRequest";
        const PACKAGE: &'static str = "user.v1";
        fn type_url() -> ::std::string::String {
            ::std::format!("type.googleapis.com/{}", "user.v1.CreateUserRequest")
        }
    }
    ::bia::__private::inventory::submit! {
        ::bia::__private::codec::AnyType::message:: < CreateUserRequest > ()
    }
};
