//! The load client: `n` requests of one case at concurrency `c`, every reply
//! checked, so a fast wrong server cannot win. Used by the callgrind measure
//! (server under valgrind, this client native) and by the smoke test.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};

use crate::raw_tonic::{CreateUserRequest, GetUserRequest, UserReply};

/// One kind of request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// `GET /v1/user/{id}`.
    HttpGet,
    /// `POST /v1/user` with a JSON body.
    HttpPost,
    /// `GET /v1/user/{id}` of an unknown id: 404.
    Http404,
    /// `user.v1.User/GetUser`.
    GrpcGet,
    /// `user.v1.User/CreateUser`.
    GrpcCreate,
    /// `GetUser` of an unknown id: NOT_FOUND.
    Grpc404,
    /// `bench.v1.Ticks/Stream`: one server stream of N ticks.
    GrpcStream,
    /// `bench.v1.Ticks/Echo`: N ticks echoed over one bidirectional stream.
    GrpcEcho,
    /// `GET /v1/ticks/{N}`: N ticks as server-sent events.
    HttpSse,
    /// `GetUser` over gRPC-Web (binary, HTTP/1.1): Bia only.
    GrpcWebGet,
    /// `GetUser` over the Connect protocol in protobuf (HTTP/1.1): Bia only.
    ConnectGet,
    /// `GetUser` over the Connect protocol in JSON (HTTP/1.1): Bia only.
    ConnectJson,
}

impl Case {
    /// Every case.
    pub const ALL: [Case; 6] =
        [Case::HttpGet, Case::HttpPost, Case::Http404, Case::GrpcGet, Case::GrpcCreate, Case::Grpc404];

    /// The streaming cases (N counts messages, C streams).
    pub const STREAMS: [Case; 3] = [Case::GrpcStream, Case::GrpcEcho, Case::HttpSse];

    /// The browser protocols of the gRPC server (no hand-written peer: measured
    /// on two ports against one).
    pub const BROWSER: [Case; 3] = [Case::GrpcWebGet, Case::ConnectGet, Case::ConnectJson];

    /// The case's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Case::HttpGet => "http-get",
            Case::HttpPost => "http-post",
            Case::Http404 => "http-404",
            Case::GrpcGet => "grpc-get",
            Case::GrpcCreate => "grpc-create",
            Case::Grpc404 => "grpc-404",
            Case::GrpcStream => "grpc-stream",
            Case::GrpcEcho => "grpc-echo",
            Case::HttpSse => "http-sse",
            Case::GrpcWebGet => "grpcweb-get",
            Case::ConnectGet => "connect-get",
            Case::ConnectJson => "connect-json",
        }
    }

    /// The case of a name.
    pub fn parse(s: &str) -> Option<Case> {
        Case::ALL.into_iter().chain(Case::STREAMS).chain(Case::BROWSER).find(|c| c.name() == s)
    }

    /// Whether the case is gRPC.
    pub fn is_grpc(self) -> bool {
        matches!(self, Case::GrpcGet | Case::GrpcCreate | Case::Grpc404 | Case::GrpcStream | Case::GrpcEcho)
    }

    /// Whether the case streams (N counts messages rather than requests).
    pub fn is_stream(self) -> bool {
        Case::STREAMS.contains(&self)
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Requests sent.
    pub requests: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// The first reply body (HTTP) or a debug view of it (gRPC), for comparing servers.
    pub sample: String,
}

fn id_of(i: u64) -> String {
    (i % crate::SEEDED + 1).to_string()
}

