//! Custom verbs (google.api.http's `Template = "/" Segments [ Verb ]`, AIP-136):
//! `/v1/<name=users/*>:undelete`, `/v1/users:batchGet`, `/v1/<id>:cancel`
//! beside a plain `/v1/<id>`, in main rules and `additional_bindings`, on
//! unary, server-stream and WebSocket methods. Called through the generated
//! HTTP client, a raw HTTP client and `curl`; the `.proto` keeps each rule as
//! written in google.api.http syntax.

use std::process::Stdio;

use bia::prelude::*;
use bia::stream::{Stream, Streaming};
use bia_tests::raw::{http, http_with};
use prost_reflect::{DescriptorPool, Value};

#[bia::message(package = "verbs.v1")]
pub struct NameRequest {
    pub name: String,
}

#[bia::message(package = "verbs.v1")]
pub struct IdRequest {
    pub id: String,
    pub reason: String,
}

#[bia::message(package = "verbs.v1")]
pub struct BatchGetRequest {
    pub ids: Vec<String>,
}

#[bia::message(package = "verbs.v1")]
pub struct SearchRequest {
    pub parent: String,
    pub query: String,
}

#[bia::message(package = "verbs.v1")]
pub struct PathRequest {
    pub path: String,
}

/// Which rpc served a call, and what it was given.
#[bia::message(package = "verbs.v1")]
pub struct Served {
    pub rpc: String,
    pub name: String,
    pub id: String,
    pub ids: Vec<String>,
    pub parent: String,
    pub query: String,
    pub path: String,
    pub reason: String,
}

/// Verbs on every kind of rule, and the collisions AIP-136 warns about: a
/// `<id>` GET beside `<id>:cancel`, `<id>:watch` and `<id>:probe` (one axum
/// path), and `users:batchGet` where `<id>` could take `users:batchGet`.
#[bia::service(package = "verbs.v1")]
pub trait Users: Send + Sync + 'static {
    #[rpc(
        post = "/v1/<name=users/*>:undelete",
        body = "*",
        additional_bindings(post = "/v1/<name=users/*/trash>:undelete", body = "*")
    )]
    async fn undelete_user(&self, req: NameRequest) -> bia::Result<Served>;

    #[rpc(get = "/v1/users:batchGet")]
    async fn batch_get_users(&self, req: BatchGetRequest) -> bia::Result<Served>;

    #[rpc(post = "/v1/<id>:cancel", body = "*")]
    async fn cancel_operation(&self, req: IdRequest) -> bia::Result<Served>;

    #[rpc(get = "/v1/<id>")]
    async fn get_operation(&self, req: IdRequest) -> bia::Result<Served>;

    #[rpc(custom(method = "OPTIONS", path = "/v1/<id>:probe"))]
    async fn probe_operation(&self, req: IdRequest) -> bia::Result<Served>;

    #[rpc(
        get = "/v1/<parent=shelves/*>/books:search",
        additional_bindings(post = "/v2/<parent=shelves/*>/books:search", body = "*")
    )]
    async fn search_books(&self, req: SearchRequest) -> bia::Result<Served>;

    #[rpc(get = "/v1/files/<path=**>:stat", additional_bindings(get = "/v1/blobs/<path>:stat"))]
    async fn stat(&self, req: PathRequest) -> bia::Result<Served>;

    #[rpc(get = "/v1/<id>:watch")]
    async fn watch_operation(&self, req: IdRequest) -> bia::Result<impl Stream<Item = bia::Result<Served>>>;

    #[rpc(get = "/v1/users:import")]
    async fn import_users(&self, req: Streaming<NameRequest>) -> bia::Result<Served>;
}

struct Verbs;

fn served(rpc: &str) -> Served {
    Served { rpc: rpc.to_owned(), ..Default::default() }
}

impl Users for Verbs {
    async fn undelete_user(&self, req: NameRequest) -> bia::Result<Served> {
        Ok(Served { name: req.name, ..served("UndeleteUser") })
    }

    async fn batch_get_users(&self, req: BatchGetRequest) -> bia::Result<Served> {
        Ok(Served { ids: req.ids, ..served("BatchGetUsers") })
    }

    async fn cancel_operation(&self, req: IdRequest) -> bia::Result<Served> {
        Ok(Served { id: req.id, reason: req.reason, ..served("CancelOperation") })
    }

    async fn get_operation(&self, req: IdRequest) -> bia::Result<Served> {
        Ok(Served { id: req.id, reason: req.reason, ..served("GetOperation") })
    }

    async fn probe_operation(&self, req: IdRequest) -> bia::Result<Served> {
        Ok(Served { id: req.id, ..served("ProbeOperation") })
    }

