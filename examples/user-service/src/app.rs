//! The App and the pieces around it: the registry, the tracer, and the root
//! provider that puts the servers together.

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
pub fn new_app(conf: &crate::conf::Bootstrap, http: HttpServer, grpc: GrpcServer, registry: &Registry) -> bia::App {
    let app = bia::App::new("user-service")
        .version(env!("CARGO_PKG_VERSION"))
        .http(http)
        .grpc(grpc)
        .registrar(registry.registrar.clone());
    let app = if conf.server.single() { app.one_port() } else { app };
    conf.registry.endpoints.iter().fold(app, |app, e| app.endpoint(e.clone()))
}

/// Provides the registry of `registry` in the config (static or etcd).
#[bia::provider]
pub fn new_registry(conf: &crate::conf::Bootstrap) -> bia::Result<Registry> {
    conf.registry.build()
}

/// Provides the tracer set-up (see [`Tracer`]); its cleanup flushes spans.
#[bia::provider]
pub fn new_tracer(conf: &crate::conf::Bootstrap) -> bia::Result<(Tracer, Cleanup)> {
    let tracer = tracer(&conf.trace)?;
    Ok((
        Tracer(()),
        Cleanup::sync(move || {
            if let Some(t) = tracer {
                t.flush();
            }
        }),
    ))
}

/// The tracer is set up: the middleware's `Tracing` depends on it.
pub struct Tracer(());

/// A handle that flushes exported spans at stop.
struct Exporter(#[cfg(feature = "otlp")] bia::middleware::trace::opentelemetry_sdk::trace::SdkTracerProvider);

impl Exporter {
    fn flush(self) {
        #[cfg(feature = "otlp")]
        if let Err(e) = self.0.shutdown() {
            tracing::warn!("flushing spans failed: {e}");
        }
    }
}

/// Sets up tracing: spans exported over OTLP when `trace.otlp_endpoint` is
/// set; otherwise made (trace and span ids on every call's log lines, W3C
/// `traceparent` continued) but not exported.
fn tracer(conf: &crate::conf::Trace) -> bia::Result<Option<Exporter>> {
    use bia::middleware::trace::{opentelemetry, opentelemetry_sdk};
    if conf.otlp_endpoint.is_empty() {
        opentelemetry::global::set_tracer_provider(opentelemetry_sdk::trace::SdkTracerProvider::builder().build());
        return Ok(None);
    }
    #[cfg(feature = "otlp")]
    {
        let provider = bia::middleware::trace::otlp_provider(&conf.otlp_endpoint, "user-service")?;
        opentelemetry::global::set_tracer_provider(provider.clone());
        Ok(Some(Exporter(provider)))
    }
    #[cfg(not(feature = "otlp"))]
    Err(bia::Error::internal_server(
        "CONFIG",
        format!(
            "trace.otlp_endpoint is {} but user-service was built without the `otlp` feature: cargo run -p user-service --features otlp",
            conf.otlp_endpoint
        ),
    ))
}
