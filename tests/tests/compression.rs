//! Compression on both transports: gRPC messages by `grpc-encoding` /
//! `grpc-accept-encoding` (gzip, zstd; tonic's framing, per message on
//! streams), HTTP replies by `Accept-Encoding` and request bodies by
//! `Content-Encoding` (gzip, br, zstd), the limits a compressed message or
//! body inflates against, the refusals of an encoding the server does not
//! take, and interop with Python grpcio and curl.
//!
//! The interop tests need `python3` with `grpcio`, `grpcio-reflection` and
//! `protobuf`, and `curl`; without them they say so and pass, unless
//! `BIA_REQUIRE_EXTERNAL=1` is set (CI), where their absence fails them.

use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use bia::prelude::*;
use bia::stream::{Stream, StreamExt as _, Streaming};
use bia::transport::grpc::CompressionEncoding;
use bia::transport::http::Compression;
use bia_tests::{raw, TestApp};
use bytes::Bytes;
use futures_util::SinkExt as _;
use http_body_util::{BodyExt as _, Full};
use serde_json::Value;

/// A message that says what the server saw of the call's encodings.
#[bia::message(package = "zip.v1")]
pub struct Blob {
    pub text: String,
    /// `echo`: the reply's text is `text` this many times; `chunks`: this
    /// many messages.
    pub repeat: i32,
    /// `chunks`: waits this long before each message.
    pub delay_ms: i32,
    /// The request's `grpc-encoding` as the handler saw it.
    pub seen_encoding: String,
    /// The request's `grpc-accept-encoding` or `accept-encoding`.
    pub seen_accept: String,
}

/// Every kind of call, with replies as large as asked.
#[bia::service(package = "zip.v1")]
pub trait Zip: Send + Sync + 'static {
    #[rpc(post = "/v1/echo", body = "*")]
    async fn echo(&self, req: Blob) -> bia::Result<Blob>;

    #[rpc(get = "/v1/chunks/<repeat>")]
    async fn chunks(&self, req: Blob) -> bia::Result<impl Stream<Item = bia::Result<Blob>>>;

    #[rpc(get = "/v1/join")]
    async fn join(&self, req: Streaming<Blob>) -> bia::Result<Blob>;

    #[rpc(get = "/v1/shout")]
    async fn shout(&self, req: Streaming<Blob>) -> bia::Result<impl Stream<Item = bia::Result<Blob>>>;
}

struct Zipper;

/// The request header `name` of the call being served.
fn seen(name: &str) -> String {
    bia::context::with(|ctx| ctx.request_header(name).unwrap_or_default().to_owned()).unwrap_or_default()
}

fn seen_accept() -> String {
    let grpc = seen("grpc-accept-encoding");
    if grpc.is_empty() {
        seen("accept-encoding")
    } else {
        grpc
    }
}

impl Zip for Zipper {
    async fn echo(&self, req: Blob) -> bia::Result<Blob> {
        let text = req.text.repeat(req.repeat.max(1) as usize);
        Ok(Blob { text, seen_encoding: seen("grpc-encoding"), seen_accept: seen_accept(), ..Default::default() })
    }

    async fn chunks(&self, req: Blob) -> bia::Result<impl Stream<Item = bia::Result<Blob>>> {
        let encoding = seen("grpc-encoding");
        Ok(bia::stream::unfold(1, move |n| {
            let (req, encoding) = (req.clone(), encoding.clone());
            async move {
                if n > req.repeat {
                    return None;
                }
                if req.delay_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(req.delay_ms as u64)).await;
                }
                Some((Ok(Blob { text: req.text, repeat: n, seen_encoding: encoding, ..Default::default() }), n + 1))
            }
        }))
    }

    async fn join(&self, mut req: Streaming<Blob>) -> bia::Result<Blob> {
        let mut text = String::new();
        while let Some(blob) = req.message().await? {
            text.push_str(&blob.text);
        }
        Ok(Blob { text, seen_encoding: seen("grpc-encoding"), ..Default::default() })
    }

    async fn shout(&self, req: Streaming<Blob>) -> bia::Result<impl Stream<Item = bia::Result<Blob>>> {
        let encoding = seen("grpc-encoding");
        Ok(req.map(move |blob| {
            let blob = blob?;
            Ok(Blob { text: blob.text.to_uppercase(), seen_encoding: encoding.clone(), ..Default::default() })
        }))
    }
}

