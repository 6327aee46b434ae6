//! The axum server of the benchmark: `bench-axum HTTP_ADDR GRPC_ADDR`
//! (the address it does not serve is ignored). Stops on SIGINT/SIGTERM.

#[tokio::main]
async fn main() {
    let (http, _) = bia_bench::server_addrs("bench-axum");
    bia_bench::raw_axum::serve(http, bia_bench::shutdown_signal()).await.expect("serve");
}
