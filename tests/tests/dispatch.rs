//! The HTTP server's own dispatch table (generated routes served without
//! axum's router): every request gets the reply the router would give it.
//! Paths of the server's own routes (health, metrics, the OpenAPI document
//! and its page) beat a generated `/<name>` as they do in the router; a
//! `HEAD`, a 405, a 404, `%` escapes and custom verbs are the router's;
//! hand-written routes and layers switch the table off, so a hand-written
//! static path still beats a generated template and a layer still wraps
//! generated routes.

use std::net::SocketAddr;

use bia::middleware::metrics::Metrics;
use bia::prelude::*;
use bia_tests::raw::http;

#[bia::message(package = "dispatch.v1")]
pub struct Named {
    pub name: String,
}

#[bia::message(package = "dispatch.v1")]
pub struct Said {
    pub text: String,
}

#[bia::service(package = "dispatch.v1")]
pub trait Things: Send + Sync + 'static {
    #[rpc(get = "/v1/things/<name>")]
    async fn get_thing(&self, req: Named) -> bia::Result<Said>;

    #[rpc(post = "/v1/things", body = "*")]
    async fn create_thing(&self, req: Named) -> bia::Result<Said>;

    /// A top-level variable: `/healthz`, `/metrics`, `/docs` and the
    /// OpenAPI paths fit it too.
    #[rpc(get = "/<name>")]
    async fn top(&self, req: Named) -> bia::Result<Said>;

    /// A custom verb after a variable: its path is the router's.
    #[rpc(post = "/v1/jobs/<name>:cancel", body = "*")]
    async fn cancel_job(&self, req: Named) -> bia::Result<Said>;

    #[rpc(get = "/v1/jobs/<name>")]
    async fn get_job(&self, req: Named) -> bia::Result<Said>;
}

struct Impl;

fn said(rpc: &str, req: Named) -> bia::Result<Said> {
    Ok(Said { text: format!("{rpc} {}", req.name) })
}

impl Things for Impl {
    async fn get_thing(&self, req: Named) -> bia::Result<Said> {
        said("get", req)
    }
    async fn create_thing(&self, req: Named) -> bia::Result<Said> {
        said("create", req)
    }
    async fn top(&self, req: Named) -> bia::Result<Said> {
        said("top", req)
    }
    async fn cancel_job(&self, req: Named) -> bia::Result<Said> {
        said("cancel", req)
    }
    async fn get_job(&self, req: Named) -> bia::Result<Said> {
        said("job", req)
    }
}

async fn start(http: impl FnOnce(HttpServer) -> HttpServer) -> bia_tests::TestApp {
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let app = App::new("dispatch")
        .http(http(HttpServer::new(any).service(ThingsServer::new(Impl))))
        .grpc(GrpcServer::new(any).service(ThingsServer::new(Impl)));
    bia_tests::start(app).await
}

/// `text` of a generated reply.
async fn text(method: &str, url: &str, body: &str) -> String {
    let reply = http(method, url, body.to_owned()).await;
    assert_eq!(reply.status, 200, "{method} {url}: {}", reply.text());
    reply.json()["text"].as_str().unwrap_or_else(|| panic!("{method} {url}: {}", reply.text())).to_owned()
}