/// Serves `Zipper` on both transports; each server adjusted after the
/// service was added (the settings apply whatever the order).
async fn start_with(
    svc: impl FnOnce(ZipServer<Zipper>) -> ZipServer<Zipper>,
    http: impl FnOnce(HttpServer) -> HttpServer,
    grpc: impl FnOnce(GrpcServer) -> GrpcServer,
) -> TestApp {
    let server = svc(ZipServer::new(Zipper));
    let any: SocketAddr = ([127, 0, 0, 1], 0).into();
    let app = App::new("zip")
        .http(http(HttpServer::new(any).service(server.clone())))
        .grpc(grpc(GrpcServer::new(any).service(server)));
    bia_tests::start(app).await
}

async fn start() -> TestApp {
    start_with(|s| s, |h| h.compression(Compression::new()), |g| g).await
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data).read_to_end(&mut out).expect("gzip");
    out
}

fn blob(text: &str, repeat: i32) -> Blob {
    Blob { text: text.to_owned(), repeat, ..Default::default() }
}

fn encode(msg: &Blob) -> Vec<u8> {
    prost::Message::encode_to_vec(msg)
}

fn decode(bytes: &[u8]) -> Blob {
    <Blob as prost::Message>::decode(bytes).expect("a Blob")
}

// --- gRPC on the wire -------------------------------------------------------

/// A gRPC reply as sent: its headers, its messages (compressed flag and
/// bytes as framed) and its trailers.
struct RawGrpc {
    headers: http::HeaderMap,
    messages: Vec<(u8, Bytes)>,
    trailers: Option<http::HeaderMap>,
}

impl RawGrpc {
    /// The call's status, from the trailers (or the headers of a
    /// trailers-only reply).
    fn status(&self) -> tonic::Status {
        tonic::Status::from_header_map(self.trailers.as_ref().unwrap_or(&self.headers)).expect("a grpc-status")
    }

