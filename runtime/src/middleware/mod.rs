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

mod route;
mod selector;

pub mod circuitbreaker;
pub mod jwt;
pub mod logging;
pub mod metadata;
pub mod metrics;
pub mod ratelimit;
pub mod recovery;
pub mod retry;
pub mod timeout;
pub mod trace;
pub mod validate;

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use crate::codec::Message;
pub use crate::context::Context;
use crate::error::Error;
pub use route::{RawRequest, RawResponse, RouteLayer, RouteService};
pub use selector::Selector;

/// A boxed, `Send` future (what middleware return).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

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

impl<M: Middleware + ?Sized> Middleware for Arc<M> {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: AnyMessage,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<AnyMessage, Error>> {
        (**self).handle(ctx, req, next)
    }
}

impl<M: Middleware + ?Sized> Middleware for Box<M> {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: AnyMessage,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<AnyMessage, Error>> {
        (**self).handle(ctx, req, next)
    }
}

/// The end of a chain: the handler on a server, the transport on a client.
pub(crate) trait Endpoint: Send + Sync {
    fn call<'a>(&'a self, ctx: &'a mut Context, req: AnyMessage) -> BoxFuture<'a, Result<AnyMessage, Error>>;
}

/// The rest of the chain after the running middleware.
///
/// `Copy`: a client middleware may run it more than once (retry).
#[derive(Clone, Copy)]
pub struct Next<'a> {
    outer: &'a [Arc<dyn Middleware>],
    inner: &'a [Arc<dyn Middleware>],
    endpoint: &'a (dyn Endpoint + 'a),
}

impl fmt::Debug for Next<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next").field("remaining", &(self.outer.len() + self.inner.len())).finish()
    }
}

impl<'a> Next<'a> {
    /// Runs the rest of the chain and the handler (server) or the transport
    /// (client).
    pub fn run(self, ctx: &'a mut Context, req: AnyMessage) -> BoxFuture<'a, Result<AnyMessage, Error>> {
        if let Some((first, outer)) = self.outer.split_first() {
            first.handle(ctx, req, Next { outer, ..self })
        } else if let Some((first, inner)) = self.inner.split_first() {
            first.handle(ctx, req, Next { inner, ..self })
        } else {
            self.endpoint.call(ctx, req)
        }
    }
}

/// An ordered list of middleware (cheap to clone; empty costs nothing).
///
/// ```
/// use bia::middleware::{AnyMessage, Chain, Context, Next};
///
/// #[bia::middleware]
/// async fn a(ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
///     next.run(ctx, req).await
/// }
///
/// let chain = Chain::new().with(a()).with(a());
/// assert_eq!(chain.len(), 2);
/// assert!(Chain::new().is_empty());
/// ```
#[derive(Clone, Default)]
pub struct Chain(Option<Arc<[Arc<dyn Middleware>]>>);

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chain").field("len", &self.len()).finish()
    }
}

impl Chain {
    /// An empty chain.
    pub fn new() -> Self {
        Self(None)
    }

    /// Appends `m` (it runs inside the ones already there).
    #[must_use]
    pub fn with(mut self, m: impl Middleware) -> Self {
        self.push(Arc::new(m));
        self
    }

    /// Appends a shared middleware.
    pub fn push(&mut self, m: Arc<dyn Middleware>) {
        let mut all: Vec<Arc<dyn Middleware>> = self.as_slice().to_vec();
        all.push(m);
        self.0 = Some(all.into());
    }

    /// Puts every middleware of `outer` before (outside) this chain's.
    pub(crate) fn prepend(&mut self, outer: &Chain) {
        if !outer.is_empty() {
            let mut all = outer.clone();
            all.extend(self);
            *self = all;
        }
    }

    /// Appends every middleware of `other`.
    pub fn extend(&mut self, other: &Chain) {
        for m in other.as_slice() {
            self.push(m.clone());
        }
    }