#[tokio::test]
async fn the_table_answers_as_the_router_does() {
    let metrics = Metrics::new();
    let app = start(|s| s.metrics(&metrics)).await;
    let base = app.http_url();

    assert_eq!(text("GET", &format!("{base}/v1/things/a"), "").await, "get a");
    assert_eq!(text("POST", &format!("{base}/v1/things"), r#"{"name":"b"}"#).await, "create b");
    assert_eq!(text("GET", &format!("{base}/other"), "").await, "top other");
    // Escapes are decoded (by the router, whose errors they may make).
    assert_eq!(text("GET", &format!("{base}/v1/things/a%20b"), "").await, "get a b");
    assert_eq!(text("GET", &format!("{base}/v1/things/%C3%BC"), "").await, "get ü");
    // Bindings told apart by a verb.
    assert_eq!(text("POST", &format!("{base}/v1/jobs/j1:cancel"), "{}").await, "cancel j1");
    assert_eq!(text("GET", &format!("{base}/v1/jobs/j1"), "").await, "job j1");

    // The server's own paths beat `/<name>`.
    let health = http("GET", &format!("{base}/healthz"), "").await;
    assert_eq!((health.status, health.json()["status"].as_str()), (200, Some("SERVING")));
    let ready = http("GET", &format!("{base}/readyz"), "").await;
    assert_eq!((ready.status, ready.json()["status"].as_str()), (200, Some("READY")));
    let scrape = http("GET", &format!("{base}/metrics"), "").await;
    assert_eq!(scrape.status, 200);
    assert!(scrape.text().ends_with("# EOF\n"), "{}", scrape.text());
    assert!(scrape.content_type.starts_with("application/openmetrics-text"), "{}", scrape.content_type);
    let doc = http("GET", &format!("{base}/openapi.json"), "").await;
    assert!(doc.json()["paths"]["/v1/things/{name}"].is_object(), "{}", doc.text());
    let page = http("GET", &format!("{base}/docs"), "").await;
    assert!(page.content_type.starts_with("text/html"), "{}", page.content_type);
    let css = http("GET", &format!("{base}/docs/assets/swagger-ui.css"), "").await;
    assert_eq!(css.status, 200);
    assert!(css.content_type.starts_with("text/css"), "{}", css.content_type);

    // HEAD of a GET route: the GET's headers, no body.
    let head = http("HEAD", &format!("{base}/v1/things/a"), "").await;
    assert_eq!((head.status, head.body.len()), (200, 0));
    assert_eq!(head.header("content-length"), Some(r#"{"text":"get a"}"#.len().to_string().as_str()));
    // Another method on a known path: 405 with the Bia body and `Allow`.
    let e = http("DELETE", &format!("{base}/v1/things/a"), "").await;
    assert_eq!((e.status, e.json()["reason"].as_str()), (405, Some("METHOD_NOT_ALLOWED")));
    assert_eq!(e.header("allow"), Some("GET,HEAD"));
    // No route: 404 with the Bia body (an empty segment, a deeper path).
    for path in ["/v1/things/", "/v1/things/a/b", "/a/b/c"] {
        let e = http("GET", &format!("{base}{path}"), "").await;
        assert_eq!((e.status, e.json()["reason"].as_str()), (404, Some("NOT_FOUND")), "{path}");
    }
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn hand_written_routes_keep_their_precedence() {
    let mine = axum::Router::new()
        .route("/v1/things/special", axum::routing::get(|| async { "hand-written" }))
        .route("/v1/things/special/{more}", axum::routing::get(|| async { "hand-written too" }));
    let app = start(|s| s.routes(mine)).await;
    let base = app.http_url();
    let special = http("GET", &format!("{base}/v1/things/special"), "").await;
    assert_eq!((special.status, special.text().as_str()), (200, "hand-written"));
    let more = http("GET", &format!("{base}/v1/things/special/x"), "").await;
    assert_eq!(more.text(), "hand-written too");
    assert_eq!(text("GET", &format!("{base}/v1/things/plain"), "").await, "get plain");
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn a_layer_wraps_generated_routes_too() {
    let layer = axum::middleware::map_response(|mut res: axum::response::Response| async move {
        res.headers_mut().insert("x-layer", http::HeaderValue::from_static("on"));
        res
    });
    let app = start(|s| s.layer(layer)).await;
    let reply = http("GET", &format!("{}/v1/things/a", app.http_url()), "").await;
    assert_eq!((reply.status, reply.header("x-layer")), (200, Some("on")));
    assert_eq!(reply.json()["text"], "get a");
    app.running.stop().await.unwrap();
}

/// gRPC: the generated service from the table, an unknown method of it
/// (its own answer), an unknown service and health (the router's).
#[tokio::test]
async fn grpc_calls_answer_as_the_router_does() {
    use bia_tests::raw::grpc_unary;
    let app = start(|s| s).await;
    let url = app.grpc_url();
    let said: Said = grpc_unary(&url, "/dispatch.v1.Things/GetThing", Named { name: "g".into() }).await.unwrap();
    assert_eq!(said.text, "get g");
    let e = grpc_unary::<Named, Said>(&url, "/dispatch.v1.Things/NoSuchMethod", Named::default()).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unimplemented, "{e:?}");
    let e = grpc_unary::<Named, Said>(&url, "/dispatch.v1.Nothing/GetThing", Named::default()).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unimplemented, "{e:?}");
    let channel = tonic::transport::Endpoint::from_shared(url).unwrap().connect().await.unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let req = tonic_health::pb::HealthCheckRequest { service: "dispatch.v1.Things".into() };
    let status = health.check(req).await.unwrap().into_inner().status;
    assert_eq!(status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);
    app.running.stop().await.unwrap();
}