    async fn search_books(&self, req: SearchRequest) -> bia::Result<Served> {
        Ok(Served { parent: req.parent, query: req.query, ..served("SearchBooks") })
    }

    async fn stat(&self, req: PathRequest) -> bia::Result<Served> {
        Ok(Served { path: req.path, ..served("Stat") })
    }

    async fn watch_operation(&self, req: IdRequest) -> bia::Result<impl Stream<Item = bia::Result<Served>>> {
        let first = Served { id: req.id.clone(), reason: "first".into(), ..served("WatchOperation") };
        let second = Served { id: req.id, reason: "second".into(), ..served("WatchOperation") };
        Ok(bia::stream::iter([Ok(first), Ok(second)]))
    }

    async fn import_users(&self, mut req: Streaming<NameRequest>) -> bia::Result<Served> {
        let mut ids = Vec::new();
        while let Some(user) = req.message().await? {
            ids.push(user.name);
        }
        Ok(Served { ids, ..served("ImportUsers") })
    }
}

async fn start() -> bia_tests::TestApp {
    let server = UsersServer::new(Verbs);
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let app =
        App::new("verbs").http(HttpServer::new(any).service(server.clone())).grpc(GrpcServer::new(any).service(server));
    bia_tests::start(app).await
}

/// Values a client must percent-encode, each of which must come back whole.
const AWKWARD: [&str; 9] = ["123", "a:b", "x:cancel", "users:batchGet", "a/b", "50%", "%3A", "a b+c", "ünï©ødé ✓"];

#[tokio::test]
async fn the_generated_client_round_trips_every_value_through_each_verb() {
    let app = start().await;
    let client = UsersHttpClient::new(app.http_url()).unwrap();

    for id in AWKWARD {
        let r = client.cancel_operation(IdRequest { id: id.into(), reason: "late".into() }).await.unwrap();
        assert_eq!((r.rpc.as_str(), r.id.as_str(), r.reason.as_str()), ("CancelOperation", id, "late"));
        // The verbless GET on the same path: a value that looks like a verb
        // (`x:cancel`, `users:batchGet`) is sent as `%3A` and stays a value.
        let r = client.get_operation(IdRequest { id: id.into(), reason: "why".into() }).await.unwrap();
        assert_eq!((r.rpc.as_str(), r.id.as_str(), r.reason.as_str()), ("GetOperation", id, "why"));
        let r = client.probe_operation(IdRequest { id: id.into(), ..Default::default() }).await.unwrap();
        assert_eq!((r.rpc.as_str(), r.id.as_str()), ("ProbeOperation", id));
        // `<path=**>:stat` keeps `/` and binds the rest, verb left out.
        let r = client.stat(PathRequest { path: format!("dir/{id}") }).await.unwrap();
        assert_eq!((r.rpc.as_str(), r.path), ("Stat", format!("dir/{id}")));
        let (items, end) = bia_tests::streams::collect(
            client.watch_operation(IdRequest { id: id.into(), ..Default::default() }).await.unwrap(),
        )
        .await;
        assert!(end.is_none(), "{end:?}");
        let ids: Vec<(&str, &str)> = items.iter().map(|s| (s.id.as_str(), s.reason.as_str())).collect();
        assert_eq!(ids, [(id, "first"), (id, "second")]);
    }
    // `<name=users/*>`: the `*` part is one segment, so no `/` in it.
    for tail in AWKWARD.iter().filter(|v| !v.contains('/')) {
        let name = format!("users/{tail}");
        let r = client.undelete_user(NameRequest { name: name.clone() }).await.unwrap();
        assert_eq!((r.rpc.as_str(), r.name), ("UndeleteUser", name));
        // The first binding does not fit `users/x/trash`: the client takes the second.
        let name = format!("users/{tail}/trash");
        let r = client.undelete_user(NameRequest { name: name.clone() }).await.unwrap();
        assert_eq!((r.rpc.as_str(), r.name), ("UndeleteUser", name));
        let parent = format!("shelves/{tail}");
        let r = client.search_books(SearchRequest { parent: parent.clone(), query: (*tail).into() }).await.unwrap();
        assert_eq!((r.rpc.as_str(), r.parent, r.query.as_str()), ("SearchBooks", parent, *tail));
    }
    let ids: Vec<String> = AWKWARD.iter().map(|s| (*s).to_owned()).collect();
    let r = client.batch_get_users(BatchGetRequest { ids: ids.clone() }).await.unwrap();
    assert_eq!((r.rpc.as_str(), r.ids), ("BatchGetUsers", ids));

    // A client stream's WebSocket opens on its verb's URL.
    let names = Streaming::iter(["ada", "grace"].map(|n| NameRequest { name: n.into() }));
    let r = client.import_users(names).await.unwrap();
    assert_eq!((r.rpc.as_str(), r.ids), ("ImportUsers", vec!["ada".to_owned(), "grace".to_owned()]));

    // No pattern here takes an empty value: the client refuses to send it.
    let e = client.cancel_operation(IdRequest::default()).await.unwrap_err();
    assert_eq!((e.code(), e.reason()), (400, "NO_MATCHING_ROUTE"), "{e}");
    let e = client.undelete_user(NameRequest { name: "users/".into() }).await.unwrap_err();
    assert_eq!((e.code(), e.reason()), (400, "NO_MATCHING_ROUTE"), "{e}");
    app.running.stop().await.unwrap();
}

