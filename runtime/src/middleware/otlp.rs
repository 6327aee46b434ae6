//! Telemetry exported over OTLP/gRPC to an OpenTelemetry Collector (or any
//! OTLP receiver): the spans of [`Tracing`](super::trace::Tracing) and, as an
//! option beside the Prometheus endpoint, the metrics of
//! [`Metrics`](super::metrics::Metrics).
//!
//! [`OtlpConfig`] is the `otlp` section of a config; [`Otlp::start`] (the
//! `otlp` feature) starts the exporters:
//!
//! * every span and metric carries the resource attributes `service.name`,
//!   `service.version` and `service.instance.id`;
//! * spans wait in a bounded queue (`queue`, 2,048 by default) and go out in
//!   batches (`batch`, every `delay`) from a thread of their own: ending a
//!   span never waits for the collector. When the queue is full the span is
//!   dropped, and so are the spans of an export that failed (the collector
//!   down, or slower than `timeout`); both are counted, in
//!   [`Otlp::dropped_spans`] and, after [`Otlp::register`], in
//!   `otlp_spans_dropped_total{reason="queue_full"|"export_failed"}`;
//! * with `metrics: true`, the request metrics go out every
//!   `metrics_interval` with the same names and attributes as on
//!   `/metrics` (cumulative sums, and the histogram with the same buckets),
//!   once [`Metrics::export`](super::metrics::Metrics::export) is given the
//!   meter provider.
//!
//! ```yaml
//! otlp:
//!   endpoint: http://127.0.0.1:4317   # empty: nothing is exported
//!   metrics: true
//!   metrics_interval: 10s
//!   queue: 2048
//!   batch: 512
//!   delay: 1s
//!   timeout: 5s
//! ```
//!
//! ```no_run
//! # #[cfg(feature = "otlp")]
//! # async fn run() -> bia::Result<()> {
//! use bia::middleware::metrics::Metrics;
//! use bia::middleware::otlp::{Otlp, OtlpConfig};
//! use bia::middleware::trace::Tracing;
//!
//! let config = OtlpConfig { endpoint: "http://127.0.0.1:4317".into(), metrics: true, ..OtlpConfig::default() };
//! let otlp = Otlp::start(&config, "user-service", "1.0.0", "user-service-1")?;
//! let metrics = Metrics::new();
//! otlp.register(&metrics);
//! if let Some(meters) = otlp.meter_provider() {
//!     metrics.export(meters);
//! }
//! bia::App::new("user-service")
//!     .id("user-service-1")
//!     .middleware(Tracing::server().provider(otlp.tracer_provider()))
//!     .middleware(metrics.server())
//!     .run()
//!     .await?;
//! otlp.shutdown(); // the last spans and metrics
//! # Ok(()) }
//! ```

use std::time::Duration;

/// The `otlp` section of a config: where telemetry goes over OTLP/gRPC and
/// how spans are queued (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OtlpConfig {
    /// The receiver's OTLP/gRPC endpoint, plaintext (`http://127.0.0.1:4317`:
    /// a collector beside the service); empty: nothing is exported (spans
    /// are still made and propagated).
    pub endpoint: String,
    /// Export the request metrics too (beside `/metrics`).
    pub metrics: bool,
    /// How often metrics are exported (default 10 s).
    #[serde(with = "humantime_serde")]
    pub metrics_interval: Duration,
    /// Spans waiting for export at most; more are dropped and counted
    /// (default 2,048).
    pub queue: usize,
    /// Spans per export call at most (default 512).
    pub batch: usize,
    /// How long a span may wait for its batch to fill (default 1 s).
    #[serde(with = "humantime_serde")]
    pub delay: Duration,
    /// How long one export may take before its spans are dropped (default 5 s).
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

impl Default for OtlpConfig {
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            metrics: false,
            metrics_interval: Duration::from_secs(10),
            queue: 2048,
            batch: 512,
            delay: Duration::from_secs(1),
            timeout: Duration::from_secs(5),
        }
    }
}

impl OtlpConfig {
    /// Whether anything is to be exported (an endpoint is set).
    ///
    /// ```
    /// assert!(!bia::middleware::otlp::OtlpConfig::default().enabled());
    /// ```
    pub fn enabled(&self) -> bool {
        !self.endpoint.trim().is_empty()
    }
}

