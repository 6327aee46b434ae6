//! The observability middleware on both transports: Prometheus metrics
//! scraped over real HTTP, and OpenTelemetry traces across two real Apps
//! (A calls B from its handler), with W3C `traceparent` and baggage coming
//! in from an outside caller, and trace ids on the handlers' log lines.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bia::middleware::metrics::Metrics;
use bia::middleware::trace::opentelemetry::baggage::BaggageExt as _;
use bia::middleware::trace::opentelemetry::trace::{SpanKind, Status, TraceContextExt as _};
use bia::middleware::trace::Tracing;
use bia::middleware::{AnyMessage, Context, Next};
use bia::transport::grpc::GrpcServer;
use bia::transport::http::HttpServer;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};

#[bia::message(package = "obs.v1")]
pub struct PingRequest {
    pub name: String,
    /// For the front service: how to call the back one (`grpc` or `http`).
    pub via: String,
}

#[bia::message(package = "obs.v1")]
pub struct PingReply {
    pub message: String,
    /// The `tenant` baggage entry the back service saw.
    pub tenant: String,
    /// The raw `baggage` header the back service got.
    pub baggage_header: String,
    /// The trace id the back service's handler saw.
    pub trace_id: String,
}

/// Service B.
#[bia::service(package = "obs.v1")]
pub trait Back: Send + Sync + 'static {
    #[rpc(get = "/v1/back/<name>")]
    async fn echo(&self, req: PingRequest) -> bia::Result<PingReply>;
}

/// Service A: relays to B.
#[bia::service(package = "obs.v1")]
pub trait Front: Send + Sync + 'static {
    #[rpc(post = "/v1/front", body = "*")]
    async fn relay(&self, req: PingRequest) -> bia::Result<PingReply>;
}

struct BackImpl;

impl Back for BackImpl {
    async fn echo(&self, req: PingRequest) -> bia::Result<PingReply> {
        tracing::warn!(name = %req.name, "echo");
        if req.name == "missing" {
            return Err(bia::Error::not_found("NOBODY", format!("no such person: {}", req.name)));
        }
        let (tenant, trace_id) = match bia::middleware::trace::current_context() {
            Some(cx) => (
                cx.baggage().get("tenant").map(|v| v.to_string()).unwrap_or_default(),
                cx.span().span_context().trace_id().to_string(),
            ),
            None => (String::new(), String::new()),
        };
        let baggage_header =
            bia::context::with(|c| c.request_header("baggage").unwrap_or("").to_owned()).unwrap_or_default();
        Ok(PingReply { message: format!("pong {}", req.name), tenant, baggage_header, trace_id })
    }
}

struct FrontImpl {
    grpc: BackGrpcClient,
    http: BackHttpClient,
}

impl Front for FrontImpl {
    async fn relay(&self, req: PingRequest) -> bia::Result<PingReply> {
        tracing::info!(via = %req.via, "relaying");
        match req.via.as_str() {
            "grpc" => self.grpc.echo(req).await,
            "http" => self.http.echo(req).await,
            other => Err(bia::Error::bad_request("BAD_VIA", format!("unknown transport `{other}`"))),
        }
    }
}

fn any() -> std::net::SocketAddr {
    ([127, 0, 0, 1], 0).into()
}

fn http_url(app: &bia::Running) -> String {
    format!("http://{}", app.http_addrs()[0])
}

fn grpc_url(app: &bia::Running) -> String {
    format!("http://{}", app.grpc_addrs()[0])
}

// ---------------------------------------------------------------- metrics

/// One sample of a Prometheus / OpenMetrics text exposition.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A small parser of the text format: `name{k="v",...} value`, with `\\`,
/// `\"` and `\n` escapes in label values; comments and `# EOF` skipped.
fn parse_exposition(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let split = line.find(['{', ' ']).unwrap_or_else(|| panic!("bad sample line: {line}"));
        let (name, rest) = line.split_at(split);
        let (labels, rest) = match rest.strip_prefix('{') {
            Some(body) => parse_labels(body, line),
            None => (BTreeMap::new(), rest),
        };
        let value = rest.split_whitespace().next().unwrap_or_else(|| panic!("no value: {line}"));
        let value = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|e| panic!("bad value `{v}` ({e}): {line}")),
        };
        out.push(Sample { name: name.to_owned(), labels, value });
    }
    out
}

