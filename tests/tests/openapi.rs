//! The OpenAPI 3.1 documents: their snapshots (helloworld, and the test
//! services, which cover every mapping rule and field kind), the rules as
//! the document states them, a validator that is not ours
//! (`openapi-spec-validator`, PyPI) on the examples' and the test services'
//! documents, the live `/openapi.json` and `/openapi.yaml` and their
//! switch, and the truth of the document: requests built from it are
//! answered, and every answer fits the schema it documents.
//!
//! Snapshots are under `tests/snapshots/openapi/`; after an intended change
//! run with `BIA_SNAPSHOTS=overwrite` and review the diff. The validator
//! test needs `python3` with `openapi-spec-validator` (`.ci/run` installs
//! it): without it the test says so and passes, unless
//! `BIA_REQUIRE_EXTERNAL=1` is set (CI), where its absence fails it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;

use bia::schema::OpenApi;
use bia::transport::grpc::GrpcServer;
use bia::transport::http::HttpServer;
use bia::App;
use bia_tests::catalog::{CatalogError, CatalogOperation, CatalogServer, MemoryCatalog};
use bia_tests::raw::http;
use bia_tests::streams::CounterServer;
use bia_tests::wkt::{AllThings, ThingsServer};
use bia_tests::{LibraryError, LibraryServer, MemoryLibrary};
use serde_json::{json, Value};

/// The test services' document.
fn test_api() -> OpenApi {
    OpenApi::new("Bia test services", "1.0.0")
        .description("Every mapping rule and field kind.")
        .service::<LibraryServer<()>>()
        .service::<ThingsServer<()>>()
        .service::<CounterServer<()>>()
        .service::<CatalogServer<()>>()
        .errors::<LibraryError>()
        .errors::<CatalogError>()
        .bearer(|op| op == CatalogOperation::PUT_PRODUCT)
}

fn snapshot(name: &str, doc: &Value) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("snapshots/openapi").join(format!("{name}.json"));
    let mut text = serde_json::to_string_pretty(doc).expect("JSON");
    text.push('\n');
    let overwrite = std::env::var("BIA_SNAPSHOTS").as_deref() == Ok("overwrite");
    match std::fs::read_to_string(&path) {
        Ok(old) if !overwrite => assert!(
            old == text,
            "{name}: the OpenAPI document changed; review and re-run with BIA_SNAPSHOTS=overwrite\n--- new ---\n{text}"
        ),
        _ => {
            std::fs::create_dir_all(path.parent().expect("parent")).expect("create the snapshots folder");
            std::fs::write(&path, &text).expect("write the snapshot");
            assert!(overwrite, "{name}: snapshot {} was missing and has been written; re-run", path.display());
        }
    }
}

#[test]
fn helloworld_document_matches_its_snapshot() {
    snapshot("helloworld", &helloworld::openapi().document());
}

#[test]
fn test_services_document_matches_its_snapshot() {
    snapshot("test_services", &test_api().document());
}

fn schemas(doc: &Value) -> &Value {
    &doc["components"]["schemas"]
}

