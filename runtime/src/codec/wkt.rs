//! The well-known `google.protobuf.Timestamp` and `google.protobuf.Duration`:
//! messages on the wire, RFC 3339 text and `"1.5s"` in JSON, paths and queries.

use std::str::FromStr;

use bytes::{Buf, BufMut};
use prost::encoding::{self as pe, DecodeContext, WireType};
use prost::DecodeError;
use serde::de::Error as _;
use serde::{Deserializer, Serializer};

use super::json::deserialize_string;
use super::{Codec, ProtoType, QueryWriter};
use crate::schema::{SchemaBuilder, TypeRef};
use crate::types::{Duration, Timestamp};

/// The codec of `Timestamp` and `Duration` fields.
#[derive(Debug, Clone, Copy, Default)]
pub struct WellKnown;

macro_rules! wkt {
    ($ty:ty, $full:literal, $file:literal, $what:literal) => {
        impl ProtoType for $ty {
            type Codec = WellKnown;
        }

        impl Codec<$ty> for WellKnown {
            const IS_MESSAGE: bool = true;
            fn describe(_: &mut SchemaBuilder) -> TypeRef {
                TypeRef::well_known($full, $file)
            }
            #[inline]
            fn encode(tag: u32, v: &$ty, buf: &mut impl BufMut) {
                pe::message::encode(tag, v, buf)
            }
            #[inline]
            fn encoded_len(tag: u32, v: &$ty) -> usize {
                pe::message::encoded_len(tag, v)
            }
            #[inline]
            fn merge(wt: WireType, v: &mut $ty, buf: &mut impl Buf, ctx: DecodeContext) -> Result<(), DecodeError> {
                pe::message::merge(wt, v, buf, ctx)
            }
            fn is_default(_: &$ty) -> bool {
                false
            }
            fn serialize<S: Serializer>(v: &$ty, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(v)
            }
            fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                let s = deserialize_string(d)?;
                if s.is_empty() {
                    return Ok(<$ty>::default());
                }
                <Self as Codec<$ty>>::parse_param(&s).map_err(D::Error::custom)
            }
            fn parse_param(s: &str) -> Result<$ty, String> {
                <$ty>::from_str(s).map_err(|e| format!("invalid {} `{}`: {}", $what, s, e))
            }
            fn format_param(v: &$ty, out: &mut String) {
                out.push_str(&v.to_string())
            }
            fn query_nested(v: &$ty, prefix: &str, _skip: &[&str], q: &mut QueryWriter) {
                q.pair(prefix, &v.to_string())
            }
        }
    };
}

wkt!(Timestamp, "google.protobuf.Timestamp", "google/protobuf/timestamp.proto", "timestamp (RFC 3339)");
wkt!(Duration, "google.protobuf.Duration", "google/protobuf/duration.proto", "duration (like \"1.5s\")");