    /// The call's status as the Bia error it carries.
    fn error(&self) -> bia::Error {
        bia::Error::from_status(&self.status())
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Each message decoded: gunzipped when its flag says compressed.
    fn blobs(&self) -> Vec<Blob> {
        self.messages.iter().map(|(flag, m)| if *flag == 1 { decode(&gunzip(m)) } else { decode(m) }).collect()
    }
}

/// One gRPC call over h2c with hand-made frames (`true`: the flag says
/// compressed, the bytes are as given).
async fn raw_grpc(addr: SocketAddr, path: &str, headers: &[(&str, &str)], frames: &[(bool, Vec<u8>)]) -> RawGrpc {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .http2_only(true)
        .build_http::<Full<Bytes>>();
    let mut body = Vec::new();
    for (compressed, msg) in frames {
        body.push(u8::from(*compressed));
        body.extend((msg.len() as u32).to_be_bytes());
        body.extend(msg);
    }
    let mut req = http::Request::post(format!("http://{addr}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(Bytes::from(body))).unwrap();
    let res = tokio::time::timeout(Duration::from_secs(10), client.request(req))
        .await
        .expect("the gRPC call timed out")
        .expect("the gRPC call failed");
    let (parts, body) = res.into_parts();
    let collected = body.collect().await.expect("the reply body");
    let trailers = collected.trailers().cloned();
    let data = collected.to_bytes();
    let (mut messages, mut rest) = (Vec::new(), &data[..]);
    while rest.len() >= 5 {
        let len = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        messages.push((rest[0], Bytes::copy_from_slice(&rest[5..5 + len])));
        rest = &rest[5 + len..];
    }
    assert!(rest.is_empty(), "a cut gRPC frame");
    RawGrpc { headers: parts.headers, messages, trailers }
}

const ECHO: &str = "/zip.v1.Zip/Echo";
const CHUNKS: &str = "/zip.v1.Zip/Chunks";
const JOIN: &str = "/zip.v1.Zip/Join";

#[tokio::test]
async fn grpc_server_takes_gzip_and_zstd_requests_by_default() {
    let app = start().await;
    let url = format!("http://{}", app.grpc);
    // A client that does not compress is unaffected.
    let plain = ZipGrpcClient::connect(url.clone()).await.unwrap();
    let rep = plain.echo(blob("ab", 2)).await.unwrap();
    assert_eq!((rep.text.as_str(), rep.seen_encoding.as_str()), ("abab", ""));
    // The generated client asks for gzip and zstd replies by default.
    assert_eq!(rep.seen_accept, "gzip,zstd,identity");

    for (encoding, name) in [(CompressionEncoding::Gzip, "gzip"), (CompressionEncoding::Zstd, "zstd")] {
        let client = ZipGrpcClient::connect(url.clone()).await.unwrap().send_compression(encoding);
        let rep = client.echo(blob(&"compressible ".repeat(100), 1)).await.unwrap();
        assert_eq!(rep.seen_encoding, name);
        assert_eq!(rep.text.len(), 1300);
    }

    // A gzip message by hand: the flag and the header, nothing else.
    let r = raw_grpc(app.grpc, ECHO, &[("grpc-encoding", "gzip")], &[(true, gzip(&encode(&blob("hi", 3))))]).await;
    assert_eq!(r.status().code(), tonic::Code::Ok, "{:?}", r.status());
    assert_eq!(r.blobs()[0].text, "hihihi");
    assert_eq!(r.header("grpc-encoding"), None, "replies are uncompressed by default");
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn grpc_replies_are_compressed_when_the_server_sends_and_the_client_accepts() {
    let app =
        start_with(|s| s, |h| h, |g| g.send_compression([CompressionEncoding::Zstd, CompressionEncoding::Gzip])).await;
    let big = encode(&blob(&"x".repeat(64), 64));

    // The client names gzip only: the reply is gzip, its message flagged.
    let r = raw_grpc(app.grpc, ECHO, &[("grpc-accept-encoding", "gzip")], &[(false, big.clone())]).await;
    assert_eq!(r.header("grpc-encoding"), Some("gzip"));
    assert_eq!(r.messages.len(), 1);
    assert_eq!(r.messages[0].0, 1, "the message is compressed");
    assert!(r.messages[0].1.len() < 200, "{} bytes for 4 KiB of x", r.messages[0].1.len());
    assert_eq!(r.blobs()[0].text.len(), 64 * 64);

    // The first the client names that the server sends, in the client's order.
    let r = raw_grpc(app.grpc, ECHO, &[("grpc-accept-encoding", "br, gzip, zstd")], &[(false, big.clone())]).await;
    assert_eq!(r.header("grpc-encoding"), Some("gzip"));
    let r = raw_grpc(app.grpc, ECHO, &[("grpc-accept-encoding", "br,zstd")], &[(false, big.clone())]).await;
    assert_eq!(r.header("grpc-encoding"), Some("zstd"));
    let text = decode(&zstd::decode_all(&r.messages[0].1[..]).unwrap()).text;
    assert_eq!(text.len(), 64 * 64);

    // A client that names none (or none the server sends) gets it as it is.
    for accept in [None, Some("deflate")] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("grpc-accept-encoding", a)).into_iter().collect();
        let r = raw_grpc(app.grpc, ECHO, &headers, &[(false, big.clone())]).await;
        assert_eq!((r.header("grpc-encoding"), r.messages[0].0), (None, 0), "{accept:?}");
    }

    // Generated clients decode what they asked for, and ask for nothing when told.
    let url = format!("http://{}", app.grpc);
    for accept in [vec![CompressionEncoding::Gzip], vec![CompressionEncoding::Zstd], vec![]] {
        let client = ZipGrpcClient::connect(url.clone()).await.unwrap().accept_compression(accept.clone());
        let rep = client.echo(blob("y", 5000)).await.unwrap();
        assert_eq!(rep.text.len(), 5000);
        let want = accept.iter().map(|e| e.to_string()).chain(["identity".to_owned()]).collect::<Vec<_>>().join(",");
        assert_eq!(rep.seen_accept, if accept.is_empty() { String::new() } else { want });
    }
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn grpc_unsupported_encoding_is_unimplemented_with_bia_details() {
    let app = start_with(|s| s, |h| h, |g| g.accept_compression([CompressionEncoding::Gzip])).await;
    // An encoding nobody knows, and one this server was told not to take.
    for encoding in ["snappy", "zstd"] {
        let r = raw_grpc(app.grpc, ECHO, &[("grpc-encoding", encoding)], &[(true, vec![1, 2, 3])]).await;
        let status = r.status();
        assert_eq!(status.code(), tonic::Code::Unimplemented, "{status:?}");
        assert!(status.message().contains(encoding), "{status:?}");
        let err = r.error();
        assert_eq!((err.code(), err.reason()), (415, "UNSUPPORTED_ENCODING"));
        assert!(r.headers.contains_key("grpc-status-details-bin"));
        assert_eq!(r.header("grpc-accept-encoding"), Some("gzip,identity"));
    }
    // The same through the generated client.
    let client = ZipGrpcClient::connect(format!("http://{}", app.grpc))
        .await
        .unwrap()
        .send_compression(CompressionEncoding::Zstd);
    let err = client.echo(blob("a", 1)).await.unwrap_err();
    assert_eq!((err.code(), err.reason(), err.grpc_code()), (415, "UNSUPPORTED_ENCODING", tonic::Code::Unimplemented));
    // No encodings at all: only uncompressed requests.
    let app2 = start_with(|s| s, |h| h, |g| g.accept_compression([])).await;
    let r = raw_grpc(app2.grpc, ECHO, &[("grpc-encoding", "gzip")], &[(true, gzip(&encode(&blob("a", 1))))]).await;
    assert_eq!((r.status().code(), r.header("grpc-accept-encoding")), (tonic::Code::Unimplemented, Some("identity")));
    app2.running.stop().await.unwrap();
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn grpc_zip_bomb_is_resource_exhausted_and_the_server_keeps_serving() {
    let app = start().await;
    // 5 MiB of `a` (over the default 4 MiB limit) in a few KB of gzip.
    let bomb = gzip(&encode(&blob(&"a".repeat(5 << 20), 1)));
    assert!(bomb.len() < 16 * 1024, "{} bytes", bomb.len());
    let r = raw_grpc(app.grpc, ECHO, &[("grpc-encoding", "gzip")], &[(true, bomb.clone())]).await;
    assert_eq!(r.status().code(), tonic::Code::ResourceExhausted, "{:?}", r.status());
    let err = r.error();
    assert_eq!((err.code(), err.reason()), (413, "PAYLOAD_TOO_LARGE"));
    assert!(err.message().contains("decompressing"), "{err:?}");

    // The second message of a stream: the handler's stream ends with the same error.
    let first = gzip(&encode(&blob("ok", 1)));
    let r = raw_grpc(app.grpc, JOIN, &[("grpc-encoding", "gzip")], &[(true, first), (true, bomb)]).await;
    let err = r.error();
    assert_eq!((r.status().code(), err.reason()), (tonic::Code::ResourceExhausted, "PAYLOAD_TOO_LARGE"));

    // A smaller limit counts the inflated size too, through the generated client.
    let app2 = start_with(|s| s.max_decoding_message_size(64 * 1024), |h| h, |g| g).await;
    let client = ZipGrpcClient::connect(format!("http://{}", app2.grpc))
        .await
        .unwrap()
        .send_compression(CompressionEncoding::Zstd);
    let err = client.echo(blob(&"b".repeat(100 * 1024), 1)).await.unwrap_err();
    assert_eq!((err.code(), err.reason()), (413, "PAYLOAD_TOO_LARGE"));
    assert_eq!(client.echo(blob("b", 2)).await.unwrap().text, "bb");
    app2.running.stop().await.unwrap();

    // And the server keeps serving.
    let ok = raw_grpc(app.grpc, ECHO, &[], &[(false, encode(&blob("still", 2)))]).await;
    assert_eq!(ok.blobs()[0].text, "stillstill");
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn grpc_streams_compress_each_message() {
    let app = start_with(|s| s, |h| h, |g| g.send_compression([CompressionEncoding::Gzip])).await;
    // A server stream: every message flagged and gzipped on its own.
    let r =
        raw_grpc(app.grpc, CHUNKS, &[("grpc-accept-encoding", "gzip")], &[(false, encode(&blob(&"z".repeat(512), 3)))])
            .await;
    assert_eq!(r.status().code(), tonic::Code::Ok, "{:?}", r.status());
    assert_eq!(r.header("grpc-encoding"), Some("gzip"));
    assert_eq!(r.messages.iter().map(|m| m.0).collect::<Vec<_>>(), [1, 1, 1]);
    assert_eq!(r.blobs().iter().map(|b| b.repeat).collect::<Vec<_>>(), [1, 2, 3]);

    // A client stream of gzipped messages, each on its own.
    let frames: Vec<_> = ["ab", "cd", "ef"].iter().map(|t| (true, gzip(&encode(&blob(t, 1))))).collect();
    let r = raw_grpc(app.grpc, JOIN, &[("grpc-encoding", "gzip")], &frames).await;
    assert_eq!(r.blobs()[0].text, "abcdef");

    // The generated client both ways, on every streaming shape.
    let url = format!("http://{}", app.grpc);
    for encoding in [CompressionEncoding::Gzip, CompressionEncoding::Zstd] {
        let client = ZipGrpcClient::connect(url.clone()).await.unwrap().send_compression(encoding);
        let name = encoding.to_string();
        let mut chunks = client.chunks(blob(&"c".repeat(300), 4)).await.unwrap();
        let mut got = Vec::new();
        while let Some(b) = chunks.next().await {
            let b = b.unwrap();
            assert_eq!((b.text.len(), b.seen_encoding.as_str()), (300, name.as_str()));
            got.push(b.repeat);
        }
        assert_eq!(got, [1, 2, 3, 4]);
        let input = || bia::stream::iter(["x".repeat(200), "y".repeat(200)].map(|t| Ok(blob(&t, 1))));
        let joined = client.join(Streaming::new(input())).await.unwrap();
        assert_eq!((joined.text.len(), joined.seen_encoding.as_str()), (400, name.as_str()));
        let shout = client.shout(Streaming::new(input())).await.unwrap();
        let texts: Vec<String> = shout.map(|b| b.unwrap().text).collect().await;
        assert_eq!(texts, ["X".repeat(200), "Y".repeat(200)]);
    }
    app.running.stop().await.unwrap();
}

// --- HTTP -------------------------------------------------------------------

fn echo_body(text: &str, repeat: i32) -> String {
    serde_json::json!({"text": text, "repeat": repeat}).to_string()
}

#[tokio::test]
async fn http_replies_are_compressed_by_accept_encoding_above_the_threshold() {
    let app = start().await;
    let url = format!("{}/v1/echo", app.http_url());
    // 2 KiB of JSON: compressed in what the client accepts.
    let big = echo_body("abcd", 512);
    let r = raw::http_with("POST", &url, &[("accept-encoding", "gzip")], big.clone()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("vary"), Some("accept-encoding"));
    assert_eq!(r.header("content-length"), None);
    let json: Value = serde_json::from_slice(&gunzip(&r.body)).unwrap();
    assert_eq!(json["text"].as_str().unwrap().len(), 2048);
    assert_eq!(json["seenAccept"], "gzip");
    for encoding in ["br", "zstd"] {
        let r = raw::http_with("POST", &url, &[("accept-encoding", encoding)], big.clone()).await;
        assert_eq!(r.header("content-encoding"), Some(encoding));
        assert!(r.body.len() < 200, "{} bytes", r.body.len());
    }
    let r = raw::http_with("POST", &url, &[("accept-encoding", "zstd")], big.clone()).await;
    let json: Value = serde_json::from_slice(&zstd::decode_all(&r.body[..]).unwrap()).unwrap();
    assert_eq!(json["text"].as_str().unwrap().len(), 2048);

    // Under 1 KiB, or a client that asks for nothing: as it is.
    let r = raw::http_with("POST", &url, &[("accept-encoding", "gzip")], echo_body("abcd", 10)).await;
    assert_eq!((r.status, r.header("content-encoding")), (200, None));
    let r = raw::http("POST", &url, big.clone()).await;
    assert_eq!((r.header("content-encoding"), r.header("vary")), (None, None));
    assert_eq!(r.json()["text"].as_str().unwrap().len(), 2048);
    // Errors and the server's own routes go through it too (and stay small).
    let r = raw::http_with("GET", &format!("{}/nowhere", app.http_url()), &[("accept-encoding", "gzip")], "").await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (404, Some("NOT_FOUND")));
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn http_compression_settings_and_default_off() {
    // Off by default: nothing compressed, a compressed body is not read as one.
    let app = start_with(|s| s, |h| h, |g| g).await;
    let url = format!("{}/v1/echo", app.http_url());
    let r = raw::http_with("POST", &url, &[("accept-encoding", "gzip")], echo_body("abcd", 512)).await;
    assert_eq!((r.status, r.header("content-encoding")), (200, None));
    let r = raw::http_with("POST", &url, &[("content-encoding", "gzip")], gzip(echo_body("a", 1).as_bytes())).await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (400, Some("CODEC")));
    app.running.stop().await.unwrap();

    // gzip off and a threshold of 0: br is chosen, and small replies too.
    let app = start_with(|s| s, |h| h.compression(Compression::new().gzip(false).min_size(0)), |g| g).await;
    let url = format!("{}/v1/echo", app.http_url());
    let r = raw::http_with("POST", &url, &[("accept-encoding", "gzip, br")], echo_body("a", 1)).await;
    assert_eq!(r.header("content-encoding"), Some("br"));
    let r = raw::http_with("POST", &url, &[("accept-encoding", "gzip")], echo_body("a", 1)).await;
    assert_eq!(r.header("content-encoding"), None);
    // A gzip body is not taken either: 415 naming what is.
    let r = raw::http_with("POST", &url, &[("content-encoding", "gzip")], gzip(echo_body("a", 1).as_bytes())).await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (415, Some("UNSUPPORTED_ENCODING")));
    assert_eq!(r.header("accept-encoding"), Some("br,zstd,identity"));
    app.running.stop().await.unwrap();

    // Replies only: every compressed body is refused.
    let app = start_with(|s| s, |h| h.compression(Compression::new().requests(false)), |g| g).await;
    let url = format!("{}/v1/echo", app.http_url());
    let r =
        raw::http_with("POST", &url, &[("content-encoding", "zstd")], zstd::encode_all(&b"{}"[..], 3).unwrap()).await;
    assert_eq!((r.status, r.header("accept-encoding")), (415, Some("identity")));
    let r = raw::http_with("POST", &url, &[("content-encoding", "identity")], echo_body("a", 1)).await;
    assert_eq!(r.status, 200);
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn http_compressed_request_bodies_within_the_same_limit() {
    let app = start_with(|s| s.max_body_size(64 * 1024), |h| h.compression(Compression::new()), |g| g).await;
    let url = format!("{}/v1/echo", app.http_url());
    let body = echo_body(&"q".repeat(10_000), 1);
    let r = raw::http_with("POST", &url, &[("content-encoding", "gzip")], gzip(body.as_bytes())).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["text"].as_str().unwrap().len(), 10_000);
    let r =
        raw::http_with("POST", &url, &[("content-encoding", "zstd")], zstd::encode_all(body.as_bytes(), 3).unwrap())
            .await;
    assert_eq!(r.json()["text"].as_str().unwrap().len(), 10_000);

    // Inflating past the limit: 413 with the Bia body while it inflates.
    let bomb = gzip(echo_body(&"a".repeat(5 << 20), 1).as_bytes());
    assert!(bomb.len() < 16 * 1024);
    let started = Instant::now();
    let r = raw::http_with("POST", &url, &[("content-encoding", "gzip")], bomb.clone()).await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (413, Some("PAYLOAD_TOO_LARGE")), "{}", r.text());
    assert!(started.elapsed() < Duration::from_secs(5));

    // Not gzip at all: 400, not a 500.
    let r = raw::http_with("POST", &url, &[("content-encoding", "gzip")], "{\"text\":\"x\"}").await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (400, Some("CODEC")));
    // Unknown encodings: 415 with the Bia body and what is accepted.
    let r = raw::http_with("POST", &url, &[("content-encoding", "snappy")], "x").await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (415, Some("UNSUPPORTED_ENCODING")));
    assert_eq!(r.header("accept-encoding"), Some("gzip,br,zstd,identity"));

