//! proto3 JSON as DESIGN.md point 4 fixes it: lowerCamelCase output, both
//! names on input, int64 as string (either form on input), enums by name,
//! unknown fields ignored, default values emitted, and the snake_case option.

use bia::types::Timestamp;
use bia_tests::*;
use serde_json::json;

#[test]
fn defaults_are_emitted_in_camel_case() {
    let v = serde_json::to_value(Kinds::default()).unwrap();
    assert_eq!(
        v,
        json!({
            "author": null,
            "tags": [],
            "numbers": [],
            "authors": [],
            "counts": {},
            "byId": {},
            "genre": "GENRE_UNSPECIFIED",
            "genres": [],
            "created": "1970-01-01T00:00:00Z",
            "ttl": null,
            "renamed": "",
            "scalars": null,
            "flags": {},
            "blobs": []
        })
    );
    // proto3 `optional` scalars are emitted only when present.
    let v = serde_json::to_value(Kinds { maybe_count: Some(0), ..Default::default() }).unwrap();
    assert_eq!(v["maybeCount"], 0);
    let v = serde_json::to_value(Scalars::default()).unwrap();
    assert_eq!(
        v,
        json!({
            "i32Value": 0, "i64Value": "0", "u32Value": 0, "u64Value": "0", "s32": 0, "s64": "0",
            "f32Fixed": 0, "f64Fixed": "0", "sf32": 0, "sf64": "0", "floatValue": 0.0,
            "doubleValue": 0.0, "boolValue": false, "stringValue": "", "bytesValue": "",
            "bytesShared": ""
        })
    );
}

#[test]
fn sixty_four_bit_integers_are_strings_on_output_and_either_on_input() {
    let s = Scalars { i64_value: i64::MIN, u64_value: u64::MAX, sf64: -1, i32_value: -5, ..Default::default() };
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(v["i64Value"], "-9223372036854775808");
    assert_eq!(v["u64Value"], "18446744073709551615");
    assert_eq!(v["sf64"], "-1");
    assert_eq!(v["i32Value"], -5);
    let back: Scalars = serde_json::from_value(json!({"i64Value": -9223372036854775808i64, "u64Value": "18446744073709551615", "sf64": "-1", "i32Value": "-5"})).unwrap();
    assert_eq!(back, s);
    // Exponent forms of integral values are integers.
    let e: Scalars = serde_json::from_value(json!({"i32Value": 1e3, "u64Value": "2e2"})).unwrap();
    assert_eq!((e.i32_value, e.u64_value), (1000, 200));
    assert!(serde_json::from_value::<Scalars>(json!({"i32Value": 1.5})).is_err());
    assert!(serde_json::from_value::<Scalars>(json!({"i32Value": 3_000_000_000i64})).is_err());
}

