//! proto3 JSON pieces shared by every message: numbers (64-bit as strings,
//! either form accepted), floats (`NaN`, `Infinity`), base64 bytes, `null` as
//! the default, and the serde adapters generated code uses per field kind.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use base64::Engine as _;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use super::map::ProtoMap;

/// Marks the codec and value types a map adapter is generic over.
type MapTypes<KC, K, VC, V, M> = PhantomData<fn() -> (KC, K, VC, V, M)>;
use super::Codec;
use crate::error::reason::CODEC;
use crate::error::Error;

thread_local! {
    static SNAKE_CASE: Cell<bool> = const { Cell::new(false) };
}

/// Whether messages serialized on this thread right now use proto field names
/// (`user_id`) instead of lowerCamelCase JSON names (`userId`).
///
/// The HTTP server turns this on around serialization for services declared
/// with `#[bia::service(json = "snake_case")]`.
pub fn snake_case_output() -> bool {
    SNAKE_CASE.with(Cell::get)
}

/// Runs `f` with snake_case JSON output on this thread.
///
/// ```
/// #[bia::message(package = "demo.v1")]
/// pub struct Point { pub x_pos: i32 }
///
/// let p = Point { x_pos: 1 };
/// assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"xPos":1}"#);
/// let snake = bia::codec::with_snake_case_output(|| serde_json::to_string(&p).unwrap());
/// assert_eq!(snake, r#"{"x_pos":1}"#);
/// ```
pub fn with_snake_case_output<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            SNAKE_CASE.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(SNAKE_CASE.with(|c| c.replace(true)));
    f()
}

/// Runs `f` with lowerCamelCase JSON output on this thread (what reads a
/// message's JSON by its JSON names needs, whatever the service's option).
pub(crate) fn with_camel_case<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            SNAKE_CASE.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(SNAKE_CASE.with(|c| c.replace(false)));
    f()
}

/// Numbers as proto3 JSON and path/query text see them.
pub(crate) trait Num: Copy + Serialize {
    const NAME: &'static str;
    fn from_i64(v: i64) -> Option<Self>;
    fn from_u64(v: u64) -> Option<Self>;
    fn from_f64(v: f64) -> Option<Self>;
    fn parse(s: &str) -> Result<Self, String>;
    fn format(self, out: &mut String);
}

macro_rules! int_num {
    ($($ty:ty => $name:literal),*) => {$(
        impl Num for $ty {
            const NAME: &'static str = $name;
            fn from_i64(v: i64) -> Option<Self> { <$ty>::try_from(v).ok() }
            fn from_u64(v: u64) -> Option<Self> { <$ty>::try_from(v).ok() }
            fn from_f64(v: f64) -> Option<Self> {
                // proto3 JSON accepts `1e3` or `5.0` for integers when the value is integral.
                if v.fract() == 0.0 && v >= <$ty>::MIN as f64 && v <= <$ty>::MAX as f64 {
                    Some(v as $ty)
                } else {
                    None
                }
            }
            fn parse(s: &str) -> Result<Self, String> {
                if let Ok(v) = s.parse::<$ty>() {
                    return Ok(v);
                }
                s.parse::<f64>()
                    .ok()
                    .and_then(Self::from_f64)
                    .ok_or_else(|| format!("invalid {} `{}`", $name, s))
            }
            fn format(self, out: &mut String) {
                out.push_str(itoa::Buffer::new().format(self))
            }
        }
    )*};
}
int_num!(i32 => "int32", i64 => "int64", u32 => "uint32", u64 => "uint64");

macro_rules! float_num {
    ($($ty:ty => $name:literal),*) => {$(
        impl Num for $ty {
            const NAME: &'static str = $name;
            fn from_i64(v: i64) -> Option<Self> { Some(v as $ty) }
            fn from_u64(v: u64) -> Option<Self> { Some(v as $ty) }
            #[allow(clippy::cast_possible_truncation)]
            fn from_f64(v: f64) -> Option<Self> {
                let out = v as $ty;
                // A finite double that overflows a float is out of range, not infinity.
                (out.is_finite() || !v.is_finite()).then_some(out)
            }
            fn parse(s: &str) -> Result<Self, String> {
                match s {
                    "NaN" => Ok(<$ty>::NAN),
                    "Infinity" => Ok(<$ty>::INFINITY),
                    "-Infinity" => Ok(<$ty>::NEG_INFINITY),
                    _ => s
                        .parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite())
                        .and_then(Self::from_f64)
                        .ok_or_else(|| format!("invalid {} `{}`", $name, s)),
                }
            }
            fn format(self, out: &mut String) {
                if self.is_nan() {
                    out.push_str("NaN")
                } else if self.is_infinite() {
                    out.push_str(if self > 0.0 { "Infinity" } else { "-Infinity" })
                } else {
                    use std::fmt::Write as _;
                    let _ = write!(out, "{}", self);
                }
            }
        }
    )*};
}
float_num!(f32 => "float", f64 => "double");

