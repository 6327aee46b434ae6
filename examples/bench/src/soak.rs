//! The soak: the user-service (its default middleware, SQLite) under mixed
//! traffic on both transports at a fixed rate, every reply checked against
//! what its request should get, with latency percentiles, errors and the
//! server's resident memory per minute, and idle keep-alive connections held
//! open beside the traffic (`run.sh soak`).
//!
//! The mix, in a cycle of ten requests: a create over HTTP and over gRPC, three
//! reads of users created before (two over HTTP, one over gRPC), a page of
//! users on each transport, an unknown id on each (404 / `NOT_FOUND`), and a
//! bad input (an email that is not one over HTTP, an id that is not a UUID
//! over gRPC: 400 / `INVALID_ARGUMENT`). Requests start on a fixed schedule
//! (open loop), so a slow server meets more requests in flight, not fewer.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};

use crate::raw_tonic::{CreateUserRequest, GetUserRequest, UserInfo, UserReply};

/// `user.v1.ListUsersRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListUsersRequest {
    #[prost(int64, tag = "1")]
    pub page: i64,
    #[prost(int64, tag = "2")]
    pub page_size: i64,
}

/// `user.v1.ListUsersReply`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListUsersReply {
    #[prost(message, repeated, tag = "1")]
    pub users: Vec<UserInfo>,
    #[prost(int64, tag = "2")]
    pub total: i64,
}

/// What a soak runs.
#[derive(Debug, Clone)]
pub struct Soak {
    /// `http://127.0.0.1:PORT` of the HTTP server.
    pub http: String,
    /// `http://127.0.0.1:PORT` of the gRPC server.
    pub grpc: String,
    /// Requests started per second.
    pub rate: u64,
    /// How long.
    pub duration: Duration,
    /// The server's process, whose resident memory is sampled each minute.
    pub pid: Option<u32>,
    /// Idle HTTP/1.1 keep-alive connections held open throughout.
    pub idle: usize,
}

/// One minute of a soak.
#[derive(Debug, Default, Clone)]
pub struct Minute {
    pub requests: u64,
    pub errors: u64,
    /// Latencies in microseconds.
    latencies: Vec<u32>,
    /// The server's resident memory at the minute's end, KiB.
    pub rss_kib: Option<u64>,
}

impl Minute {
    /// The latency at `q` (0..=1) in milliseconds.
    pub fn percentile_ms(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let at = ((sorted.len() - 1) as f64 * q).round() as usize;
        f64::from(sorted[at]) / 1000.0
    }
}

/// What a soak saw.
#[derive(Debug, Default)]
pub struct Report {
    pub minutes: Vec<Minute>,
    /// The first few unexpected replies, for the log.
    pub first_errors: Vec<String>,
    /// Requests not started because too many were in flight.
    pub shed: u64,
    /// Idle connections still open at the end, of those opened.
    pub idle_open: (usize, usize),
}

/// Requests in flight at most; a start past it is counted as shed (an error).
const MAX_IN_FLIGHT: usize = 1024;

/// Runs the soak.
pub async fn run(soak: Soak) -> Result<Report, String> {
    let idle = hold_idle(&soak.http, soak.idle).await?;
    let channel = tonic::transport::Endpoint::from_shared(soak.grpc.clone())
        .map_err(|e| e.to_string())?
        .connect()
        .await
        .map_err(|e| format!("connect {}: {e}", soak.grpc))?;
    let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .pool_max_idle_per_host(64)
        .build_http::<Full<Bytes>>();
    let minutes = (soak.duration.as_secs() / 60).max(1) as usize;
    let stats = Arc::new(Mutex::new(Report { minutes: vec![Minute::default(); minutes], ..Report::default() }));
    let known: Arc<Mutex<Vec<String>>> = Arc::default();
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    let started = Instant::now();
    let period = Duration::from_secs_f64(1.0 / soak.rate.max(1) as f64);
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = tokio::task::JoinSet::new();
    let mut sampled = 0;
    for i in 0u64.. {
        ticks.tick().await;
        let elapsed = started.elapsed();
        if elapsed >= soak.duration {
            break;
        }
        let minute = ((elapsed.as_secs() / 60) as usize).min(minutes - 1);
        while sampled < minute {
            // A minute ended: the server's memory now.
            stats.lock().unwrap().minutes[sampled].rss_kib = soak.pid.and_then(rss_kib);
            sampled += 1;
        }
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            let mut s = stats.lock().unwrap();
            s.shed += 1;
            s.minutes[minute].errors += 1;
            continue;
        };
        let (http, channel, stats, known, base) =
            (http.clone(), channel.clone(), Arc::clone(&stats), Arc::clone(&known), soak.http.clone());
        tasks.spawn(async move {
            let t0 = Instant::now();
            let res = one(i, &http, channel, &base, &known).await;
            let micros = t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
            let mut s = stats.lock().unwrap();
            let m = &mut s.minutes[minute];
            m.requests += 1;
            m.latencies.push(micros);
            if let Err(e) = res {
                m.errors += 1;
                if s.first_errors.len() < 10 {
                    s.first_errors.push(e);
                }
            }
            drop(permit);
        });
        // Reap finished tasks now and then (the set would only grow).
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    let mut report = std::mem::take(&mut *stats.lock().unwrap());
    for m in report.minutes.iter_mut().skip(sampled) {
        m.rss_kib = soak.pid.and_then(rss_kib);
    }
    report.idle_open = (still_open(&idle), idle.len());
    Ok(report)
}