/// Parses `k="v",k2="v2"}` and returns the labels and what follows `}`.
fn parse_labels<'a>(body: &'a str, line: &str) -> (BTreeMap<String, String>, &'a str) {
    let mut labels = BTreeMap::new();
    let mut it = body.char_indices();
    loop {
        let mut key = String::new();
        loop {
            match it.next() {
                Some((i, '}')) if key.is_empty() => return (labels, &body[i + 1..]),
                Some((_, ',')) if key.is_empty() => {}
                Some((_, '=')) => break,
                Some((_, c)) => key.push(c),
                None => panic!("unterminated labels: {line}"),
            }
        }
        assert!(matches!(it.next(), Some((_, '"'))), "label value not quoted: {line}");
        let mut value = String::new();
        loop {
            match it.next() {
                Some((_, '\\')) => match it.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c)) => value.push(c),
                    None => panic!("bad escape: {line}"),
                },
                Some((_, '"')) => break,
                Some((_, c)) => value.push(c),
                None => panic!("unterminated label value: {line}"),
            }
        }
        labels.insert(key, value);
    }
}

/// The value of the sample with exactly these labels (0 when absent).
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let want: BTreeMap<String, String> = labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let found: Vec<&Sample> = samples.iter().filter(|s| s.name == name && s.labels == want).collect();
    assert!(found.len() <= 1, "duplicate series {name} {want:?}");
    found.first().map_or(0.0, |s| s.value)
}

const ECHO: &str = BackOperation::ECHO;

fn code_series<'a>(kind: &'a str, code: &'a str, reason: &'a str) -> [(&'a str, &'a str); 4] {
    [("kind", kind), ("operation", ECHO), ("code", code), ("reason", reason)]
}

#[tokio::test]
async fn metrics_count_calls_and_failures_on_both_transports() {
    let metrics = Metrics::new();
    let app = bia::App::new("metrics")
        .middleware(metrics.server())
        .http(HttpServer::new(any()).service(BackServer::new(BackImpl)).routes(metrics.router()))
        .grpc(GrpcServer::new(any()).service(BackServer::new(BackImpl)))
        .start()
        .await
        .unwrap();
    let http = BackHttpClient::new(http_url(&app)).unwrap().middleware(metrics.client());
    let grpc = BackGrpcClient::connect(grpc_url(&app)).await.unwrap().middleware(metrics.client());
    let ok = |name: &str| PingRequest { name: name.into(), via: String::new() };

    for _ in 0..3 {
        http.echo(ok("ann")).await.unwrap();
    }
    assert_eq!(http.echo(ok("missing")).await.unwrap_err().reason(), "NOBODY");
    for _ in 0..2 {
        grpc.echo(ok("bob")).await.unwrap();
        assert_eq!(grpc.echo(ok("missing")).await.unwrap_err().reason(), "NOBODY");
    }
    // A client-side failure: nobody listens there (only client metrics see it).
    let closed = {
        let l = std::net::TcpListener::bind(any()).unwrap();
        l.local_addr().unwrap()
    };
    let dead = BackHttpClient::new(format!("http://{closed}")).unwrap().middleware(metrics.client());
    let err = dead.echo(ok("ann")).await.unwrap_err();
    assert_eq!((err.code(), err.reason()), (503, "UNAVAILABLE"));

    let scrape = bia_tests::raw::http("GET", &format!("{}/metrics", http_url(&app)), "").await;
    assert_eq!(scrape.status, 200);
    assert!(scrape.content_type.starts_with("application/openmetrics-text"), "{}", scrape.content_type);
    let text = scrape.text();
    assert_eq!(text, metrics.encode(), "the route serves the registry");
    let samples = parse_exposition(&text);

    for side in ["server", "client"] {
        let total = format!("{side}_requests_code_total");
        let total = total.as_str();
        assert_eq!(value(&samples, total, &code_series("http", "200", "")), 3.0, "{side}:\n{text}");
        assert_eq!(value(&samples, total, &code_series("http", "404", "NOBODY")), 1.0, "{side}:\n{text}");
        assert_eq!(value(&samples, total, &code_series("grpc", "200", "")), 2.0, "{side}:\n{text}");
        assert_eq!(value(&samples, total, &code_series("grpc", "404", "NOBODY")), 2.0, "{side}:\n{text}");
        let count = format!("{side}_requests_seconds_count");
        let sum = format!("{side}_requests_seconds_sum");
        let bucket = format!("{side}_requests_seconds_bucket");
        let (http_calls, grpc_calls) = if side == "client" { (5.0, 4.0) } else { (4.0, 4.0) };
        for (kind, calls) in [("http", http_calls), ("grpc", grpc_calls)] {
            let op = [("kind", kind), ("operation", ECHO)];
            assert_eq!(value(&samples, &count, &op), calls, "{side} {kind}:\n{text}");
            assert!(value(&samples, &sum, &op) > 0.0, "{side} {kind}:\n{text}");
            let inf = [("kind", kind), ("operation", ECHO), ("le", "+Inf")];
            assert_eq!(value(&samples, &bucket, &inf), calls, "{side} {kind}:\n{text}");
            // Buckets are cumulative.
            let mut buckets: Vec<(f64, f64)> = samples
                .iter()
                .filter(|s| s.name == bucket && s.labels.get("kind").map(String::as_str) == Some(kind))
                .map(|s| (s.labels["le"].parse::<f64>().unwrap(), s.value))
                .collect();
            buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
            assert_eq!(buckets.len(), 9, "8 bounds and +Inf:\n{text}");
            assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "{buckets:?}");
        }
    }
    assert_eq!(value(&samples, "client_requests_code_total", &code_series("http", "503", "UNAVAILABLE")), 1.0);
    assert_eq!(value(&samples, "server_requests_code_total", &code_series("http", "503", "UNAVAILABLE")), 0.0);
    // The scrape itself is not a call of the chain.
    assert!(!text.contains("operation=\"/metrics\""), "{text}");
    app.stop().await.unwrap();
}

