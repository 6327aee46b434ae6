//! The tower layers of the HTTP server: [`RouteLayer`] runs the server's
//! middleware chain around hand-written axum routes, with the matched route
//! template as the operation and the request and response as
//! [`RawRequest`]/[`RawResponse`] messages; [`Compression`] sets what
//! `CompressionLayer` (tower-http's compression and request decompression,
//! behind a check that lets a request that asks for neither pass straight
//! through) does for the whole router.

use std::convert::Infallible;
use std::sync::Mutex;
use std::task::{Context as TaskContext, Poll};

use axum::body::Body;
use axum::extract::MatchedPath;
use axum::response::Response;
use axum::routing::Route;
use http::header;
use tower::util::Oneshot;
use tower::ServiceExt as _;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::decompression::RequestDecompression;

use super::codec::error_response;
use super::stream::NDJSON;
use crate::context::Context;
use crate::error::reason::{MIDDLEWARE, UNSUPPORTED_ENCODING};
use crate::error::Error;
use crate::middleware::{AnyMessage, BoxFuture, Endpoint, RawRequest, RawResponse, ServerChain};

/// A `tower::Layer` that runs the server's middleware chain around the
/// routes it wraps (apply it with `Router::route_layer`), with the matched
/// route template as operation. [`HttpServer::routes_with_middleware`](super::HttpServer::routes_with_middleware)
/// applies it for you.
///
/// ```
/// use axum::routing::get;
/// use bia::transport::http::RouteLayer;
///
/// let routes: axum::Router = axum::Router::new()
///     .route("/v1/files/{name}", get(|| async { "file" }))
///     .route_layer(RouteLayer::new());
/// # drop(routes);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RouteLayer;

impl RouteLayer {
    /// The layer.
    pub fn new() -> Self {
        Self
    }
}

impl<S> tower::Layer<S> for RouteLayer {
    type Service = RouteService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RouteService { inner }
    }
}

/// The service of [`RouteLayer`].
#[derive(Debug, Clone)]
pub struct RouteService<S> {
    inner: S,
}

impl<S> tower::Service<http::Request<Body>> for RouteService<S>
where
    S: tower::Service<http::Request<Body>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let inner = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, inner);
        Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            let Some(ServerChain(chain)) = parts.extensions.remove::<ServerChain>() else {
                let mut inner = inner;
                return tower::Service::call(&mut inner, http::Request::from_parts(parts, body)).await;
            };
            let operation = match parts.extensions.get::<MatchedPath>() {
                Some(m) => m.as_str().to_owned(),
                None => parts.uri.path().to_owned(),
            };
            // The context gets the method, URI and headers; the extensions
            // (path parameters, matched path) stay with the request the
            // route's handler receives.
            let (mut head, ()) = http::Request::new(()).into_parts();
            head.method = parts.method.clone();
            head.uri = parts.uri.clone();
            head.headers = std::mem::take(&mut parts.headers);
            let mut ctx = Context::http_server(operation, head);
            let raw = RawRequest { method: parts.method.clone(), uri: parts.uri.clone() };
            let endpoint = RouteEndpoint { pending: Mutex::new(Some((inner, parts, body))) };
            let res = chain.run(&mut ctx, AnyMessage::raw(raw), &endpoint).await;
            let mut response = match res {
                Ok(reply) => match reply.downcast::<RawResponse>() {
                    Ok(r) => r.into_response().unwrap_or_else(|| {
                        error_response(&Error::internal_server(
                            MIDDLEWARE,
                            "the response of a hand-written route was taken",
                        ))
                    }),
                    Err(other) => error_response(&Error::internal_server(
                        MIDDLEWARE,
                        format!(
                            "a middleware replaced the response of {} with a {}",
                            ctx.operation(),
                            other.type_name()
                        ),
                    )),
                },
                Err(e) => error_response(&e),
            };
            let reply = ctx.take_reply();
            if !reply.is_empty() {
                response.headers_mut().extend(reply);
            }
            Ok(response)
        })
    }
}

type Pending<S> = (S, http::request::Parts, Body);

struct RouteEndpoint<S> {
    pending: Mutex<Option<Pending<S>>>,
}

impl<S> Endpoint for RouteEndpoint<S>
where
    S: tower::Service<http::Request<Body>, Response = Response, Error = Infallible> + Send + 'static,
    S::Future: Send + 'static,
{
    fn call<'a>(&'a self, ctx: &'a mut Context, _req: AnyMessage) -> BoxFuture<'a, Result<AnyMessage, Error>> {
        let pending = self.pending.lock().map(|mut g| g.take()).unwrap_or(None);
        Box::pin(async move {
            let Some((mut inner, mut parts, body)) = pending else {
                return Err(Error::internal_server(
                    MIDDLEWARE,
                    format!("a middleware called the route {} twice", ctx.operation()),
                ));
            };
            parts.headers = ctx.request_headers().clone();
            let fut = tower::Service::call(&mut inner, http::Request::from_parts(parts, body));
            let response = match crate::context::scope(ctx, fut).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            Ok(AnyMessage::raw(RawResponse::new(response)))
        })
    }
}

