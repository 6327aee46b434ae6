//! `google.protobuf.Any`: a message of any type, with its type's URL.
//!
//! On the wire it is the URL and the message's bytes. Its JSON form names
//! the type and holds the message's own JSON: `{"@type":
//! "type.googleapis.com/pkg.Msg", "id": "7"}` (a well-known type whose JSON
//! is not an object goes under `"value"`). Writing or reading that form needs
//! the type: every `#[bia::message]` linked into the binary, and every
//! well-known type, is in the registry this module keeps.

use std::collections::HashMap;
use std::sync::OnceLock;

use bytes::{Buf, BufMut};
use prost::encoding::{self as pe, DecodeContext, WireType};
use prost::DecodeError;
use serde::de::Error as _;
use serde::ser::{Error as _, SerializeMap as _};
use serde::{Deserialize, Deserializer, Serializer};

use super::{Codec, Message, MessageCodec, ProtoType, QueryWriter, SingularSer, WellKnown};
use crate::schema::{SchemaBuilder, TypeRef};
use crate::types::{
    Any, BoolValue, BytesValue, DoubleValue, Duration, Empty, FieldMask, FloatValue, Int32Value, Int64Value, ListValue,
    StringValue, Struct, Timestamp, UInt32Value, UInt64Value, Value,
};

/// One type an `Any` can hold in JSON (generated code submits one per
/// message; not public API).
#[doc(hidden)]
pub struct AnyType {
    /// `package.Name`.
    pub full_name: &'static str,
    /// The message's bytes as its JSON.
    pub to_json: fn(&[u8]) -> Result<serde_json::Value, String>,
    /// The message's JSON as its bytes.
    pub from_json: fn(serde_json::Value) -> Result<Vec<u8>, String>,
    /// Its JSON is not an object: it goes under `"value"`.
    pub special: bool,
    /// The message's JSON text as its bytes: a bad text is a 400 `CODEC`
    /// naming the field (the Connect protocol's JSON requests).
    pub json_to_proto: fn(&[u8]) -> Result<Vec<u8>, crate::Error>,
    /// The message's bytes as its JSON text (the Connect protocol's JSON
    /// replies).
    pub proto_to_json: fn(&[u8]) -> Result<Vec<u8>, String>,
}

inventory::collect!(AnyType);

impl AnyType {
    /// The entry of a `#[bia::message]`.
    pub const fn message<M: Message>() -> Self {
        Self {
            full_name: M::FULL_NAME,
            to_json: to_json::<MessageCodec, M>,
            from_json: from_json::<MessageCodec, M>,
            special: false,
            json_to_proto: json_to_proto::<MessageCodec, M>,
            proto_to_json: proto_to_json::<MessageCodec, M>,
        }
    }
    const fn well_known<T: prost::Message + Default>(full_name: &'static str, special: bool) -> Self
    where
        WellKnown: Codec<T>,
    {
        Self {
            full_name,
            to_json: to_json::<WellKnown, T>,
            from_json: from_json::<WellKnown, T>,
            special,
            json_to_proto: json_to_proto::<WellKnown, T>,
            proto_to_json: proto_to_json::<WellKnown, T>,
        }
    }

    /// The type registered under `full_name` (`package.Name`), if any.
    pub(crate) fn find(full_name: &str) -> Option<&'static AnyType> {
        lookup(full_name).ok()
    }
}

fn to_json<C: Codec<T>, T: prost::Message + Default>(bytes: &[u8]) -> Result<serde_json::Value, String> {
    let v = T::decode(bytes).map_err(|e| e.to_string())?;
    serde_json::to_value(SingularSer::<C, T>(&v, std::marker::PhantomData)).map_err(|e| e.to_string())
}

fn from_json<C: Codec<T>, T: prost::Message + Default>(json: serde_json::Value) -> Result<Vec<u8>, String> {
    let v = C::deserialize(json).map_err(|e| e.to_string())?;
    Ok(v.encode_to_vec())
}