pub(crate) fn ser_number<T: Num, S: Serializer>(v: T, s: S) -> Result<S::Ok, S::Error> {
    v.serialize(s)
}

pub(crate) fn ser_string_number<T: Num + itoa::Integer, S: Serializer>(v: T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(itoa::Buffer::new().format(v))
}

pub(crate) fn ser_float<T: Num + Into<f64>, S: Serializer>(v: T, s: S) -> Result<S::Ok, S::Error> {
    let f: f64 = v.into();
    if f.is_finite() {
        v.serialize(s)
    } else {
        let mut out = String::new();
        v.format(&mut out);
        s.serialize_str(&out)
    }
}

struct NumVisitor<T>(PhantomData<T>);

impl<'de, T: Num + Default> Visitor<'de> for NumVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} as a number or a string", T::NAME)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::from_i64(v).ok_or_else(|| E::custom(format!("{} out of range for {}", v, T::NAME)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::from_u64(v).ok_or_else(|| E::custom(format!("{} out of range for {}", v, T::NAME)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        T::from_f64(v).ok_or_else(|| E::custom(format!("{} is not a valid {}", v, T::NAME)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        T::parse(v).map_err(E::custom)
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
}

pub(crate) fn deserialize_num<'de, T: Num + Default, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(NumVisitor(PhantomData))
}

pub(crate) fn deserialize_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
    }
    d.deserialize_any(V)
}

pub(crate) fn deserialize_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
            Ok(v)
        }
        fn visit_unit<E: de::Error>(self) -> Result<String, E> {
            Ok(String::new())
        }
    }
    d.deserialize_any(V)
}

pub(crate) fn deserialize_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let s = deserialize_string(d)?;
    base64_decode(&s).map_err(de::Error::custom)
}

pub(crate) fn base64_encode(v: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(v)
}

pub(crate) fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let engine = if s.contains(['-', '_']) {
        if s.ends_with('=') {
            URL_SAFE
        } else {
            URL_SAFE_NO_PAD
        }
    } else if s.ends_with('=') || s.len().is_multiple_of(4) {
        STANDARD
    } else {
        STANDARD_NO_PAD
    };
    engine.decode(s).map_err(|e| format!("invalid base64: {e}"))
}

/// A JSON object key, borrowed when the input allows.
#[doc(hidden)]
pub struct Key<'de>(pub Cow<'de, str>);

impl Key<'_> {
    /// The key text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Serializes a field of implicit presence.
#[doc(hidden)]
pub struct SingularSer<'a, C, T>(pub &'a T, pub PhantomData<fn() -> C>);

impl<C: Codec<T>, T> Serialize for SingularSer<'_, C, T> {
    #[inline]
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        C::serialize(self.0, s)
    }
}

/// Serializes an `Option` field (`null` when absent).
#[doc(hidden)]
pub struct OptionalSer<'a, C, T>(pub &'a Option<T>, pub PhantomData<fn() -> C>);

impl<C: Codec<T>, T> Serialize for OptionalSer<'_, C, T> {
    #[inline]
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(v) => C::serialize(v, s),
            None => s.serialize_none(),
        }
    }
}

/// Serializes a repeated field as an array.
#[doc(hidden)]
pub struct RepeatedSer<'a, C, T>(pub &'a [T], pub PhantomData<fn() -> C>);

impl<C: Codec<T>, T> Serialize for RepeatedSer<'_, C, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for v in self.0 {
            seq.serialize_element(&SingularSer::<C, T>(v, PhantomData))?;
        }
        seq.end()
    }
}

/// Serializes a map field as an object with string keys.
#[doc(hidden)]
pub struct MapSer<'a, KC, K, VC, V, M>(pub &'a M, pub MapTypes<KC, K, VC, V, ()>);

impl<KC: Codec<K>, K, VC: Codec<V>, V, M: ProtoMap<K, V>> Serialize for MapSer<'_, KC, K, VC, V, M> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.entry_count()))?;
        let mut result = Ok(());
        let mut key = String::new();
        self.0.for_each_entry(|k, v| {
            if result.is_ok() {
                key.clear();
                KC::format_param(k, &mut key);
                result = map.serialize_entry(&key, &SingularSer::<VC, V>(v, PhantomData));
            }
        });
        result?;
        map.end()
    }
}

/// Reads a field of implicit presence.
#[doc(hidden)]
pub struct SingularSeed<C, T>(pub PhantomData<fn() -> (C, T)>);

