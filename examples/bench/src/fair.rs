//! The fair reference of the "with observability" measure: the hand-written
//! axum and tonic servers with the observability their communities build
//! from the crates' own docs, doing what Bia's default stack does.
//!
//! * **Spans**: tower-http's `TraceLayer` makes a `tracing` span per request,
//!   which `tracing-opentelemetry` turns into an OpenTelemetry span (an SDK
//!   provider with the default sampler and no exporter, as Bia's bench), the
//!   caller's W3C `traceparent` continued.
//! * **Logs**: one JSON line per response through tracing-subscriber's JSON
//!   formatter, with Bia's logging fields: `kind`, `component`, `operation`,
//!   `args` (recorded by the handler), `code`, `reason`, `latency`; the trace
//!   and span ids are the OpenTelemetry span's.
//! * **Metrics**: prometheus-client with Bia's series,
//!   `server_requests_code_total{kind,operation,code,reason}` and
//!   `server_requests_seconds{kind,operation}` (the same buckets), recorded by
//!   a middleware as axum's Prometheus example does.
//!
//! `BENCH_STACK=fair` switches it on in `bench-axum` and `bench-tonic`.

use std::sync::OnceLock;
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;

/// Whether the servers run with the fair reference's observability.
pub fn on() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var("BENCH_STACK").as_deref() == Ok("fair"))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    kind: &'static str,
    operation: String,
    code: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    kind: &'static str,
    operation: String,
}

/// The request metrics, as Bia's metrics middleware names them.
pub struct Metrics {
    requests: Family<CodeLabels, Counter>,
    seconds: Family<OperationLabels, Histogram, fn() -> Histogram>,
    /// Holds the families (a `/metrics` route would encode it).
    #[allow(dead_code)]
    registry: Registry,
}

fn histogram() -> Histogram {
    Histogram::new(bia::middleware::metrics::DEFAULT_BUCKETS)
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<CodeLabels, Counter>::default();
        let seconds = Family::<OperationLabels, Histogram, fn() -> Histogram>::new_with_constructor(histogram);
        registry.register("server_requests_code", "Requests by code and reason", requests.clone());
        registry.register("server_requests_seconds", "Request latency", seconds.clone());
        Self { requests, seconds, registry }
    }

    /// Records one request.
    pub fn record(&self, kind: &'static str, operation: &str, code: String, reason: &str, latency: Duration) {
        let labels = CodeLabels { kind, operation: operation.to_owned(), code, reason: reason.to_owned() };
        self.requests.get_or_create(&labels).inc();
        let labels = OperationLabels { kind, operation: operation.to_owned() };
        self.seconds.get_or_create(&labels).observe(latency.as_secs_f64());
    }
}

/// Sets up tracing, logging and metrics once (the process's globals), and
/// returns the metrics.
pub fn init() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        let tracer = provider.tracer("bench");
        opentelemetry::global::set_tracer_provider(provider);
        opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::filter::LevelFilter::INFO)
            .with(tracing_opentelemetry::layer().with_tracer(tracer));
        // Standard output; `BENCH_FAIR_LOG=sink` formats the lines and drops them (tests).
        let json = tracing_subscriber::fmt::layer().json();
        let set = if std::env::var("BENCH_FAIR_LOG").as_deref() == Ok("sink") {
            tracing::subscriber::set_global_default(subscriber.with(json.with_writer(std::io::sink)))
        } else {
            tracing::subscriber::set_global_default(subscriber.with(json.with_writer(std::io::stdout)))
        };
        set.expect("one subscriber");
        Metrics::new()
    })
}

/// The span of one request, continuing the caller's trace.
pub fn request_span(kind: &'static str, operation: &str, headers: &http::HeaderMap) -> Span {
    let span = tracing::info_span!(
        "request",
        otel.kind = "server",
        kind,
        component = "server",
        operation,
        args = tracing::field::Empty,
        reason = tracing::field::Empty,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
    );
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(headers)));
    let _ = span.set_parent(parent);
    // The ids on the log line, as Bia's lines carry them.
    let context = span.context();
    let ids = opentelemetry::trace::TraceContextExt::span(&context).span_context().clone();
    span.record("trace_id", tracing::field::display(ids.trace_id()));
    span.record("span_id", tracing::field::display(ids.span_id()));
    span
}

/// The log line of a finished request (in its span, so the line carries
/// the span's fields).
pub fn log_response(code: u16, reason: &str, latency: Duration) {
    tracing::info!(code, reason, latency = latency.as_secs_f64(), "request");
}

/// Records what the handler has to say in the request's span: its request
/// as `args`, and an error's reason.
pub fn record_args(args: impl std::fmt::Display) {
    Span::current().record("args", tracing::field::display(args));
}

/// See [`record_args`].
pub fn record_reason(reason: &'static str) {
    Span::current().record("reason", reason);
}

/// `HeaderMap` as an OpenTelemetry extractor: the few lines
/// `opentelemetry-http` has, written here rather than pulling it in for them.
struct Headers<'a>(&'a http::HeaderMap);

impl opentelemetry::propagation::Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}
