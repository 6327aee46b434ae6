//! `cargo run -p helloworld`: HTTP on :8000, gRPC on :9000.
//!
//! ```text
//! curl http://127.0.0.1:8000/helloworld/kratos
//! grpcurl -plaintext -d '{"name":"kratos"}' 127.0.0.1:9000 helloworld.v1.Greeter/SayHello
//! cargo run -p helloworld -- proto ./proto     # export the .proto files
//! cargo run -p helloworld -- openapi openapi.yaml   # export the OpenAPI document (.json or .yaml)
//! curl http://127.0.0.1:8000/openapi.json        # or fetch it from the running server
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
        Some("openapi") => match args.get(1) {
            Some(file) => {
                helloworld::openapi().write(file)?;
                println!("wrote the OpenAPI document of helloworld.v1 to {file}");
                Ok(())
            }
            None => {
                print!("{}", helloworld::openapi().to_json_pretty());
                Ok(())
            }
        },
        Some(other) => Err(format!(
            "unknown command `{other}`; run without arguments to serve, or `proto [DIR]`, or `openapi [FILE]`"
        )
        .into()),
        None => {
            helloworld::app(([0, 0, 0, 0], 8000).into(), ([0, 0, 0, 0], 9000).into()).await?.run().await?;
            Ok(())
        }
    }
}