// ---------------------------------------------------------------- tracing

/// The outside caller: sends a `traceparent` (and baggage) of its own.
struct Outside {
    traceparent: Option<String>,
    baggage: &'static str,
}

#[bia::middleware]
impl Outside {
    async fn handle(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
        if let Some(tp) = &self.traceparent {
            assert!(ctx.set_request_header("traceparent", tp));
        }
        assert!(ctx.set_request_header("baggage", self.baggage));
        next.run(ctx, req).await
    }
}

/// Two Apps, A (front) and B (back), every span into one in-memory exporter.
struct Pair {
    a: bia::Running,
    b: bia::Running,
    provider: SdkTracerProvider,
    exporter: InMemorySpanExporter,
}

impl Pair {
    async fn start() -> Pair {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder().with_simple_exporter(exporter.clone()).build();
        let b = bia::App::new("back")
            .middleware(Tracing::server().provider(&provider))
            .http(HttpServer::new(any()).service(BackServer::new(BackImpl)))
            .grpc(GrpcServer::new(any()).service(BackServer::new(BackImpl)))
            .start()
            .await
            .unwrap();
        let front = FrontServer::new(FrontImpl {
            grpc: BackGrpcClient::connect(grpc_url(&b))
                .await
                .unwrap()
                .middleware(Tracing::client().provider(&provider)),
            http: BackHttpClient::new(http_url(&b)).unwrap().middleware(Tracing::client().provider(&provider)),
        });
        let a = bia::App::new("front")
            .middleware(Tracing::server().provider(&provider))
            .http(HttpServer::new(any()).service(front.clone()))
            .grpc(GrpcServer::new(any()).service(front))
            .start()
            .await
            .unwrap();
        Pair { a, b, provider, exporter }
    }

    /// Calls A over `outer` ("http" or "grpc"), A calls B over `via`.
    async fn call(&self, outer: &str, via: &str, name: &str, traceparent: Option<String>) -> bia::Result<PingReply> {
        let outside = || Outside { traceparent: traceparent.clone(), baggage: "tenant=acme,plan=gold" };
        let req = PingRequest { name: name.into(), via: via.into() };
        match outer {
            "http" => FrontHttpClient::new(http_url(&self.a)).unwrap().middleware(outside()).relay(req).await,
            _ => FrontGrpcClient::connect(grpc_url(&self.a)).await.unwrap().middleware(outside()).relay(req).await,
        }
    }

    fn spans(&self) -> Vec<SpanData> {
        self.provider.force_flush().unwrap();
        self.exporter.get_finished_spans().unwrap()
    }

    async fn stop(self) {
        self.a.stop().await.unwrap();
        self.b.stop().await.unwrap();
        self.provider.shutdown().unwrap();
    }
}

