//! Connection hygiene on real sockets: a slowloris client is cut off after
//! the header read timeout, an idle keep-alive connection is closed, 2,000
//! half-open connections do not keep a normal client from being served, a
//! flood of HTTP/2 resets leaves the server serving, the cap on open
//! connections makes new ones wait instead of failing, and what hyper refuses
//! before any service sees it (a URI over its limit, a head over the buffer,
//! a request that is not HTTP) is answered with the error body.

use std::time::{Duration, Instant};

use bia::prelude::*;
use bia::transport::ConnectionLimits;
use helloworld::{GreeterHttpClient, GreeterServer, GreeterService, HelloRequest};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

async fn start(limits: ConnectionLimits) -> bia_tests::TestApp {
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let greeter = GreeterServer::new(GreeterService);
    let app = App::new("limits")
        .http(HttpServer::new(any).limits(limits.clone()).service(greeter.clone()))
        .grpc(GrpcServer::new(any).limits(limits).service(greeter));
    bia_tests::start(app).await
}

fn quick() -> ConnectionLimits {
    ConnectionLimits { header_read_timeout: Some(Duration::from_secs(1)), ..Default::default() }
}

/// Reads until the server closes; how long that took (`None`: not within `limit`).
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(limit.saturating_sub(start.elapsed()), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

async fn hello(app: &bia_tests::TestApp) -> String {
    let client = GreeterHttpClient::new(app.http_url()).unwrap();
    client.say_hello(HelloRequest { name: "ok".into() }).await.unwrap().message
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_client_is_cut_off_after_the_header_timeout() {
    let app = start(quick()).await;
    let mut slow = TcpStream::connect(app.http).await.unwrap();
    let start = Instant::now();
    // A byte every 200 ms: the head never completes in time.
    let writer = async {
        for b in b"GET /helloworld.Greeter/SayHello HTTP/1.1\r\nhost: x\r\nx-slow: ".iter() {
            if slow.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            if start.elapsed() > Duration::from_secs(5) {
                break;
            }
        }
    };
    writer.await;
    let waited = start.elapsed();
    let closed = closed_within(&mut slow, Duration::from_secs(2)).await;
    assert!(waited < Duration::from_secs(4) || closed.is_some(), "the connection outlived the header timeout");
    assert!(waited < Duration::from_secs(4), "writes kept succeeding for {waited:?}");
    assert_eq!(hello(&app).await, "Hello ok");
    app.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed() {
    let app = start(quick()).await;
    let mut conn = TcpStream::connect(app.http).await.unwrap();
    let body = r#"{"name":"idle"}"#;
    let req = format!(
        "POST /helloworld.Greeter/SayHello HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(req.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = conn.read(&mut buf).await.unwrap();
    // (Any answer: the connection has served a request and is now idle.)
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 "), "{}", String::from_utf8_lossy(&buf[..n]));
    // Then nothing: closed after about the header timeout (1 s, a quarter second coarse).
    let closed = closed_within(&mut conn, Duration::from_secs(5)).await.expect("closed while idle");
    assert!(closed >= Duration::from_millis(500), "closed too early: {closed:?}");
    app.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_half_open_connections_do_not_stop_a_normal_client() {
    let app = start(ConnectionLimits { header_read_timeout: Some(Duration::from_secs(3)), ..Default::default() }).await;
    let mut idle = Vec::with_capacity(2000);
    for i in 0..2000 {
        let mut s = TcpStream::connect(app.http).await.unwrap();
        if i % 2 == 0 {
            // Half a request line.
            let _ = s.write_all(b"GET /helloworld.Gre").await;
        }
        idle.push(s);
    }
    let start = Instant::now();
    assert_eq!(hello(&app).await, "Hello ok");
    assert!(start.elapsed() < Duration::from_secs(2), "served in {:?}", start.elapsed());
    // And the half-open ones are cut off by the header timeout.
    let mut first = idle.swap_remove(0);
    assert!(closed_within(&mut first, Duration::from_secs(6)).await.is_some());
    drop(idle);
    app.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_cap_makes_new_connections_wait() {
    let app = start(ConnectionLimits { max_connections: 2, ..quick() }).await;
    let mut held: Vec<TcpStream> = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(app.http).await.unwrap();
        s.write_all(b"GET /x HTTP/1.1\r\nho").await.unwrap();
        held.push(s);
    }
    // A third is accepted by the kernel but not served until one closes
    // (here: until the header timeout cuts the held ones off).
    let start = Instant::now();
    assert_eq!(hello(&app).await, "Hello ok");
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(500), "served at once: {waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    app.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_http2_resets_leaves_the_server_serving() {
    let app = start(ConnectionLimits::default()).await;
    // A raw h2 client: open streams and reset each at once, many times.
    let tcp = TcpStream::connect(app.grpc).await.unwrap();
    let (client, conn) = h2::client::handshake(tcp).await.unwrap();
    let conn = tokio::spawn(conn);
    let mut client = Some(client);
    let mut refused = false;
    for _ in 0..5000 {
        let Some(c) = client.take() else { break };
        let req = http::Request::post(format!("http://{}/helloworld.Greeter/SayHello", app.grpc))
            .header("content-type", "application/grpc")
            .body(())
            .unwrap();
        let mut c = match c.ready().await {
            Ok(c) => c,
            Err(_) => {
                refused = true;
                break;
            }
        };
        let sent = c.send_request(req, false);
        client = Some(c);
        match sent {
            Ok((_, mut stream)) => stream.send_reset(h2::Reason::CANCEL),
            Err(_) => {
                refused = true;
                break;
            }
        }
    }
    drop(client);
    let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
    // Whether or not this connection was closed for it, a new client is served.
    let _ = refused;
    let grpc = helloworld::GreeterGrpcClient::connect(app.grpc_url()).await.unwrap();
    assert_eq!(grpc.say_hello(HelloRequest { name: "after".into() }).await.unwrap().message, "Hello after");
    app.running.stop().await.unwrap();
}

/// Sends `request` on a new connection and reads the reply to its end (the
/// server closes after these replies): status, head, body.
async fn refused(app: &bia_tests::TestApp, request: &[u8]) -> (u16, String, serde_json::Value) {
    let mut stream = TcpStream::connect(app.http).await.unwrap();
    // The server may answer (and close) before it has read everything.
    let _ = stream.write_all(request).await;
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut reply)).await.expect("a reply");
    let text = String::from_utf8(reply).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no head: {text:?}"));
    let status = head[9..12].parse().unwrap();
    assert!(head.contains("content-type: application/json"), "{head}");
    assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
    (status, head.to_owned(), serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}")))
}

#[tokio::test]
async fn what_hyper_refuses_by_itself_has_the_error_body() {
    let app = start(ConnectionLimits { max_header_size: Some(100 * 1024), ..Default::default() }).await;

    let long_uri = format!("GET /{} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(70_000));
    let (status, _, body) = refused(&app, long_uri.as_bytes()).await;
    assert_eq!(
        (status, body["code"].as_u64(), body["reason"].as_str()),
        (414, Some(414), Some("URI_TOO_LONG")),
        "{body}"
    );

    let big_head = format!("GET / HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n", "b".repeat(150 * 1024));
    let (status, _, body) = refused(&app, big_head.as_bytes()).await;
    assert_eq!((status, body["reason"].as_str()), (431, Some("HEADERS_TOO_LARGE")), "{body}");

    let many: String = (0..150).map(|i| format!("x-h{i}: v\r\n")).collect();
    let (status, _, body) = refused(&app, format!("GET / HTTP/1.1\r\nhost: x\r\n{many}\r\n").as_bytes()).await;
    assert_eq!((status, body["reason"].as_str()), (431, Some("HEADERS_TOO_LARGE")), "{body}");

    let (status, _, body) = refused(&app, b"G@T / HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert_eq!((status, body["reason"].as_str()), (400, Some("MALFORMED_REQUEST")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("not HTTP/1.1"), "{body}");

    // And the server goes on serving.
    assert_eq!(hello(&app).await, "Hello ok");
}
