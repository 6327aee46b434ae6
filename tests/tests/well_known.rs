//! The well-known types of `bia::types` as fields and as a method's reply:
//! their protobuf encoding (read back by prost-reflect from the served
//! descriptors), their exact proto3 JSON forms, paths and queries, the
//! descriptors and `.proto` imports, and `Empty` on both transports. The
//! `wkt.v1.Things` service is `bia_tests::wkt` (Python checks it too, in
//! `interop_wkt.rs`).

use bia::types::{Any, BoolValue, Duration, Empty, FieldMask, Int64Value, StringValue, Value};
use bia_tests::wkt::{sample, Everything, ForgetRequest, Note, ThingsGrpcClient, ThingsHttpClient, ThingsServer};
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, ReflectMessage as _};
use serde_json::json;

fn sample_json() -> serde_json::Value {
    json!({
        "mask": "displayName,address.zipCode",
        "labels": {"tier": "gold", "n": 2.5, "ok": true, "none": null, "deep": ["a", {"b": 1.0}]},
        "value": "free",
        "list": [1.0, "two"],
        "null": null,
        "any": {"@type": "type.googleapis.com/wkt.v1.Note", "text": "hi", "stars": "5"},
        "nothing": {},
        "double": 1.5,
        "float": -2.25,
        "int64": "-9007199254740993",
        "uint64": "18446744073709551615",
        "int32": 0,
        "uint32": 7,
        "boolean": false,
        "string": "",
        "bytes": "AP8=",
        "when": "1970-01-01T00:00:01Z",
        "took": "1.500s",
        "counts": ["1", "2"],
        "byName": {"x": []}
    })
}

#[test]
fn json_forms_are_the_proto3_ones() {
    let v = serde_json::to_value(sample()).unwrap();
    let want = sample_json();
    for (k, w) in want.as_object().unwrap() {
        assert_eq!(&v[k], w, "field {k}");
    }
    assert_eq!(v, want);
    let back: Everything = serde_json::from_value(want).unwrap();
    assert_eq!(back, sample());
}

#[test]
fn absent_wrappers_are_null_and_read_back_absent() {
    let v = serde_json::to_value(Everything::default()).unwrap();
    for k in ["int64", "double", "string", "mask", "any", "labels", "nothing"] {
        assert_eq!(v[k], json!(null), "{k}");
    }
    let e: Everything = serde_json::from_value(json!({"int64": null, "string": null})).unwrap();
    assert_eq!(e.int64, None);
    assert_eq!(e.string, None);
    // A number may come as a number too, and a wrapper's zero is present.
    let e: Everything = serde_json::from_value(json!({"int64": 0, "boolean": false, "string": ""})).unwrap();
    assert_eq!(e.int64, Some(Int64Value::from(0)));
    assert_eq!(e.boolean, Some(BoolValue::from(false)));
    assert_eq!(e.string, Some(StringValue::from("")));
}

#[test]
fn field_masks_read_both_spellings_and_refuse_what_has_no_json_form() {
    let e: Everything = serde_json::from_value(json!({"mask": "displayName,address.zip_code,photo"})).unwrap();
    assert_eq!(e.mask.unwrap().paths, ["display_name", "address.zip_code", "photo"]);
    let bad = Everything { mask: Some(FieldMask { paths: vec!["Upper".into()] }), ..Default::default() };
    let err = serde_json::to_value(bad).unwrap_err().to_string();
    assert!(err.contains("upper-case"), "{err}");
    // Found by the fuzzer (fuzz/regressions/protobuf): paths whose JSON form
    // reads back as something else were written, and lost on the way back.
    for path in ["a,b", " a", "a\r", ""] {
        let lossy = Everything { mask: Some(FieldMask { paths: vec![path.into()] }), ..Default::default() };
        let err = serde_json::to_value(lossy).unwrap_err().to_string();
        assert!(err.contains("reads back"), "{path:?}: {err}");
    }
    // And what would have no JSON form is not read either.
    for mask in ["a_", "a__b", "a_.b", "a_1"] {
        let err = serde_json::from_value::<Everything>(json!({ "mask": mask })).unwrap_err().to_string();
        assert!(err.contains("no JSON form"), "{mask:?}: {err}");
    }
}

#[test]
fn a_value_without_a_kind_inside_a_struct_or_list_is_refused() {
    // Found by the fuzzer (fuzz/regressions/protobuf): it was written as
    // null and read back as a NullValue.
    use bia::types::{ListValue, Struct};
    let empty = Value { kind: None };
    let doc = Struct { fields: [("a".to_owned(), empty.clone())].into() };
    let err = bia::codec::value_to_json(&Value { kind: Some(bia::types::ValueKind::StructValue(doc)) }).unwrap_err();
    assert!(err.contains("no kind set"), "{err}");
    let list = ListValue { values: vec![empty.clone()] };
    let err = bia::codec::value_to_json(&Value { kind: Some(bia::types::ValueKind::ListValue(list)) }).unwrap_err();
    assert!(err.contains("no kind set"), "{err}");
    assert_eq!(bia::codec::value_to_json(&empty).unwrap(), serde_json::Value::Null);
}

