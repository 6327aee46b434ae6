//! The [`Context`] of one call: which operation, on which transport, on which
//! side, with the request and reply metadata and the values middleware leave
//! for the handler.
//!
//! Middleware receive it as `&mut Context`. Handlers are plain trait methods
//! without a context parameter, so during a server call the context is also
//! reachable from the task that runs the handler, through [`with`] and
//! [`with_mut`]; generated clients called from a handler read it there too
//! (the metadata and tracing middleware forward what the incoming call
//! carried).
//!
//! ```
//! use bia::prelude::*;
//!
//! #[bia::message(package = "ctx.v1")] pub struct Ping {}
//! #[bia::message(package = "ctx.v1")] pub struct Pong { pub caller: String }
//!
//! #[bia::service(package = "ctx.v1")]
//! pub trait Echo: Send + Sync + 'static {
//!     async fn ping(&self, req: Ping) -> bia::Result<Pong>;
//! }
//!
//! struct E;
//! impl Echo for E {
//!     async fn ping(&self, _: Ping) -> bia::Result<Pong> {
//!         // The same on HTTP (a header) and gRPC (metadata).
//!         let caller = bia::context::with(|ctx| ctx.request_header("x-caller").unwrap_or("anonymous").to_owned());
//!         bia::context::with_mut(|ctx| ctx.set_reply_header("x-served-by", "echo"));
//!         Ok(Pong { caller: caller.unwrap_or_default() })
//!     }
//! }
//! ```

use std::borrow::Cow;
use std::cell::RefCell;

use http::header::{HeaderName, HeaderValue};
use http::{Extensions, HeaderMap};

pub use crate::transport::Kind;

/// Which end of a call a [`Context`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// A server handling a call.
    Server,
    /// A client making one.
    Client,
}

impl Side {
    /// `"server"` or `"client"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Server => "server",
            Side::Client => "client",
        }
    }
}

/// The context of one call (see the [module docs](self)).
///
/// * request metadata: on a server, the headers (HTTP) or metadata (gRPC) the
///   call came with; on a client, what will be sent (middleware add to it);
/// * reply metadata: on a server, what will be sent back with the reply or
///   the error; on a client, what came back;
/// * extensions: typed values middleware hand to the handler (JWT claims, a
///   trace context) or to each other.
///
/// ```
/// use bia::context::{Context, Kind, Side};
///
/// let mut ctx = Context::new("/user.v1.User/GetUser", Kind::Grpc, Side::Server);
/// ctx.request_headers_mut().insert("x-md-global-tenant", "acme".parse().unwrap());
/// assert_eq!(ctx.request_header("x-md-global-tenant"), Some("acme"));
/// assert_eq!(ctx.service(), "user.v1.User");
/// assert_eq!(ctx.method(), "GetUser");
/// ```
#[derive(Debug, Default)]
pub struct Context {
    operation: Cow<'static, str>,
    kind: Option<Kind>,
    side: Option<Side>,
    request: HeaderMap,
    reply: HeaderMap,
    extensions: Extensions,
    http: Option<HttpInfo>,
}

/// The HTTP method and URI of a call on the HTTP transport.
#[derive(Debug, Clone)]
pub struct HttpInfo {
    /// The request method.
    pub method: http::Method,
    /// The request URI (path and query).
    pub uri: http::Uri,
}

impl Context {
    /// A context for `operation` (`/package.Service/Method`, or the route
    /// template of a hand-written route).
    pub fn new(operation: impl Into<Cow<'static, str>>, kind: Kind, side: Side) -> Self {
        Self { operation: operation.into(), kind: Some(kind), side: Some(side), ..Self::default() }
    }

    pub(crate) fn server(operation: impl Into<Cow<'static, str>>, kind: Kind, request: HeaderMap) -> Self {
        Self { request, ..Self::new(operation, kind, Side::Server) }
    }

    /// The operation: `/package.Service/Method` for generated operations, the
    /// route template (`/v1/files/{name}`) for hand-written HTTP routes.
    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// `package.Service` of a generated operation (empty for a route).
    pub fn service(&self) -> &str {
        match self.operation.strip_prefix('/').and_then(|o| o.split_once('/')) {
            Some((svc, _)) if !svc.starts_with('{') && svc.contains('.') => svc,
            _ => "",
        }
    }

    /// `Method` of a generated operation (empty for a route).
    pub fn method(&self) -> &str {
        if self.service().is_empty() {
            return "";
        }
        self.operation.rsplit('/').next().unwrap_or("")
    }

    /// The transport.
    pub fn kind(&self) -> Kind {
        self.kind.unwrap_or(Kind::Http)
    }

