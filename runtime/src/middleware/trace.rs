//! OpenTelemetry tracing: spans named by operation, W3C `traceparent` and baggage.
//!
//! As Kratos' `tracing.Server()` / `tracing.Client()`:
//!
//! * [`Tracing::server`] continues the trace of the incoming call (the
//!   propagator extracts `traceparent`, `tracestate` and `baggage` from the
//!   HTTP headers or the gRPC metadata) and wraps the rest of the chain and
//!   the handler in a span of kind `Server`;
//! * [`Tracing::client`] wraps a call of a generated client (gRPC or HTTP) in
//!   a span of kind `Client` and injects its context into the outgoing
//!   headers or metadata. Called from inside a handler, the client span is a
//!   child of that call's server span (the server middleware makes the span's
//!   context [`opentelemetry::Context::current`] while the call is polled);
//!   elsewhere its parent is whatever context is current.
//!
//! Spans are named after the operation (`/user.v1.User/GetUser`) and carry
//! `rpc.system` (`grpc` or `http`), `rpc.service` and `rpc.method`; on the
//! HTTP server, `http.request.method` and `url.path`; at the end,
//! `http.response.status_code` (HTTP; the Bia error code, 200 on success) or
//! `rpc.grpc.status_code` (gRPC; 0 on success). A failed call, as in Kratos,
//! sets the span status to error with the error's message, and `error.type` to
//! its reason.
//!
//! The tracer comes from the global provider
//! ([`opentelemetry::global::set_tracer_provider`], read on the first call)
//! unless [`Tracing::provider`] gives one; the propagator is W3C trace context
//! plus W3C baggage unless [`Tracing::propagator`] gives one.
//!
//! # Trace ids in logs
//!
//! The server middleware runs the rest of the call inside a `tracing` span
//! named `rpc` with the fields `trace.id`, `span.id` (the keys of Kratos'
//! log valuers) and `operation`, so every `tracing` event of the handler
//! carries them: `tracing-subscriber`'s text format prints
//! `rpc{trace.id=4bf9… span.id=00f0… operation=/user.v1.User/GetUser}: …`, its
//! JSON format (and [`bia::log`](crate::log) in JSON) lists them under
//! `span` and `spans`. The span has level `ERROR`, so that it is on whenever
//! any event is (a `warn` line keeps its trace id under a `warn` filter); it
//! prints no line of its own. [`bia::log`](crate::log)'s JSON lines carry
//! the same `rpc` entry (under `span` and `spans`) without the span: the
//! middleware hands them the ids directly, which costs a call a fraction of
//! a span.
//!
//! ```no_run
//! use bia::middleware::trace::Tracing;
//! use bia::middleware::trace::opentelemetry_sdk::trace::SdkTracerProvider;
//!
//! # #[bia::message(package = "user.v1")] pub struct GetUserRequest { pub id: String }
//! # #[bia::message(package = "user.v1")] pub struct User { pub id: String }
//! # #[bia::service(package = "user.v1")]
//! # pub trait Users: Send + Sync + 'static {
//! #     async fn get_user(&self, req: GetUserRequest) -> bia::Result<User>;
//! # }
//! # async fn run() -> bia::Result<()> {
//! // Any provider: the OTLP one of the `otlp` feature (bia::middleware::otlp), or your own.
//! let provider = SdkTracerProvider::builder().build();
//! // Downstream calls made from handlers continue the server's trace.
//! let users = UsersGrpcClient::connect("http://127.0.0.1:9000").await?.middleware(Tracing::client().provider(&provider));
//! # drop(users);
//! bia::App::new("gateway")
//!     .middleware(Tracing::server().provider(&provider))
//!     // .http(...).grpc(...) with the services
//!     .run()
//!     .await
//! # }
//! ```

use std::fmt;
use std::sync::{Arc, OnceLock};

use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;
use opentelemetry::context::FutureExt as _;
use opentelemetry::global::BoxedTracer;
use opentelemetry::propagation::{Extractor, Injector, TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::trace::{SpanBuilder, SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use tracing::Instrument as _;

pub use opentelemetry;
pub use opentelemetry_sdk;

use super::{AnyMessage, Context, Next};
use crate::context::{Kind, Side};
use crate::error::{grpc_code_of, Error};

/// The instrumentation scope name of Bia's spans.
pub const TRACER_NAME: &str = "bia";

/// OpenTelemetry spans and W3C propagation for calls (see the
/// [module docs](self)).
///
/// ```
/// use bia::middleware::trace::Tracing;
/// use bia::middleware::trace::opentelemetry_sdk::propagation::TraceContextPropagator;
/// use bia::middleware::trace::opentelemetry_sdk::trace::SdkTracerProvider;
///
/// let provider = SdkTracerProvider::builder().build();
/// let server = Tracing::server().provider(&provider);
/// // Only `traceparent` / `tracestate`, no baggage.
/// let client = Tracing::client().provider(&provider).propagator(TraceContextPropagator::new());
/// let _app = bia::App::new("demo").middleware(server);
/// let _chain = bia::middleware::Chain::new().with(client);
/// ```
#[must_use]
pub struct Tracing {
    side: Side,
    tracer: TracerSlot,
    propagator: Arc<dyn TextMapPropagator + Send + Sync>,
}

enum TracerSlot {
    /// The global provider's tracer, taken on the first call (so a provider
    /// set after the middleware was built is still used).
    Global(OnceLock<BoxedTracer>),
    Given(BoxedTracer),
}

impl fmt::Debug for Tracing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tracer = match self.tracer {
            TracerSlot::Global(_) => "global",
            TracerSlot::Given(_) => "given",
        };
        f.debug_struct("Tracing")
            .field("side", &self.side)
            .field("tracer", &tracer)
            .field("propagator", &self.propagator)
            .finish()
    }
}

