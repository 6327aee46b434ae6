//! The axum server of the benchmark: `bench-axum HTTP_ADDR GRPC_ADDR`
//! (the address it does not serve is ignored). Stops on SIGINT/SIGTERM.

#[tokio::main]
async fn main() {
    let args: Vec<std::net::SocketAddr> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (Some(&http), Some(&grpc)) = (args.first(), args.get(1)) else {
        eprintln!("usage: bench-axum HTTP_ADDR GRPC_ADDR");
        std::process::exit(2);
    };
    let _ = (http, grpc);
    bia_bench::raw_axum::serve(http, bia_bench::shutdown_signal()).await.expect("serve");
}
