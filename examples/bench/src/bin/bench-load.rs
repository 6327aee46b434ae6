//! `bench-load CASE BASE N C`: N checked requests of CASE at concurrency C.
//! Cases: http-get http-post http-404 grpc-get grpc-create grpc-404, and the
//! streaming grpc-stream grpc-echo http-sse, where N counts messages and C
//! streams.
//!
//! `BENCH_SLOW_READER=PID` (streaming cases): the first stream reads slowly
//! and samples the resident memory of server PID; the figures are printed
//! as `rss_kib at_10k=.. max=.. last=..`.

use bia_bench::load::{run, Case};
use bia_bench::load_stream::{self, SlowReader};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
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
