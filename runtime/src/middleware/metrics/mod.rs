//! Prometheus metrics of server and client calls.
//!
//! As Kratos' `metrics.Server()` / `metrics.Client()`: every call through the
//! middleware counts one request and observes its duration, with the same
//! metric names and labels:
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `server_requests_code_total` | counter | `kind`, `operation`, `code`, `reason` |
//! | `server_requests_seconds` | histogram | `kind`, `operation` |
//! | `client_requests_code_total` | counter | `kind`, `operation`, `code`, `reason` |
//! | `client_requests_seconds` | histogram | `kind`, `operation` |
//! | `server_stream_messages_received_total`, `server_stream_messages_sent_total` | counter | `kind`, `operation` |
//! | `client_stream_messages_received_total`, `client_stream_messages_sent_total` | counter | `kind`, `operation` |
//!
//! A streaming call counts as one request when it ends (with the code it
//! ends with), its duration is the whole stream's, and the message counters
//! add the messages it carried each way (Bia's own: Kratos has no streams
//! in its metrics).
//!
//! * `kind` is the transport, `http` or `grpc`;
//! * `operation` is `/package.Service/Method` (the route template of a
//!   hand-written route that opts into the middleware chain);
//! * `code` is the HTTP status of the Bia error model: the error's
//!   [`code`](crate::Error::code) on both transports (so a gRPC `NotFound` is
//!   `404`), and `200` on success. Kratos records the error's code too, but
//!   leaves `0` on success; Bia writes the status the HTTP transport sends;
//! * `reason` is the error's [`reason`](crate::Error::reason) (`""` on
//!   success, as in Kratos).
//!
//! The durations go to explicit buckets, [`DEFAULT_BUCKETS`] (Kratos'
//! seconds view) unless [`Metrics::with_buckets`] says otherwise.
//!
//! The metrics live in a [`prometheus_client`] registry that the [`Metrics`]
//! value owns; [`Metrics::router`] serves it as OpenMetrics text on
//! `GET /metrics`, [`Metrics::encode`] returns the same text, and
//! [`Metrics::with_registry`] registers your own metrics beside them.
//!
//! ```no_run
//! use bia::middleware::metrics::Metrics;
//! use bia::prelude::*;
//!
//! # async fn run() -> bia::Result<()> {
//! let metrics = Metrics::new();
//! bia::App::new("user-service")
//!     .middleware(metrics.server())
//!     .http(HttpServer::new("0.0.0.0:8000".parse().unwrap()).metrics(&metrics))
//!     // ... .grpc(...) and the services
//!     .run()
//!     .await
//! # }
//! ```
//!
//! On a client, [`Metrics::client`]: `FooGrpcClient::connect(url).await?.middleware(metrics.client())`.
//!
//! The hot path takes a read lock and a hash of the operation to find the
//! call's counter and histogram, then updates them; it allocates only the
//! first time an operation is seen on a transport, and on errors (the
//! `reason` label).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::Instant;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

pub use prometheus_client;

use super::{AnyMessage, Context, Next};
use crate::context::Kind;
use crate::error::reason::CONFIG as CONFIG_REASON;
use crate::error::Error;

/// The default histogram buckets of `*_requests_seconds`, in seconds (the
/// buckets of Kratos' `DefaultSecondsHistogramView`).
pub const DEFAULT_BUCKETS: [f64; 8] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

/// The content type of [`Metrics::router`]'s reply: the OpenMetrics text
/// format, which Prometheus scrapes natively.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How [`bia::log`](crate::log)'s writer reports the lines it lost: queue
/// full, write failed. Set once by the writer when it is installed; `log`
/// sits above this module, so it hands over a reader rather than this
/// module reaching up.
pub(crate) static LOG_DROPS: OnceLock<fn() -> [u64; 2]> = OnceLock::new();

/// `log_lines_dropped_total{reason}`, read from [`LOG_DROPS`] at each
/// scrape; absent in a process whose log lines do not go through
/// [`bia::log`](crate::log).
#[derive(Debug)]
struct LogLinesDropped;

