//! How one field value is encoded: protobuf bytes, proto3 JSON, path/query text
//! and its place in the schema.
//!
//! Every supported Rust field type has a default [`Codec`] through
//! [`ProtoType`]; `#[field(sint64)]` and friends pick another one. The code that
//! `#[bia::message]` generates calls only the container helpers of this module
//! (`singular`, `optional`, `repeated`, `map`), so a message costs what the same
//! message costs when prost derives it.

mod any;
mod boxed;
pub mod field_mask;
mod json;
pub(crate) mod message;
mod oneof;
mod scalar;
#[doc(hidden)]
pub mod validate;
// `#[macro_use]`: the well-known types' codec macros serve `wkt_struct` too.
#[macro_use]
mod wkt;
mod wkt_struct;

pub use wkt::WellKnown;
pub use wkt_struct::{value_from_json, value_to_json};

#[doc(hidden)]
pub use any::AnyType;
pub use any::{any_type_known, pack, type_url_of, unpack};
pub use boxed::Boxed;
pub(crate) use json::{codec_error, json_error};
pub use json::{snake_case_output, with_snake_case_output};
pub use message::{EnumCodec, Enumeration, FieldMeta, Message, MessageCodec};
pub use oneof::{tags_overlap, Oneof};
pub use scalar::*;

#[doc(hidden)]
pub use json::{Key, MapSeed, MapSer, OptionalSeed, OptionalSer, RepeatedSeed, RepeatedSer, SingularSeed, SingularSer};

use bytes::{Buf, BufMut};
use prost::encoding::{DecodeContext, WireType};
use prost::DecodeError;
use serde::{Deserializer, Serializer};

use crate::schema::{SchemaBuilder, TypeRef};

/// The default codec of a Rust type used as a message field.
///
/// Implemented for the proto scalars (`i32` int32, `i64` int64, `u32` uint32,
/// `u64` uint64, `f32` float, `f64` double, `bool`, `String`, `Vec<u8>` and
/// [`bytes::Bytes`] bytes), the well-known types of [`crate::types`], `Box<T>`
/// of any of these (a message that contains itself), and by `#[bia::message]`
/// and `#[bia::enumeration]` for the types they annotate.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a field of a Bia message",
    label = "not a proto field type",
    note = "supported: i32, i64, u32, u64, f32, f64, bool, String, Vec<u8>, bytes::Bytes, \
            the well-known types of bia::types, a #[bia::message] struct or a #[bia::enumeration] \
            enum, Box<_> of those, and Option<_>, Vec<_>, HashMap<_, _>, BTreeMap<_, _> of those"
)]
pub trait ProtoType: Sized {
    /// The codec used when the field names no other encoding.
    type Codec: Codec<Self>;
}

