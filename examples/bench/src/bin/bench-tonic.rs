//! The tonic server of the benchmark: `bench-tonic HTTP_ADDR GRPC_ADDR`
//! (the address it does not serve is ignored). Stops on SIGINT/SIGTERM.

#[tokio::main]
async fn main() {
    let (_, grpc) = bia_bench::server_addrs("bench-tonic");
    bia_bench::raw_tonic::serve(grpc, bia_bench::shutdown_signal()).await.expect("serve");
}