impl OtlpConfig {
    /// Sets up an App's telemetry the usual way: makes the global tracer
    /// provider (the one [`Tracing`](super::trace::Tracing) takes by
    /// default) export over OTLP when an endpoint is set, adds
    /// `otlp_spans_dropped_total` to `metrics`, and with `metrics: true`
    /// exports `metrics` too. Without an endpoint the global provider
    /// makes spans (ids on log lines, `traceparent` continued) and exports
    /// nothing. `instance_id` is `service.instance.id` (give the App the
    /// same with [`App::id`](crate::App::id)). An endpoint in a program
    /// built without Bia's `otlp` feature is a `CONFIG` error.
    ///
    /// ```
    /// use bia::middleware::metrics::Metrics;
    /// use bia::middleware::otlp::OtlpConfig;
    ///
    /// let telemetry = OtlpConfig::default().install("demo", "1.0.0", "demo-1", &Metrics::new()).unwrap();
    /// // ... run the App, then:
    /// telemetry.shutdown();
    /// ```
    pub fn install(
        &self,
        name: &str,
        version: &str,
        instance_id: &str,
        metrics: &crate::middleware::metrics::Metrics,
    ) -> Result<Telemetry, crate::error::Error> {
        use opentelemetry_sdk::trace::SdkTracerProvider;
        if !self.enabled() {
            opentelemetry::global::set_tracer_provider(SdkTracerProvider::builder().build());
            return Ok(Telemetry::default());
        }
        #[cfg(feature = "otlp")]
        {
            let otlp = Otlp::start(self, name, version, instance_id)?;
            opentelemetry::global::set_tracer_provider(otlp.tracer_provider().clone());
            otlp.register(metrics);
            if let Some(meters) = otlp.meter_provider() {
                metrics.export(meters);
            }
            Ok(Telemetry { otlp: Some(otlp) })
        }
        #[cfg(not(feature = "otlp"))]
        {
            let _ = (name, version, instance_id, metrics);
            Err(crate::error::Error::internal_server(
                crate::error::reason::CONFIG,
                format!("otlp.endpoint is {} but this program was built without Bia's `otlp` feature", self.endpoint),
            ))
        }
    }
}

/// What [`OtlpConfig::install`] set up: the running export, if any. Call
/// [`Telemetry::shutdown`] when the App has stopped.
#[derive(Debug, Default)]
pub struct Telemetry {
    #[cfg(feature = "otlp")]
    otlp: Option<Otlp>,
}

impl Telemetry {
    /// The running export (none without an endpoint).
    #[cfg(feature = "otlp")]
    #[cfg_attr(docsrs, doc(cfg(feature = "otlp")))]
    pub fn otlp(&self) -> Option<&Otlp> {
        self.otlp.as_ref()
    }

    /// Sends the spans and metrics still queued and stops the export (see
    /// [`Otlp::shutdown`]); nothing without an export.
    pub fn shutdown(&self) {
        #[cfg(feature = "otlp")]
        if let Some(otlp) = &self.otlp {
            otlp.shutdown();
        }
    }
}

#[cfg(feature = "otlp")]
#[cfg_attr(docsrs, doc(cfg(feature = "otlp")))]
pub use export::Otlp;

#[cfg(feature = "otlp")]
mod export {
    use std::sync::mpsc as std_mpsc;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use opentelemetry_otlp::WithExportConfig as _;
    use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
    use opentelemetry_sdk::metrics::SdkMeterProvider;
    use opentelemetry_sdk::trace::{SdkTracerProvider, Span, SpanData, SpanExporter as _, SpanProcessor};
    use opentelemetry_sdk::Resource;
    use prometheus_client::metrics::counter::Counter;

    use super::OtlpConfig;
    use crate::error::reason::CONFIG;
    use crate::error::Error;
    use crate::middleware::metrics::Metrics;

    /// The running exporters of an [`OtlpConfig`] (see the
    /// [module docs](super)). Keep it while the service runs (the tracer
    /// provider keeps the span export alive by itself; the metrics export
    /// stops with this); call [`Otlp::shutdown`] at the end to send what is
    /// queued.
    pub struct Otlp {
        tracer: SdkTracerProvider,
        meter: Option<SdkMeterProvider>,
        dropped: Dropped,
        /// The runtime the exporters' gRPC channels run on (one thread).
        _runtime: Arc<Background>,
    }

