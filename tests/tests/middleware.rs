//! The middleware chain: one order on both transports, server-wide, per
//! service and selected; context and metadata both ways; client middleware;
//! hand-written routes that opt in; both `#[bia::middleware]` forms.

use std::sync::{Arc, Mutex};

use bia::middleware::{AnyMessage, Context, Next, Selector};
use bia::transport::grpc::GrpcServer;
use bia::transport::http::HttpServer;

#[bia::message(package = "mw.v1")]
pub struct HelloRequest {
    pub name: String,
}

#[bia::message(package = "mw.v1")]
pub struct HelloReply {
    pub message: String,
    pub caller: String,
}

#[bia::service(package = "mw.v1")]
pub trait Greeter: Send + Sync + 'static {
    #[rpc(get = "/v1/hello/<name>")]
    async fn hello(&self, req: HelloRequest) -> bia::Result<HelloReply>;
    #[rpc(post = "/v1/bye", body = "*")]
    async fn bye(&self, req: HelloRequest) -> bia::Result<HelloReply>;
}

type Log = Arc<Mutex<Vec<String>>>;

struct Impl {
    log: Log,
}

impl Greeter for Impl {
    async fn hello(&self, req: HelloRequest) -> bia::Result<HelloReply> {
        self.log.lock().unwrap().push("handler".into());
        let caller = bia::context::with(|ctx| ctx.request_header("x-caller").unwrap_or("").to_owned()).unwrap();
        bia::context::with_mut(|ctx| ctx.set_reply_header("x-handled-by", "hello")).unwrap();
        if req.name.eq_ignore_ascii_case("panic-free-error") {
            return Err(bia::Error::not_found("NOBODY", "no such person"));
        }
        Ok(HelloReply { message: format!("hello {}", req.name), caller })
    }

    async fn bye(&self, req: HelloRequest) -> bia::Result<HelloReply> {
        self.log.lock().unwrap().push("handler".into());
        Ok(HelloReply { message: format!("bye {}", req.name), caller: String::new() })
    }
}

/// Records `name>` on the way in and `<name` on the way out, with the
/// operation and transport it saw.
struct Record {
    name: &'static str,
    log: Log,
}

#[bia::middleware]
impl Record {
    async fn handle(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
        self.log.lock().unwrap().push(format!("{}> {} {}", self.name, ctx.kind().as_str(), ctx.operation()));
        let reply = next.run(ctx, req).await;
        self.log.lock().unwrap().push(format!("<{}", self.name));
        reply
    }
}

/// Shouts: upper-cases the name of every `HelloRequest` it sees.
#[bia::middleware]
async fn shout(ctx: &mut Context, mut req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
    if let Some(r) = req.downcast_mut::<HelloRequest>() {
        r.name = r.name.to_uppercase();
    }
    next.run(ctx, req).await
}

/// Refuses callers named `mallory` with a Bia error.
#[bia::middleware]
async fn gate(ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
    if ctx.request_header("x-caller") == Some("mallory") {
        return Err(bia::Error::forbidden("GATE", format!("no entry to {}", ctx.operation())));
    }
    next.run(ctx, req).await
}

/// A client middleware: says who calls, and keeps what came back.
#[bia::middleware]
async fn caller(ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
    assert!(!ctx.is_server());
    ctx.set_request_header("x-caller", "alice");
    let reply = next.run(ctx, req).await;
    let handled = ctx.reply_header("x-handled-by").unwrap_or("none").to_owned();
    reply.map(|mut r| {
        if let Some(rep) = r.downcast_mut::<HelloReply>() {
            rep.message = format!("{} (handled by {handled})", rep.message);
        }
        r
    })
}

struct Running {
    app: bia::Running,
    log: Log,
}

