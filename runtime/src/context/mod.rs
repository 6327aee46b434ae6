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

mod current;
pub(crate) mod deadline;
mod peer;

use std::borrow::Cow;

use http::header::{HeaderName, HeaderValue};
use http::{Extensions, HeaderMap};

pub(crate) use current::{handle, reenter, scope, Handle};
pub use current::{with, with_mut};
pub(crate) use deadline::Deadline;
pub use peer::PeerCertificate;

/// How many messages a streaming call has received and sent so far
/// ([`Context::stream`]): counted for middleware, which read the totals
/// once the stream has ended.
#[derive(Debug, Default)]
pub struct StreamStats {
    received: std::sync::atomic::AtomicU64,
    sent: std::sync::atomic::AtomicU64,
}

impl StreamStats {
    /// Messages received (on a server: from the client).
    pub fn received(&self) -> u64 {
        self.received.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Messages sent (on a server: to the client).
    pub fn sent(&self) -> u64 {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn add_received(&self) {
        self.received.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn add_sent(&self) {
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// The counts of `ctx`'s call, made if it has none yet.
    pub(crate) fn of_or_insert(ctx: &mut Context) -> std::sync::Arc<StreamStats> {
        std::sync::Arc::clone(ctx.extensions_mut().get_or_insert_default::<std::sync::Arc<StreamStats>>())
    }
}

/// Which transport a call is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// HTTP/JSON through axum.
    Http,
    /// gRPC through tonic.
    Grpc,
}

impl Kind {
    /// `"http"` or `"grpc"` (the `kind` label of metrics and logs).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Http => "http",
            Kind::Grpc => "grpc",
        }
    }
}

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
    reply: Option<Box<Reply>>,
    http_request: bool,
}

/// The reply metadata a call has set: headers, and trailers (gRPC).
#[derive(Debug, Default)]
struct Reply {
    headers: HeaderMap,
    trailers: HeaderMap,
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

    /// The client certificate TLS verified for this call's connection (mutual
    /// TLS on the server), on both transports; `None` over plaintext or
    /// without a client certificate.
    pub fn peer_certificate(&self) -> Option<&PeerCertificate> {
        self.parts.extensions.get::<std::sync::Arc<PeerCertificate>>().map(|p| &**p)
    }