/// A v4-shaped id no user has.
fn unknown_id(i: u64) -> String {
    format!("00000000-0000-4000-8000-{i:012x}")
}

/// One request of the mix, checked.
async fn one(
    i: u64,
    http: &hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    channel: tonic::transport::Channel,
    base: &str,
    known: &Mutex<Vec<String>>,
) -> Result<(), String> {
    let pick = |i: u64| {
        let known = known.lock().unwrap();
        (!known.is_empty()).then(|| known[(i as usize * 7919) % known.len()].clone())
    };
    let remember = |id: String| {
        let mut known = known.lock().unwrap();
        if known.len() < 10_000 {
            known.push(id);
        }
    };
    let email = |i: u64| format!("soak-{}-{i}@example.com", std::process::id());
    match i % 10 {
        0 => {
            let body = format!(r#"{{"name":"soak {i}","email":"{}"}}"#, email(i));
            let (status, body) = http_call(http, "POST", &format!("{base}/v1/user"), body).await?;
            let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| format!("create: {e}: {body}"))?;
            match (status, v["user"]["id"].as_str()) {
                (200, Some(id)) => remember(id.to_owned()),
                _ => return Err(format!("HTTP create: {status} {body}")),
            }
        }
        1 => {
            let req = CreateUserRequest { name: format!("soak {i}"), email: email(i) };
            let rep: UserReply =
                grpc_call(channel, "/user.v1.User/CreateUser", req).await.map_err(|s| format!("gRPC create: {s:?}"))?;
            remember(rep.user.ok_or("gRPC create: no user")?.id);
        }
        2..=4 => {
            let Some(id) = pick(i) else { return Ok(()) };
            if i % 10 == 4 {
                let rep: UserReply = grpc_call(channel, "/user.v1.User/GetUser", GetUserRequest { id: id.clone() })
                    .await
                    .map_err(|s| format!("gRPC get: {s:?}"))?;
                if rep.user.map(|u| u.id) != Some(id.clone()) {
                    return Err(format!("gRPC get {id}: another user"));
                }
            } else {
                let (status, body) = http_call(http, "GET", &format!("{base}/v1/user/{id}"), String::new()).await?;
                if status != 200 || !body.contains(&id) {
                    return Err(format!("HTTP get {id}: {status} {body}"));
                }
            }
        }
        5 => {
            let (status, body) =
                http_call(http, "GET", &format!("{base}/v1/users?page=1&page_size=10"), String::new()).await?;
            if status != 200 || !body.contains("\"users\"") {
                return Err(format!("HTTP list: {status} {body}"));
            }
        }
        6 => {
            let rep: ListUsersReply =
                grpc_call(channel, "/user.v1.User/ListUsers", ListUsersRequest { page: 2, page_size: 5 })
                    .await
                    .map_err(|s| format!("gRPC list: {s:?}"))?;
            if rep.total < 1 {
                return Err(format!("gRPC list: {rep:?}"));
            }
        }
        7 => {
            let (status, body) =
                http_call(http, "GET", &format!("{base}/v1/user/{}", unknown_id(i)), String::new()).await?;
            if status != 404 || !body.contains("USER_NOT_FOUND") {
                return Err(format!("HTTP unknown user: {status} {body}"));
            }
        }
        8 => {
            let res: Result<UserReply, _> =
                grpc_call(channel, "/user.v1.User/GetUser", GetUserRequest { id: unknown_id(i) }).await;
            match res {
                Err(s) if s.code() == tonic::Code::NotFound => {}
                other => return Err(format!("gRPC unknown user: {other:?}")),
            }
        }
        _ => {
            if i % 20 == 9 {
                let body = format!(r#"{{"name":"bad {i}","email":"not an email"}}"#);
                let (status, body) = http_call(http, "POST", &format!("{base}/v1/user"), body).await?;
                if status != 400 || !body.contains("VALIDATOR") {
                    return Err(format!("HTTP bad email: {status} {body}"));
                }
            } else {
                let res: Result<UserReply, _> =
                    grpc_call(channel, "/user.v1.User/GetUser", GetUserRequest { id: "not-a-uuid".into() }).await;
                match res {
                    Err(s) if s.code() == tonic::Code::InvalidArgument => {}
                    other => return Err(format!("gRPC bad id: {other:?}")),
                }
            }
        }
    }
    Ok(())
}

async fn http_call(
    client: &hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    method: &str,
    url: &str,
    body: String,
) -> Result<(u16, String), String> {
    let req = http::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let res = client.request(req).await.map_err(|e| format!("{method} {url}: {e}"))?;
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

async fn grpc_call<Req, Rep>(
    channel: tonic::transport::Channel,
    path: &'static str,
    req: Req,
) -> Result<Rep, tonic::Status>
where
    Req: prost::Message + Send + Sync + 'static,
    Rep: prost::Message + Default + Send + Sync + 'static,
{
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let path = http::uri::PathAndQuery::from_static(path);
    grpc.unary(tonic::Request::new(req), path, tonic_prost::ProstCodec::default())
        .await
        .map(tonic::Response::into_inner)
}

/// Opens `n` HTTP/1.1 connections, one request on each so that each is an
/// established keep-alive connection, and keeps them idle.
async fn hold_idle(base: &str, n: usize) -> Result<Vec<tokio::net::TcpStream>, String> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let addr = base.trim_start_matches("http://").to_owned();
    let mut held = Vec::with_capacity(n);
    for i in 0..n {
        let mut s = tokio::net::TcpStream::connect(&addr).await.map_err(|e| format!("idle connection {i}: {e}"))?;
        s.write_all(b"GET /readyz HTTP/1.1\r\nhost: soak\r\n\r\n").await.map_err(|e| e.to_string())?;
        let mut buf = [0u8; 512];
        let got = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await;
        match got {
            Ok(Ok(n)) if buf[..n].starts_with(b"HTTP/1.1 200") => held.push(s),
            other => return Err(format!("idle connection {i}: no reply to its request ({other:?})")),
        }
    }
    Ok(held)
}

/// How many of `held` the server has not closed.
fn still_open(held: &[tokio::net::TcpStream]) -> usize {
    held.iter()
        .filter(|s| {
            let mut buf = [0u8; 1];
            // Would block: open and idle. 0 bytes or an error: closed.
            matches!(s.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
        })
        .count()
}

/// The resident memory of process `pid`, KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
}

/// The report as Markdown: one row per minute, then the verdicts.
pub fn markdown(report: &Report, soak: &Soak) -> String {
    let mut out = String::new();
    out.push_str("| minute | requests | errors | p50 (ms) | p99 (ms) | server RSS (KiB) |\n");
    out.push_str("| ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (i, m) in report.minutes.iter().enumerate() {
        out.push_str(&format!(
            "| {} | {} | {} | {:.2} | {:.2} | {} |\n",
            i + 1,
            m.requests,
            m.errors,
            m.percentile_ms(0.5),
            m.percentile_ms(0.99),
            m.rss_kib.map_or("-".to_owned(), |r| r.to_string())
        ));
    }
    let errors: u64 = report.minutes.iter().map(|m| m.errors).sum();
    let requests: u64 = report.minutes.iter().map(|m| m.requests).sum();
    out.push_str(&format!(
        "\n{requests} requests at {} per second over {:?}; unexpected replies: {errors} (shed: {}); idle keep-alive \
         connections still open at the end: {} of {}.\n",
        soak.rate, soak.duration, report.shed, report.idle_open.0, report.idle_open.1
    ));
    let rss: Vec<u64> = report.minutes.iter().filter_map(|m| m.rss_kib).collect();
    if let (Some(second), Some(last)) = (rss.get(1), rss.last()) {
        out.push_str(&format!(
            "RSS: second minute {second} KiB, last minute {last} KiB ({:+.1}%).\n",
            (*last as f64 / *second as f64 - 1.0) * 100.0
        ));
    }
    for e in &report.first_errors {
        out.push_str(&format!("- {e}\n"));
    }
    out
}