#[test]
fn durations_and_timestamps_out_of_their_range_are_refused_not_normalised() {
    // Found by the fuzzer (fuzz/regressions/protobuf): a Duration of 16383 s
    // and 1,342,177,279 ns was written as "16384.342177279s", another value.
    use bia::types::Timestamp;
    let bad_durations = [(16_383, 1_342_177_279), (1, -1), (-1, 1), (315_576_000_001, 0), (0, -1_000_000_000)];
    for (seconds, nanos) in bad_durations {
        let e = Everything { took: Some(Duration { seconds, nanos }), ..Default::default() };
        assert!(serde_json::to_value(&e).is_err(), "{seconds}s {nanos}ns");
    }
    let good = Everything { took: Some(Duration { seconds: -1, nanos: -500_000_000 }), ..Default::default() };
    assert_eq!(serde_json::to_value(&good).unwrap()["took"], "-1.500s");
    for (seconds, nanos) in [(0, -1), (0, 1_000_000_000), (253_402_300_800, 0), (-62_135_596_801, 0)] {
        let e = Everything { when: Some(Timestamp { seconds, nanos }), ..Default::default() };
        assert!(serde_json::to_value(&e).is_err(), "{seconds}s {nanos}ns");
    }
}

#[test]
fn any_holds_messages_and_well_known_types() {
    // A well-known type inside goes under "value".
    let any = Any::from_msg(&Duration { seconds: 3, nanos: 0 }).unwrap();
    let e = Everything { any: Some(any.clone()), ..Default::default() };
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(v["any"], json!({"@type": "type.googleapis.com/google.protobuf.Duration", "value": "3s"}));
    assert_eq!(serde_json::from_value::<Everything>(v).unwrap().any, Some(any));
    // An Any of a wrapper, and of an Any.
    let inner = bia::codec::pack(&Note { text: "n".into(), stars: 1 });
    let outer = Any::from_msg(&inner).unwrap();
    let v = serde_json::to_value(Everything { any: Some(outer.clone()), ..Default::default() }).unwrap();
    assert_eq!(
        v["any"],
        json!({"@type": "type.googleapis.com/google.protobuf.Any",
               "value": {"@type": "type.googleapis.com/wkt.v1.Note", "text": "n", "stars": "1"}})
    );
    assert_eq!(serde_json::from_value::<Everything>(v).unwrap().any, Some(outer));
    // Unpacking checks the type.
    assert!(bia::codec::unpack::<ForgetRequest>(&inner).is_err());
    assert_eq!(bia::codec::unpack::<Note>(&inner).unwrap().stars, 1);
    // A type this binary does not know: an error naming it, both ways.
    let unknown = Any { type_url: "type.googleapis.com/else.v1.Gone".into(), value: vec![] };
    let err = serde_json::to_value(Everything { any: Some(unknown), ..Default::default() }).unwrap_err().to_string();
    assert!(err.contains("else.v1.Gone"), "{err}");
    let err =
        serde_json::from_value::<Everything>(json!({"any": {"@type": "x/else.v1.Gone"}})).unwrap_err().to_string();
    assert!(err.contains("else.v1.Gone"), "{err}");
    let err = serde_json::from_value::<Everything>(json!({"any": {"text": "no type"}})).unwrap_err().to_string();
    assert!(err.contains("@type"), "{err}");
}

#[test]
fn values_that_json_cannot_hold_are_errors() {
    let e = Everything { value: Value::from(f64::NAN), ..Default::default() };
    assert!(serde_json::to_value(e).is_err());
}

fn pool() -> DescriptorPool {
    DescriptorPool::from_file_descriptor_set(ThingsServer::<()>::schema().file_descriptor_set()).unwrap()
}

#[test]
fn protobuf_round_trips_and_another_implementation_reads_it() {
    let bytes = sample().encode_to_vec();
    assert_eq!(Everything::decode(&bytes[..]).unwrap(), sample());
    let desc = pool().get_message_by_name("wkt.v1.Everything").unwrap();
    let dynamic = DynamicMessage::decode(desc.clone(), &bytes[..]).unwrap();
    let field = |name: &str| desc.get_field_by_name(name).unwrap();
    let int64 = dynamic.get_field(&field("int64"));
    let int64 = int64.as_message().unwrap();
    assert_eq!(int64.descriptor().full_name(), "google.protobuf.Int64Value");
    assert_eq!(int64.get_field_by_name("value").unwrap().as_i64(), Some(-9_007_199_254_740_993));
    let labels = dynamic.get_field(&field("labels"));
    assert_eq!(labels.as_message().unwrap().descriptor().full_name(), "google.protobuf.Struct");
    assert_eq!(field("null").kind().as_enum().unwrap().full_name(), "google.protobuf.NullValue");
    let any = dynamic.get_field(&field("any"));
    let any = any.as_message().unwrap();
    assert_eq!(any.get_field_by_name("type_url").unwrap().as_str(), Some("type.googleapis.com/wkt.v1.Note"));
    assert_eq!(Everything::decode(dynamic.encode_to_vec().as_slice()).unwrap(), sample());
}

