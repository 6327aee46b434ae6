//! Codecs of the proto scalars.
//!
//! The name of each codec is the proto type it writes; pick one with
//! `#[field(sint64)]` (and so on) on a field whose Rust type fits it.

use bytes::{Buf, BufMut};
use prost::encoding::{self as pe, DecodeContext, WireType};
use prost::DecodeError;
use prost_types::field_descriptor_proto::Type;
use serde::{Deserializer, Serializer};

use super::json::{self, Num};
use super::{Codec, ProtoType};
use crate::schema::{SchemaBuilder, TypeRef};

/// The proto3 default of a number: zero, and for floats only +0.0 (-0.0 is
/// a value of its own, sent like any other).
trait Zero {
    fn is_zero(&self) -> bool;
}

macro_rules! zero {
    (int: $($int:ty),*; float: $($float:ty),*) => {
        $(impl Zero for $int {
            #[inline]
            fn is_zero(&self) -> bool {
                *self == 0
            }
        })*
        $(impl Zero for $float {
            #[inline]
            fn is_zero(&self) -> bool {
                self.to_bits() == 0
            }
        })*
    };
}

zero!(int: i32, i64, u32, u64; float: f32, f64);

macro_rules! numeric {
    ($(#[$doc:meta])* $codec:ident, $ty:ty, $module:ident, $ptype:ident, $ser:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $codec;

        impl Codec<$ty> for $codec {
            const PACKED: bool = true;
            fn describe(_: &mut SchemaBuilder) -> TypeRef {
                TypeRef::scalar(Type::$ptype)
            }
            #[inline]
            fn encode(tag: u32, v: &$ty, buf: &mut impl BufMut) {
                pe::$module::encode(tag, v, buf)
            }
            #[inline]
            fn encoded_len(tag: u32, v: &$ty) -> usize {
                pe::$module::encoded_len(tag, v)
            }
            #[inline]
            fn merge(wt: WireType, v: &mut $ty, buf: &mut impl Buf, ctx: DecodeContext) -> Result<(), DecodeError> {
                pe::$module::merge(wt, v, buf, ctx)
            }
            #[inline]
            fn is_default(v: &$ty) -> bool {
                Zero::is_zero(v)
            }
            #[inline]
            fn encode_repeated(tag: u32, vs: &[$ty], buf: &mut impl BufMut) {
                pe::$module::encode_packed(tag, vs, buf)
            }
            #[inline]
            fn encoded_len_repeated(tag: u32, vs: &[$ty]) -> usize {
                pe::$module::encoded_len_packed(tag, vs)
            }
            #[inline]
            fn merge_repeated(wt: WireType, vs: &mut Vec<$ty>, buf: &mut impl Buf, ctx: DecodeContext) -> Result<(), DecodeError> {
                pe::$module::merge_repeated(wt, vs, buf, ctx)
            }
            #[inline]
            fn serialize<S: Serializer>(v: &$ty, s: S) -> Result<S::Ok, S::Error> {
                json::$ser(*v, s)
            }
            #[inline]
            fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                json::deserialize_num::<$ty, D>(d)
            }
            fn parse_param(s: &str) -> Result<$ty, String> {
                <$ty as Num>::parse(s)
            }
            fn format_param(v: &$ty, out: &mut String) {
                <$ty as Num>::format(*v, out)
            }
        }
    };
}

numeric!(/// `int32` (varint; negative values take 10 bytes).
    Int32, i32, int32, Int32, ser_number);
numeric!(/// `int64` (varint); JSON as a string.
    Int64, i64, int64, Int64, ser_string_number);
numeric!(/// `uint32` (varint).
    UInt32, u32, uint32, Uint32, ser_number);
numeric!(/// `uint64` (varint); JSON as a string.
    UInt64, u64, uint64, Uint64, ser_string_number);
numeric!(/// `sint32` (zigzag varint, compact for negative values).
    SInt32, i32, sint32, Sint32, ser_number);
numeric!(/// `sint64` (zigzag varint); JSON as a string.
    SInt64, i64, sint64, Sint64, ser_string_number);
numeric!(/// `fixed32` (always 4 bytes).
    Fixed32, u32, fixed32, Fixed32, ser_number);
numeric!(/// `fixed64` (always 8 bytes); JSON as a string.
    Fixed64, u64, fixed64, Fixed64, ser_string_number);
numeric!(/// `sfixed32` (always 4 bytes).
    SFixed32, i32, sfixed32, Sfixed32, ser_number);
numeric!(/// `sfixed64` (always 8 bytes); JSON as a string.
    SFixed64, i64, sfixed64, Sfixed64, ser_string_number);
numeric!(/// `float`; JSON `NaN`, `Infinity`, `-Infinity` as strings.
    Float, f32, float, Float, ser_float);
numeric!(/// `double`; JSON `NaN`, `Infinity`, `-Infinity` as strings.
    Double, f64, double, Double, ser_float);

/// `bool`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bool;

