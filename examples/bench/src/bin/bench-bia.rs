//! The bia server of the benchmark: `bench-bia HTTP_ADDR GRPC_ADDR`
//! (the address it does not serve is ignored). Stops on SIGINT/SIGTERM.
//! With `BIA_BENCH_STACK=default` it runs the user-service's default
//! middleware (recovery, tracing, logging, metrics, validation).

#[tokio::main]
async fn main() {
    let (http, grpc) = bia_bench::server_addrs("bench-bia");
    let (app, _log) = match std::env::var("BIA_BENCH_STACK").as_deref() {
        Ok("default") => {
            let (app, log) = bia_bench::with_bia::app_with_default_stack(http, grpc, "info").expect("default stack");
            (app, Some(log))
        }
        _ => (bia_bench::with_bia::app(http, grpc), None),
    };
    app.run().await.expect("serve");
}