#[test]
fn bindings_become_operations_with_their_parameters() {
    let doc = test_api().document();
    let paths = &doc["paths"];
    // A pattern variable, and the additional binding with its own id.
    let get = &paths["/v1/{name}"]["get"];
    assert_eq!(get["operationId"], "GetBook");
    assert_eq!(get["parameters"][0]["schema"]["pattern"], "^shelves/[^/]+/books/[^/]+$");
    assert_eq!(paths["/v1/books/{name}"]["get"]["operationId"], "GetBook_2");
    // The rest of the fields from the query: repeated, nested, enums.
    let list = &paths["/v1/shelves/{shelf}/books"]["get"];
    let names: Vec<&str> = list["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "shelf",
            "page",
            "page_size",
            "tags",
            "filter.genre",
            "filter.author.id",
            "filter.author.name",
            "filter.min_pages"
        ]
    );
    let tags = &list["parameters"][3];
    assert_eq!(
        (tags["in"].clone(), tags["schema"]["type"].clone(), tags["explode"].clone()),
        (json!("query"), json!("array"), json!(true))
    );
    assert_int64(&list["parameters"][1]["schema"]);
    // `body = "field"`: that field is the body, and not in the query.
    let create = &paths["/v1/shelves/{shelf}/books"]["post"];
    assert_eq!(
        create["requestBody"]["content"]["application/json"]["schema"]["anyOf"][0]["$ref"],
        "#/components/schemas/test.v1.Book"
    );
    assert!(create.get("parameters").unwrap().as_array().unwrap().iter().all(|p| p["name"] != "book"));
    // A nested path variable with `body = "*"`: no query. Its template is
    // `/v1/{book.name}`, which OpenAPI holds to be the same path as GetBook's
    // `/v1/{name=shelves/*/books/*}`: the variable takes GetBook's name, and
    // says the field it binds.
    assert!(paths.get("/v1/{book.name}").is_none());
    let update = &paths["/v1/{name}"]["patch"];
    assert_eq!(update["parameters"].as_array().unwrap().len(), 1);
    assert_eq!(update["parameters"][0]["name"], "name");
    assert!(update["parameters"][0]["description"].as_str().unwrap().contains("The `book.name` field."));
    // `response_body`: the reply is the field.
    let author = &paths["/v1/authors/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(author["anyOf"][0]["$ref"], "#/components/schemas/test.v1.Author");
    // A custom method and a `**` pattern.
    let files = &paths["/v1/files/{path}"];
    assert_eq!(files["options"]["operationId"], "Files");
    assert_eq!(files["get"]["parameters"][0]["schema"]["pattern"], "^.+$");
    // The default route; three services have an `Echo`: each is qualified.
    assert_eq!(paths["/test.v1.Library/Echo"]["post"]["operationId"], "Library_Echo");
    assert_eq!(paths["/v1/everything"]["post"]["operationId"], "Things_Echo");
    // Custom verbs stay in the path.
    assert_eq!(paths["/v1/{name}:undelete"]["post"]["operationId"], "UndeleteProduct");
    assert!(paths["/v1/products:search"]["get"].is_object());
    // Doc comments: summary and description.
    let put = &paths["/v1/{name}"]["put"];
    assert_eq!(put["summary"], "Creates or replaces a product.");
    assert_eq!(put["description"], "Creates or replaces a product.\n\nThe product's `name` says which.");
    // One tag per service, its doc as the description.
    assert!(doc["tags"].as_array().unwrap().iter().any(|t| t["name"] == "catalog.v1.Catalog"
        && t["description"] == "The catalog of products.\n\nIt answers in snake_case."));
    // Ids are unique.
    let mut ids = Vec::new();
    for item in paths.as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            ids.push(op["operationId"].as_str().unwrap().to_owned());
        }
    }
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "operation ids repeat");
}

#[test]
fn schemas_are_what_the_json_codec_writes() {
    let doc = test_api().document();
    let s = schemas(&doc);
    let scalars = &s["test.v1.Scalars"]["properties"];
    assert_int64(&scalars["i64Value"]);
    assert_eq!(scalars["u64Value"]["format"], "uint64");
    assert_eq!(scalars["f64Fixed"]["format"], "uint64");
    assert_eq!(scalars["bytesValue"], json!({"type": "string", "contentEncoding": "base64"}));
    assert_eq!(scalars["i32Value"], json!({"type": "integer", "format": "int32"}));
    assert_eq!(scalars["doubleValue"]["anyOf"][1]["enum"], json!(["NaN", "Infinity", "-Infinity"]));
    let kinds = &s["test.v1.Kinds"];
    let k = &kinds["properties"];
    assert_eq!(k["maybeCount"]["type"], json!(["integer", "null"]));
    assert_eq!(k["author"]["anyOf"], json!([{"$ref": "#/components/schemas/test.v1.Author"}, {"type": "null"}]));
    assert_eq!(k["counts"]["additionalProperties"], json!({"type": "integer", "format": "int32"}));
    assert_eq!(k["byId"]["propertyNames"]["pattern"], "^-?[0-9]+$");
    assert_eq!(k["genre"], json!({"$ref": "#/components/schemas/test.v1.Genre"}));
    assert_eq!(k["created"], json!({"type": "string", "format": "date-time"}));
    assert_eq!(k["ttl"]["type"], json!(["string", "null"]));
    assert!(k.get("renamed").is_some() && k.get("originalName").is_none());
    // The oneof: at most one member.
    let one_of = kinds["oneOf"].as_array().unwrap();
    assert_eq!(one_of.len(), 5);
    assert_eq!(one_of[0], json!({"required": ["text"]}));
    // Its doc comment and those of its values describe it.
    assert_eq!(
        s["test.v1.Genre"],
        json!({
            "type": "string",
            "enum": ["GENRE_UNSPECIFIED", "GENRE_FICTION", "GENRE_SCIENCE"],
            "description": "A genre (an enum field: JSON by name).\n\n- `GENRE_FICTION`: Made up.\n- `GENRE_SCIENCE`: About the world as it is."
        })
    );
    // Well-known types in their JSON forms.
    let e = &s["wkt.v1.Everything"]["properties"];
    assert_eq!(e["mask"]["type"], json!(["string", "null"]));
    assert_eq!(e["labels"]["type"], json!(["object", "null"]));
    assert_eq!(e["any"]["required"], json!(["@type"]));
    assert_eq!(e["took"]["pattern"], "^-?[0-9]+(\\.[0-9]{1,9})?s$");
    assert_eq!(e["int64"]["type"], json!(["string", "null"]));
    // Recursion is a reference, not an expansion.
    let node = &s["wkt.v1.Node"]["properties"];
    assert!(node.to_string().contains("#/components/schemas/wkt.v1.Node"));
    // snake_case services: proto names, in their own components.
    let product = &s["catalog.v1.Product_snake"];
    assert!(product["properties"].get("display_name").is_some());
    assert!(s.get("catalog.v1.Product").is_none(), "no lowerCamelCase variant is used");
}

