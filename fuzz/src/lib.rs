//! Fuzz targets of the parsers Bia runs on hostile input, written once and
//! run two ways: by AFL++ for as long as one wants (`fuzz/afl`, see
//! `fuzz/run.sh`), and over the committed corpora by `cargo test`
//! (`tests/replay.rs`), so that every input a long run kept is replayed on
//! every change.
//!
//! A target takes any bytes and panics only when Bia broke a promise: a
//! panic inside Bia, an error reply without the error body, a message that
//! does not survive its own encoding. Rejections are the expected outcome
//! of most inputs.
//!
//! ```
//! for (name, target) in bia_fuzz::TARGETS {
//!     target(b"");
//!     target(b"/v1/shelves/1/books?page=2");
//!     assert!(!name.is_empty());
//! }
//! ```

use std::collections::HashMap;
use std::sync::OnceLock;

use bia_tests::catalog::{CatalogServer, MemoryCatalog};
use bia_tests::{Kinds, LibraryServer, MemoryLibrary};
use http_body_util::BodyExt as _;
use prost::Message as _;
use tower::ServiceExt as _;

/// A fuzz target: any bytes in, a panic only on a broken promise.
pub type Target = fn(&[u8]);

/// Every target by name (the name of its corpus folder under `fuzz/corpus`).
pub const TARGETS: &[(&str, Target)] = &[
    ("path", path),
    ("query", query),
    ("json", json),
    ("protobuf", protobuf),
    ("grpc_timeout", grpc_timeout),
    ("config", config),
    ("jwt", jwt),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// A message that contains itself in every way protobuf allows, and every
/// field kind (through `Kinds`): what the JSON and protobuf targets decode.
#[bia::message(package = "fuzz.v1")]
pub struct Deep {
    pub name: String,
    pub kinds: Option<Kinds>,
    pub children: Vec<Deep>,
    pub parent: Option<Box<Deep>>,
    pub named: HashMap<String, Box<Deep>>,
    pub doc: Option<bia::types::Struct>,
    pub mask: Option<bia::types::FieldMask>,
}

/// The HTTP routes of the test library and catalog (every mapping rule:
/// variables spanning segments, `**`, custom verbs, bodies, queries into
/// nested and repeated fields), called in-process on a current-thread
/// runtime: each input is one request, answered as a client would see it.
struct Routes {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
}

fn routes() -> &'static Routes {
    static ROUTES: OnceLock<Routes> = OnceLock::new();
    ROUTES.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let router = LibraryServer::new(MemoryLibrary::default())
            .into_router()
            .merge(CatalogServer::new(MemoryCatalog::default()).into_router());
        Routes { runtime, router }
    })
}

/// Sends one request to the test routes and checks the answer: any
/// status, but an error status carries Bia's error body (a JSON object with
/// its `code`, equal to the status, and a `reason`). The status, or `None`
/// for a URI that is no request URI at all (hyper refuses it before Bia
/// sees it).
pub fn call(method: &str, uri: &str, content_type: Option<&str>, body: Vec<u8>) -> Option<u16> {
    let Ok(uri) = uri.parse::<http::Uri>() else {
        return None;
    };
    let mut request = http::Request::builder().method(method).uri(uri);
    if let Some(ct) = content_type {
        request = request.header(http::header::CONTENT_TYPE, ct);
    }
    let request = request.body(axum::body::Body::from(body)).expect("a request");
    let routes = routes();
    let (status, body) = routes.runtime.block_on(async {
        let response = routes.router.clone().oneshot(request).await.expect("the router is infallible");
        let status = response.status();
        let body = response.into_body().collect().await.expect("a body").to_bytes();
        (status, body)
    });
    let unrouted = matches!(status, http::StatusCode::NOT_FOUND | http::StatusCode::METHOD_NOT_ALLOWED);
    if status.is_success() || unrouted && body.is_empty() {
        // A reply, or no route at all (the HTTP server's fallback, not
        // mounted here, answers that one with the error body).
        return Some(status.as_u16());
    }
    let error: serde_json::Value = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{status} without the error body ({e}): {}", String::from_utf8_lossy(&body)));
    assert_eq!(error["code"].as_u64(), Some(u64::from(status.as_u16())), "{error}");
    assert!(error["reason"].is_string(), "{error}");
    Some(status.as_u16())
}

/// The path-template matcher and binder: the input is a request path.
pub fn path(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (method, path) = match data.first() {
        Some(b'P') => ("PATCH", &text[1..]),
        Some(b'D') => ("DELETE", &text[1..]),
        Some(b'O') => ("OPTIONS", &text[1..]),
        Some(b'U') => ("POST", &text[1..]),
        _ => ("GET", &text[..]),
    };
    let path = if path.starts_with('/') { path.to_owned() } else { format!("/v1/{path}") };
    let _ = call(method, &path, None, Vec::new());
}

