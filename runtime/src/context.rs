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
#[derive(Debug)]
pub struct Context {
    operation: Cow<'static, str>,
    kind: Option<Kind>,
    side: Option<Side>,
    /// The request's method, URI (HTTP calls), headers (the request
    /// metadata) and extensions, as the transport received them: moved in,
    /// never copied.
    parts: http::request::Parts,
    /// Boxed when first set: most calls set none, and the context lives in
    /// every call's future.
    reply: Option<Box<HeaderMap>>,
    http_request: bool,
}

/// What [`Context::reply_headers`] gives when none were set.
static NO_HEADERS: std::sync::LazyLock<HeaderMap> = std::sync::LazyLock::new(HeaderMap::new);

impl Default for Context {
    fn default() -> Self {
        let (parts, ()) = http::Request::new(()).into_parts();
        Self { operation: Cow::Borrowed(""), kind: None, side: None, parts, reply: None, http_request: false }
    }
}

/// The HTTP method and URI of a call on the HTTP transport.
#[derive(Debug, Clone, Copy)]
pub struct HttpInfo<'a> {
    /// The request method.
    pub method: &'a http::Method,
    /// The request URI (path and query).
    pub uri: &'a http::Uri,
}

impl Context {
    /// A context for `operation` (`/package.Service/Method`, or the route
    /// template of a hand-written route).
    pub fn new(operation: impl Into<Cow<'static, str>>, kind: Kind, side: Side) -> Self {
        Self { operation: operation.into(), kind: Some(kind), side: Some(side), ..Self::default() }
    }

    /// The server context of an HTTP request (its parts move in).
    pub(crate) fn http_server(operation: impl Into<Cow<'static, str>>, parts: http::request::Parts) -> Self {
        Self {
            operation: operation.into(),
            kind: Some(Kind::Http),
            side: Some(Side::Server),
            parts,
            reply: None,
            http_request: true,
        }
    }

    /// The server context of a gRPC call.
    pub(crate) fn grpc_server(operation: &'static str, headers: HeaderMap, extensions: Extensions) -> Self {
        let mut ctx = Self::new(operation, Kind::Grpc, Side::Server);
        ctx.parts.headers = headers;
        ctx.parts.extensions = extensions;
        ctx
    }

    /// The request parts (for binding a request into its message).
    pub(crate) fn parts_mut(&mut self) -> &mut http::request::Parts {
        &mut self.parts
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
        &self.parts.headers
    }

    /// Request metadata, to change (on a client: what will be sent).
    pub fn request_headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.parts.headers
    }

    /// One request metadata value as text (`None` when absent or not text).
    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Reply metadata (on a server: what will be sent back).
    pub fn reply_headers(&self) -> &HeaderMap {
        self.reply.as_deref().unwrap_or(&NO_HEADERS)
    }

    /// Reply metadata, to change.
    pub fn reply_headers_mut(&mut self) -> &mut HeaderMap {
        self.reply.get_or_insert_default()
    }

    /// One reply metadata value as text.
    pub fn reply_header(&self, name: &str) -> Option<&str> {
        self.reply_headers().get(name).and_then(|v| v.to_str().ok())
    }

    /// Sets a reply header; a name or value that HTTP cannot carry is ignored
    /// and reported as `false`.
    pub fn set_reply_header(&mut self, name: &str, value: &str) -> bool {
        match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            (Ok(n), Ok(v)) => {
                self.reply_headers_mut().insert(n, v);
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
                self.parts.headers.insert(n, v);
                true
            }
            _ => false,
        }
    }

    /// Typed values for this call (JWT claims, a span, anything a middleware
    /// leaves for the handler).
    pub fn extensions(&self) -> &Extensions {
        &self.parts.extensions
    }

    /// Typed values for this call, to change.
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.parts.extensions
    }

    /// The method and URI of an HTTP server call (`None` on gRPC and on
    /// clients).
    pub fn http(&self) -> Option<HttpInfo<'_>> {
        self.http_request.then_some(HttpInfo { method: &self.parts.method, uri: &self.parts.uri })
    }

    pub(crate) fn take_reply(&mut self) -> HeaderMap {
        self.reply.take().map(|b| *b).unwrap_or_default()
    }
}