impl Running {
    fn http(&self) -> String {
        format!("http://{}", self.app.http_addrs()[0])
    }
    fn grpc(&self) -> String {
        format!("http://{}", self.app.grpc_addrs()[0])
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

async fn start() -> Running {
    let log: Log = Arc::default();
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let svc = GreeterServer::new(Impl { log: log.clone() })
        .middleware(Record { name: "svc", log: log.clone() })
        .middleware(Selector::new(shout()).exact(GreeterOperation::HELLO));
    let raw_log = log.clone();
    let raw = axum::Router::new().route(
        "/v1/raw/{name}",
        axum::routing::get(move |axum::extract::Path(name): axum::extract::Path<String>| {
            let raw_log = raw_log.clone();
            async move {
                raw_log.lock().unwrap().push("raw handler".into());
                let caller = bia::context::with(|c| c.request_header("x-caller").unwrap_or("").to_owned());
                format!("raw {name} {}", caller.unwrap_or_default())
            }
        }),
    );
    let app = bia::App::new("mw")
        .middleware(Record { name: "a", log: log.clone() })
        .middleware(gate())
        .http(HttpServer::new(any).service(svc.clone()).routes_with_middleware(raw))
        .grpc(GrpcServer::new(any).middleware(Record { name: "grpc-only", log: log.clone() }).service(svc))
        .start()
        .await
        .unwrap();
    Running { app, log }
}

#[tokio::test]
async fn one_order_on_both_transports() {
    let r = start().await;
    let http = GreeterHttpClient::new(r.http()).unwrap();
    let grpc = GreeterGrpcClient::connect(r.grpc()).await.unwrap();

    let rep = http.hello(HelloRequest { name: "ann".into() }).await.unwrap();
    assert_eq!(rep.message, "hello ANN", "the selected middleware changed the request");
    assert_eq!(r.take(), ["a> http /mw.v1.Greeter/Hello", "svc> http /mw.v1.Greeter/Hello", "handler", "<svc", "<a"]);
    let rep = grpc.hello(HelloRequest { name: "ann".into() }).await.unwrap();
    assert_eq!(rep.message, "hello ANN");
    assert_eq!(
        r.take(),
        [
            "a> grpc /mw.v1.Greeter/Hello",
            "grpc-only> grpc /mw.v1.Greeter/Hello",
            "svc> grpc /mw.v1.Greeter/Hello",
            "handler",
            "<svc",
            "<grpc-only",
            "<a"
        ]
    );
    // Not selected: the name stays as sent.
    assert_eq!(http.bye(HelloRequest { name: "bob".into() }).await.unwrap().message, "bye bob");
    assert_eq!(grpc.bye(HelloRequest { name: "bob".into() }).await.unwrap().message, "bye bob");
    r.app.stop().await.unwrap();
}

#[tokio::test]
async fn a_middleware_error_is_the_reply_on_both_transports() {
    let r = start().await;
    let http = GreeterHttpClient::new(r.http()).unwrap().middleware(MalloryClient);
    let grpc = GreeterGrpcClient::connect(r.grpc()).await.unwrap().middleware(MalloryClient);
    let e1 = http.hello(HelloRequest { name: "x".into() }).await.unwrap_err();
    let e2 = grpc.hello(HelloRequest { name: "x".into() }).await.unwrap_err();
    assert_eq!((e1.code(), e1.reason(), e1.message()), (403, "GATE", "no entry to /mw.v1.Greeter/Hello"));
    assert_eq!(e1, e2);
    let log = r.take();
    assert!(!log.iter().any(|l| l == "handler"), "the handler ran: {log:?}");

    // The HTTP body is the Bia error body.
    let raw =
        bia_tests::raw::http_with("GET", &format!("{}/v1/hello/x", r.http()), &[("x-caller", "mallory")], "").await;
    assert_eq!(raw.status, 403);
    assert_eq!(raw.json()["reason"], "GATE");
    r.app.stop().await.unwrap();
}

struct MalloryClient;

#[bia::middleware]
impl MalloryClient {
    async fn handle(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
        ctx.set_request_header("x-caller", "mallory");
        next.run(ctx, req).await
    }
}

#[tokio::test]
async fn metadata_both_ways_through_client_middleware() {
    let r = start().await;
    let http = GreeterHttpClient::new(r.http()).unwrap().middleware(caller());
    let grpc = GreeterGrpcClient::connect(r.grpc()).await.unwrap().middleware(caller());
    for rep in [
        http.hello(HelloRequest { name: "ann".into() }).await.unwrap(),
        grpc.hello(HelloRequest { name: "ann".into() }).await.unwrap(),
    ] {
        assert_eq!(rep.caller, "alice", "the handler read the request metadata");
        assert_eq!(rep.message, "hello ANN (handled by hello)", "the client read the reply metadata");
    }
    // Reply metadata also comes with errors.
    let raw = bia_tests::raw::http("GET", &format!("{}/v1/hello/panic-free-error", r.http()), "").await;
    assert_eq!(raw.status, 404);
    assert_eq!(raw.header("x-handled-by"), Some("hello"));
    r.app.stop().await.unwrap();
}

#[tokio::test]
async fn hand_written_routes_opt_into_the_chain() {
    let r = start().await;
    let url = format!("{}/v1/raw/ann", r.http());
    let ok = bia_tests::raw::http_with("GET", &url, &[("x-caller", "alice")], "").await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body, "raw ann alice", "the route's handler sees the context");
    assert_eq!(r.take(), ["a> http /v1/raw/{name}", "raw handler", "<a"]);

    let refused = bia_tests::raw::http_with("GET", &url, &[("x-caller", "mallory")], "").await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json()["message"], "no entry to /v1/raw/{name}");
    r.app.stop().await.unwrap();
}

