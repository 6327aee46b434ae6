//! The well-known `google.protobuf` types of [`crate::types`]: messages on
//! the wire (through prost), each in its own proto3 JSON form, paths and
//! queries where one value can hold them.

use std::fmt;
use std::str::FromStr;

use bytes::{Buf, BufMut};
use prost::encoding::{self as pe, DecodeContext, WireType};
use prost::DecodeError;
use serde::de::{Error as _, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::json::deserialize_string;
use super::{Codec, FieldMeta, Message, ProtoType, QueryWriter};
use crate::schema::{SchemaBuilder, TypeRef};
use crate::types::{
    BoolValue, BytesValue, DoubleValue, Duration, Empty, FieldMask, FloatValue, Int32Value, Int64Value, StringValue,
    Timestamp, UInt32Value, UInt64Value,
};

/// The codec of the well-known types' fields.
#[derive(Debug, Clone, Copy, Default)]
pub struct WellKnown;

macro_rules! wkt {
    ($ty:ty, $full:literal, $file:literal, $what:literal, $valid:path) => {
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
                $valid(v).map_err(serde::ser::Error::custom)?;
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

wkt!(
    Timestamp,
    "google.protobuf.Timestamp",
    "google/protobuf/timestamp.proto",
    "timestamp (RFC 3339)",
    timestamp_valid
);
wkt!(
    Duration,
    "google.protobuf.Duration",
    "google/protobuf/duration.proto",
    "duration (like \"1.5s\")",
    duration_valid
);

/// A `Timestamp` the JSON form can hold: nanos in `0..1e9` (prost's printer
/// would carry the rest into the seconds, so that the value read back
/// differs: found by the fuzzer) and a date from year 1 to 9999, as the
/// type's own definition says.
fn timestamp_valid(t: &Timestamp) -> Result<(), String> {
    if !(0..1_000_000_000).contains(&t.nanos) {
        return Err(format!("a google.protobuf.Timestamp with nanos {} has no JSON form", t.nanos));
    }
    if !(-62_135_596_800..=253_402_300_799).contains(&t.seconds) {
        return Err(format!("a google.protobuf.Timestamp of second {} is outside years 1 to 9999", t.seconds));
    }
    Ok(())
}

/// A `Duration` the JSON form can hold: nanos within a second and of the
/// seconds' sign, at most 10,000 years (the type's own definition; prost's
/// printer would normalise anything else into a different value: found by
/// the fuzzer, fuzz/regressions/protobuf).
fn duration_valid(d: &Duration) -> Result<(), String> {
    let same_sign = d.seconds == 0 || d.nanos == 0 || (d.seconds < 0) == (d.nanos < 0);
    if d.nanos.unsigned_abs() >= 1_000_000_000 || !same_sign {
        return Err(format!(
            "a google.protobuf.Duration of {}s and {}ns has no JSON form (nanos must be within a second and of the seconds' sign)",
            d.seconds, d.nanos
        ));
    }
    if d.seconds.unsigned_abs() > 315_576_000_000 {
        return Err(format!("a google.protobuf.Duration of {}s is longer than 10,000 years", d.seconds));
    }
    Ok(())
}

/// What every well-known message shares: protobuf through prost, presence
/// like any message, and its schema entry.
macro_rules! wkt_message {
    ($ty:ty, $full:expr, $file:literal) => {
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
    };
}

/// Well-known types that no single path or query value can hold.
macro_rules! not_a_param {
    ($ty:ty, $full:literal) => {
        const PATH_VALUE: bool = false;
        fn parse_param(_: &str) -> Result<$ty, String> {
            Err(format!("a {} cannot be read from a single value", $full))
        }
        fn format_param(_: &$ty, _: &mut String) {}
    };
}

// --- Empty -----------------------------------------------------------------

impl ProtoType for Empty {
    type Codec = WellKnown;
}

impl Codec<Empty> for WellKnown {
    wkt_message!(Empty, "google.protobuf.Empty", "google/protobuf/empty.proto");
    not_a_param!(Empty, "google.protobuf.Empty");
    fn serialize<S: Serializer>(v: &Empty, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
    fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Empty, D::Error> {
        Option::<Empty>::deserialize(d).map(Option::unwrap_or_default)
    }
}

impl Serialize for Empty {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_map(Some(0))?.end()
    }
}

impl<'de> Deserialize<'de> for Empty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Empty;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object for google.protobuf.Empty")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Empty, A::Error> {
                // Unknown fields are ignored, as in every message.
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Empty {})
            }
        }
        d.deserialize_map(V)
    }
}

/// `google.protobuf.Empty` as a method's request or reply: a message with no
/// fields, defined by `google/protobuf/empty.proto`.
impl Message for Empty {
    const PACKAGE: &'static str = "google.protobuf";
    const NAME: &'static str = "Empty";
    const FULL_NAME: &'static str = "google.protobuf.Empty";
    const FIELDS: &'static [FieldMeta] = &[];