fn json_to_proto<C: Codec<T>, T: prost::Message + Default>(json: &[u8]) -> Result<Vec<u8>, crate::Error> {
    use super::{codec_error, json_error};
    // An empty body is the default message, as on the HTTP API.
    if json.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let mut de = serde_json::Deserializer::from_slice(json);
    let mut track = serde_path_to_error::Track::new();
    let v = C::deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track))
        .map_err(|e| json_error("", serde_path_to_error::Error::new(track.path(), e)))?;
    de.end().map_err(|e| codec_error("", format!("invalid JSON body: {e}")))?;
    Ok(v.encode_to_vec())
}

fn proto_to_json<C: Codec<T>, T: prost::Message + Default>(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let v = T::decode(bytes).map_err(|e| e.to_string())?;
    serde_json::to_vec(&SingularSer::<C, T>(&v, std::marker::PhantomData)).map_err(|e| e.to_string())
}

inventory::submit! { AnyType::well_known::<Empty>("google.protobuf.Empty", false) }
inventory::submit! { AnyType::well_known::<Timestamp>("google.protobuf.Timestamp", true) }
inventory::submit! { AnyType::well_known::<Duration>("google.protobuf.Duration", true) }
inventory::submit! { AnyType::well_known::<FieldMask>("google.protobuf.FieldMask", true) }
inventory::submit! { AnyType::well_known::<Struct>("google.protobuf.Struct", true) }
inventory::submit! { AnyType::well_known::<Value>("google.protobuf.Value", true) }
inventory::submit! { AnyType::well_known::<ListValue>("google.protobuf.ListValue", true) }
inventory::submit! { AnyType::well_known::<Any>("google.protobuf.Any", true) }
inventory::submit! { AnyType::well_known::<DoubleValue>("google.protobuf.DoubleValue", true) }
inventory::submit! { AnyType::well_known::<FloatValue>("google.protobuf.FloatValue", true) }
inventory::submit! { AnyType::well_known::<Int64Value>("google.protobuf.Int64Value", true) }
inventory::submit! { AnyType::well_known::<UInt64Value>("google.protobuf.UInt64Value", true) }
inventory::submit! { AnyType::well_known::<Int32Value>("google.protobuf.Int32Value", true) }
inventory::submit! { AnyType::well_known::<UInt32Value>("google.protobuf.UInt32Value", true) }
inventory::submit! { AnyType::well_known::<BoolValue>("google.protobuf.BoolValue", true) }
inventory::submit! { AnyType::well_known::<StringValue>("google.protobuf.StringValue", true) }
inventory::submit! { AnyType::well_known::<BytesValue>("google.protobuf.BytesValue", true) }

/// The registered type of a type URL (the name after its last `/`).
fn lookup(type_url: &str) -> Result<&'static AnyType, String> {
    static TYPES: OnceLock<HashMap<&'static str, &'static AnyType>> = OnceLock::new();
    let types = TYPES.get_or_init(|| inventory::iter::<AnyType>.into_iter().map(|t| (t.full_name, t)).collect());
    let name = type_url.rsplit('/').next().unwrap_or(type_url);
    types
        .get(name)
        .copied()
        .ok_or_else(|| format!("no message type `{name}` is linked into this binary (an Any's JSON needs its type)"))
}

/// Whether `full_name` names a type an `Any` can hold in JSON here.
///
/// ```
/// assert!(bia::codec::any_type_known("google.protobuf.Duration"));
/// assert!(!bia::codec::any_type_known("nowhere.v1.Missing"));
/// ```
pub fn any_type_known(full_name: &str) -> bool {
    lookup(full_name).is_ok()
}