    // The server keeps serving; the default limit (4 MiB) holds as well.
    let r = raw::http("POST", &url, echo_body("fine", 1)).await;
    assert_eq!(r.json()["text"], "fine");
    app.running.stop().await.unwrap();
    let app = start().await;
    let r = raw::http_with("POST", &format!("{}/v1/echo", app.http_url()), &[("content-encoding", "gzip")], bomb).await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (413, Some("PAYLOAD_TOO_LARGE")));
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn http_client_asks_for_compressed_replies_and_decodes_them() {
    // The `Content-Encoding` of each reply, as it leaves the server.
    let sent = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = std::sync::Arc::clone(&sent);
    let layer = tower::util::MapResponseLayer::new(move |res: axum::response::Response| {
        let encoding = res.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_owned());
        record.lock().unwrap().push(encoding.unwrap_or_default());
        res
    });
    let app = start_with(|s| s, |h| h.compression(Compression::new()).layer(layer), |g| g).await;
    let client = ZipHttpClient::new(app.http_url()).unwrap();
    let rep = client.echo(blob("0123456789", 300)).await.unwrap();
    assert_eq!(rep.text.len(), 3000);
    assert_eq!(rep.seen_accept, "zstd,gzip,br");
    let off = ZipHttpClient::new(app.http_url()).unwrap().decompress(false);
    let rep = off.echo(blob("0123456789", 300)).await.unwrap();
    assert_eq!((rep.text.len(), rep.seen_accept.as_str()), (3000, ""));
    assert_eq!(*sent.lock().unwrap(), ["zstd", ""]);
    // An error body comes through it too.
    let err = client.echo(Blob { text: "x".repeat(5 << 20), ..Default::default() }).await.unwrap_err();
    assert_eq!((err.code(), err.reason()), (413, "PAYLOAD_TOO_LARGE"));
    app.running.stop().await.unwrap();
}