#[test]
fn validation_rules_become_constraints() {
    let doc = test_api().document();
    let p = &schemas(&doc)["catalog.v1.Product_snake"];
    let f = &p["properties"];
    // `required`, and the fields whose default (what an absent field reads
    // as) the rules refuse: an empty display name, an empty email, serial 0.
    assert_eq!(p["required"], json!(["name", "display_name", "contact_email", "serial"]));
    assert!(f["stock"]["pattern"].as_str().is_some_and(|p| matches(p, "0") && !matches(p, "-1")), "stock >= 0");
    let serial = f["serial"]["pattern"].as_str().unwrap();
    assert!(
        matches(serial, "1")
            && matches(serial, "99999999999")
            && !matches(serial, "100000000000")
            && !matches(serial, "0")
    );
    assert_eq!(f["name"]["pattern"], "^products/[a-z0-9-]+$");
    assert_eq!(f["name"]["minLength"], 1);
    assert_eq!((f["display_name"]["minLength"].clone(), f["display_name"]["maxLength"].clone()), (json!(1), json!(40)));
    assert_eq!(f["contact_email"]["format"], "email");
    assert_eq!((f["price_cents"]["minimum"].clone(), f["price_cents"]["maximum"].clone()), (json!(0), json!(1000000)));
    assert_eq!(f["discount"]["anyOf"][0]["anyOf"][0]["exclusiveMinimum"], 0);
    assert_eq!(f["discount"]["anyOf"][0]["anyOf"][0]["exclusiveMaximum"], 1);
    assert!(f["stock"]["description"].as_str().unwrap().ends_with("Must be at least 0."));
    assert!(f["serial"]["description"].as_str().unwrap().ends_with("Must be at least 1 and at most 99999999999."));
    assert_eq!(f["labels"]["maxItems"], 5);
    assert_eq!(f["labels"]["items"], json!({"type": "string", "minLength": 1, "maxLength": 10, "pattern": "^[a-z]+$"}));
    assert_eq!(f["attributes"]["maxProperties"], 8);
    assert!(f["thumbnail"]["description"].as_str().unwrap().contains("At most 64 bytes."));
    // A required oneof: exactly one member.
    assert_eq!(p["oneOf"], json!([{"required": ["post"]}, {"required": ["pickup"]}]));
}