fn attr(span: &SpanData, key: &str) -> Option<String> {
    span.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.as_str().into_owned())
}

/// The three spans of one relayed call: A's server span, A's client span,
/// B's server span, in that order.
fn chain_of(spans: &[SpanData], trace_id: &str) -> [SpanData; 3] {
    let mine: Vec<&SpanData> = spans.iter().filter(|s| s.span_context.trace_id().to_string() == trace_id).collect();
    assert_eq!(mine.len(), 3, "one trace of three spans: {mine:#?}");
    let find = |name: &str, kind: SpanKind| {
        mine.iter()
            .find(|s| s.name == name && s.span_kind == kind)
            .map(|s| (*s).clone())
            .unwrap_or_else(|| panic!("no {kind:?} span {name}: {mine:#?}"))
    };
    [
        find(FrontOperation::RELAY, SpanKind::Server),
        find(BackOperation::ECHO, SpanKind::Client),
        find(BackOperation::ECHO, SpanKind::Server),
    ]
}

fn assert_parent_chain(a_server: &SpanData, a_client: &SpanData, b_server: &SpanData) {
    assert_eq!(
        a_client.parent_span_id,
        a_server.span_context.span_id(),
        "A's client span is a child of A's server span"
    );
    assert!(!a_client.parent_span_is_remote);
    assert_eq!(
        b_server.parent_span_id,
        a_client.span_context.span_id(),
        "B's server span is a child of A's client span"
    );
    assert!(b_server.parent_span_is_remote, "B's parent came over the wire");
}

#[tokio::test]
async fn a_call_through_two_services_is_one_trace_on_every_transport_pair() {
    let pair = Pair::start().await;
    let parent_span = "00f067aa0ba902b7";
    for (i, (outer, via)) in
        [("http", "grpc"), ("grpc", "http"), ("http", "http"), ("grpc", "grpc")].into_iter().enumerate()
    {
        let trace_id = format!("4bf92f3577b34da6a3ce929d0e0e47{i:02x}");
        let traceparent = format!("00-{trace_id}-{parent_span}-01");
        let rep = pair.call(outer, via, "ann", Some(traceparent)).await.unwrap();
        assert_eq!(rep.message, "pong ann");
        assert_eq!(rep.trace_id, trace_id, "B's handler sees the caller's trace ({outer} -> {via})");
        assert_eq!(rep.tenant, "acme", "baggage arrives at B ({outer} -> {via})");
        assert!(rep.baggage_header.contains("tenant=acme"), "{}", rep.baggage_header);
        assert!(rep.baggage_header.contains("plan=gold"), "{}", rep.baggage_header);

        let [a_server, a_client, b_server] = chain_of(&pair.spans(), &trace_id);
        assert_eq!(a_server.parent_span_id.to_string(), parent_span, "the outside traceparent is continued");
        assert!(a_server.parent_span_is_remote);
        assert_parent_chain(&a_server, &a_client, &b_server);

        assert_eq!(attr(&a_server, "rpc.system").as_deref(), Some(outer));
        assert_eq!(attr(&a_server, "rpc.service").as_deref(), Some("obs.v1.Front"));
        assert_eq!(attr(&a_server, "rpc.method").as_deref(), Some("Relay"));
        for span in [&a_client, &b_server] {
            assert_eq!(attr(span, "rpc.system").as_deref(), Some(via), "{span:#?}");
            assert_eq!(attr(span, "rpc.service").as_deref(), Some("obs.v1.Back"));
            assert_eq!(attr(span, "rpc.method").as_deref(), Some("Echo"));
            match via {
                "http" => assert_eq!(attr(span, "http.response.status_code").as_deref(), Some("200")),
                _ => assert_eq!(attr(span, "rpc.grpc.status_code").as_deref(), Some("0")),
            }
            assert_eq!(span.status, Status::Unset);
        }
        if via == "http" {
            assert_eq!(attr(&b_server, "http.request.method").as_deref(), Some("GET"));
            assert_eq!(attr(&b_server, "url.path").as_deref(), Some("/v1/back/ann"));
        }
    }
    pair.stop().await;
}