    /// Server or client.
    pub fn side(&self) -> Side {
        self.side.unwrap_or(Side::Server)
    }

    /// `true` on the server side.
    pub fn is_server(&self) -> bool {
        self.side() == Side::Server
    }

    /// Request metadata (lower-case names; gRPC binary metadata ends in `-bin`).
    pub fn request_headers(&self) -> &HeaderMap {
        &self.request
    }

    /// Request metadata, to change (on a client: what will be sent).
    pub fn request_headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.request
    }

    /// One request metadata value as text (`None` when absent or not text).
    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.request.get(name).and_then(|v| v.to_str().ok())
    }

    /// Reply metadata (on a server: what will be sent back).
    pub fn reply_headers(&self) -> &HeaderMap {
        &self.reply
    }

    /// Reply metadata, to change.
    pub fn reply_headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.reply
    }

    /// One reply metadata value as text.
    pub fn reply_header(&self, name: &str) -> Option<&str> {
        self.reply.get(name).and_then(|v| v.to_str().ok())
    }

    /// Sets a reply header; a name or value that HTTP cannot carry is ignored
    /// and reported as `false`.
    pub fn set_reply_header(&mut self, name: &str, value: &str) -> bool {
        match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            (Ok(n), Ok(v)) => {
                self.reply.insert(n, v);
                true
            }
            _ => false,
        }
    }

    /// Sets a request header (a client's outgoing metadata); `false` when the
    /// name or value cannot be carried.
    pub fn set_request_header(&mut self, name: &str, value: &str) -> bool {
        match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            (Ok(n), Ok(v)) => {
                self.request.insert(n, v);
                true
            }
            _ => false,
        }
    }

    /// Typed values for this call (JWT claims, a span, anything a middleware
    /// leaves for the handler).
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// Typed values for this call, to change.
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }

    /// The method and URI of an HTTP call (`None` on gRPC).
    pub fn http(&self) -> Option<&HttpInfo> {
        self.http.as_ref()
    }

    pub(crate) fn set_http(&mut self, method: http::Method, uri: http::Uri) {
        self.http = Some(HttpInfo { method, uri });
    }

    pub(crate) fn set_extensions(&mut self, ext: Extensions) {
        self.extensions = ext;
    }

    pub(crate) fn take_reply(&mut self) -> HeaderMap {
        std::mem::take(&mut self.reply)
    }
}

tokio::task_local! {
    static CURRENT: RefCell<Context>;
}

/// Reads the context of the server call this task is handling; `None`
/// outside of one.
///
/// ```
/// // Outside of a call there is none.
/// assert!(bia::context::with(|ctx| ctx.operation().to_owned()).is_none());
/// ```
pub fn with<R>(f: impl FnOnce(&Context) -> R) -> Option<R> {
    CURRENT.try_with(|c| c.try_borrow().ok().map(|c| f(&c))).ok().flatten()
}

/// Changes the context of the server call this task is handling (sets a reply
/// header, say); `None` outside of one (or inside another `with`).
///
/// ```
/// assert!(bia::context::with_mut(|ctx| ctx.set_reply_header("x-a", "1")).is_none());
/// ```
pub fn with_mut<R>(f: impl FnOnce(&mut Context) -> R) -> Option<R> {
    CURRENT.try_with(|c| c.try_borrow_mut().ok().map(|mut c| f(&mut c))).ok().flatten()
}

/// Runs `fut` with `ctx` as the current context, then puts the context (with
/// what the handler changed) back into `ctx`, also when `fut` panics (so the
/// recovery middleware still sees the reply metadata set before the panic).
/// No allocation.
pub(crate) async fn scope<F: std::future::Future>(ctx: &mut Context, fut: F) -> F::Output {
    let taken = std::mem::take(ctx);
    let scoped = CURRENT.scope(RefCell::new(taken), fut);
    let scoped = std::pin::pin!(scoped);
    let mut guard = Restore { ctx, fut: scoped };
    guard.fut.as_mut().await
}

/// Puts the context back from the task-local future when dropped: after the
/// handler finished, or while a panic unwinds through it.
struct Restore<'a, T: std::future::Future> {
    ctx: &'a mut Context,
    fut: std::pin::Pin<&'a mut tokio::task::futures::TaskLocalFuture<RefCell<Context>, T>>,
}

impl<T: std::future::Future> Drop for Restore<'_, T> {
    fn drop(&mut self) {
        if let Some(back) = self.fut.as_mut().take_value() {
            *self.ctx = back.into_inner();
        }
    }
}
