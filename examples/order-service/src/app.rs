//! The root provider, the registry and the telemetry.

use bia::middleware::metrics::Metrics;
use bia::registry::Registry;
use bia::transport::grpc::GrpcServer;
use bia::transport::http::HttpServer;
use bia::wire::Cleanup;

use crate::conf::Bootstrap;

/// Provides the registry of `registry` in the config (static or etcd): the
/// App registers there, and the user-service client discovers through it.
#[bia::provider]
pub fn new_registry(conf: &Bootstrap) -> bia::Result<Registry> {
    conf.registry.build()
}

/// Provides the App: both servers, registered once serving.
#[bia::provider]
pub fn new_app(
    conf: &Bootstrap,
    http: HttpServer,
    grpc: GrpcServer,
    registry: &Registry,
    telemetry: &Telemetry,
) -> bia::App {
    let app = bia::App::new("order-service")
        .id(telemetry.instance.clone())
        .version(env!("CARGO_PKG_VERSION"))
        .http(http)
        .grpc(grpc)
        .registrar(registry.registrar.clone());
    conf.registry.endpoints.iter().fold(app, |app, e| app.endpoint(e.clone()))
}

/// Provides the Prometheus registry the metrics middleware records into and
/// `/metrics` shows.
#[bia::provider]
pub fn new_metrics() -> Metrics {
    Metrics::new()
}

/// Provides the telemetry set-up: spans (and metrics) exported over OTLP
/// when `otlp.endpoint` is set; its cleanup sends what is still queued.
#[bia::provider]
pub fn new_telemetry(conf: &Bootstrap, metrics: &Metrics) -> bia::Result<(Telemetry, Cleanup)> {
    let instance = format!("order-service-{}", uuid::Uuid::new_v4());
    let export = conf.otlp.install("order-service", env!("CARGO_PKG_VERSION"), &instance, metrics)?;
    Ok((Telemetry { instance }, Cleanup::sync(move || export.shutdown())))
}

/// The tracer is set up (the servers' and the user client's `Tracing`
/// depend on it), and this instance's id.
pub struct Telemetry {
    pub instance: String,
}