    /// How many middleware.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// `true` when there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    pub(crate) fn as_slice(&self) -> &[Arc<dyn Middleware>] {
        self.0.as_deref().unwrap_or(&[])
    }

    /// Runs `req` through this chain to `endpoint` (a client call).
    pub(crate) async fn run_client<Rep: Message>(
        &self,
        ctx: &mut Context,
        req: AnyMessage,
        endpoint: &(dyn Endpoint + '_),
    ) -> Result<Rep, Error> {
        let next = Next { outer: self.as_slice(), inner: &[], endpoint };
        let rep = next.run(ctx, req).await?;
        downcast_reply(ctx, rep)
    }
}

/// The server-wide chain, handed to generated handlers in the request
/// extensions (only when it is not empty).
#[derive(Clone, Debug)]
pub(crate) struct ServerChain(pub(crate) Chain);

/// Serves one call: `outer` (server-wide) and `inner` (the service's) chains,
/// then `handler` with `ctx` as the current context. With both chains empty,
/// the handler runs directly (no boxed future, no erased message, no
/// allocation).
pub(crate) async fn serve<Req, Rep, F, Fut>(
    outer: Option<Chain>,
    inner: &Chain,
    ctx: &mut Context,
    req: Req,
    handler: F,
) -> Result<Rep, Error>
where
    Req: Message,
    Rep: Message,
    F: FnOnce(Req) -> Fut + Send,
    Fut: Future<Output = Result<Rep, Error>> + Send,
{
    match outer {
        None if inner.is_empty() => crate::context::scope(ctx, handler(req)).await,
        // Boxed, so the state of the call without middleware (above) does
        // not carry room for the chain's.
        outer => Box::pin(serve_chain(outer.unwrap_or_default(), inner, ctx, req, handler)).await,
    }
}

async fn serve_chain<Req, Rep, F, Fut>(
    outer: Chain,
    inner: &Chain,
    ctx: &mut Context,
    req: Req,
    handler: F,
) -> Result<Rep, Error>
where
    Req: Message,
    Rep: Message,
    F: FnOnce(Req) -> Fut + Send,
    Fut: Future<Output = Result<Rep, Error>> + Send,
{
    let endpoint = Handler { f: Mutex::new(Some(handler)), _types: PhantomData::<fn(Req) -> Rep> };
    let next = Next { outer: outer.as_slice(), inner: inner.as_slice(), endpoint: &endpoint };
    let rep = next.run(ctx, AnyMessage::new(req)).await?;
    downcast_reply(ctx, rep)
}

fn downcast_reply<Rep: Message>(ctx: &Context, rep: AnyMessage) -> Result<Rep, Error> {
    rep.downcast::<Rep>().map_err(|other| {
        Error::internal_server(
            "MIDDLEWARE",
            format!(
                "a middleware replaced the reply of {} ({}) with a {}",
                ctx.operation(),
                Rep::FULL_NAME,
                other.type_name()
            ),
        )
    })
}

struct Handler<F, Req, Rep> {
    f: Mutex<Option<F>>,
    _types: PhantomData<fn(Req) -> Rep>,
}

impl<Req, Rep, F, Fut> Endpoint for Handler<F, Req, Rep>
where
    Req: Message,
    Rep: Message,
    F: FnOnce(Req) -> Fut + Send,
    Fut: Future<Output = Result<Rep, Error>> + Send,
{
    fn call<'a>(&'a self, ctx: &'a mut Context, req: AnyMessage) -> BoxFuture<'a, Result<AnyMessage, Error>> {
        let f = self.f.lock().map(|mut g| g.take()).unwrap_or(None);
        Box::pin(async move {
            let Some(f) = f else {
                return Err(Error::internal_server(
                    "MIDDLEWARE",
                    format!("a middleware called the handler of {} twice", ctx.operation()),
                ));
            };
            let req = req.downcast::<Req>().map_err(|other| {
                Error::internal_server(
                    "MIDDLEWARE",
                    format!(
                        "a middleware replaced the request of {} ({}) with a {}",
                        ctx.operation(),
                        Req::FULL_NAME,
                        other.type_name()
                    ),
                )
            })?;
            let rep = crate::context::scope(ctx, f(req)).await?;
            Ok(AnyMessage::new(rep))
        })
    }
}

