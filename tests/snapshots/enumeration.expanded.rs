#[derive(
    ::core::clone::Clone,
    ::core::marker::Copy,
    ::core::fmt::Debug,
    ::core::cmp::PartialEq,
    ::core::cmp::Eq,
    ::core::hash::Hash,
    ::core::cmp::PartialOrd,
    ::core::cmp::Ord,
    ::core::default::Default
)]
pub enum Role {
    #[default]
    Unspecified = 0,
    Admin = 1,
    Guest = 2,
}
#[doc(hidden)]
#[macro_export]
macro_rules! __bia_proto_type_user_v1_Role_is_defined_twice__rename_one_of_them {
    () => {};
}
const _: () = {
    #[unsafe(export_name = "__bia_proto_type_defined_twice.user.v1.Role")]
    static __BIA_PROTO_NAME: u8 = 0;
};
const _: () = {
    impl ::bia::Enumeration for Role {
        const PACKAGE: &'static str = "user.v1";
        const NAME: &'static str = "Role";
        const FULL_NAME: &'static str = "user.v1.Role";
        const VALUES: &'static [(&'static str, i32)] = &[
            ("ROLE_UNSPECIFIED", 0i32),
            ("ROLE_ADMIN", 1i32),
            ("ROLE_GUEST_USER", 2i32),
        ];
        const DOC: &'static str = "";
        const VALUE_DOCS: &'static [&'static str] = &["", "", ""];
        fn to_i32(self) -> i32 {
            match self {
                Self::Unspecified => 0i32,
                Self::Admin => 1i32,
                Self::Guest => 2i32,
            }
        }
        fn from_i32(v: i32) -> ::core::option::Option<Self> {
            match v {
                0i32 => ::core::option::Option::Some(Self::Unspecified),
                1i32 => ::core::option::Option::Some(Self::Admin),
                2i32 => ::core::option::Option::Some(Self::Guest),
                _ => ::core::option::Option::None,
            }
        }
        fn as_str_name(self) -> &'static str {
            match self {
                Self::Unspecified => "ROLE_UNSPECIFIED",
                Self::Admin => "ROLE_ADMIN",
                Self::Guest => "ROLE_GUEST_USER",
            }
        }
        fn from_str_name(s: &str) -> ::core::option::Option<Self> {
            match s {
                "ROLE_UNSPECIFIED" => ::core::option::Option::Some(Self::Unspecified),
                "ROLE_ADMIN" => ::core::option::Option::Some(Self::Admin),
                "ROLE_GUEST_USER" => ::core::option::Option::Some(Self::Guest),
                _ => ::core::option::Option::None,
            }
        }
    }
    impl ::bia::__private::ProtoType for Role {
        type Codec = ::bia::__private::EnumCodec;
    }
    impl ::bia::__private::serde::Serialize for Role {
        fn serialize<__S: ::bia::__private::serde::Serializer>(
            &self,
            s: __S,
        ) -> ::core::result::Result<__S::Ok, __S::Error> {
            <::bia::__private::EnumCodec as ::bia::__private::Codec<
                Self,
            >>::serialize(self, s)
        }
    }
    impl<'de> ::bia::__private::serde::Deserialize<'de> for Role {
        fn deserialize<__D: ::bia::__private::serde::Deserializer<'de>>(
            d: __D,
        ) -> ::core::result::Result<Self, __D::Error> {
            <::bia::__private::EnumCodec as ::bia::__private::Codec<
                Self,
            >>::deserialize(d)
        }
    }
};