/// The URL an `Any` of `M` carries: `type.googleapis.com/package.Name`.
///
/// ```
/// #[bia::message(package = "doc.v1")]
/// pub struct Note { pub text: String }
///
/// let any = bia::codec::pack(&Note { text: "hi".into() });
/// assert_eq!(any.type_url, "type.googleapis.com/doc.v1.Note");
/// assert_eq!(bia::codec::unpack::<Note>(&any).unwrap().text, "hi");
/// ```
pub fn type_url_of<M: Message>() -> String {
    format!("type.googleapis.com/{}", M::FULL_NAME)
}

/// Packs a message into an `Any`.
pub fn pack<M: Message>(m: &M) -> Any {
    Any { type_url: type_url_of::<M>(), value: m.encode_to_vec() }
}

/// Unpacks an `Any` holding an `M` (an error naming both types otherwise).
pub fn unpack<M: Message>(any: &Any) -> Result<M, crate::Error> {
    let name = any.type_url.rsplit('/').next().unwrap_or(&any.type_url);
    if name != M::FULL_NAME {
        return Err(crate::Error::bad_request(
            crate::error::reason::CODEC,
            format!("the Any holds a {name}, not a {}", M::FULL_NAME),
        ));
    }
    M::decode(any.value.as_slice())
        .map_err(|e| crate::Error::bad_request(crate::error::reason::CODEC, format!("the Any's {name}: {e}")))
}

impl ProtoType for Any {
    type Codec = WellKnown;
}

impl Codec<Any> for WellKnown {
    const IS_MESSAGE: bool = true;
    const PATH_VALUE: bool = false;
    fn describe(_: &mut SchemaBuilder) -> TypeRef {
        TypeRef::well_known("google.protobuf.Any", "google/protobuf/any.proto")
    }
    #[inline]
    fn encode(tag: u32, v: &Any, buf: &mut impl BufMut) {
        pe::message::encode(tag, v, buf)
    }
    #[inline]
    fn encoded_len(tag: u32, v: &Any) -> usize {
        pe::message::encoded_len(tag, v)
    }
    fn merge(wt: WireType, v: &mut Any, buf: &mut impl Buf, ctx: DecodeContext) -> Result<(), DecodeError> {
        pe::message::merge(wt, v, buf, ctx)
    }
    fn is_default(_: &Any) -> bool {
        false
    }
    fn serialize<S: Serializer>(v: &Any, s: S) -> Result<S::Ok, S::Error> {
        if v.type_url.is_empty() && v.value.is_empty() {
            return s.serialize_map(Some(0))?.end();
        }
        let ty = lookup(&v.type_url).map_err(S::Error::custom)?;
        let json = (ty.to_json)(&v.value).map_err(|e| S::Error::custom(format!("{}: {e}", ty.full_name)))?;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("@type", &v.type_url)?;
        match json {
            serde_json::Value::Object(fields) if !ty.special => {
                for (k, v) in fields {
                    map.serialize_entry(&k, &v)?;
                }
            }
            other => map.serialize_entry("value", &other)?,
        }
        map.end()
    }
    fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Any, D::Error> {
        let Some(mut fields) = Option::<serde_json::Map<String, serde_json::Value>>::deserialize(d)? else {
            return Ok(Any::default());
        };
        if fields.is_empty() {
            return Ok(Any::default());
        }
        let Some(serde_json::Value::String(type_url)) = fields.remove("@type") else {
            return Err(D::Error::custom("a google.protobuf.Any needs its \"@type\""));
        };
        let ty = lookup(&type_url).map_err(D::Error::custom)?;
        let json = if ty.special {
            fields.remove("value").unwrap_or(serde_json::Value::Null)
        } else {
            serde_json::Value::Object(fields)
        };
        let value = (ty.from_json)(json).map_err(|e| D::Error::custom(format!("{}: {e}", ty.full_name)))?;
        Ok(Any { type_url, value })
    }
    fn parse_param(_: &str) -> Result<Any, String> {
        Err("a google.protobuf.Any cannot be read from a single value".to_owned())
    }
    fn format_param(_: &Any, _: &mut String) {}
    fn query_nested(_: &Any, _: &str, _: &[&str], _: &mut QueryWriter) {}
}
