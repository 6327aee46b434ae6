//! `bench-load CASE BASE N C`: N checked requests of CASE at concurrency C.
//! Cases: http-get http-post http-404 grpc-get grpc-create grpc-404, and the
//! streaming grpc-stream grpc-echo http-sse, where N counts messages and C
//! streams.
//!
//! `BENCH_SLOW_READER=PID` (streaming cases): the first stream reads slowly
//! and samples the resident memory of server PID; the figures are printed
//! as `rss_kib at_10k=.. max=.. last=..`.
//!
//! `bench-load soak HTTP_BASE GRPC_BASE`: the soak against the user-service
//! (`bia_bench::soak`), `SOAK_RATE` requests per second (200) for
//! `SOAK_SECS` (600) with `SOAK_IDLE` idle keep-alive connections (1000),
//! sampling the memory of `SOAK_PID`; prints a Markdown report and fails on
//! any unexpected reply.

use bia_bench::load::{run, Case};
use bia_bench::load_stream::{self, SlowReader};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("soak") {
        return soak(&args[1..]).await;
    }
    let usage = "usage: bench-load CASE BASE N C   (CASE: http-get http-post http-404 grpc-get grpc-create \
                 grpc-404 grpc-stream grpc-echo http-sse)";
    let (Some(case), Some(base), Some(n), Some(c)) = (
        args.first().and_then(|s| Case::parse(s)),
        args.get(1),
        args.get(2).and_then(|s| s.parse().ok()),
        args.get(3).and_then(|s| s.parse().ok()),
    ) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let mut slow = std::env::var("BENCH_SLOW_READER").ok().and_then(|p| p.parse().ok()).map(SlowReader::new);
    let res = match (&mut slow, case.is_stream()) {
        (Some(slow), true) => load_stream::run(case, base, n, c, Some(slow)).await,
        _ => run(case, base, n, c).await,
    };
    match res {
        Ok(o) => println!("{} requests in {:?}", o.requests, o.elapsed),
        Err(e) => {
            eprintln!("bench-load: {e}");
            std::process::exit(1);
        }
    }
    if let Some(s) = slow {
        println!("rss_kib at_10k={} max={} last={}", s.at_10k.unwrap_or(0), s.max, s.last);
    }
}

async fn soak(args: &[String]) {
    let env = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let (Some(http), Some(grpc)) = (args.first(), args.get(1)) else {
        eprintln!("usage: bench-load soak HTTP_BASE GRPC_BASE");
        std::process::exit(2);
    };
    let soak = bia_bench::soak::Soak {
        http: http.clone(),
        grpc: grpc.clone(),
        rate: env("SOAK_RATE", 200),
        duration: std::time::Duration::from_secs(env("SOAK_SECS", 600)),
        pid: std::env::var("SOAK_PID").ok().and_then(|p| p.parse().ok()),
        idle: env("SOAK_IDLE", 1000) as usize,
    };
    match bia_bench::soak::run(soak.clone()).await {
        Ok(report) => {
            print!("{}", bia_bench::soak::markdown(&report, &soak));
            if report.minutes.iter().any(|m| m.errors > 0) {
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("bench-load soak: {e}");
            std::process::exit(1);
        }
    }
}
