//! The traits `#[bia::message]` and `#[bia::enumeration]` implement, and the
//! codecs that let messages and enums be fields of other messages.

use std::fmt;
use std::marker::PhantomData;

use bytes::{Buf, BufMut};
use prost::encoding::{self as pe, DecodeContext, WireType};
use prost::DecodeError;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::{Codec, QueryWriter};
use crate::schema::{EnumDef, SchemaBuilder, TypeRef};

/// One field of a message as the compile-time checks see it (path parameters,
/// `body`, `response_body`).
#[derive(Debug, Clone, Copy)]
pub struct FieldMeta {
    /// The proto (snake_case) name.
    pub name: &'static str,
    /// The proto3 JSON (lowerCamelCase or renamed) name.
    pub json_name: &'static str,
    /// The fields of the field's message type, empty for other types.
    pub nested: &'static [FieldMeta],
    /// Whether one path value can bind the field (not repeated, map or message).
    pub path_value: bool,
}

/// A protobuf message with proto3 JSON, implemented by `#[bia::message]`.
///
/// ```
/// use bia::Message as _;
///
/// #[bia::message(package = "user.v1")]
/// pub struct GetUserRequest {
///     pub id: String,
/// }
///
/// assert_eq!(GetUserRequest::FULL_NAME, "user.v1.GetUserRequest");
/// let req = GetUserRequest { id: "42".into() };
/// let bytes = prost::Message::encode_to_vec(&req);
/// assert_eq!(<GetUserRequest as prost::Message>::decode(&bytes[..]).unwrap(), req);
/// assert_eq!(serde_json::to_string(&req).unwrap(), r#"{"id":"42"}"#);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Bia message",
    label = "not a #[bia::message] struct",
    note = "annotate the struct with #[bia::message(package = \"..\")], or wrap the value in a field of one"
)]
pub trait Message:
    prost::Message + Default + Clone + std::fmt::Debug + Serialize + for<'de> Deserialize<'de> + Send + Sync + 'static
{
    /// The proto package, e.g. `user.v1`.
    const PACKAGE: &'static str;
    /// The message name, e.g. `GetUserRequest`.
    const NAME: &'static str;
    /// `package.Name`.
    const FULL_NAME: &'static str;
    /// The fields, for compile-time path checks.
    const FIELDS: &'static [FieldMeta];

    /// Registers this message (and every type it uses) in a schema.
    fn describe(b: &mut SchemaBuilder);
    /// Binds a path or query value to the field at the dotted `key` (proto or
    /// JSON names). `Ok(false)` when no such field exists.
    fn bind_param(&mut self, key: &str, value: &str) -> Result<bool, String>;
    /// The text of the field at the dotted `key`, for building a URL path.
    fn param(&self, key: &str) -> Option<String>;
    /// Writes every non-default scalar field not listed in `skip` as query pairs.
    fn write_query(&self, prefix: &str, skip: &[&str], q: &mut QueryWriter);
    /// Reads one field (top-level name) from JSON: `body = "field"`.
    fn merge_json_field<'de, D: Deserializer<'de>>(&mut self, field: &str, d: D) -> Result<(), D::Error>;
    /// Writes one field (top-level name) as JSON: `response_body = "field"`.
    fn serialize_json_field<S: Serializer>(&self, field: &str, s: S) -> Result<S::Ok, S::Error>;
    /// Checks the `#[validate(...)]` rules of the fields (the validate
    /// middleware calls it before the handler). No rules: always `Ok`.
    fn validate(&self) -> Result<(), crate::Error> {
        Ok(())
    }
    /// The rules below `at`: what `validate` and a `nested` rule of an
    /// enclosing message call (generated; stops at the first violation).
    #[doc(hidden)]
    fn validate_at(&self, _at: &super::validate::FieldPath<'_>) -> Result<(), super::validate::Violation> {
        Ok(())
    }
}

/// The codec of message-typed fields.
#[derive(Debug, Clone, Copy, Default)]
pub struct MessageCodec;

impl<M: Message> Codec<M> for MessageCodec {
    const IS_MESSAGE: bool = true;
    const NESTED: &'static [FieldMeta] = M::FIELDS;
    const PATH_VALUE: bool = false;

