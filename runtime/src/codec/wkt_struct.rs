//! `google.protobuf.Struct`, `Value`, `ListValue` and `NullValue`: JSON as
//! a message, each written as the JSON it holds.

use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap as _, SerializeSeq as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use std::fmt;

use bytes::{Buf, BufMut};
use prost::encoding::{self as pe, DecodeContext, WireType};
use prost::DecodeError;

use super::wkt::WellKnown;
use super::{Codec, ProtoType};
use crate::schema::{SchemaBuilder, TypeRef};
use crate::types::{ListValue, NullValue, Struct, Value, ValueKind};

impl ProtoType for Struct {
    type Codec = WellKnown;
}

impl Codec<Struct> for WellKnown {
    wkt_message!(Struct, "google.protobuf.Struct", "google/protobuf/struct.proto");
    not_a_param!(Struct, "google.protobuf.Struct");
    fn serialize<S: Serializer>(v: &Struct, s: S) -> Result<S::Ok, S::Error> {
        JsonStruct(v).serialize(s)
    }
    fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Struct, D::Error> {
        let kind = d.deserialize_any(ValueVisitor)?.kind;
        of_kind(kind, |k| if let ValueKind::StructValue(s) = k { Some(s) } else { None }, "a JSON object")
            .map_err(|what| D::Error::custom(format!("a google.protobuf.Struct is {what}")))
    }
}

impl ProtoType for Value {
    type Codec = WellKnown;
}

impl Codec<Value> for WellKnown {
    wkt_message!(Value, "google.protobuf.Value", "google/protobuf/struct.proto");
    not_a_param!(Value, "google.protobuf.Value");
    fn serialize<S: Serializer>(v: &Value, s: S) -> Result<S::Ok, S::Error> {
        JsonValue(v).serialize(s)
    }
    /// Any JSON value; `null` is a `Value` holding `NullValue` (in a
    /// singular field: an `Option<Value>` reads `null` as absent).
    fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

impl ProtoType for ListValue {
    type Codec = WellKnown;
}

impl Codec<ListValue> for WellKnown {
    wkt_message!(ListValue, "google.protobuf.ListValue", "google/protobuf/struct.proto");
    not_a_param!(ListValue, "google.protobuf.ListValue");
    fn serialize<S: Serializer>(v: &ListValue, s: S) -> Result<S::Ok, S::Error> {
        JsonList(v).serialize(s)
    }
    fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ListValue, D::Error> {
        let kind = d.deserialize_any(ValueVisitor)?.kind;
        of_kind(kind, |k| if let ValueKind::ListValue(l) = k { Some(l) } else { None }, "a JSON array")
            .map_err(|what| D::Error::custom(format!("a google.protobuf.ListValue is {what}")))
    }
}

/// The `Struct` or `ListValue` a JSON value read as a `Value` holds (`pick`),
/// the default for `null`, or `Err(what)` for any other JSON.
fn of_kind<T: Default>(
    kind: Option<ValueKind>,
    pick: impl FnOnce(ValueKind) -> Option<T>,
    what: &'static str,
) -> Result<T, &'static str> {
    match kind {
        Some(ValueKind::NullValue(_)) | None => Ok(T::default()),
        Some(k) => pick(k).ok_or(what),
    }
}

impl ProtoType for NullValue {
    type Codec = WellKnown;
}

/// `google.protobuf.NullValue`: an enum of one value, `null` in JSON.
impl Codec<NullValue> for WellKnown {
    const PACKED: bool = true;
    fn describe(_: &mut SchemaBuilder) -> TypeRef {
        TypeRef::well_known_enum("google.protobuf.NullValue", "google/protobuf/struct.proto")
    }
    fn encode(tag: u32, v: &NullValue, buf: &mut impl BufMut) {
        pe::int32::encode(tag, &(*v as i32), buf)
    }
    fn encoded_len(tag: u32, v: &NullValue) -> usize {
        pe::int32::encoded_len(tag, &(*v as i32))
    }
    fn merge(wt: WireType, v: &mut NullValue, buf: &mut impl Buf, ctx: DecodeContext) -> Result<(), DecodeError> {
        // Its only value is 0; any other number reads as it too (an open enum).
        let mut n = 0i32;
        pe::int32::merge(wt, &mut n, buf, ctx)?;
        *v = NullValue::NullValue;
        Ok(())
    }
    fn is_default(_: &NullValue) -> bool {
        true
    }
    fn serialize<S: Serializer>(_: &NullValue, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
    fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NullValue, D::Error> {
        let v = Option::<serde_json::Value>::deserialize(d)?;
        match v {
            None | Some(serde_json::Value::Null) => Ok(NullValue::NullValue),
            Some(serde_json::Value::String(s)) if s == "NULL_VALUE" => Ok(NullValue::NullValue),
            Some(serde_json::Value::Number(n)) if n.as_i64() == Some(0) => Ok(NullValue::NullValue),
            Some(other) => Err(D::Error::custom(format!("`{other}` is not a google.protobuf.NullValue (null)"))),
        }
    }
    fn parse_param(s: &str) -> Result<NullValue, String> {
        match s {
            "NULL_VALUE" | "0" | "null" => Ok(NullValue::NullValue),
            _ => Err(format!("`{s}` is not a google.protobuf.NullValue")),
        }
    }
    fn format_param(_: &NullValue, out: &mut String) {
        out.push_str("NULL_VALUE")
    }
}

/// A `Value` written as the JSON it holds.
struct JsonValue<'a>(&'a Value);

