//! `server`: the HTTP and gRPC servers of the service, from the config.

use bia::transport::grpc::GrpcServer;
use bia::transport::http::HttpServer;

use crate::api::UserApiServer;
use crate::conf;
use crate::service::UserService;

/// The HTTP server: the `User` API on `server.http.addr`.
pub fn http(conf: &conf::Server, svc: UserApiServer<UserService>) -> HttpServer {
    HttpServer::new(conf.http.addr).timeout(conf.http.timeout).service(svc)
}

/// The gRPC server: the `User` API, health and reflection on `server.grpc.addr`.
pub fn grpc(conf: &conf::Server, svc: UserApiServer<UserService>) -> GrpcServer {
    GrpcServer::new(conf.grpc.addr).timeout(conf.grpc.timeout).service(svc)
}
