//! `server`: the providers of the HTTP and gRPC servers of the service and
//! of their middleware, from the config.

use bia::middleware::jwt;
use bia::middleware::logging::{Logging, MaskFields};
use bia::middleware::metrics::Metrics;
use bia::middleware::recovery::Recovery;
use bia::middleware::trace::Tracing;
use bia::middleware::validate::Validate;
use bia::middleware::{AnyMessage, Chain, Context, Next, Selector};
use bia::transport::grpc::GrpcServer;
use bia::transport::http::HttpServer;

use crate::api::UserApiServer;
use crate::conf::{self, Bootstrap};
use crate::service::UserService;

/// Provides the Prometheus registry the metrics middleware records into and
/// `/metrics` shows.
#[bia::provider]
pub fn new_metrics() -> Metrics {
    Metrics::new()
}

/// Provides the HTTP server: the `User` API on `server.http.addr`,
/// `/metrics`, behind the middleware chain, the OpenAPI document
/// (`/openapi.json`, `/openapi.yaml`) unless `server.http.openapi` is false,
/// and its page (`/docs`) unless either that or `server.http.docs` is.
#[bia::provider]
pub fn new_http_server(conf: &Bootstrap, svc: &UserService, metrics: &Metrics, chain: &Chain) -> HttpServer {
    let addr = match conf.server.single() {
        true => conf.server.addr.unwrap_or(conf.server.http.addr),
        false => conf.server.http.addr,
    };
    let server = HttpServer::new(addr);
    #[cfg(feature = "docs")]
    let server = server.serve_docs(conf.server.http.docs);
    server
        .timeout(conf.server.http.timeout)
        .tls(conf.server.http.tls.clone())
        .limits(conf.server.http.limits.clone())
        .cors(conf.server.http.cors.clone())
        .service(UserApiServer::new(svc.clone()))
        .openapi(crate::api::openapi(conf.auth.jwt.enabled))
        .serve_openapi(conf.server.http.openapi)
        .metrics(metrics)
        .chain(chain)
}

/// Provides the gRPC server: the `User` API, health and reflection on
/// `server.grpc.addr`, behind the middleware chain; gRPC-Web and the
/// Connect protocol too when `server.grpc.grpc_web` and
/// `server.grpc.connect` say so, with `server.grpc.cors` for pages on other
/// origins.
#[bia::provider]
pub fn new_grpc_server(conf: &Bootstrap, svc: &UserService, chain: &Chain) -> GrpcServer {
    GrpcServer::new(conf.server.grpc.addr)
        .timeout(conf.server.grpc.timeout)
        .tls(conf.server.grpc.tls.clone())
        .limits(conf.server.grpc.limits.clone())
        // On one port, browsers are expected: gRPC-Web and Connect are on,
        // and the HTTP side's CORS (which answers every preflight there)
        // covers them too.
        .grpc_web(conf.server.grpc.grpc_web || conf.server.single())
        .connect(conf.server.grpc.connect || conf.server.single())
        .cors(grpc_cors(&conf.server))
        .service(UserApiServer::new(svc.clone()))
        .chain(chain)
}

/// The gRPC server's CORS: its own, or on one port the HTTP server's.
fn grpc_cors(conf: &conf::Server) -> Option<bia::transport::http::Cors> {
    match (&conf.grpc.cors, conf.single()) {
        (Some(cors), _) => Some(cors.clone()),
        (None, true) => conf.http.cors.clone(),
        (None, false) => None,
    }
}

pub use crate::api::WRITE_OPERATIONS;

/// Provides the middleware of both servers, outermost first: recovery,
/// tracing (after the tracer is set up), request ids, logging (emails
/// masked), metrics, JWT on writes (by config), validation.
#[bia::provider]
pub fn new_middleware(conf: &Bootstrap, metrics: &Metrics, _telemetry: &crate::app::Telemetry) -> bia::Result<Chain> {
    let mut chain = Chain::new()
        .with(Recovery::new())
        .with(Tracing::server())
        .with(request_id())
        .with(Logging::server().redact(MaskFields::new(["email"])))
        .with(metrics.server());
    if conf.auth.jwt.enabled {
        chain = chain.with(Selector::new(jwt_server(&conf.auth.jwt)?).predicate(|ctx| is_write(ctx.operation())));
    }
    Ok(chain.with(Validate::new()))
}

fn is_write(operation: &str) -> bool {
    WRITE_OPERATIONS.contains(&operation)
}

fn jwt_server(conf: &conf::Jwt) -> bia::Result<jwt::Server> {
    if conf.secret.is_empty() {
        return Err(bia::Error::internal_server("CONFIG", "auth.jwt.enabled is true but auth.jwt.secret is empty"));
    }
    let server = jwt::Server::new(jwt::VerifyingKey::hs256(&conf.secret)?);
    Ok(match &conf.issuer {
        Some(iss) => server.issuer(iss.clone()),
        None => server,
    })
}

/// A token for `subject`, signed with `auth.jwt.secret` (what
/// `user-service token` prints).
pub fn mint_token(conf: &conf::Jwt, subject: &str, ttl: std::time::Duration) -> bia::Result<String> {
    let signer = jwt::Signer::new(jwt::SigningKey::hs256(&conf.secret)?).subject(subject).expires_in(ttl);
    match &conf.issuer {
        Some(iss) => signer.issuer(iss.clone()).sign(),
        None => signer.sign(),
    }
}

/// Gives every call an `x-request-id`: the caller's, or a new one; it comes
/// back in the reply (errors too) and on the call's log lines.
#[bia::middleware]
pub async fn request_id(ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
    use tracing::Instrument as _;
    let id = match ctx.request_header("x-request-id") {
        Some(id) if !id.is_empty() && id.len() <= 128 => id.to_owned(),
        _ => uuid::Uuid::new_v4().to_string(),
    };
    let span = tracing::info_span!("request", request_id = %id);
    let reply = next.run(ctx, req).instrument(span).await;
    ctx.set_reply_header("x-request-id", &id);
    reply
}
