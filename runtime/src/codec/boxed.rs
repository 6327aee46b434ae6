//! `Box<T>` fields: the value on the heap, so that a message can contain
//! itself (`Option<Box<Node>>`, or `Box<T>` in a cycle of messages).
//! On the wire and in JSON a boxed value is exactly the value.

use std::marker::PhantomData;

use bytes::{Buf, BufMut};
use prost::encoding::{DecodeContext, WireType};
use prost::DecodeError;
use serde::{Deserializer, Serializer};

use super::{Codec, FieldMeta, ProtoType, QueryWriter};
use crate::schema::{SchemaBuilder, TypeRef};

/// The codec of a `Box<T>` field: `C`, the codec of `T`, through the box.
#[derive(Debug, Clone, Copy, Default)]
pub struct Boxed<C>(PhantomData<C>);

impl<T: ProtoType> ProtoType for Box<T> {
    type Codec = Boxed<T::Codec>;
}

impl<T, C: Codec<T>> Codec<Box<T>> for Boxed<C> {
    const IS_MESSAGE: bool = C::IS_MESSAGE;
    /// Nothing below a box for the compile-time path checks: a box is how a
    /// message reaches itself, and a constant that names itself is a cycle
    /// rustc rejects. (A path through a boxed field is still bound at run
    /// time; only the check at compile time stops there.)
    const NESTED: &'static [FieldMeta] = &[];
    const PATH_VALUE: bool = C::PATH_VALUE;

    fn describe(b: &mut SchemaBuilder) -> TypeRef {
        C::describe(b)
    }
    #[inline]
    fn encode(tag: u32, v: &Box<T>, buf: &mut impl BufMut) {
        C::encode(tag, v, buf)
    }
    #[inline]
    fn encoded_len(tag: u32, v: &Box<T>) -> usize {
        C::encoded_len(tag, v)
    }
    #[inline]
    fn merge(wt: WireType, v: &mut Box<T>, buf: &mut impl Buf, ctx: DecodeContext) -> Result<(), DecodeError> {
        C::merge(wt, v, buf, ctx)
    }
    #[inline]
    fn is_default(v: &Box<T>) -> bool {
        C::is_default(v)
    }
    fn serialize<S: Serializer>(v: &Box<T>, s: S) -> Result<S::Ok, S::Error> {
        C::serialize(v, s)
    }
    fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Box<T>, D::Error> {
        C::deserialize(d).map(Box::new)
    }
    fn parse_param(s: &str) -> Result<Box<T>, String> {
        C::parse_param(s).map(Box::new)
    }
    fn format_param(v: &Box<T>, out: &mut String) {
        C::format_param(v, out)
    }
    fn bind_nested(v: &mut Box<T>, key: &str, value: &str) -> Result<bool, String> {
        C::bind_nested(v, key, value)
    }
    fn param_nested(v: &Box<T>, key: &str) -> Option<String> {
        C::param_nested(v, key)
    }
    fn query_nested(v: &Box<T>, prefix: &str, skip: &[&str], q: &mut QueryWriter) {
        C::query_nested(v, prefix, skip, q)
    }
}
