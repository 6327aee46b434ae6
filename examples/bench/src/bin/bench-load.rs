//! `bench-load CASE BASE N C`: N checked requests of CASE at concurrency C.
//! Cases: http-get http-post http-404 grpc-get grpc-create grpc-404.

use bia_bench::load::{run, Case};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: bench-load CASE BASE N C   (CASE: http-get http-post http-404 grpc-get grpc-create grpc-404)";
    let (Some(case), Some(base), Some(n), Some(c)) = (
        args.first().and_then(|s| Case::parse(s)),
        args.get(1),
        args.get(2).and_then(|s| s.parse().ok()),
        args.get(3).and_then(|s| s.parse().ok()),
    ) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    match run(case, base, n, c).await {
        Ok(o) => println!("{} requests in {:?}", o.requests, o.elapsed),
        Err(e) => {
            eprintln!("bench-load: {e}");
            std::process::exit(1);
        }
    }
}