/// The served rpc and one bound field of a 200, or the status and reason of
/// a Bia error body.
fn outcome(status: u16, body: &[u8]) -> (u16, String, String) {
    let v: serde_json::Value =
        serde_json::from_slice(body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)));
    if status == 200 {
        let field = ["name", "id", "parent", "path", "ids"]
            .iter()
            .map(|f| &v[f])
            .find(|x| !x.is_null() && *x != "" && **x != serde_json::json!([]))
            .map(|x| x.as_str().map(str::to_owned).unwrap_or_else(|| x.to_string()))
            .unwrap_or_default();
        (status, v["rpc"].as_str().unwrap().to_owned(), field)
    } else {
        assert_eq!(v["code"], status, "{v}");
        (status, v["reason"].as_str().unwrap().to_owned(), v["message"].as_str().unwrap().to_owned())
    }
}

/// `(method, path, body, (status, rpc or reason, bound field or message))`:
/// one request and what any HTTP client gets for it, whoever wrote it.
type Case = (&'static str, &'static str, &'static str, (u16, &'static str, &'static str));

fn cases() -> Vec<Case> {
    vec![
        // The verb after a `<name=users/*>` pattern.
        ("POST", "/v1/users/123:undelete", "{}", (200, "UndeleteUser", "users/123")),
        ("POST", "/v1/users/a%3Ab:undelete", "{}", (200, "UndeleteUser", "users/a:b")),
        // A pattern that ends in literal text, then the verb.
        ("POST", "/v1/users/a%3Ab/trash:undelete", "{}", (200, "UndeleteUser", "users/a:b/trash")),
        ("POST", "/v1/users/a/trash", "{}", (404, "NOT_FOUND", "no route for /v1/users/a/trash")),
        // Without the verb, or with another one, nothing is there: 404.
        ("POST", "/v1/users/123", "{}", (404, "NOT_FOUND", "no route for /v1/users/123")),
        ("POST", "/v1/users/123:frobnicate", "{}", (404, "NOT_FOUND", "no route for /v1/users/123:frobnicate")),
        // Nothing before the verb: no value, 404 (as grpc-gateway).
        ("POST", "/v1/users/:undelete", "{}", (404, "NOT_FOUND", "no route for /v1/users/:undelete")),
        // The right verb with a method its rule does not have: 405.
        (
            "GET",
            "/v1/users/123:undelete",
            "",
            (405, "METHOD_NOT_ALLOWED", "GET is not allowed on /v1/users/123:undelete"),
        ),
        // A collection verb beside `/v1/<id>`: the verb's rule wins ...
        ("GET", "/v1/users:batchGet?ids=a&ids=b", "", (200, "BatchGetUsers", "[\"a\",\"b\"]")),
        // ... and an encoded `:` is a value's: `users:batchGet` as an id.
        ("GET", "/v1/users%3AbatchGet", "", (200, "GetOperation", "users:batchGet")),
        ("GET", "/v1/users%3abatchGet", "", (200, "GetOperation", "users:batchGet")),
        // Not quite the collection's route: `<id>` takes the segment.
        ("GET", "/v1/users:batchGets", "", (200, "GetOperation", "users:batchGets")),
        // `<id>:cancel`, `<id>:watch`, `<id>:probe` and `<id>` share `/v1/{id}`.
        ("POST", "/v1/42:cancel", "{\"reason\":\"late\"}", (200, "CancelOperation", "42")),
        ("POST", "/v1/a:b:cancel", "{}", (200, "CancelOperation", "a:b")),
        ("POST", "/v1/a%3Acancel:cancel", "{}", (200, "CancelOperation", "a:cancel")),
        ("OPTIONS", "/v1/42:probe", "", (200, "ProbeOperation", "42")),
        ("GET", "/v1/42", "", (200, "GetOperation", "42")),
        ("GET", "/v1/42%3Acancel", "", (200, "GetOperation", "42:cancel")),
        // A `:` that ends in no verb of this path is part of the value, as
        // grpc-gateway binds it (and as RFC 3986 allows in a segment).
        ("GET", "/v1/42:frobnicate", "", (200, "GetOperation", "42:frobnicate")),
        // A verb is never a value of the verbless rule, nor the other way round.
        ("GET", "/v1/42:cancel", "", (405, "METHOD_NOT_ALLOWED", "GET is not allowed on /v1/42:cancel")),
        ("POST", "/v1/42", "{}", (405, "METHOD_NOT_ALLOWED", "POST is not allowed on /v1/42")),
        ("PUT", "/v1/42:cancel", "{}", (405, "METHOD_NOT_ALLOWED", "PUT is not allowed on /v1/42:cancel")),
        ("POST", "/v1/:cancel", "{}", (404, "NOT_FOUND", "no route for /v1/:cancel")),
        // A verb after a literal, in the main rule and an additional binding.
        ("GET", "/v1/shelves/7/books:search?query=q", "", (200, "SearchBooks", "shelves/7")),
        ("POST", "/v2/shelves/7/books:search", "{\"query\":\"q\"}", (200, "SearchBooks", "shelves/7")),
        ("GET", "/v1/shelves/7/books", "", (404, "NOT_FOUND", "no route for /v1/shelves/7/books")),
        ("GET", "/v1/shelves/7/books:find", "", (404, "NOT_FOUND", "no route for /v1/shelves/7/books:find")),
        // After `**` and in an additional binding after `<path>`.
        ("GET", "/v1/files/a/b%3Ac:stat", "", (200, "Stat", "a/b:c")),
        ("GET", "/v1/files/a/b", "", (404, "NOT_FOUND", "no route for /v1/files/a/b")),
        ("GET", "/v1/blobs/x%2Fy%3Az:stat", "", (200, "Stat", "x/y:z")),
        ("GET", "/v1/blobs/x:statistics", "", (404, "NOT_FOUND", "no route for /v1/blobs/x:statistics")),
    ]
}

#[tokio::test]
async fn raw_requests_match_verbs_as_grpc_gateway_does() {
    let app = start().await;
    let base = app.http_url();
    for (method, path, body, (status, what, field)) in cases() {
        let r = http(method, &format!("{base}{path}"), body).await;
        let got = outcome(r.status, &r.body);
        assert_eq!(got, (status, what.to_owned(), field.to_owned()), "{method} {path}");
    }
    // A `HEAD` is served by the `GET` rule of its verb (or of none).
    let r = http("HEAD", &format!("{base}/v1/42"), "").await;
    assert_eq!(r.status, 200);
    let r = http("HEAD", &format!("{base}/v1/42:watch"), "").await;
    assert_eq!(r.status, 200);
    // The server stream with a verb: SSE on its path.
    let r = http("GET", &format!("{base}/v1/a%3Ab:watch"), "").await;
    assert_eq!((r.status, r.content_type.as_str()), (200, "text/event-stream"), "{}", r.text());
    let events: Vec<serde_json::Value> =
        r.text().lines().filter_map(|l| l.strip_prefix("data: ")).map(|d| serde_json::from_str(d).unwrap()).collect();
    let got: Vec<(&str, &str)> =
        events.iter().map(|e| (e["id"].as_str().unwrap(), e["reason"].as_str().unwrap())).collect();
    assert_eq!(got, [("a:b", "first"), ("a:b", "second")]);
    // A WebSocket method's route takes only its WebSocket, verb and all.
    let r = http_with("GET", &format!("{base}/v1/users:import"), &[], "").await;
    assert_ne!(r.status, 200, "{}", r.text());
    app.running.stop().await.unwrap();
}

/// `curl`, or `None` (a skip) when it is missing and not required.
fn curl_or_skip() -> Option<&'static str> {
    let ok = std::process::Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("BIA_REQUIRE_EXTERNAL").as_deref() != Ok("1"),
            "BIA_REQUIRE_EXTERNAL=1: curl is required"
        );
        eprintln!("skipping the curl test: curl is not installed");
    }
    ok.then_some("curl")
}

