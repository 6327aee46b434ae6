//! HTTP/JSON through axum: the server builder ([`HttpServer`]), the client
//! ([`HttpClient`]), one call as generated routers serve it (`handler.rs`),
//! the google.api.http binding rules both ways (`binding.rs`), JSON bodies
//! and the error body (`codec.rs`), the middleware chain for hand-written
//! routes ([`RouteLayer`]) and compression (`Compression`, with the
//! `compression` feature; off unless a
//! server sets it; [`HttpClient`] asks for compressed replies by default).
//!
//! A generated `FooServer<T>` gives a plain `axum::Router`, so a user's own
//! routes and layers merge with it:
//!
//! ```
//! # #[bia::message(package = "hello.v1")] pub struct HelloRequest { pub name: String }
//! # #[bia::message(package = "hello.v1")] pub struct HelloReply { pub message: String }
//! # #[bia::service(package = "hello.v1")]
//! # pub trait Greeter: Send + Sync + 'static {
//! #     #[rpc(get = "/hello/<name>")]
//! #     async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply>;
//! # }
//! # struct MyGreeter;
//! # impl Greeter for MyGreeter {
//! #     async fn say_hello(&self, req: HelloRequest) -> bia::Result<HelloReply> {
//! #         Ok(HelloReply { message: req.name })
//! #     }
//! # }
//! let app: axum::Router = GreeterServer::new(MyGreeter)
//!     .into_router()
//!     .route("/version", axum::routing::get(|| async { "1.0" }));
//! ```

mod binding;
mod client;
mod client_conn;
mod client_stream;
mod codec;
#[cfg(feature = "compression")]
mod compression;
mod cors;
#[cfg(feature = "docs")]
mod docs;
mod handler;
mod http_body;
mod layer;
mod multipart;
mod negotiate;
mod openapi;
mod raw;
mod server;
mod stream;

#[doc(hidden)]
pub use binding::{fast_route, router_route, BodyRule, PathSeg, PatternSeg, Route};
pub use client::HttpClient;
pub use codec::error_response;

#[doc(hidden)]
pub use crate::transport::dispatch::FastRoute;
pub use crate::transport::envelope::{json_reply, Envelope};
#[cfg(feature = "compression")]
#[cfg_attr(docsrs, doc(cfg(feature = "compression")))]
pub use compression::Compression;
pub use cors::Cors;
#[cfg(feature = "docs")]
#[cfg_attr(docsrs, doc(cfg(feature = "docs")))]
pub use docs::DOCS;
pub use handler::not_found;
#[doc(hidden)]
pub use handler::{select, unary, ServiceConfig};
pub use http_body::HttpBody;
pub use layer::{RouteLayer, RouteService};
pub use multipart::UploadedFile;
pub use openapi::{OPENAPI_JSON, OPENAPI_YAML};
#[doc(hidden)]
pub use raw::{upload_body, UploadBody};
pub use server::{HttpServer, IntoRouter};
pub use stream::DEFAULT_SSE_HEARTBEAT;
#[doc(hidden)]
pub use stream::{client_streaming, server_streaming, streaming};

/// Default limit of a request body: 4 MiB (as gRPC's default message size).
pub const DEFAULT_MAX_BODY: usize = 4 * 1024 * 1024;