#[test]
fn descriptors_import_the_official_well_known_files() {
    let set = ThingsServer::<()>::schema().file_descriptor_set();
    let names: Vec<&str> = set.file.iter().map(|f| f.name()).collect();
    for wkt in ["any", "duration", "empty", "field_mask", "struct", "timestamp", "wrappers"] {
        assert!(names.contains(&format!("google/protobuf/{wkt}.proto").as_str()), "{wkt} in {names:?}");
    }
    let ours = set.file.iter().find(|f| f.name() == "wkt/v1.proto").unwrap();
    assert!(ours.dependency.contains(&"google/protobuf/empty.proto".to_owned()));
    let forget = &ours.service[0].method.iter().find(|m| m.name() == "Forget").unwrap();
    assert_eq!(forget.output_type(), ".google.protobuf.Empty");
    // They are the very descriptors a protobuf compiler builds.
    let official = DescriptorPool::global();
    for f in set.file.iter().filter(|f| f.name().starts_with("google/protobuf/")) {
        assert_eq!(f, official.get_file_by_name(f.name()).unwrap().file_descriptor_proto(), "{}", f.name());
    }
}

#[test]
fn exported_proto_imports_and_compiles() {
    let schema = ThingsServer::<()>::schema();
    let dir = std::env::temp_dir().join(format!("bia-wkt-{}", std::process::id()));
    schema.write_proto_files(&dir).unwrap();
    let text = std::fs::read_to_string(dir.join("wkt/v1.proto")).unwrap();
    for import in ["any", "empty", "field_mask", "struct", "wrappers", "duration", "timestamp"] {
        assert!(text.contains(&format!("import \"google/protobuf/{import}.proto\";")), "{import}:\n{text}");
    }
    assert!(text.contains("rpc Forget(ForgetRequest) returns (.google.protobuf.Empty)"), "{text}");
    assert!(text.contains(".google.protobuf.NullValue null = 5;"), "{text}");
    let mut compiler = protox::Compiler::new([&dir]).unwrap();
    compiler.open_files(["wkt/v1.proto"]).unwrap_or_else(|e| panic!("protox rejected the export: {e:?}\n{text}"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn empty_and_every_type_cross_both_transports() {
    let app = bia_tests::wkt::start_things().await;
    let grpc = ThingsGrpcClient::connect(app.grpc_url()).await.unwrap();
    let http = ThingsHttpClient::new(app.http_url()).unwrap();
    let req = ForgetRequest {
        id: "7".into(),
        limit: Some(Int64Value::from(5)),
        update_mask: Some(FieldMask { paths: vec!["display_name".into(), "photo".into()] }),
    };
    assert_eq!(grpc.forget(req.clone()).await.unwrap(), Empty {});
    assert_eq!(http.forget(req).await.unwrap(), Empty {});
    assert_eq!(grpc.everything(Empty {}).await.unwrap(), sample());
    assert_eq!(http.everything(Empty {}).await.unwrap(), sample());
    assert_eq!(grpc.echo(sample()).await.unwrap(), sample());
    assert_eq!(http.echo(sample()).await.unwrap(), sample());

    // Raw requests: the query carries a wrapper and a mask in either
    // spelling, and the reply of Empty is `{}`.
    let url = format!("{}/v1/things/9?limit=3&updateMask=displayName,address.zip_code", app.http_url());
    let res = bia_tests::raw::http("DELETE", &url, "").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.header("x-seen"), Some("9 3 display_name+address.zip_code"));
    assert_eq!(res.text(), "{}");
    let res = bia_tests::raw::http("GET", &format!("{}/v1/everything", app.http_url()), "").await;
    assert_eq!(res.json(), sample_json());
    app.running.stop().await.unwrap();
}

#[test]
fn negative_zero_is_a_value_of_its_own_on_the_wire() {
    // proto3: +0.0 is the default and not sent; -0.0 is sent.
    let w = bia_tests::Scalars { double_value: -0.0, float_value: -0.0, ..Default::default() };
    let back = bia_tests::Scalars::decode(w.encode_to_vec().as_slice()).unwrap();
    assert!(back.double_value.is_sign_negative() && back.float_value.is_sign_negative());
    assert!(bia_tests::Scalars { double_value: 0.0, ..Default::default() }.encode_to_vec().is_empty());
    let d = bia::types::DoubleValue::from(-0.0);
    assert!(!d.encode_to_vec().is_empty());
    assert!(bia::types::DoubleValue::decode(d.encode_to_vec().as_slice()).unwrap().value.is_sign_negative());
    assert!(bia::types::FloatValue::from(0.0).encode_to_vec().is_empty());
}