#[test]
fn errors_streams_and_security_are_documented() {
    let doc = test_api().document();
    let error = &schemas(&doc)["bia.Error"];
    assert_eq!(error["required"], json!(["code", "reason", "message", "metadata"]));
    let reasons = &error["properties"]["reason"];
    assert_eq!(
        reasons["examples"],
        json!(["BOOK_NOT_FOUND", "BOOK_EXISTS", "EMPTY_TITLE", "PRODUCT_NOT_FOUND", "PRODUCT_DELETED"])
    );
    assert!(reasons["description"]
        .as_str()
        .unwrap()
        .contains("`PRODUCT_NOT_FOUND` (404, catalog.v1): No product has this name."));
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            assert_eq!(op["responses"]["default"]["$ref"], "#/components/responses/Error", "{}", op["operationId"]);
        }
    }
    // Server streaming: SSE and NDJSON.
    let count = &doc["paths"]["/v1/count/{count}"]["get"]["responses"]["200"]["content"];
    assert!(count["text/event-stream"].is_object());
    assert_eq!(
        count["application/x-ndjson"]["schema"]["oneOf"][0]["properties"]["result"]["$ref"],
        "#/components/schemas/stream.v1.Tick"
    );
    // Client and bidirectional streams: WebSockets, outside `paths`.
    assert!(doc["paths"].get("/v1/sum").is_none());
    let ws: Vec<&str> =
        doc["x-bia-websockets"].as_array().unwrap().iter().map(|w| w["operation"].as_str().unwrap()).collect();
    assert_eq!(ws, ["/stream.v1.Counter/Sum", "/stream.v1.Counter/Echo"]);
    // Bearer on the operations the predicate names, nowhere else.
    let put = &doc["paths"]["/v1/{name}"]["put"];
    assert_eq!(put["security"], json!([{"bearer": []}]));
    assert!(put["responses"]["401"].is_object());
    assert!(doc["paths"]["/v1/{name}"]["get"].get("security").is_none());
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
}

#[test]
fn the_user_service_declares_bearer_on_writes_when_jwt_is_on() {
    let on = user_service::api::openapi(true).document();
    assert_eq!(on["paths"]["/v1/user"]["post"]["security"], json!([{"bearer": []}]));
    assert!(on["paths"]["/v1/user/{id}"]["get"].get("security").is_none());
    let off = user_service::api::openapi(false).document();
    assert!(off["paths"]["/v1/user"]["post"].get("security").is_none());
    assert!(off["components"].get("securitySchemes").is_none());
}

#[test]
fn writes_json_or_yaml_by_the_file_name() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("openapi-write");
    let api = helloworld::openapi();
    api.write(dir.join("a/openapi.yaml")).unwrap();
    api.write(dir.join("openapi.json")).unwrap();
    let yaml: Value = serde_yaml::from_str(&std::fs::read_to_string(dir.join("a/openapi.yaml")).unwrap()).unwrap();
    let json: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("openapi.json")).unwrap()).unwrap();
    assert_eq!(yaml, api.document());
    assert_eq!(json, api.document());
    let err = api.write(dir.join("openapi.json/inside.json")).unwrap_err();
    assert_ne!(err.kind(), std::io::ErrorKind::NotFound, "a file in the way is an error, not a panic: {err}");
}

/// `python3` when `openapi_spec_validator` imports, or `None` (a skip)
/// when it does not and is not required.
fn validator_or_skip() -> Option<&'static str> {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let msg = "python3 with openapi-spec-validator is not installed (pip install openapi-spec-validator)";
        if std::env::var("BIA_REQUIRE_EXTERNAL").as_deref() == Ok("1") {
            panic!("BIA_REQUIRE_EXTERNAL=1: {msg}");
        }
        eprintln!("skipping the OpenAPI validator test: {msg}");
    }
    ok.then_some("python3")
}

const VALIDATE: &str = r#"
import sys, json, yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
failed = 0
for path in sys.argv[1:]:
    with open(path) as f:
        doc = yaml.safe_load(f) if path.endswith(".yaml") else json.load(f)
    try:
        validate(doc)
        print("valid", path)
    except OpenAPIValidationError as e:
        failed += 1
        print("INVALID", path, e, file=sys.stderr)
sys.exit(1 if failed else 0)
"#;

#[test]
fn documents_pass_openapi_spec_validator() {
    let Some(python) = validator_or_skip() else { return };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("openapi-validate");
    let docs = [
        ("user-service.json", user_service::api::openapi(true)),
        ("user-service.yaml", user_service::api::openapi(false)),
        ("order-service.json", order_service::api::openapi()),
        ("helloworld.yaml", helloworld::openapi()),
        ("test-services.json", test_api()),
    ];
    let mut files = Vec::new();
    for (name, api) in &docs {
        let path = dir.join(name);
        api.write(&path).unwrap();
        files.push(path);
    }
    let out = std::process::Command::new(python).arg("-c").arg(VALIDATE).args(&files).output().expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "openapi-spec-validator refused a document:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.lines().filter(|l| l.starts_with("valid ")).count(), docs.len(), "{stdout}");
}

