//! JWT, tracing, metadata and the circuit breaker on streams, on both
//! transports: a
//! token is checked once, at open (a refused stream never reaches its
//! handler, a WebSocket included); a stream is one server span from its open
//! to its end, continuing the W3C `traceparent` of the opening request; and a
//! client's breaker counts streams refused at open and, once open, refuses
//! new ones without calling the server.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bia::middleware::jwt::{self, Signer, SigningKey, VerifyingKey};
use bia::middleware::trace::Tracing;
use bia::middleware::{AnyMessage, Context, Next};
use bia::stream::{StreamExt as _, Streaming};
use bia_tests::streams::*;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};

const SECRET: &str = "stream-test secret of 32 bytes or more";

fn tick(n: i32) -> Tick {
    Tick { n, text: format!("t{n}") }
}

/// How a bidirectional call with one tick ends: the code of its error.
async fn echo_end(client: &impl Counter) -> Option<u16> {
    match client.echo(Streaming::iter([tick(1)])).await {
        Ok(s) => {
            let mut s = std::pin::pin!(s);
            while let Some(item) = s.next().await {
                if let Err(e) = item {
                    return Some(e.code());
                }
            }
            None
        }
        Err(e) => Some(e.code()),
    }
}

/// Each kind of stream, once through.
async fn every_kind_once(client: &impl Counter, req: &CountRequest) {
    let ticks: Vec<bia::Result<Tick>> = client.count(req.clone()).await.unwrap().collect().await;
    assert_eq!(ticks.iter().filter(|t| t.is_ok()).count(), 2, "{ticks:?}");
    assert_eq!(client.sum(Streaming::iter([tick(1), tick(2)])).await.unwrap().total, 3);
    let echoed: Vec<bia::Result<Tick>> = client.echo(Streaming::iter([tick(3)])).await.unwrap().collect().await;
    assert_eq!(echoed.len(), 1, "{echoed:?}");
    assert!(echoed[0].is_ok(), "{echoed:?}");
}

#[tokio::test]
async fn jwt_checks_every_kind_of_stream_at_open_on_both_transports() {
    let counter = MemoryCounter::default();
    let dropped = std::sync::Arc::clone(&counter.dropped);
    let key = VerifyingKey::hs256(SECRET).unwrap();
    let app = start_counter_with(counter, |s| s.middleware(jwt::Server::new(key))).await;
    let grpc = CounterGrpcClient::connect(app.grpc_url()).await.unwrap();
    let http = CounterHttpClient::new(app.http_url()).unwrap();

    // No token: every kind is refused before its handler runs.
    let req = CountRequest { count: 2, ..Default::default() };
    let refusals = [
        grpc.count(req.clone()).await.err(),
        http.count(req.clone()).await.err(),
        grpc.sum(Streaming::iter([tick(1)])).await.err(),
        http.sum(Streaming::iter([tick(1)])).await.err(),
    ];
    for (i, e) in refusals.into_iter().enumerate() {
        let e = e.unwrap_or_else(|| panic!("call {i} was not refused"));
        assert_eq!(e.code(), 401, "call {i}: {e:?}");
    }
    // A bidirectional call is refused at open too (on HTTP, by the
    // WebSocket's error frame): its stream ends with the 401.
    assert_eq!(echo_end(&grpc).await, Some(401));
    assert_eq!(echo_end(&http).await, Some(401));
    assert_eq!(dropped.load(Ordering::SeqCst), 0, "a refused stream reached its handler");

    // With a token, each kind runs once through.
    let token = Signer::new(SigningKey::hs256(SECRET).unwrap()).subject("ada").sign().unwrap();
    let auth = jwt::Client::bearer(&token).unwrap();
    every_kind_once(&grpc.middleware(auth.clone()), &req).await;
    every_kind_once(&http.middleware(auth), &req).await;
    app.running.stop().await.unwrap();
}

/// The outside caller's `traceparent`.
struct Parent(String);

#[bia::middleware]
impl Parent {
    async fn handle(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
        assert!(ctx.set_request_header("traceparent", &self.0));
        next.run(ctx, req).await
    }
}

