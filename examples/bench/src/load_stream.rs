//! The load client of the streaming cases: `n` messages over `c` streams,
//! every message checked (its number in order, its text), and optionally a
//! slow reader that samples the server's memory as it goes.

use std::time::{Duration, Instant};

use bytes::{Buf as _, BytesMut};
use futures_util::StreamExt as _;
use http_body_util::{BodyExt as _, Empty};

use crate::load::{Case, Outcome};
use crate::raw_tonic::{Tick, TickRequest};

/// A reader slower than the server: it sleeps 1 ms every 100 messages and
/// reads the server's resident memory (`/proc/PID/status`) after the first
/// 10,000 messages and every 50,000 after.
#[derive(Debug)]
pub struct SlowReader {
    /// The server's process id.
    pub pid: u32,
    /// RSS after the first 10,000 messages, KiB.
    pub at_10k: Option<u64>,
    /// The highest RSS seen after that, KiB.
    pub max: u64,
    /// The last sample, KiB.
    pub last: u64,
}

impl SlowReader {
    /// A slow reader of server `pid`.
    pub fn new(pid: u32) -> Self {
        Self { pid, at_10k: None, max: 0, last: 0 }
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    async fn on_message(&mut self, i: u64) {
        if i.is_multiple_of(100) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        if i == 10_000 || (i > 10_000 && i.is_multiple_of(50_000)) {
            let rss = self.rss_kib();
            self.last = rss;
            if i == 10_000 {
                self.at_10k = Some(rss);
            }
            self.max = self.max.max(rss);
        }
    }
}

/// Checks one tick: the `want`th, with its text.
fn check(case: Case, tick: &Tick, want: u64) -> Result<(), String> {
    if u64::from(tick.n) != want || tick.text != "tick" {
        return Err(format!("{}: message {want} was {tick:?}", case.name()));
    }
    Ok(())
}

/// One stream of `count` messages.
async fn one(
    case: Case,
    base: &str,
    channel: Option<tonic::transport::Channel>,
    count: u32,
    mut slow: Option<&mut SlowReader>,
) -> Result<String, String> {
    let mut got: u64 = 0;
    let mut sample = String::new();
    match case {
        Case::GrpcStream | Case::GrpcEcho => {
            let mut grpc = tonic::client::Grpc::new(channel.expect("a channel for gRPC"));
            grpc.ready().await.map_err(|e| e.to_string())?;
            let mut replies = if case == Case::GrpcStream {
                let path = http::uri::PathAndQuery::from_static("/bench.v1.Ticks/Stream");
                let codec = tonic_prost::ProstCodec::<TickRequest, Tick>::default();
                grpc.server_streaming(tonic::Request::new(TickRequest { count }), path, codec).await
            } else {
                let path = http::uri::PathAndQuery::from_static("/bench.v1.Ticks/Echo");
                let out = futures_util::stream::iter((1..=count).map(|n| Tick { n, text: "tick".to_owned() }));
                let codec = tonic_prost::ProstCodec::<Tick, Tick>::default();
                grpc.streaming(tonic::Request::new(out), path, codec).await
            }
            .map_err(|s| format!("{}: {s:?}", case.name()))?
            .into_inner();
            while let Some(tick) = replies.message().await.map_err(|s| format!("{}: {s:?}", case.name()))? {
                got += 1;
                check(case, &tick, got)?;
                if sample.is_empty() {
                    sample = format!("{tick:?}");
                }
                if let Some(slow) = slow.as_deref_mut() {
                    slow.on_message(got).await;
                }
            }
        }
        _ => {
            let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<Empty<bytes::Bytes>>();
            let req = http::Request::get(format!("{base}/v1/ticks/{count}"))
                .header("accept", "text/event-stream")
                .body(Empty::new())
                .map_err(|e| e.to_string())?;
            let res = client.request(req).await.map_err(|e| format!("{}: {e}", case.name()))?;
            if res.status() != 200 {
                return Err(format!("{}: status {}", case.name(), res.status()));
            }
            let mut body = res.into_body().into_data_stream();
            let mut buf = BytesMut::new();
            while let Some(chunk) = body.next().await {
                buf.extend_from_slice(&chunk.map_err(|e| e.to_string())?);
                // Whole events only: each ends with an empty line.
                while let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
                    let event = buf.split_to(end + 2);
                    for line in event[..end].split(|b| *b == b'\n') {
                        if line.starts_with(b":") || line.is_empty() {
                            continue;
                        }
                        let Some(data) = line.strip_prefix(b"data: ") else {
                            return Err(format!("{}: unexpected line {}", case.name(), String::from_utf8_lossy(line)));
                        };
                        let tick: SseTick = serde_json::from_slice(data).map_err(|e| format!("{e}: {data:?}"))?;
                        got += 1;
                        check(case, &Tick { n: tick.n, text: tick.text }, got)?;
                        if sample.is_empty() {
                            sample = String::from_utf8_lossy(data).into_owned();
                        }
                        if let Some(slow) = slow.as_deref_mut() {
                            slow.on_message(got).await;
                        }
                    }
                }
            }
            if buf.has_remaining() && !buf.iter().all(u8::is_ascii_whitespace) {
                return Err(format!("{}: a partial event at the end", case.name()));
            }
        }
    }
    if got != u64::from(count) {
        return Err(format!("{}: {got} of {count} messages", case.name()));
    }
    Ok(sample)
}

#[derive(serde::Deserialize)]
struct SseTick {
    n: u32,
    text: String,
}

/// Sends `n` messages of the streaming `case` over `c` streams at once (the
/// first `slow` reads slowly when given); fails on the first unexpected one.
pub async fn run(case: Case, base: &str, n: u64, c: u64, slow: Option<&mut SlowReader>) -> Result<Outcome, String> {
    let started = Instant::now();
    let c = c.max(1);
    let channel = if case.is_grpc() {
        let channel = tonic::transport::Endpoint::from_shared(base.to_owned())
            .map_err(|e| e.to_string())?
            .connect()
            .await
            .map_err(|e| format!("connect {base}: {e}"))?;
        Some(channel)
    } else {
        None
    };
    let per = |i: u64| u32::try_from(n / c + u64::from(i < n % c)).map_err(|_| "too many messages".to_owned());
    let mut others = tokio::task::JoinSet::new();
    for i in 1..c {
        let (count, base, channel) = (per(i)?, base.to_owned(), channel.clone());
        others.spawn(async move { one(case, &base, channel, count, None).await });
    }
    let sample = one(case, base, channel, per(0)?, slow).await?;
    while let Some(res) = others.join_next().await {
        res.map_err(|e| e.to_string())??;
    }
    Ok(Outcome { requests: n, elapsed: started.elapsed(), sample })
}