    fn describe(b: &mut SchemaBuilder) {
        b.add_well_known(Self::FULL_NAME, "google/protobuf/empty.proto");
    }
    fn bind_param(&mut self, _: &str, _: &str) -> Result<bool, String> {
        Ok(false)
    }
    fn param(&self, _: &str) -> Option<String> {
        None
    }
    fn write_query(&self, _: &str, _: &[&str], _: &mut QueryWriter) {}
    fn merge_json_field<'de, D: Deserializer<'de>>(&mut self, field: &str, _: D) -> Result<(), D::Error> {
        Err(D::Error::custom(format!("google.protobuf.Empty has no field `{field}`")))
    }
    fn serialize_json_field<S: Serializer>(&self, field: &str, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(format!("google.protobuf.Empty has no field `{field}`")))
    }
}

// --- the wrappers --------------------------------------------------------

macro_rules! wrapper {
    ($($ty:ident($inner:ty));* $(;)?) => {$(
        impl ProtoType for $ty {
            type Codec = WellKnown;
        }

        impl Codec<$ty> for WellKnown {
            wkt_message!($ty, concat!("google.protobuf.", stringify!($ty)), "google/protobuf/wrappers.proto");
            fn serialize<S: Serializer>(v: &$ty, s: S) -> Result<S::Ok, S::Error> {
                <<$inner as ProtoType>::Codec as Codec<$inner>>::serialize(&v.value, s)
            }
            fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                <<$inner as ProtoType>::Codec as Codec<$inner>>::deserialize(d).map(<$ty>::from)
            }
            fn parse_param(s: &str) -> Result<$ty, String> {
                <<$inner as ProtoType>::Codec as Codec<$inner>>::parse_param(s).map(<$ty>::from)
            }
            fn format_param(v: &$ty, out: &mut String) {
                <<$inner as ProtoType>::Codec as Codec<$inner>>::format_param(&v.value, out)
            }
            fn query_nested(v: &$ty, prefix: &str, _skip: &[&str], q: &mut QueryWriter) {
                let mut s = String::new();
                Self::format_param(v, &mut s);
                q.pair(prefix, &s)
            }
        }
    )*};
}

wrapper! {
    DoubleValue(f64); FloatValue(f32); Int64Value(i64); UInt64Value(u64); Int32Value(i32);
    UInt32Value(u32); BoolValue(bool); StringValue(String); BytesValue(Vec<u8>);
}

// --- FieldMask -------------------------------------------------------------

impl ProtoType for FieldMask {
    type Codec = WellKnown;
}

impl Codec<FieldMask> for WellKnown {
    wkt_message!(FieldMask, "google.protobuf.FieldMask", "google/protobuf/field_mask.proto");
    fn serialize<S: Serializer>(v: &FieldMask, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&field_mask_to_json(v).map_err(serde::ser::Error::custom)?)
    }
    fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<FieldMask, D::Error> {
        let s = deserialize_string(d)?;
        Self::parse_param(&s).map_err(D::Error::custom)
    }
    /// Paths separated by commas, in lowerCamelCase (the JSON form) or as
    /// the proto names: `displayName,address.zip_code`.
    fn parse_param(s: &str) -> Result<FieldMask, String> {
        let paths = s.split(',').filter(|p| !p.is_empty()).map(camel_to_snake).collect();
        let mask = FieldMask { paths };
        // What has no JSON form is no field path (`a_`, `a__b`): refused
        // here rather than accepted and then impossible to write (found by
        // the fuzzer, fuzz/regressions/json).
        field_mask_to_json(&mask)?;
        Ok(mask)
    }
    fn format_param(v: &FieldMask, out: &mut String) {
        // A path with no JSON form (upper case) goes as it is.
        out.push_str(&field_mask_to_json(v).unwrap_or_else(|_| v.paths.join(",")))
    }
    fn query_nested(v: &FieldMask, prefix: &str, _skip: &[&str], q: &mut QueryWriter) {
        if !v.paths.is_empty() {
            let mut s = String::new();
            Self::format_param(v, &mut s);
            q.pair(prefix, &s)
        }
    }
}

/// The JSON form of a field mask: each path's segments in lowerCamelCase,
/// joined by commas. A path that has no such form (an upper-case letter, or
/// `_` not before a lower-case letter) is an error, as in protobuf's own
/// JSON printers; so is one whose form reads back as another path (empty,
/// with a comma, with spaces around it), as in Go's protojson.
fn field_mask_to_json(m: &FieldMask) -> Result<String, String> {
    let mut out = String::new();
    for (i, path) in m.paths.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let start = out.len();
        push_camel(path, &mut out)?;
        let json = &out[start..];
        if path.is_empty() || json.contains(',') || camel_to_snake(json) != *path {
            return Err(format!("field mask path {path:?} has no JSON form that reads back to it"));
        }
    }
    Ok(out)
}

/// `zip_code` -> `zipCode` onto `out`.
fn push_camel(path: &str, out: &mut String) -> Result<(), String> {
    let mut upper = false;
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            return Err(format!("field mask path `{path}` has no JSON form: it has an upper-case letter"));
        }
        if upper {
            if !c.is_ascii_lowercase() {
                return Err(format!(
                    "field mask path `{path}` has no JSON form: `_` must come before a lower-case letter"
                ));
            }
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else if c == '_' {
            upper = true;
        } else {
            out.push(c);
        }
    }
    if upper {
        return Err(format!("field mask path `{path}` has no JSON form: it ends with `_`"));
    }
    Ok(())
}

/// `zipCode` -> `zip_code`, segment by segment (proto names pass unchanged).
fn camel_to_snake(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 4);
    for c in path.trim().chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
