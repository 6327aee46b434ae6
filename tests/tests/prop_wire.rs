//! Property tests of Bia's own message codec against prost's: for generated
//! values of every field kind (every scalar encoding, optional scalars,
//! nested and repeated messages, packed repeated scalars and enums, maps
//! with string, integer and bool keys, a oneof, well-known types, bytes),
//! the bytes Bia writes are what prost reads from the same schema, prost's
//! bytes read back into the same Bia value, `encoded_len` is the length
//! written, and proto3 JSON reads back into the same value. The count of
//! cases is bounded (`PROPTEST_CASES`, 256 by default; 5,000 pass too).
//! One difference from prost is on purpose: Bia writes a `-0.0` float, as
//! protobuf's C++ runtime does, where prost drops it as the default. And
//! Bia's proto3 JSON of the same values agrees with the reference printer,
//! Python protobuf's `json_format` reading the bytes through the descriptors
//! Bia exports (`tests/interop/json_reference.py`).

use std::collections::{BTreeMap, HashMap};

use bia::types::{Duration, Timestamp};
use bia_tests::{Author, Choice, Genre, Kinds, Scalars};
use proptest::prelude::*;
use proptest::strategy::ValueTree as _;
use proptest::test_runner::{Config, TestRunner};
use prost::Message as _;

/// `Kinds` as prost-derive writes it from the same `.proto` (the tags of
/// `test.v1.Kinds` as Bia exports them).
#[derive(Clone, PartialEq, prost::Message)]
struct MirrorKinds {
    #[prost(int32, optional, tag = "1")]
    maybe_count: Option<i32>,
    #[prost(string, optional, tag = "2")]
    maybe_text: Option<String>,
    #[prost(message, optional, tag = "3")]
    author: Option<MirrorAuthor>,
    #[prost(string, repeated, tag = "4")]
    tags: Vec<String>,
    #[prost(int64, repeated, tag = "5")]
    numbers: Vec<i64>,
    #[prost(message, repeated, tag = "6")]
    authors: Vec<MirrorAuthor>,
    #[prost(map = "string, int32", tag = "7")]
    counts: HashMap<String, i32>,
    #[prost(btree_map = "int64, message", tag = "8")]
    by_id: BTreeMap<i64, MirrorAuthor>,
    #[prost(int32, tag = "20")]
    genre: i32,
    #[prost(int32, repeated, tag = "21")]
    genres: Vec<i32>,
    #[prost(message, optional, tag = "22")]
    created: Option<Timestamp>,
    #[prost(message, optional, tag = "23")]
    ttl: Option<Duration>,
    #[prost(string, tag = "24")]
    original_name: String,
    #[prost(message, optional, tag = "25")]
    scalars: Option<MirrorScalars>,
    #[prost(map = "bool, bool", tag = "26")]
    flags: HashMap<bool, bool>,
    #[prost(bytes = "vec", repeated, tag = "27")]
    blobs: Vec<Vec<u8>>,
    #[prost(oneof = "MirrorChoice", tags = "30, 31, 32, 33")]
    choice: Option<MirrorChoice>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct MirrorAuthor {
    #[prost(int64, tag = "1")]
    id: i64,
    #[prost(string, tag = "2")]
    name: String,
}

#[derive(Clone, PartialEq, prost::Oneof)]
enum MirrorChoice {
    #[prost(string, tag = "30")]
    Text(String),
    #[prost(sint64, tag = "31")]
    Number(i64),
    #[prost(message, tag = "32")]
    Person(MirrorAuthor),
    #[prost(int32, tag = "33")]
    Color(i32),
}

#[derive(Clone, PartialEq, prost::Message)]
struct MirrorScalars {
    #[prost(int32, tag = "1")]
    i32_value: i32,
    #[prost(int64, tag = "2")]
    i64_value: i64,
    #[prost(uint32, tag = "3")]
    u32_value: u32,
    #[prost(uint64, tag = "4")]
    u64_value: u64,
    #[prost(sint32, tag = "5")]
    s32: i32,
    #[prost(sint64, tag = "6")]
    s64: i64,
    #[prost(fixed32, tag = "7")]
    f32_fixed: u32,
    #[prost(fixed64, tag = "8")]
    f64_fixed: u64,
    #[prost(sfixed32, tag = "9")]
    sf32: i32,
    #[prost(sfixed64, tag = "10")]
    sf64: i64,
    #[prost(float, tag = "11")]
    float_value: f32,
    #[prost(double, tag = "12")]
    double_value: f64,
    #[prost(bool, tag = "13")]
    bool_value: bool,
    #[prost(string, tag = "14")]
    string_value: String,
    #[prost(bytes = "vec", tag = "15")]
    bytes_value: Vec<u8>,
    #[prost(bytes = "vec", tag = "16")]
    bytes_shared: Vec<u8>,
}

fn author() -> impl Strategy<Value = Author> {
    (any::<i64>(), any::<String>()).prop_map(|(id, name)| Author { id, name })
}

fn genre() -> impl Strategy<Value = Genre> {
    prop_oneof![Just(Genre::Unspecified), Just(Genre::Fiction), Just(Genre::Science)]
}

/// Finite floats (NaN is not equal to itself; the codec's handling of the
/// non-finite values has tests of its own).
fn float32() -> impl Strategy<Value = f32> {
    prop_oneof![Just(0.0f32), Just(-0.0f32), Just(f32::MIN_POSITIVE), Just(f32::MAX), -1e30f32..1e30f32]
}

fn float64() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0f64), Just(f64::MIN_POSITIVE), Just(f64::MAX), Just(f64::MIN), -1e300f64..1e300f64]
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..24)
}