    impl std::fmt::Debug for Otlp {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Otlp").field("metrics", &self.meter.is_some()).finish_non_exhaustive()
        }
    }

    /// Spans dropped, by reason.
    #[derive(Clone, Default)]
    struct Dropped {
        queue_full: Counter,
        export_failed: Counter,
    }

    /// A runtime of the exporters' own, run by a thread of its own until
    /// dropped (a current-thread runtime that thread drives: tasks run
    /// without the caller's runtime, and dropping this never blocks, so the
    /// last handle may go inside an async task).
    #[derive(Debug)]
    struct Background {
        handle: tokio::runtime::Handle,
        stop: Option<tokio::sync::oneshot::Sender<()>>,
    }

    impl Background {
        fn start() -> std::io::Result<Background> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let handle = runtime.handle().clone();
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            std::thread::Builder::new().name("bia-otlp".into()).spawn(move || {
                runtime.block_on(async {
                    let _ = stopped.await;
                });
            })?;
            Ok(Background { handle, stop: Some(stop) })
        }
    }

    impl Drop for Background {
        fn drop(&mut self) {
            if let Some(stop) = self.stop.take() {
                let _ = stop.send(());
            }
        }
    }

    fn config_error(endpoint: &str, what: &str, e: impl std::fmt::Display) -> Error {
        Error::internal_server(CONFIG, format!("cannot build the OTLP {what} exporter for `{endpoint}`: {e}"))
    }

    impl Otlp {
        /// Starts the exporters of `config` for the service `name` at
        /// `version`, instance `instance_id` (the resource attributes;
        /// give the App the same id with [`App::id`](crate::App::id)). It
        /// needs no Tokio runtime of the caller's: the exporters run on a
        /// thread of their own. An endpoint that is not a URL, or a queue
        /// or batch of 0, is a `CONFIG` error; a receiver that is down is
        /// not (exports fail and their spans are counted as dropped).
        pub fn start(config: &OtlpConfig, name: &str, version: &str, instance_id: &str) -> Result<Otlp, Error> {
            let endpoint = config.endpoint.trim();
            if endpoint.is_empty() {
                return Err(Error::internal_server(CONFIG, "otlp.endpoint is empty: nothing to export to"));
            }
            if config.queue == 0 || config.batch == 0 {
                return Err(Error::internal_server(CONFIG, "otlp.queue and otlp.batch must be at least 1"));
            }
            // Plaintext gRPC: the collector runs beside the service (an
            // agent or a sidecar), as OpenTelemetry deployments usually do.
            http::Uri::try_from(endpoint)
                .ok()
                .filter(|u| u.scheme_str() == Some("http") && u.host().is_some())
                .ok_or_else(|| config_error(endpoint, "span", "not an http:// URL"))?;
            let runtime = Arc::new(Background::start().map_err(|e| config_error(endpoint, "span", e))?);
            let resource = Resource::builder()
                .with_service_name(name.to_owned())
                .with_attributes([
                    opentelemetry::KeyValue::new("service.version", version.to_owned()),
                    opentelemetry::KeyValue::new("service.instance.id", instance_id.to_owned()),
                ])
                .build();
            // The exporters' channels start their tasks on this runtime.
            let inside = runtime.handle.enter();
            let mut spans = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint)
                .with_timeout(config.timeout)
                .build()
                .map_err(|e| config_error(endpoint, "span", e))?;
            spans.set_resource(&resource);
            let meter = match config.metrics {
                false => None,
                true => {
                    let exporter = opentelemetry_otlp::MetricExporter::builder()
                        .with_tonic()
                        .with_endpoint(endpoint)
                        .with_timeout(config.timeout)
                        .build()
                        .map_err(|e| config_error(endpoint, "metric", e))?;
                    let reader = opentelemetry_sdk::metrics::PeriodicReader::builder(exporter)
                        .with_interval(config.metrics_interval)
                        .build();
                    Some(SdkMeterProvider::builder().with_reader(reader).with_resource(resource.clone()).build())
                }
            };
            let dropped = Dropped::default();
            let queue = Queue::start(&runtime, spans, config, dropped.clone());
            drop(inside);
            let tracer = SdkTracerProvider::builder().with_span_processor(queue).with_resource(resource).build();
            Ok(Otlp { tracer, meter, dropped, _runtime: runtime })
        }

        /// The tracer provider: give it to
        /// [`Tracing::provider`](crate::middleware::trace::Tracing::provider)
        /// or make it the global one
        /// (`opentelemetry::global::set_tracer_provider`).
        pub fn tracer_provider(&self) -> &SdkTracerProvider {
            &self.tracer
        }

        /// The meter provider, with `metrics: true`: give it to
        /// [`Metrics::export`].
        pub fn meter_provider(&self) -> Option<&SdkMeterProvider> {
            self.meter.as_ref()
        }

        /// Spans dropped so far: the queue was full, or their export failed.
        pub fn dropped_spans(&self) -> u64 {
            self.dropped.queue_full.get() + self.dropped.export_failed.get()
        }

        /// Adds `otlp_spans_dropped_total{reason}` to `metrics`' registry
        /// (so `/metrics` shows what the export lost).
        pub fn register(&self, metrics: &Metrics) {
            let collector = DroppedCollector {
                queue_full: self.dropped.queue_full.clone(),
                export_failed: self.dropped.export_failed.clone(),
            };
            metrics.with_registry(|r| r.register_collector(Box::new(collector)));
        }

        /// Sends what is queued (spans and metrics) and stops the exporters,
        /// waiting at most about twice the export timeout. Failures are
        /// logged, not returned: there is nothing left to do about them.
        pub fn shutdown(&self) {
            if let Err(e) = self.tracer.shutdown() {
                tracing::warn!(target: "bia::middleware::otlp", "the last spans were not exported: {e}");
            }
            if let Some(meter) = &self.meter {
                if let Err(e) = meter.shutdown() {
                    tracing::warn!(target: "bia::middleware::otlp", "the last metrics were not exported: {e}");
                }
            }
        }
    }

    /// `otlp_spans_dropped_total{reason}` from the queue's own counters.
    #[derive(Debug)]
    struct DroppedCollector {
        queue_full: Counter,
        export_failed: Counter,
    }

    impl prometheus_client::collector::Collector for DroppedCollector {
        fn encode(&self, encoder: prometheus_client::encoding::DescriptorEncoder) -> std::fmt::Result {
            crate::middleware::metrics::encode_by_reason(
                encoder,
                "otlp_spans_dropped",
                "Spans not exported over OTLP: the queue was full, or their export failed",
                &[("queue_full", self.queue_full.get()), ("export_failed", self.export_failed.get())],
            )
        }
    }

    impl std::fmt::Debug for Dropped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Dropped")
                .field("queue_full", &self.queue_full.get())
                .field("export_failed", &self.export_failed.get())
                .finish()
        }
    }

    /// What the span queue carries: a span, or a request to export what is
    /// queued (and then stop) with where to say it is done.
    enum Msg {
        Span(Box<SpanData>),
        Flush(std_mpsc::Sender<OTelSdkResult>),
        Shutdown(std_mpsc::Sender<OTelSdkResult>),
    }

    /// A span processor with a bounded queue whose drops are counted. The
    /// SDK's `BatchSpanProcessor` also drops when full, but keeps its count
    /// to itself (one log line); this one is written here to count them in
    /// a metric, and to export on the exporters' own runtime.
    #[derive(Debug)]
    struct Queue {
        tx: tokio::sync::mpsc::Sender<Msg>,
        /// The runtime the export task runs on, alive as long as the
        /// tracer provider that holds this processor.
        _runtime: Arc<Background>,
        dropped: Dropped,
        /// How long flush and shutdown wait for the export task.
        wait: Duration,
        done: Mutex<bool>,
    }

    impl Queue {
        fn start(
            runtime: &Arc<Background>,
            exporter: opentelemetry_otlp::SpanExporter,
            config: &OtlpConfig,
            dropped: Dropped,
        ) -> Queue {
            let (tx, rx) = tokio::sync::mpsc::channel(config.queue);
            let task = Batcher { exporter, batch: config.batch, delay: config.delay, dropped: dropped.clone() };
            runtime.handle.spawn(task.run(rx));
            Queue {
                tx,
                _runtime: Arc::clone(runtime),
                dropped,
                wait: config.timeout * 2 + Duration::from_secs(1),
                done: Mutex::new(false),
            }
        }

        /// Sends a control message and waits (bounded) for its answer.
        fn control(&self, msg: impl FnOnce(std_mpsc::Sender<OTelSdkResult>) -> Msg) -> OTelSdkResult {
            let (done, answer) = std_mpsc::channel();
            // A full queue is waited for here (flush and shutdown may wait;
            // ending a span may not).
            let mut msg = msg(done);
            let deadline = std::time::Instant::now() + self.wait;
            loop {
                match self.tx.try_send(msg) {
                    Ok(()) => break,
                    Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => {
                        return Err(OTelSdkError::AlreadyShutdown)
                    }
                    Err(tokio::sync::mpsc::error::TrySendError::Full(back)) => {
                        if std::time::Instant::now() > deadline {
                            return Err(OTelSdkError::Timeout(self.wait));
                        }
                        msg = back;
                        std::thread::sleep(Duration::from_millis(5));
                    }
                }
            }
            answer.recv_timeout(self.wait).unwrap_or(Err(OTelSdkError::Timeout(self.wait)))
        }
    }

    impl SpanProcessor for Queue {
        fn on_start(&self, _span: &mut Span, _cx: &opentelemetry::Context) {}

        fn on_end(&self, span: SpanData) {
            if !span.span_context.is_sampled() {
                return;
            }
            if self.tx.try_send(Msg::Span(Box::new(span))).is_err() {
                self.dropped.queue_full.inc();
            }
        }

        fn force_flush(&self) -> OTelSdkResult {
            self.control(Msg::Flush)
        }

        fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
            let mut done = self.done.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if *done {
                return Err(OTelSdkError::AlreadyShutdown);
            }
            *done = true;
            self.control(Msg::Shutdown)
        }
    }

    /// The export task: batches of spans out every `delay`, or as soon as
    /// one is full.
    struct Batcher {
        exporter: opentelemetry_otlp::SpanExporter,
        batch: usize,
        delay: Duration,
        dropped: Dropped,
    }

    impl Batcher {
        async fn run(mut self, mut rx: tokio::sync::mpsc::Receiver<Msg>) {
            let mut spans = Vec::with_capacity(self.batch);
            let mut tick = tokio::time::interval(self.delay);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // Failures are logged once per run of them.
            let mut failing = false;
            loop {
                tokio::select! {
                    msg = rx.recv() => match msg {
                        Some(Msg::Span(span)) => {
                            spans.push(*span);
                            if spans.len() >= self.batch {
                                // A failure is counted and logged by `export`.
                                let _ = self.export(&mut spans, &mut failing).await;
                            }
                        }
                        Some(Msg::Flush(done)) => {
                            let res = self.export(&mut spans, &mut failing).await;
                            let _ = done.send(res);
                        }
                        Some(Msg::Shutdown(done)) => {
                            let res = self.export(&mut spans, &mut failing).await;
                            let _ = self.exporter.shutdown();
                            let _ = done.send(res);
                            return;
                        }
                        None => return,
                    },
                    _ = tick.tick() => {
                        if !spans.is_empty() {
                            let _ = self.export(&mut spans, &mut failing).await;
                        }
                    }
                }
            }
        }

        /// Exports `spans` (emptying it); a failure drops them, counted.
        async fn export(&mut self, spans: &mut Vec<SpanData>, failing: &mut bool) -> OTelSdkResult {
            if spans.is_empty() {
                return Ok(());
            }
            let batch = std::mem::replace(spans, Vec::with_capacity(self.batch));
            let count = batch.len() as u64;
            match self.exporter.export(batch).await {
                Ok(()) => {
                    if *failing {
                        tracing::info!(target: "bia::middleware::otlp", "span export works again");
                        *failing = false;
                    }
                    Ok(())
                }
                Err(e) => {
                    self.dropped.export_failed.inc_by(count);
                    if !*failing {
                        tracing::warn!(
                            target: "bia::middleware::otlp",
                            "span export failed, {count} span(s) dropped (counted in otlp_spans_dropped_total): {e}"
                        );
                        *failing = true;
                    }
                    Err(e)
                }
            }
        }
    }
}
