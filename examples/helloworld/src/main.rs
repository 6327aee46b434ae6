//! `cargo run -p helloworld`: HTTP on :8000, gRPC on :9000.
//!
//! ```text
//! curl http://127.0.0.1:8000/helloworld/kratos
//! grpcurl -plaintext -d '{"name":"kratos"}' 127.0.0.1:9000 helloworld.v1.Greeter/SayHello
//! cargo run -p helloworld -- proto ./proto     # export the .proto files
//! cargo run -p helloworld -- openapi openapi.yaml   # export the OpenAPI document (.json or .yaml)
//! curl http://127.0.0.1:8000/openapi.json        # or fetch it from the running server
//! ```

use bia::cli::{Cli, Command};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // `serve` (the default), `proto [DIR]`, `openapi [FILE]`, `--help`: `bia::cli`.
    let cli = Cli::<bia::cli::NoCommand>::parse_args(bia::package!());
    if let Some(done) = cli.command().export(&helloworld::openapi()) {
        return bia::cli::exit(done);
    }
    if let Command::Serve = cli.command() {
        let app = helloworld::app(([0, 0, 0, 0], 8000).into(), ([0, 0, 0, 0], 9000).into()).await;
        return bia::cli::exit(match app {
            Ok(app) => app.run().await,
            Err(e) => Err(e),
        });
    }
    std::process::ExitCode::SUCCESS
}