fn scalars() -> impl Strategy<Value = Scalars> {
    (
        (any::<i32>(), any::<i64>(), any::<u32>(), any::<u64>(), any::<i32>(), any::<i64>()),
        (any::<u32>(), any::<u64>(), any::<i32>(), any::<i64>(), float32(), float64()),
        (any::<bool>(), any::<String>(), bytes(), bytes()),
    )
        .prop_map(|((a, b, c, d, e, f), (g, h, i, j, k, l), (m, n, o, p))| Scalars {
            i32_value: a,
            i64_value: b,
            u32_value: c,
            u64_value: d,
            s32: e,
            s64: f,
            f32_fixed: g,
            f64_fixed: h,
            sf32: i,
            sf64: j,
            float_value: k,
            double_value: l,
            bool_value: m,
            string_value: n,
            bytes_value: o,
            bytes_shared: p.into(),
        })
}

/// Timestamps proto3 JSON can write: years 1 to 9999.
fn timestamp() -> impl Strategy<Value = Timestamp> {
    (-62_135_596_800i64..=253_402_300_799, 0i32..1_000_000_000)
        .prop_map(|(seconds, nanos)| Timestamp { seconds, nanos })
}

/// Durations proto3 JSON can write: within ±10,000 years, the nanos of the
/// seconds' sign.
fn duration() -> impl Strategy<Value = Duration> {
    (-315_576_000_000i64..=315_576_000_000, 0i32..1_000_000_000)
        .prop_map(|(seconds, nanos)| Duration { seconds, nanos: if seconds < 0 { -nanos } else { nanos } })
}

fn choice() -> impl Strategy<Value = Option<Choice>> {
    proptest::option::of(prop_oneof![
        any::<String>().prop_map(Choice::Text),
        any::<i64>().prop_map(Choice::Number),
        author().prop_map(Choice::Person),
        genre().prop_map(Choice::Color),
    ])
}

fn kinds() -> impl Strategy<Value = Kinds> {
    let small = 0..4;
    (
        (
            proptest::option::of(any::<i32>()),
            proptest::option::of(any::<String>()),
            proptest::option::of(author()),
            proptest::collection::vec(any::<String>(), small.clone()),
            proptest::collection::vec(any::<i64>(), small.clone()),
            proptest::collection::vec(author(), small.clone()),
        ),
        (
            proptest::collection::hash_map(any::<String>(), any::<i32>(), small.clone()),
            proptest::collection::btree_map(any::<i64>(), author(), small.clone()),
            genre(),
            proptest::collection::vec(genre(), small.clone()),
            timestamp(),
            proptest::option::of(duration()),
        ),
        (
            any::<String>(),
            proptest::option::of(scalars()),
            proptest::collection::hash_map(any::<bool>(), any::<bool>(), 0..3),
            proptest::collection::vec(bytes(), small),
            choice(),
        ),
    )
        .prop_map(
            |(
                (maybe_count, maybe_text, author, tags, numbers, authors),
                (counts, by_id, genre, genres, created, ttl),
                (original_name, scalars, flags, blobs, choice),
            )| Kinds {
                maybe_count,
                maybe_text,
                author,
                tags,
                numbers,
                authors,
                counts,
                by_id,
                genre,
                genres,
                created,
                ttl,
                original_name,
                scalars,
                flags,
                blobs,
                choice,
            },
        )
}

