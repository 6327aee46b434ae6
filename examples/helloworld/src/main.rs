//! `cargo run -p helloworld`: HTTP on :8000, gRPC on :9000.
//!
//! ```text
//! curl http://127.0.0.1:8000/helloworld/kratos
//! grpcurl -plaintext -d '{"name":"kratos"}' 127.0.0.1:9000 helloworld.v1.Greeter/SayHello
//! cargo run -p helloworld -- proto ./proto     # export the .proto files
//! ```

use helloworld::GreeterServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("proto") => {
            let dir = args.get(1).map(String::as_str).unwrap_or("proto");
            GreeterServer::<()>::schema().write_proto_files(dir)?;
            println!("wrote the .proto files of helloworld.v1 under {dir}/");
            Ok(())
        }
        Some(other) => {
            Err(format!("unknown command `{other}`; run without arguments to serve, or `proto [DIR]`").into())
        }
        None => {
            helloworld::app(([0, 0, 0, 0], 8000).into(), ([0, 0, 0, 0], 9000).into()).await?.run().await?;
            Ok(())
        }
    }
}