/// Opens `GET url` with `headers` and returns its reply headers, and the
/// time from the request to the first data frame and to the end.
async fn first_and_last(url: &str, headers: &[(&str, &str)]) -> (http::HeaderMap, String, Duration, Duration) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<Bytes>>();
    let mut req = http::Request::get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let started = Instant::now();
    let res = client.request(req.body(http_body_util::Empty::new()).unwrap()).await.unwrap();
    let (parts, mut body) = res.into_parts();
    let (mut first, mut text) = (None, String::new());
    while let Some(frame) = tokio::time::timeout(Duration::from_secs(10), body.frame()).await.expect("a frame in time")
    {
        if let Ok(data) = frame.unwrap().into_data() {
            // Heartbeat comments aside, the first message.
            if first.is_none() && data.windows(2).any(|w| w == b"{\"") {
                first = Some(started.elapsed());
            }
            text.push_str(&String::from_utf8_lossy(&data));
        }
    }
    (parts.headers, text, first.expect("a message"), started.elapsed())
}

#[tokio::test]
async fn http_streams_are_sent_uncompressed_and_promptly() {
    let app = start_with(|s| s, |h| h.compression(Compression::new().min_size(0)), |g| g).await;
    let url = format!("{}/v1/chunks/4?text={}&delay_ms=400", app.http_url(), "s".repeat(2000));
    for accept in [None, Some("application/x-ndjson")] {
        let mut headers = vec![("accept-encoding", "gzip, br, zstd")];
        headers.extend(accept.map(|a| ("accept", a)));
        let (head, text, first, end) = first_and_last(&url, &headers).await;
        let content_type = head.get("content-type").unwrap().to_str().unwrap();
        assert!(content_type.starts_with(accept.unwrap_or("text/event-stream")), "{content_type}");
        assert_eq!(head.get("content-encoding"), None, "{accept:?}");
        assert!(end >= Duration::from_millis(1600), "{end:?}");
        // The first message arrives when it is sent, not with the rest.
        assert!(first < end - Duration::from_millis(800), "first {first:?}, end {end:?}");
        assert_eq!(text.matches(&"s".repeat(2000)).count(), 4);
    }
    app.running.stop().await.unwrap();
}

