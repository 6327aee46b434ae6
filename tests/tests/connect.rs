//! The Connect protocol on a gRPC server (`GrpcServer::connect`), by hand on
//! the wire over HTTP/1.1 and h2: every kind of call in JSON and protobuf,
//! the end-of-stream envelope, errors before and in the middle of a stream,
//! deadlines, the refusals (bad version, bad timeout, oversized body, a
//! unary form for a stream and back, unknown methods), a service mounted
//! from tonic-build, and the middleware seeing Connect calls as the gRPC
//! calls they are. Clients that are not ours (Connect's own, in Node, a
//! browser and Python; curl) are in the user-service's `browsers` test.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bia::middleware::{AnyMessage, Context, Next};
use bia::prelude::*;
use bia_tests::streams::*;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use prost::Message as _;

/// Operations the middleware saw, as `kind operation`.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

#[bia::middleware]
impl Seen {
    async fn handle(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
        self.0.lock().unwrap().push(format!("{} {}", ctx.kind().as_str(), ctx.operation()));
        next.run(ctx, req).await
    }
}

/// The streaming test service and the tonic greeter on a gRPC server with
/// Connect on (no HTTP server), panics recovered.
async fn start() -> (SocketAddr, bia::Running, Seen) {
    let seen = Seen::default();
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let app = App::new("connect").signals(false).grpc(
        GrpcServer::new(any)
            .connect(true)
            .middleware(bia::middleware::recovery::Recovery::new())
            .middleware(seen.clone())
            .service(CounterServer::new(MemoryCounter::default()))
            .tonic_service(tonic_greeter::server(), None),
    );
    let running = app.start().await.unwrap();
    (running.grpc_addrs()[0], running, seen)
}