    /// The operation: `/package.Service/Method` for generated operations, the
    /// route template (`/v1/files/{name}`) for hand-written HTTP routes.
    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// The operation's name as it is kept: borrowed, not copied, when it is
    /// a generated operation's constant.
    pub(crate) fn operation_name(&self) -> Cow<'static, str> {
        self.operation.clone()
    }

    /// [`service`](Self::service) and [`method`](Self::method) of a
    /// generated operation, borrowed from its constant when it is one;
    /// `None` for a route.
    pub(crate) fn service_and_method(&self) -> Option<(Cow<'static, str>, Cow<'static, str>)> {
        let (service, method) = split_operation(&self.operation)?;
        Some(match &self.operation {
            Cow::Borrowed(op) => {
                let op: &'static str = op;
                // The same slices, taken from the `'static` string itself.
                let at = |part: &str| {
                    let start = part.as_ptr() as usize - op.as_ptr() as usize;
                    Cow::Borrowed(&op[start..start + part.len()])
                };
                (at(service), at(method))
            }
            Cow::Owned(_) => (Cow::Owned(service.to_owned()), Cow::Owned(method.to_owned())),
        })
    }

    /// `package.Service` of a generated operation (empty for a route).
    pub fn service(&self) -> &str {
        split_operation(&self.operation).map_or("", |(service, _)| service)
    }

    /// `Method` of a generated operation (empty for a route).
    pub fn method(&self) -> &str {
        split_operation(&self.operation).map_or("", |(_, method)| method)
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
        self.reply.as_deref().map_or(&NO_HEADERS, |r| &r.headers)
    }

    /// Reply metadata, to change.
    pub fn reply_headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.reply.get_or_insert_default().headers
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

    /// Reply trailers (on a gRPC server: trailing metadata, sent after the
    /// last reply message, with the status). On HTTP they travel as headers
    /// of the reply. On a stream, what is set before the first reply message
    /// goes out (at open, in a middleware or the handler) is sent.
    pub fn reply_trailers(&self) -> &HeaderMap {
        self.reply.as_deref().map_or(&NO_HEADERS, |r| &r.trailers)
    }

    /// Reply trailers, to change.
    ///
    /// ```
    /// use bia::context::{Context, Kind, Side};
    ///
    /// let mut ctx = Context::new("/echo.v1.Echo/Say", Kind::Grpc, Side::Server);
    /// ctx.reply_trailers_mut().insert("x-checksum-bin", "q6ur".parse().unwrap());
    /// assert_eq!(ctx.reply_trailers().len(), 1);
    /// assert!(ctx.reply_headers().is_empty());
    /// ```
    pub fn reply_trailers_mut(&mut self) -> &mut HeaderMap {
        &mut self.reply.get_or_insert_default().trailers
    }

    /// Sets a reply trailer; a name or value that HTTP cannot carry is
    /// ignored and reported as `false`.
    pub fn set_reply_trailer(&mut self, name: &str, value: &str) -> bool {
        match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            (Ok(n), Ok(v)) => {
                self.reply_trailers_mut().insert(n, v);
                true
            }
            _ => false,
        }
    }

    /// Takes the reply trailers out (the transport sends them).
    pub(crate) fn take_reply_trailers(&mut self) -> Option<HeaderMap> {
        let reply = self.reply.as_deref_mut()?;
        (!reply.trailers.is_empty()).then(|| std::mem::take(&mut reply.trailers))
    }

    /// The reply metadata a stream opens with: the headers, and the trailers
    /// to send at its end (on HTTP, the trailers join the headers).
    pub(crate) fn opening_reply(&self) -> (HeaderMap, Option<HeaderMap>) {
        let mut headers = self.reply_headers().clone();
        let trailers = self.reply_trailers();
        if trailers.is_empty() {
            return (headers, None);
        }
        if self.kind == Some(Kind::Http) {
            headers.extend(trailers.clone());
            return (headers, None);
        }
        (headers, Some(trailers.clone()))
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

    /// The message counts of a streaming call (`None` for a unary call, and
    /// for a streaming call that runs no middleware).
    ///
    /// ```
    /// use bia::context::{Context, Kind, Side};
    ///
    /// let ctx = Context::new("/chat.v1.Chat/Echo", Kind::Grpc, Side::Server);
    /// assert!(ctx.stream().is_none());
    /// ```
    pub fn stream(&self) -> Option<&StreamStats> {
        self.parts.extensions.get::<std::sync::Arc<StreamStats>>().map(|s| &**s)
    }

    /// The method and URI of an HTTP server call (`None` on gRPC and on
    /// clients).
    pub fn http(&self) -> Option<HttpInfo<'_>> {
        self.http_request.then_some(HttpInfo { method: &self.parts.method, uri: &self.parts.uri })
    }

    /// Takes the reply headers out (the transport sends them).
    ///
    /// On HTTP the reply trailers join them (a JSON reply has no trailers);
    /// on gRPC they stay for [`Context::take_reply_trailers`].
    pub(crate) fn take_reply(&mut self) -> HeaderMap {
        let Some(reply) = self.reply.as_deref_mut() else { return HeaderMap::new() };
        let mut headers = std::mem::take(&mut reply.headers);
        if self.kind == Some(Kind::Http) && !reply.trailers.is_empty() {
            headers.extend(std::mem::take(&mut reply.trailers));
        }
        headers
    }
}

/// `package.Service` and `Method` of a generated operation's name
/// (`/package.Service/Method`); `None` for a route's template.
fn split_operation(operation: &str) -> Option<(&str, &str)> {
    let (service, rest) = operation.strip_prefix('/')?.split_once('/')?;
    if service.starts_with('{') || !service.contains('.') {
        return None;
    }
    Some((service, rest.rsplit('/').next().unwrap_or(rest)))
}