#[tokio::test]
async fn http_websocket_upgrade_passes_through_compression() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
    use tokio_tungstenite::tungstenite::Message as Frame;
    let app = start().await;
    let mut req = format!("ws://{}/v1/join", app.http).into_client_request().unwrap();
    // What browsers send on every upgrade.
    req.headers_mut().insert("accept-encoding", http::HeaderValue::from_static("gzip, deflate, br, zstd"));
    let (mut ws, res) = tokio_tungstenite::connect_async(req).await.expect("WebSocket");
    assert_eq!(res.status(), 101);
    for text in [r#"{"text":"a"}"#, r#"{"text":"b"}"#, ""] {
        ws.send(Frame::text(text)).await.unwrap();
    }
    let reply = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.unwrap().unwrap().unwrap();
    let reply: Value = serde_json::from_str(reply.into_text().unwrap().as_str()).unwrap();
    assert_eq!(reply["result"]["text"], "ab");
    app.running.stop().await.unwrap();
}

// --- Interop ----------------------------------------------------------------

/// Whether an external program may be missing: skip (saying so), unless
/// `BIA_REQUIRE_EXTERNAL=1`, where it fails.
fn skip(msg: &str) -> bool {
    if std::env::var("BIA_REQUIRE_EXTERNAL").as_deref() == Ok("1") {
        panic!("BIA_REQUIRE_EXTERNAL=1: {msg}");
    }
    eprintln!("skipping a compression interop test: {msg}");
    true
}