#[tokio::test]
async fn without_a_traceparent_a_starts_the_trace() {
    let pair = Pair::start().await;
    let rep = pair.call("grpc", "http", "bob", None).await.unwrap();
    assert_eq!(rep.tenant, "acme", "baggage alone is propagated too");
    let spans = pair.spans();
    let root = spans
        .iter()
        .find(|s| s.name == FrontOperation::RELAY && s.span_kind == SpanKind::Server)
        .expect("A's server span");
    assert_eq!(root.parent_span_id, bia::middleware::trace::opentelemetry::trace::SpanId::INVALID, "a root span");
    let trace_id = root.span_context.trace_id().to_string();
    assert_eq!(rep.trace_id, trace_id);
    let [a_server, a_client, b_server] = chain_of(&spans, &trace_id);
    assert_parent_chain(&a_server, &a_client, &b_server);
    pair.stop().await;
}

#[tokio::test]
async fn failures_mark_every_span_of_the_chain() {
    let pair = Pair::start().await;
    for (i, via) in ["grpc", "http"].into_iter().enumerate() {
        let trace_id = format!("0af7651916cd43dd8448eb211c80319{i}");
        let err =
            pair.call("http", via, "missing", Some(format!("00-{trace_id}-b7ad6b7169203331-01"))).await.unwrap_err();
        assert_eq!((err.code(), err.reason()), (404, "NOBODY"));
        let [a_server, a_client, b_server] = chain_of(&pair.spans(), &trace_id);
        assert_parent_chain(&a_server, &a_client, &b_server);
        for span in [&a_server, &a_client, &b_server] {
            assert!(
                matches!(&span.status, Status::Error { description } if description.contains("no such person")),
                "{span:#?}"
            );
            assert_eq!(attr(span, "error.type").as_deref(), Some("NOBODY"));
        }
        assert_eq!(attr(&a_server, "http.response.status_code").as_deref(), Some("404"));
        match via {
            "http" => assert_eq!(attr(&b_server, "http.response.status_code").as_deref(), Some("404")),
            _ => assert_eq!(attr(&b_server, "rpc.grpc.status_code").as_deref(), Some("5"), "NotFound"),
        }
    }
    pair.stop().await;
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

// A current-thread runtime: the servers run on this thread, so the scoped
// subscriber sees the handlers' events.
#[tokio::test(flavor = "current_thread")]
async fn log_lines_inside_handlers_carry_the_trace_id() {
    let pair = Pair::start().await;
    let trace_id = "5bf92f3577b34da6a3ce929d0e0e4736";
    let traceparent = || Some(format!("00-{trace_id}-00f067aa0ba902b7-01"));

    // Both subscribers are registered up front: with a single scoped
    // dispatcher alive, `tracing` computes the interest of callsites that other
    // tests' threads register from *their* (empty) default and caches
    // "never"; with two, it asks every registered dispatcher.
    let buf = Buffer::default();
    let writer = buf.clone();
    let json = tracing::Dispatch::new(
        tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::WARN)
            .with_writer(move || writer.clone())
            .finish(),
    );
    let writer = buf.clone();
    let text = tracing::Dispatch::new(
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .finish(),
    );

    // JSON lines under a `warn` filter: B's `warn!` carries the ids.
    {
        let _guard = tracing::dispatcher::set_default(&json);
        pair.call("http", "grpc", "ann", traceparent()).await.unwrap();
    }
    let [_, _, b_server] = chain_of(&pair.spans(), trace_id);
    let out = buf.take();
    let line = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .find(|v| v["fields"]["message"] == "echo")
        .unwrap_or_else(|| panic!("no `echo` line in:\n{out}"));
    assert_eq!(line["span"]["trace.id"], trace_id, "{line}");
    assert_eq!(line["span"]["span.id"], b_server.span_context.span_id().to_string(), "{line}");
    assert_eq!(line["span"]["operation"], BackOperation::ECHO, "{line}");
    assert!(!out.contains("relaying"), "the info line is filtered out:\n{out}");

    // Text lines under `info`: A's `info!` carries A's ids.
    pair.exporter.reset();
    {
        let _guard = tracing::dispatcher::set_default(&text);
        pair.call("grpc", "http", "ann", traceparent()).await.unwrap();
    }
    let [a_server, _, _] = chain_of(&pair.spans(), trace_id);
    let out = buf.take();
    let line = out.lines().find(|l| l.contains("relaying")).unwrap_or_else(|| panic!("no `relaying` line in:\n{out}"));
    assert!(line.contains(&format!("trace.id={trace_id}")), "{line}");
    assert!(line.contains(&format!("span.id={}", a_server.span_context.span_id())), "{line}");
    pair.stop().await;
}