/// What an [`AnyMessage`] can hold: every [`Message`], and the request and
/// response of a hand-written HTTP route.
trait Erased: Any + Send + Sync + fmt::Debug {
    fn type_name(&self) -> &'static str;
    fn json(&self) -> String;
    fn validate(&self) -> Result<(), Error>;
    fn clone_box(&self) -> Option<Box<dyn Erased>>;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

impl<T: Message> Erased for T {
    fn type_name(&self) -> &'static str {
        T::FULL_NAME
    }
    fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("\"<not JSON: {e}>\""))
    }
    fn validate(&self) -> Result<(), Error> {
        Message::validate(self)
    }
    fn clone_box(&self) -> Option<Box<dyn Erased>> {
        Some(Box::new(self.clone()))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// The request or reply of a call, type-erased for middleware.
///
/// ```
/// # #[bia::message(package = "any.v1")] pub struct Hello { pub name: String }
/// use bia::middleware::AnyMessage;
///
/// let m = AnyMessage::new(Hello { name: "Ann".into() });
/// assert_eq!(m.type_name(), "any.v1.Hello");
/// assert_eq!(m.to_json(), r#"{"name":"Ann"}"#);
/// assert_eq!(m.downcast_ref::<Hello>().unwrap().name, "Ann");
/// let hello: Hello = m.downcast().unwrap();
/// assert_eq!(hello.name, "Ann");
/// ```
pub struct AnyMessage(Box<dyn Erased>);

impl fmt::Debug for AnyMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl AnyMessage {
    /// Erases a message.
    pub fn new<T: Message>(msg: T) -> Self {
        Self(Box::new(msg))
    }

    pub(crate) fn raw<T: RawPart>(part: T) -> Self {
        Self(Box::new(RawBox(part)))
    }

    /// The proto full name (`user.v1.GetUserRequest`); `http.Request` and
    /// `http.Response` on hand-written routes.
    pub fn type_name(&self) -> &'static str {
        self.0.type_name()
    }

    /// `true` when it holds a `T`.
    pub fn is<T: 'static>(&self) -> bool {
        self.0.as_any().is::<T>()
    }

    /// The message, if it is a `T`.
    pub fn downcast_ref<T: 'static>(&self) -> Option<&T> {
        self.0.as_any().downcast_ref()
    }

    /// The message, to change, if it is a `T`.
    pub fn downcast_mut<T: 'static>(&mut self) -> Option<&mut T> {
        self.0.as_any_mut().downcast_mut()
    }

    /// The message, if it is a `T`; itself otherwise.
    pub fn downcast<T: 'static>(self) -> Result<T, Self> {
        if self.is::<T>() {
            match self.0.into_any().downcast::<T>() {
                Ok(b) => Ok(*b),
                Err(_) => unreachable!("checked by is::<T>()"),
            }
        } else {
            Err(self)
        }
    }

    /// The proto3 JSON of the message (for logs; see the logging
    /// middleware's `Redact` hook to mask secrets).
    pub fn to_json(&self) -> String {
        self.0.json()
    }

    /// Checks the message's `#[validate]` rules.
    pub fn validate(&self) -> Result<(), Error> {
        self.0.validate()
    }

    /// A copy (what a retrying client sends again); `None` for the body of
    /// a hand-written route, which can be read once.
    pub fn try_clone(&self) -> Option<AnyMessage> {
        self.0.clone_box().map(AnyMessage)
    }
}

/// The request or response of a hand-written route inside an [`AnyMessage`].
pub(crate) trait RawPart: Send + Sync + 'static {
    const NAME: &'static str;
    fn describe(&self) -> String;
}

struct RawBox<T>(T);

impl<T: RawPart> fmt::Debug for RawBox<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.describe())
    }
}

impl<T: RawPart> Erased for RawBox<T> {
    fn type_name(&self) -> &'static str {
        T::NAME
    }
    fn json(&self) -> String {
        serde_json::Value::String(self.0.describe()).to_string()
    }
    fn validate(&self) -> Result<(), Error> {
        Ok(())
    }
    fn clone_box(&self) -> Option<Box<dyn Erased>> {
        None
    }
    fn as_any(&self) -> &dyn Any {
        &self.0
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        &mut self.0
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        Box::new(self.0)
    }
}