impl Tracing {
    /// The server middleware: continues the incoming trace, one `Server`
    /// span per call.
    pub fn server() -> Self {
        Self::new(Side::Server)
    }

    /// The client middleware: one `Client` span per call, its context sent
    /// along with the request.
    pub fn client() -> Self {
        Self::new(Side::Client)
    }

    fn new(side: Side) -> Self {
        let propagator = TextMapCompositePropagator::new(vec![
            Box::new(TraceContextPropagator::new()),
            Box::new(BaggagePropagator::new()),
        ]);
        Self { side, tracer: TracerSlot::Global(OnceLock::new()), propagator: Arc::new(propagator) }
    }

    /// Takes the tracer from `provider` (scope [`TRACER_NAME`]) instead of
    /// the global provider.
    pub fn provider<P>(mut self, provider: &P) -> Self
    where
        P: TracerProvider,
        P::Tracer: Send + Sync + 'static,
        <P::Tracer as opentelemetry::trace::Tracer>::Span: Send + Sync + 'static,
    {
        self.tracer = TracerSlot::Given(BoxedTracer::new(Box::new(provider.tracer_with_scope(scope()))));
        self
    }

    /// Replaces the propagator (default: W3C trace context and W3C baggage,
    /// as Kratos).
    pub fn propagator(mut self, propagator: impl TextMapPropagator + Send + Sync + 'static) -> Self {
        self.propagator = Arc::new(propagator);
        self
    }

    fn tracer(&self) -> &BoxedTracer {
        match &self.tracer {
            TracerSlot::Given(t) => t,
            TracerSlot::Global(slot) => {
                slot.get_or_init(|| opentelemetry::global::tracer_provider().tracer_with_scope(scope()))
            }
        }
    }