#[tokio::test]
async fn curl_reaches_each_verb_and_gets_the_bia_errors() {
    let Some(curl) = curl_or_skip() else { return };
    let app = start().await;
    for (method, path, body, (status, what, field)) in cases() {
        // `-g`: `[]{}` are not globs; `--path-as-is`: the path is sent as written.
        let mut cmd = tokio::process::Command::new(curl);
        cmd.args(["-sS", "-g", "--path-as-is", "--max-time", "10", "-X", method, "-w", "\n%{http_code}"]);
        if !body.is_empty() {
            cmd.args(["-H", "content-type: application/json", "--data-binary", body]);
        }
        let out = cmd.arg(format!("{}{path}", app.http_url())).output().await.expect("run curl");
        assert!(out.status.success(), "curl {method} {path}: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        let (reply, code) = text.rsplit_once('\n').unwrap();
        let got = outcome(code.parse().unwrap(), reply.as_bytes());
        assert_eq!(got, (status, what.to_owned(), field.to_owned()), "curl {method} {path}");
    }
    app.running.stop().await.unwrap();
}

#[test]
fn the_proto_keeps_each_rule_with_its_verb_in_google_api_http_syntax() {
    let schema = UsersServer::<()>::schema();
    let text = &schema.proto_files().into_iter().find(|(name, _)| !name.starts_with("google/")).unwrap().1;
    for line in [
        "post: \"/v1/{name=users/*}:undelete\"",
        "additional_bindings {\n        post: \"/v1/{name=users/*/trash}:undelete\"",
        "get: \"/v1/users:batchGet\"",
        "post: \"/v1/{id}:cancel\"",
        "get: \"/v1/{id}\"",
        "custom: { kind: \"OPTIONS\" path: \"/v1/{id}:probe\" }",
        "get: \"/v1/{parent=shelves/*}/books:search\"",
        "additional_bindings {\n        post: \"/v2/{parent=shelves/*}/books:search\"",
        "get: \"/v1/files/{path=**}:stat\"",
        "additional_bindings {\n        get: \"/v1/blobs/{path}:stat\"",
        "get: \"/v1/{id}:watch\"",
        "get: \"/v1/users:import\"",
    ] {
        assert!(text.contains(line), "{line} not in\n{text}");
    }

    // And protoc's reading of it (protox): the option's fields, as a
    // generator for another language sees them.
    let dir = std::env::temp_dir().join(format!("bia-verbs-proto-{}", std::process::id()));
    schema.write_proto_files(&dir).unwrap();
    let files: Vec<String> =
        schema.proto_files().into_iter().map(|(name, _)| name).filter(|n| !n.starts_with("google/")).collect();
    let mut compiler = protox::Compiler::new([&dir]).unwrap();
    compiler.include_imports(true);
    compiler.open_files(&files).unwrap_or_else(|e| panic!("protox rejected the exported .proto: {e:?}"));
    let _ = std::fs::remove_dir_all(&dir);
    let pool: DescriptorPool = compiler.descriptor_pool();
    let http_ext = pool.get_extension_by_name("google.api.http").unwrap();
    let service = pool.get_service_by_name("verbs.v1.Users").unwrap();
    let rule = |rpc: &str| {
        let method = service.methods().find(|m| m.name() == rpc).unwrap();
        let Value::Message(rule) = method.options().get_extension(&http_ext).into_owned() else { panic!("no rule") };
        rule
    };
    let field = |rule: &prost_reflect::DynamicMessage, name: &str| {
        rule.get_field_by_name(name).unwrap().as_str().unwrap().to_owned()
    };
    assert_eq!(field(&rule("UndeleteUser"), "post"), "/v1/{name=users/*}:undelete");
    assert_eq!(field(&rule("UndeleteUser"), "body"), "*");
    assert_eq!(field(&rule("BatchGetUsers"), "get"), "/v1/users:batchGet");
    assert_eq!(field(&rule("CancelOperation"), "post"), "/v1/{id}:cancel");
    let Value::Message(custom) = rule("ProbeOperation").get_field_by_name("custom").unwrap().into_owned() else {
        panic!()
    };
    assert_eq!((field(&custom, "kind"), field(&custom, "path")), ("OPTIONS".to_owned(), "/v1/{id}:probe".to_owned()));
    let search = rule("SearchBooks");
    assert_eq!(field(&search, "get"), "/v1/{parent=shelves/*}/books:search");
    let Value::List(extra) = search.get_field_by_name("additional_bindings").unwrap().into_owned() else { panic!() };
    let Value::Message(extra) = &extra[0] else { panic!() };
    assert_eq!(field(extra, "post"), "/v2/{parent=shelves/*}/books:search");
    let stat = rule("Stat");
    assert_eq!(field(&stat, "get"), "/v1/files/{path=**}:stat");
    let Value::List(extra) = stat.get_field_by_name("additional_bindings").unwrap().into_owned() else { panic!() };
    let Value::Message(extra) = &extra[0] else { panic!() };
    assert_eq!(field(extra, "get"), "/v1/blobs/{path}:stat");
}