#[tokio::test]
async fn a_stream_is_one_server_span_from_open_to_end_under_the_callers_trace() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder().with_simple_exporter(exporter.clone()).build();
    let tracing = Tracing::server().provider(&provider);
    let app = start_counter_with(MemoryCounter::default(), |s| s.middleware(tracing)).await;
    let grpc = CounterGrpcClient::connect(app.grpc_url()).await.unwrap();
    let http = CounterHttpClient::new(app.http_url()).unwrap();

    let cases = [
        ("grpc", "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"),
        ("http", "5bf92f3577b34da6a3ce929d0e0e4737", "01f067aa0ba902b8"),
    ];
    for (transport, trace_id, parent) in cases {
        let caller = Parent(format!("00-{trace_id}-{parent}-01"));
        // Three ticks 40 ms apart: the span must cover them all.
        let req = CountRequest { count: 3, delay_ms: 40, ..Default::default() };
        let stream = match transport {
            "grpc" => grpc.clone().middleware(caller).count(req).await,
            _ => http.clone().middleware(caller).count(req).await,
        };
        let (got, end) = collect(stream.unwrap()).await;
        assert_eq!((got.len(), end.is_none()), (3, true), "{transport}");

        // The span ends with the stream, just after its last message.
        let mut spans = Vec::new();
        for _ in 0..100 {
            provider.force_flush().unwrap();
            spans = exporter.get_finished_spans().unwrap();
            spans.retain(|s| s.span_context.trace_id().to_string() == trace_id);
            if !spans.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(spans.len(), 1, "{transport}: one span per stream, not per message: {spans:?}");
        let span = &spans[0];
        assert_eq!(span.parent_span_id.to_string(), parent, "{transport}: the caller's traceparent is continued");
        assert_eq!(span.name, "/stream.v1.Counter/Count", "{transport}");
        let took = span.end_time.duration_since(span.start_time).unwrap();
        assert!(took >= Duration::from_millis(110), "{transport}: the span ended after {took:?}, before the stream");
    }
    app.running.stop().await.unwrap();
    provider.shutdown().unwrap();
}

#[tokio::test]
async fn a_client_breaker_counts_streams_refused_at_open_and_then_refuses_them_itself() {
    use bia::middleware::circuitbreaker::{CircuitBreaker, CIRCUITBREAKER_REASON};
    let counter = MemoryCounter::default();
    let refuse = std::sync::Arc::clone(&counter.refuse);
    let app = start_counter_with(counter, |s| s).await;
    let breaker = || CircuitBreaker::new().request(3).random(|| 0.0);
    let grpc = CounterGrpcClient::connect(app.grpc_url()).await.unwrap().middleware(breaker());
    let http = CounterHttpClient::new(app.http_url()).unwrap().middleware(breaker());
    let req = CountRequest { count: 1, ..Default::default() };
    for transport in ["grpc", "http"] {
        refuse.store(1000, Ordering::SeqCst);
        let open = |r: CountRequest| async {
            match transport {
                "grpc" => grpc.count(r).await.map(drop),
                _ => http.count(r).await.map(drop),
            }
        };
        for i in 0..3 {
            let e = open(req.clone()).await.expect_err("refused at open");
            assert_eq!((e.code(), e.reason()), (503, "UNAVAILABLE"), "{transport} call {i}");
        }
        let e = open(req.clone()).await.expect_err("the breaker is open");
        assert_eq!((e.code(), e.reason()), (503, CIRCUITBREAKER_REASON), "{transport}: {e}");
        assert_eq!(refuse.load(Ordering::SeqCst), 997, "{transport}: an open breaker does not call the server");
    }
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn metadata_from_the_client_reaches_the_handlers_stream() {
    use bia::middleware::metadata::Metadata;
    let app = start_counter_with(MemoryCounter::default(), |s| s.middleware(Metadata::server())).await;
    let outgoing = || Metadata::client().constant("x-md-global-tick", "g-").unwrap();
    let grpc = CounterGrpcClient::connect(app.grpc_url()).await.unwrap().middleware(outgoing());
    let http = CounterHttpClient::new(app.http_url()).unwrap().middleware(outgoing());
    let req = CountRequest { count: 2, ..Default::default() };
    for (transport, s) in [("grpc", grpc.count(req.clone()).await), ("http", http.count(req.clone()).await)] {
        let (got, end) = collect(s.unwrap()).await;
        assert!(end.is_none(), "{transport}: {end:?}");
        let texts: Vec<&str> = got.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["g-tick 1", "g-tick 2"], "{transport}");
    }
    app.running.stop().await.unwrap();
}
