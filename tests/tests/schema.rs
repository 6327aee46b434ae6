//! One source of truth: the `.proto` text exported from the macro model
//! compiles with a real protobuf compiler (protox) to the very descriptors the
//! server serves through reflection, and carries the google.api.http rules.

use prost_reflect::{DescriptorPool, Value};
use prost_types::FileDescriptorProto;

fn compile(schema: &bia::schema::Schema) -> (prost_types::FileDescriptorSet, DescriptorPool) {
    let dir = std::env::temp_dir().join(format!("bia-proto-{}-{}", std::process::id(), rand_suffix()));
    schema.write_proto_files(&dir).unwrap();
    let files: Vec<String> =
        schema.proto_files().into_iter().map(|(name, _)| name).filter(|n| !n.starts_with("google/")).collect();
    let mut compiler = protox::Compiler::new([&dir]).unwrap();
    compiler.include_imports(true);
    compiler.open_files(&files).unwrap_or_else(|e| panic!("protox rejected the exported .proto: {e:?}"));
    let _ = std::fs::remove_dir_all(&dir);
    (compiler.file_descriptor_set(), compiler.descriptor_pool())
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64
}

/// What protoc adds that the served descriptors leave out: options (the HTTP
/// rules live there), source info and the google/api import.
fn normalize(mut f: FileDescriptorProto) -> FileDescriptorProto {
    f.source_code_info = None;
    f.options = None;
    f.dependency.retain(|d| !d.starts_with("google/api/"));
    for s in &mut f.service {
        for m in &mut s.method {
            m.options = None;
        }
    }
    f
}

fn check_same(schema: &bia::schema::Schema) {
    let served = schema.file_descriptor_set();
    let (compiled, _) = compile(schema);
    for file in served.file.iter().filter(|f| !f.name().starts_with("google/")) {
        let theirs = compiled
            .file
            .iter()
            .find(|f| f.name() == file.name())
            .unwrap_or_else(|| panic!("{} not compiled", file.name()));
        assert_eq!(normalize(theirs.clone()), normalize(file.clone()), "{}", file.name());
    }
}

#[test]
fn exported_proto_compiles_to_the_served_descriptors() {
    check_same(&bia_tests::LibraryServer::<()>::schema());
    check_same(&helloworld::GreeterServer::<()>::schema());
}

#[test]
fn http_rules_are_in_the_proto_as_google_api_http() {
    let schema = bia_tests::LibraryServer::<()>::schema();
    let text = &schema.proto_files()[0].1;
    assert!(text.contains("import \"google/api/annotations.proto\";"), "{text}");
    assert!(text.contains("reserved 9, 10;"), "{text}");
    assert!(text.contains("map<int64, Author> by_id = 8;"), "{text}");
    assert!(text.contains("optional int32 maybe_count = 1;"), "{text}");
    assert!(text.contains("string original_name = 24 [json_name = \"renamed\"];"), "{text}");
    assert!(text.contains("sint64 s64 = 6;"), "{text}");
    assert!(text.contains("  oneof choice {\n    string text = 30;\n    sint64 number = 31;\n    Author person = 32;\n    Genre color = 33;\n  }"), "{text}");
    let (_, pool) = compile(&schema);
    let method =
        pool.get_service_by_name("test.v1.Library").unwrap().methods().find(|m| m.name() == "GetBook").unwrap();
    let http_ext = pool.get_extension_by_name("google.api.http").unwrap();
    let options = method.options();
    let rule = options.get_extension(&http_ext);
    let Value::Message(rule) = rule.as_ref() else { panic!("no http rule") };
    assert_eq!(rule.get_field_by_name("get").unwrap().as_str(), Some("/v1/{name=shelves/*/books/*}"));
    let Value::List(extra) = rule.get_field_by_name("additional_bindings").unwrap().into_owned() else { panic!() };
    let Value::Message(extra) = &extra[0] else { panic!() };
    assert_eq!(extra.get_field_by_name("get").unwrap().as_str(), Some("/v1/books/{name}"));

    let create =
        pool.get_service_by_name("test.v1.Library").unwrap().methods().find(|m| m.name() == "CreateBook").unwrap();
    let Value::Message(rule) = create.options().get_extension(&http_ext).into_owned() else { panic!() };
    assert_eq!(rule.get_field_by_name("post").unwrap().as_str(), Some("/v1/shelves/{shelf}/books"));
    assert_eq!(rule.get_field_by_name("body").unwrap().as_str(), Some("book"));
    let files = pool.get_service_by_name("test.v1.Library").unwrap().methods().find(|m| m.name() == "Files").unwrap();
    let Value::Message(rule) = files.options().get_extension(&http_ext).into_owned() else { panic!() };
    let Value::Message(custom) = rule.get_field_by_name("custom").unwrap().into_owned() else { panic!() };
    assert_eq!(custom.get_field_by_name("kind").unwrap().as_str(), Some("OPTIONS"));
    assert_eq!(custom.get_field_by_name("path").unwrap().as_str(), Some("/v1/files/{path=**}"));
    // A method without #[rpc] has no rule in the .proto (its POST default is Bia's).
    let echo = pool.get_service_by_name("test.v1.Library").unwrap().methods().find(|m| m.name() == "Echo").unwrap();
    assert!(!echo.options().has_extension(&http_ext));
}