    fn describe(b: &mut SchemaBuilder) -> TypeRef {
        M::describe(b);
        TypeRef::message(M::FULL_NAME)
    }
    #[inline]
    fn encode(tag: u32, v: &M, buf: &mut impl BufMut) {
        pe::message::encode(tag, v, buf)
    }
    #[inline]
    fn encoded_len(tag: u32, v: &M) -> usize {
        pe::message::encoded_len(tag, v)
    }
    #[inline]
    fn merge(wt: WireType, v: &mut M, buf: &mut impl Buf, ctx: DecodeContext) -> Result<(), DecodeError> {
        pe::message::merge(wt, v, buf, ctx)
    }
    #[inline]
    fn is_default(_: &M) -> bool {
        // A message field that is not an `Option` is always present.
        false
    }
    #[inline]
    fn serialize<S: Serializer>(v: &M, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
    fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<M, D::Error> {
        Ok(Option::<M>::deserialize(d)?.unwrap_or_default())
    }
    fn parse_param(_: &str) -> Result<M, String> {
        Err(format!("a {} message cannot be read from a single value", M::FULL_NAME))
    }
    fn format_param(_: &M, _: &mut String) {}
    fn bind_nested(v: &mut M, key: &str, value: &str) -> Result<bool, String> {
        v.bind_param(key, value)
    }
    fn param_nested(v: &M, key: &str) -> Option<String> {
        v.param(key)
    }
    fn query_nested(v: &M, prefix: &str, skip: &[&str], q: &mut QueryWriter) {
        v.write_query(prefix, skip, q)
    }
}

/// A proto enum, implemented by `#[bia::enumeration]`.
///
/// ```
/// use bia::Enumeration as _;
///
/// #[bia::enumeration(package = "user.v1")]
/// pub enum Role { Unspecified = 0, Admin = 1 }
///
/// assert_eq!(Role::Admin.as_str_name(), "ROLE_ADMIN");
/// assert_eq!(Role::from_str_name("ROLE_ADMIN"), Some(Role::Admin));
/// assert_eq!(Role::from_i32(1), Some(Role::Admin));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Bia enumeration",
    note = "annotate the enum with #[bia::enumeration(package = \"..\")]"
)]
pub trait Enumeration: Copy + Default + Eq + fmt::Debug + Send + Sync + 'static {
    /// The proto package.
    const PACKAGE: &'static str;
    /// The enum name.
    const NAME: &'static str;
    /// `package.Name`.
    const FULL_NAME: &'static str;
    /// Every value: proto name and number.
    const VALUES: &'static [(&'static str, i32)];
    /// The enum's doc comment (in the OpenAPI document).
    const DOC: &'static str = "";
    /// The doc comment of each value, in the order of [`VALUES`](Self::VALUES).
    const VALUE_DOCS: &'static [&'static str] = &[];

    /// The number of this value.
    fn to_i32(self) -> i32;
    /// The value of a number, if there is one.
    fn from_i32(v: i32) -> Option<Self>;
    /// The proto name of this value (its JSON form).
    fn as_str_name(self) -> &'static str;
    /// The value of a proto name, if there is one.
    fn from_str_name(s: &str) -> Option<Self>;
}

/// The codec of enum-typed fields: varint numbers on the wire, names in JSON.
#[derive(Debug, Clone, Copy, Default)]
pub struct EnumCodec;

// prost has no other public constructor for a decode error with a message.
#[allow(deprecated)]
fn unknown_number<E: Enumeration>(v: i32) -> DecodeError {
    DecodeError::new(format!("{v} is not a value of enum {}", E::FULL_NAME))
}

impl<E: Enumeration> Codec<E> for EnumCodec {
    const PACKED: bool = true;

