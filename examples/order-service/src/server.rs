//! `server`: the HTTP and gRPC servers, with recovery, logging and
//! validation.

use bia::middleware::logging::Logging;
use bia::middleware::recovery::Recovery;
use bia::middleware::validate::Validate;
use bia::middleware::Chain;
use bia::transport::grpc::GrpcServer;
use bia::transport::http::HttpServer;
use order_service::api::OrderApiServer;

use crate::conf::Bootstrap;
use crate::service::OrderService;

fn chain() -> Chain {
    Chain::new().with(Recovery::new()).with(Logging::server()).with(Validate::new())
}

/// Provides the HTTP server on `server.http.addr`.
#[bia::provider]
pub fn new_http_server(conf: &Bootstrap, svc: &OrderService) -> HttpServer {
    HttpServer::new(conf.server.http.addr)
        .timeout(conf.server.http.timeout)
        .service(OrderApiServer::new(svc.clone()))
        .openapi(order_service::api::openapi())
        .chain(&chain())
}

/// Provides the gRPC server on `server.grpc.addr`.
#[bia::provider]
pub fn new_grpc_server(conf: &Bootstrap, svc: &OrderService) -> GrpcServer {
    GrpcServer::new(conf.server.grpc.addr)
        .timeout(conf.server.grpc.timeout)
        .service(OrderApiServer::new(svc.clone()))
        .chain(&chain())
}