/// Encoding of one field value of type `T` (see the module docs).
///
/// The methods are called by generated code; users only name a codec in
/// `#[field(...)]`.
pub trait Codec<T>: 'static {
    /// Whether `T` is a message (message fields always have presence).
    const IS_MESSAGE: bool = false;
    /// Whether repeated values are packed (proto3 numeric scalars and enums).
    const PACKED: bool = false;
    /// The fields of `T` when it is a message (for compile-time path checks).
    const NESTED: &'static [FieldMeta] = &[];
    /// Whether one path value can bind `T` (scalars, enums, well-known types).
    const PATH_VALUE: bool = true;

    /// The proto type (registering `T` in the schema when it is a message or enum).
    fn describe(b: &mut SchemaBuilder) -> TypeRef;

    /// Encodes `v` under `tag` (always, even a default value).
    fn encode(tag: u32, v: &T, buf: &mut impl BufMut);
    /// The length [`Codec::encode`] writes.
    fn encoded_len(tag: u32, v: &T) -> usize;
    /// Merges one occurrence of the field into `v`.
    fn merge(wt: WireType, v: &mut T, buf: &mut impl Buf, ctx: DecodeContext) -> Result<(), DecodeError>;
    /// Whether `v` is the proto3 default (not sent with implicit presence).
    fn is_default(v: &T) -> bool;

    /// Encodes a repeated field (packed when [`Codec::PACKED`]).
    fn encode_repeated(tag: u32, vs: &[T], buf: &mut impl BufMut) {
        for v in vs {
            Self::encode(tag, v, buf);
        }
    }
    /// The length [`Codec::encode_repeated`] writes.
    fn encoded_len_repeated(tag: u32, vs: &[T]) -> usize {
        vs.iter().map(|v| Self::encoded_len(tag, v)).sum()
    }
    /// Merges one occurrence (or one packed run) of a repeated field.
    fn merge_repeated(wt: WireType, vs: &mut Vec<T>, buf: &mut impl Buf, ctx: DecodeContext) -> Result<(), DecodeError>
    where
        T: Default,
    {
        let mut v = T::default();
        Self::merge(wt, &mut v, buf, ctx)?;
        vs.push(v);
        Ok(())
    }

    /// Writes `v` as proto3 JSON.
    fn serialize<S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error>;
    /// Reads `v` from proto3 JSON (`null` gives the default).
    fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<T, D::Error>;

    /// Parses a path or query value.
    fn parse_param(s: &str) -> Result<T, String>;
    /// Writes `v` as a path or query value.
    fn format_param(v: &T, out: &mut String);
    /// Binds `key` (a dotted path below this value) when `T` is a message.
    fn bind_nested(_v: &mut T, _key: &str, _value: &str) -> Result<bool, String> {
        Ok(false)
    }
    /// Reads `key` (a dotted path below this value) when `T` is a message.
    fn param_nested(_v: &T, _key: &str) -> Option<String> {
        None
    }
    /// Writes the non-default fields of `v` as query pairs under `prefix`.
    fn query_nested(_v: &T, _prefix: &str, _skip: &[&str], _q: &mut QueryWriter) {}
}

/// Query-string writer used by the HTTP client (`a.b=1&x=1&x=2`).
pub struct QueryWriter {
    inner: form_urlencoded::Serializer<'static, String>,
    empty: bool,
}

impl Default for QueryWriter {
    fn default() -> Self {
        Self { inner: form_urlencoded::Serializer::new(String::new()), empty: true }
    }
}

impl QueryWriter {
    /// Appends one pair.
    pub fn pair(&mut self, key: &str, value: &str) {
        self.inner.append_pair(key, value);
        self.empty = false;
    }
    /// The query string, `None` when no pair was written.
    pub fn finish(mut self) -> Option<String> {
        (!self.empty).then(|| self.inner.finish())
    }
}