/// HTTP compression for [`HttpServer::compression`](super::HttpServer::compression):
/// replies compressed by the client's `Accept-Encoding` (gzip, br, zstd)
/// when they are at least [`min_size`](Self::min_size) bytes, and request
/// bodies decompressed by their `Content-Encoding` (gzip, br, zstd).
///
/// * A decompressed body has the same limit as an uncompressed one (the
///   service's `max_body_size`, 4 MiB by default): past it the request is
///   refused with 413, reason `PAYLOAD_TOO_LARGE`, while it inflates.
/// * A body in another encoding is refused with 415, reason
///   `UNSUPPORTED_ENCODING`, the Bia error body, and the accepted
///   encodings in `Accept-Encoding`.
/// * Streams are sent as they are: server-sent events
///   (`text/event-stream`) and NDJSON (`application/x-ndjson`) flush each
///   message, which a compressor would hold back or pad; so are gRPC
///   bodies and images other than SVG (already compressed).
///
/// Off unless a server sets it: see [`HttpServer::compression`](super::HttpServer::compression)
/// for why.
///
/// ```
/// use bia::transport::http::{Compression, HttpServer};
///
/// let server = HttpServer::new("127.0.0.1:0".parse().unwrap())
///     .compression(Compression::new().br(false).min_size(4096));
/// # drop(server);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Compression {
    gzip: bool,
    br: bool,
    zstd: bool,
    min_size: u16,
    requests: bool,
}

impl Default for Compression {
    fn default() -> Self {
        Self::new()
    }
}

impl Compression {
    /// The smallest reply compressed unless told otherwise: 1 KiB. A
    /// smaller JSON reply shrinks by a few hundred bytes at most, which
    /// rarely saves a TCP segment, for the CPU of both sides.
    ///
    /// ```
    /// use bia::transport::http::Compression;
    ///
    /// assert_eq!(Compression::DEFAULT_MIN_SIZE, 1024);
    /// ```
    pub const DEFAULT_MIN_SIZE: u16 = 1024;

    /// gzip, br and zstd both ways; replies of at least
    /// [`DEFAULT_MIN_SIZE`](Self::DEFAULT_MIN_SIZE) bytes.
    ///
    /// ```
    /// let c = bia::transport::http::Compression::new();
    /// assert_eq!(c, bia::transport::http::Compression::default());
    /// ```
    pub const fn new() -> Self {
        Self { gzip: true, br: true, zstd: true, min_size: Self::DEFAULT_MIN_SIZE, requests: true }
    }

    /// Whether gzip is used (both ways).
    ///
    /// ```
    /// let c = bia::transport::http::Compression::new().gzip(false);
    /// # drop(c);
    /// ```
    pub const fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }

    /// Whether brotli (`br`) is used (both ways).
    ///
    /// ```
    /// let c = bia::transport::http::Compression::new().br(false);
    /// # drop(c);
    /// ```
    pub const fn br(mut self, on: bool) -> Self {
        self.br = on;
        self
    }

    /// Whether zstd is used (both ways).
    ///
    /// ```
    /// let c = bia::transport::http::Compression::new().zstd(false);
    /// # drop(c);
    /// ```
    pub const fn zstd(mut self, on: bool) -> Self {
        self.zstd = on;
        self
    }

    /// The smallest reply compressed, in bytes (its `Content-Length`, or
    /// its body's exact size); a reply of unknown size is compressed.
    ///
    /// ```
    /// let c = bia::transport::http::Compression::new().min_size(0); // everything
    /// # drop(c);
    /// ```
    pub const fn min_size(mut self, bytes: u16) -> Self {
        self.min_size = bytes;
        self
    }

    /// Whether compressed request bodies are taken (default on); off, a
    /// request with a `Content-Encoding` other than `identity` is refused
    /// with 415.
    ///
    /// ```
    /// let replies_only = bia::transport::http::Compression::new().requests(false);
    /// # drop(replies_only);
    /// ```
    pub const fn requests(mut self, on: bool) -> Self {
        self.requests = on;
        self
    }

    /// Whether a request body in `encoding` is taken (as tower-http matches
    /// it: one lowercase token).
    fn accepts(&self, encoding: &[u8]) -> bool {
        match encoding {
            b"identity" => true,
            b"gzip" => self.requests && self.gzip,
            b"br" => self.requests && self.br,
            b"zstd" => self.requests && self.zstd,
            _ => false,
        }
    }

    /// The `Accept-Encoding` of a 415: what [`accepts`](Self::accepts) takes.
    fn accepted(&self) -> String {
        let on = [(self.gzip, "gzip"), (self.br, "br"), (self.zstd, "zstd")];
        let mut list: Vec<&str> = on.iter().filter(|(on, _)| self.requests && *on).map(|(_, name)| *name).collect();
        list.push("identity");
        list.join(",")
    }
}