fn runs(program: &str, args: &[&str]) -> bool {
    std::process::Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test]
async fn python_grpcio_gzip_calls_bia() {
    if !runs("python3", &["-c", "import grpc, grpc_reflection, google.protobuf"])
        && skip("python3 with grpcio grpcio-reflection protobuf is not installed")
    {
        return;
    }
    let app = start_with(|s| s, |h| h, |g| g.send_compression([CompressionEncoding::Gzip])).await;
    let script = format!("{}/interop/compression_client.py", env!("CARGO_MANIFEST_DIR"));
    let child = tokio::process::Command::new("python3")
        .arg(script)
        .arg(app.grpc.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn python3");
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output()).await.unwrap().unwrap();
    assert!(out.status.success(), "python client failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON from the Python client");
    assert_eq!(v["echo"], serde_json::json!({"seen_encoding": "gzip", "len": 4000}), "{v}");
    assert!(v["echo_accept"].as_str().unwrap().contains("gzip"), "{v}");
    assert_eq!(v["chunks"], serde_json::json!([["gzip", 1], ["gzip", 2], ["gzip", 3]]));
    assert_eq!(v["shout"], serde_json::json!([["gzip", "AAA"], ["gzip", "BBB"]]));
    assert_eq!(v["join"], serde_json::json!({"seen_encoding": "gzip", "text": "xyz"}));
    assert_eq!(v["bomb"]["code"], "RESOURCE_EXHAUSTED", "{v}");
    assert_eq!(v["after_bomb"], "okok");
    app.running.stop().await.unwrap();
}

