//! The helloworld API: the `Greeter` service and its messages, as plain Rust.
//!
//! `main.rs` serves it; tests and other crates use the generated clients.

use bia::prelude::*;

/// The request message containing the user's name.
#[bia::message(package = "helloworld.v1")]
pub struct HelloRequest {
    pub name: String,
}

/// The response message containing the greetings.
#[bia::message(package = "helloworld.v1")]
pub struct HelloReply {
    pub message: String,
}

/// Errors of the greeter.
#[bia::errors(domain = "helloworld.v1")]
pub enum GreeterError {
    /// The name is empty or unknown.
    #[error(code = 404)]
    UserNotFound,
}

/// The greeting service definition.
#[bia::service(package = "helloworld.v1")]
pub trait Greeter: Send + Sync + 'static {
    /// Sends a greeting.
    #[rpc(get = "/helloworld/<name>")]
    async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply>;
}

/// The implementation: a plain impl block, no attribute needed.
#[derive(Debug, Default, Clone)]
pub struct GreeterService;

impl Greeter for GreeterService {
    async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply> {
        if req.name == "error" {
            return Err(GreeterError::user_not_found(format_args!("user not found: {}", req.name)));
        }
        Ok(HelloReply { message: format!("Hello {}", req.name) })
    }
}

/// The app serving [`GreeterService`] on `http` and `grpc`.
pub fn app(http: std::net::SocketAddr, grpc: std::net::SocketAddr) -> App {
    let greeter = GreeterServer::new(GreeterService);
    App::new("helloworld")
        .http(HttpServer::new(http).service(greeter.clone()))
        .grpc(GrpcServer::new(grpc).service(greeter))
}