/// The server's compression around its whole router (applied with
/// `Router::layer` when [`Compression`] is set).
#[derive(Debug, Clone, Copy)]
pub(super) struct CompressionLayer(pub(super) Compression);

impl tower::Layer<Route> for CompressionLayer {
    type Service = CompressionService;

    fn layer(&self, inner: Route) -> CompressionService {
        CompressionService { inner, settings: self.0 }
    }
}

/// tower-http's compression of replies around its decompression of
/// requests.
type Full = tower_http::compression::Compression<RequestDecompression<Route>, Compressible>;

/// The service of [`CompressionLayer`]: a request with neither
/// `Content-Encoding` nor `Accept-Encoding` goes straight to the route (two
/// header lookups; its reply is not touched); any other goes through
/// tower-http, after a `Content-Encoding` the server does not take was
/// refused with the Bia error body. tower-http's services are made for the
/// requests that use them, so that cloning this one per request (as axum
/// does) clones one route.
#[derive(Clone)]
pub(super) struct CompressionService {
    inner: Route,
    settings: Compression,
}

impl CompressionService {
    fn full(&self) -> Full {
        let c = self.settings;
        let decompress = RequestDecompression::new(self.inner.clone()).gzip(c.gzip).br(c.br).zstd(c.zstd);
        tower_http::compression::Compression::new(decompress)
            .gzip(c.gzip)
            .br(c.br)
            .zstd(c.zstd)
            .compress_when(Compressible(SizeAbove::new(c.min_size)))
    }
}

impl tower::Service<http::Request<Body>> for CompressionService {
    type Response = Response;
    type Error = Infallible;
    type Future =
        CompressionFuture<<Route as tower::Service<http::Request<Body>>>::Future, Oneshot<Full, http::Request<Body>>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        tower::Service::<http::Request<Body>>::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let encoded = req.headers().get(header::CONTENT_ENCODING);
        if encoded.is_none() && !req.headers().contains_key(header::ACCEPT_ENCODING) {
            return CompressionFuture::Pass { inner: tower::Service::call(&mut self.inner, req) };
        }
        if let Some(encoding) = encoded.filter(|e| !self.settings.accepts(e.as_bytes())) {
            let message = format!(
                "the request body is encoded with `{}`, which this server does not take",
                String::from_utf8_lossy(encoding.as_bytes())
            );
            let mut res = error_response(&Error::new(415, UNSUPPORTED_ENCODING, message));
            if let Ok(accepted) = http::HeaderValue::from_str(&self.settings.accepted()) {
                res.headers_mut().insert(header::ACCEPT_ENCODING, accepted);
            }
            return CompressionFuture::Refused { response: Some(res) };
        }
        CompressionFuture::Full { inner: self.full().oneshot(req) }
    }
}

pin_project_lite::pin_project! {
    /// The reply of [`CompressionService`].
    #[project = CompressionFutureProj]
    pub(super) enum CompressionFuture<P, F> {
        Pass { #[pin] inner: P },
        Full { #[pin] inner: F },
        Refused { response: Option<Response> },
    }
}

impl<P, F, B> std::future::Future for CompressionFuture<P, F>
where
    P: std::future::Future<Output = Result<Response, Infallible>>,
    F: std::future::Future<Output = Result<http::Response<B>, Infallible>>,
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        match self.project() {
            CompressionFutureProj::Pass { inner } => inner.poll(cx),
            CompressionFutureProj::Full { inner } => inner.poll(cx).map_ok(|res| res.map(Body::new)),
            CompressionFutureProj::Refused { response } => {
                Poll::Ready(Ok(response.take().expect("CompressionFuture polled after it finished")))
            }
        }
    }
}

/// Which replies are compressed: those of at least the minimum size, but
/// neither streams (server-sent events, NDJSON: each message is flushed as
/// it comes) nor what is compressed already (gRPC, images but SVG). One
/// look at the content type.
#[derive(Debug, Clone, Copy)]
pub(super) struct Compressible(SizeAbove);

impl Predicate for Compressible {
    fn should_compress<B: http_body::Body>(&self, res: &http::Response<B>) -> bool {
        let content_type = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let excluded = content_type.starts_with("text/event-stream")
            || content_type.starts_with(NDJSON)
            || content_type.starts_with("application/grpc")
            || (content_type.starts_with("image/") && !content_type.starts_with("image/svg+xml"));
        !excluded && self.0.should_compress(res)
    }
}