/// Sends `n` requests of `case` to `base` (`http://127.0.0.1:port`) with `c`
/// concurrent callers; fails on the first unexpected reply.
pub async fn run(case: Case, base: &str, n: u64, c: u64) -> Result<Outcome, String> {
    if case.is_stream() {
        return crate::load_stream::run(case, base, n, c, None).await;
    }
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let sample = Arc::new(std::sync::Mutex::new(String::new()));
    let mut tasks = tokio::task::JoinSet::new();
    if case.is_grpc() {
        let mut endpoint = tonic::transport::Endpoint::from_shared(base.to_owned()).map_err(|e| e.to_string())?;
        if let Some(ca) = crate::tls::client_ca() {
            let tls = tonic::transport::ClientTlsConfig::new()
                .ca_certificate(tonic::transport::Certificate::from_pem(ca))
                .domain_name("localhost");
            endpoint = endpoint.tls_config(tls).map_err(|e| e.to_string())?;
        }
        let channel = endpoint.connect().await.map_err(|e| format!("connect {base}: {e}"))?;
        for _ in 0..c.max(1) {
            let (channel, counter, sample) = (channel.clone(), Arc::clone(&counter), Arc::clone(&sample));
            tasks.spawn(async move {
                let mut grpc = tonic::client::Grpc::new(channel);
                loop {
                    let i = counter.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return Ok::<(), String>(());
                    }
                    grpc.ready().await.map_err(|e| e.to_string())?;
                    let res = match case {
                        Case::GrpcGet | Case::Grpc404 => {
                            let id = if case == Case::Grpc404 { format!("missing-{i}") } else { id_of(i) };
                            let path = http::uri::PathAndQuery::from_static("/user.v1.User/GetUser");
                            grpc.unary::<_, UserReply, _>(
                                tonic::Request::new(GetUserRequest { id }),
                                path,
                                tonic_prost::ProstCodec::default(),
                            )
                            .await
                        }
                        _ => {
                            let path = http::uri::PathAndQuery::from_static("/user.v1.User/CreateUser");
                            let req =
                                CreateUserRequest { name: format!("load-{i}"), email: format!("load-{i}@example.com") };
                            grpc.unary::<_, UserReply, _>(
                                tonic::Request::new(req),
                                path,
                                tonic_prost::ProstCodec::default(),
                            )
                            .await
                        }
                    };
                    match (case, res) {
                        (Case::Grpc404, Err(s)) if s.code() == tonic::Code::NotFound => {}
                        (Case::GrpcGet | Case::GrpcCreate, Ok(r)) if r.get_ref().user.is_some() => {
                            let mut s = sample.lock().expect("lock");
                            if s.is_empty() {
                                *s = format!("{:?}", r.get_ref());
                            }
                        }
                        (_, other) => return Err(format!("{}: unexpected reply {other:?}", case.name())),
                    }
                }
            });
        }
    } else {
        // Plain HTTP, or HTTPS (HTTP/1.1) trusting the benchmark's CA.
        let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(crate::tls::rustls_client(&crate::tls::client_ca().unwrap_or_default(), &[]))
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .pool_max_idle_per_host(c as usize)
            .build::<_, Full<Bytes>>(connector);
        for _ in 0..c.max(1) {
            let (client, counter, sample, base) =
                (client.clone(), Arc::clone(&counter), Arc::clone(&sample), base.to_owned());
            tasks.spawn(async move {
                loop {
                    let i = counter.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return Ok::<(), String>(());
                    }
                    if Case::BROWSER.contains(&case) {
                        let body = browser_call(&client, case, &base, i).await?;
                        let mut s = sample.lock().expect("lock");
                        if s.is_empty() {
                            *s = body;
                        }
                        continue;
                    }
                    let req = match case {
                        Case::HttpGet => {
                            http::Request::get(format!("{base}/v1/user/{}", id_of(i))).body(Full::default())
                        }
                        Case::Http404 => {
                            http::Request::get(format!("{base}/v1/user/missing-{i}")).body(Full::default())
                        }
                        _ => http::Request::post(format!("{base}/v1/user"))
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from(format!(
                                r#"{{"name":"load-{i}","email":"load-{i}@example.com"}}"#
                            )))),
                    }
                    .map_err(|e| e.to_string())?;
                    let res = client.request(req).await.map_err(|e| format!("{}: {e}", case.name()))?;
                    let status = res.status().as_u16();
                    let body = res.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
                    let want = if case == Case::Http404 { 404 } else { 200 };
                    if status != want
                        || !body.starts_with(if want == 200 { b"{\"user\":{\"id\":" } else { b"{\"code\":404," })
                    {
                        return Err(format!(
                            "{}: unexpected reply {status} {}",
                            case.name(),
                            String::from_utf8_lossy(&body)
                        ));
                    }
                    let mut s = sample.lock().expect("lock");
                    if s.is_empty() {
                        *s = String::from_utf8_lossy(&body).into_owned();
                    }
                }
            });
        }
    }
    while let Some(res) = tasks.join_next().await {
        res.map_err(|e| e.to_string())??;
    }
    let sample = sample.lock().expect("lock").clone();
    Ok(Outcome { requests: n, elapsed: started.elapsed(), sample })
}

/// One `GetUser` of a browser protocol of the gRPC server, checked: the
/// reply, for the sample.
async fn browser_call<C>(
    client: &hyper_util::client::legacy::Client<C, Full<Bytes>>,
    case: Case,
    base: &str,
    i: u64,
) -> Result<String, String>
where
    C: hyper_util::client::legacy::connect::Connect + Clone + Send + Sync + 'static,
{
    use prost::Message as _;
    let id = id_of(i);
    let framed = |msg: &[u8]| {
        let mut out = vec![0u8];
        out.extend_from_slice(&(msg.len() as u32).to_be_bytes());
        out.extend_from_slice(msg);
        out
    };
    let proto = GetUserRequest { id: id.clone() }.encode_to_vec();
    let (content_type, body) = match case {
        Case::GrpcWebGet => ("application/grpc-web+proto", framed(&proto)),
        Case::ConnectGet => ("application/proto", proto),
        _ => ("application/json", format!(r#"{{"id":"{id}"}}"#).into_bytes()),
    };
    let req = http::Request::post(format!("{base}/user.v1.User/GetUser"))
        .header("content-type", content_type)
        .header("x-grpc-web", "1")
        .header("connect-protocol-version", "1")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let res = client.request(req).await.map_err(|e| format!("{}: {e}", case.name()))?;
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    let bad = || format!("{}: unexpected reply {status} {:?}", case.name(), body);
    if status != 200 {
        return Err(bad());
    }
    let message = match case {
        Case::GrpcWebGet => {
            let len = body.get(1..5).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize).ok_or_else(bad)?;
            let trailer = body.get(5 + len..).ok_or_else(bad)?;
            if !trailer.starts_with(&[0x80]) || !String::from_utf8_lossy(trailer).contains("grpc-status:0") {
                return Err(bad());
            }
            body.slice(5..5 + len)
        }
        _ => body.clone(),
    };
    let user = match case {
        Case::ConnectJson => {
            let v: serde_json::Value = serde_json::from_slice(&message).map_err(|_| bad())?;
            v["user"]["id"].as_str().map(str::to_owned)
        }
        _ => UserReply::decode(message).ok().and_then(|r| r.user).map(|u| u.id),
    };
    if user.as_deref() != Some(id.as_str()) {
        return Err(bad());
    }
    Ok(format!("{}: user {id}", case.name()))
}