/// An App serving the Library, Things and Catalog services with the test
/// services' document, or with no document.
async fn serve(openapi: bool) -> bia_tests::TestApp {
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let library = LibraryServer::new(MemoryLibrary::default());
    let http = HttpServer::new(any)
        .service(library.clone())
        .service(ThingsServer::new(AllThings))
        .service(CatalogServer::new(MemoryCatalog::default()))
        .openapi(test_api())
        .serve_openapi(openapi);
    bia_tests::start(App::new("openapi-test").version("9.9.9").http(http).grpc(GrpcServer::new(any).service(library)))
        .await
}

#[tokio::test]
async fn the_app_serves_json_and_yaml_and_the_switch_turns_them_off() {
    let app = serve(true).await;
    let url = app.http_url();
    let json = http("GET", &format!("{url}/openapi.json"), "").await;
    assert_eq!((json.status, json.content_type.as_str()), (200, "application/json"));
    assert_eq!(json.json(), test_api().document());
    let yaml = http("GET", &format!("{url}/openapi.yaml"), "").await;
    assert_eq!((yaml.status, yaml.content_type.as_str()), (200, "application/yaml"));
    let read: Value = serde_yaml::from_str(&yaml.text()).unwrap();
    assert_eq!(read, test_api().document());
    // Built once: the same bytes again.
    assert_eq!(http("GET", &format!("{url}/openapi.json"), "").await.body, json.body);
    app.running.stop().await.unwrap();

    // Default settings take the App's name and version.
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let plain = HttpServer::new(any).service(CatalogServer::new(MemoryCatalog::default()));
    let app = bia_tests::start(App::new("catalog").version("2.0.0").http(plain).grpc(GrpcServer::new(any))).await;
    let doc = http("GET", &format!("{}/openapi.json", app.http_url()), "").await.json();
    assert_eq!(doc["info"], json!({"title": "catalog", "version": "2.0.0"}));
    assert!(doc["paths"]["/v1/products:search"].is_object());
    app.running.stop().await.unwrap();

    let app = serve(false).await;
    for path in ["/openapi.json", "/openapi.yaml"] {
        let off = http("GET", &format!("{}{path}", app.http_url()), "").await;
        assert_eq!(off.status, 404);
        let body = off.json();
        assert_eq!((body["code"].clone(), body["reason"].clone()), (json!(404), json!("NOT_FOUND")), "{body}");
    }
    app.running.stop().await.unwrap();
}

/// A validator of `schema`, a part of `doc` (its references point into
/// `doc`'s components).
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = schema.clone();
    if let Some(obj) = root.as_object_mut() {
        obj.insert("components".into(), doc["components"].clone());
    } else {
        root = json!({ "allOf": [schema], "components": doc["components"] });
    }
    jsonschema::draft202012::options().should_validate_formats(true).build(&root).expect("a valid JSON Schema")
}

fn check(doc: &Value, schema: &Value, value: &Value, what: &str) {
    let v = validator(doc, schema);
    let errors: Vec<String> = v.iter_errors(value).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{what}: {value} does not fit the documented schema:\n{}", errors.join("\n"));
}

/// A 64-bit integer: a string whose pattern holds exactly the canonical
/// decimal numbers of the type.
fn assert_int64(schema: &Value) {
    assert_eq!((schema["type"].as_str(), schema["format"].as_str()), (Some("string"), Some("int64")), "{schema}");
    let p = schema["pattern"].as_str().unwrap();
    for ok in ["0", "-5", "9223372036854775807", "-9223372036854775808"] {
        assert!(matches(p, ok), "{ok} must match {p}");
    }
    for bad in ["", "9223372036854775808", "-9223372036854775809", "+1", "01", "1e3", "a"] {
        assert!(!matches(p, bad), "{bad:?} must not match {p}");
    }
}

fn matches(pattern: &str, s: &str) -> bool {
    jsonschema::is_valid(&json!({ "type": "string", "pattern": pattern }), &json!(s))
}