/// The running call's context as the handler's task sees it: a pointer to
/// the context the transport's call future owns, and a borrow flag.
///
/// The context is not moved anywhere: [`Scoped`] points a thread-local at
/// it for the duration of each poll of the handler's future (a pointer store
/// and restore), so a handler reads it without the context being copied or
/// boxed.
struct Current {
    ptr: std::ptr::NonNull<Context>,
    /// 0: free; n > 0: n shared borrows; -1: borrowed mutably.
    borrow: std::cell::Cell<isize>,
}

// SAFETY: `Current` is created by `scope` from a `&mut Context` that stays
// borrowed (and so neither moved nor touched by its owner) for as long as the
// `Scoped` future exists, and it is only dereferenced by `with`/`with_mut`
// while that future is being polled, on the polling thread. Moving the future
// to another thread between polls moves only the pointer; the context lives
// in the call's pinned future, where the `&mut` keeps it.
unsafe impl Send for Current {}

std::thread_local! {
    /// The `Current` of the `Scoped` future being polled on this thread.
    static CURRENT: std::cell::Cell<*const Current> = const { std::cell::Cell::new(std::ptr::null()) };
}

pin_project_lite::pin_project! {
    /// A handler's future with its call's context current while it is polled.
    struct Scoped<F> {
        current: Current,
        #[pin]
        fut: F,
    }
}

/// Restores the thread-local after a poll, also when the poll panics.
struct Restore(*const Current);

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.0));
    }
}

impl<F: std::future::Future> std::future::Future for Scoped<F> {
    type Output = F::Output;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<F::Output> {
        let this = self.project();
        let current: *const Current = this.current;
        let previous = CURRENT.try_with(|c| c.replace(current)).unwrap_or(std::ptr::null());
        let _restore = Restore(previous);
        this.fut.poll(cx)
    }
}

/// The `Current` of the call whose handler is being polled on this thread.
fn current<R>(f: impl FnOnce(&Current) -> Option<R>) -> Option<R> {
    let ptr = CURRENT.try_with(std::cell::Cell::get).ok()?;
    if ptr.is_null() {
        return None;
    }
    // SAFETY: a non-null pointer is set only by `Scoped::poll` for the
    // duration of that poll, to its own pinned field; we are inside it.
    f(unsafe { &*ptr })
}

/// Puts the borrow flag back, also when the closure panics.
struct Unborrow<'a>(&'a std::cell::Cell<isize>, isize);

impl Drop for Unborrow<'_> {
    fn drop(&mut self) {
        self.0.set(self.1);
    }
}

/// Reads the context of the server call this task is handling; `None`
/// outside of one (or inside a [`with_mut`]).
///
/// ```
/// // Outside of a call there is none.
/// assert!(bia::context::with(|ctx| ctx.operation().to_owned()).is_none());
/// ```
pub fn with<R>(f: impl FnOnce(&Context) -> R) -> Option<R> {
    current(|c| {
        let state = c.borrow.get();
        if state < 0 {
            return None;
        }
        c.borrow.set(state + 1);
        let _unborrow = Unborrow(&c.borrow, state);
        // SAFETY: see `Current`; no `with_mut` is running (checked above).
        Some(f(unsafe { c.ptr.as_ref() }))
    })
}

/// Changes the context of the server call this task is handling (sets a reply
/// header, say); `None` outside of one (or inside another `with`).
///
/// ```
/// assert!(bia::context::with_mut(|ctx| ctx.set_reply_header("x-a", "1")).is_none());
/// ```
pub fn with_mut<R>(f: impl FnOnce(&mut Context) -> R) -> Option<R> {
    current(|c| {
        if c.borrow.get() != 0 {
            return None;
        }
        c.borrow.set(-1);
        let _unborrow = Unborrow(&c.borrow, 0);
        // SAFETY: see `Current`; no other `with`/`with_mut` is running
        // (checked above), so this is the only reference.
        Some(f(unsafe { &mut *c.ptr.as_ptr() }))
    })
}

/// Runs `fut` with `ctx` as the current context (what the handler changes
/// through [`with_mut`] lands in `ctx`). No allocation and no copy of the
/// context; a panic in `fut` leaves `ctx` in place.
pub(crate) async fn scope<F: std::future::Future>(ctx: &mut Context, fut: F) -> F::Output {
    let current = Current { ptr: std::ptr::NonNull::from(ctx), borrow: std::cell::Cell::new(0) };
    Scoped { current, fut }.await
}