fn runner(default: u32) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(default);
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

#[test]
fn bia_bytes_are_prosts_and_back() {
    let result = runner(256).run(&kinds(), |value| {
        let ours = value.encode_to_vec();
        prop_assert_eq!(value.encoded_len(), ours.len());
        // prost reads what Bia wrote, and writes what Bia reads back.
        let mirror = MirrorKinds::decode(ours.as_slice()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let theirs = mirror.encode_to_vec();
        let back = Kinds::decode(theirs.as_slice()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, &value);
        // Without maps (whose order is the hash map's), the bytes are the
        // same, but for one difference on purpose: Bia writes a -0.0 float
        // (as protobuf's C++ runtime does: presence is the bit pattern),
        // where prost drops it as the default and loses the sign.
        let mut plain = value.clone();
        plain.counts.clear();
        plain.flags.clear();
        if let Some(s) = &mut plain.scalars {
            s.float_value += 0.0;
            s.double_value += 0.0;
        }
        let mut plain_mirror = mirror.clone();
        plain_mirror.counts.clear();
        plain_mirror.flags.clear();
        prop_assert_eq!(plain.encode_to_vec(), plain_mirror.encode_to_vec());
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn proto3_json_reads_back_the_same_value() {
    let result = runner(256).run(&kinds(), |value| {
        let json = serde_json::to_string(&value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: Kinds = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(format!("{e}: {json}")))?;
        prop_assert_eq!(&back, &value, "{}", json);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// `value` without its `null` members: Bia writes an absent message field as
/// `null` (as Go's protojson does with `EmitUnpopulated`, which Kratos
/// sets); json_format leaves it out. Both read back as absent.
fn without_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(without_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_nulls),
        _ => {}
    }
}

/// Numbers equal as written, or as the same `f32` (Python prints a float
/// field with the shortest digits of its float32, Bia through the same rule;
/// either form reads back as the same value).
fn same_json(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || {
                let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
                x == y || (x as f32) == (y as f32)
            }
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// Bia's proto3 JSON of generated values against the reference printer,
/// Python protobuf's `json_format`, reading the same bytes through the
/// descriptors Bia exports. (Skipped without Python's protobuf; a failure
/// under `BIA_REQUIRE_EXTERNAL=1`.)
#[test]
fn proto3_json_agrees_with_the_reference_printer() {
    let have = std::process::Command::new("python3").args(["-c", "import google.protobuf.json_format"]).output();
    if !have.is_ok_and(|o| o.status.success()) {
        assert_ne!(std::env::var("BIA_REQUIRE_EXTERNAL").as_deref(), Ok("1"), "python3 with protobuf is needed");
        eprintln!("skipping: python3 with protobuf is not installed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("bia-prop-json-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut b = bia::schema::SchemaBuilder::default();
    <Kinds as bia::codec::Message>::describe(&mut b);
    let set = b.build().file_descriptor_set().encode_to_vec();
    std::fs::write(dir.join("set.binpb"), set).unwrap();

    // A corpus of generated values, their bytes, and Bia's JSON of each.
    let mut runner = runner(200);
    let mut corpus = Vec::new();
    let mut ours = Vec::new();
    let cases = runner.config().cases;
    for _ in 0..cases {
        let value = kinds().new_tree(&mut runner).unwrap().current();
        let bytes = value.encode_to_vec();
        corpus.extend_from_slice(&u32::try_from(bytes.len()).unwrap().to_be_bytes());
        corpus.extend_from_slice(&bytes);
        ours.push(serde_json::to_value(&value).unwrap());
    }
    std::fs::write(dir.join("corpus.bin"), corpus).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/interop/json_reference.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(dir.join("set.binpb"))
        .arg(dir.join("corpus.bin"))
        .arg("test.v1.Kinds")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let theirs: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(theirs.len(), ours.len());
    for (ours, theirs) in ours.iter_mut().zip(&theirs) {
        without_nulls(ours);
        assert!(same_json(ours, theirs), "Bia's JSON differs from json_format's:\nbia:    {ours}\npython: {theirs}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
