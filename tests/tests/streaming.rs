//! Streaming calls of every kind on both transports, through Bia's clients,
//! raw clients and a WebSocket client that is not Bia's: messages, errors
//! before and in the middle of a stream, cancellation, deadlines, panics and
//! bad input.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bia::stream::{StreamExt as _, Streaming};
use bia_tests::raw;
use bia_tests::streams::*;
use futures_util::SinkExt as _;
use tokio_tungstenite::tungstenite::Message as Frame;

fn ticks(ns: &[i32]) -> Vec<Tick> {
    ns.iter().map(|&n| Tick { n, text: format!("t{n}") }).collect()
}

async fn start() -> (bia_tests::TestApp, MemoryCounter) {
    let counter = MemoryCounter::default();
    (start_counter_with(counter.clone(), |s| s).await, counter)
}

#[tokio::test]
async fn server_stream_on_both_clients_and_raw_sse_and_ndjson() {
    let (app, _) = start().await;
    let grpc = CounterGrpcClient::connect(app.grpc_url()).await.unwrap();
    let http = CounterHttpClient::new(app.http_url()).unwrap();
    let req = CountRequest { count: 5, ..Default::default() };
    let (a, end_a) = collect(grpc.count(req.clone()).await.unwrap()).await;
    let (b, end_b) = collect(http.count(req.clone()).await.unwrap()).await;
    assert!(end_a.is_none() && end_b.is_none(), "{end_a:?} {end_b:?}");
    assert_eq!(a.iter().map(|t| t.n).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
    assert_eq!(a, b);

    let r = raw::http("GET", &format!("{}/v1/count/2", app.http_url()), "").await;
    assert_eq!((r.status, r.content_type.as_str()), (200, "text/event-stream"));
    assert_eq!(r.text(), "data: {\"n\":1,\"text\":\"tick 1\"}\n\ndata: {\"n\":2,\"text\":\"tick 2\"}\n\n");
    let r = raw::http_with("GET", &format!("{}/v1/count/2", app.http_url()), &[("accept", "application/x-ndjson")], "")
        .await;
    assert_eq!((r.status, r.content_type.as_str()), (200, "application/x-ndjson"));
    assert_eq!(r.text(), "{\"result\":{\"n\":1,\"text\":\"tick 1\"}}\n{\"result\":{\"n\":2,\"text\":\"tick 2\"}}\n");
    // The handler's stream, polled by the transport, still sees its call's
    // context (a request header here).
    let r = raw::http_with("GET", &format!("{}/v1/count/1", app.http_url()), &[("x-tick-prefix", "my-")], "").await;
    assert_eq!(r.text(), "data: {\"n\":1,\"text\":\"my-tick 1\"}\n\n");
    // An empty stream is an empty body.
    let r = raw::http("GET", &format!("{}/v1/count/0", app.http_url()), "").await;
    assert_eq!((r.status, r.text().as_str()), (200, ""));
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn errors_before_and_in_the_middle_of_a_server_stream() {
    let (app, _) = start().await;
    let grpc = CounterGrpcClient::connect(app.grpc_url()).await.unwrap();
    let http = CounterHttpClient::new(app.http_url()).unwrap();

    // Before the stream opens: the call itself fails, with a status code on HTTP.
    let bad = CountRequest { count: -1, ..Default::default() };
    let e1 = grpc.count(bad.clone()).await.expect_err("refused");
    let e2 = http.count(bad).await.expect_err("refused");
    assert_eq!((e1.code(), e1.reason()), (400, "NEGATIVE_COUNT"));
    assert_eq!(e1, e2);
    let r = raw::http("GET", &format!("{}/v1/count/-1", app.http_url()), "").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["reason"], "NEGATIVE_COUNT");

    // In the middle: the messages before it, then the error with its metadata.
    let req = CountRequest { count: 5, fail_at: 3, ..Default::default() };
    let (a, e1) = collect(grpc.count(req.clone()).await.unwrap()).await;
    let (b, e2) = collect(http.count(req).await.unwrap()).await;
    assert_eq!(a.len(), 2);
    assert_eq!(a, b);
    let e1 = e1.expect("error");
    assert_eq!((e1.code(), e1.reason(), e1.metadata().get("at").map(String::as_str)), (409, "TOO_FAR", Some("3")));
    assert_eq!(Some(e1), e2);

    let url = format!("{}/v1/count/5?failAt=2", app.http_url());
    let r = raw::http("GET", &url, "").await;
    assert_eq!(
        r.text(),
        "data: {\"n\":1,\"text\":\"tick 1\"}\n\nevent: error\ndata: {\"code\":409,\"reason\":\"TOO_FAR\",\"message\":\"tick 2 is too far\",\"metadata\":{\"at\":\"2\"}}\n\n"
    );
    let r = raw::http_with("GET", &url, &[("accept", "application/x-ndjson")], "").await;
    assert_eq!(
        r.text(),
        "{\"result\":{\"n\":1,\"text\":\"tick 1\"}}\n{\"error\":{\"code\":409,\"reason\":\"TOO_FAR\",\"message\":\"tick 2 is too far\",\"metadata\":{\"at\":\"2\"}}}\n"
    );
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn client_and_bidi_streams_on_both_clients() {
    let (app, _) = start().await;
    let grpc = CounterGrpcClient::connect(app.grpc_url()).await.unwrap();
    let http = CounterHttpClient::new(app.http_url()).unwrap();

    let a = grpc.sum(Streaming::iter(ticks(&[1, 2, 3]))).await.unwrap();
    let b = http.sum(Streaming::iter(ticks(&[1, 2, 3]))).await.unwrap();
    assert_eq!((a.total, a.count), (6, 3));
    assert_eq!(a, b);
    // An empty stream.
    assert_eq!(http.sum(Streaming::iter(Vec::new())).await.unwrap(), Sum::default());
    assert_eq!(grpc.sum(Streaming::iter(Vec::new())).await.unwrap(), Sum::default());
    // The handler's error.
    let e1 = grpc.sum(Streaming::iter(ticks(&[1, -2, 3]))).await.unwrap_err();
    let e2 = http.sum(Streaming::iter(ticks(&[1, -2, 3]))).await.unwrap_err();
    assert_eq!((e1.code(), e1.reason()), (400, "NEGATIVE_TICK"));
    assert_eq!(e1, e2);

    let (a, end_a) = collect(grpc.echo(Streaming::iter(ticks(&[1, 2]))).await.unwrap()).await;
    let (b, end_b) = collect(http.echo(Streaming::iter(ticks(&[1, 2]))).await.unwrap()).await;
    assert!(end_a.is_none() && end_b.is_none(), "{end_a:?} {end_b:?}");
    assert_eq!(a.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(), ["T1", "T2"]);
    assert_eq!(a, b);
    let (a, e1) = collect(grpc.echo(Streaming::iter(ticks(&[1, -1, 2]))).await.unwrap()).await;
    let (b, e2) = collect(http.echo(Streaming::iter(ticks(&[1, -1, 2]))).await.unwrap()).await;
    assert_eq!((a.len(), b.len()), (1, 1));
    assert_eq!(e1.as_ref().map(|e| e.reason()), Some("NEGATIVE_TICK"));
    assert_eq!(e1, e2);

    // The request stream's own error ends the call with it, on both transports.
    let failing = || {
        Streaming::from_results(bia::stream::iter(vec![
            Ok(Tick { n: 1, text: String::new() }),
            Err(bia::Error::conflict("LOCAL", "the caller's stream failed")),
        ]))
    };
    assert_eq!(grpc.sum(failing()).await.unwrap_err().reason(), "LOCAL");
    assert_eq!(http.sum(failing()).await.unwrap_err().reason(), "LOCAL");

    // Bidirectional, interleaved: each reply comes before the next request is made.
    let (tx, rx) = Streaming::channel(1);
    let mut replies = http.echo(rx).await.unwrap();
    for n in 1..=3 {
        tx.send(Ok(Tick { n, text: "x".into() })).await.unwrap();
        let reply = tokio::time::timeout(Duration::from_secs(5), replies.message()).await.unwrap().unwrap();
        assert_eq!(reply.map(|t| t.n), Some(n));
    }
    drop(tx);
    assert_eq!(replies.message().await.unwrap(), None);
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn the_clients_implement_the_trait_and_stand_behind_one_pointer() {
    let (app, _) = start().await;
    async fn total(c: &impl Counter) -> i32 {
        let s = c.count(CountRequest { count: 3, ..Default::default() }).await.unwrap();
        // The stream may borrow the implementation: collect it before the next call.
        let ticks: Vec<Tick> = s.map(|t| t.unwrap()).collect().await;
        let sum = c.sum(Streaming::iter(ticks)).await.unwrap();
        sum.total
    }
    let grpc = CounterGrpcClient::connect(app.grpc_url()).await.unwrap();
    let http = CounterHttpClient::new(app.http_url()).unwrap();
    assert_eq!(total(&grpc).await, 6);
    assert_eq!(total(&http).await, 6);
    for svc in [
        std::sync::Arc::new(grpc) as std::sync::Arc<dyn DynCounter>,
        std::sync::Arc::new(http),
        std::sync::Arc::new(MemoryCounter::default()),
    ] {
        assert_eq!(total(&svc).await, 6);
    }
    app.running.stop().await.unwrap();
}

/// Waits until `counter` has dropped `n` handler states.
async fn dropped(counter: &MemoryCounter, n: usize) {
    let wait = async {
        while counter.dropped.load(Ordering::SeqCst) < n {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), wait)
        .await
        .unwrap_or_else(|_| panic!("the handler's stream was not dropped ({n} expected)"));
}

#[tokio::test]
async fn a_client_that_drops_its_stream_cancels_the_handler() {
    let (app, counter) = start().await;
    let grpc = CounterGrpcClient::connect(app.grpc_url()).await.unwrap();
    let http = CounterHttpClient::new(app.http_url()).unwrap();
    let slow = CountRequest { count: 1000, delay_ms: 20, ..Default::default() };
    for (i, mut s) in
        [grpc.count(slow.clone()).await.unwrap(), http.count(slow.clone()).await.unwrap()].into_iter().enumerate()
    {
        assert_eq!(s.message().await.unwrap().map(|t| t.n), Some(1));
        drop(s);
        dropped(&counter, i + 1).await;
    }
    // A bidirectional call dropped with its request stream still open.
    let (tx, rx) = Streaming::channel(1);
    let mut replies = http.echo(rx).await.unwrap();
    tx.send(Ok(Tick { n: 1, text: String::new() })).await.unwrap();
    assert!(replies.message().await.unwrap().is_some());
    drop(replies);
    dropped(&counter, 3).await;
    let (tx2, rx) = Streaming::channel(1);
    let mut replies = grpc.echo(rx).await.unwrap();
    tx2.send(Ok(Tick { n: 1, text: String::new() })).await.unwrap();
    assert!(replies.message().await.unwrap().is_some());
    drop(replies);
    dropped(&counter, 4).await;
    drop((tx, tx2));
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn a_deadline_ends_the_stream_with_timeout() {
    let (app, _) = start().await;
    let timeout = || bia::middleware::timeout::Timeout::new(Duration::from_millis(300));
    let grpc = CounterGrpcClient::connect(app.grpc_url()).await.unwrap().middleware(timeout());
    let http = CounterHttpClient::new(app.http_url()).unwrap().middleware(timeout());
    let slow = CountRequest { count: 100, delay_ms: 50, ..Default::default() };
    for s in [grpc.count(slow.clone()).await.unwrap(), http.count(slow.clone()).await.unwrap()] {
        let (got, end) = collect(s).await;
        assert!(got.len() < 10, "{}", got.len());
        let end = end.expect("the deadline ends the stream");
        assert_eq!((end.code(), end.reason()), (504, "TIMEOUT"), "{end:?}");
    }
    // The server's own deadline, from a raw grpc-timeout: DeadlineExceeded.
    let channel = tonic::transport::Endpoint::from_shared(app.grpc_url()).unwrap().connect().await.unwrap();
    let mut raw = tonic::client::Grpc::new(channel);
    raw.ready().await.unwrap();
    let mut req = tonic::Request::new(slow);
    req.metadata_mut().insert("grpc-timeout", "200m".parse().unwrap());
    let codec = tonic_prost::ProstCodec::<CountRequest, Tick>::default();
    let path = http::uri::PathAndQuery::from_static("/stream.v1.Counter/Count");
    let mut s = raw.server_streaming(req, path, codec).await.unwrap().into_inner();
    let status = loop {
        match s.message().await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("ended without the deadline"),
            Err(status) => break status,
        }
    };
    assert_eq!(status.code(), tonic::Code::DeadlineExceeded, "{status:?}");
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn a_panic_mid_stream_is_internal_and_the_server_keeps_serving() {
    let counter = MemoryCounter::default();
    let app = start_counter_with(counter, |s| s.middleware(bia::middleware::recovery::Recovery::new())).await;
    let grpc = CounterGrpcClient::connect(app.grpc_url()).await.unwrap();
    let http = CounterHttpClient::new(app.http_url()).unwrap();
    let req = CountRequest { count: 5, panic_at: 2, ..Default::default() };
    for s in [grpc.count(req.clone()).await.unwrap(), http.count(req.clone()).await.unwrap()] {
        let (got, end) = collect(s).await;
        assert_eq!(got.len(), 1);
        assert_eq!(end.map(|e| e.code()), Some(500));
    }
    let (got, end) = collect(grpc.count(CountRequest { count: 2, ..Default::default() }).await.unwrap()).await;
    assert_eq!((got.len(), end), (2, None));
    app.running.stop().await.unwrap();
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ws(app: &bia_tests::TestApp, path: &str) -> Ws {
    let url = format!("ws://{}{path}", app.http);
    tokio_tungstenite::connect_async(url).await.expect("WebSocket").0
}

/// The frames the server sends until it closes: texts, then the close code
/// and reason.
async fn frames(ws: &mut Ws) -> (Vec<String>, Option<(u16, String)>) {
    let mut texts = Vec::new();
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("a frame in time");
        match frame {
            Some(Ok(Frame::Text(t))) => texts.push(t.to_string()),
            Some(Ok(Frame::Close(c))) => return (texts, c.map(|c| (u16::from(c.code), c.reason.to_string()))),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return (texts, None),
        }
    }
}

#[tokio::test]
async fn websocket_frames_close_codes_and_bad_input() {
    let (app, _) = start().await;
    // A plain exchange: messages, the empty frame that ends them, the reply.
    let mut s = ws(&app, "/v1/sum").await;
    s.send(Frame::text(r#"{"n":2}"#)).await.unwrap();
    s.send(Frame::text(r#"{"n":3,"text":"x"}"#)).await.unwrap();
    s.send(Frame::text("")).await.unwrap();
    let (texts, close) = frames(&mut s).await;
    assert_eq!(texts, [r#"{"result":{"total":5,"count":2}}"#]);
    assert_eq!(close, Some((1000, String::new())));

    // A frame that is not the message: 400 naming the field, close 4400.
    let mut s = ws(&app, "/v1/echo").await;
    s.send(Frame::text(r#"{"n":1}"#)).await.unwrap();
    s.send(Frame::text(r#"{"n":"seven"}"#)).await.unwrap();
    let (texts, close) = frames(&mut s).await;
    assert_eq!(texts[0], r#"{"result":{"n":1,"text":""}}"#);
    let err: serde_json::Value = serde_json::from_str(&texts[1]).unwrap();
    assert_eq!(err["error"]["code"], 400);
    assert_eq!(err["error"]["reason"], "CODEC");
    assert_eq!(err["error"]["metadata"]["field"], "n");
    assert_eq!(close, Some((4400, "CODEC".to_owned())));

    // Not JSON at all, and a binary frame.
    for bad in [Frame::text("{not json"), Frame::binary(vec![1u8, 2, 3])] {
        let mut s = ws(&app, "/v1/sum").await;
        s.send(bad).await.unwrap();
        let (texts, close) = frames(&mut s).await;
        assert!(texts[0].starts_with(r#"{"error":{"code":400,"reason":"CODEC""#), "{texts:?}");
        assert_eq!(close.map(|c| c.0), Some(4400));
    }

    // A message over the limit: PAYLOAD_TOO_LARGE.
    let app2 = start_counter_with(MemoryCounter::default(), |s| s.max_body_size(1024)).await;
    let mut s = ws(&app2, "/v1/sum").await;
    let big = format!(r#"{{"n":1,"text":"{}"}}"#, "x".repeat(4096));
    let _ = s.send(Frame::text(big)).await;
    let (texts, close) = frames(&mut s).await;
    assert!(texts.first().is_some_and(|t| t.contains("PAYLOAD_TOO_LARGE")), "{texts:?} {close:?}");
    assert_eq!(close.map(|c| c.0), Some(4413));
    app2.running.stop().await.unwrap();

    // The streaming routes without a WebSocket, and a WebSocket on a route that takes none.
    let r = raw::http("GET", &format!("{}/v1/sum", app.http_url()), "").await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (400, Some("NOT_A_WEBSOCKET")));
    let upgrade = [
        ("connection", "upgrade"),
        ("upgrade", "websocket"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    let r = raw::http_with("GET", &format!("{}/v1/count/2", app.http_url()), &upgrade, "").await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (400, Some("NOT_A_WEBSOCKET")));
    let r = raw::http_with("GET", &format!("{}/v1/sum", app.http_url()), &upgrade, "").await;
    assert_eq!(r.status, 101);
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn middleware_see_streams_whole_validate_each_message_and_never_retry_them() {
    use bia::middleware::metrics::Metrics;
    use bia::middleware::retry::Retry;
    use bia::middleware::validate::Validate;
    let metrics = Metrics::new();
    let counter = MemoryCounter::default();
    let app = start_counter_with(counter, |s| s.middleware(metrics.server()).middleware(Validate::new())).await;
    let client_metrics = Metrics::new();
    let grpc = CounterGrpcClient::connect(app.grpc_url()).await.unwrap().middleware(client_metrics.client());
    let http = CounterHttpClient::new(app.http_url()).unwrap();

    let (got, _) = collect(grpc.count(CountRequest { count: 3, ..Default::default() }).await.unwrap()).await;
    assert_eq!(got.len(), 3);
    assert_eq!(grpc.sum(Streaming::iter(ticks(&[1, 2]))).await.unwrap().count, 2);
    let text = metrics.encode();
    for line in [
        r#"server_requests_code_total{kind="grpc",operation="/stream.v1.Counter/Count",code="200",reason=""} 1"#,
        r#"server_stream_messages_sent_total{kind="grpc",operation="/stream.v1.Counter/Count"} 3"#,
        r#"server_stream_messages_received_total{kind="grpc",operation="/stream.v1.Counter/Sum"} 2"#,
        r#"server_stream_messages_sent_total{kind="grpc",operation="/stream.v1.Counter/Sum"} 0"#,
    ] {
        assert!(text.contains(line), "{line} not in\n{text}");
    }
    let text = client_metrics.encode();
    for line in [
        r#"client_stream_messages_received_total{kind="grpc",operation="/stream.v1.Counter/Count"} 3"#,
        r#"client_stream_messages_sent_total{kind="grpc",operation="/stream.v1.Counter/Sum"} 2"#,
    ] {
        assert!(text.contains(line), "{line} not in\n{text}");
    }

    // Validate checks each incoming message: the second breaks a rule.
    let long = Tick { n: 2, text: "x".repeat(17) };
    let mk = || Streaming::iter(vec![Tick { n: 1, text: String::new() }, long.clone()]);
    let e1 = grpc.sum(mk()).await.unwrap_err();
    let e2 = http.sum(mk()).await.unwrap_err();
    assert_eq!((e1.code(), e1.reason()), (400, "VALIDATOR"), "{e1:?}");
    assert_eq!(e1, e2);
    let (got, end) = collect(http.echo(mk()).await.unwrap()).await;
    assert_eq!((got.len(), end.map(|e| e.reason().to_owned())), (1, Some("VALIDATOR".to_owned())));

    // A retrying client never sends a stream again: the messages before the
    // (retryable) error come once, then the error.
    let retry =
        || Retry::new().idempotent(CounterOperation::ALL).backoff(Duration::from_millis(1), Duration::from_millis(2));
    let grpc = CounterGrpcClient::connect(app.grpc_url()).await.unwrap().middleware(retry());
    let http = CounterHttpClient::new(app.http_url()).unwrap().middleware(retry());
    let req = CountRequest { count: 5, fail_at: 3, fail_unavailable: true, ..Default::default() };
    for (i, s) in
        [grpc.count(req.clone()).await.unwrap(), http.count(req.clone()).await.unwrap()].into_iter().enumerate()
    {
        let (got, end) = collect(s).await;
        assert_eq!(got.iter().map(|t| t.n).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(end.as_ref().map(|e| e.code()), Some(503), "{i} {end:?}");
    }
    app.running.stop().await.unwrap();
}

/// A retrying client retries a server stream that fails at open, on both
/// transports, and gets the whole stream once; without retry the refusal
/// is the caller's.
#[tokio::test]
async fn a_server_stream_refused_at_open_is_retried() {
    use bia::middleware::retry::Retry;
    let (app, counter) = start().await;
    let retry =
        || Retry::new().idempotent(CounterOperation::ALL).backoff(Duration::from_millis(1), Duration::from_millis(2));
    let grpc = CounterGrpcClient::connect(app.grpc_url()).await.unwrap();
    let http = CounterHttpClient::new(app.http_url()).unwrap();
    let req = CountRequest { count: 3, ..Default::default() };
    for retrying in [false, true] {
        for transport in ["grpc", "http"] {
            counter.refuse.store(2, Ordering::SeqCst);
            let s = match (transport, retrying) {
                ("grpc", false) => grpc.count(req.clone()).await,
                ("grpc", true) => grpc.clone().middleware(retry()).count(req.clone()).await,
                (_, false) => http.count(req.clone()).await,
                (_, true) => http.clone().middleware(retry()).count(req.clone()).await,
            };
            if !retrying {
                let Err(e) = s else { panic!("{transport}: not refused") };
                assert_eq!((e.code(), e.reason()), (503, "UNAVAILABLE"), "{transport}");
                continue;
            }
            let (got, end) = collect(s.unwrap_or_else(|e| panic!("{transport}: {e:?}"))).await;
            assert_eq!(got.iter().map(|t| t.n).collect::<Vec<_>>(), [1, 2, 3], "{transport}");
            assert!(end.is_none(), "{transport}: {end:?}");
            assert_eq!(counter.refuse.load(Ordering::SeqCst), 0, "{transport}: both refusals were retried");
        }
    }
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn app_stop_lets_streams_finish_then_ends_the_rest_with_unavailable() {
    use bia::prelude::{App, GrpcServer, HttpServer};
    let server = CounterServer::new(MemoryCounter::default());
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let running = App::new("counter")
        .stop_timeout(Duration::from_millis(600))
        .http(HttpServer::new(any).service(server.clone()))
        .grpc(GrpcServer::new(any).service(server))
        .start()
        .await
        .unwrap();
    let (http_url, grpc_url) =
        (format!("http://{}", running.http_addrs()[0]), format!("http://{}", running.grpc_addrs()[0]));
    let grpc = CounterGrpcClient::connect(grpc_url.clone()).await.unwrap();
    let http = CounterHttpClient::new(http_url.clone()).unwrap();
    let endless = CountRequest { count: 100_000, delay_ms: 20, ..Default::default() };
    let short = CountRequest { count: 5, delay_ms: 40, ..Default::default() };
    let mut open = vec![grpc.count(endless.clone()).await.unwrap(), http.count(endless).await.unwrap()];
    for s in &mut open {
        assert!(s.message().await.unwrap().is_some());
    }
    // A WebSocket, open with nothing to send.
    let (tx, rx) = Streaming::channel(1);
    let mut chat = http.echo(rx).await.unwrap();
    tx.send(Ok(Tick { n: 1, text: String::new() })).await.unwrap();
    assert!(chat.message().await.unwrap().is_some());
    open.push(chat);
    // A client stream over a WebSocket, its handler waiting for more.
    let (tx_sum, rx) = Streaming::channel(1);
    tx_sum.send(Ok(Tick { n: 1, text: String::new() })).await.unwrap();
    let upload = tokio::spawn({
        let http = http.clone();
        async move { http.sum(rx).await }
    });
    let finishing = [grpc.count(short.clone()).await.unwrap(), http.count(short).await.unwrap()];

    let started = std::time::Instant::now();
    let stop = tokio::spawn(running.stop());
    // Streams that end within the stop timeout end as usual.
    for s in finishing {
        let (got, end) = tokio::time::timeout(Duration::from_secs(5), collect(s)).await.expect("the short stream ends");
        assert_eq!((got.len(), end), (5, None));
    }
    // New calls are refused while draining.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let late = CounterHttpClient::new(http_url).unwrap();
    let refused = late.count(CountRequest::default());
    assert!(tokio::time::timeout(Duration::from_secs(5), refused).await.expect("refused in time").is_err());
    // The rest end with 503 STOPPING once the stop timeout has passed.
    for (i, s) in open.into_iter().enumerate() {
        let (_, end) = tokio::time::timeout(Duration::from_secs(5), collect(s))
            .await
            .unwrap_or_else(|_| panic!("stream {i} ends"));
        let end = end.expect("the stop ends the stream");
        assert_eq!((end.code(), end.reason()), (503, "STOPPING"), "{end:?}");
    }
    let end = tokio::time::timeout(Duration::from_secs(5), upload).await.expect("the upload ends").unwrap();
    let end = end.expect_err("the stop ends the upload");
    assert_eq!((end.code(), end.reason()), (503, "STOPPING"), "{end:?}");
    stop.await.unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    drop((tx, tx_sum));
}

/// Sends `messages` as the request stream of `Sum` through a plain tonic
/// client, bytes as given.
async fn raw_sum(url: &str, messages: Vec<bia_tests::raw::RawBytes>) -> tonic::Status {
    let channel = tonic::transport::Endpoint::from_shared(url.to_owned()).unwrap().connect().await.unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<bia_tests::raw::RawBytes, Sum>::default();
    let path = http::uri::PathAndQuery::from_static("/stream.v1.Counter/Sum");
    let req = tonic::Request::new(bia::stream::iter(messages));
    grpc.client_streaming(req, path, codec).await.expect_err("the bad message fails the call")
}

#[tokio::test]
async fn bad_and_oversized_grpc_messages_mid_stream_end_the_call_and_the_server_serves_on() {
    use bia_tests::raw::RawBytes;
    let app = start_counter_with(MemoryCounter::default(), |s| s.max_decoding_message_size(64)).await;
    let good = RawBytes(prost::Message::encode_to_vec(&Tick { n: 1, text: "a".into() }));
    // Field 1 (n, varint) announced as a length-delimited field that runs past the end.
    let bad = RawBytes(vec![0x0a, 0x05, 0x01]);
    let status = raw_sum(&app.grpc_url(), vec![good.clone(), bad]).await;
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert_eq!(bia::Error::from_status(&status).reason(), "CODEC");

    let big = RawBytes(prost::Message::encode_to_vec(&Tick { n: 2, text: "x".repeat(200) }));
    let status = raw_sum(&app.grpc_url(), vec![good.clone(), big]).await;
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    assert_eq!(bia::Error::from_status(&status).reason(), "PAYLOAD_TOO_LARGE");

    // And the server goes on serving.
    let grpc = CounterGrpcClient::connect(app.grpc_url()).await.unwrap();
    assert_eq!(grpc.sum(Streaming::iter(ticks(&[4, 5]))).await.unwrap().total, 9);
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn a_rate_limit_acts_at_open_and_never_cuts_an_open_stream() {
    use bia::middleware::ratelimit::RateLimit;
    // Two streams may open (burst 2, refilling every 100 s): the third is refused at open,
    // on both transports, while the two open ones run to their end.
    let limit = RateLimit::token_bucket(0.01, 2).unwrap();
    let app = start_counter_with(MemoryCounter::default(), |s| s.middleware(limit)).await;
    let grpc = CounterGrpcClient::connect(app.grpc_url()).await.unwrap();
    let http = CounterHttpClient::new(app.http_url()).unwrap();
    let slow = CountRequest { count: 3, delay_ms: 30, ..Default::default() };
    let a = grpc.count(slow.clone()).await.unwrap();
    let b = http.count(slow.clone()).await.unwrap();
    let refused = grpc.count(slow.clone()).await.expect_err("over the limit");
    assert_eq!((refused.code(), refused.reason()), (429, "RATELIMIT"));
    assert_eq!(http.count(slow).await.expect_err("over the limit"), refused);
    let e = http.sum(Streaming::iter(ticks(&[1]))).await.unwrap_err();
    assert_eq!(e, refused);
    for s in [a, b] {
        let (got, end) = collect(s).await;
        assert_eq!((got.len(), end), (3, None));
    }
    app.running.stop().await.unwrap();
}

/// Resident memory of this process, KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).unwrap().trim().trim_end_matches("kB").trim().parse().unwrap()
}

/// A client that opens 1,000 endless server streams (five connections of
/// 200, the per-connection limit) and never reads: HTTP/2 flow control and the
/// one-message pipe stop every handler once the client's windows are full,
/// so the server makes no more ticks and memory stays where it is. Dropping
/// the streams then cancels all 1,000 handlers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_streams_never_read_hold_the_server_still() {
    let (app, counter) = start().await;
    let endless = CountRequest { count: i32::MAX, ..Default::default() };
    let mut open = Vec::new();
    for _ in 0..5 {
        // One client, one connection.
        let grpc = CounterGrpcClient::connect(app.grpc_url()).await.unwrap();
        let calls = (0..200).map(|_| grpc.count(endless.clone()));
        for s in futures_util::future::join_all(calls).await {
            open.push(s.expect("a stream opens"));
        }
    }
    assert_eq!(open.len(), 1000);
    // Let every window fill, then watch: nothing more is made.
    let mut before = counter.produced.load(Ordering::Relaxed);
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = counter.produced.load(Ordering::Relaxed);
        if now == before {
            break;
        }
        before = now;
    }
    let rss_before = rss_kib();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = counter.produced.load(Ordering::Relaxed);
    let rss_after = rss_kib();
    assert_eq!(after, before, "handlers kept making ticks nobody reads");
    // What was made fits the client's stream windows (64 KiB each, every
    // tick at least 12 bytes framed) plus the one waiting in each pipe.
    let bound = 1000 * (65_536 / 12 + 2);
    assert!(after <= bound, "{after} ticks made for 1,000 unread streams (bound {bound})");
    assert!(rss_after <= rss_before + 2048, "memory grew from {rss_before} KiB to {rss_after} KiB");
    drop(open);
    dropped(&counter, 1000).await;
    app.running.stop().await.unwrap();
}
