//! Deadlines: the server's timeout on both transports, and the client's
//! `grpc-timeout`, end a slow call with 504 / `DeadlineExceeded`, reason
//! `TIMEOUT`, and the error body; fast calls are untouched.

use std::time::{Duration, Instant};

use bia::transport::grpc::GrpcServer;
use bia::transport::http::HttpServer;

#[bia::message(package = "slow.v1")]
pub struct SleepRequest {
    pub millis: u64,
}

#[bia::message(package = "slow.v1")]
pub struct SleepReply {
    pub slept: u64,
}

#[bia::service(package = "slow.v1")]
pub trait Slow: Send + Sync + 'static {
    #[rpc(get = "/v1/sleep/<millis>")]
    async fn sleep(&self, req: SleepRequest) -> bia::Result<SleepReply>;
}

struct Sleeper;

impl Slow for Sleeper {
    async fn sleep(&self, req: SleepRequest) -> bia::Result<SleepReply> {
        tokio::time::sleep(Duration::from_millis(req.millis)).await;
        Ok(SleepReply { slept: req.millis })
    }
}

async fn start(timeout: Duration) -> bia::Running {
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    bia::App::new("slow")
        .http(HttpServer::new(any).timeout(timeout).service(SlowServer::new(Sleeper)))
        .grpc(GrpcServer::new(any).timeout(timeout).service(SlowServer::new(Sleeper)))
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_server_timeout_ends_slow_calls_on_both_transports() {
    let running = start(Duration::from_millis(300)).await;
    let http = SlowHttpClient::new(format!("http://{}", running.http_addrs()[0])).unwrap();
    let grpc = SlowGrpcClient::connect(format!("http://{}", running.grpc_addrs()[0])).await.unwrap();

    assert_eq!(http.sleep(SleepRequest { millis: 10 }).await.unwrap().slept, 10);
    assert_eq!(grpc.sleep(SleepRequest { millis: 10 }).await.unwrap().slept, 10);

    let started = Instant::now();
    let e1 = http.sleep(SleepRequest { millis: 5_000 }).await.unwrap_err();
    let e2 = grpc.sleep(SleepRequest { millis: 5_000 }).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(4), "the deadline did not cut the calls short");
    assert_eq!((e1.code(), e1.reason()), (504, "TIMEOUT"));
    assert_eq!(e1, e2);
    let raw = bia_tests::raw::http("GET", &format!("http://{}/v1/sleep/5000", running.http_addrs()[0]), "").await;
    assert_eq!(raw.status, 504);
    assert_eq!(raw.json()["reason"], "TIMEOUT");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn the_clients_grpc_timeout_is_honoured() {
    // Sent raw over HTTP/2, so only the server enforces the deadline (a tonic
    // client would also time out on its own side and race the server).
    use http_body_util::{BodyExt as _, Full};
    let running = start(Duration::from_secs(30)).await;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .http2_only(true)
        .build_http::<Full<bytes::Bytes>>();
    let msg = prost::Message::encode_to_vec(&SleepRequest { millis: 5_000 });
    let mut frame = vec![0u8];
    frame.extend((msg.len() as u32).to_be_bytes());
    frame.extend(msg);
    let req = http::Request::post(format!("http://{}/slow.v1.Slow/Sleep", running.grpc_addrs()[0]))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("grpc-timeout", "200m")
        .body(Full::new(bytes::Bytes::from(frame)))
        .unwrap();
    let started = Instant::now();
    let res = tokio::time::timeout(Duration::from_secs(10), client.request(req)).await.unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(4));
    let headers = res.headers().clone();
    let trailers = res.into_body().collect().await.unwrap().trailers().cloned().unwrap_or_default();
    let status = headers.get("grpc-status").or_else(|| trailers.get("grpc-status")).expect("grpc-status");
    assert_eq!(status, "4", "DeadlineExceeded");
    let message = headers.get("grpc-message").or_else(|| trailers.get("grpc-message")).unwrap();
    assert!(message.to_str().unwrap().contains("deadline"), "{message:?}");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn stopping_flips_health_and_readiness_and_drains_in_flight_calls() {
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let running = bia::App::new("drain")
        .drain_delay(Duration::from_millis(400))
        .http(HttpServer::new(any).service(SlowServer::new(Sleeper)))
        .grpc(GrpcServer::new(any).service(SlowServer::new(Sleeper)))
        .start()
        .await
        .unwrap();
    assert!(
        running.info().endpoints.iter().any(|e| e.starts_with("grpc://127.0.0.1:")),
        "{:?}",
        running.info().endpoints
    );
    let url = format!("http://{}", running.grpc_addrs()[0]);
    let channel = tonic::transport::Endpoint::from_shared(url).unwrap().connect().await.unwrap();
    let grpc = SlowGrpcClient::new(channel.clone());
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let check = tonic_health::pb::HealthCheckRequest { service: String::new() };
    let serving = tonic_health::pb::health_check_response::ServingStatus::Serving as i32;
    assert_eq!(health.check(check.clone()).await.unwrap().into_inner().status, serving);
    let readyz = format!("http://{}/readyz", running.http_addrs()[0]);
    assert_eq!(bia_tests::raw::http("GET", &readyz, "").await.status, 200);

    let slow = tokio::spawn(async move { grpc.sleep(SleepRequest { millis: 800 }).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopping = tokio::spawn(running.stop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    // During the drain delay health says NOT_SERVING and readiness is false.
    let status = health.check(check).await.map(|r| r.into_inner().status);
    assert_eq!(status.ok(), Some(tonic_health::pb::health_check_response::ServingStatus::NotServing as i32));
    assert_eq!(bia_tests::raw::http("GET", &readyz, "").await.status, 503);
    assert_eq!(slow.await.unwrap().unwrap().slept, 800, "the in-flight call completes");
    stopping.await.unwrap().unwrap();
}

#[tokio::test]
async fn the_stop_timeout_ends_calls_that_outlive_it_with_unavailable_on_both_transports() {
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let running = bia::App::new("forced")
        .stop_timeout(Duration::from_millis(300))
        .http(HttpServer::new(any).service(SlowServer::new(Sleeper)))
        .grpc(GrpcServer::new(any).service(SlowServer::new(Sleeper)))
        .start()
        .await
        .unwrap();
    let grpc = SlowGrpcClient::connect(format!("http://{}", running.grpc_addrs()[0])).await.unwrap();
    let http = SlowHttpClient::new(format!("http://{}", running.http_addrs()[0])).unwrap();
    let slow_grpc = tokio::spawn({
        let grpc = grpc.clone();
        async move { grpc.sleep(SleepRequest { millis: 30_000 }).await }
    });
    let slow_http = tokio::spawn({
        let http = http.clone();
        async move { http.sleep(SleepRequest { millis: 30_000 }).await }
    });
    // Within the stop timeout: these complete.
    let short_grpc = tokio::spawn(async move { grpc.sleep(SleepRequest { millis: 200 }).await });
    let short_http = tokio::spawn(async move { http.sleep(SleepRequest { millis: 200 }).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    running.stop().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(3), "stop waited past its timeout");
    assert_eq!(short_grpc.await.unwrap().unwrap().slept, 200);
    assert_eq!(short_http.await.unwrap().unwrap().slept, 200);
    for (transport, slow) in [("grpc", slow_grpc), ("http", slow_http)] {
        let res = tokio::time::timeout(Duration::from_secs(5), slow).await.expect("the call was not ended").unwrap();
        let e = res.expect_err("a call past the stop timeout is ended, not completed");
        // An answer, not a cut connection: 503 / Unavailable, reason STOPPING.
        assert_eq!((e.code(), e.reason()), (503, "STOPPING"), "{transport}: {e}");
    }
}

/// A front service whose handler calls the slow service through a client
/// with a long `Timeout`; it reports the `grpc-timeout` the slow side saw.
#[bia::message(package = "front.v1")]
pub struct RelayRequest {
    pub millis: u64,
}

#[bia::message(package = "front.v1")]
pub struct RelayReply {
    pub seen_timeout: String,
}

#[bia::service(package = "front.v1")]
pub trait Front: Send + Sync + 'static {
    async fn relay(&self, req: RelayRequest) -> bia::Result<RelayReply>;
}

/// Echoes the `grpc-timeout` it was called with.
#[bia::message(package = "probe.v1")]
pub struct Probe {
    pub grpc_timeout: String,
}

#[bia::service(package = "probe.v1")]
pub trait Prober: Send + Sync + 'static {
    async fn probe(&self, req: Probe) -> bia::Result<Probe>;
}

struct Seen;

impl Prober for Seen {
    async fn probe(&self, _: Probe) -> bia::Result<Probe> {
        let t = bia::context::with(|c| c.request_header("grpc-timeout").unwrap_or("").to_owned()).unwrap_or_default();
        Ok(Probe { grpc_timeout: t })
    }
}

struct Relay(ProberGrpcClient);

impl Front for Relay {
    async fn relay(&self, _: RelayRequest) -> bia::Result<RelayReply> {
        let seen = self.0.probe(Probe::default()).await?;
        Ok(RelayReply { seen_timeout: seen.grpc_timeout })
    }
}

#[tokio::test]
async fn a_handlers_client_timeout_keeps_within_the_server_calls_deadline() {
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let back = bia::App::new("back").grpc(GrpcServer::new(any).service(ProberServer::new(Seen))).start().await.unwrap();
    let client = ProberGrpcClient::connect(format!("http://{}", back.grpc_addrs()[0]))
        .await
        .unwrap()
        .middleware(bia::middleware::timeout::Timeout::new(Duration::from_secs(60)));
    let front = bia::App::new("front")
        .grpc(GrpcServer::new(any).timeout(Duration::from_millis(800)).service(FrontServer::new(Relay(client))))
        .start()
        .await
        .unwrap();
    let caller = FrontGrpcClient::connect(format!("http://{}", front.grpc_addrs()[0])).await.unwrap();
    let seen = caller.relay(RelayRequest::default()).await.unwrap().seen_timeout;
    let budget =
        bia::middleware::timeout::parse_grpc_timeout(&seen).unwrap_or_else(|| panic!("no grpc-timeout: {seen:?}"));
    assert!(budget <= Duration::from_millis(800), "the downstream budget {budget:?} exceeds the server's 800 ms");
    assert!(budget > Duration::from_millis(100), "{budget:?}");
    front.stop().await.unwrap();
    back.stop().await.unwrap();
}