async fn curl(args: &[&str]) -> std::process::Output {
    let child = tokio::process::Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn curl");
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success(), "curl failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

#[tokio::test]
async fn curl_compressed_replies_and_a_gzip_body() {
    if !runs("curl", &["--version"]) && skip("curl is not installed") {
        return;
    }
    let app = start().await;
    let url = format!("{}/v1/echo", app.http_url());
    let dir = std::env::temp_dir().join(format!("bia-compression-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let headers = dir.join("headers");
    let headers_arg = headers.to_str().unwrap();

    // --compressed: curl asks for every encoding it has, and decodes.
    let body = echo_body("curl ", 1000);
    let out =
        curl(&["--compressed", "-D", headers_arg, "-H", "content-type: application/json", "--data", &body, &url]).await;
    let head = std::fs::read_to_string(&headers).unwrap().to_ascii_lowercase();
    let encoding = head.lines().find_map(|l| l.strip_prefix("content-encoding: ")).map(str::trim).unwrap_or("");
    assert!(["gzip", "br", "zstd"].contains(&encoding), "{head}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["text"].as_str().unwrap().len(), 5000);

    // A gzip file as the body.
    let file = dir.join("body.json.gz");
    std::fs::write(&file, gzip(echo_body("from a file", 2).as_bytes())).unwrap();
    let data = format!("@{}", file.to_str().unwrap());
    let out = curl(&[
        "-D",
        headers_arg,
        "-H",
        "content-type: application/json",
        "-H",
        "Content-Encoding: gzip",
        "--data-binary",
        &data,
        &url,
    ])
    .await;
    let head = std::fs::read_to_string(&headers).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["text"], "from a filefrom a file");
    let _ = std::fs::remove_dir_all(&dir);
    app.running.stop().await.unwrap();
}