    fn describe(b: &mut SchemaBuilder) -> TypeRef {
        b.add_enum(EnumDef {
            package: E::PACKAGE,
            name: E::NAME,
            values: E::VALUES.to_vec(),
            doc: E::DOC,
            value_docs: E::VALUE_DOCS.to_vec(),
        });
        TypeRef::enumeration(E::FULL_NAME)
    }
    #[inline]
    fn encode(tag: u32, v: &E, buf: &mut impl BufMut) {
        pe::int32::encode(tag, &v.to_i32(), buf)
    }
    #[inline]
    fn encoded_len(tag: u32, v: &E) -> usize {
        pe::int32::encoded_len(tag, &v.to_i32())
    }
    fn merge(wt: WireType, v: &mut E, buf: &mut impl Buf, ctx: DecodeContext) -> Result<(), DecodeError> {
        let mut n = 0i32;
        pe::int32::merge(wt, &mut n, buf, ctx)?;
        *v = E::from_i32(n).ok_or_else(|| unknown_number::<E>(n))?;
        Ok(())
    }
    #[inline]
    fn is_default(v: &E) -> bool {
        v.to_i32() == 0
    }
    fn encode_repeated(tag: u32, vs: &[E], buf: &mut impl BufMut) {
        let ns: Vec<i32> = vs.iter().map(|v| v.to_i32()).collect();
        pe::int32::encode_packed(tag, &ns, buf)
    }
    fn encoded_len_repeated(tag: u32, vs: &[E]) -> usize {
        let ns: Vec<i32> = vs.iter().map(|v| v.to_i32()).collect();
        pe::int32::encoded_len_packed(tag, &ns)
    }
    fn merge_repeated(
        wt: WireType,
        vs: &mut Vec<E>,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        let mut ns = Vec::new();
        pe::int32::merge_repeated(wt, &mut ns, buf, ctx)?;
        for n in ns {
            vs.push(E::from_i32(n).ok_or_else(|| unknown_number::<E>(n))?);
        }
        Ok(())
    }
    fn serialize<S: Serializer>(v: &E, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.as_str_name())
    }
    fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<E, D::Error> {
        struct V<E>(PhantomData<E>);
        impl<'de, E: Enumeration> Visitor<'de> for V<E> {
            type Value = E;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a value name of enum {}", E::FULL_NAME)
            }
            fn visit_str<Er: de::Error>(self, v: &str) -> Result<E, Er> {
                <EnumCodec as Codec<E>>::parse_param(v).map_err(Er::custom)
            }
            fn visit_i64<Er: de::Error>(self, v: i64) -> Result<E, Er> {
                i32::try_from(v)
                    .ok()
                    .and_then(E::from_i32)
                    .ok_or_else(|| Er::custom(format!("{v} is not a value of enum {}", E::FULL_NAME)))
            }
            fn visit_u64<Er: de::Error>(self, v: u64) -> Result<E, Er> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_unit<Er: de::Error>(self) -> Result<E, Er> {
                Ok(E::default())
            }
        }
        d.deserialize_any(V::<E>(PhantomData))
    }
    fn parse_param(s: &str) -> Result<E, String> {
        if let Some(v) = E::from_str_name(s) {
            return Ok(v);
        }
        s.parse::<i32>().ok().and_then(E::from_i32).ok_or_else(|| {
            let names: Vec<&str> = E::VALUES.iter().map(|(n, _)| *n).collect();
            format!("unknown value `{s}` of enum {} (expected one of {})", E::FULL_NAME, names.join(", "))
        })
    }
    fn format_param(v: &E, out: &mut String) {
        out.push_str(v.as_str_name())
    }
}

/// A dotted field key split at its first dot: `("user", Some("id"))` for
/// `user.id`, `("id", None)` for `id` (generated `bind_param` and `param`
/// call it on every bound path and query value). A byte search: keys are a
/// few characters, and `str::split_once` with a `char` costs several times
/// as much on them (measured on every HTTP call that binds a path).
#[doc(hidden)]
#[inline]
pub fn split_key(key: &str) -> (&str, Option<&str>) {
    match key.bytes().position(|b| b == b'.') {
        // `.` is ASCII: both sides are on character boundaries.
        Some(i) => (&key[..i], Some(&key[i + 1..])),
        None => (key, None),
    }
}

/// `const` check behind path parameters: 0 when the dotted path names no
/// field (by proto or JSON name), 1 when it names a field one path value
/// binds, 2 when it names a repeated, map or message field.
#[doc(hidden)]
pub const fn field_path_kind(fields: &[FieldMeta], path: &str) -> u8 {
    kind_from(fields, path.as_bytes(), 0)
}

const fn kind_from(fields: &[FieldMeta], bytes: &[u8], start: usize) -> u8 {
    let mut end = start;
    while end < bytes.len() && bytes[end] != b'.' {
        end += 1;
    }
    let mut i = 0;
    while i < fields.len() {
        let f = &fields[i];
        if segment_eq(f.name.as_bytes(), bytes, start, end) || segment_eq(f.json_name.as_bytes(), bytes, start, end) {
            if end == bytes.len() {
                return if f.path_value { 1 } else { 2 };
            }
            return kind_from(f.nested, bytes, end + 1);
        }
        i += 1;
    }
    0
}

const fn segment_eq(name: &[u8], path: &[u8], start: usize, end: usize) -> bool {
    if name.len() != end - start {
        return false;
    }
    let mut i = 0;
    while i < name.len() {
        if name[i] != path[start + i] {
            return false;
        }
        i += 1;
    }
    true
}