#[tokio::test]
async fn reflection_v1_and_v1alpha_and_health_are_served() {
    use tonic_reflection::pb::v1 as r1;
    use tonic_reflection::pb::v1alpha as r1a;
    let app = bia_tests::start_library().await;
    let channel = tonic::transport::Endpoint::from_shared(app.grpc_url()).unwrap().connect().await.unwrap();

    let mut client = r1::server_reflection_client::ServerReflectionClient::new(channel.clone());
    let req = r1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(r1::server_reflection_request::MessageRequest::ListServices(String::new())),
    };
    let mut stream = client.server_reflection_info(tokio_stream::iter([req])).await.unwrap().into_inner();
    let reply = stream.message().await.unwrap().unwrap();
    let Some(r1::server_reflection_response::MessageResponse::ListServicesResponse(list)) = reply.message_response
    else {
        panic!("{reply:?}")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for want in ["test.v1.Library", "helloworld.v1.Greeter", "grpc.health.v1.Health"] {
        assert!(names.iter().any(|n| n == want), "{names:?}");
    }

    let mut alpha = r1a::server_reflection_client::ServerReflectionClient::new(channel.clone());
    let req = r1a::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(r1a::server_reflection_request::MessageRequest::FileContainingSymbol(
            "test.v1.Library".into(),
        )),
    };
    let mut stream = alpha.server_reflection_info(tokio_stream::iter([req])).await.unwrap().into_inner();
    let reply = stream.message().await.unwrap().unwrap();
    let Some(r1a::server_reflection_response::MessageResponse::FileDescriptorResponse(fd)) = reply.message_response
    else {
        panic!("{reply:?}")
    };
    let files: Vec<FileDescriptorProto> = fd
        .file_descriptor_proto
        .iter()
        .map(|b| <FileDescriptorProto as prost::Message>::decode(&b[..]).unwrap())
        .collect();
    let library = files.iter().find(|f| f.package() == "test.v1").expect("test.v1 file");
    assert!(library.service.iter().any(|s| s.name() == "Library"));
    assert!(library.dependency.iter().any(|d| d == "google/protobuf/timestamp.proto"));

    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    for service in ["", "test.v1.Library", "helloworld.v1.Greeter"] {
        let r =
            health.check(tonic_health::pb::HealthCheckRequest { service: service.into() }).await.unwrap().into_inner();
        assert_eq!(r.status(), tonic_health::pb::health_check_response::ServingStatus::Serving, "{service}");
    }
    let r = bia_tests::raw::http("GET", &format!("{}/healthz", app.http_url()), "").await;
    assert_eq!(r.status, 200);
    app.running.stop().await.unwrap();
}

#[test]
fn streaming_methods_say_stream_on_the_right_side() {
    let schema = bia_tests::streams::CounterServer::<()>::schema();
    check_same(&schema);
    let text = &schema.proto_files()[0].1;
    assert!(text.contains("rpc Count(CountRequest) returns (stream Tick)"), "{text}");
    // The method `Sum` hides the message `Sum` inside the service: protoc
    // resolves the name to the method, so the reply is written in full.
    assert!(text.contains("rpc Sum(stream Tick) returns (.stream.v1.Sum)"), "{text}");
    assert!(text.contains("rpc Echo(stream Tick) returns (stream Tick)"), "{text}");
    let (_, pool) = compile(&schema);
    let service = pool.get_service_by_name("stream.v1.Counter").unwrap();
    let shapes: Vec<(String, bool, bool)> =
        service.methods().map(|m| (m.name().to_owned(), m.is_client_streaming(), m.is_server_streaming())).collect();
    assert_eq!(
        shapes,
        [("Count".to_owned(), false, true), ("Sum".to_owned(), true, false), ("Echo".to_owned(), true, true)]
    );
}