fn join_key(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// What generated code calls for a field of implicit presence (`T`).
pub mod singular {
    use super::*;

    /// Encodes unless default (messages: always).
    #[inline]
    pub fn encode<C: Codec<T>, T>(tag: u32, v: &T, buf: &mut impl BufMut) {
        if !C::is_default(v) {
            C::encode(tag, v, buf)
        }
    }
    /// Length of [`encode`].
    #[inline]
    pub fn encoded_len<C: Codec<T>, T>(tag: u32, v: &T) -> usize {
        if C::is_default(v) {
            0
        } else {
            C::encoded_len(tag, v)
        }
    }
    /// Binds a path/query value.
    pub fn bind<C: Codec<T>, T>(v: &mut T, rest: Option<&str>, value: &str) -> Result<bool, String> {
        match rest {
            None => {
                *v = C::parse_param(value)?;
                Ok(true)
            }
            Some(rest) => C::bind_nested(v, rest, value),
        }
    }
    /// Reads a path value.
    pub fn param<C: Codec<T>, T>(v: &T, rest: Option<&str>) -> Option<String> {
        match rest {
            None => {
                let mut s = String::new();
                C::format_param(v, &mut s);
                Some(s)
            }
            Some(rest) => C::param_nested(v, rest),
        }
    }
    /// Writes query pairs.
    pub fn query<C: Codec<T>, T>(v: &T, prefix: &str, name: &str, skip: &[&str], q: &mut QueryWriter) {
        let key = join_key(prefix, name);
        if skip.contains(&key.as_str()) {
            return;
        }
        if C::IS_MESSAGE {
            C::query_nested(v, &key, skip, q);
        } else if !C::is_default(v) {
            let mut s = String::new();
            C::format_param(v, &mut s);
            q.pair(&key, &s);
        }
    }
}

/// What generated code calls for a field with explicit presence (`Option<T>`).
pub mod optional {
    use super::*;

    /// Encodes when present.
    #[inline]
    pub fn encode<C: Codec<T>, T>(tag: u32, v: &Option<T>, buf: &mut impl BufMut) {
        if let Some(v) = v {
            C::encode(tag, v, buf)
        }
    }
    /// Length of [`encode`].
    #[inline]
    pub fn encoded_len<C: Codec<T>, T>(tag: u32, v: &Option<T>) -> usize {
        v.as_ref().map_or(0, |v| C::encoded_len(tag, v))
    }
    /// Merges into the present value (creating it).
    #[inline]
    pub fn merge<C: Codec<T>, T: Default>(
        wt: WireType,
        v: &mut Option<T>,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        C::merge(wt, v.get_or_insert_with(T::default), buf, ctx)
    }
    /// Binds a path/query value.
    pub fn bind<C: Codec<T>, T: Default>(v: &mut Option<T>, rest: Option<&str>, value: &str) -> Result<bool, String> {
        match rest {
            None => {
                *v = Some(C::parse_param(value)?);
                Ok(true)
            }
            Some(rest) => C::bind_nested(v.get_or_insert_with(T::default), rest, value),
        }
    }
    /// Reads a path value.
    pub fn param<C: Codec<T>, T>(v: &Option<T>, rest: Option<&str>) -> Option<String> {
        super::singular::param::<C, T>(v.as_ref()?, rest)
    }
    /// Writes query pairs.
    pub fn query<C: Codec<T>, T>(v: &Option<T>, prefix: &str, name: &str, skip: &[&str], q: &mut QueryWriter) {
        let Some(v) = v else { return };
        let key = join_key(prefix, name);
        if skip.contains(&key.as_str()) {
            return;
        }
        if C::IS_MESSAGE {
            C::query_nested(v, &key, skip, q);
        } else {
            let mut s = String::new();
            C::format_param(v, &mut s);
            q.pair(&key, &s);
        }
    }
}

/// What generated code calls for a repeated field (`Vec<T>`).
pub mod repeated {
    use super::*;

    /// Encodes (packed when the codec packs).
    #[inline]
    pub fn encode<C: Codec<T>, T>(tag: u32, v: &[T], buf: &mut impl BufMut) {
        if !v.is_empty() {
            C::encode_repeated(tag, v, buf)
        }
    }
    /// Length of [`encode`].
    #[inline]
    pub fn encoded_len<C: Codec<T>, T>(tag: u32, v: &[T]) -> usize {
        if v.is_empty() {
            0
        } else {
            C::encoded_len_repeated(tag, v)
        }
    }
    /// Binds one more query value (`x=1&x=2`).
    pub fn bind<C: Codec<T>, T>(v: &mut Vec<T>, rest: Option<&str>, value: &str) -> Result<bool, String> {
        match rest {
            None => {
                v.push(C::parse_param(value)?);
                Ok(true)
            }
            Some(_) => Ok(false),
        }
    }
    /// Repeated fields are never path values.
    pub fn param<C: Codec<T>, T>(_v: &[T], _rest: Option<&str>) -> Option<String> {
        None
    }
    /// Writes one query pair per scalar element.
    pub fn query<C: Codec<T>, T>(v: &[T], prefix: &str, name: &str, skip: &[&str], q: &mut QueryWriter) {
        if C::IS_MESSAGE || v.is_empty() {
            return;
        }
        let key = join_key(prefix, name);
        if skip.contains(&key.as_str()) {
            return;
        }
        for e in v {
            let mut s = String::new();
            C::format_param(e, &mut s);
            q.pair(&key, &s);
        }
    }
}

/// What generated code calls for a map field (`HashMap` or `BTreeMap`).
pub mod map {
    use super::*;
    use std::collections::{BTreeMap, HashMap};
    use std::hash::Hash;

    /// A map type usable as a proto map field.
    pub trait ProtoMap<K, V>: Default {
        /// Encodes all entries.
        fn encode_map<KC: Codec<K>, VC: Codec<V>>(&self, tag: u32, buf: &mut impl BufMut);
        /// Length of [`ProtoMap::encode_map`].
        fn encoded_len_map<KC: Codec<K>, VC: Codec<V>>(&self, tag: u32) -> usize;
        /// Merges one entry.
        fn merge_map<KC: Codec<K>, VC: Codec<V>>(
            &mut self,
            buf: &mut impl Buf,
            ctx: DecodeContext,
        ) -> Result<(), DecodeError>;
        /// Inserts one entry (JSON).
        fn insert_entry(&mut self, k: K, v: V);
        /// Visits the entries (JSON).
        fn for_each_entry(&self, f: impl FnMut(&K, &V));
        /// Number of entries.
        fn entry_count(&self) -> usize;
    }

    macro_rules! proto_map {
        ($map:ident, $module:ident, $($bound:tt)*) => {
            impl<K: Default + Eq + Hash + Ord $($bound)*, V: Default + PartialEq> ProtoMap<K, V> for $map<K, V> {
                fn encode_map<KC: Codec<K>, VC: Codec<V>>(&self, tag: u32, buf: &mut impl BufMut) {
                    prost::encoding::$module::encode(
                        |t, k, b| KC::encode(t, k, b),
                        |t, k| KC::encoded_len(t, k),
                        |t, v, b| VC::encode(t, v, b),
                        |t, v| VC::encoded_len(t, v),
                        tag,
                        self,
                        buf,
                    )
                }
                fn encoded_len_map<KC: Codec<K>, VC: Codec<V>>(&self, tag: u32) -> usize {
                    prost::encoding::$module::encoded_len(
                        |t, k| KC::encoded_len(t, k),
                        |t, v| VC::encoded_len(t, v),
                        tag,
                        self,
                    )
                }
                fn merge_map<KC: Codec<K>, VC: Codec<V>>(
                    &mut self,
                    buf: &mut impl Buf,
                    ctx: DecodeContext,
                ) -> Result<(), DecodeError> {
                    prost::encoding::$module::merge(
                        |wt, k, b, c| KC::merge(wt, k, b, c),
                        |wt, v, b, c| VC::merge(wt, v, b, c),
                        self,
                        buf,
                        ctx,
                    )
                }
                fn insert_entry(&mut self, k: K, v: V) {
                    self.insert(k, v);
                }
                fn for_each_entry(&self, mut f: impl FnMut(&K, &V)) {
                    for (k, v) in self {
                        f(k, v)
                    }
                }
                fn entry_count(&self) -> usize {
                    self.len()
                }
            }
        };
    }
    proto_map!(HashMap, hash_map,);
    proto_map!(BTreeMap, btree_map,);

    /// Encodes a map field.
    #[inline]
    pub fn encode<KC: Codec<K>, K, VC: Codec<V>, V, M: ProtoMap<K, V>>(tag: u32, m: &M, buf: &mut impl BufMut) {
        m.encode_map::<KC, VC>(tag, buf)
    }
    /// Length of [`encode`].
    #[inline]
    pub fn encoded_len<KC: Codec<K>, K, VC: Codec<V>, V, M: ProtoMap<K, V>>(tag: u32, m: &M) -> usize {
        m.encoded_len_map::<KC, VC>(tag)
    }
    /// Merges one entry.
    #[inline]
    pub fn merge<KC: Codec<K>, K, VC: Codec<V>, V, M: ProtoMap<K, V>>(
        wt: WireType,
        m: &mut M,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        prost::encoding::check_wire_type(WireType::LengthDelimited, wt)?;
        m.merge_map::<KC, VC>(buf, ctx)
    }
}

/// Merges a field with a mismatched or unknown tag, naming the field on error.
#[doc(hidden)]
pub fn field_error(mut e: DecodeError, message: &'static str, field: &'static str) -> DecodeError {
    e.push(message, field);
    e
}
