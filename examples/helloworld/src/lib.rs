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

/// Where the app listens: supplied at startup (`main` passes :8000 and
/// :9000, tests pass free ports).
#[derive(Debug, Clone, Copy)]
pub struct Listen {
    /// The HTTP address.
    pub http: std::net::SocketAddr,
    /// The gRPC address.
    pub grpc: std::net::SocketAddr,
}
bia::wire::input!(Listen);

/// Provides the greeter, served on both transports.
#[bia::provider]
pub fn new_greeter() -> GreeterServer<GreeterService> {
    GreeterServer::new(GreeterService)
}

/// The OpenAPI document's settings: what `/openapi.json` serves and
/// `helloworld openapi` writes.
pub fn openapi() -> bia::schema::OpenApi {
    bia::schema::OpenApi::new("helloworld", "1.0.0")
        .description("The Kratos helloworld, written with Bia.")
        .service::<GreeterServer<()>>()
        .errors::<GreeterError>()
}

/// Provides the HTTP server (and its `/openapi.json`).
#[bia::provider]
pub fn new_http_server(listen: &Listen, greeter: &GreeterServer<GreeterService>) -> HttpServer {
    HttpServer::new(listen.http).service(greeter.clone()).openapi(openapi())
}

/// Provides the gRPC server.
#[bia::provider]
pub fn new_grpc_server(listen: &Listen, greeter: &GreeterServer<GreeterService>) -> GrpcServer {
    GrpcServer::new(listen.grpc).service(greeter.clone())
}

/// Provides the app: both servers.
#[bia::provider]
pub fn new_app(http: HttpServer, grpc: GrpcServer) -> App {
    App::new("helloworld").http(http).grpc(grpc)
}

/// The app serving [`GreeterService`] on `http` and `grpc`, wired by the
/// providers above.
pub async fn app(http: std::net::SocketAddr, grpc: std::net::SocketAddr) -> bia::Result<App> {
    App::autowire().supply(Listen { http, grpc }).build().await
}
