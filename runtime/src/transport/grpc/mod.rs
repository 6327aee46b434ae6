//! gRPC through tonic: the server builder that adds health and reflection
//! ([`GrpcServer`]), the client ([`GrpcClient`]), one call as generated
//! servers serve it (`handler.rs`), the protobuf codec (`codec.rs`) and the
//! `Status` form of a `bia::Error` (`status.rs`).
//!
//! With the `compression` feature, messages may be compressed
//! ([`CompressionEncoding`]: gzip, zstd), each message of a stream on its
//! own, by tonic's own framing: servers and clients accept both by default
//! and send uncompressed unless told to (`send_compression` on
//! [`GrpcServer`] and [`GrpcClient`]). Without it (the default, as tonic's)
//! a compressed request is refused with `Unimplemented`, as the gRPC
//! compression spec says.
//!
//! A generated `FooServer<T>` is a plain tonic `NamedService`, so it also plugs
//! into any `tonic::transport::Server` router by hand:
//!
//! ```no_run
//! # #[bia::message(package = "hello.v1")] pub struct HelloRequest { pub name: String }
//! # #[bia::message(package = "hello.v1")] pub struct HelloReply { pub message: String }
//! # #[bia::service(package = "hello.v1")]
//! # pub trait Greeter: Send + Sync + 'static {
//! #     async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply>;
//! # }
//! # struct MyGreeter;
//! # impl Greeter for MyGreeter {
//! #     async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply> {
//! #         Ok(HelloReply { message: req.name })
//! #     }
//! # }
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! tonic::transport::Server::builder()
//!     .add_service(GreeterServer::new(MyGreeter))
//!     .serve("127.0.0.1:9000".parse()?)
//!     .await?;
//! # Ok(()) }
//! ```

mod client;
mod client_conn;
mod client_stream;
mod codec;
mod handler;
mod mounted;
mod server;
mod status;

use std::future::Future;
use std::pin::Pin;

pub use client::{Channel, GrpcClient};
pub use codec::{LeanEncoder, MessageCodec, ServerCodec, ServerDecoder};
#[doc(hidden)]
pub use handler::{client_streaming, server_streaming, streaming, unary, unimplemented, CallConfig, ConfigureCalls};
pub use server::GrpcServer;
pub(crate) use server::Health;
/// A gRPC message compression (tonic's): `Gzip` or `Zstd` with the
/// `compression` feature (without it, none), as
/// [`GrpcServer::accept_compression`], [`GrpcServer::send_compression`],
/// [`GrpcClient::accept_compression`] and [`GrpcClient::send_compression`]
/// take it.
///
/// ```
/// # #[cfg(feature = "compression")] {
/// use bia::transport::grpc::CompressionEncoding;
///
/// assert_eq!(CompressionEncoding::Gzip.to_string(), "gzip");
/// assert_eq!(CompressionEncoding::Zstd.to_string(), "zstd");
/// # }
/// ```
pub use tonic::codec::CompressionEncoding;

/// The boxed future of a gRPC call (what tonic's generated servers use too).
pub type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'static>>;