struct Reply {
    status: u16,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
    fn content_type(&self) -> &str {
        self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
    /// The envelopes of a streaming reply: flags and message.
    fn envelopes(&self) -> Vec<(u8, Bytes)> {
        let mut rest = self.body.clone();
        let mut out = Vec::new();
        while rest.len() >= 5 {
            let len = u32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
            out.push((rest[0], rest.slice(5..5 + len)));
            rest = rest.slice(5 + len..);
        }
        assert!(rest.is_empty(), "a torn envelope: {rest:?}");
        out
    }
    /// The end-of-stream envelope's JSON (the last envelope, flagged 2).
    fn end(&self) -> serde_json::Value {
        let (flags, json) = self.envelopes().pop().expect("no envelope");
        assert_eq!(flags, 2, "the last envelope ends the stream");
        serde_json::from_slice(&json).unwrap()
    }
}

/// One POST to `path`, over h2 (prior knowledge) or HTTP/1.1.
async fn post(addr: SocketAddr, h2: bool, path: &str, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Reply {
    let mut builder = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new());
    builder.http2_only(h2);
    let client = builder.build_http::<Full<Bytes>>();
    let mut req = http::Request::post(format!("http://{addr}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = tokio::time::timeout(Duration::from_secs(10), client.request(req.body(Full::new(body.into())).unwrap()))
        .await
        .expect("timed out")
        .expect("request failed");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = tokio::time::timeout(Duration::from_secs(10), res.into_body().collect())
        .await
        .expect("body timed out")
        .expect("body")
        .to_bytes();
    Reply { status, headers, body }
}

fn envelope(flags: u8, message: &[u8]) -> Vec<u8> {
    let mut out = vec![flags];
    out.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    out.extend_from_slice(message);
    out
}

const JSON: (&str, &str) = ("content-type", "application/json");
const PROTO: (&str, &str) = ("content-type", "application/proto");
const STREAM_JSON: (&str, &str) = ("content-type", "application/connect+json");
const STREAM_PROTO: (&str, &str) = ("content-type", "application/connect+proto");

#[tokio::test]
async fn every_kind_of_call_in_json_and_protobuf_over_http1_and_h2() {
    let (addr, running, seen) = start().await;
    for h2 in [false, true] {
        // Server streaming, JSON: the ticks, then an end with no error.
        let r = post(addr, h2, "/stream.v1.Counter/Count", &[STREAM_JSON], envelope(0, br#"{"count":3}"#)).await;
        assert_eq!((r.status, r.content_type()), (200, "application/connect+json"));
        let envs = r.envelopes();
        let ticks: Vec<serde_json::Value> = envs[..3].iter().map(|(_, m)| serde_json::from_slice(m).unwrap()).collect();
        assert_eq!(ticks[2], serde_json::json!({"n": 3, "text": "tick 3"}), "{ticks:?}");
        assert_eq!(r.end(), serde_json::json!({}));

        // Server streaming, protobuf: the frames as gRPC's.
        let req = CountRequest { count: 2, ..Default::default() }.encode_to_vec();
        let r = post(addr, h2, "/stream.v1.Counter/Count", &[STREAM_PROTO], envelope(0, &req)).await;
        assert_eq!(r.content_type(), "application/connect+proto");
        let envs = r.envelopes();
        assert_eq!(Tick::decode(envs[1].1.clone()).unwrap(), Tick { n: 2, text: "tick 2".into() });

        // Client streaming, JSON: three envelopes in one body.
        let body = [envelope(0, br#"{"n":1}"#), envelope(0, br#"{"n":2}"#), envelope(0, br#"{"n":4}"#)].concat();
        let r = post(addr, h2, "/stream.v1.Counter/Sum", &[STREAM_JSON], body).await;
        let envs = r.envelopes();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&envs[0].1).unwrap(),
            serde_json::json!({"total": 7, "count": 3})
        );
        assert_eq!(r.end(), serde_json::json!({}));

        // Bidirectional, protobuf, the whole request sent at once.
        let body: Vec<u8> =
            [1, 2].iter().flat_map(|&n| envelope(0, &Tick { n, text: "ab".into() }.encode_to_vec())).collect();
        let r = post(addr, h2, "/stream.v1.Counter/Echo", &[STREAM_PROTO], body).await;
        let envs = r.envelopes();
        assert_eq!(envs.len(), 3, "{envs:?}");
        assert_eq!(Tick::decode(envs[1].1.clone()).unwrap(), Tick { n: 2, text: "AB".into() });

        // The tonic-build service: protobuf unary and stream.
        let hello = tonic_greeter::pb::HelloRequest { name: "c".into() }.encode_to_vec();
        let r = post(addr, h2, "/greeter.v1.Greeter/SayHello", &[PROTO], hello).await;
        assert_eq!((r.status, r.content_type()), (200, "application/proto"));
        assert_eq!(tonic_greeter::pb::HelloReply::decode(r.body.clone()).unwrap().message, "hello c");
        let hellos = tonic_greeter::pb::HellosRequest { name: "s".into(), count: 2 }.encode_to_vec();
        let r = post(addr, h2, "/greeter.v1.Greeter/SayHellos", &[STREAM_PROTO], envelope(0, &hellos)).await;
        assert_eq!(r.envelopes().len(), 3);
        assert_eq!(r.end(), serde_json::json!({}));
    }
    // The middleware saw each Bia call as the gRPC operation it is.
    let seen = seen.0.lock().unwrap().clone();
    assert!(seen.contains(&"grpc /stream.v1.Counter/Count".to_owned()), "{seen:?}");
    assert!(seen.contains(&"grpc /stream.v1.Counter/Echo".to_owned()), "{seen:?}");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn errors_end_streams_and_unary_calls_in_connect_form() {
    let (addr, running, _) = start().await;
    // A stream that fails at tick 2: tick 1, then the error with its ErrorInfo.
    let r =
        post(addr, false, "/stream.v1.Counter/Count", &[STREAM_JSON], envelope(0, br#"{"count":5,"failAt":2}"#)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.envelopes().len(), 2);
    let end = r.end();
    assert_eq!(end["error"]["details"][0]["type"], "google.rpc.ErrorInfo", "{end}");
    assert_eq!(end["error"]["details"][0]["debug"]["reason"], "TOO_FAR", "{end}");
    // Refused before the first message (a trailers-only reply): only the end.
    let r = post(addr, false, "/stream.v1.Counter/Count", &[STREAM_JSON], envelope(0, br#"{"count":-1}"#)).await;
    assert_eq!(r.envelopes().len(), 1);
    assert_eq!(r.end()["error"]["code"], "invalid_argument");
    // A panic mid-stream is internal; the server serves on.
    let r =
        post(addr, true, "/stream.v1.Counter/Count", &[STREAM_JSON], envelope(0, br#"{"count":3,"panicAt":2}"#)).await;
    assert_eq!(r.end()["error"]["code"], "internal");
    // Bad JSON in a stream's message names the field.
    let r = post(addr, false, "/stream.v1.Counter/Sum", &[STREAM_JSON], envelope(0, br#"{"n":"x"}"#)).await;
    let end = r.end();
    assert_eq!(end["error"]["code"], "invalid_argument", "{end}");
    assert_eq!(end["error"]["details"][0]["debug"]["metadata"]["field"], "n", "{end}");
    // The deadline ends a slow stream with deadline_exceeded.
    let started = std::time::Instant::now();
    let r = post(
        addr,
        false,
        "/stream.v1.Counter/Count",
        &[STREAM_JSON, ("connect-timeout-ms", "300")],
        envelope(0, br#"{"count":100,"delayMs":100}"#),
    )
    .await;
    assert_eq!(r.end()["error"]["code"], "deadline_exceeded");
    assert!(started.elapsed() < Duration::from_secs(5));

    // Unary errors: the HTTP status of the code and Connect's error JSON.
    let r = post(addr, false, "/greeter.v1.Greeter/SayHello", &[PROTO], Vec::new()).await;
    assert_eq!((r.status, r.content_type()), (400, "application/json"));
    assert_eq!(r.json(), serde_json::json!({"code": "invalid_argument", "message": "name is empty"}));
    running.stop().await.unwrap();
}

#[tokio::test]
async fn bad_requests_are_refused_with_a_reason() {
    let (addr, running, _) = start().await;
    let reason = |r: &Reply| r.json()["details"][0]["debug"]["reason"].as_str().unwrap_or_default().to_owned();
    // A unary form for a stream, and a stream form for a unary method.
    let r = post(addr, false, "/stream.v1.Counter/Count", &[JSON], "{}").await;
    assert_eq!((r.status, r.json()["code"].as_str()), (400, Some("invalid_argument")));
    assert!(r.json()["message"].as_str().unwrap().contains("application/connect+json"), "{}", r.json());
    // JSON for a method with no JSON codec here (tonic's), and an unknown method.
    for path in ["/greeter.v1.Greeter/SayHello", "/no.v1.Such/Method"] {
        let r = post(addr, false, path, &[JSON], "{}").await;
        assert_eq!((r.status, r.json()["code"].as_str()), (501, Some("unimplemented")), "{path}");
    }
    let r = post(addr, false, "/no.v1.Such/Method", &[PROTO], "").await;
    assert_eq!((r.status, r.json()["code"].as_str()), (501, Some("unimplemented")));
    // A version this server does not speak, a timeout that is not one.
    let r = post(addr, false, "/greeter.v1.Greeter/SayHello", &[PROTO, ("connect-protocol-version", "2")], "").await;
    assert_eq!((r.status, reason(&r).as_str()), (400, "BAD_REQUEST"));
    let r =
        post(addr, false, "/greeter.v1.Greeter/SayHello", &[PROTO, ("connect-timeout-ms", "12345678901")], "").await;
    assert_eq!((r.status, reason(&r).as_str()), (400, "BAD_REQUEST"));
    // A body past the message limit, and compressed JSON in an unknown encoding.
    let big = vec![0u8; 4 * 1024 * 1024 + 1];
    let r = post(addr, false, "/greeter.v1.Greeter/SayHello", &[PROTO], big).await;
    assert_eq!((r.status, reason(&r).as_str()), (429, "PAYLOAD_TOO_LARGE"));
    let r = post(addr, false, "/greeter.v1.Greeter/SayHello", &[JSON, ("content-encoding", "snappy")], "{}").await;
    assert_eq!((r.status, reason(&r).as_str()), (501, "UNSUPPORTED_ENCODING"));
    // Not Connect at all: a GET, another content type; the gRPC server's own answers.
    let r = post(addr, false, "/greeter.v1.Greeter/SayHello", &[("content-type", "text/plain")], "hi").await;
    assert_ne!(r.content_type(), "application/json");
    running.stop().await.unwrap();
}

/// A page on another origin reads every Connect reply, the errors Connect
/// answers before any call included; a preflight is answered; each reply
/// carries the CORS header once.
#[tokio::test]
async fn cors_covers_connect_replies_and_its_own_errors() {
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let cors = bia::transport::http::Cors::new().allowed_origins(["http://app.localhost"]);
    let app = App::new("connect-cors")
        .signals(false)
        .grpc(GrpcServer::new(any).connect(true).cors(cors).service(CounterServer::new(MemoryCounter::default())));
    let running = app.start().await.unwrap();
    let addr = running.grpc_addrs()[0];
    let origin = ("origin", "http://app.localhost");
    let allowed = |r: &Reply| r.headers.get_all("access-control-allow-origin").iter().count();
    let r = post(addr, false, "/stream.v1.Counter/Count", &[STREAM_JSON, origin], envelope(0, br#"{"count":1}"#)).await;
    assert_eq!((r.status, allowed(&r)), (200, 1));
    let r =
        post(addr, false, "/stream.v1.Counter/Count", &[STREAM_JSON, origin, ("connect-timeout-ms", "x")], "").await;
    assert_eq!((r.end()["error"]["code"].as_str(), allowed(&r)), (Some("invalid_argument"), 1));
    let r = post(addr, false, "/stream.v1.Counter/Count", &[JSON, origin], "{}").await;
    assert_eq!((r.status, allowed(&r)), (400, 1));

    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let preflight = http::Request::builder()
        .method("OPTIONS")
        .uri(format!("http://{addr}/stream.v1.Counter/Count"))
        .header("origin", "http://app.localhost")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,connect-protocol-version,connect-timeout-ms")
        .body(Full::<Bytes>::default())
        .unwrap();
    let res = client.request(preflight).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], "http://app.localhost");
    running.stop().await.unwrap();
}

/// The App's stop on Connect and gRPC-Web streams (the gRPC server's own
/// streams underneath): one that ends within the stop timeout ends as
/// usual; an endless one ends at the timeout with `unavailable`, reason
/// `STOPPING`, in its protocol's form.
#[tokio::test]
async fn the_stop_drains_connect_and_grpc_web_streams() {
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let running = App::new("connect-drain")
        .signals(false)
        .stop_timeout(Duration::from_millis(600))
        .grpc(GrpcServer::new(any).connect(true).grpc_web(true).service(CounterServer::new(MemoryCounter::default())))
        .start()
        .await
        .unwrap();
    let addr = running.grpc_addrs()[0];
    let endless =
        post(addr, false, "/stream.v1.Counter/Count", &[STREAM_JSON], envelope(0, br#"{"count":100000,"delayMs":20}"#));
    let short =
        post(addr, true, "/stream.v1.Counter/Count", &[STREAM_JSON], envelope(0, br#"{"count":5,"delayMs":40}"#));
    let web_req = CountRequest { count: 100_000, delay_ms: 20, ..Default::default() }.encode_to_vec();
    let web = post(
        addr,
        false,
        "/stream.v1.Counter/Count",
        &[("content-type", "application/grpc-web+proto"), ("x-grpc-web", "1")],
        envelope(0, &web_req),
    );
    let (endless, short, web) = (tokio::spawn(endless), tokio::spawn(short), tokio::spawn(web));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let stop = tokio::spawn(running.stop());

    let short = short.await.unwrap();
    assert_eq!(short.envelopes().len(), 6);
    assert_eq!(short.end(), serde_json::json!({}));
    let endless = endless.await.unwrap();
    let end = endless.end();
    assert_eq!(end["error"]["code"], "unavailable", "{end}");
    assert_eq!(end["error"]["details"][0]["debug"]["reason"], "STOPPING", "{end}");
    assert!(endless.envelopes().len() > 5, "it streamed until the stop");
    // gRPC-Web: the trailer frame (flag 0x80) holds the status.
    let web = web.await.unwrap();
    let (flags, trailer) = web.envelopes().pop().unwrap();
    assert_eq!(flags, 0x80);
    let trailer = String::from_utf8_lossy(&trailer).to_lowercase();
    assert!(trailer.contains("grpc-status:14"), "{trailer}");
    stop.await.unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}
