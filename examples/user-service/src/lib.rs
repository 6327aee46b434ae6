//! The Kratos tutorial's user service, written with Bia.
//!
//! Layers as the tutorial has them: [`api`] (the contract), [`service`]
//! (implements it), [`biz`] (domain and use cases), [`data`] (the repository
//! on SQLite or Postgres), [`server`] (HTTP and gRPC), and `main` (config,
//! logging, wiring, run).

pub mod api;
pub mod biz;
pub mod conf;
pub mod data;
pub mod server;
pub mod service;

use std::sync::Arc;

/// Builds the app from a config: repo -> use case -> service -> servers,
/// with the middleware of [`server::middleware`] on both transports.
pub async fn app(conf: &conf::Bootstrap) -> bia::Result<bia::App> {
    let tracer = tracer(&conf.trace)?;
    let metrics = bia::middleware::metrics::Metrics::new();
    let chain = server::middleware(conf, &metrics)?;
    let repo = data::SqlUserRepo::connect(&conf.data.database).await?;
    let closing = repo.clone();
    let uc = biz::UserUseCase::new(Arc::new(repo));
    let svc = api::UserApiServer::new(service::UserService::new(uc));
    Ok(bia::App::new("user-service")
        .version(env!("CARGO_PKG_VERSION"))
        .http(server::http(&conf.server, svc.clone(), &metrics).chain(&chain))
        .grpc(server::grpc(&conf.server, svc).chain(&chain))
        .after_stop(move || async move {
            closing.close().await;
            if let Some(t) = tracer {
                t.flush();
            }
            Ok(())
        }))
}

/// A handle that flushes exported spans at stop.
pub struct Tracer(#[cfg(feature = "otlp")] bia::middleware::trace::opentelemetry_sdk::trace::SdkTracerProvider);

impl Tracer {
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
fn tracer(conf: &conf::Trace) -> bia::Result<Option<Tracer>> {
    use bia::middleware::trace::{opentelemetry, opentelemetry_sdk};
    if conf.otlp_endpoint.is_empty() {
        opentelemetry::global::set_tracer_provider(opentelemetry_sdk::trace::SdkTracerProvider::builder().build());
        return Ok(None);
    }
    #[cfg(feature = "otlp")]
    {
        let provider = bia::middleware::trace::otlp_provider(&conf.otlp_endpoint, "user-service")?;
        opentelemetry::global::set_tracer_provider(provider.clone());
        Ok(Some(Tracer(provider)))
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
