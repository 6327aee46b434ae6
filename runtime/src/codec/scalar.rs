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

/// A varint, the common case inline: the whole varint in the buffer's
/// current chunk.
///
/// Why not prost's `decode_varint` alone: it does the same work, but it is
/// compiled once for the whole program and, with many message types
/// calling it, its multi-byte path stays a call of its own (about 30
/// instructions a message on a bidirectional echo of small messages with
/// one number each). Anything else (a varint split across chunks, a
/// truncated or overlong one) goes to prost's, which also makes the errors.
#[inline(always)]
fn varint(buf: &mut impl Buf) -> Result<u64, DecodeError> {
    let bytes = buf.chunk();
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().take(10).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            // The tenth byte may carry one bit only (prost says why not).
            if i == 9 && byte > 1 {
                break;
            }
            buf.advance(i + 1);
            return Ok(value);
        }
    }
    pe::decode_varint(buf)
}

macro_rules! numeric {
    (@merge $module:ident, $ty:ty, $wt:ident, $v:ident, $buf:ident, $ctx:ident) => {
        pe::$module::merge($wt, $v, $buf, $ctx)
    };
    // The plain varints (prost's `as` conversions from the u64 read).
    (@merge $module:ident, $ty:ty, $wt:ident, $v:ident, $buf:ident, $ctx:ident, varint) => {{
        let _ = $ctx;
        pe::check_wire_type(WireType::Varint, $wt)?;
        *$v = varint($buf)? as $ty;
        Ok(())
    }};
    ($(#[$doc:meta])* $codec:ident, $ty:ty, $module:ident, $ptype:ident, $ser:ident $(, $varint:ident)?) => {
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
                numeric!(@merge $module, $ty, wt, v, buf, ctx $(, $varint)?)
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
    Int32, i32, int32, Int32, ser_number, varint);
numeric!(/// `int64` (varint); JSON as a string.
    Int64, i64, int64, Int64, ser_string_number, varint);
numeric!(/// `uint32` (varint).
    UInt32, u32, uint32, Uint32, ser_number, varint);
numeric!(/// `uint64` (varint); JSON as a string.
    UInt64, u64, uint64, Uint64, ser_string_number, varint);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Both decoders on `bytes`, whole and split at every point: the same
    /// value (or an error from both) and the same bytes left.
    fn same_as_prost(bytes: &[u8]) {
        let mut ours = bytes;
        let mut theirs = bytes;
        let got = varint(&mut ours).map_err(|e| e.to_string());
        let want = pe::decode_varint(&mut theirs).map_err(|e| e.to_string());
        assert_eq!(got, want, "{bytes:02x?}");
        if want.is_ok() {
            assert_eq!(ours.len(), theirs.len(), "{bytes:02x?}");
        }
        for split in 0..=bytes.len() {
            let (a, b) = bytes.split_at(split);
            let mut chained = a.chain(b);
            let got = varint(&mut chained).map_err(|e| e.to_string());
            assert_eq!(got, want, "{bytes:02x?} split at {split}");
            if want.is_ok() {
                assert_eq!(chained.remaining(), theirs.len(), "{bytes:02x?} split at {split}");
            }
        }
    }

    #[test]
    fn the_inline_varint_reads_what_prost_reads_and_leaves_its_errors_to_prost() {
        let mut values = vec![0, 1, 127, 128, 300, 16_383, 16_384, u64::from(u32::MAX), i64::MAX as u64, u64::MAX];
        values.extend((0..64).map(|bit| 1u64 << bit));
        values.extend((1..64).map(|bit| (1u64 << bit) - 1));
        for value in values {
            let mut bytes = Vec::new();
            pe::encode_varint(value, &mut bytes);
            same_as_prost(&bytes);
            // With a next field after it.
            bytes.extend_from_slice(&[0x08, 0x01]);
            same_as_prost(&bytes);
        }
        // Empty, truncated, an eleventh byte, a tenth byte over one bit.
        same_as_prost(&[]);
        same_as_prost(&[0x80]);
        same_as_prost(&[0xff; 9]);
        same_as_prost(&[0xff; 11]);
        same_as_prost(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]);
        same_as_prost(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    }

    #[test]
    fn the_plain_varint_codecs_convert_as_prost_does() {
        fn both<T: Default + PartialEq + std::fmt::Debug, C: Codec<T>>(
            value: u64,
            prost: impl Fn(WireType, &mut T, &mut &[u8], DecodeContext) -> Result<(), DecodeError>,
        ) {
            let mut bytes = Vec::new();
            pe::encode_varint(value, &mut bytes);
            let (mut ours, mut theirs) = (T::default(), T::default());
            C::merge(WireType::Varint, &mut ours, &mut bytes.as_slice(), DecodeContext::default()).unwrap();
            prost(WireType::Varint, &mut theirs, &mut bytes.as_slice(), DecodeContext::default()).unwrap();
            assert_eq!(ours, theirs, "{value}");
            assert!(C::merge(WireType::LengthDelimited, &mut ours, &mut bytes.as_slice(), DecodeContext::default())
                .is_err());
        }
        for value in [0, 1, 300, u64::from(u32::MAX), u64::from(u32::MAX) + 5, (-1i64) as u64, u64::MAX] {
            both::<i32, Int32>(value, |w, v, b, c| pe::int32::merge(w, v, b, c));
            both::<i64, Int64>(value, |w, v, b, c| pe::int64::merge(w, v, b, c));
            both::<u32, UInt32>(value, |w, v, b, c| pe::uint32::merge(w, v, b, c));
            both::<u64, UInt64>(value, |w, v, b, c| pe::uint64::merge(w, v, b, c));
        }
    }
}