    async fn serve(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> Result<AnyMessage, Error> {
        let parent =
            self.propagator.extract_with_context(&opentelemetry::Context::new(), &Headers(ctx.request_headers()));
        let cx = self.start(ctx, SpanKind::Server, parent);
        let res = if super::call_ids::read_by_log_lines() {
            // `bia::log` writes the ids itself: no `tracing` span.
            let ids = super::call_ids::CallIds::of(&cx, ctx.operation_name());
            super::call_ids::WithCallIds::new(ids, next.run(ctx, req).with_context(cx.clone())).await
        } else {
            let log = log_span(&cx, ctx.operation());
            next.run(ctx, req).with_context(cx.clone()).instrument(log).await
        };
        finish(&cx, ctx.kind(), &res);
        res
    }

    async fn call(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> Result<AnyMessage, Error> {
        // Inside a server call, its context (the server middleware makes it
        // current while the call is polled); elsewhere whatever is current.
        let parent = opentelemetry::Context::current();
        let cx = self.start(ctx, SpanKind::Client, parent);
        self.propagator.inject_context(&cx, &mut HeadersMut(ctx.request_headers_mut()));
        let res = next.run(ctx, req).with_context(cx.clone()).await;
        finish(&cx, ctx.kind(), &res);
        res
    }

    /// Starts the call's span under `parent`; the returned context holds it.
    /// Its name and attributes go in with the builder, borrowed where they
    /// are `'static` (a generated operation's name, the transport, the HTTP
    /// method): one attribute list, no copy of the names (setting them one
    /// by one on the built span went through the boxed span five times and
    /// copied each string, measured about 2,000 instructions per call).
    fn start(&self, ctx: &Context, kind: SpanKind, parent: opentelemetry::Context) -> opentelemetry::Context {
        let mut attributes = Vec::with_capacity(5);
        attributes.push(KeyValue::new("rpc.system", ctx.kind().as_str()));
        if let Some((service, method)) = ctx.service_and_method() {
            attributes.push(KeyValue::new("rpc.service", service));
            attributes.push(KeyValue::new("rpc.method", method));
        }
        if let Some(http) = ctx.http() {
            attributes.push(KeyValue::new("http.request.method", method_name(http.method)));
            attributes.push(KeyValue::new("url.path", http.uri.path().to_owned()));
        }
        let builder = SpanBuilder::from_name(ctx.operation_name()).with_kind(kind).with_attributes(attributes);
        let span = self.tracer().build_with_context(builder, &parent);
        parent.with_span(span)
    }
}

/// An HTTP method's name, without a copy for the standard ones.
fn method_name(method: &http::Method) -> std::borrow::Cow<'static, str> {
    const STANDARD: [&str; 9] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE"];
    match STANDARD.iter().find(|m| **m == method.as_str()) {
        Some(name) => std::borrow::Cow::Borrowed(name),
        None => std::borrow::Cow::Owned(method.as_str().to_owned()),
    }
}

#[bia_macros::middleware(crate = "crate")]
impl Tracing {
    async fn handle(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> crate::Result<AnyMessage> {
        match self.side {
            Side::Server => self.serve(ctx, req, next).await,
            Side::Client => self.call(ctx, req, next).await,
        }
    }
}

/// The OpenTelemetry context of the server call this task is handling (its
/// server span, and the baggage that came with the call); `None` outside of
/// a call, or when no [`Tracing::server`] runs for it.
///
/// ```
/// use bia::middleware::trace::opentelemetry::baggage::BaggageExt as _;
/// use bia::middleware::trace::opentelemetry::trace::TraceContextExt as _;
///
/// // Inside a handler:
/// if let Some(cx) = bia::middleware::trace::current_context() {
///     let trace_id = cx.span().span_context().trace_id().to_string();
///     let tenant = cx.baggage().get("tenant").map(|v| v.to_string());
///     # drop((trace_id, tenant));
/// }
/// ```
pub fn current_context() -> Option<opentelemetry::Context> {
    // The server middleware makes the call's context current while the call
    // is polled (no copy of it in the call's extensions: their map costs an
    // allocation per call).
    crate::context::with(|_| ())?;
    let cx = opentelemetry::Context::current();
    cx.has_active_span().then_some(cx)
}

fn scope() -> InstrumentationScope {
    InstrumentationScope::builder(TRACER_NAME).with_version(env!("CARGO_PKG_VERSION")).build()
}

/// The `tracing` span that puts trace and span ids on the handler's log lines.
///
/// The ids are fields of the span from its creation, not recorded into it
/// afterwards: a subscriber formatting fields as JSON (tracing-subscriber's
/// `JsonFields`, which `bia::log` uses) reads a span's stored JSON back into
/// a map, adds the recorded field and writes the map out again on every
/// `record`, which cost more than the rest of the span (about 17,000
/// instructions per call, measured).
fn log_span(cx: &opentelemetry::Context, operation: &str) -> tracing::Span {
    let otel = cx.span();
    let sc = otel.span_context();
    if sc.is_valid() {
        tracing::error_span!(
            target: "bia::middleware::trace",
            "rpc",
            trace.id = %sc.trace_id(),
            span.id = %sc.span_id(),
            operation = operation,
        )
    } else {
        tracing::error_span!(target: "bia::middleware::trace", "rpc", operation = operation)
    }
}

/// Records the outcome on the call's span and ends it.
fn finish(cx: &opentelemetry::Context, kind: Kind, res: &Result<AnyMessage, Error>) {
    let span = cx.span();
    if span.is_recording() {
        let code = res.as_ref().err().map_or(200, Error::code);
        match kind {
            Kind::Http => span.set_attribute(KeyValue::new("http.response.status_code", i64::from(code))),
            Kind::Grpc => {
                span.set_attribute(KeyValue::new("rpc.grpc.status_code", i64::from(i32::from(grpc_code_of(code)))))
            }
        }
        if let Err(e) = res {
            span.set_attribute(KeyValue::new("error.type", e.reason().to_owned()));
            span.set_status(Status::error(e.message().to_owned()));
        }
    }
    span.end();
}

/// Reads propagation fields from request headers or gRPC metadata.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        // The W3C propagators' names, looked up without parsing them again
        // on every call (each lookup by `&str` parses the name first).
        static TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
        static TRACESTATE: HeaderName = HeaderName::from_static("tracestate");
        static BAGGAGE: HeaderName = HeaderName::from_static("baggage");
        let value = match key {
            "traceparent" => self.0.get(&TRACEPARENT),
            "tracestate" => self.0.get(&TRACESTATE),
            "baggage" => self.0.get(&BAGGAGE),
            other => self.0.get(other),
        };
        value.and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

/// Writes propagation fields into a client's outgoing headers or metadata; a
/// field HTTP cannot carry is dropped.
struct HeadersMut<'a>(&'a mut HeaderMap);

impl Injector for HeadersMut<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(key.as_bytes()), HeaderValue::try_from(value)) {
            self.0.insert(name, value);
        }
    }
}