impl<C, T> SingularSeed<C, T> {
    /// A new seed.
    pub fn new() -> Self {
        Self(PhantomData)
    }
}
impl<C, T> Default for SingularSeed<C, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'de, C: Codec<T>, T> DeserializeSeed<'de> for SingularSeed<C, T> {
    type Value = T;
    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        C::deserialize(d)
    }
}

/// Reads an `Option` field (`null` is `None`).
#[doc(hidden)]
pub struct OptionalSeed<C, T>(pub PhantomData<fn() -> (C, T)>);

impl<C, T> OptionalSeed<C, T> {
    /// A new seed.
    pub fn new() -> Self {
        Self(PhantomData)
    }
}
impl<C, T> Default for OptionalSeed<C, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'de, C: Codec<T>, T> DeserializeSeed<'de> for OptionalSeed<C, T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        struct V<C, T>(PhantomData<fn() -> (C, T)>);
        impl<'de, C: Codec<T>, T> Visitor<'de> for V<C, T> {
            type Value = Option<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
                C::deserialize(d).map(Some)
            }
        }
        d.deserialize_option(V::<C, T>(PhantomData))
    }
}

/// Reads a repeated field (`null` is empty).
#[doc(hidden)]
pub struct RepeatedSeed<C, T>(pub PhantomData<fn() -> (C, T)>);

impl<C, T> RepeatedSeed<C, T> {
    /// A new seed.
    pub fn new() -> Self {
        Self(PhantomData)
    }
}
impl<C, T> Default for RepeatedSeed<C, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'de, C: Codec<T>, T> DeserializeSeed<'de> for RepeatedSeed<C, T> {
    type Value = Vec<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        struct V<C, T>(PhantomData<fn() -> (C, T)>);
        impl<'de, C: Codec<T>, T> Visitor<'de> for V<C, T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Vec<T>, E> {
                Ok(Vec::new())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(v) = seq.next_element_seed(SingularSeed::<C, T>::new())? {
                    out.push(v);
                }
                Ok(out)
            }
        }
        d.deserialize_any(V::<C, T>(PhantomData))
    }
}

/// Reads a map field (`null` is empty; keys are parsed from their string form).
#[doc(hidden)]
pub struct MapSeed<KC, K, VC, V, M>(pub MapTypes<KC, K, VC, V, M>);

impl<KC, K, VC, V, M> MapSeed<KC, K, VC, V, M> {
    /// A new seed.
    pub fn new() -> Self {
        Self(PhantomData)
    }
}
impl<KC, K, VC, V, M> Default for MapSeed<KC, K, VC, V, M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'de, KC: Codec<K>, K, VC: Codec<V>, V, M: ProtoMap<K, V>> DeserializeSeed<'de> for MapSeed<KC, K, VC, V, M> {
    type Value = M;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<M, D::Error> {
        struct Vis<KC, K, VC, V, M>(MapTypes<KC, K, VC, V, M>);
        impl<'de, KC: Codec<K>, K, VC: Codec<V>, V, M: ProtoMap<K, V>> Visitor<'de> for Vis<KC, K, VC, V, M> {
            type Value = M;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_unit<E: de::Error>(self) -> Result<M, E> {
                Ok(M::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<M, A::Error> {
                let mut out = M::default();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    let k = KC::parse_param(key.as_str()).map_err(de::Error::custom)?;
                    let v = map.next_value_seed(SingularSeed::<VC, V>::new())?;
                    out.insert_entry(k, v);
                }
                Ok(out)
            }
        }
        d.deserialize_any(Vis::<KC, K, VC, V, M>(PhantomData))
    }
}

/// A 400 `CODEC` error about `field` (empty: the whole body).
pub(crate) fn codec_error(field: &str, message: String) -> Error {
    let err = Error::bad_request(CODEC, message);
    if field.is_empty() {
        err
    } else {
        err.with_metadata("field", field)
    }
}

pub(crate) fn json_error(prefix: &str, e: serde_path_to_error::Error<serde_json::Error>) -> Error {
    // `?` marks a segment the tracker could not name (e.g. a malformed key).
    let path: String = e.path().to_string().split('.').take_while(|s| *s != "?").collect::<Vec<_>>().join(".");
    let path = if path.is_empty() { ".".to_owned() } else { path };
    let field = match (prefix, path.as_str()) {
        (p, ".") => p.to_owned(),
        ("", p) => p.to_owned(),
        (p, q) => format!("{p}.{q}"),
    };
    let inner = e.into_inner();
    if field.is_empty() {
        codec_error("", format!("invalid JSON body: {inner}"))
    } else {
        codec_error(&field, format!("invalid JSON body at `{field}`: {inner}"))
    }
}
