//! The App and the pieces around it: the registry, the telemetry, and the root
//! provider that puts the servers together.

use bia::middleware::metrics::Metrics;
use bia::registry::Registry;
use bia::transport::grpc::GrpcServer;
use bia::transport::http::HttpServer;
use bia::wire::Cleanup;

/// Builds the app from a config: every layer is a `#[bia::provider]`
/// (`data::new_user_repo` -> `biz::new_user_use_case` ->
/// `service::new_user_service` -> `server::new_http_server`,
/// `server::new_grpc_server` -> [`new_app`]), wired by `bia::wire` with the
/// config supplied. The providers' cleanups (closing the database, flushing
/// spans) run when the app stops.
pub async fn app(conf: crate::conf::Bootstrap) -> bia::Result<bia::App> {
    bia::App::autowire().supply(conf).build().await
}

/// Provides the App: both servers (on one port with `server.mode: single`),
/// named and versioned, registered in the configured registry once serving.
#[bia::provider]
pub fn new_app(
    conf: &crate::conf::Bootstrap,
    http: HttpServer,
    grpc: GrpcServer,
    registry: &Registry,
    telemetry: &Telemetry,
) -> bia::App {
    let app = bia::App::new("user-service")
        .id(telemetry.instance.clone())
        .version(env!("CARGO_PKG_VERSION"))
        .http(http)
        .grpc(grpc)
        .registrar(registry.registrar.clone())
        .stop_timeout(conf.server.stop_timeout);
    let app = if conf.server.single() { app.one_port() } else { app };
    conf.registry.endpoints.iter().fold(app, |app, e| app.endpoint(e.clone()))
}

/// Provides the registry of `registry` in the config (static or etcd).
#[bia::provider]
pub fn new_registry(conf: &crate::conf::Bootstrap) -> bia::Result<Registry> {
    conf.registry.build()
}

/// Provides the telemetry set-up (see [`Telemetry`]): spans and metrics
/// exported over OTLP when `otlp.endpoint` is set; its cleanup sends what is
/// still queued.
#[bia::provider]
pub fn new_telemetry(conf: &crate::conf::Bootstrap, metrics: &Metrics) -> bia::Result<(Telemetry, Cleanup)> {
    let instance = format!("user-service-{}", uuid::Uuid::new_v4());
    let export = conf.otlp.install("user-service", env!("CARGO_PKG_VERSION"), &instance, metrics)?;
    Ok((Telemetry { instance }, Cleanup::sync(move || export.shutdown())))
}

/// The tracer is set up (the middleware's `Tracing` depends on it), and
/// this instance's id, which the App and the exported telemetry share.
pub struct Telemetry {
    pub instance: String,
}