#[test]
fn both_field_names_are_accepted_and_unknown_fields_ignored() {
    let a: Kinds =
        serde_json::from_str(r#"{"maybe_count": 1, "by_id": {"5": {"name": "x"}}, "original_name": "p"}"#).unwrap();
    let b: Kinds = serde_json::from_str(
        r#"{"maybeCount": 1, "byId": {"5": {"name": "x"}}, "renamed": "p", "who": [1, {"a": null}]}"#,
    )
    .unwrap();
    assert_eq!(a, b);
    assert_eq!(a.maybe_count, Some(1));
    assert_eq!(a.by_id[&5].name, "x");
    assert_eq!(a.original_name, "p");
}

#[test]
fn enums_by_name_or_number_and_null_is_default() {
    let k: Kinds = serde_json::from_str(r#"{"genre": "GENRE_SCIENCE", "genres": ["GENRE_FICTION", 2, null]}"#).unwrap();
    assert_eq!(k.genre, Genre::Science);
    assert_eq!(k.genres, vec![Genre::Fiction, Genre::Science, Genre::Unspecified]);
    assert_eq!(
        serde_json::to_value(&k).unwrap()["genres"],
        json!(["GENRE_FICTION", "GENRE_SCIENCE", "GENRE_UNSPECIFIED"])
    );
    let err = serde_json::from_str::<Kinds>(r#"{"genre": "SCIENCE"}"#).unwrap_err().to_string();
    assert!(err.contains("unknown value `SCIENCE` of enum test.v1.Genre"), "{err}");
    let n: Kinds =
        serde_json::from_str(r#"{"genre": null, "author": null, "tags": null, "counts": null, "maybeText": null}"#)
            .unwrap();
    assert_eq!(n, Kinds::default());
}

#[test]
fn floats_bytes_and_well_known_types() {
    let s = Scalars {
        float_value: f32::NAN,
        double_value: f64::NEG_INFINITY,
        bytes_value: vec![0xfb, 0xff],
        ..Default::default()
    };
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(v["floatValue"], "NaN");
    assert_eq!(v["doubleValue"], "-Infinity");
    assert_eq!(v["bytesValue"], "+/8=");
    let back: Scalars = serde_json::from_value(json!({"doubleValue": "Infinity", "bytesValue": "-_8"})).unwrap();
    assert_eq!(back.double_value, f64::INFINITY);
    assert_eq!(back.bytes_value, vec![0xfb, 0xff]);
    let k = Kinds {
        created: Timestamp { seconds: 1, nanos: 500_000_000 },
        ttl: Some(bia::types::Duration { seconds: -3, nanos: -500_000_000 }),
        ..Default::default()
    };
    let v = serde_json::to_value(&k).unwrap();
    assert_eq!(v["created"], "1970-01-01T00:00:01.500Z");
    assert_eq!(v["ttl"], "-3.500s");
    let back: Kinds = serde_json::from_value(v).unwrap();
    assert_eq!(back.created, k.created);
    assert_eq!(back.ttl, k.ttl);
    assert!(serde_json::from_value::<Kinds>(json!({"created": "yesterday"})).is_err());
}

#[test]
fn oneof_members_are_fields_of_the_message() {
    let k = Kinds { choice: Some(Choice::Number(-7)), ..Default::default() };
    let v = serde_json::to_value(&k).unwrap();
    assert_eq!(v["number"], "-7");
    assert!(v.get("text").is_none() && v.get("choice").is_none());
    let back: Kinds = serde_json::from_value(json!({"person": {"name": "p"}})).unwrap();
    assert_eq!(back.choice, Some(Choice::Person(Author { id: 0, name: "p".into() })));
    let back: Kinds = serde_json::from_value(json!({"color": "GENRE_FICTION"})).unwrap();
    assert_eq!(back.choice, Some(Choice::Color(Genre::Fiction)));
    // Protobuf: the member present on the wire, last one wins.
    let bytes = prost::Message::encode_to_vec(&k);
    assert_eq!(<Kinds as prost::Message>::decode(&bytes[..]).unwrap(), k);
    let mut two =
        prost::Message::encode_to_vec(&Kinds { choice: Some(Choice::Text("a".into())), ..Default::default() });
    two.extend(prost::Message::encode_to_vec(&k));
    assert_eq!(<Kinds as prost::Message>::decode(&two[..]).unwrap().choice, Some(Choice::Number(-7)));
}

#[test]
fn snake_case_output_on_request() {
    let k = Kinds { maybe_count: Some(2), original_name: "x".into(), ..Default::default() };
    let v = bia::codec::with_snake_case_output(|| serde_json::to_value(&k).unwrap());
    assert_eq!(v["maybe_count"], 2);
    assert_eq!(v["by_id"], json!({}));
    assert_eq!(v["original_name"], "x");
    assert!(v.get("maybeCount").is_none());
    // The flag is scoped: output is camelCase again afterwards.
    assert_eq!(serde_json::to_value(&k).unwrap()["maybeCount"], 2);
}

/// A service that answers in snake_case (the Kratos-requested option).
#[bia::service(package = "snake.v1", json = "snake_case")]
pub trait Snake: Send + Sync + 'static {
    #[rpc(post = "/v1/snake", body = "*")]
    async fn echo(&self, req: Kinds) -> bia::Result<Kinds>;
}

struct SnakeImpl;

impl Snake for SnakeImpl {
    async fn echo(&self, req: Kinds) -> bia::Result<Kinds> {
        Ok(req)
    }
}

#[tokio::test]
async fn a_service_can_answer_in_snake_case() {
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let running = bia::App::new("snake")
        .http(bia::transport::http::HttpServer::new(any).service(SnakeServer::new(SnakeImpl)))
        .start()
        .await
        .unwrap();
    let url = format!("http://{}/v1/snake", running.http_addrs()[0]);
    let r = bia_tests::raw::http("POST", &url, r#"{"maybeCount": 4, "by_id": {"1": {"name": "a"}}}"#).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["maybe_count"], 4);
    assert_eq!(v["by_id"]["1"]["name"], "a");
    // The camelCase default can still be asked for per server.
    let client = SnakeHttpClient::new(format!("http://{}", running.http_addrs()[0])).unwrap();
    let k = Kinds { maybe_count: Some(9), ..Default::default() };
    assert_eq!(client.echo(k.clone()).await.unwrap(), k);
    running.stop().await.unwrap();
}

#[test]
fn every_double_reads_back_exactly() {
    // Found by the fuzzer (fuzz/regressions/protobuf): serde_json's default
    // float parser read this one a unit in the last place off.
    let d = -2.2150921185024355e-66_f64;
    let s = Scalars { double_value: d, ..Default::default() };
    let json = serde_json::to_string(&s).unwrap();
    let back: Scalars = serde_json::from_str(&json).unwrap();
    assert_eq!(back.double_value.to_bits(), d.to_bits(), "{json}");
}
