//! One middleware chain for both transports, server and client side.
//!
//! A [`Middleware`] sees the call's [`Context`] (operation, transport, side,
//! request and reply metadata), the request as an [`AnyMessage`] (downcast it
//! to the concrete type, print it as JSON for a log, `validate()` it) and
//! [`Next`], the rest of the chain. It runs for every generated operation on
//! HTTP and on gRPC alike, and for hand-written axum routes that opt in
//! ([`HttpServer::routes_with_middleware`](crate::transport::http::HttpServer::routes_with_middleware)).
//!
//! Order: the first middleware added is the outermost; replies unwind in
//! reverse. Server-wide middleware ([`App::middleware`](crate::App), or
//! `HttpServer::middleware` / `GrpcServer::middleware` for one transport)
//! run before a service's own (`FooServer::middleware`); a [`Selector`]
//! limits one to some operations.
//!
//! ```
//! use bia::middleware::{AnyMessage, Context, Next};
//!
//! /// Adds the operation to every reply, on both transports.
//! #[bia::middleware]
//! async fn served_by(ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
//!     let reply = next.run(ctx, req).await;
//!     let op = ctx.operation().to_owned();
//!     ctx.set_reply_header("x-operation", &op);
//!     reply
//! }
//!
//! let chain = bia::middleware::Chain::new().with(served_by());
//! assert_eq!(chain.len(), 1);
//! ```
//!
//! With no middleware anywhere, a call costs what it cost before middleware
//! existed: no boxed future, no erased message, no allocation (the
//! benchmarks in `BENCHMARKS.md` measure it).

/// Implements [`Middleware`] for a built-in that acts only before the rest
/// of the chain: its `check(&self, &mut Context, &AnyMessage) -> bia::Result<()>`
/// refuses the call or lets it go on. The rest of the chain then runs
/// without a future of the middleware's own (an `async fn handle` would box
/// one per call).
macro_rules! guard {
    ($ty:ty) => {
        impl $crate::middleware::Middleware for $ty {
            fn handle<'a>(
                &'a self,
                ctx: &'a mut $crate::context::Context,
                req: $crate::middleware::AnyMessage,
                next: $crate::middleware::Next<'a>,
            ) -> $crate::middleware::BoxFuture<'a, $crate::Result<$crate::middleware::AnyMessage>> {
                let mut req = req;
                match self.check(ctx, &mut req) {
                    ::core::result::Result::Ok(()) => next.run(ctx, req),
                    ::core::result::Result::Err(e) => {
                        ::std::boxed::Box::pin(::core::future::ready(::core::result::Result::Err(e)))
                    }
                }
            }
        }
    };
}

mod any;
pub(crate) mod call_ids;
mod chain;
mod raw;
mod selector;
pub(crate) mod stream;
mod stream_input;
mod stream_reply;

pub mod circuitbreaker;
pub mod jwt;
pub mod logging;
pub mod metadata;
pub mod metrics;
pub mod otlp;
pub mod ratelimit;
pub mod recovery;
pub mod retry;
pub mod timeout;
pub mod trace;
pub mod validate;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use crate::context::Context;
use crate::error::Error;
pub(crate) use any::RawPart;
pub use any::{AnyMessage, MessageRef};
pub(crate) use chain::{serve, Endpoint, ServerChain};
pub use chain::{Chain, Next};
pub use raw::{RawRequest, RawResponse};
pub use selector::Selector;
pub use stream::StreamEnd;

/// A boxed, `Send` future (what middleware return).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What [`Middleware::handle`] returns, for the impls in this crate.
pub(crate) type Reply<'a> = BoxFuture<'a, Result<AnyMessage, Error>>;

/// A transport-agnostic middleware (see the [module docs](self)).
///
/// Usually written with [`#[bia::middleware]`](macro@crate::middleware); a hand
/// implementation returns a boxed future:
///
/// ```
/// use bia::middleware::{AnyMessage, BoxFuture, Context, Middleware, Next};
///
/// struct Noop;
///
/// impl Middleware for Noop {
///     fn handle<'a>(
///         &'a self,
///         ctx: &'a mut Context,
///         req: AnyMessage,
///         next: Next<'a>,
///     ) -> BoxFuture<'a, bia::Result<AnyMessage>> {
///         next.run(ctx, req)
///     }
/// }
/// ```
pub trait Middleware: Send + Sync + 'static {
    /// Handles one call: look at or change the context and the request, call
    /// `next.run(ctx, req)` (or refuse with an error), look at or change the
    /// reply.
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: AnyMessage,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<AnyMessage, Error>>;
}

/// A shared or boxed middleware is a middleware.
macro_rules! forward {
    ($($pointer:ident),*) => {$(
        impl<M: Middleware + ?Sized> Middleware for $pointer<M> {
            fn handle<'a>(&'a self, ctx: &'a mut Context, req: AnyMessage, next: Next<'a>) -> Reply<'a> {
                (**self).handle(ctx, req, next)
            }
        }
    )*};
}

forward!(Arc, Box);
