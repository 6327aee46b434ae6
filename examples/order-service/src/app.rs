//! The root provider and the registry.

use bia::registry::Registry;
use bia::transport::grpc::GrpcServer;
use bia::transport::http::HttpServer;

use crate::conf::Bootstrap;

/// Provides the registry of `registry` in the config (static or etcd): the
/// App registers there, and the user-service client discovers through it.
#[bia::provider]
pub fn new_registry(conf: &Bootstrap) -> bia::Result<Registry> {
    conf.registry.build()
}

/// Provides the App: both servers, registered once serving.
#[bia::provider]
pub fn new_app(conf: &Bootstrap, http: HttpServer, grpc: GrpcServer, registry: &Registry) -> bia::App {
    let app = bia::App::new("order-service")
        .version(env!("CARGO_PKG_VERSION"))
        .http(http)
        .grpc(grpc)
        .registrar(registry.registrar.clone());
    conf.registry.endpoints.iter().fold(app, |app, e| app.endpoint(e.clone()))
}