impl prometheus_client::collector::Collector for LogLinesDropped {
    fn encode(&self, encoder: prometheus_client::encoding::DescriptorEncoder) -> fmt::Result {
        let Some(read) = LOG_DROPS.get() else { return Ok(()) };
        let [queue_full, write_failed] = read();
        encode_by_reason(
            encoder,
            "log_lines_dropped",
            "Log lines lost: the writer's queue was full, or writing them failed",
            &[("queue_full", queue_full), ("write_failed", write_failed)],
        )
    }
}

/// A counter family labelled by `reason`, from values read at scrape time
/// (what queues outside the registry count: lost log lines, dropped spans).
pub(crate) fn encode_by_reason(
    mut encoder: prometheus_client::encoding::DescriptorEncoder,
    name: &str,
    help: &str,
    counts: &[(&'static str, u64)],
) -> fmt::Result {
    use prometheus_client::encoding::EncodeMetric as _;
    let family = Family::<Vec<(&'static str, &'static str)>, Counter>::default();
    for &(reason, count) in counts {
        family.get_or_create(&vec![("reason", reason)]).inc_by(count);
    }
    let metric = encoder.encode_descriptor(name, help, None, family.metric_type())?;
    family.encode(metric)
}

/// Where [`Metrics::router`] (and [`HttpServer::metrics`](crate::transport::http::HttpServer::metrics))
/// serve the registry.
pub const METRICS_PATH: &str = "/metrics";

/// Prometheus metrics of calls (see the [module docs](self)).
///
/// Cheap to clone: clones share the registry and the metrics.
///
/// ```
/// use bia::middleware::metrics::Metrics;
///
/// let metrics = Metrics::new();
/// let _app = bia::App::new("demo").middleware(metrics.server());
/// // A family shows up with its first call.
/// assert_eq!(metrics.encode(), "# EOF\n");
/// ```
#[derive(Clone)]
pub struct Metrics {
    shared: Arc<Shared>,
}

struct Shared {
    registry: Mutex<Registry>,
    server: Arc<Recorder>,
    client: Arc<Recorder>,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("server_operations", &self.shared.server.operations())
            .field("client_operations", &self.shared.client.operations())
            .finish()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// The four metrics with [`DEFAULT_BUCKETS`], in a new registry.
    pub fn new() -> Self {
        Self::build(Arc::from(DEFAULT_BUCKETS.as_slice()))
    }

    /// The four metrics with the given histogram buckets (upper bounds in
    /// seconds, finite and strictly increasing; `+Inf` is implied).
    ///
    /// ```
    /// use bia::middleware::metrics::Metrics;
    ///
    /// let metrics = Metrics::with_buckets([0.001, 0.01, 0.1, 1.0, 10.0]).unwrap();
    /// # drop(metrics);
    /// let err = Metrics::with_buckets([0.1, 0.01]).unwrap_err();
    /// assert_eq!(err.reason(), "CONFIG");
    /// ```
    pub fn with_buckets(buckets: impl IntoIterator<Item = f64>) -> Result<Self, Error> {
        let buckets: Vec<f64> = buckets.into_iter().collect();
        if buckets.is_empty() {
            return Err(Error::internal_server(CONFIG_REASON, "metrics: at least one histogram bucket is needed"));
        }
        if let Some(b) = buckets.iter().find(|b| !b.is_finite()) {
            return Err(Error::internal_server(
                CONFIG_REASON,
                format!("metrics: histogram bucket {b} is not a finite number of seconds (+Inf is implied)"),
            ));
        }
        if let Some(w) = buckets.windows(2).find(|w| w[0] >= w[1]) {
            return Err(Error::internal_server(
                CONFIG_REASON,
                format!("metrics: histogram buckets must be strictly increasing, but {} comes before {}", w[0], w[1]),
            ));
        }
        Ok(Self::build(buckets.into()))
    }

    fn build(buckets: Arc<[f64]>) -> Self {
        let mut registry = Registry::default();
        let server = Arc::new(Recorder::new(Buckets(buckets.clone())));
        let client = Arc::new(Recorder::new(Buckets(buckets)));
        server.register(&mut registry, "server");
        client.register(&mut registry, "client");
        registry.register_collector(Box::new(LogLinesDropped));
        Self { shared: Arc::new(Shared { registry: Mutex::new(registry), server, client }) }
    }

    /// The server middleware: records into `server_requests_code_total` and
    /// `server_requests_seconds`.
    pub fn server(&self) -> MetricsMiddleware {
        MetricsMiddleware { recorder: self.shared.server.clone(), side: "server" }
    }

    /// The client middleware: records into `client_requests_code_total` and
    /// `client_requests_seconds`.
    pub fn client(&self) -> MetricsMiddleware {
        MetricsMiddleware { recorder: self.shared.client.clone(), side: "client" }
    }

    /// The registry as OpenMetrics text (what `GET /metrics` returns).
    pub fn encode(&self) -> String {
        let registry = self.shared.registry.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = String::with_capacity(4096);
        // Writing to a String cannot fail, and our label sets never fail to encode.
        if prometheus_client::encoding::text::encode(&mut out, &registry).is_err() {
            tracing::error!(target: "bia::middleware::metrics", "cannot encode the metrics registry");
        }
        out
    }

    /// An axum router serving [`encode`](Self::encode) on `GET /metrics`
    /// ([`METRICS_PATH`]) with [`CONTENT_TYPE`], for a router of your own.
    /// On a Bia server, [`HttpServer::metrics`](crate::transport::http::HttpServer::metrics)
    /// mounts it (and keeps the server's dispatch table, which
    /// `HttpServer::routes` turns off). Scrapes do not go through the
    /// middleware chain, so they are not counted.
    ///
    /// ```
    /// use bia::middleware::metrics::Metrics;
    ///
    /// let metrics = Metrics::new();
    /// let app: axum::Router = axum::Router::new().merge(metrics.router());
    /// # drop(app);
    /// ```
    pub fn router(&self) -> axum::Router {
        let metrics = self.clone();
        axum::Router::new().route(
            METRICS_PATH,
            axum::routing::get(move || {
                let metrics = metrics.clone();
                async move { ([(http::header::CONTENT_TYPE, CONTENT_TYPE)], metrics.encode()) }
            }),
        )
    }

    /// Runs `f` on the registry, to register metrics of your own that
    /// [`encode`](Self::encode) and the router then serve too.
    ///
    /// ```
    /// use bia::middleware::metrics::prometheus_client::metrics::counter::Counter;
    /// use bia::middleware::metrics::Metrics;
    ///
    /// let metrics = Metrics::new();
    /// let logins: Counter = Counter::default();
    /// metrics.with_registry(|r| r.register("logins", "Successful logins", logins.clone()));
    /// logins.inc();
    /// assert!(metrics.encode().contains("logins_total 1"));
    /// ```
    pub fn with_registry<R>(&self, f: impl FnOnce(&mut Registry) -> R) -> R {
        let mut registry = self.shared.registry.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut registry)
    }

    /// Records the request metrics into OpenTelemetry instruments of
    /// `provider` too, which export them (over OTLP with
    /// [`Otlp`](super::otlp::Otlp)): the same names without the `_total`
    /// that Prometheus adds to counters (`server_requests_code`,
    /// `server_requests_seconds` with this registry's buckets,
    /// `server_stream_messages_received`, `..._sent`, and the `client_`
    /// ones) and the same labels as attributes (`code` a number). A second
    /// call changes nothing.
    ///
    /// ```
    /// use bia::middleware::metrics::Metrics;
    /// use bia::middleware::trace::opentelemetry_sdk::metrics::SdkMeterProvider;
    ///
    /// let metrics = Metrics::new();
    /// metrics.export(&SdkMeterProvider::builder().build());
    /// ```
    #[cfg(feature = "otlp")]
    #[cfg_attr(docsrs, doc(cfg(feature = "otlp")))]
    pub fn export(&self, provider: &opentelemetry_sdk::metrics::SdkMeterProvider) {
        use opentelemetry::metrics::MeterProvider as _;
        let meter = provider.meter("bia");
        for (recorder, side) in [(&self.shared.server, "server"), (&self.shared.client, "client")] {
            let _ = recorder.otel.set(otel::Instruments::new(&meter, side, &recorder.seconds_buckets));
        }
    }
}

mod labels;
#[cfg(feature = "otlp")]
mod otel;

use labels::{Buckets, CodeLabels, Label, OpLabels};

/// The middleware of [`Metrics::server`] and [`Metrics::client`]: times the
/// rest of the chain and counts its outcome, on both transports.
#[derive(Clone)]
pub struct MetricsMiddleware {
    recorder: Arc<Recorder>,
    side: &'static str,
}

impl fmt::Debug for MetricsMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsMiddleware").field("side", &self.side).finish()
    }
}