/// A value for a path or query parameter, from its documented schema.
fn param_value(schema: &Value) -> Vec<String> {
    if matches!(schema["format"].as_str(), Some("int64" | "uint64")) {
        return vec!["7".into()];
    }
    if let Some(p) = schema["pattern"].as_str() {
        let v = p
            .trim_start_matches('^')
            .trim_end_matches('$')
            .replace("[^/]+", "1")
            .replace(".+", "a/b")
            .replace('\\', "");
        return vec![v];
    }
    match (schema["type"].as_str(), schema["format"].as_str()) {
        (Some("array"), _) => {
            let one = param_value(&schema["items"]);
            [one.clone(), one].concat()
        }
        (Some("string"), Some("int64" | "uint64")) => vec!["7".into()],
        (Some("string"), Some("date-time")) => vec!["2024-01-02T03:04:05Z".into()],
        (Some("integer"), _) => vec!["3".into()],
        (Some("boolean"), _) => vec!["true".into()],
        _ if schema.get("$ref").is_some() => vec!["GENRE_FICTION".into()],
        _ if schema.get("anyOf").is_some() => vec!["1.5".into()],
        _ => vec!["1".into()],
    }
}

/// Bodies the generic shape cannot guess (a pattern, a required oneof).
fn body_for(operation_id: &str) -> Value {
    match operation_id {
        "PutProduct" => json!({
            "name": "products/1", "display_name": "A lamp", "contact_email": "a@example.com",
            "price_cents": 1200, "discount": 0.5, "stock": "3", "serial": "12", "labels": ["home"], "post": "1 Main St"
        }),
        "CreateBook" => json!({"name": "1", "title": "Dune", "genre": "GENRE_FICTION", "pages": "412"}),
        "UpdateBook" => json!({"book": {"name": "shelves/1/books/1", "title": "Dune Messiah"}}),
        "Things_Echo" | "Pack" => json!({"text": "hi", "stars": "5"}),
        "EchoNode" | "EncodeNode" => json!({"name": "a", "children": [{"name": "b"}]}),
        _ => json!({}),
    }
}

#[tokio::test]
async fn the_document_tells_the_truth_about_the_calls() {
    let app = serve(true).await;
    let url = app.http_url();
    let doc = http("GET", &format!("{url}/openapi.json"), "").await.json();
    let error = json!({ "$ref": "#/components/schemas/bia.Error" });
    // Creations first, deletions last, so that the rest finds what it asks for.
    let order = |method: &str| match method {
        "put" | "post" => 0,
        "delete" => 2,
        _ => 1,
    };
    let mut ops: Vec<(String, String, Value)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            ops.push((path.clone(), method.clone(), op.clone()));
        }
    }
    ops.sort_by_key(|(_, m, _)| order(m));
    let mut answered = 0;
    for (path, method, op) in &ops {
        let id = op["operationId"].as_str().unwrap();
        if method == "options" {
            continue; // hyper's client sends OPTIONS like any method; the Files rule is covered by its GET.
        }
        let mut target = path.clone();
        let mut query = Vec::new();
        for p in op["parameters"].as_array().into_iter().flatten() {
            let (name, values) = (p["name"].as_str().unwrap(), param_value(&p["schema"]));
            match p["in"].as_str().unwrap() {
                "path" => target = target.replace(&format!("{{{name}}}"), &values[0]),
                _ => query.extend(values.into_iter().map(|v| format!("{name}={v}"))),
            }
        }
        if !query.is_empty() {
            target = format!("{target}?{}", query.join("&"));
        }
        let body = match op.get("requestBody") {
            Some(rb) => {
                let body = body_for(id);
                check(&doc, &rb["content"]["application/json"]["schema"], &body, &format!("{id}'s request"));
                body.to_string()
            }
            None => String::new(),
        };
        let res = http(&method.to_uppercase(), &format!("{url}{target}"), body).await;
        let reply = res.json();
        if res.status == 200 {
            let ok = &op["responses"]["200"]["content"]["application/json"]["schema"];
            check(&doc, ok, &reply, &format!("{id} ({} {target})", method.to_uppercase()));
            answered += 1;
        } else {
            check(&doc, &error, &reply, &format!("{id}'s error"));
            assert!(res.status != 400 || !reply["reason"].as_str().unwrap().starts_with("CODEC"), "{id}: {reply}");
        }
    }
    // Every documented request was understood, and (all but the lookups of
    // what no call created) answered.
    assert!(answered >= ops.len() - 4, "only {answered} of {} operations answered 200", ops.len());
    app.running.stop().await.unwrap();
}