/// The query binder: the input is the query of a call whose message has
/// scalars, repeated fields, a nested message and enums to bind.
pub fn query(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (path, query) = match text.split_once('\n') {
        Some((path, query)) if !path.is_empty() => (format!("/v1/{path}"), query),
        _ => ("/v1/shelves/s1/books".to_owned(), &text[..]),
    };
    let _ = call("GET", &format!("{path}?{query}"), None, Vec::new());
}

/// The proto3 JSON decoder: the input is the body of a call taking a
/// message with every field kind, through the HTTP route (`body = "*"`);
/// and, directly, a recursive message, which must encode back to JSON that
/// decodes to the same value.
pub fn json(data: &[u8]) {
    let _ = call("POST", "/test.v1.Library/Echo", Some("application/json"), data.to_vec());
    if let Ok(deep) = serde_json::from_slice::<Deep>(data) {
        let again = serde_json::to_vec(&deep).expect("a decoded message encodes");
        let back: Deep =
            serde_json::from_slice(&again).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&again)));
        assert_same(&back, &deep, "JSON round trip", true);
    }
}

/// The two messages hold the same values. Not by their bytes: a map's
/// entries are written in its iteration order, which a `HashMap` does not
/// keep. Not by `==` either: a NaN float is not equal to itself. By their
/// JSON values (maps compared as maps, NaN as `"NaN"`) and, after a
/// protobuf round trip, their lengths. (After a JSON round trip the lengths
/// may differ where JSON has one form for several protobuf values, as in
/// every proto3 JSON printer: a `NullValue` of any number is `null`.)
fn assert_same(a: &Deep, b: &Deep, what: &str, through_json: bool) {
    if !through_json {
        assert_eq!(a.encoded_len(), b.encoded_len(), "{what}: encoded_len");
    }
    match (serde_json::to_value(a), serde_json::to_value(b)) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "{what}"),
        (Err(_), Err(_)) => {}
        (x, y) => panic!("{what}: one has a JSON form, the other not: {x:?} {y:?}"),
    }
}

/// The protobuf decoder: a recursive message with every field kind; what
/// decodes must encode to bytes that decode to the same value, and its
/// JSON must read back to it.
pub fn protobuf(data: &[u8]) {
    let Ok(deep) = Deep::decode(data) else { return };
    let bytes = deep.encode_to_vec();
    assert_eq!(bytes.len(), deep.encoded_len(), "encoded_len");
    let again = Deep::decode(bytes.as_slice()).expect("what Bia wrote, Bia reads");
    assert_same(&again, &deep, "protobuf round trip", false);
    match serde_json::to_vec(&deep) {
        Ok(json) => {
            let back: Deep =
                serde_json::from_slice(&json).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&json)));
            assert_same(&back, &deep, "JSON of a decoded message", true);
        }
        // Some binary values have no JSON form (a `Timestamp` out of
        // range, a `Struct` number that is not finite): refused, not lost.
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// The `grpc-timeout` parser: what it accepts is a duration the header
/// can carry (at most 8 digits of hours).
pub fn grpc_timeout(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(d) = bia::middleware::timeout::parse_grpc_timeout(text) {
        assert!(d.as_secs() <= 99_999_999 * 3600, "{text:?} read as {d:?}");
        assert!(text.len() <= 9, "{text:?} accepted with more than 8 digits");
    }
}

/// The config loader with its placeholders: the input is a file (its first
/// byte picks YAML, TOML or JSON), loaded as the App loads one.
pub fn config(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else { return };
    let name = match kind % 3 {
        0 => "fuzz.yaml",
        1 => "fuzz.toml",
        _ => "fuzz.json",
    };
    let text = String::from_utf8_lossy(rest).into_owned();
    let loader = bia::config::Loader::new().embedded(name, text).env_prefix(None);
    if let Err(e) = loader.load::<serde_json::Value>() {
        assert!(!e.message().is_empty(), "an error says what is wrong");
    }
}

/// The JWT verifier: the input is a token as sent, or (after a `{`) the
/// claims of a token signed with the server's key, so that the claims'
/// checks are reached.
pub fn jwt(data: &[u8]) {
    use base64::Engine as _;
    const SECRET: &str = "a fuzzing secret of at least 32 bytes";
    static SERVER: OnceLock<bia::middleware::jwt::Server> = OnceLock::new();
    let server = SERVER.get_or_init(|| {
        let key = bia::middleware::jwt::VerifyingKey::hs256(SECRET).expect("an HS256 key");
        bia::middleware::jwt::Server::new(key).audience("fuzz")
    });
    let token = if data.first() == Some(&b'{') {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let message = format!("{header}.{}", b64.encode(data));
        let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()).expect("an HS256 key");
        let signature =
            jsonwebtoken::crypto::sign(message.as_bytes(), &key, jsonwebtoken::Algorithm::HS256).expect("HS256 signs");
        format!("{message}.{signature}")
    } else {
        String::from_utf8_lossy(data).into_owned()
    };
    if let Err(e) = server.verify(&token) {
        assert_eq!(e.code(), 401, "{e}");
    }
}