impl Codec<bool> for Bool {
    const PACKED: bool = true;
    fn describe(_: &mut SchemaBuilder) -> TypeRef {
        TypeRef::scalar(Type::Bool)
    }
    #[inline]
    fn encode(tag: u32, v: &bool, buf: &mut impl BufMut) {
        pe::bool::encode(tag, v, buf)
    }
    #[inline]
    fn encoded_len(tag: u32, v: &bool) -> usize {
        pe::bool::encoded_len(tag, v)
    }
    #[inline]
    fn merge(wt: WireType, v: &mut bool, buf: &mut impl Buf, ctx: DecodeContext) -> Result<(), DecodeError> {
        pe::bool::merge(wt, v, buf, ctx)
    }
    #[inline]
    fn is_default(v: &bool) -> bool {
        !*v
    }
    fn encode_repeated(tag: u32, vs: &[bool], buf: &mut impl BufMut) {
        pe::bool::encode_packed(tag, vs, buf)
    }
    fn encoded_len_repeated(tag: u32, vs: &[bool]) -> usize {
        pe::bool::encoded_len_packed(tag, vs)
    }
    fn merge_repeated(
        wt: WireType,
        vs: &mut Vec<bool>,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        pe::bool::merge_repeated(wt, vs, buf, ctx)
    }
    fn serialize<S: Serializer>(v: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(*v)
    }
    fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        json::deserialize_bool(d)
    }
    fn parse_param(s: &str) -> Result<bool, String> {
        match s {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(format!("invalid bool `{s}`, expected true or false")),
        }
    }
    fn format_param(v: &bool, out: &mut String) {
        out.push_str(if *v { "true" } else { "false" })
    }
}

/// `string` (UTF-8 is checked on decode).
#[derive(Debug, Clone, Copy, Default)]
pub struct Str;

impl Codec<String> for Str {
    fn describe(_: &mut SchemaBuilder) -> TypeRef {
        TypeRef::scalar(Type::String)
    }
    #[inline]
    fn encode(tag: u32, v: &String, buf: &mut impl BufMut) {
        pe::string::encode(tag, v, buf)
    }
    #[inline]
    fn encoded_len(tag: u32, v: &String) -> usize {
        pe::string::encoded_len(tag, v)
    }
    #[inline]
    fn merge(wt: WireType, v: &mut String, buf: &mut impl Buf, ctx: DecodeContext) -> Result<(), DecodeError> {
        pe::string::merge(wt, v, buf, ctx)
    }
    #[inline]
    fn is_default(v: &String) -> bool {
        v.is_empty()
    }
    #[inline]
    fn serialize<S: Serializer>(v: &String, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v)
    }
    #[inline]
    fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        json::deserialize_string(d)
    }
    fn parse_param(s: &str) -> Result<String, String> {
        Ok(s.to_owned())
    }
    fn format_param(v: &String, out: &mut String) {
        out.push_str(v)
    }
}

/// `bytes` as `Vec<u8>` or [`bytes::Bytes`]; JSON as standard base64 (URL-safe
/// and unpadded input is accepted).
#[derive(Debug, Clone, Copy, Default)]
pub struct BytesCodec;

macro_rules! bytes_codec {
    ($ty:ty, $from:expr) => {
        impl Codec<$ty> for BytesCodec {
            fn describe(_: &mut SchemaBuilder) -> TypeRef {
                TypeRef::scalar(Type::Bytes)
            }
            #[inline]
            fn encode(tag: u32, v: &$ty, buf: &mut impl BufMut) {
                pe::bytes::encode(tag, v, buf)
            }
            #[inline]
            fn encoded_len(tag: u32, v: &$ty) -> usize {
                pe::key_len(tag) + pe::encoded_len_varint(v.len() as u64) + v.len()
            }
            #[inline]
            fn merge(wt: WireType, v: &mut $ty, buf: &mut impl Buf, ctx: DecodeContext) -> Result<(), DecodeError> {
                pe::bytes::merge(wt, v, buf, ctx)
            }
            #[inline]
            fn is_default(v: &$ty) -> bool {
                v.is_empty()
            }
            fn serialize<S: Serializer>(v: &$ty, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&json::base64_encode(v))
            }
            fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                let v: Vec<u8> = json::deserialize_bytes(d)?;
                Ok($from(v))
            }
            fn parse_param(s: &str) -> Result<$ty, String> {
                json::base64_decode(s).map($from)
            }
            fn format_param(v: &$ty, out: &mut String) {
                out.push_str(&json::base64_encode(v))
            }
        }
    };
}
bytes_codec!(Vec<u8>, |v: Vec<u8>| v);
bytes_codec!(bytes::Bytes, bytes::Bytes::from);

macro_rules! default_codec {
    ($($ty:ty => $codec:ty),* $(,)?) => {
        $(impl ProtoType for $ty { type Codec = $codec; })*
    };
}
default_codec! {
    i32 => Int32, i64 => Int64, u32 => UInt32, u64 => UInt64,
    f32 => Float, f64 => Double, bool => Bool, String => Str,
    Vec<u8> => BytesCodec, bytes::Bytes => BytesCodec,
}
