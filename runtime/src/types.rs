//! The well-known protobuf types (`google.protobuf.*`), usable as message
//! fields, each with its protobuf encoding and its proto3 JSON form:
//!
//! | type | proto3 JSON |
//! |---|---|
//! | [`Timestamp`] | `"1972-01-01T10:00:20.021Z"` (RFC 3339) |
//! | [`Duration`] | `"1.000340012s"` |
//! | [`Empty`] | `{}` (also a method's request or reply) |
//! | [`FieldMask`] | `"user.displayName,photo"` (paths in lowerCamelCase, comma-separated) |
//! | [`Struct`] | any JSON object |
//! | [`Value`] | any JSON value |
//! | [`ListValue`] | any JSON array |
//! | [`NullValue`] | `null` |
//! | [`Any`] | `{"@type": "type.googleapis.com/pkg.Msg", ...the message's fields}` |
//! | [`Int64Value`] and the other wrappers | the bare value, or `null` when absent |
//!
//! ```
//! use bia::types::{FieldMask, Int64Value, Struct, Value};
//!
//! #[bia::message(package = "doc.v1")]
//! pub struct Patch {
//!     pub update_mask: Option<FieldMask>,
//!     pub limit: Option<Int64Value>,
//!     pub labels: Option<Struct>,
//! }
//!
//! let patch = Patch {
//!     update_mask: Some(FieldMask { paths: vec!["display_name".into(), "address.zip_code".into()] }),
//!     limit: Some(Int64Value::from(10)),
//!     labels: Some(Struct { fields: [("tier".to_owned(), Value::from("gold"))].into() }),
//! };
//! assert_eq!(
//!     serde_json::to_string(&patch).unwrap(),
//!     r#"{"updateMask":"displayName,address.zipCode","limit":"10","labels":{"tier":"gold"}}"#
//! );
//! ```

pub use prost_types::value::Kind as ValueKind;
pub use prost_types::{Any, Duration, FieldMask, ListValue, NullValue, Struct, Timestamp, Value};

/// `google.protobuf.Empty`: nothing, for a method that takes or returns
/// nothing. Its JSON form is `{}`.
///
/// ```
/// use bia::types::Empty;
///
/// #[bia::message(package = "doc.v1")]
/// pub struct DeleteUserRequest { pub id: String }
///
/// #[bia::service(package = "doc.v1")]
/// pub trait Users: Send + Sync + 'static {
///     #[rpc(delete = "/v1/users/<id>")]
///     async fn delete_user(&self, req: DeleteUserRequest) -> bia::Result<Empty>;
/// }
/// assert_eq!(serde_json::to_string(&Empty {}).unwrap(), "{}");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, ::prost::Message)]
pub struct Empty {}

macro_rules! wrappers {
    ($($(#[$doc:meta])* $name:ident($ty:ty, $kind:ident, $tag:literal);)*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, PartialEq, ::prost::Message)]
            pub struct $name {
                /// The wrapped value.
                #[prost($kind, tag = "1")]
                pub value: $ty,
            }
            wrapper_common!($name, $ty);
        )*
    };
}

/// The floating-point wrappers, by hand: prost's derive leaves out -0.0 as
/// if it were the default, where proto3 sends it (only +0.0 is the default).
macro_rules! float_wrappers {
    ($($(#[$doc:meta])* $name:ident($ty:ty, $module:ident);)*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy, PartialEq, Default, Debug)]
            pub struct $name {
                /// The wrapped value.
                pub value: $ty,
            }

            impl ::prost::Message for $name {
                fn encode_raw(&self, buf: &mut impl ::prost::bytes::BufMut) {
                    if self.value.to_bits() != 0 {
                        ::prost::encoding::$module::encode(1, &self.value, buf);
                    }
                }
                fn merge_field(
                    &mut self,
                    tag: u32,
                    wire_type: ::prost::encoding::WireType,
                    buf: &mut impl ::prost::bytes::Buf,
                    ctx: ::prost::encoding::DecodeContext,
                ) -> Result<(), ::prost::DecodeError> {
                    if tag == 1 {
                        ::prost::encoding::$module::merge(wire_type, &mut self.value, buf, ctx)
                    } else {
                        ::prost::encoding::skip_field(wire_type, tag, buf, ctx)
                    }
                }
                fn encoded_len(&self) -> usize {
                    if self.value.to_bits() != 0 {
                        ::prost::encoding::$module::encoded_len(1, &self.value)
                    } else {
                        0
                    }
                }
                fn clear(&mut self) {
                    self.value = 0.0;
                }
            }
            wrapper_common!($name, $ty);
        )*
    };
}

macro_rules! wrapper_common {
    ($name:ident, $ty:ty) => {
        impl From<$ty> for $name {
            fn from(value: $ty) -> Self {
                Self { value }
            }
        }

        impl From<$name> for $ty {
            fn from(w: $name) -> Self {
                w.value
            }
        }

        impl ::prost::Name for $name {
            const NAME: &'static str = stringify!($name);
            const PACKAGE: &'static str = "google.protobuf";
            fn type_url() -> String {
                format!("type.googleapis.com/google.protobuf.{}", stringify!($name))
            }
        }
    };
}

float_wrappers! {
    /// `google.protobuf.DoubleValue`: an `f64` that can be absent (`Option<DoubleValue>`); JSON: a number or `null`.
    DoubleValue(f64, double);
    /// `google.protobuf.FloatValue`: an `f32` that can be absent; JSON: a number or `null`.
    FloatValue(f32, float);
}

wrappers! {
    /// `google.protobuf.Int64Value`: an `i64` that can be absent; JSON: a string (`"-12"`) or `null`.
    ///
    /// ```
    /// let v = bia::types::Int64Value::from(-12);
    /// assert_eq!(i64::from(v), -12);
    /// ```
    Int64Value(i64, int64, "1");
    /// `google.protobuf.UInt64Value`: a `u64` that can be absent; JSON: a string or `null`.
    UInt64Value(u64, uint64, "1");
    /// `google.protobuf.Int32Value`: an `i32` that can be absent; JSON: a number or `null`.
    Int32Value(i32, int32, "1");
    /// `google.protobuf.UInt32Value`: a `u32` that can be absent; JSON: a number or `null`.
    UInt32Value(u32, uint32, "1");
    /// `google.protobuf.BoolValue`: a `bool` that can be absent; JSON: `true`, `false` or `null`.
    BoolValue(bool, bool, "1");
    /// `google.protobuf.StringValue`: a `String` that can be absent; JSON: a string or `null`.
    StringValue(String, string, "1");
    /// `google.protobuf.BytesValue`: bytes that can be absent; JSON: base64 or `null`.
    BytesValue(Vec<u8>, bytes, "1");
}

impl From<&str> for StringValue {
    fn from(value: &str) -> Self {
        Self { value: value.to_owned() }
    }
}

impl ::prost::Name for Empty {
    const NAME: &'static str = "Empty";
    const PACKAGE: &'static str = "google.protobuf";
    fn type_url() -> String {
        "type.googleapis.com/google.protobuf.Empty".to_owned()
    }
}