#[bia_macros::middleware(crate = "crate")]
impl MetricsMiddleware {
    async fn handle(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> crate::Result<AnyMessage> {
        let start = Instant::now();
        let res = next.run(ctx, req).await;
        let seconds = start.elapsed().as_secs_f64();
        self.recorder.record(ctx.kind(), ctx.operation(), res.as_ref().err(), seconds);
        if let Some(stats) = ctx.stream() {
            self.recorder.record_messages(ctx.kind(), ctx.operation(), stats.received(), stats.sent());
        }
        res
    }
}

/// The two metric families of one side, and a cache of the handles of each
/// operation so that the common path does not rebuild label sets.
struct Recorder {
    requests: Family<CodeLabels, Counter>,
    seconds: Family<OpLabels, Histogram, Buckets>,
    received: Family<OpLabels, Counter>,
    sent: Family<OpLabels, Counter>,
    /// Hashed with foldhash: every call looks its operation up here, and
    /// SipHash (std's default) of a 25-byte name cost about 150 instructions
    /// of it; the names are the server's own routes, not the client's input.
    ops: RwLock<HashMap<Label, OpHandles, foldhash::fast::RandomState>>,
    /// The same measurements as OpenTelemetry instruments, exported over
    /// OTLP once [`Metrics::export`] is called.
    #[cfg(feature = "otlp")]
    otel: OnceLock<otel::Instruments>,
    /// The histogram's buckets, for the OpenTelemetry one.
    #[cfg(feature = "otlp")]
    seconds_buckets: Arc<[f64]>,
}

struct OpHandles {
    operation: Label,
    /// Indexed by [`kind_index`]; filled on first use so that a transport
    /// an operation is never called on shows no series.
    by_kind: [OnceLock<KindHandles>; 2],
}

struct KindHandles {
    ok: Counter,
    seconds: Histogram,
}

fn kind_index(kind: Kind) -> usize {
    match kind {
        Kind::Http => 0,
        Kind::Grpc => 1,
    }
}

impl Recorder {
    fn new(buckets: Buckets) -> Self {
        Self {
            #[cfg(feature = "otlp")]
            seconds_buckets: buckets.0.clone(),
            requests: Family::default(),
            seconds: Family::new_with_constructor(buckets),
            received: Family::default(),
            sent: Family::default(),
            ops: RwLock::new(HashMap::default()),
            #[cfg(feature = "otlp")]
            otel: OnceLock::new(),
        }
    }

