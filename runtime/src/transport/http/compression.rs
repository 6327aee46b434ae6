//! HTTP compression (the `compression` feature): [`Compression`] sets what
//! `CompressionLayer` (tower-http's compression and request decompression,
//! behind a check that lets a request that asks for neither pass straight
//! through) does for the whole router.

use std::convert::Infallible;
use std::task::{Context as TaskContext, Poll};

use axum::body::Body;
use axum::response::Response;
use axum::routing::Route;
use http::header;
use tower::util::Oneshot;
use tower::ServiceExt as _;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::decompression::RequestDecompression;

use super::codec::error_response;
use super::stream::NDJSON;
use crate::error::reason::UNSUPPORTED_ENCODING;
use crate::error::Error;

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
