//! CORS as configuration on the HTTP server, checked with curl (a client
//! that is not ours): preflights answered before any middleware, the
//! allowed origins (exact and `*.domain` patterns) echoed, others left
//! without CORS headers, the gRPC status headers exposed, and settings the
//! CORS rules forbid refused at start with an error instead of a panic.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bia::middleware::{AnyMessage, Next};
use bia::prelude::*;
use bia::transport::http::Cors;

/// Counts the calls that reach the server's middleware.
#[derive(Clone, Default)]
struct Count(Arc<AtomicUsize>);

impl bia::middleware::Middleware for Count {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut bia::context::Context,
        req: AnyMessage,
        next: Next<'a>,
    ) -> bia::middleware::BoxFuture<'a, bia::Result<AnyMessage>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(next.run(ctx, req))
    }
}

async fn start(cors: Cors, count: Count) -> bia_tests::TestApp {
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let library = bia_tests::LibraryServer::new(bia_tests::MemoryLibrary::default());
    let app = App::new("cors")
        .signals(false)
        .middleware(count)
        .http(HttpServer::new(any).cors(cors).service(library.clone()))
        .grpc(GrpcServer::new(any).service(library));
    bia_tests::start(app).await
}

/// curl's reply head (lowercased header lines) and status, or `None`
/// without curl (a failure under `BIA_REQUIRE_EXTERNAL=1`).
async fn curl(args: &[&str]) -> Option<(u16, String)> {
    let args: Vec<String> = ["-o", "/dev/null", "-D", "-"].iter().chain(args).map(|s| (*s).to_owned()).collect();
    let out =
        tokio::task::spawn_blocking(move || bia_tests::curl(&args.iter().map(String::as_str).collect::<Vec<_>>()))
            .await
            .unwrap()?;
    let head = String::from_utf8_lossy(&out.stdout).to_lowercase();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status line");
    Some((status, head))
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':')).map(str::trim)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preflights_and_requests_from_allowed_origins_get_cors_headers() {
    let count = Count::default();
    let cors = Cors::new().allowed_origins(["https://app.example.com", "https://*.example.dev"]);
    let app = start(cors, count.clone()).await;
    let url = format!("http://{}/v1/shelves/1/books/1", app.http);

    // A preflight: answered by the layer, no middleware ran.
    let preflight = [
        "-X",
        "OPTIONS",
        "-H",
        "Origin: https://app.example.com",
        "-H",
        "Access-Control-Request-Method: GET",
        "-H",
        "Access-Control-Request-Headers: content-type, authorization",
        url.as_str(),
    ];
    let Some((status, head)) = curl(&preflight).await else { return };
    assert_eq!(status, 200, "{head}");
    assert_eq!(header(&head, "access-control-allow-origin"), Some("https://app.example.com"), "{head}");
    assert!(header(&head, "access-control-allow-methods").is_some_and(|m| m.contains("get")), "{head}");
    assert!(header(&head, "access-control-allow-headers").is_some_and(|h| h.contains("authorization")), "{head}");
    assert_eq!(header(&head, "access-control-max-age"), Some("3600"), "{head}");
    assert_eq!(count.0.load(Ordering::SeqCst), 0, "a preflight ran the middleware");

    // The request itself from a pattern-matched origin: the origin echoed,
    // the gRPC status headers exposed; it ran through the chain.
    let (status, head) = curl(&["-H", "Origin: https://ui.example.dev", url.as_str()]).await.unwrap();
    assert_eq!(status, 404, "{head}");
    assert_eq!(header(&head, "access-control-allow-origin"), Some("https://ui.example.dev"), "{head}");
    assert!(header(&head, "access-control-expose-headers").is_some_and(|h| h.contains("grpc-status")), "{head}");
    assert_eq!(count.0.load(Ordering::SeqCst), 1);

    // Another origin (and the bare domain of a pattern) gets no CORS header.
    for origin in ["https://evil.example.com", "https://example.dev", "http://ui.example.dev"] {
        let (_, head) = curl(&["-H", &format!("Origin: {origin}"), url.as_str()]).await.unwrap();
        assert_eq!(header(&head, "access-control-allow-origin"), None, "{origin}: {head}");
    }
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn a_server_without_cors_sends_no_cors_header() {
    let app = bia_tests::start_library().await;
    let url = format!("http://{}/v1/shelves/1/books/1", app.http);
    let Some((_, head)) = curl(&["-H", "Origin: https://app.example.com", url.as_str()]).await else { return };
    assert_eq!(header(&head, "access-control-allow-origin"), None, "{head}");
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn settings_the_cors_rules_forbid_fail_the_start_with_an_error() {
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let cors = Cors::new().allowed_origins(["*"]).allow_credentials(true);
    let err = App::new("bad-cors").signals(false).http(HttpServer::new(any).cors(cors)).start().await.unwrap_err();
    assert!(err.message().contains("allow_credentials cannot be combined"), "{err}");
    let cors: Cors = serde_json::from_value(serde_json::json!({"allowed_origins": ["https://*"]})).unwrap();
    let err = App::new("bad-cors").signals(false).http(HttpServer::new(any).cors(cors)).start().await.unwrap_err();
    assert!(err.message().contains("https://*"), "{err}");
}