    fn register(&self, registry: &mut Registry, side: &str) {
        // prometheus-client appends `_total` to counters.
        registry.register(
            format!("{side}_requests_code"),
            format!("The total number of processed requests ({side} side)"),
            self.requests.clone(),
        );
        registry.register(
            format!("{side}_requests_seconds"),
            format!("{side} requests duration (sec)"),
            self.seconds.clone(),
        );
        registry.register(
            format!("{side}_stream_messages_received"),
            format!("Messages received in streams ({side} side)"),
            self.received.clone(),
        );
        registry.register(
            format!("{side}_stream_messages_sent"),
            format!("Messages sent in streams ({side} side)"),
            self.sent.clone(),
        );
    }

    /// Adds the messages of a stream that ended.
    fn record_messages(&self, kind: Kind, operation: &str, received: u64, sent: u64) {
        let labels = OpLabels { kind: kind.as_str(), operation: Label::from(operation) };
        self.received.get_or_create(&labels).inc_by(received);
        self.sent.get_or_create(&labels).inc_by(sent);
        #[cfg(feature = "otlp")]
        if let Some(otel) = self.otel.get() {
            otel.messages(kind, &labels.operation, received, sent);
        }
    }

    fn operations(&self) -> usize {
        self.ops.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    fn record(&self, kind: Kind, operation: &str, err: Option<&Error>, seconds: f64) {
        {
            let ops = self.ops.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(handles) = ops.get(operation) {
                self.record_in(handles, kind, err, seconds);
                return;
            }
        }
        let mut ops = self.ops.write().unwrap_or_else(PoisonError::into_inner);
        let key = Label::from(operation);
        let handles =
            ops.entry(key.clone()).or_insert_with(|| OpHandles { operation: key, by_kind: Default::default() });
        self.record_in(handles, kind, err, seconds);
    }

    fn record_in(&self, handles: &OpHandles, kind: Kind, err: Option<&Error>, seconds: f64) {
        let kind_handles = handles.by_kind[kind_index(kind)].get_or_init(|| KindHandles {
            ok: self.requests.get_or_create_owned(&CodeLabels {
                kind: kind.as_str(),
                operation: handles.operation.clone(),
                code: 200,
                reason: Label::from(""),
            }),
            seconds: self
                .seconds
                .get_or_create_owned(&OpLabels { kind: kind.as_str(), operation: handles.operation.clone() }),
        });
        match err {
            None => {
                kind_handles.ok.inc();
            }
            Some(e) => {
                let labels = CodeLabels {
                    kind: kind.as_str(),
                    operation: handles.operation.clone(),
                    code: e.code(),
                    reason: Label::from(e.reason()),
                };
                self.requests.get_or_create(&labels).inc();
            }
        }
        kind_handles.seconds.observe(seconds);
        #[cfg(feature = "otlp")]
        if let Some(otel) = self.otel.get() {
            otel.record(kind, &handles.operation, err, seconds);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_encodes_with_kratos_names() {
        let m = Metrics::new();
        let rec = &m.shared.server;
        rec.record(Kind::Http, "/a.v1.S/M", None, 0.002);
        rec.record(Kind::Http, "/a.v1.S/M", None, 0.3);
        rec.record(Kind::Grpc, "/a.v1.S/M", Some(&Error::not_found("NOPE", "x")), 2.0);
        m.shared.client.record(Kind::Grpc, "/a.v1.S/M", None, 0.01);
        let text = m.encode();
        for line in [
            r#"server_requests_code_total{kind="http",operation="/a.v1.S/M",code="200",reason=""} 2"#,
            r#"server_requests_code_total{kind="grpc",operation="/a.v1.S/M",code="404",reason="NOPE"} 1"#,
            r#"server_requests_seconds_count{kind="http",operation="/a.v1.S/M"} 2"#,
            r#"server_requests_seconds_bucket{le="0.005",kind="http",operation="/a.v1.S/M"} 1"#,
            r#"server_requests_seconds_bucket{le="+Inf",kind="grpc",operation="/a.v1.S/M"} 1"#,
            r#"client_requests_code_total{kind="grpc",operation="/a.v1.S/M",code="200",reason=""} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "missing `{line}` in:\n{text}");
        }
        // No series for a transport an operation was not called on.
        assert!(!text.contains(r#"client_requests_code_total{kind="http""#), "{text}");
    }

    #[test]
    fn bad_buckets_are_config_errors() {
        for bad in [vec![], vec![f64::NAN], vec![1.0, f64::INFINITY], vec![0.5, 0.5]] {
            let err = Metrics::with_buckets(bad.clone()).unwrap_err();
            assert_eq!(err.reason(), CONFIG_REASON, "{bad:?}");
        }
    }
}
