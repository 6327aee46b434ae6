//! `server`: the HTTP and gRPC servers, with recovery, tracing, logging,
//! metrics and validation.

use bia::middleware::logging::Logging;
use bia::middleware::metrics::Metrics;
use bia::middleware::recovery::Recovery;
use bia::middleware::trace::Tracing;
use bia::middleware::validate::Validate;
use bia::middleware::Chain;
use bia::transport::grpc::GrpcServer;
use bia::transport::http::HttpServer;
use order_service::api::OrderApiServer;

use crate::app::Telemetry;
use crate::conf::Bootstrap;
use crate::service::OrderService;

/// Provides the middleware of both servers, outermost first: recovery,
/// tracing (after the tracer is set up), logging, metrics, validation.
#[bia::provider]
pub fn new_middleware(metrics: &Metrics, _telemetry: &Telemetry) -> Chain {
    Chain::new()
        .with(Recovery::new())
        .with(Tracing::server())
        .with(Logging::server())
        .with(metrics.server())
        .with(Validate::new())
}

/// Provides the HTTP server on `server.http.addr`, with `/metrics`.
#[bia::provider]
pub fn new_http_server(conf: &Bootstrap, svc: &OrderService, metrics: &Metrics, chain: &Chain) -> HttpServer {
    HttpServer::new(conf.server.http.addr)
        .timeout(conf.server.http.timeout)
        .service(OrderApiServer::new(svc.clone()))
        .openapi(order_service::api::openapi())
        .metrics(metrics)
        .chain(chain)
}

/// Provides the gRPC server on `server.grpc.addr`.
#[bia::provider]
pub fn new_grpc_server(conf: &Bootstrap, svc: &OrderService, chain: &Chain) -> GrpcServer {
    GrpcServer::new(conf.server.grpc.addr)
        .timeout(conf.server.grpc.timeout)
        .service(OrderApiServer::new(svc.clone()))
        .chain(chain)
}