impl Serialize for JsonValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0.kind {
            None | Some(ValueKind::NullValue(_)) => s.serialize_unit(),
            Some(ValueKind::NumberValue(n)) if n.is_finite() => s.serialize_f64(*n),
            Some(ValueKind::NumberValue(n)) => {
                Err(serde::ser::Error::custom(format!("a google.protobuf.Value cannot hold {n} in JSON")))
            }
            Some(ValueKind::StringValue(v)) => s.serialize_str(v),
            Some(ValueKind::BoolValue(b)) => s.serialize_bool(*b),
            Some(ValueKind::StructValue(v)) => JsonStruct(v).serialize(s),
            Some(ValueKind::ListValue(v)) => JsonList(v).serialize(s),
        }
    }
}

/// A `Value` inside a `Struct` or `ListValue` must hold something: one with
/// no kind set has no JSON form (it would read back as a null), as in
/// protobuf's own JSON printers. (A `Value` field left at its default is
/// written as `null`, as a field it is no different from one holding null.)
fn set<E: serde::ser::Error>(v: &Value) -> Result<&Value, E> {
    if v.kind.is_none() {
        return Err(E::custom("a google.protobuf.Value in a Struct or ListValue has no kind set"));
    }
    Ok(v)
}

struct JsonStruct<'a>(&'a Struct);

impl Serialize for JsonStruct<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.fields.len()))?;
        for (k, v) in &self.0.fields {
            map.serialize_entry(k, &JsonValue(set(v)?))?;
        }
        map.end()
    }
}

struct JsonList<'a>(&'a ListValue);

impl Serialize for JsonList<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.values.len()))?;
        for v in &self.0.values {
            seq.serialize_element(&JsonValue(set(v)?))?;
        }
        seq.end()
    }
}

/// Reads any JSON value into a `Value`.
struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        Ok(Value { kind: Some(ValueKind::NullValue(NullValue::NullValue as i32)) })
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v as f64))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v as f64))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut values = Vec::new();
        while let Some(v) = seq.next_element_seed(ValueSeed)? {
            values.push(v);
        }
        Ok(Value { kind: Some(ValueKind::ListValue(ListValue { values })) })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields = std::collections::BTreeMap::new();
        while let Some(k) = map.next_key::<String>()? {
            fields.insert(k, map.next_value_seed(ValueSeed)?);
        }
        Ok(Value { kind: Some(ValueKind::StructValue(Struct { fields })) })
    }
}

struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

/// A `serde_json::Value` as a `google.protobuf.Value` (numbers become
/// doubles).
///
/// ```
/// let v = bia::codec::value_from_json(serde_json::json!({"tier": "gold", "n": [1, true, null]}));
/// assert_eq!(bia::codec::value_to_json(&v).unwrap(), serde_json::json!({"tier": "gold", "n": [1.0, true, null]}));
/// ```
pub fn value_from_json(v: serde_json::Value) -> Value {
    // serde_json::Value reads infallibly into any visitor of its kinds.
    v.deserialize_any(ValueVisitor).unwrap_or_default()
}

/// A `google.protobuf.Value` as a `serde_json::Value`; an error for a number
/// JSON cannot hold (NaN, infinity).
pub fn value_to_json(v: &Value) -> Result<serde_json::Value, String> {
    serde_json::to_value(JsonValue(v)).map_err(|e| e.to_string())
}