#[tokio::test]
async fn no_middleware_still_gives_handlers_a_context() {
    let log: Log = Arc::default();
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let svc = GreeterServer::new(Impl { log: log.clone() });
    let app = bia::App::new("plain")
        .http(HttpServer::new(any).service(svc.clone()))
        .grpc(GrpcServer::new(any).service(svc))
        .start()
        .await
        .unwrap();
    let http = GreeterHttpClient::new(format!("http://{}", app.http_addrs()[0])).unwrap().middleware(caller());
    let grpc =
        GreeterGrpcClient::connect(format!("http://{}", app.grpc_addrs()[0])).await.unwrap().middleware(caller());
    assert_eq!(http.hello(HelloRequest { name: "z".into() }).await.unwrap().message, "hello z (handled by hello)");
    assert_eq!(grpc.hello(HelloRequest { name: "z".into() }).await.unwrap().caller, "alice");
    app.stop().await.unwrap();
}

#[test]
fn selectors_match_exact_prefix_regex_and_predicate() {
    let s = Selector::new(shout())
        .exact("/a.v1.A/One")
        .prefix("/b.v1.")
        .regex(r"^/c\.v1\.C/(Get|List)")
        .unwrap()
        .predicate(|ctx| ctx.request_header("x-select").is_some());
    assert!(s.matches_operation("/a.v1.A/One"));
    assert!(!s.matches_operation("/a.v1.A/Two"));
    assert!(s.matches_operation("/b.v1.B/Anything"));
    assert!(s.matches_operation("/c.v1.C/GetX"));
    assert!(!s.matches_operation("/c.v1.C/Delete"));
    let mut ctx = Context::new("/z.v1.Z/Z", bia::context::Kind::Http, bia::context::Side::Server);
    assert!(!s.matches(&ctx));
    ctx.set_request_header("x-select", "1");
    assert!(s.matches(&ctx));
    let bad = Selector::new(shout()).regex("(").unwrap_err();
    assert!(bad.message().contains("invalid selector regex `(`"), "{}", bad.message());
}

/// Keeps the reply metadata a call came back with.
struct KeepReply(Arc<Mutex<http::HeaderMap>>);

#[bia::middleware]
impl KeepReply {
    async fn handle(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
        let reply = next.run(ctx, req).await;
        *self.0.lock().unwrap() = ctx.reply_headers().clone();
        reply
    }
}

#[tokio::test]
async fn tower_layers_apply_per_transport() {
    let log: Log = Arc::default();
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let svc = GreeterServer::new(Impl { log });
    let tag = |value: &'static str| {
        tower::util::MapResponseLayer::new(move |mut res: axum::response::Response| {
            res.headers_mut().insert("x-layer", http::HeaderValue::from_static(value));
            res
        })
    };
    let app = bia::App::new("layers")
        .http(HttpServer::new(any).service(svc.clone()).layer(tag("http")))
        .grpc(GrpcServer::new(any).service(svc).layer(tag("grpc")))
        .start()
        .await
        .unwrap();
    let raw = bia_tests::raw::http("GET", &format!("http://{}/v1/hello/x", app.http_addrs()[0]), "").await;
    assert_eq!(raw.header("x-layer"), Some("http"));
    let seen = Arc::new(Mutex::new(http::HeaderMap::new()));
    let grpc = GreeterGrpcClient::connect(format!("http://{}", app.grpc_addrs()[0]))
        .await
        .unwrap()
        .middleware(KeepReply(seen.clone()));
    grpc.hello(HelloRequest { name: "x".into() }).await.unwrap();
    assert_eq!(seen.lock().unwrap().get("x-layer").map(|v| v.to_str().unwrap().to_owned()), Some("grpc".into()));
    app.stop().await.unwrap();
}
