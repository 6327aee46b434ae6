//! `cargo run -p helloworld`: HTTP on :8000, gRPC on :9000.
//!
//! ```text
//! curl http://127.0.0.1:8000/helloworld/kratos
//! grpcurl -plaintext -d '{"name":"kratos"}' 127.0.0.1:9000 helloworld.v1.Greeter/SayHello
//! ```

#[tokio::main]
async fn main() -> Result<(), bia::Error> {
    helloworld::app(([0, 0, 0, 0], 8000).into(), ([0, 0, 0, 0], 9000).into()).run().await
}
